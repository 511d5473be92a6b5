/*
 * test_init_par.c - k-means|| initialization (KM_INIT_KMEANS_PARALLEL,
 * km_kmeans_parallel_*): centers are distinct rows of X, zero-weight rows
 * are never chosen, the same seed gives the same centers for any thread
 * count in both precisions, it finds well-separated blobs, few distinct
 * rows fall back to k-means++, and fits and model files carry it.
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

static void test_par_rows_and_errors(void **state)
{
    const size_t n = 2000, d = 3;
    const int k = 12;
    double *X = td_blobs(n, d, 12, 0.7, 31);
    double C[12 * 3], C2[12 * 3];
    int64_t idx[12], idx2[12];

    (void)state;
    assert_int_equal(km_kmeans_parallel_f64(X, n, d, NULL, k, 5, C, idx),
                     KM_OK);
    for (int j = 0; j < k; j++) {
        assert_true(idx[j] >= 0 && idx[j] < (int64_t)n);
        assert_memory_equal(C + j * 3, X + idx[j] * 3, 3 * sizeof *C);
        for (int i = 0; i < j; i++)
            assert_true(idx[i] != idx[j]);
    }
    assert_int_equal(km_kmeans_parallel_f64(X, n, d, NULL, k, 5, C2, idx2),
                     KM_OK);
    assert_memory_equal(C, C2, sizeof C);
    assert_memory_equal(idx, idx2, sizeof idx);
    /* another seed, other centers */
    assert_int_equal(km_kmeans_parallel_f64(X, n, d, NULL, k, 6, C2, idx2),
                     KM_OK);
    assert_true(memcmp(idx, idx2, sizeof idx) != 0);
    assert_int_equal(
        km_kmeans_parallel_f64(X, n, d, NULL, (int)n + 1, 5, C, idx),
        KM_ERR_SHAPE);
    assert_int_equal(km_kmeans_parallel_f64(X, n, d, NULL, 0, 5, C, idx),
                     KM_ERR_ARG);
    assert_int_equal(km_kmeans_parallel_f64(NULL, n, d, NULL, k, 5, C, idx),
                     KM_ERR_ARG);
    X[7] = NAN;
    assert_int_equal(km_kmeans_parallel_f64(X, n, d, NULL, k, 5, C, idx),
                     KM_ERR_NONFINITE);
    free(X);
}

/* Rows of weight 0 are never drawn, whether as the first candidate, in a
   round, or by the final k-means++ (their candidates' weights are 0). */
static void test_par_zero_weights(void **state)
{
    const size_t n = 900, d = 2;
    double *X = td_blobs(n, d, 6, 1.0, 32);
    double w[900], C[6 * 2];
    int64_t idx[6];

    (void)state;
    for (size_t i = 0; i < n; i++)
        w[i] = i % 3 == 0 ? 1.0 + (double)(i % 5) : 0.0;
    for (uint64_t s = 0; s < 30; s++) {
        assert_int_equal(km_kmeans_parallel_f64(X, n, d, w, 6, s, C, idx),
                         KM_OK);
        for (int j = 0; j < 6; j++)
            assert_int_equal(idx[j] % 3, 0);
    }
    free(X);
}

/* The same bits for 1, 2 and 3 threads, float and double, weighted. */
static void test_par_threads(void **state)
{
    /* big enough that every round's pass runs on three threads */
    const size_t n = 20000, d = 8, k = 40;
    double *X = td_blobs(n, d, 50, 1.5, 33);
    float *Xf = td_to_f32(X, n * d);
    double *w = malloc(n * sizeof *w);
    float *wf = malloc(n * sizeof *wf);
    double C1[40 * 8], C[40 * 8];
    float F1[40 * 8], F[40 * 8];

    (void)state;
    for (size_t i = 0; i < n; i++) {
        w[i] = 0.5 + (double)(i % 7);
        wf[i] = (float)w[i];
    }
    for (int nt = 1; nt <= 3; nt++) {
        km_problem_f64 p;
        km_problem_f32 q;
        km_rng r;

        assert_int_equal(
            km_problem_setup_f64(&p, X, n, d, w, k, nt, KM_KERNEL_AUTO), KM_OK);
        km_rng_seed(&r, 9);
        assert_int_equal(km_init_kmeans_par_f64(&p, &r, nt == 1 ? C1 : C, NULL),
                         KM_OK);
        km_problem_release_f64(&p);
        assert_int_equal(
            km_problem_setup_f32(&q, Xf, n, d, wf, k, nt, KM_KERNEL_AUTO),
            KM_OK);
        km_rng_seed(&r, 9);
        assert_int_equal(km_init_kmeans_par_f32(&q, &r, nt == 1 ? F1 : F, NULL),
                         KM_OK);
        km_problem_release_f32(&q);
        if (nt > 1) {
            assert_memory_equal(C, C1, sizeof C);
            assert_memory_equal(F, F1, sizeof F);
        }
    }
    free(X);
    free(Xf);
    free(w);
    free(wf);
}

/* Well-separated blobs: one center in each, so the fit from k-means|| has
   the blobs' inertia. */
static void test_par_finds_blobs(void **state)
{
    const size_t n = 3000, d = 4, k = 15;
    double *X = td_blobs(n, d, k, 0.05, 34);
    int32_t *lab = malloc(n * sizeof *lab);

    (void)state;
    for (uint64_t s = 0; s < 5; s++) {
        double C[15 * 4];
        int64_t idx[15];
        km_params p;
        km_model *m = NULL;
        int seen[15] = {0};
        size_t distinct = 0;

        assert_int_equal(
            km_kmeans_parallel_f64(X, n, d, NULL, (int)k, s, C, idx), KM_OK);
        /* each center nearest to a different blob's rows: label the
           centers by a fit started from them */
        km_params_init(&p);
        p.n_clusters = (int)k;
        p.init = KM_INIT_KMEANS_PARALLEL;
        p.seed = s;
        assert_int_equal(km_fit_f64(&p, X, n, d, NULL, &m, lab), KM_OK);
        for (size_t i = 0; i < n; i++)
            if (!seen[lab[i]]++)
                distinct++;
        assert_int_equal(distinct, k);
        /* blobs of sd 0.05 in 4 features: inertia about n d 0.05^2 */
        assert_true(km_model_inertia(m) < 2.0 * (double)(n * d) * 0.0025);
        km_model_free(m);
    }
    free(X);
    free(lab);
}

/* Fewer distinct rows than the rounds can draw from: every row on a
   candidate after the first rounds; k = the number of distinct rows still
   gives them all (the k-means++ fallback when the candidates are too
   few). */
static void test_par_few_distinct(void **state)
{
    double X[40 * 2];
    double C[4 * 2];
    int64_t idx[4];

    (void)state;
    for (size_t i = 0; i < 40; i++) {
        X[2 * i] = (double)(i % 4);
        X[2 * i + 1] = (double)(i % 4) * 3.0;
    }
    for (uint64_t s = 0; s < 10; s++) {
        int seen[4] = {0};

        assert_int_equal(km_kmeans_parallel_f64(X, 40, 2, NULL, 4, s, C, idx),
                         KM_OK);
        for (int j = 0; j < 4; j++)
            seen[(int)C[2 * j]]++;
        for (int j = 0; j < 4; j++)
            assert_int_equal(seen[j], 1);
    }
    /* k = n with duplicates: a center per row, some equal */
    assert_int_equal(km_kmeans_parallel_f64(X, 4, 2, NULL, 4, 1, C, idx),
                     KM_OK);
}

static void test_par_params_and_model(void **state)
{
    double *X = td_blobs(500, 2, 5, 0.8, 35);
    km_params p, q;
    km_model *m = NULL, *back = NULL;
    void *buf = NULL;
    size_t size = 0;

    (void)state;
    km_params_init(&p);
    p.n_clusters = 5;
    p.init = KM_INIT_KMEANS_PARALLEL;
    assert_null(km_params_check(&p));
    p.init = (km_init)4;
    assert_non_null(km_params_check(&p));
    p.init = KM_INIT_KMEANS_PARALLEL;
    assert_int_equal(km_fit_f64(&p, X, 500, 2, NULL, &m, NULL), KM_OK);
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_OK);
    assert_int_equal(km_model_load_mem(buf, size, &back), KM_OK);
    km_model_params(back, &q);
    assert_int_equal(q.init, KM_INIT_KMEANS_PARALLEL);
    assert_true(km_model_inertia(back) == km_model_inertia(m));
    free(buf);
    km_model_free(m);
    km_model_free(back);
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_par_rows_and_errors),
        cmocka_unit_test(test_par_zero_weights),
        cmocka_unit_test(test_par_threads),
        cmocka_unit_test(test_par_finds_blobs),
        cmocka_unit_test(test_par_few_distinct),
        cmocka_unit_test(test_par_params_and_model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
