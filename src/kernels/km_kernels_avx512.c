/*
 * km_kernels_avx512.c - AVX-512 kernels: the SIMD template
 * (km_kernels_simd_impl.h) over 512-bit vectors, 16 float or 8 double
 * lanes, with mask registers for the comparisons.  Compiled with
 * -mavx512f -mavx2 -mfma -ffp-contract=off (FMA only where an intrinsic
 * asks for it); km_kernels.c calls into it only on a CPU with AVX-512F.
 *
 * The arithmetic kernels only: assignment, the fused expanded form, the
 * argmin of GEMM blocks, canonical row distances and k-means++ potentials.
 * Each lane does what a lane of the AVX2 kernels does, so the results are
 * the same bits (the template's contracts); the accumulation, transposes
 * and per-row kernels stay AVX2.  The helpers load, store and transpose
 * through 256-bit halves with the AVX2 helpers.
 *
 * Built with KM_X512_EMULATE (tests/unit/test_kernels_x512.c only), the
 * same source compiles against SIMDe's portable AVX-512 (no -mavx512f),
 * with other names (_x512emu_), so that the kernels' logic is tested on
 * a CPU without AVX-512.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef KM_X512_EMULATE
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#define X512_F32(name) name##_x512emu_f32
#define X512_F64(name) name##_x512emu_f64
#else
#include <immintrin.h>
#define X512_F32(name) name##_x512_f32
#define X512_F64(name) name##_x512_f64
#endif

#include "kernels/km_kernels.h"

#include "kernels/km_kernels_simd.h"

#include "kernels/km_kernels_avx2_helpers.h"

/* A 512-bit vector from two 256-bit halves, and its halves. */
static inline __attribute__((always_inline)) __m512 x512_cat_ps(__m256 lo,
                                                                __m256 hi)
{
    return _mm512_castpd_ps(_mm512_insertf64x4(
        _mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
}

static inline __attribute__((always_inline)) __m256 x512_lo_ps(__m512 v)
{
    return _mm512_castps512_ps256(v);
}

static inline __attribute__((always_inline)) __m256 x512_hi_ps(__m512 v)
{
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

static inline __attribute__((always_inline)) __m512d x512_cat_pd(__m256d lo,
                                                                 __m256d hi)
{
    return _mm512_insertf64x4(_mm512_castpd256_pd512(lo), hi, 1);
}

static inline __attribute__((always_inline)) __m256d x512_lo_pd(__m512d v)
{
    return _mm512_castpd512_pd256(v);
}

static inline __attribute__((always_inline)) __m256d x512_hi_pd(__m512d v)
{
    return _mm512_extractf64x4_pd(v, 1);
}

/* ---- float: 16 lanes --------------------------------------------------- */

#define FN(name) X512_F32(name)

/* Rows x[0 .. 16 d) into out[f] = feature f of the 16 rows: each half as
   the AVX2 kernel loads 8 rows. */
static inline __attribute__((always_inline)) void
FN(simd_load_rows)(const float *x, size_t d, __m512 *out)
{
    __m256 lo[KM_SIMD_ASSIGN_MAX_D], hi[KM_SIMD_ASSIGN_MAX_D];

    simd_load_rows_f32(x, d, lo);
    simd_load_rows_f32(x + 8 * d, d, hi);
    for (size_t f = 0; f < d; f++)
        out[f] = x512_cat_ps(lo[f], hi[f]);
}

static inline __attribute__((always_inline)) size_t
FN(simd_put_labels)(int32_t *p, __m512 idx)
{
    return simd_put_labels_f32(p, x512_lo_ps(idx)) +
           simd_put_labels_f32(p + 8, x512_hi_ps(idx));
}

static inline __attribute__((always_inline)) void
FN(simd_transpose_rows)(const float *const *rp, size_t nr, size_t d, float *xt)
{
    simd_transpose_rows_f32(rp, nr, d, xt);
}

/* k-means++ lane sums: 32 values of consecutive rows (va rows 0-15, vb
   rows 16-31) into lanes 0-7 in row order, as the AVX2 helper does 16. */
static inline __attribute__((always_inline)) void
FN(simd_pp_add)(double *L, __m512 va, __m512 vb, const float *w)
{
    simd_pp_add_f32(L, x512_lo_ps(va), x512_hi_ps(va), w);
    simd_pp_add_f32(L, x512_lo_ps(vb), x512_hi_ps(vb),
                    w != NULL ? w + 16 : NULL);
}

static inline float FN(km_sqdist)(const float *x, const float *c, size_t d)
{
    return km_sqdist_f32(x, c, d);
}

#define REAL                float
#define LANES               16
#define V                   __m512
#define M                   __mmask16
#define V_SET1(x)           _mm512_set1_ps(x)
#define V_SUB(a, b)         _mm512_sub_ps((a), (b))
#define V_MUL(a, b)         _mm512_mul_ps((a), (b))
#define V_ADD(a, b)         _mm512_add_ps((a), (b))
#define V_CMPLT(a, b)       _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define V_BLEND(mask, a, b) _mm512_mask_blend_ps((mask), (a), (b))
#define V_STORE(p, v)       _mm512_storeu_ps((p), (v))
#define V_LOADU(p)          _mm512_loadu_ps(p)
#define V_MIN(a, b)         _mm512_min_ps((a), (b))
#define V_MAX(a, b)         _mm512_max_ps((a), (b))
#define V_FMADD(a, b, c)    _mm512_fmadd_ps((a), (b), (c))
#define V_FNMADD(a, b, c)   _mm512_fnmadd_ps((a), (b), (c))
/* One vector of 16 rows at a time in the fused expanded form: the rows of
   a transposed block are padded to KM_XT_PAD = 16. */
#define KM_DOT_R           1
#define KM_SIMD_ARITH_ONLY 1
#include "kernels/km_kernels_simd_impl.h"
#include "kernels/km_kernels_simd_undef.h"

/* ---- double: 8 lanes --------------------------------------------------- */

#define FN(name) X512_F64(name)

static inline __attribute__((always_inline)) void
FN(simd_load_rows)(const double *x, size_t d, __m512d *out)
{
    __m256d lo[KM_SIMD_ASSIGN_MAX_D], hi[KM_SIMD_ASSIGN_MAX_D];

    simd_load_rows_f64(x, d, lo);
    simd_load_rows_f64(x + 4 * d, d, hi);
    for (size_t f = 0; f < d; f++)
        out[f] = x512_cat_pd(lo[f], hi[f]);
}

static inline __attribute__((always_inline)) size_t
FN(simd_put_labels)(int32_t *p, __m512d idx)
{
    return simd_put_labels_f64(p, x512_lo_pd(idx)) +
           simd_put_labels_f64(p + 4, x512_hi_pd(idx));
}

static inline __attribute__((always_inline)) void
FN(simd_transpose_rows)(const double *const *rp, size_t nr, size_t d,
                        double *xt)
{
    simd_transpose_rows_f64(rp, nr, d, xt);
}

/* 16 values of consecutive rows (va rows 0-7, vb rows 8-15) into lanes
   0-7 in row order. */
static inline __attribute__((always_inline)) void
FN(simd_pp_add)(double *L, __m512d va, __m512d vb, const double *w)
{
    simd_pp_add_f64(L, x512_lo_pd(va), x512_hi_pd(va), w);
    simd_pp_add_f64(L, x512_lo_pd(vb), x512_hi_pd(vb),
                    w != NULL ? w + 8 : NULL);
}

static inline double FN(km_sqdist)(const double *x, const double *c, size_t d)
{
    return km_sqdist_f64(x, c, d);
}

#define REAL                double
#define LANES               8
#define V                   __m512d
#define M                   __mmask8
#define V_SET1(x)           _mm512_set1_pd(x)
#define V_SUB(a, b)         _mm512_sub_pd((a), (b))
#define V_MUL(a, b)         _mm512_mul_pd((a), (b))
#define V_ADD(a, b)         _mm512_add_pd((a), (b))
#define V_CMPLT(a, b)       _mm512_cmp_pd_mask((a), (b), _CMP_LT_OQ)
#define V_BLEND(mask, a, b) _mm512_mask_blend_pd((mask), (a), (b))
#define V_STORE(p, v)       _mm512_storeu_pd((p), (v))
#define V_LOADU(p)          _mm512_loadu_pd(p)
#define V_MIN(a, b)         _mm512_min_pd((a), (b))
#define V_MAX(a, b)         _mm512_max_pd((a), (b))
#define V_FMADD(a, b, c)    _mm512_fmadd_pd((a), (b), (c))
#define V_FNMADD(a, b, c)   _mm512_fnmadd_pd((a), (b), (c))
#include "kernels/km_kernels_simd_impl.h"
