/*
 * km_kernels.c - instantiates the kernel templates for float and double.
 */
#include <float.h>

#ifdef KM_HAVE_BLAS
#include <cblas.h>
#endif

#include "kernels/km_kernels.h"

#define REAL       float
#define REAL_EPS   FLT_EPSILON
#define FN(name)   name##_f32
#define CBLAS_GEMM cblas_sgemm
#include "kernels/km_kernels_impl.h"
#undef REAL
#undef REAL_EPS
#undef FN
#undef CBLAS_GEMM

#define REAL       double
#define REAL_EPS   DBL_EPSILON
#define FN(name)   name##_f64
#define CBLAS_GEMM cblas_dgemm
#include "kernels/km_kernels_impl.h"
#undef REAL
#undef REAL_EPS
#undef FN
#undef CBLAS_GEMM
