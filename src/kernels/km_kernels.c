/*
 * km_kernels.c - instantiates the kernel templates for float and double.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#ifdef KM_HAVE_BLAS
#include <cblas.h>
#endif

#include "common/km_common.h"
#include "kernels/km_kernels.h"

#include "kernels/km_kernels_simd.h"

#define REAL         float
#define REAL_EPS     FLT_EPSILON
#define FN(name)     name##_f32
#define CBLAS_GEMM   cblas_sgemm
#define ARGMIN2_FN   km_argmin2_f32_fn
#define ROW_DISTS_FN km_row_dists_f32_fn
#include "kernels/km_kernels_impl.h"
#undef REAL
#undef REAL_EPS
#undef FN
#undef CBLAS_GEMM
#undef ARGMIN2_FN
#undef ROW_DISTS_FN

#define REAL         double
#define REAL_EPS     DBL_EPSILON
#define FN(name)     name##_f64
#define CBLAS_GEMM   cblas_dgemm
#define ARGMIN2_FN   km_argmin2_f64_fn
#define ROW_DISTS_FN km_row_dists_f64_fn
#include "kernels/km_kernels_impl.h"
#undef REAL
#undef REAL_EPS
#undef FN
#undef CBLAS_GEMM
#undef ARGMIN2_FN
#undef ROW_DISTS_FN
