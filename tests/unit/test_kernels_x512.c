/*
 * test_kernels_x512.c - the AVX-512 kernels (src/kernels/km_kernels_avx512.c)
 * give the reference's results bit for bit: labels, distances and change
 * counts of the assignment, the argmin of GEMM blocks, canonical row
 * distances, k-means++ potentials and minima; and the fused expanded form
 * gives exactly the values of its defining sequence (a scalar model of
 * one lane, written out here).
 *
 * This machine may have no AVX-512, so the kernels are compiled a second
 * time for this test against SIMDe's portable AVX-512 (km_x512_emu.c:
 * the same source, names *_x512emu_*).  On a CPU with AVX-512F the
 * library runs the native build, and the other tests cover it through the
 * kernel tables.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmeans.h"
#include "algo/km_algo.h"
#include "common/km_common.h"
#include "kernels/km_kernels_simd.h"
#include "km_testdata.h"

/* km_x512_emu.c's kernels. */
KM_X512_DECLS(float, x512emu_f32)
KM_X512_DECLS(double, x512emu_f64)

/* Rows: below, at and past one and two vectors (16 float / 8 double
   lanes) and whole blocks; features and centers: each load_rows case,
   gathers, and counts that leave partial groups. */
static const size_t ms[] = {1, 7, 15, 16, 17, 31, 32, 33, 47, 64, 100, 256};
static const size_t ds[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16};
static const size_t ks[] = {1, 2, 3, 5, 8, 13, 17, 40};
#define N_MS (sizeof ms / sizeof ms[0])
#define N_DS (sizeof ds / sizeof ds[0])
#define N_KS (sizeof ks / sizeof ks[0])

/* Values on a coarse grid (many exact ties between distances) or of
   mixed magnitudes (2^-8 .. 2^8 times a normal deviate). */
static double draw(km_rng *r, int grid)
{
    if (grid)
        return (double)((int)km_rng_below(r, 9) - 4);
    return ldexp(td_normal(r), (int)km_rng_below(r, 17) - 8);
}

/* Equal bits (NaN never occurs here; -0 and +0 differ). */
static int same_f32(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_f64(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* One lane of the fused expanded form (km_simd_impl's dot_argmin2_body):
   acc = fma(x_f, c_f, acc) in feature order, v = fma(-2, acc, cn_j), then
   the running smallest (strictly smaller replaces, with its index) and
   second smallest (min(m2, max(m1, v)), the vector min/max: a < b ? a : b
   and a > b ? a : b). */
#define DOT_MODEL(REAL, FMA, SFX)                                              \
    static void dot_model_##SFX(const REAL *X, size_t m, size_t d,             \
                                const REAL *C, const REAL *cn, size_t k,       \
                                int32_t *best, REAL *b1, REAL *b2)             \
    {                                                                          \
        for (size_t r = 0; r < m; r++) {                                       \
            REAL m1 = (REAL)INFINITY, m2 = (REAL)INFINITY;                     \
            int32_t ix = 0;                                                    \
                                                                               \
            for (size_t j = 0; j < k; j++) {                                   \
                REAL acc = 0, v, mx;                                           \
                                                                               \
                for (size_t f = 0; f < d; f++)                                 \
                    acc = FMA(X[r * d + f], C[j * d + f], acc);                \
                v = FMA((REAL)-2, acc, cn[j]);                                 \
                mx = m1 > v ? m1 : v;                                          \
                m2 = m2 < mx ? m2 : mx;                                        \
                if (v < m1) {                                                  \
                    m1 = v;                                                    \
                    ix = (int32_t)j;                                           \
                }                                                              \
            }                                                                  \
            best[r] = ix;                                                      \
            b1[r] = m1;                                                        \
            b2[r] = m2;                                                        \
        }                                                                      \
    }
DOT_MODEL(float, fmaf, f32)
DOT_MODEL(double, fma, f64)

/*
 * The checks for one precision, over every shape: assignment (labels,
 * distances, change count against random previous labels), argmin2 (the
 * values; the index may be any of equal minima), row_dists, dot_argmin2
 * (against the model) and pp_block (lanes and minima; rows consecutive
 * or gathered, with and without closest and weights).
 */
#define X512_CHECKS(REAL, SFX)                                                 \
    static void test_x512_##SFX(void **state)                                  \
    {                                                                          \
        km_rng r;                                                              \
        size_t cases = 0;                                                      \
                                                                               \
        (void)state;                                                           \
        km_rng_seed(&r, 512);                                                  \
        for (size_t a = 0; a < N_DS; a++)                                      \
            for (size_t b = 0; b < N_KS; b++)                                  \
                for (size_t c = 0; c < N_MS; c++) {                            \
                    const size_t d = ds[a], k = ks[b], m = ms[c];              \
                    const size_t kp =                                          \
                        (k + KM_CT_PAD - 1) / KM_CT_PAD * KM_CT_PAD;           \
                    const int grid = (int)((a + b + c) % 2);                   \
                    const size_t t = 1 + (a + c) % 11;                         \
                    km_kernels_##SFX ref;                                      \
                    REAL *X = malloc(m * d * sizeof *X);                       \
                    REAL *C = malloc(k * d * sizeof *C);                       \
                    REAL *Ct = calloc(kp * d, sizeof *Ct);                     \
                    REAL *cn = malloc(k * sizeof *cn);                         \
                    REAL *D = malloc(m * k * sizeof *D);                       \
                    REAL *o1 = malloc(m * k * sizeof *o1);                     \
                    REAL *o2 = malloc(m * k * sizeof *o2);                     \
                    REAL *xt = calloc(KM_ROW_BLOCK * d, sizeof *xt);           \
                    REAL *v1 = malloc(m * sizeof *v1),                         \
                         *v2 = malloc(m * sizeof *v2);                         \
                    REAL *u1 = malloc(m * sizeof *u1),                         \
                         *u2 = malloc(m * sizeof *u2);                         \
                    REAL *cl = malloc(m * sizeof *cl),                         \
                         *w = malloc(m * sizeof *w);                           \
                    REAL *nm1 = malloc(t * m * sizeof *nm1);                   \
                    REAL *nm2 = malloc(t * m * sizeof *nm2);                   \
                    REAL *scratch =                                            \
                        malloc(KM_ROW_BLOCK * d * sizeof *scratch);            \
                    int32_t *l1 = malloc(m * sizeof *l1),                      \
                            *l2 = malloc(m * sizeof *l2);                      \
                    int32_t *i1 = malloc(m * sizeof *i1),                      \
                            *i2 = malloc(m * sizeof *i2);                      \
                    uint32_t *sel = malloc(m * sizeof *sel);                   \
                    double L1[11 * KM_PP_LANES], L2[11 * KM_PP_LANES];         \
                    size_t ch1, ch2;                                           \
                                                                               \
                    km_kernels_get_##SFX(KM_KERNEL_REF, k, d, &ref);           \
                    for (size_t q = 0; q < m * d; q++)                         \
                        X[q] = (REAL)draw(&r, grid);                           \
                    for (size_t q = 0; q < k * d; q++)                         \
                        C[q] = (REAL)draw(&r, grid);                           \
                    if (k > 2) /* two equal centers: ties */                   \
                        memcpy(C + (k - 1) * d, C + d, d * sizeof *C);         \
                    for (size_t j = 0; j < k; j++) {                           \
                        REAL s = 0;                                            \
                                                                               \
                        for (size_t f = 0; f < d; f++) {                       \
                            Ct[f * kp + j] = C[j * d + f];                     \
                            s += C[j * d + f] * C[j * d + f];                  \
                        }                                                      \
                        cn[j] = s;                                             \
                    }                                                          \
                    /* assignment */                                           \
                    for (size_t i = 0; i < m; i++)                             \
                        l1[i] = l2[i] = (int32_t)km_rng_below(&r, k);          \
                    ch1 = ref.assign_block(X, m, d, C, k, l1, v1);             \
                    ch2 = km_simd_assign_x512emu_##SFX(X, m, d, C, k, l2, v2); \
                    assert_int_equal(ch1, ch2);                                \
                    for (size_t i = 0; i < m; i++) {                           \
                        assert_int_equal(l1[i], l2[i]);                        \
                        assert_true(same_##SFX(v1[i], v2[i]));                 \
                    }                                                          \
                    /* argmin2 of a block of values */                         \
                    for (size_t q = 0; q < m * k; q++)                         \
                        D[q] = (REAL)draw(&r, grid);                           \
                    ref.argmin2(D, cn, m, k, i1, v1, v2);                      \
                    km_simd_argmin2_x512emu_##SFX(D, cn, m, k, i2, u1, u2);    \
                    for (size_t i = 0; i < m; i++) {                           \
                        const size_t j = (size_t)i2[i];                        \
                                                                               \
                        assert_true(j < k);                                    \
                        assert_true(same_##SFX(v1[i], u1[i]));                 \
                        assert_true(same_##SFX(v2[i], u2[i]));                 \
                        assert_true(same_##SFX(D[i * k + j] + cn[j], u1[i]));  \
                    }                                                          \
                    /* canonical row distances */                              \
                    ref.row_dists(X, m, Ct, kp, d, k, o1);                     \
                    km_simd_row_dists_x512emu_##SFX(X, m, Ct, kp, d, k, o2);   \
                    for (size_t q = 0; q < m * k; q++)                         \
                        assert_true(same_##SFX(o1[q], o2[q]));                 \
                    /* fused expanded form, from the transposed rows */        \
                    for (size_t f = 0; f < d; f++)                             \
                        for (size_t i = 0; i < m; i++)                         \
                            xt[f * KM_ROW_BLOCK + i] = X[i * d + f];           \
                    dot_model_##SFX(X, m, d, C, cn, k, i1, v1, v2);            \
                    km_simd_dot_argmin2_x512emu_##SFX(xt, m, d, C, cn, k, i2,  \
                                                      u1, u2);                 \
                    for (size_t i = 0; i < m; i++) {                           \
                        assert_int_equal(i1[i], i2[i]);                        \
                        assert_true(same_##SFX(v1[i], u1[i]));                 \
                        assert_true(same_##SFX(v2[i], u2[i]));                 \
                    }                                                          \
                    /* k-means++ potentials: C's first min(t, k) rows as       \
                       candidates (t <= 11 <= the rows drawn below) */         \
                    {                                                          \
                        const size_t tc = t < k ? t : k;                       \
                        const int gather = (int)(c % 2),                       \
                                  useful = (int)(a % 2);                       \
                        size_t ms2 = 0;                                        \
                                                                               \
                        for (size_t i = 0; i < m; i++) {                       \
                            cl[i] = (REAL)fabs(draw(&r, 0)) * (REAL)d;         \
                            w[i] = (REAL)(0.25 + km_rng_uniform(&r));          \
                            if (!gather || km_rng_below(&r, 3) != 0)           \
                                sel[ms2++] = (uint32_t)i;                      \
                        }                                                      \
                        if (ms2 == 0)                                          \
                            sel[ms2++] = 0;                                    \
                        for (int pass = 0; pass < 2; pass++) {                 \
                            const REAL *clp = pass ? cl : NULL;                \
                            const REAL *wp = useful ? w : NULL;                \
                            const uint32_t *sp = gather ? sel : NULL;          \
                            const size_t mm = gather ? ms2 : m;                \
                                                                               \
                            for (size_t q = 0; q < 11 * KM_PP_LANES; q++)      \
                                L1[q] = L2[q] = (double)q;                     \
                            ref.pp_block(X, sp, mm, d, C, tc, clp, wp, nm1,    \
                                         mm, L1, scratch);                     \
                            km_simd_pp_block_x512emu_##SFX(X, sp, mm, d, C,    \
                                                           tc, clp, wp, nm2,   \
                                                           mm, L2, scratch);   \
                            for (size_t q = 0; q < tc * KM_PP_LANES; q++)      \
                                assert_true(same_f64(L1[q], L2[q]));           \
                            for (size_t q = 0; q < tc * mm; q++)               \
                                assert_true(same_##SFX(nm1[q], nm2[q]));       \
                        }                                                      \
                    }                                                          \
                    cases++;                                                   \
                    free(X);                                                   \
                    free(C);                                                   \
                    free(Ct);                                                  \
                    free(cn);                                                  \
                    free(D);                                                   \
                    free(o1);                                                  \
                    free(o2);                                                  \
                    free(xt);                                                  \
                    free(v1);                                                  \
                    free(v2);                                                  \
                    free(u1);                                                  \
                    free(u2);                                                  \
                    free(cl);                                                  \
                    free(w);                                                   \
                    free(nm1);                                                 \
                    free(nm2);                                                 \
                    free(scratch);                                             \
                    free(l1);                                                  \
                    free(l2);                                                  \
                    free(i1);                                                  \
                    free(i2);                                                  \
                    free(sel);                                                 \
                }                                                              \
        assert_int_equal(cases, N_DS *N_KS *N_MS);                             \
    }
X512_CHECKS(float, f32)
X512_CHECKS(double, f64)

/* The model of the fused form is the AVX2 kernel's too (where it runs):
   so the AVX-512 and AVX2 tables give the same labels. */
static void test_dot_model_is_avx2(void **state)
{
    const size_t m = 100, d = 9, k = 13;
    km_rng r;
    float X[100 * 9], C[13 * 9], cn[13], xt[KM_ROW_BLOCK * 9];
    float v1[100], v2[100], u1[100], u2[100];
    int32_t i1[100], i2[100];

    (void)state;
    if (!km_cpu_has_avx2(1))
        skip();
    km_rng_seed(&r, 2);
    for (size_t q = 0; q < m * d; q++)
        X[q] = (float)draw(&r, 0);
    for (size_t q = 0; q < k * d; q++)
        C[q] = (float)draw(&r, 0);
    for (size_t j = 0; j < k; j++) {
        cn[j] = 0;
        for (size_t f = 0; f < d; f++)
            cn[j] += C[j * d + f] * C[j * d + f];
    }
    km_simd_transpose_f32(X, m, d, xt);
    dot_model_f32(X, m, d, C, cn, k, i1, v1, v2);
    km_simd_dot_argmin2_f32(xt, m, d, C, cn, k, i2, u1, u2);
    for (size_t i = 0; i < m; i++) {
        assert_int_equal(i1[i], i2[i]);
        assert_true(same_f32(v1[i], u1[i]));
        assert_true(same_f32(v2[i], u2[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x512_f32),
        cmocka_unit_test(test_x512_f64),
        cmocka_unit_test(test_dot_model_is_avx2),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
