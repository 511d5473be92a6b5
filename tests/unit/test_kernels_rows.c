/*
 * test_kernels_rows.c - the kernels that give one value per row (sq_norms,
 * label_dists) equal the reference bit for bit, for row counts with and
 * without a scalar tail and feature counts with and without a partial
 * vector; and an assignment pass gives the same labels, distances, sums
 * and inertia with every kernel and thread count, whether its labels are
 * shared out by blocks or by smaller pieces.  Elkan's kernels: pair_dists
 * is within the canonical error bound of the exact distance, and lb_scan
 * moves the bounds and lists the candidates as the reference does.
 */
#include <float.h>
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
#include "km_testdata.h"

/* Rows: one group pair (16 float / 8 double lanes) and tails; features:
   below one vector, whole vectors and partial ones. */
static const size_t ms[] = {1, 3, 8, 15, 16, 17, 31, 32, 45, 100};
static const size_t ds[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 33, 64, 65};
#define N_MS (sizeof ms / sizeof ms[0])
#define N_DS (sizeof ds / sizeof ds[0])

/* Values of mixed magnitudes (2^-12 .. 2^12 times a normal deviate), so
   that summing in another order changes the rounding. */
static double *mixed(size_t count, uint64_t seed)
{
    double *v = malloc(count * sizeof *v);
    km_rng r;

    km_rng_seed(&r, seed);
    for (size_t t = 0; t < count; t++)
        v[t] = ldexp(td_normal(&r), (int)km_rng_below(&r, 25) - 12);
    return v;
}

/* The reference's sums, written out here: feature order, no FMA. */
static float sq_f32(const float *x, const float *c, size_t d)
{
    float s = 0.0f;

    for (size_t f = 0; f < d; f++) {
        volatile float t = c != NULL ? x[f] - c[f] : x[f];
        volatile float tt = t * t;

        s += tt;
    }
    return s;
}

static double sq_f64(const double *x, const double *c, size_t d)
{
    double s = 0.0;

    for (size_t f = 0; f < d; f++) {
        volatile double t = c != NULL ? x[f] - c[f] : x[f];
        volatile double tt = t * t;

        s += tt;
    }
    return s;
}

static void test_rows_kernels_agree(void **state)
{
    const size_t k = 7;
    km_kernels_f32 r32, f32;
    km_kernels_f64 r64, f64;

    (void)state;
    km_kernels_get_f32(KM_KERNEL_REF, k, 8, &r32);
    km_kernels_get_f64(KM_KERNEL_REF, k, 8, &r64);
    /* Every other table takes the SIMD row kernels on a CPU with AVX2. */
    km_kernels_get_f32(KM_KERNEL_SIMD, k, 8, &f32);
    km_kernels_get_f64(KM_KERNEL_SIMD, k, 8, &f64);
    if (!km_cpu_has_avx2(1)) {
        assert_ptr_equal(f32.sq_norms, r32.sq_norms);
        skip();
    }
    assert_ptr_not_equal(f32.sq_norms, r32.sq_norms);
    assert_ptr_not_equal(f64.label_dists, r64.label_dists);
    for (size_t a = 0; a < N_MS; a++)
        for (size_t b = 0; b < N_DS; b++) {
            const size_t m = ms[a], d = ds[b];
            double *X = mixed(m * d, 100 + 17 * a + b);
            double *C = mixed(k * d, 900 + 17 * a + b);
            float *Xf = td_to_f32(X, m * d), *Cf = td_to_f32(C, k * d);
            int32_t *lab = malloc(m * sizeof *lab);
            double *o1 = malloc(m * sizeof *o1), *o2 = malloc(m * sizeof *o2);
            float *p1 = malloc(m * sizeof *p1), *p2 = malloc(m * sizeof *p2);
            km_rng r;

            km_rng_seed(&r, 5 + a + b);
            for (size_t i = 0; i < m; i++)
                lab[i] = (int32_t)km_rng_below(&r, k);

            r64.sq_norms(X, m, d, o1);
            f64.sq_norms(X, m, d, o2);
            assert_memory_equal(o1, o2, m * sizeof *o1);
            for (size_t i = 0; i < m; i++)
                assert_true(o1[i] == sq_f64(X + i * d, NULL, d));
            r32.sq_norms(Xf, m, d, p1);
            f32.sq_norms(Xf, m, d, p2);
            assert_memory_equal(p1, p2, m * sizeof *p1);
            for (size_t i = 0; i < m; i++)
                assert_true(p1[i] == sq_f32(Xf + i * d, NULL, d));

            r64.label_dists(X, m, d, C, lab, o1);
            f64.label_dists(X, m, d, C, lab, o2);
            assert_memory_equal(o1, o2, m * sizeof *o1);
            for (size_t i = 0; i < m; i++)
                assert_true(o1[i] ==
                            sq_f64(X + i * d, C + (size_t)lab[i] * d, d));
            r32.label_dists(Xf, m, d, Cf, lab, p1);
            f32.label_dists(Xf, m, d, Cf, lab, p2);
            assert_memory_equal(p1, p2, m * sizeof *p1);
            for (size_t i = 0; i < m; i++)
                assert_true(p1[i] ==
                            sq_f32(Xf + i * d, Cf + (size_t)lab[i] * d, d));
            free(X);
            free(C);
            free(Xf);
            free(Cf);
            free(lab);
            free(o1);
            free(o2);
            free(p1);
            free(p2);
        }
}

/* One pass of km_assign (labels, changes, distances, sums, inertia) with
   each kernel on 1, 2 and 3 threads equals the reference kernel's on one
   thread bit for bit.  The shapes have few blocks (their labels go by
   pieces on several threads), a partial last piece, and, for the fused
   kernel, rows kept transposed. */
static void test_assign_pass_same_bits(void **state)
{
    static const size_t sh[][3] = {
        {1797, 64, 50}, {700, 17, 9}, {333, 8, 70}, {1000, 3, 5}};
    const km_kernel_id ids[] = {KM_KERNEL_REF, KM_KERNEL_SIMD, KM_KERNEL_BLAS,
                                KM_KERNEL_DOT, KM_KERNEL_AUTO};

    (void)state;
    for (size_t s = 0; s < sizeof sh / sizeof sh[0]; s++) {
        const size_t n = sh[s][0], d = sh[s][1], k = sh[s][2];
        double *X = td_blobs(n, d, k / 2 + 1, 2.0, 60 + s);
        double *C = malloc(k * d * sizeof *C);
        double *w = malloc(n * sizeof *w);
        int32_t *l0 = malloc(n * sizeof *l0), *l1 = malloc(n * sizeof *l1);
        double *m0 = malloc(n * sizeof *m0), *m1 = malloc(n * sizeof *m1);
        double *s0 = malloc(k * d * sizeof *s0), *s1 = malloc(k * d * 8);
        double w0[128], w1[128], in0 = 0, in1 = 0, in2 = 0;
        size_t ch0 = 0, ch1 = 0;

        assert_true(k <= 128);
        for (size_t j = 0; j < k; j++) /* rows spread over the data */
            memcpy(C + j * d, X + (j * 37 % n) * d, d * sizeof *C);
        for (size_t i = 0; i < n; i++)
            w[i] = 0.25 + (double)(i % 5) * 0.5;
        for (size_t q = 0; q < sizeof ids / sizeof ids[0]; q++)
            for (int th = 1; th <= 3; th++) {
                km_problem_f64 p;

                assert_int_equal(
                    km_problem_setup_f64(&p, X, n, d, w, k, th, ids[q]), KM_OK);
                for (size_t i = 0; i < n; i++) /* some labels are kept */
                    l1[i] = (int32_t)(i % 3 == 0 ? i % k : k);
                assert_int_equal(
                    km_assign_f64(&p, C, l1, &ch1, m1, s1, w1, &in1), KM_OK);
                /* Inertia alone (no distances asked): the same sum. */
                assert_int_equal(
                    km_assign_f64(&p, C, l1, NULL, NULL, NULL, NULL, &in2),
                    KM_OK);
                assert_true(in1 == in2);
                assert_true(km_inertia_f64(&p, C, l1) == in1);
                km_problem_release_f64(&p);
                if (q == 0 && th == 1) {
                    memcpy(l0, l1, n * sizeof *l0);
                    memcpy(m0, m1, n * sizeof *m0);
                    memcpy(s0, s1, k * d * sizeof *s0);
                    memcpy(w0, w1, k * sizeof *w0);
                    in0 = in1;
                    ch0 = ch1;
                    for (size_t i = 0; i < n; i++)
                        assert_true(m0[i] == sq_f64(X + i * d,
                                                    C + (size_t)l0[i] * d, d));
                    continue;
                }
                assert_memory_equal(l0, l1, n * sizeof *l0);
                assert_memory_equal(m0, m1, n * sizeof *m0);
                assert_memory_equal(s0, s1, k * d * sizeof *s0);
                assert_memory_equal(w0, w1, k * sizeof *w0);
                assert_true(in0 == in1);
                assert_int_equal(ch0, ch1);
            }
        free(X);
        free(C);
        free(w);
        free(l0);
        free(l1);
        free(m0);
        free(m1);
        free(s0);
        free(s1);
    }
}

/* pair_dists: each value within (d + 3) eps, relative, of the exact
   distance (long double), for feature counts with and without partial
   vectors and for one to nine centers (groups of four and tails). */
static void test_pair_dists_bound(void **state)
{
    const size_t k = 9;
    km_kernels_f32 t32[2];
    km_kernels_f64 t64[2];

    (void)state;
    km_kernels_get_f32(KM_KERNEL_REF, k, 8, &t32[0]);
    km_kernels_get_f64(KM_KERNEL_REF, k, 8, &t64[0]);
    km_kernels_get_f32(KM_KERNEL_SIMD, k, 8, &t32[1]);
    km_kernels_get_f64(KM_KERNEL_SIMD, k, 8, &t64[1]);
    if (km_cpu_has_avx2(1))
        assert_ptr_not_equal(t32[1].pair_dists, t32[0].pair_dists);
    for (size_t b = 0; b < N_DS; b++) {
        const size_t d = ds[b];
        double *X = mixed(d, 300 + b), *C = mixed(k * d, 400 + b);
        float *Xf = td_to_f32(X, d), *Cf = td_to_f32(C, k * d);
        int32_t idx[9];

        for (size_t nidx = 1; nidx <= k; nidx++) {
            for (size_t q = 0; q < nidx; q++) /* some repeated, out of order */
                idx[q] = (int32_t)((q * 5 + nidx) % k);
            for (int t = 0; t < 2; t++) {
                double o[9];
                float of[9];

                t64[t].pair_dists(X, d, C, idx, nidx, o);
                t32[t].pair_dists(Xf, d, Cf, idx, nidx, of);
                for (size_t q = 0; q < nidx; q++) {
                    const size_t j = (size_t)idx[q];
                    long double e = 0, ef = 0;

                    for (size_t f = 0; f < d; f++) {
                        long double u = (long double)X[f] - C[j * d + f];
                        long double v = (long double)Xf[f] - Cf[j * d + f];

                        e += u * u;
                        ef += v * v;
                    }
                    assert_true(fabsl((long double)o[q] - e) <=
                                (long double)(d + 3) * DBL_EPSILON * e);
                    assert_true(fabsl((long double)of[q] - ef) <=
                                (long double)(d + 3) * FLT_EPSILON * ef);
                    if (t == 0) /* the reference is the canonical sum */
                        assert_true(of[q] == sq_f32(Xf, Cf + j * d, d));
                }
            }
        }
        free(X);
        free(C);
        free(Xf);
        free(Cf);
    }
}

/* lb_scan: the same moved bounds (bit for bit) and the same candidates as
   the reference, with bounds equal to the threshold (candidates: <=),
   below zero after the move (clamped), for k with and without tails. */
static void test_lb_scan_same(void **state)
{
    km_kernels_f32 r32, f32;
    km_kernels_f64 r64, f64;

    (void)state;
    km_kernels_get_f32(KM_KERNEL_REF, 8, 8, &r32);
    km_kernels_get_f64(KM_KERNEL_REF, 8, 8, &r64);
    km_kernels_get_f32(KM_KERNEL_SIMD, 8, 8, &f32);
    km_kernels_get_f64(KM_KERNEL_SIMD, 8, 8, &f64);
    if (km_cpu_has_avx2(1))
        assert_ptr_not_equal(f64.lb_scan, r64.lb_scan);
    for (size_t k = 1; k <= 70; k++)
        for (int moved = 0; moved < 2; moved++) {
            double l[70], sh[70], h[70], l1[70], l2[70];
            float lf[70], shf[70], hf[70], lf1[70], lf2[70];
            int32_t c1[70], c2[70];
            const double us = 1.0;
            km_rng r;
            size_t n1, n2;

            km_rng_seed(&r, 1000 + k * 2 + (size_t)moved);
            for (size_t j = 0; j < k; j++) {
                /* values on a grid of quarters: many equal to us */
                l[j] = 0.25 * (double)km_rng_below(&r, 9);
                sh[j] = 0.25 * (double)km_rng_below(&r, 3);
                h[j] = 0.25 * (double)km_rng_below(&r, 7);
                lf[j] = (float)l[j];
                shf[j] = (float)sh[j];
                hf[j] = (float)h[j];
            }
            memcpy(l1, l, sizeof l);
            memcpy(l2, l, sizeof l);
            n1 = r64.lb_scan(l1, moved ? sh : NULL, h, k, us, c1);
            n2 = f64.lb_scan(l2, moved ? sh : NULL, h, k, us, c2);
            assert_int_equal(n1, n2);
            assert_memory_equal(c1, c2, n1 * sizeof *c1);
            assert_memory_equal(l1, l2, k * sizeof *l1);
            for (size_t j = 0; j < k; j++) {
                const double v = moved ? l[j] - sh[j] : l[j];

                assert_true(l1[j] == (v > 0 ? v : 0));
            }
            memcpy(lf1, lf, sizeof lf);
            memcpy(lf2, lf, sizeof lf);
            n1 = r32.lb_scan(lf1, moved ? shf : NULL, hf, k, (float)us, c1);
            n2 = f32.lb_scan(lf2, moved ? shf : NULL, hf, k, (float)us, c2);
            assert_int_equal(n1, n2);
            assert_memory_equal(c1, c2, n1 * sizeof *c1);
            assert_memory_equal(lf1, lf2, k * sizeof *lf1);
            for (size_t q = 0, j = 0; j < k; j++)
                if (lf1[j] <= 1.0f && hf[j] <= 1.0f)
                    assert_int_equal(c1[q++], (int32_t)j);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_kernels_agree),
        cmocka_unit_test(test_assign_pass_same_bits),
        cmocka_unit_test(test_pair_dists_bound),
        cmocka_unit_test(test_lb_scan_same),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
