/*
 * km_init.c - instantiates the initializations for float and double.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "algo/km_algo.h"
#include "common/km_common.h"

#define REAL     float
#define REAL_EPS FLT_EPSILON
#define REAL_MIN FLT_MIN
#define REAL_MAX FLT_MAX
#define FN(name) name##_f32
#include "algo/km_init_impl.h"
#include "algo/km_init_par_impl.h"
#undef REAL
#undef REAL_EPS
#undef REAL_MIN
#undef REAL_MAX
#undef FN

#define REAL     double
#define REAL_EPS DBL_EPSILON
#define REAL_MIN DBL_MIN
#define REAL_MAX DBL_MAX
#define FN(name) name##_f64
#include "algo/km_init_impl.h"
#include "algo/km_init_par_impl.h"
#undef REAL
#undef REAL_EPS
#undef REAL_MIN
#undef REAL_MAX
#undef FN
