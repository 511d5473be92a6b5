/*
 * km_kernels_avx2_helpers.h - the AVX2 helpers of the SIMD kernel template
 * (km_kernels_simd_impl.h): loading rows into one vector per feature,
 * labels, accumulation chunks, transposes and k-means++ lane sums, for
 * float (8 lanes) and double (4 lanes).  Included by km_kernels_avx2.c,
 * and by km_kernels_avx512.c, whose helpers work on 256-bit halves
 * through these; only files compiled with at least -mavx2 -mfma include
 * it.
 */
#ifndef KM_KERNELS_AVX2_HELPERS_H
#define KM_KERNELS_AVX2_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "kernels/km_kernels.h"

/* ---- float: 8 lanes ---------------------------------------------------- */

/* Rows x[0 .. 8 d) into out[f] = feature f of the 8 rows: shuffles for
   d <= 4 (the loads cover exactly the 8 rows), gathers beyond. */
static inline __attribute__((always_inline)) void
simd_load_rows_f32(const float *x, size_t d, __m256 *out)
{
    switch (d) {
    case 1:
        out[0] = _mm256_loadu_ps(x);
        return;
    case 2: {
        /* [x0 y0 x1 y1 | x2 y2 x3 y3], [x4 y4 ... | ... y7] */
        const __m256 a = _mm256_loadu_ps(x), b = _mm256_loadu_ps(x + 8);
        /* [x0 x1 x4 x5 | x2 x3 x6 x7]: 64-bit pairs in order 0 2 1 3 */
        const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));

        out[0] = _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
        out[1] = _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
        return;
    }
    case 3: {
        /* a = [x0 y0 z0 x1 y1 z1 x2 y2], b = [z2 x3 y3 z3 x4 y4 z4 x5],
           c = [y5 z5 x6 y6 z6 x7 y7 z7]: two blends gather each feature
           in some order, one permutation restores it. */
        const __m256 a = _mm256_loadu_ps(x), b = _mm256_loadu_ps(x + 8),
                     c = _mm256_loadu_ps(x + 16);
        const __m256 tx = _mm256_blend_ps(_mm256_blend_ps(a, b, 0x92), c, 0x24);
        const __m256 ty = _mm256_blend_ps(_mm256_blend_ps(a, b, 0x24), c, 0x49);
        const __m256 tz = _mm256_blend_ps(_mm256_blend_ps(a, b, 0x49), c, 0x92);

        out[0] = _mm256_permutevar8x32_ps(
            tx, _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5));
        out[1] = _mm256_permutevar8x32_ps(
            ty, _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6));
        out[2] = _mm256_permutevar8x32_ps(
            tz, _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7));
        return;
    }
    case 4: {
        /* Two rows per load; 4 x 4 transposes within the 128-bit halves
           leave the rows in order 0 2 4 6 1 3 5 7. */
        const __m256 r01 = _mm256_loadu_ps(x), r23 = _mm256_loadu_ps(x + 8);
        const __m256 r45 = _mm256_loadu_ps(x + 16),
                     r67 = _mm256_loadu_ps(x + 24);
        const __m256 t0 = _mm256_unpacklo_ps(r01, r23),
                     t1 = _mm256_unpackhi_ps(r01, r23);
        const __m256 t2 = _mm256_unpacklo_ps(r45, r67),
                     t3 = _mm256_unpackhi_ps(r45, r67);
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);

        out[0] = _mm256_permutevar8x32_ps(
            _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), order);
        out[1] = _mm256_permutevar8x32_ps(
            _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)), order);
        out[2] = _mm256_permutevar8x32_ps(
            _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), order);
        out[3] = _mm256_permutevar8x32_ps(
            _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)), order);
        return;
    }
    default: {
        const int di = (int)d;
        const __m256i idx = _mm256_setr_epi32(0, di, 2 * di, 3 * di, 4 * di,
                                              5 * di, 6 * di, 7 * di);

        for (size_t f = 0; f < d; f++)
            out[f] = _mm256_i32gather_ps(x + f, idx, 4);
        return;
    }
    }
}

static inline __attribute__((always_inline)) size_t
simd_put_labels_f32(int32_t *p, __m256 idx)
{
    const __m256i nw = _mm256_cvttps_epi32(idx);
    const __m256i old = _mm256_loadu_si256((const __m256i *)(const void *)p);
    const unsigned same = (unsigned)_mm256_movemask_ps(
        _mm256_castsi256_ps(_mm256_cmpeq_epi32(nw, old)));

    _mm256_storeu_si256((__m256i *)(void *)p, nw);
    return (size_t)__builtin_popcount(~same & 0xffu);
}

static inline __attribute__((always_inline)) __m256d
simd_load4_f32(const float *x)
{
    return _mm256_cvtps_pd(_mm_loadu_ps(x));
}

/* Two floats as the low half of a vector (memcpy: x need not be 8-byte
   aligned). */
static inline __m128 simd_load2_f32(const float *x)
{
    double t;

    memcpy(&t, x, sizeof t);
    return _mm_castpd_ps(_mm_set_sd(t));
}

static inline __attribute__((always_inline)) __m256d
simd_row_chunk_f32(const float *x, size_t q, size_t d)
{
    const float *p = x + 4 * q;
    const __m128 one = _mm_set_ss(1.0f);

    if (4 * q + 4 <= d)
        return simd_load4_f32(p);
    switch (d - 4 * q) {
    case 0:
        return _mm256_setr_pd(1.0, 0.0, 0.0, 0.0);
    case 1: /* [x0 1 0 0] */
        return _mm256_cvtps_pd(_mm_unpacklo_ps(_mm_load_ss(p), one));
    case 2: /* [x0 x1 1 0] */
        return _mm256_cvtps_pd(_mm_movelh_ps(simd_load2_f32(p), one));
    default: /* [x0 x1 x2 1] */
        return _mm256_cvtps_pd(_mm_movelh_ps(
            simd_load2_f32(p), _mm_unpacklo_ps(_mm_load_ss(p + 2), one)));
    }
}

/* 8 x 8 values transposed in registers: a[i] = 8 values of row i becomes
   a[f] = value f of rows 0 .. 7. */
static inline __attribute__((always_inline)) void simd_tr_f32(__m256 *a)
{
    __m256 t[8], u[8];

    for (size_t i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(a[i], a[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(a[i], a[i + 1]);
    }
    for (size_t i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (size_t i = 0; i < 4; i++) {
        a[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        a[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* Rows X[0 .. m) (d features) into xt[f * KM_ROW_BLOCK + r], by 8 x 8
   blocks transposed in registers; the rest one value at a time. */
static inline void simd_transpose_f32(const float *X, size_t m, size_t d,
                                      float *xt)
{
    const size_t m8 = m / 8 * 8, d8 = d / 8 * 8;

    for (size_t r = 0; r < m8; r += 8)
        for (size_t f = 0; f < d8; f += 8) {
            __m256 a[8];

            for (size_t i = 0; i < 8; i++)
                a[i] = _mm256_loadu_ps(X + (r + i) * d + f);
            simd_tr_f32(a);
            for (size_t i = 0; i < 8; i++)
                _mm256_storeu_ps(xt + (f + i) * KM_ROW_BLOCK + r, a[i]);
        }
    for (size_t f = 0; f < d; f++)
        for (size_t r = f < d8 ? m8 : 0; r < m; r++)
            xt[f * KM_ROW_BLOCK + r] = X[r * d + f];
}

/* nr rows (a multiple of 8), rp[0 .. nr), into xt[f * nr + r] (for
   pp_block), by 8 x 8 blocks transposed in registers; the last d % 8
   features one value at a time. */
static inline __attribute__((always_inline)) void
simd_transpose_rows_f32(const float *const *rp, size_t nr, size_t d, float *xt)
{
    const size_t d8 = d / 8 * 8;

    for (size_t rb = 0; rb < nr; rb += 8)
        for (size_t f = 0; f < d8; f += 8) {
            __m256 a[8];

            for (size_t i = 0; i < 8; i++)
                a[i] = _mm256_loadu_ps(rp[rb + i] + f);
            simd_tr_f32(a);
            for (size_t i = 0; i < 8; i++)
                _mm256_storeu_ps(xt + (f + i) * nr + rb, a[i]);
        }
    for (size_t f = d8; f < d; f++)
        for (size_t r = 0; r < nr; r++)
            xt[f * nr + r] = rp[r][f];
}

/* k-means++ lane sums (km_kernels.h, pp_block): 16 values of consecutive
   rows, w[0 .. 16) their weights (NULL: 1), added to lanes L[0 .. 8) in
   double, rows 0-7 first, then 8-15. */
static inline __attribute__((always_inline)) void
simd_pp_add_f32(double *L, __m256 va, __m256 vb, const float *w)
{
    __m256d a0 = _mm256_cvtps_pd(_mm256_castps256_ps128(va));
    __m256d a1 = _mm256_cvtps_pd(_mm256_extractf128_ps(va, 1));
    __m256d b0 = _mm256_cvtps_pd(_mm256_castps256_ps128(vb));
    __m256d b1 = _mm256_cvtps_pd(_mm256_extractf128_ps(vb, 1));

    if (w != NULL) {
        a0 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(w)), a0);
        a1 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + 4)), a1);
        b0 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + 8)), b0);
        b1 = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + 12)), b1);
    }
    _mm256_storeu_pd(L,
                     _mm256_add_pd(_mm256_add_pd(_mm256_loadu_pd(L), a0), b0));
    _mm256_storeu_pd(
        L + 4, _mm256_add_pd(_mm256_add_pd(_mm256_loadu_pd(L + 4), a1), b1));
}

/* ---- double: 4 lanes --------------------------------------------------- */

static inline __attribute__((always_inline)) void
simd_load_rows_f64(const double *x, size_t d, __m256d *out)
{
    switch (d) {
    case 1:
        out[0] = _mm256_loadu_pd(x);
        return;
    case 2: {
        /* [x0 y0 | x1 y1], [x2 y2 | x3 y3] -> [x0 x2 | x1 x3] -> in order */
        const __m256d a = _mm256_loadu_pd(x), b = _mm256_loadu_pd(x + 4);

        out[0] = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b),
                                       _MM_SHUFFLE(3, 1, 2, 0));
        out[1] = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b),
                                       _MM_SHUFFLE(3, 1, 2, 0));
        return;
    }
    case 4: {
        const __m256d r0 = _mm256_loadu_pd(x), r1 = _mm256_loadu_pd(x + 4);
        const __m256d r2 = _mm256_loadu_pd(x + 8), r3 = _mm256_loadu_pd(x + 12);
        const __m256d t0 = _mm256_unpacklo_pd(r0, r1),
                      t1 = _mm256_unpackhi_pd(r0, r1);
        const __m256d t2 = _mm256_unpacklo_pd(r2, r3),
                      t3 = _mm256_unpackhi_pd(r2, r3);

        out[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
        out[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
        out[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
        out[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
        return;
    }
    default: {
        const int di = (int)d;
        const __m128i idx = _mm_setr_epi32(0, di, 2 * di, 3 * di);

        for (size_t f = 0; f < d; f++)
            out[f] = _mm256_i32gather_pd(x + f, idx, 8);
        return;
    }
    }
}

static inline __attribute__((always_inline)) size_t
simd_put_labels_f64(int32_t *p, __m256d idx)
{
    const __m128i nw = _mm256_cvttpd_epi32(idx);
    const __m128i old = _mm_loadu_si128((const __m128i *)(const void *)p);
    const unsigned same =
        (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(nw, old)));

    _mm_storeu_si128((__m128i *)(void *)p, nw);
    return (size_t)__builtin_popcount(~same & 0xfu);
}

static inline __attribute__((always_inline)) __m256d
simd_load4_f64(const double *x)
{
    return _mm256_loadu_pd(x);
}

static inline __attribute__((always_inline)) __m256d
simd_row_chunk_f64(const double *x, size_t q, size_t d)
{
    const double *p = x + 4 * q;

    if (4 * q + 4 <= d)
        return _mm256_loadu_pd(p);
    switch (d - 4 * q) {
    case 0:
        return _mm256_setr_pd(1.0, 0.0, 0.0, 0.0);
    case 1:
        return _mm256_setr_pd(p[0], 1.0, 0.0, 0.0);
    case 2:
        return _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(p)),
                                    _mm_setr_pd(1.0, 0.0), 1);
    default:
        return _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(p)),
                                    _mm_setr_pd(p[2], 1.0), 1);
    }
}

/* As simd_tr_f32, 4 x 4. */
static inline __attribute__((always_inline)) void simd_tr_f64(__m256d *a)
{
    const __m256d t0 = _mm256_unpacklo_pd(a[0], a[1]),
                  t1 = _mm256_unpackhi_pd(a[0], a[1]);
    const __m256d t2 = _mm256_unpacklo_pd(a[2], a[3]),
                  t3 = _mm256_unpackhi_pd(a[2], a[3]);

    a[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    a[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    a[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    a[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* As simd_transpose_f32, by 4 x 4 blocks. */
static inline void simd_transpose_f64(const double *X, size_t m, size_t d,
                                      double *xt)
{
    const size_t m4 = m / 4 * 4, d4 = d / 4 * 4;

    for (size_t r = 0; r < m4; r += 4)
        for (size_t f = 0; f < d4; f += 4) {
            __m256d a[4];

            for (size_t i = 0; i < 4; i++)
                a[i] = _mm256_loadu_pd(X + (r + i) * d + f);
            simd_tr_f64(a);
            for (size_t i = 0; i < 4; i++)
                _mm256_storeu_pd(xt + (f + i) * KM_ROW_BLOCK + r, a[i]);
        }
    for (size_t f = 0; f < d; f++)
        for (size_t r = f < d4 ? m4 : 0; r < m; r++)
            xt[f * KM_ROW_BLOCK + r] = X[r * d + f];
}

/* nr rows (a multiple of 4), rp[0 .. nr), into xt[f * nr + r], by 4 x 4
   blocks. */
static inline __attribute__((always_inline)) void
simd_transpose_rows_f64(const double *const *rp, size_t nr, size_t d,
                        double *xt)
{
    const size_t d4 = d / 4 * 4;

    for (size_t rb = 0; rb < nr; rb += 4)
        for (size_t f = 0; f < d4; f += 4) {
            __m256d a[4];

            for (size_t i = 0; i < 4; i++)
                a[i] = _mm256_loadu_pd(rp[rb + i] + f);
            simd_tr_f64(a);
            for (size_t i = 0; i < 4; i++)
                _mm256_storeu_pd(xt + (f + i) * nr + rb, a[i]);
        }
    for (size_t f = d4; f < d; f++)
        for (size_t r = 0; r < nr; r++)
            xt[f * nr + r] = rp[r][f];
}

/* As simd_pp_add_f32: 8 values of consecutive rows into lanes 0-7. */
static inline __attribute__((always_inline)) void
simd_pp_add_f64(double *L, __m256d va, __m256d vb, const double *w)
{
    if (w != NULL) {
        va = _mm256_mul_pd(_mm256_loadu_pd(w), va);
        vb = _mm256_mul_pd(_mm256_loadu_pd(w + 4), vb);
    }
    _mm256_storeu_pd(L, _mm256_add_pd(_mm256_loadu_pd(L), va));
    _mm256_storeu_pd(L + 4, _mm256_add_pd(_mm256_loadu_pd(L + 4), vb));
}

#endif
