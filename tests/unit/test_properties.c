/*
 * test_properties.c - properties the algorithms must keep on any data:
 * Elkan, Hamerly and Yinyang equal Lloyd from the same start, row order does
 * not matter, integer weights equal repeated rows, any thread count gives the
 * same bits, and every kernel gives the canonical labels.
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
#include "km_testdata.h"

typedef struct shape {
    size_t n, d, k, blobs;
    double sd;
} shape;

/* From tiny to sizes that use several row blocks, the BLAS kernel
   (d, k >= 16) and many clusters. */
static const shape shapes[] = {
    {50, 1, 3, 3, 1.0},     {300, 2, 5, 5, 0.7},     {1000, 3, 8, 4, 2.0},
    {2000, 8, 12, 12, 1.5}, {1500, 20, 16, 10, 3.0}, {3000, 32, 40, 25, 2.5},
    {700, 64, 20, 5, 4.0},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static km_model *fit_from(const double *X, size_t n, size_t d, size_t k,
                          const double *w, const double *init,
                          km_algorithm algo, int threads, double tol,
                          int32_t *labels)
{
    km_params p;
    km_model *m = NULL;

    km_params_init(&p);
    p.n_clusters = (int)k;
    p.init = KM_INIT_ARRAY;
    p.init_centers = init;
    p.algorithm = algo;
    p.n_threads = threads;
    p.tol = tol;
    assert_int_equal(km_fit_f64(&p, X, n, d, w, &m, labels), KM_OK);
    return m;
}

static double *first_rows_init(const double *X, size_t k, size_t d,
                               size_t stride)
{
    double *init = malloc(k * d * sizeof *init);

    for (size_t j = 0; j < k; j++)
        memcpy(init + j * d, X + j * stride * d, d * sizeof *init);
    return init;
}

static void test_elkan_equals_lloyd(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SHAPES; s++) {
        const shape *sh = &shapes[s];
        double *X = td_blobs(sh->n, sh->d, sh->blobs, sh->sd, 100 + s);
        double *init = first_rows_init(X, sh->k, sh->d, 1);
        int32_t *la = malloc(sh->n * sizeof *la);
        int32_t *lb = malloc(sh->n * sizeof *lb);
        int32_t *lh = malloc(sh->n * sizeof *lh);
        int32_t *ly = malloc(sh->n * sizeof *ly);
        double *ca = malloc(sh->k * sh->d * sizeof *ca);
        double *cb = malloc(sh->k * sh->d * sizeof *cb);

        for (int t = 0; t < 2; t++) {
            double tol = t == 0 ? 0.0 : 1e-4;
            km_model *ma = fit_from(X, sh->n, sh->d, sh->k, NULL, init,
                                    KM_ALGO_LLOYD, 0, tol, la);
            km_model *mb = fit_from(X, sh->n, sh->d, sh->k, NULL, init,
                                    KM_ALGO_ELKAN, 0, tol, lb);
            km_model *mh = fit_from(X, sh->n, sh->d, sh->k, NULL, init,
                                    KM_ALGO_HAMERLY, 0, tol, lh);
            km_model *my = fit_from(X, sh->n, sh->d, sh->k, NULL, init,
                                    KM_ALGO_YINYANG, 0, tol, ly);

            assert_memory_equal(la, lb, sh->n * sizeof *la);
            assert_memory_equal(la, lh, sh->n * sizeof *la);
            assert_memory_equal(la, ly, sh->n * sizeof *la);
            km_model_centers_f64(ma, ca);
            km_model_centers_f64(mb, cb);
            assert_memory_equal(ca, cb, sh->k * sh->d * sizeof *ca);
            km_model_centers_f64(mh, cb);
            assert_memory_equal(ca, cb, sh->k * sh->d * sizeof *ca);
            km_model_centers_f64(my, cb);
            assert_memory_equal(ca, cb, sh->k * sh->d * sizeof *ca);
            assert_true(km_model_inertia(ma) == km_model_inertia(mb));
            assert_true(km_model_inertia(ma) == km_model_inertia(mh));
            assert_true(km_model_inertia(ma) == km_model_inertia(my));
            assert_int_equal(km_model_n_iter(ma), km_model_n_iter(mb));
            assert_int_equal(km_model_n_iter(ma), km_model_n_iter(mh));
            assert_int_equal(km_model_n_iter(ma), km_model_n_iter(my));
            km_model_free(mb);
            km_model_free(mh);
            km_model_free(my);
            /* auto picks one of them by k and d: the same result again */
            mb = fit_from(X, sh->n, sh->d, sh->k, NULL, init, KM_ALGO_AUTO, 0,
                          tol, lb);
            assert_memory_equal(la, lb, sh->n * sizeof *la);
            assert_true(km_model_inertia(ma) == km_model_inertia(mb));
            km_model_free(ma);
            km_model_free(mb);
        }
        free(X);
        free(init);
        free(la);
        free(lb);
        free(lh);
        free(ly);
        free(ca);
        free(cb);
    }
}

static void test_elkan_equals_lloyd_ties_f32(void **state)
{
    /* Integer grid points with duplicates: many exact distance ties, which
       must go to the lowest center index in both algorithms. */
    const size_t n = 900, d = 2, k = 9;
    float *X = malloc(n * d * sizeof *X);
    double init[18];
    int32_t la[900], lb[900];
    km_rng r;

    (void)state;
    km_rng_seed(&r, 5);
    for (size_t t = 0; t < n * d; t++)
        X[t] = (float)km_rng_below(&r, 7);
    for (size_t t = 0; t < k * d; t++)
        init[t] = (double)(t % 2 ? t / 2 : (t * 3) % 7);
    for (int pass = 0; pass < 2; pass++) {
        km_params p;
        km_model *ma, *mb;

        km_params_init(&p);
        p.n_clusters = (int)k;
        p.init = KM_INIT_ARRAY;
        p.init_centers = init;
        p.tol = 0;
        p.algorithm = KM_ALGO_LLOYD;
        p.n_threads = pass + 1;
        assert_int_equal(km_fit_f32(&p, X, n, d, NULL, &ma, la), KM_OK);
        p.algorithm = KM_ALGO_ELKAN;
        assert_int_equal(km_fit_f32(&p, X, n, d, NULL, &mb, lb), KM_OK);
        assert_memory_equal(la, lb, sizeof la);
        assert_true(km_model_inertia(ma) == km_model_inertia(mb));
        km_model_free(mb);
        p.algorithm = KM_ALGO_HAMERLY;
        assert_int_equal(km_fit_f32(&p, X, n, d, NULL, &mb, lb), KM_OK);
        assert_memory_equal(la, lb, sizeof la);
        assert_true(km_model_inertia(ma) == km_model_inertia(mb));
        km_model_free(mb);
        p.algorithm = KM_ALGO_YINYANG;
        assert_int_equal(km_fit_f32(&p, X, n, d, NULL, &mb, lb), KM_OK);
        assert_memory_equal(la, lb, sizeof la);
        assert_true(km_model_inertia(ma) == km_model_inertia(mb));
        km_model_free(ma);
        km_model_free(mb);
    }
    free(X);
}

/* Lloyd, then Elkan, Hamerly and Yinyang, from C0 on data Xv with kernel
   ids[q] and th threads: the same labels, centers, inertia and
   iterations. */
#define BOUNDS_VS_LLOYD(SFX, Xv, C0, C1, C2)                                   \
    do {                                                                       \
        km_problem_##SFX p;                                                    \
        km_run_result r1, r2;                                                  \
                                                                               \
        assert_int_equal(                                                      \
            km_problem_setup_##SFX(&p, Xv, n, d, NULL, k, th, ids[q]), KM_OK); \
        memcpy(C1, C0, k *d * sizeof *C1);                                     \
        assert_int_equal(km_lloyd_##SFX(&p, C1, 50, 0, NULL, l1, &r1), KM_OK); \
        for (int algo = 0; algo < 3; algo++) {                                 \
            memcpy(C2, C0, k *d * sizeof *C2);                                 \
            assert_int_equal((algo == 0   ? km_elkan_##SFX                     \
                              : algo == 1 ? km_hamerly_##SFX                   \
                                          : km_yinyang_##SFX)(&p, C2, 50, 0,   \
                                                              NULL, l2, &r2),  \
                             KM_OK);                                           \
            assert_memory_equal(l1, l2, sizeof l1);                            \
            assert_memory_equal(C1, C2, k *d * sizeof *C1);                    \
            assert_true(r1.inertia == r2.inertia);                             \
            assert_int_equal(r1.n_iter, r2.n_iter);                            \
        }                                                                      \
        km_problem_release_##SFX(&p);                                          \
    } while (0)

/* Elkan's and Yinyang's first passes and Hamerly's scans through the GEMM
   form (BLAS and the fused kernel's tables): Lloyd's result bit for bit, in
   both precisions, on one and two threads; near the origin the bounds come from
   the GEMM values, far from it (1e3 added) float's error bound exceeds the
   distances, so every row goes through the canonical re-check. */
static void test_bounds_gemm_form(void **state)
{
    const size_t n = 700, d = 20, k = 24;
    const km_kernel_id ids[] = {KM_KERNEL_BLAS, KM_KERNEL_DOT};

    (void)state;
    for (int far = 0; far < 2; far++) {
        double *X = td_blobs(n, d, 8, 1.5, 900 + (uint64_t)far);
        double *C0, *C1, *C2;
        float *Xf, *Cf0, *Cf1, *Cf2;
        int32_t l1[700], l2[700];

        for (size_t t = 0; t < n * d && far; t++)
            X[t] += 1e3;
        C0 = first_rows_init(X, k, d, 3);
        Xf = td_to_f32(X, n * d);
        Cf0 = td_to_f32(C0, k * d);
        C1 = malloc(k * d * sizeof *C1);
        C2 = malloc(k * d * sizeof *C2);
        Cf1 = malloc(k * d * sizeof *Cf1);
        Cf2 = malloc(k * d * sizeof *Cf2);
        for (size_t q = 0; q < sizeof ids / sizeof ids[0]; q++)
            for (int th = 1; th <= 2; th++) {
                BOUNDS_VS_LLOYD(f64, X, C0, C1, C2);
                BOUNDS_VS_LLOYD(f32, Xf, Cf0, Cf1, Cf2);
            }
        free(X);
        free(Xf);
        free(C0);
        free(C1);
        free(C2);
        free(Cf0);
        free(Cf1);
        free(Cf2);
    }
}

/* Yinyang with enough clusters for several groups (k = 120: 6 groups), in
   both precisions, against Lloyd bit for bit, for 1 and 3 threads: exact
   ties (a third of the rows on an integer grid), an empty cluster at the
   first update (two equal initial centers: the second gets no row and is
   relocated), more iterations than the drift history holds (32), and
   runs stopped by tol and by max_iter (which end with one more
   assignment). */
static void test_yinyang_many_clusters(void **state)
{
    const size_t n = 6000, d = 2, k = 120;
    double *X = malloc(n * d * sizeof *X);
    double *init = malloc(k * d * sizeof *init);
    float *Xf;
    int32_t *la = malloc(n * sizeof *la), *ly = malloc(n * sizeof *ly);
    double *ca = malloc(k * d * sizeof *ca), *cy = malloc(k * d * sizeof *cy);
    const double tols[3] = {0.0, 1e-6, 0.0};
    const int iters[3] = {300, 300, 17};
    int longest = 0;
    km_rng r;

    (void)state;
    km_rng_seed(&r, 77);
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < d; f++)
            X[i * d + f] = i % 3 == 0 ? (double)km_rng_below(&r, 40)
                                      : 40.0 * km_rng_uniform(&r);
    for (size_t j = 0; j < k; j++)
        memcpy(init + j * d, X + (j * 37 % n) * d, d * sizeof *init);
    memcpy(init + 5 * d, init + 2 * d, d * sizeof *init);
    Xf = td_to_f32(X, n * d);
    for (int prec = 0; prec < 2; prec++) {
        for (int c = 0; c < 3; c++) {
            for (int threads = 1; threads <= 3; threads += 2) {
                km_params p;
                km_model *ma, *my;

                km_params_init(&p);
                p.n_clusters = (int)k;
                p.init = KM_INIT_ARRAY;
                p.init_centers = init;
                p.tol = tols[c];
                p.max_iter = iters[c];
                p.n_threads = threads;
                p.algorithm = KM_ALGO_LLOYD;
                assert_int_equal(prec ? km_fit_f32(&p, Xf, n, d, NULL, &ma, la)
                                      : km_fit_f64(&p, X, n, d, NULL, &ma, la),
                                 KM_OK);
                p.algorithm = KM_ALGO_YINYANG;
                assert_int_equal(prec ? km_fit_f32(&p, Xf, n, d, NULL, &my, ly)
                                      : km_fit_f64(&p, X, n, d, NULL, &my, ly),
                                 KM_OK);
                assert_memory_equal(la, ly, n * sizeof *la);
                km_model_centers_f64(ma, ca);
                km_model_centers_f64(my, cy);
                assert_memory_equal(ca, cy, k * d * sizeof *ca);
                assert_true(km_model_inertia(ma) == km_model_inertia(my));
                assert_int_equal(km_model_n_iter(ma), km_model_n_iter(my));
                if (km_model_n_iter(ma) > longest)
                    longest = km_model_n_iter(ma);
                km_model_free(ma);
                km_model_free(my);
            }
        }
    }
    /* The data must keep Lloyd busy past the drift history (33 updates:
       KM_YY_HIST in km_yinyang_impl.h, then one that empties it). */
    assert_true(longest > 33);
    free(X);
    free(Xf);
    free(init);
    free(la);
    free(ly);
    free(ca);
    free(cy);
}

/* What auto means (docs/library.md): Hamerly through the fused kernel
   from 50 clusters and 10000 rows, through BLAS from 100 clusters and
   10000 rows, Lloyd otherwise; explicit choices stay.  And fit's choice
   of kernel feeds it. */
static void test_auto_rule(void **state)
{
    const int F = KM_FORM_FUSED, B = KM_FORM_BLAS, E = KM_FORM_EXACT;
    km_kernels_f32 t;

    (void)state;
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 200000, 100, F),
                     KM_ALGO_HAMERLY);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 10000, 50, F),
                     KM_ALGO_HAMERLY);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 9999, 50, F),
                     KM_ALGO_LLOYD);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 10000, 49, F),
                     KM_ALGO_LLOYD);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 200000, 100, E),
                     KM_ALGO_LLOYD);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 1797, 50, F),
                     KM_ALGO_LLOYD);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 100000, 1000, B),
                     KM_ALGO_HAMERLY); /* W5 */
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 10000, 100, B),
                     KM_ALGO_HAMERLY);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 100000, 99, B),
                     KM_ALGO_LLOYD);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 9999, 1000, B),
                     KM_ALGO_LLOYD);
    assert_int_equal(km_choose_algorithm(KM_ALGO_AUTO, 1000000, 100, E),
                     KM_ALGO_LLOYD);
    assert_int_equal(km_choose_algorithm(KM_ALGO_HAMERLY, 1000000, 100, E),
                     KM_ALGO_HAMERLY);
    assert_int_equal(km_choose_algorithm(KM_ALGO_YINYANG, 1000, 5, F),
                     KM_ALGO_YINYANG);
    /* W4's and W6's shapes take the fused kernel where the CPU has it */
    km_kernels_get_f32(KM_KERNEL_AUTO, 100, 32, &t);
    assert_int_equal(t.dot_argmin2 != NULL, km_cpu_has_avx2(1));
    km_kernels_get_f32(KM_KERNEL_AUTO, 100, 16, &t);
    assert_int_equal(t.dot_argmin2 != NULL, km_cpu_has_avx2(1));
    km_kernels_get_f32(KM_KERNEL_AUTO, 100, 2, &t);
    assert_null(t.dot_argmin2);
}

static void test_shuffle_rows(void **state)
{
    (void)state;
    for (size_t s = 1; s < N_SHAPES; s += 2) {
        const shape *sh = &shapes[s];
        double *X = td_blobs(sh->n, sh->d, sh->blobs, sh->sd, 200 + s);
        double *Y = malloc(sh->n * sh->d * sizeof *Y);
        double *init = first_rows_init(X, sh->k, sh->d, 3);
        size_t *perm = malloc(sh->n * sizeof *perm);
        int32_t *lx = malloc(sh->n * sizeof *lx);
        int32_t *ly = malloc(sh->n * sizeof *ly);
        double *cx = malloc(sh->k * sh->d * sizeof *cx);
        double *cy = malloc(sh->k * sh->d * sizeof *cy);
        km_model *mx, *my;
        km_rng r;

        km_rng_seed(&r, 77);
        for (size_t i = 0; i < sh->n; i++)
            perm[i] = i;
        for (size_t i = sh->n - 1; i > 0; i--) {
            size_t j = (size_t)km_rng_below(&r, i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (size_t i = 0; i < sh->n; i++)
            memcpy(Y + i * sh->d, X + perm[i] * sh->d, sh->d * sizeof *Y);
        mx = fit_from(X, sh->n, sh->d, sh->k, NULL, init, KM_ALGO_LLOYD, 0, 0.0,
                      lx);
        my = fit_from(Y, sh->n, sh->d, sh->k, NULL, init, KM_ALGO_LLOYD, 0, 0.0,
                      ly);
        for (size_t i = 0; i < sh->n; i++)
            assert_int_equal(ly[i], lx[perm[i]]);
        km_model_centers_f64(mx, cx);
        km_model_centers_f64(my, cy);
        for (size_t t = 0; t < sh->k * sh->d; t++)
            assert_true(fabs(cx[t] - cy[t]) <= 1e-12 * (1 + fabs(cx[t])));
        assert_true(fabs(km_model_inertia(mx) - km_model_inertia(my)) <=
                    1e-12 * km_model_inertia(mx));
        km_model_free(mx);
        km_model_free(my);
        free(X);
        free(Y);
        free(init);
        free(perm);
        free(lx);
        free(ly);
        free(cx);
        free(cy);
    }
}

static void test_integer_weights_repeat_rows(void **state)
{
    const size_t n = 400, d = 3, k = 6;
    double *X = td_blobs(n, d, 6, 1.2, 300);
    double *w = malloc(n * sizeof *w);
    double *R = malloc(4 * n * d * sizeof *R);
    double *init = first_rows_init(X, k, d, 5);
    int32_t *lw = malloc(n * sizeof *lw), *lr = malloc(4 * n * sizeof *lr);
    double cw[18], cr[18];
    size_t m = 0;
    km_rng r;

    (void)state;
    km_rng_seed(&r, 9);
    for (size_t i = 0; i < n; i++) {
        w[i] = (double)(1 + km_rng_below(&r, 3));
        for (int c = 0; c < (int)w[i]; c++)
            memcpy(R + m++ * d, X + i * d, d * sizeof *R);
    }
    for (int a = KM_ALGO_LLOYD; a <= KM_ALGO_YINYANG; a++) {
        km_model *mw =
            fit_from(X, n, d, k, w, init, (km_algorithm)a, 0, 0.0, lw);
        km_model *mr =
            fit_from(R, m, d, k, NULL, init, (km_algorithm)a, 0, 0.0, lr);
        size_t row = 0;

        for (size_t i = 0; i < n; i++) {
            assert_int_equal(lw[i], lr[row]);
            row += (size_t)w[i];
        }
        km_model_centers_f64(mw, cw);
        km_model_centers_f64(mr, cr);
        for (size_t t = 0; t < k * d; t++)
            assert_true(fabs(cw[t] - cr[t]) <= 1e-12 * (1 + fabs(cw[t])));
        assert_true(fabs(km_model_inertia(mw) - km_model_inertia(mr)) <=
                    1e-12 * km_model_inertia(mw));
        km_model_free(mw);
        km_model_free(mr);
    }
    free(X);
    free(w);
    free(R);
    free(init);
    free(lw);
    free(lr);
}

static void test_threads_same_bits(void **state)
{
    const km_init inits[] = {KM_INIT_KMEANSPP, KM_INIT_RANDOM};

    (void)state;
    for (size_t s = 2; s < N_SHAPES; s++) {
        const shape *sh = &shapes[s];
        double *X = td_blobs(sh->n, sh->d, sh->blobs, sh->sd, 400 + s);
        double *w = malloc(sh->n * sizeof *w);
        double *c1 = malloc(sh->k * sh->d * sizeof *c1);
        double *c2 = malloc(sh->k * sh->d * sizeof *c2);
        int32_t *l1 = malloc(sh->n * sizeof *l1);
        int32_t *l2 = malloc(sh->n * sizeof *l2);

        for (size_t i = 0; i < sh->n; i++)
            w[i] = 0.5 + (double)(i % 7) * 0.25;
        for (int a = KM_ALGO_LLOYD; a <= KM_ALGO_YINYANG; a++) {
            km_params p;
            km_model *m1, *m2;

            km_params_init(&p);
            p.n_clusters = (int)sh->k;
            p.init = inits[(s + (size_t)a) % 2];
            p.n_init = 2;
            p.seed = 1234 + s;
            p.algorithm = (km_algorithm)a;
            p.n_threads = 1;
            assert_int_equal(km_fit_f64(&p, X, sh->n, sh->d, w, &m1, l1),
                             KM_OK);
            p.n_threads = 3;
            assert_int_equal(km_fit_f64(&p, X, sh->n, sh->d, w, &m2, l2),
                             KM_OK);
            assert_memory_equal(l1, l2, sh->n * sizeof *l1);
            km_model_centers_f64(m1, c1);
            km_model_centers_f64(m2, c2);
            assert_memory_equal(c1, c2, sh->k * sh->d * sizeof *c1);
            assert_memory_equal(&(double){km_model_inertia(m1)},
                                &(double){km_model_inertia(m2)},
                                sizeof(double));
            km_model_free(m1);
            km_model_free(m2);
        }
        free(X);
        free(w);
        free(c1);
        free(c2);
        free(l1);
        free(l2);
    }
}

/* The GEMM-form kernels (BLAS, and the fused AVX2 + FMA one) find the
   canonical labels and distances, even for data far from the origin where
   the expanded form loses digits; shapes with partial blocks of rows,
   centers and features. */
static void test_kernels_agree(void **state)
{
    const size_t gemm_shapes[][3] = {
        {1000, 24, 30}, {777, 13, 17}, {300, 70, 64}};
    const km_kernel_id ids[] = {KM_KERNEL_BLAS, KM_KERNEL_DOT};

    (void)state;
    for (size_t s = 0; s < sizeof gemm_shapes / sizeof gemm_shapes[0]; s++)
        for (int far = 0; far < 2; far++) {
            const size_t n = gemm_shapes[s][0], d = gemm_shapes[s][1],
                         k = gemm_shapes[s][2];
            double *X = td_blobs(n, d, 30, 1.0, 500 + (uint64_t)far + 7 * s);
            double *C = first_rows_init(X, k, d, n / k < 7 ? n / k : 7);
            float *Xf, *Cf;
            int32_t l_ref[1000], l_fast[1000];
            double m_ref[1000], m_fast[1000], in_ref, in_fast;
            float mf_ref[1000], mf_fast[1000];

            if (far)
                for (size_t t = 0; t < n * d; t++)
                    X[t] += 1e4;
            if (far)
                for (size_t t = 0; t < k * d; t++)
                    C[t] += 1e4;
            Xf = td_to_f32(X, n * d);
            Cf = td_to_f32(C, k * d);
            for (size_t q = 0; q < sizeof ids / sizeof ids[0]; q++) {
                km_problem_f64 pr, pb;
                km_problem_f32 qr, qb;

                assert_int_equal(km_problem_setup_f64(&pr, X, n, d, NULL, k, 2,
                                                      KM_KERNEL_REF),
                                 KM_OK);
                assert_int_equal(
                    km_problem_setup_f64(&pb, X, n, d, NULL, k, 2, ids[q]),
                    KM_OK);
                assert_int_equal(km_assign_f64(&pr, C, l_ref, NULL, m_ref, NULL,
                                               NULL, &in_ref),
                                 KM_OK);
                assert_int_equal(km_assign_f64(&pb, C, l_fast, NULL, m_fast,
                                               NULL, NULL, &in_fast),
                                 KM_OK);
                assert_memory_equal(l_ref, l_fast, n * sizeof *l_ref);
                assert_memory_equal(m_ref, m_fast, n * sizeof *m_ref);
                assert_true(in_ref == in_fast);
                if (pb.xt != NULL) {
                    /* small data keep their rows transposed; the kernel
                       transposes them itself at every pass otherwise */
                    km_free((void *)pb.xt);
                    pb.xt = NULL;
                    assert_int_equal(km_assign_f64(&pb, C, l_fast, NULL, m_fast,
                                                   NULL, NULL, &in_fast),
                                     KM_OK);
                    assert_memory_equal(l_ref, l_fast, n * sizeof *l_ref);
                    assert_memory_equal(m_ref, m_fast, n * sizeof *m_ref);
                    assert_true(in_ref == in_fast);
                } else {
                    assert_null(pb.kern.transpose);
                }
                assert_int_equal(km_problem_setup_f32(&qr, Xf, n, d, NULL, k, 2,
                                                      KM_KERNEL_REF),
                                 KM_OK);
                assert_int_equal(
                    km_problem_setup_f32(&qb, Xf, n, d, NULL, k, 2, ids[q]),
                    KM_OK);
                assert_int_equal(km_assign_f32(&qr, Cf, l_ref, NULL, mf_ref,
                                               NULL, NULL, &in_ref),
                                 KM_OK);
                assert_int_equal(km_assign_f32(&qb, Cf, l_fast, NULL, mf_fast,
                                               NULL, NULL, &in_fast),
                                 KM_OK);
                assert_memory_equal(l_ref, l_fast, n * sizeof *l_ref);
                assert_memory_equal(mf_ref, mf_fast, n * sizeof *mf_ref);
                assert_true(in_ref == in_fast);
                if (qb.xt != NULL) {
                    km_free((void *)qb.xt);
                    qb.xt = NULL;
                    assert_int_equal(km_assign_f32(&qb, Cf, l_fast, NULL,
                                                   mf_fast, NULL, NULL,
                                                   &in_fast),
                                     KM_OK);
                    assert_memory_equal(l_ref, l_fast, n * sizeof *l_ref);
                    assert_memory_equal(mf_ref, mf_fast, n * sizeof *mf_ref);
                    assert_true(in_ref == in_fast);
                }
                km_problem_release_f64(&pr);
                km_problem_release_f64(&pb);
                km_problem_release_f32(&qr);
                km_problem_release_f32(&qb);
            }
            free(X);
            free(C);
            free(Xf);
            free(Cf);
        }
}

/* The SIMD kernel gives the reference kernel's labels and distances bit for
   bit, on data full of exact ties, for every dimension it handles (each
   way of loading rows: d = 1, 2, 3, 4 and the gathers), with the same
   count of changed labels, and without distances when none are asked. */
static void test_simd_kernel_agrees(void **state)
{
    const size_t dims[] = {1, 2, 3, 4, 5, 8, 16, 17};
    km_kernels_f32 r32, s32;
    km_kernels_f64 r64, s64;

    (void)state;
    km_kernels_get_f32(KM_KERNEL_REF, 8, 2, &r32);
    km_kernels_get_f64(KM_KERNEL_REF, 8, 2, &r64);
    km_kernels_get_f32(KM_KERNEL_SIMD, 8, 2, &s32);
    km_kernels_get_f64(KM_KERNEL_SIMD, 8, 2, &s64);
    if (s64.assign_block == r64.assign_block)
        skip(); /* no SIMD on this CPU */
    for (size_t t = 0; t < sizeof dims / sizeof dims[0]; t++) {
        const size_t d = dims[t], m = 203, k = 1 + t * 3;
        double *X = malloc(m * d * sizeof *X), *C = malloc(k * d * sizeof *C);
        float *Xf = malloc(m * d * sizeof *Xf),
              *Cf = malloc(k * d * sizeof *Cf);
        int32_t la[203], lb[203], lc[203];
        double da[203], db[203];
        float fa[203], fb[203];
        size_t ca, cb, cc;
        km_rng r;

        km_rng_seed(&r, 40 + t);
        for (size_t i = 0; i < m * d; i++) {
            /* small integers (ties) and some general values */
            X[i] = i % 3 ? (double)km_rng_below(&r, 4) : td_normal(&r);
            Xf[i] = (float)X[i];
        }
        for (size_t i = 0; i < k * d; i++) {
            C[i] = i % 5 ? (double)km_rng_below(&r, 4) : td_normal(&r);
            Cf[i] = (float)C[i];
        }
        /* previous labels: some right, some wrong, some -1 */
        for (size_t i = 0; i < m; i++)
            la[i] = lb[i] = lc[i] = (int32_t)km_rng_below(&r, k + 1) - 1;
        ca = r64.assign_block(X, m, d, C, k, la, da);
        cb = s64.assign_block(X, m, d, C, k, lb, db);
        cc = s64.assign_block(X, m, d, C, k, lc, NULL);
        assert_memory_equal(la, lb, sizeof la);
        assert_memory_equal(la, lc, sizeof la);
        assert_memory_equal(da, db, sizeof da);
        assert_true(ca == cb && ca == cc);
        assert_true(ca > 0);
        /* again from the right labels: nothing changes */
        assert_true(s64.assign_block(X, m, d, C, k, lb, db) == 0);
        for (size_t i = 0; i < m; i++)
            la[i] = lb[i] = (int32_t)km_rng_below(&r, k + 1) - 1;
        ca = r32.assign_block(Xf, m, d, Cf, k, la, fa);
        cb = s32.assign_block(Xf, m, d, Cf, k, lb, fb);
        assert_memory_equal(la, lb, sizeof la);
        assert_memory_equal(fa, fb, sizeof fa);
        assert_true(ca == cb);
        assert_true(s32.assign_block(Xf, m, d, Cf, k, lb, NULL) == 0);
        free(X);
        free(C);
        free(Xf);
        free(Cf);
    }
}

/* The SIMD accumulation gives the reference's sums bit for bit, weighted
   and not, through local copies (few centers) and straight into the sums
   (many), for dimensions that fill whole vectors of four and those that
   do not; and the sums are right (checked against a plain loop in long
   double within rounding). */
static void test_simd_accum_agrees(void **state)
{
    const size_t acc_shapes[][2] = {{1, 3},  {2, 5},  {3, 8},  {4, 7},
                                    {5, 16}, {7, 9},  {8, 12}, {16, 3},
                                    {2, 90}, {9, 40}, {33, 4}, {16, 100}};
    km_kernels_f32 r32, s32;
    km_kernels_f64 r64, s64;

    (void)state;
    km_kernels_get_f32(KM_KERNEL_REF, 8, 2, &r32);
    km_kernels_get_f64(KM_KERNEL_REF, 8, 2, &r64);
    km_kernels_get_f32(KM_KERNEL_SIMD, 8, 2, &s32);
    km_kernels_get_f64(KM_KERNEL_SIMD, 8, 2, &s64);
    if (s64.accum_block == r64.accum_block)
        skip(); /* no SIMD on this CPU */
    for (size_t t = 0; t < sizeof acc_shapes / sizeof acc_shapes[0]; t++) {
        const size_t d = acc_shapes[t][0], k = acc_shapes[t][1], m = 251;
        double *X = malloc(m * d * sizeof *X), *w = malloc(m * sizeof *w);
        float *Xf = malloc(m * d * sizeof *Xf), *wf = malloc(m * sizeof *wf);
        double *sa = calloc(k * d, sizeof *sa), *sb = calloc(k * d, sizeof *sb);
        double *wa = calloc(k, sizeof *wa), *wb = calloc(k, sizeof *wb);
        int32_t lab[251];
        km_rng r;

        km_rng_seed(&r, 70 + t);
        for (size_t i = 0; i < m * d; i++) {
            X[i] = td_normal(&r) * 1e3 + 1.0 / 3.0;
            Xf[i] = (float)X[i];
        }
        for (size_t i = 0; i < m; i++) {
            /* runs of one cluster, as in sorted data, and random ones */
            lab[i] = (int32_t)(i < m / 2 ? (i / 9) % k : km_rng_below(&r, k));
            w[i] = 0.25 + td_normal(&r) * td_normal(&r);
            wf[i] = (float)w[i];
        }
        for (int weighted = 0; weighted < 2; weighted++) {
            for (int pass = 0; pass < 2; pass++) { /* sums accumulate */
                r64.accum_block(X, m, d, weighted ? w : NULL, lab, k, sa, wa);
                s64.accum_block(X, m, d, weighted ? w : NULL, lab, k, sb, wb);
                assert_memory_equal(sa, sb, k * d * sizeof *sa);
                assert_memory_equal(wa, wb, k * sizeof *wa);
                r32.accum_block(Xf, m, d, weighted ? wf : NULL, lab, k, sa, wa);
                s32.accum_block(Xf, m, d, weighted ? wf : NULL, lab, k, sb, wb);
                assert_memory_equal(sa, sb, k * d * sizeof *sa);
                assert_memory_equal(wa, wb, k * sizeof *wa);
            }
        }
        {
            /* 2 unweighted f64 + 2 weighted f64 + 2 + 2 in f32 */
            for (size_t j = 0; j < k; j++)
                for (size_t f = 0; f <= d; f++) {
                    long double e = 0, mag = 0;

                    for (size_t i = 0; i < m; i++) {
                        long double v;

                        if ((size_t)lab[i] != j)
                            continue;
                        v = f < d ? 2.0L * ((long double)X[i * d + f] *
                                                (1.0L + (long double)w[i]) +
                                            (long double)Xf[i * d + f] *
                                                (1.0L + (long double)wf[i]))
                                  : 2.0L * (2.0L + (long double)w[i] +
                                            (long double)wf[i]);
                        e += v;
                        mag += fabsl(v);
                    }
                    {
                        const double got = f < d ? sa[j * d + f] : wa[j];

                        assert_true(fabsl((long double)got - e) <=
                                    1e-12L * (mag + 1.0L));
                    }
                }
        }
        free(X);
        free(w);
        free(Xf);
        free(wf);
        free(sa);
        free(sb);
        free(wa);
        free(wb);
    }
}

/* The AVX2 argmin2 (best, smallest, second smallest of D + cn per row)
   agrees with the reference on values; its index points at the smallest. */
static void test_argmin2_agrees(void **state)
{
    const size_t ks[] = {1, 2, 7, 8, 9, 16, 50, 101};
    km_kernels_f64 r64;
    km_kernels_f32 r32;
    km_argmin2_f64_fn *f64 = km_kernels_fast_argmin2_f64();
    km_argmin2_f32_fn *f32 = km_kernels_fast_argmin2_f32();

    (void)state;
    if (f64 == NULL || f32 == NULL)
        skip();
    km_kernels_get_f64(KM_KERNEL_REF, 8, 2, &r64);
    km_kernels_get_f32(KM_KERNEL_REF, 8, 2, &r32);
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        const size_t k = ks[t], m = 37;
        double D[37 * 101], cn[101], a1[37], a2[37], b1[37], b2[37];
        float Df[37 * 101], cnf[101], c1[37], c2[37], e1[37], e2[37];
        int32_t ia[37], ib[37];
        km_rng r;

        km_rng_seed(&r, 900 + t);
        for (size_t i = 0; i < m * k; i++) {
            D[i] = (double)km_rng_below(&r, 6); /* many ties */
            Df[i] = (float)D[i];
        }
        for (size_t j = 0; j < k; j++) {
            cn[j] = (double)km_rng_below(&r, 3);
            cnf[j] = (float)cn[j];
        }
        r64.argmin2(D, cn, m, k, ia, a1, a2);
        f64(D, cn, m, k, ib, b1, b2);
        assert_memory_equal(a1, b1, sizeof a1);
        assert_memory_equal(a2, b2, sizeof a2);
        for (size_t i = 0; i < m; i++)
            assert_true(D[i * k + (size_t)ib[i]] + cn[ib[i]] == b1[i]);
        r32.argmin2(Df, cnf, m, k, ia, c1, c2);
        f32(Df, cnf, m, k, ib, e1, e2);
        assert_memory_equal(c1, e1, sizeof c1);
        assert_memory_equal(c2, e2, sizeof c2);
        for (size_t i = 0; i < m; i++)
            assert_true(Df[i * k + (size_t)ib[i]] + cnf[ib[i]] == e1[i]);
    }
}

/* The AVX2 row_dists gives the canonical distances bit for bit (the
   reference), for any number of rows and centers. */
static void test_row_dists_agrees(void **state)
{
    km_row_dists_f64_fn *f64 = km_kernels_fast_row_dists_f64();
    km_row_dists_f32_fn *f32 = km_kernels_fast_row_dists_f32();
    km_kernels_f64 r64;
    km_kernels_f32 r32;

    (void)state;
    if (f64 == NULL || f32 == NULL)
        skip();
    km_kernels_get_f64(KM_KERNEL_REF, 8, 2, &r64);
    km_kernels_get_f32(KM_KERNEL_REF, 8, 2, &r32);
    /* m x d rows, k centers: tails of 1, 2 and 3 rows (a single row goes
       through its own path, by groups of four vectors of centers). */
    static const size_t rd_shapes[][3] = {
        {1, 1, 1},    {4, 8, 6},  {7, 15, 11}, {10, 22, 16}, {13, 29, 21},
        {16, 36, 26}, {1, 9, 70}, {5, 3, 40},  {2, 17, 33},  {3, 5, 100}};

    for (size_t t = 0; t < sizeof rd_shapes / sizeof rd_shapes[0]; t++) {
        const size_t m = rd_shapes[t][0], d = rd_shapes[t][1],
                     k = rd_shapes[t][2];
        const size_t kp = (k + KM_CT_PAD - 1) / KM_CT_PAD * KM_CT_PAD;
        double *X = malloc(m * d * sizeof *X), *Ct = malloc(d * kp * 8);
        double *a = malloc(m * k * sizeof *a), *b = malloc(m * k * sizeof *b);
        float *Xf = malloc(m * d * sizeof *Xf), *Ctf = malloc(d * kp * 4);
        float *af = malloc(m * k * sizeof *af), *bf = malloc(m * k * 4);
        km_rng r;

        km_rng_seed(&r, 70 + t);
        for (size_t i = 0; i < m * d; i++) {
            X[i] = td_normal(&r);
            Xf[i] = (float)X[i];
        }
        for (size_t i = 0; i < d * kp; i++) {
            Ct[i] = td_normal(&r);
            Ctf[i] = (float)Ct[i];
        }
        r64.row_dists(X, m, Ct, kp, d, k, a);
        f64(X, m, Ct, kp, d, k, b);
        assert_memory_equal(a, b, m * k * sizeof *a);
        r32.row_dists(Xf, m, Ctf, kp, d, k, af);
        f32(Xf, m, Ctf, kp, d, k, bf);
        assert_memory_equal(af, bf, m * k * sizeof *af);
        free(X);
        free(Ct);
        free(a);
        free(b);
        free(Xf);
        free(Ctf);
        free(af);
        free(bf);
    }
}

/* k-means++ skips only rows that no candidate can bring closer: the same
   centers with and without the pruning, in both precisions, with weights
   (some zero) and far from the origin; the same for 1 and 3 threads; and
   it does skip rows on clustered data. */
static void test_kmeanspp_pruning_exact(void **state)
{
    const size_t n = 3000, d = 4;

    (void)state;
    for (int var = 0; var < 6; var++) {
        const size_t k = var % 2 ? 60 : 25; /* more centers than blobs */
        const int trials = 2 + (int)log((double)k);
        double *X = td_blobs(n, d, 25, 0.6, 700 + (uint64_t)var);
        double *w = malloc(n * sizeof *w), *C[3];
        float *Xf, *wf, *Cf[3];
        int64_t idx[3][60];
        double comp[3];

        for (size_t i = 0; i < n; i++)
            w[i] = i % 17 == 0 ? 0.0 : 0.5 + (double)(i % 5);
        if (var >= 4)
            for (size_t i = 0; i < n * d; i++)
                X[i] += 1e4;
        Xf = td_to_f32(X, n * d);
        wf = td_to_f32(w, n);
        for (int prec = 0; prec < 2; prec++) {
            /* runs: no pruning (1 thread), pruning (1 and 3 threads) */
            for (int run = 0; run < 3; run++) {
                const int threads = run == 2 ? 3 : 1;
                const int weighted = var == 2 || var == 3;
                km_rng r;

                km_rng_seed(&r, 40 + (uint64_t)var);
                if (prec == 0) {
                    km_problem_f64 p;

                    C[run] = malloc(k * d * sizeof **C);
                    assert_int_equal(
                        km_problem_setup_f64(&p, X, n, d, weighted ? w : NULL,
                                             k, threads, KM_KERNEL_AUTO),
                        KM_OK);
                    assert_int_equal(km_init_kmeanspp_prune_f64(
                                         &p, &r, trials, C[run], idx[run],
                                         run > 0, &comp[run]),
                                     KM_OK);
                    km_problem_release_f64(&p);
                } else {
                    km_problem_f32 p;

                    Cf[run] = malloc(k * d * sizeof **Cf);
                    assert_int_equal(
                        km_problem_setup_f32(&p, Xf, n, d, weighted ? wf : NULL,
                                             k, threads, KM_KERNEL_AUTO),
                        KM_OK);
                    assert_int_equal(km_init_kmeanspp_prune_f32(
                                         &p, &r, trials, Cf[run], idx[run],
                                         run > 0, &comp[run]),
                                     KM_OK);
                    km_problem_release_f32(&p);
                }
            }
            for (int run = 1; run < 3; run++) {
                assert_memory_equal(idx[0], idx[run], k * sizeof idx[0][0]);
                if (prec == 0)
                    assert_memory_equal(C[0], C[run], k * d * sizeof **C);
                else
                    assert_memory_equal(Cf[0], Cf[run], k * d * sizeof **Cf);
            }
            for (size_t c = 0; c < k && var == 2; c++) /* weight 0: never */
                assert_true(w[idx[1][c]] > 0);
            assert_true(comp[0] == (double)n * (double)(k - 1));
            assert_true(comp[1] == comp[2]);
            assert_true(comp[1] < 0.6 * comp[0]); /* it prunes */
            for (int run = 0; run < 3; run++)
                free(prec == 0 ? (void *)C[run] : (void *)Cf[run]);
        }
        free(X);
        free(w);
        free(Xf);
        free(wf);
    }
}

/* The AVX2 k-means++ potentials equal the reference's bit for bit (lane
   sums and minima), with and without weights, current distances and
   gathered rows (sel), for row counts with and without a scalar tail and
   1 to 9 candidates; and the lane sums are the plain sums (long double,
   within rounding). */
static void test_pp_block_agrees(void **state)
{
    static const size_t pp_shapes[][3] = {
        {1, 1, 1},    {15, 2, 6},   {16, 3, 1},  {33, 8, 5},
        {256, 32, 6}, {250, 17, 9}, {47, 64, 4}, {100, 5, 7}};
    km_kernels_f32 r32, s32;
    km_kernels_f64 r64, s64;

    (void)state;
    km_kernels_get_f32(KM_KERNEL_REF, 8, 2, &r32);
    km_kernels_get_f64(KM_KERNEL_REF, 8, 2, &r64);
    km_kernels_get_f32(KM_KERNEL_SIMD, 8, 2, &s32);
    km_kernels_get_f64(KM_KERNEL_SIMD, 8, 2, &s64);
    if (s64.pp_block == r64.pp_block)
        skip(); /* no SIMD on this CPU */
    for (size_t sh = 0; sh < sizeof pp_shapes / sizeof pp_shapes[0]; sh++) {
        const size_t m = pp_shapes[sh][0], d = pp_shapes[sh][1],
                     t = pp_shapes[sh][2];
        double *X = malloc(m * d * sizeof *X), *cand = malloc(t * d * 8);
        double *cl = malloc(m * sizeof *cl), *w = malloc(m * sizeof *w);
        double *na = malloc(t * m * 8), *nb = malloc(t * m * 8);
        float *Xf = malloc(m * d * sizeof *Xf), *candf = malloc(t * d * 4);
        float *clf = malloc(m * sizeof *clf), *wf = malloc(m * sizeof *wf);
        float *naf = malloc(t * m * 4), *nbf = malloc(t * m * 4);
        double *sc = malloc(KM_ROW_BLOCK * d * 8);
        float *scf = malloc(KM_ROW_BLOCK * d * 4);
        double la[9 * KM_PP_LANES], lb[9 * KM_PP_LANES];
        uint32_t *sel = malloc(m * sizeof *sel);
        km_rng r;

        km_rng_seed(&r, 300 + sh);
        for (size_t i = 0; i < m * d; i++) {
            X[i] = td_normal(&r) * 3.0 + 1.0 / 3.0;
            Xf[i] = (float)X[i];
        }
        for (size_t i = 0; i < t * d; i++) {
            cand[i] = td_normal(&r) * 3.0;
            candf[i] = (float)cand[i];
        }
        for (size_t i = 0; i < m; i++) {
            cl[i] = (double)km_rng_below(&r, 40) * 4.0 * (double)d / 40.0;
            clf[i] = (float)cl[i];
            w[i] = 0.25 + td_normal(&r) * td_normal(&r);
            wf[i] = (float)w[i];
        }
        for (size_t i = 0; i < m; i++) /* rows out of order, repeated */
            sel[i] = (uint32_t)((i * 7 + 3) % m);
        for (int mode = 0; mode < 8; mode++) {
            const int weighted = mode & 1, with_cl = (mode >> 1) & 1;
            const uint32_t *sl = mode >> 2 ? sel : NULL;

            for (size_t i = 0; i < t * KM_PP_LANES; i++)
                la[i] = lb[i] = (double)i; /* they accumulate */
            r64.pp_block(X, sl, m, d, cand, t, with_cl ? cl : NULL,
                         weighted ? w : NULL, na, m, la, sc);
            s64.pp_block(X, sl, m, d, cand, t, with_cl ? cl : NULL,
                         weighted ? w : NULL, nb, m, lb, sc);
            assert_memory_equal(la, lb, t * KM_PP_LANES * sizeof *la);
            assert_memory_equal(na, nb, t * m * sizeof *na);
            for (size_t c = 0; c < t; c++) {
                long double e = 0, mag = 0;

                for (size_t i = 0; i < m; i++) {
                    const size_t ri = sl != NULL ? sl[i] : i;
                    long double v =
                        km_sqdist_fma_f64(X + ri * d, cand + c * d, d);

                    if (with_cl && cl[ri] < v)
                        v = cl[ri];
                    assert_true(na[c * m + i] == (double)v);
                    e += (weighted ? w[ri] : 1.0L) * v;
                    mag += fabsl((weighted ? w[ri] : 1.0L) * v);
                }
                for (size_t l = 0; l < KM_PP_LANES; l++)
                    e += (long double)(c * KM_PP_LANES + l);
                {
                    long double got = 0;

                    for (size_t l = 0; l < KM_PP_LANES; l++)
                        got += la[c * KM_PP_LANES + l];
                    assert_true(fabsl(got - e) <= 1e-12L * (mag + 100.0L));
                }
            }
            for (size_t i = 0; i < t * KM_PP_LANES; i++)
                la[i] = lb[i] = 0.0;
            r32.pp_block(Xf, sl, m, d, candf, t, with_cl ? clf : NULL,
                         weighted ? wf : NULL, naf, m, la, scf);
            s32.pp_block(Xf, sl, m, d, candf, t, with_cl ? clf : NULL,
                         weighted ? wf : NULL, nbf, m, lb, scf);
            assert_memory_equal(la, lb, t * KM_PP_LANES * sizeof *la);
            assert_memory_equal(naf, nbf, t * m * sizeof *naf);
        }
        /* t = 1 in place: the minima replace the current distances */
        memcpy(na, cl, m * sizeof *na);
        memset(la, 0, sizeof la);
        memset(lb, 0, sizeof lb);
        s64.pp_block(X, NULL, m, d, cand, 1, na, NULL, na, m, lb, sc);
        r64.pp_block(X, NULL, m, d, cand, 1, cl, NULL, nb, m, la, sc);
        assert_memory_equal(na, nb, m * sizeof *na);
        assert_memory_equal(la, lb, KM_PP_LANES * sizeof *la);
        free(sel);
        free(X);
        free(cand);
        free(cl);
        free(w);
        free(na);
        free(nb);
        free(Xf);
        free(candf);
        free(clf);
        free(wf);
        free(naf);
        free(nbf);
        free(sc);
        free(scf);
    }
}

static void test_blocking(void **state)
{
    (void)state;
    for (size_t n = 1; n < 100000; n = n * 3 + 1) {
        km_blocking b = km_blocking_for(n, 10, 10);

        assert_true(b.n_blocks >= 1 && b.n_blocks <= KM_MAX_BLOCKS);
        assert_true(b.rows % KM_ROW_BLOCK == 0);
        assert_true(b.n_blocks * b.rows >= n);
        assert_true((b.n_blocks - 1) * b.rows < n);
    }
    /* Huge k * d: few blocks, so the per-block sums stay bounded. */
    assert_true(km_blocking_for(1000000, 4096, 1024).n_blocks <= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elkan_equals_lloyd),
        cmocka_unit_test(test_elkan_equals_lloyd_ties_f32),
        cmocka_unit_test(test_bounds_gemm_form),
        cmocka_unit_test(test_yinyang_many_clusters),
        cmocka_unit_test(test_auto_rule),
        cmocka_unit_test(test_shuffle_rows),
        cmocka_unit_test(test_integer_weights_repeat_rows),
        cmocka_unit_test(test_threads_same_bits),
        cmocka_unit_test(test_kernels_agree),
        cmocka_unit_test(test_simd_kernel_agrees),
        cmocka_unit_test(test_simd_accum_agrees),
        cmocka_unit_test(test_argmin2_agrees),
        cmocka_unit_test(test_row_dists_agrees),
        cmocka_unit_test(test_pp_block_agrees),
        cmocka_unit_test(test_kmeanspp_pruning_exact),
        cmocka_unit_test(test_blocking),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
