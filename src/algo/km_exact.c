/*
 * km_exact.c - instantiates the exact algorithms for float and double:
 * Lloyd's (with the iteration loop all four share), then the bound-based
 * ones, Elkan, Hamerly and Yinyang, over what they share (km_bounds_impl.h).
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "algo/km_algo.h"
#include "common/km_common.h"

/* Rows per row_dists call in Elkan's first pass, and per dist_block call
   when it goes through the GEMM form. */
#define KM_ELKAN_ROWS      16
#define KM_ELKAN_GEMM_ROWS 64

#define REAL     float
#define REAL_EPS FLT_EPSILON
#define REAL_MIN FLT_MIN
#define FN(name) name##_f32
#include "algo/km_lloyd_impl.h"
#include "algo/km_bounds_impl.h"
#include "algo/km_elkan_impl.h"
#include "algo/km_hamerly_impl.h"
#include "algo/km_yinyang_impl.h"
#undef REAL
#undef REAL_EPS
#undef REAL_MIN
#undef FN

#define REAL     double
#define REAL_EPS DBL_EPSILON
#define REAL_MIN DBL_MIN
#define FN(name) name##_f64
#include "algo/km_lloyd_impl.h"
#include "algo/km_bounds_impl.h"
#include "algo/km_elkan_impl.h"
#include "algo/km_hamerly_impl.h"
#include "algo/km_yinyang_impl.h"
#undef REAL
#undef REAL_EPS
#undef REAL_MIN
#undef FN
