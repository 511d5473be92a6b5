/*
 * km_kernels_avx2.c - AVX2 kernels (this file alone is compiled with
 * -mavx2 -mfma -ffp-contract=off: FMA only where an intrinsic asks for it,
 * never in the canonical sums; km_kernels.c calls into it only after
 * checking the CPU).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "kernels/km_kernels.h"

#include "kernels/km_kernels_simd.h"

#include "kernels/km_kernels_avx2_helpers.h"

/* ---- float: 8 lanes ---------------------------------------------------- */

#define REAL                float
#define FN(name)            name##_f32
#define LANES               8
#define V                   __m256
#define M                   __m256
#define V_SET1(x)           _mm256_set1_ps(x)
#define V_SUB(a, b)         _mm256_sub_ps((a), (b))
#define V_MUL(a, b)         _mm256_mul_ps((a), (b))
#define V_ADD(a, b)         _mm256_add_ps((a), (b))
#define V_CMPLT(a, b)       _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define V_BLEND(mask, a, b) _mm256_blendv_ps((a), (b), (mask))
#define V_STORE(p, v)       _mm256_storeu_ps((p), (v))
#define V_LOADU(p)          _mm256_loadu_ps(p)
#define V_MIN(a, b)         _mm256_min_ps((a), (b))
#define V_MAX(a, b)         _mm256_max_ps((a), (b))
#define V_FMADD(a, b, c)    _mm256_fmadd_ps((a), (b), (c))
#define V_FNMADD(a, b, c)   _mm256_fnmadd_ps((a), (b), (c))
#define V_LEBITS(a, b)                                                         \
    ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps((a), (b), _CMP_LE_OQ)))
#include "kernels/km_kernels_simd_impl.h"
#include "kernels/km_kernels_rows_impl.h"
#include "kernels/km_kernels_simd_undef.h"

/* ---- double: 4 lanes --------------------------------------------------- */

#define REAL                double
#define FN(name)            name##_f64
#define LANES               4
#define V                   __m256d
#define M                   __m256d
#define V_SET1(x)           _mm256_set1_pd(x)
#define V_SUB(a, b)         _mm256_sub_pd((a), (b))
#define V_MUL(a, b)         _mm256_mul_pd((a), (b))
#define V_ADD(a, b)         _mm256_add_pd((a), (b))
#define V_CMPLT(a, b)       _mm256_cmp_pd((a), (b), _CMP_LT_OQ)
#define V_BLEND(mask, a, b) _mm256_blendv_pd((a), (b), (mask))
#define V_STORE(p, v)       _mm256_storeu_pd((p), (v))
#define V_LOADU(p)          _mm256_loadu_pd(p)
#define V_MIN(a, b)         _mm256_min_pd((a), (b))
#define V_MAX(a, b)         _mm256_max_pd((a), (b))
#define V_FMADD(a, b, c)    _mm256_fmadd_pd((a), (b), (c))
#define V_FNMADD(a, b, c)   _mm256_fnmadd_pd((a), (b), (c))
#define V_LEBITS(a, b)                                                         \
    ((unsigned)_mm256_movemask_pd(_mm256_cmp_pd((a), (b), _CMP_LE_OQ)))
#include "kernels/km_kernels_simd_impl.h"
#include "kernels/km_kernels_rows_impl.h"
