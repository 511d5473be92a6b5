/*
 * test_silhouette.c - the silhouette, Calinski-Harabasz and Davies-Bouldin
 * scores: golden values from scikit-learn (tests/golden/silhouette/, found
 * through $KM_TEST_DATA), a naive O(n^2) reference on larger data for both
 * of the library's variants (symmetric tiles and row by row), the AVX2
 * block kernel against the portable one bit for bit, determinism across
 * thread counts, float32, sampling, and every error.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"
#include "kmio.h"
#include "km_testdata.h"
#include "algo/km_silhouette_simd.h"
#include "common/km_common.h"

/* ---- golden cases ----------------------------------------------------------
 */

static const char *const golden_cases[] = {
    "blobs3",     "random_labels", "singleton",
    "duplicates", "sparse_labels", "many_clusters",
};

static void read_case(const char *name, const char *what, kmio_matrix *m)
{
    const char *base = getenv("KM_TEST_DATA");
    char path[4096];
    kmio_error err;

    assert_non_null(base);
    snprintf(path, sizeof path, "%s/golden/silhouette/%s.%s.csv", base, name,
             what);
    if (kmio_read_matrix(path, KMIO_WANT_F64, 0, m, &err) != 0)
        fail_msg("%s", err.msg);
}

static void test_golden(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof golden_cases / sizeof *golden_cases; c++) {
        const char *name = golden_cases[c];
        kmio_matrix X, L, E, S;
        int32_t *labels;
        double *s1, *s2, score, ch, db;
        const double *e, *sc;

        read_case(name, "X", &X);
        read_case(name, "labels", &L);
        read_case(name, "samples", &E);
        read_case(name, "scores", &S);
        assert_int_equal(L.n, X.n);
        assert_int_equal(E.n, X.n);
        assert_int_equal(S.n * S.d, 3);
        e = E.data;
        sc = S.data;
        labels = malloc(X.n * sizeof *labels);
        s1 = malloc(X.n * sizeof *s1);
        s2 = malloc(X.n * sizeof *s2);
        for (size_t i = 0; i < X.n; i++)
            labels[i] = (int32_t)((const double *)L.data)[i];

        assert_int_equal(
            km_silhouette_samples_f64(X.data, X.n, X.d, labels, 1, s1), KM_OK);
        assert_int_equal(
            km_silhouette_samples_f64(X.data, X.n, X.d, labels, 2, s2), KM_OK);
        for (size_t i = 0; i < X.n; i++) {
            double want = e[i];
            if (fabs(s1[i] - want) > 1e-9)
                fail_msg("%s: row %zu: silhouette %.17g, scikit-learn %.17g",
                         name, i, s1[i], want);
            assert_memory_equal(&s1[i], &s2[i], sizeof(double));
        }
        assert_int_equal(
            km_silhouette_score_f64(X.data, X.n, X.d, labels, 0, 0, 0, &score),
            KM_OK);
        assert_true(fabs(score - sc[0]) <= 1e-9);
        {
            /* The score is the mean of the samples, in row order. */
            double sum = 0.0;
            for (size_t i = 0; i < X.n; i++)
                sum += s1[i];
            sum /= (double)X.n;
            assert_memory_equal(&sum, &score, sizeof sum);
        }
        assert_int_equal(
            km_calinski_harabasz_f64(X.data, X.n, X.d, labels, &ch), KM_OK);
        assert_true(fabs(ch - sc[1]) <= 1e-9 * fabs(sc[1]));
        assert_int_equal(km_davies_bouldin_f64(X.data, X.n, X.d, labels, &db),
                         KM_OK);
        assert_true(fabs(db - sc[2]) <= 1e-9 * fabs(sc[2]));

        free(labels);
        free(s1);
        free(s2);
        kmio_matrix_free(&X);
        kmio_matrix_free(&L);
        kmio_matrix_free(&E);
        kmio_matrix_free(&S);
    }
}

/* ---- a naive reference ------------------------------------------------------
 */

/* The definition, directly: O(n^2) time, O(k) memory per row. */
static void naive_silhouette(const double *X, size_t n, size_t d,
                             const int32_t *labels, int32_t k, double *s)
{
    double *sum = malloc((size_t)k * sizeof *sum);
    size_t *cnt = calloc((size_t)k, sizeof *cnt);

    for (size_t i = 0; i < n; i++)
        cnt[labels[i]]++;
    for (size_t i = 0; i < n; i++) {
        double a, b = INFINITY;
        int32_t own = labels[i];
        for (int32_t c = 0; c < k; c++)
            sum[c] = 0.0;
        for (size_t j = 0; j < n; j++) {
            double q = 0.0;
            for (size_t f = 0; f < d; f++) {
                double t = X[i * d + f] - X[j * d + f];
                q += t * t;
            }
            sum[labels[j]] += sqrt(q);
        }
        if (cnt[own] < 2) {
            s[i] = 0.0;
            continue;
        }
        a = sum[own] / (double)(cnt[own] - 1);
        for (int32_t c = 0; c < k; c++) {
            if (c != own && cnt[c] > 0 && sum[c] / (double)cnt[c] < b)
                b = sum[c] / (double)cnt[c];
        }
        s[i] = fmax(a, b) > 0.0 ? (b - a) / fmax(a, b) : 0.0;
    }
    free(sum);
    free(cnt);
}

/* Blobs with labels spread over the rows (any labeling has silhouettes). */
static void check_against_naive(size_t n, size_t d, int32_t k)
{
    double *X = td_blobs(n, d, (size_t)k, 1.5, 7);
    int32_t *labels = malloc(n * sizeof *labels);
    double *s = malloc(n * sizeof *s), *ref = malloc(n * sizeof *ref);
    double *s2 = malloc(n * sizeof *s2);
    double worst = 0.0;

    for (size_t i = 0; i < n; i++)
        labels[i] = (int32_t)((i * 7919u) % (size_t)k);
    naive_silhouette(X, n, d, labels, k, ref);
    assert_int_equal(km_silhouette_samples_f64(X, n, d, labels, 1, s), KM_OK);
    assert_int_equal(km_silhouette_samples_f64(X, n, d, labels, 2, s2), KM_OK);
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(s[i] - ref[i]));
        assert_memory_equal(&s[i], &s2[i], sizeof(double));
    }
    if (worst > 1e-12)
        fail_msg("n=%zu k=%d: differs from the naive silhouette by %g", n,
                 (int)k, worst);
    free(X);
    free(labels);
    free(s);
    free(s2);
    free(ref);
}

/* Several 256-row tiles, so the symmetric variant's off-diagonal tiles and
   fixed-point sums are exercised. */
static void test_tiles_match_naive(void **state)
{
    (void)state;
    check_against_naive(700, 3, 5);
    check_against_naive(1000, 2, 2);
    check_against_naive(1003, 5, 300); /* clusters of ~3: cut vectors */
    check_against_naive(2600, 2, 7);   /* 11 tile rows: several chunks */
}

/* ---- the AVX2 kernel against the portable one -------------------------------
 */

/* Labels with clusters of uneven sizes, so that cluster boundaries fall
   anywhere in a vector: row i gets cluster floor(k * u^2), u uniform. */
static int32_t *uneven_labels(size_t n, int32_t k, uint64_t seed)
{
    int32_t *labels = malloc(n * sizeof *labels);
    km_rng r;

    km_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double u = km_rng_uniform(&r);
        labels[i] = (int32_t)((double)k * u * u);
    }
    /* Every cluster non-empty: the first k rows take 0..k-1. */
    for (int32_t c = 0; c < k && (size_t)c < n; c++)
        labels[c] = c;
    return labels;
}

/* The portable and AVX2 paths, on 1 and 2 threads, in float64 and float32:
   the same bits.  The portable path also agrees with the naive silhouette. */
static void check_paths(size_t n, size_t d, int32_t k, uint64_t seed)
{
    double *X = td_blobs(n, d, 4, 2.0, seed);
    float *Xf = td_to_f32(X, n * d);
    int32_t *labels = uneven_labels(n, k, seed);
    double *p1 = malloc(n * sizeof *p1), *p2 = malloc(n * sizeof *p2);
    double *v1 = malloc(n * sizeof *v1), *v2 = malloc(n * sizeof *v2);
    double *ref = malloc(n * sizeof *ref);

    naive_silhouette(X, n, d, labels, k, ref);
    for (int prec = 0; prec < 2; prec++) {
        if (prec == 0) {
            assert_int_equal(km_silhouette_samples_path_f64(
                                 X, n, d, labels, 1, KM_SIL_PORTABLE, p1),
                             KM_OK);
            assert_int_equal(km_silhouette_samples_path_f64(
                                 X, n, d, labels, 2, KM_SIL_PORTABLE, p2),
                             KM_OK);
            assert_int_equal(km_silhouette_samples_path_f64(X, n, d, labels, 1,
                                                            KM_SIL_AVX2, v1),
                             KM_OK);
            assert_int_equal(km_silhouette_samples_path_f64(X, n, d, labels, 2,
                                                            KM_SIL_AVX2, v2),
                             KM_OK);
        } else {
            assert_int_equal(km_silhouette_samples_path_f32(
                                 Xf, n, d, labels, 1, KM_SIL_PORTABLE, p1),
                             KM_OK);
            assert_int_equal(km_silhouette_samples_path_f32(
                                 Xf, n, d, labels, 2, KM_SIL_PORTABLE, p2),
                             KM_OK);
            assert_int_equal(km_silhouette_samples_path_f32(Xf, n, d, labels, 1,
                                                            KM_SIL_AVX2, v1),
                             KM_OK);
            assert_int_equal(km_silhouette_samples_path_f32(Xf, n, d, labels, 2,
                                                            KM_SIL_AVX2, v2),
                             KM_OK);
        }
        for (size_t i = 0; i < n; i++) {
            double tol = prec == 0 ? 1e-12 : 1e-4;
            if (fabs(p1[i] - ref[i]) > tol)
                fail_msg("n=%zu d=%zu k=%d %s row %zu: %.17g, naive %.17g", n,
                         d, (int)k, prec == 0 ? "f64" : "f32", i, p1[i],
                         ref[i]);
            if (memcmp(&p1[i], &p2[i], sizeof(double)) != 0 ||
                memcmp(&p1[i], &v1[i], sizeof(double)) != 0 ||
                memcmp(&p1[i], &v2[i], sizeof(double)) != 0)
                fail_msg("n=%zu d=%zu k=%d %s row %zu: portable %.17g %.17g, "
                         "avx2 %.17g %.17g",
                         n, d, (int)k, prec == 0 ? "f64" : "f32", i, p1[i],
                         p2[i], v1[i], v2[i]);
        }
    }
    free(X);
    free(Xf);
    free(labels);
    free(p1);
    free(p2);
    free(v1);
    free(v2);
    free(ref);
}

static void test_avx2_matches_portable(void **state)
{
    (void)state;
    if (!km_cpu_has_avx2(0)) {
        /* The AVX2 path is refused, not silently replaced. */
        const double X[8] = {0, 0, 1, 1, 5, 5, 6, 6};
        const int32_t two[4] = {0, 0, 1, 1};
        double s[4];
        assert_int_equal(
            km_silhouette_samples_path_f64(X, 4, 2, two, 1, KM_SIL_AVX2, s),
            KM_ERR_ARG);
        skip();
    }
    /* Symmetric tiles: n not a multiple of a vector, every row-block size
       (clusters of 1 to hundreds of rows), d from 1 to past a vector. */
    check_paths(777, 1, 5, 1);
    check_paths(1003, 2, 9, 2);
    check_paths(531, 3, 120, 3);
    check_paths(300, 8, 3, 4);
    check_paths(613, 17, 40, 5);
    check_paths(2600, 3, 6, 7); /* several chunks of tiles a tile row */
    /* Row by row (n * k above 2^23). */
    check_paths(3001, 2, 2900, 6);
}

/* m * k above the symmetric variant's limit (2^23 sums): row by row. */
static void test_rows_variant_matches_naive(void **state)
{
    (void)state;
    check_against_naive(4200, 2, 2100);
}

/* ---- float32, sampling
 * --------------------------------------------------------
 */

static void test_float32(void **state)
{
    const size_t n = 500, d = 3;
    double *X = td_blobs(n, d, 4, 0.8, 11);
    float *Xf = malloc(n * d * sizeof *Xf);
    int32_t *labels = malloc(n * sizeof *labels);
    double *s64 = malloc(n * sizeof *s64), *s32 = malloc(n * sizeof *s32);
    double score32, score64;

    (void)state;
    for (size_t i = 0; i < n * d; i++)
        Xf[i] = (float)X[i];
    for (size_t i = 0; i < n; i++)
        labels[i] = X[i * d] > 0.0 ? 10 : -3;
    assert_int_equal(km_silhouette_samples_f64(X, n, d, labels, 0, s64), KM_OK);
    assert_int_equal(km_silhouette_samples_f32(Xf, n, d, labels, 0, s32),
                     KM_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(s64[i] - s32[i]) < 1e-5);
    assert_int_equal(
        km_silhouette_score_f32(Xf, n, d, labels, 0, 0, 0, &score32), KM_OK);
    assert_int_equal(
        km_silhouette_score_f64(X, n, d, labels, 0, 0, 0, &score64), KM_OK);
    assert_true(fabs(score32 - score64) < 1e-5);
    free(X);
    free(Xf);
    free(labels);
    free(s64);
    free(s32);
}

static void test_sample_size(void **state)
{
    const size_t n = 2000, d = 2;
    double *X = td_blobs(n, d, 3, 0.5, 5);
    int32_t *labels = malloc(n * sizeof *labels);
    double full, all, a, b, c;

    (void)state;
    for (size_t i = 0; i < n; i++)
        labels[i] = X[i * d] > 0.0 ? 1 : 0;
    assert_int_equal(km_silhouette_score_f64(X, n, d, labels, 0, 0, 0, &full),
                     KM_OK);
    /* sample_size >= n is every row (the seed is ignored). */
    assert_int_equal(km_silhouette_score_f64(X, n, d, labels, n, 99, 0, &all),
                     KM_OK);
    assert_memory_equal(&full, &all, sizeof full);
    assert_int_equal(km_silhouette_score_f64(X, n, d, labels, 300, 1, 1, &a),
                     KM_OK);
    assert_int_equal(km_silhouette_score_f64(X, n, d, labels, 300, 1, 2, &b),
                     KM_OK);
    assert_int_equal(km_silhouette_score_f64(X, n, d, labels, 300, 2, 1, &c),
                     KM_OK);
    assert_memory_equal(&a, &b, sizeof a); /* same seed, same sample */
    assert_true(a != c);                   /* another seed, another sample */
    assert_true(fabs(a - full) < 0.05 && fabs(c - full) < 0.05);
    /* A sample too small for two clusters. */
    assert_int_equal(km_silhouette_score_f64(X, n, d, labels, 1, 0, 0, &a),
                     KM_ERR_SHAPE);
    free(X);
    free(labels);
}

/* ---- Calinski-Harabasz and Davies-Bouldin by hand
 * -------------------------------
 */

static void test_scores_by_hand(void **state)
{
    /* Two clusters on a line: {0, 2} (mean 1) and {10, 12} (mean 11).
       Overall mean 6; B = 2*25 + 2*25 = 100; W = 4 * 1 = 4;
       CH = (100 / 1) / (4 / 2) = 50.  S = 1 for both, centers 10 apart:
       DB = (1 + 1) / 10 = 0.2. */
    const double X[4] = {0.0, 2.0, 10.0, 12.0};
    const int32_t labels[4] = {5, 5, -1, -1};
    double ch, db;

    (void)state;
    assert_int_equal(km_calinski_harabasz_f64(X, 4, 1, labels, &ch), KM_OK);
    assert_true(fabs(ch - 50.0) < 1e-12);
    assert_int_equal(km_davies_bouldin_f64(X, 4, 1, labels, &db), KM_OK);
    assert_true(fabs(db - 0.2) < 1e-15);
    {
        /* Zero within-cluster dispersion: CH is 1, DB is 0. */
        const double Y[4] = {1.0, 1.0, 3.0, 3.0};
        assert_int_equal(km_calinski_harabasz_f64(Y, 4, 1, labels, &ch), KM_OK);
        assert_true(ch == 1.0);
        assert_int_equal(km_davies_bouldin_f64(Y, 4, 1, labels, &db), KM_OK);
        assert_true(db == 0.0);
    }
}

/* ---- errors -----------------------------------------------------------------
 */

static void test_errors(void **state)
{
    const double X[8] = {0, 0, 1, 1, 5, 5, 6, 6};
    const float Xf[8] = {0, 0, 1, 1, 5, 5, 6, 6};
    const int32_t two[4] = {0, 0, 1, 1}, one[4] = {3, 3, 3, 3};
    const int32_t all[4] = {0, 1, 2, 3};
    double s[4], score;
    double bad[8] = {0, 0, 1, 1, 5, NAN, 6, 6};

    (void)state;
    assert_int_equal(km_silhouette_samples_f64(X, 4, 2, two, 0, s), KM_OK);
    assert_int_equal(km_silhouette_samples_f64(NULL, 4, 2, two, 0, s),
                     KM_ERR_ARG);
    assert_int_equal(km_silhouette_samples_f64(X, 4, 2, NULL, 0, s),
                     KM_ERR_ARG);
    assert_int_equal(km_silhouette_samples_f64(X, 4, 2, two, 0, NULL),
                     KM_ERR_ARG);
    assert_int_equal(km_silhouette_score_f64(X, 4, 2, two, 0, 0, 0, NULL),
                     KM_ERR_ARG);
    assert_int_equal(km_silhouette_samples_f64(X, 4, 0, two, 0, s),
                     KM_ERR_SHAPE);
    assert_int_equal(km_silhouette_samples_f64(X, 2, 2, two, 0, s),
                     KM_ERR_SHAPE);
    assert_int_equal(km_silhouette_samples_f64(X, 4, 2, one, 0, s),
                     KM_ERR_SHAPE);
    assert_int_equal(km_silhouette_samples_f64(X, 4, 2, all, 0, s),
                     KM_ERR_SHAPE);
    assert_int_equal(km_silhouette_samples_f32(Xf, 4, 2, all, 0, s),
                     KM_ERR_SHAPE);
    assert_int_equal(km_silhouette_samples_f64(bad, 4, 2, two, 0, s),
                     KM_ERR_NONFINITE);
    {
        /* finite, but the squared distances overflow float (and double) */
        const float huge[8] = {-3e19f, 0, 3e19f, 0, 0, 1, 1, 1};
        const double vast[8] = {-1e308, 0, 1e308, 0, 0, 1, 1, 1};
        const float fine[8] = {-1e18f, 0, 1e18f, 0, 0, 1, 1, 1};

        assert_int_equal(km_silhouette_samples_f32(huge, 4, 2, two, 0, s),
                         KM_ERR_NONFINITE);
        assert_int_equal(km_silhouette_samples_f64(vast, 4, 2, two, 0, s),
                         KM_ERR_NONFINITE);
        assert_int_equal(km_silhouette_samples_f32(fine, 4, 2, two, 0, s),
                         KM_OK);
    }
    assert_int_equal(km_calinski_harabasz_f64(X, 4, 2, one, &score),
                     KM_ERR_SHAPE);
    assert_int_equal(km_davies_bouldin_f64(X, 4, 2, all, &score), KM_ERR_SHAPE);
    assert_int_equal(km_davies_bouldin_f32(Xf, 4, 2, two, NULL), KM_ERR_ARG);
    assert_int_equal(km_calinski_harabasz_f32(NULL, 4, 2, two, &score),
                     KM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_tiles_match_naive),
        cmocka_unit_test(test_rows_variant_matches_naive),
        cmocka_unit_test(test_avx2_matches_portable),
        cmocka_unit_test(test_float32),
        cmocka_unit_test(test_sample_size),
        cmocka_unit_test(test_scores_by_hand),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
