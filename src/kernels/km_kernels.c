/*
 * km_kernels.c - instantiates the kernel templates for float and double.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#ifdef KM_HAVE_BLAS
#include <cblas.h>
#endif

#include "kernels/km_kernels.h"

#include "kernels/km_kernels_simd.h"

/* The SIMD accumulation makes one masked pass over a block per cluster: it
   beats the scalar loop (one pass in all) while k is below about twice the
   lanes of a vector. */
#define KM_SIMD_ACC_MAX_K_F32 16
#define KM_SIMD_ACC_MAX_K_F64 8

km_argmin2_f32_fn *km_kernels_fast_argmin2_f32(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2"))
        return km_simd_argmin2_f32;
#endif
    return NULL;
}

km_argmin2_f64_fn *km_kernels_fast_argmin2_f64(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2"))
        return km_simd_argmin2_f64;
#endif
    return NULL;
}

km_row_dists_f32_fn *km_kernels_fast_row_dists_f32(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2"))
        return km_simd_row_dists_f32;
#endif
    return NULL;
}

km_row_dists_f64_fn *km_kernels_fast_row_dists_f64(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2"))
        return km_simd_row_dists_f64;
#endif
    return NULL;
}

int km_kernels_simd_f32(km_kernels_f32 *t, size_t k, size_t d)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2")) {
        t->name = "avx2";
        t->assign_block = km_simd_assign_f32;
        t->soa = 1;
        if (k <= KM_SIMD_ACC_MAX_K_F32 && d <= 16)
            t->accum_block = km_simd_accum_f32;
        return 1;
    }
#endif
    (void)t;
    (void)k;
    (void)d;
    return 0;
}

int km_kernels_simd_f64(km_kernels_f64 *t, size_t k, size_t d)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2")) {
        t->name = "avx2";
        t->assign_block = km_simd_assign_f64;
        t->soa = 1;
        if (k <= KM_SIMD_ACC_MAX_K_F64 && d <= 16)
            t->accum_block = km_simd_accum_f64;
        return 1;
    }
#endif
    (void)t;
    (void)k;
    (void)d;
    return 0;
}

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
