/*
 * test_fit.c - unit tests of the fit entry points, parameters and errors,
 * and the apply functions (predict, transform, score).
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
#include "km_testdata.h"

static km_model *fit64(const km_params *p, const double *X, size_t n, size_t d,
                       const double *w, int32_t *labels)
{
    km_model *m = NULL;
    int s = km_fit_f64(p, X, n, d, w, &m, labels);

    assert_int_equal(s, KM_OK);
    assert_non_null(m);
    return m;
}

static void test_params_defaults(void **state)
{
    km_params p;

    (void)state;
    km_params_init(&p);
    assert_int_equal(p.n_clusters, 8);
    assert_int_equal(p.init, KM_INIT_KMEANSPP);
    assert_int_equal(p.n_init, 0);
    assert_int_equal(p.max_iter, 300);
    assert_true(p.tol == 1e-4);
    assert_int_equal(p.algorithm, KM_ALGO_AUTO);
    assert_null(km_params_check(&p));
}

static void test_params_check(void **state)
{
    km_params p;

    (void)state;
    assert_non_null(km_params_check(NULL));
    km_params_init(&p);
    p.n_clusters = 0;
    assert_non_null(strstr(km_params_check(&p), "n_clusters"));
    km_params_init(&p);
    p.max_iter = 0;
    assert_non_null(strstr(km_params_check(&p), "max_iter"));
    km_params_init(&p);
    p.tol = -1;
    assert_non_null(strstr(km_params_check(&p), "tol"));
    p.tol = NAN;
    assert_non_null(strstr(km_params_check(&p), "tol"));
    km_params_init(&p);
    p.n_init = -1;
    assert_non_null(strstr(km_params_check(&p), "n_init"));
    km_params_init(&p);
    p.init = KM_INIT_ARRAY;
    assert_non_null(strstr(km_params_check(&p), "init_centers"));
    km_params_init(&p);
    p.algorithm = (km_algorithm)7;
    assert_non_null(strstr(km_params_check(&p), "algorithm"));
    p.algorithm = (km_algorithm)(KM_ALGO_YINYANG + 1);
    assert_non_null(strstr(km_params_check(&p), "algorithm"));
    p.algorithm = KM_ALGO_YINYANG;
    assert_null(km_params_check(&p));
    km_params_init(&p);
    p.n_threads = -2;
    assert_non_null(strstr(km_params_check(&p), "n_threads"));
}

static void test_strerror(void **state)
{
    (void)state;
    for (int s = 0; s >= KM_ERR_INTERNAL; s--) {
        assert_non_null(km_strerror(s));
        assert_null(strstr(km_strerror(s), "unknown"));
    }
    assert_non_null(strstr(km_strerror(42), "unknown"));
    assert_string_equal(km_version(), KM_VERSION_STRING);
}

static void test_fit_errors(void **state)
{
    double X[] = {0, 0, 1, 1, 2, 2, 3, 3};
    double w[] = {1, 1, 1, 1};
    double init[] = {0, 0, NAN, 1};
    km_params p;
    km_model *m = (km_model *)&m; /* must be reset to NULL on error */

    (void)state;
    km_params_init(&p);
    p.n_clusters = 2;
    assert_int_equal(km_fit_f64(NULL, X, 4, 2, NULL, &m, NULL), KM_ERR_ARG);
    assert_null(m);
    assert_int_equal(km_fit_f64(&p, NULL, 4, 2, NULL, &m, NULL), KM_ERR_ARG);
    assert_int_equal(km_fit_f64(&p, X, 4, 2, NULL, NULL, NULL), KM_ERR_ARG);
    assert_int_equal(km_fit_f64(&p, X, 0, 2, NULL, &m, NULL), KM_ERR_SHAPE);
    assert_int_equal(km_fit_f64(&p, X, 4, 0, NULL, &m, NULL), KM_ERR_SHAPE);
    p.n_clusters = 5;
    assert_int_equal(km_fit_f64(&p, X, 4, 2, NULL, &m, NULL), KM_ERR_SHAPE);
    p.n_clusters = 0;
    assert_int_equal(km_fit_f64(&p, X, 4, 2, NULL, &m, NULL), KM_ERR_ARG);
    p.n_clusters = 2;
    X[3] = NAN;
    assert_int_equal(km_fit_f64(&p, X, 4, 2, NULL, &m, NULL), KM_ERR_NONFINITE);
    X[3] = INFINITY;
    assert_int_equal(km_fit_f64(&p, X, 4, 2, NULL, &m, NULL), KM_ERR_NONFINITE);
    X[3] = 1;
    w[2] = -1;
    assert_int_equal(km_fit_f64(&p, X, 4, 2, w, &m, NULL), KM_ERR_WEIGHTS);
    w[2] = NAN;
    assert_int_equal(km_fit_f64(&p, X, 4, 2, w, &m, NULL), KM_ERR_NONFINITE);
    memset(w, 0, sizeof w);
    assert_int_equal(km_fit_f64(&p, X, 4, 2, w, &m, NULL), KM_ERR_WEIGHTS);
    p.init = KM_INIT_ARRAY;
    p.init_centers = init;
    assert_int_equal(km_fit_f64(&p, X, 4, 2, NULL, &m, NULL), KM_ERR_NONFINITE);
    assert_null(m);
}

static void test_fit_simple(void **state)
{
    /* Two obvious groups; every init finds them. */
    const double X[] = {0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10};
    const km_init inits[] = {KM_INIT_KMEANSPP, KM_INIT_RANDOM};
    int32_t lab[6];

    (void)state;
    for (int a = KM_ALGO_AUTO; a <= KM_ALGO_YINYANG; a++) {
        for (size_t t = 0; t < 2; t++) {
            km_params p;
            km_model *m;
            double c[4];

            km_params_init(&p);
            p.n_clusters = 2;
            p.init = inits[t];
            p.algorithm = (km_algorithm)a;
            p.seed = 3;
            m = fit64(&p, X, 6, 2, NULL, lab);
            assert_int_equal(lab[0], lab[1]);
            assert_int_equal(lab[0], lab[2]);
            assert_int_equal(lab[3], lab[4]);
            assert_int_equal(lab[3], lab[5]);
            assert_int_not_equal(lab[0], lab[3]);
            assert_int_equal(km_model_centers_f64(m, c), KM_OK);
            assert_true(fabs(c[2 * lab[0]] - 1.0 / 3) < 1e-15);
            assert_true(fabs(c[2 * lab[3] + 1] - 31.0 / 3) < 1e-14);
            /* 6 points at squared distance 2/3 or 5/9 ... from the means */
            assert_true(fabs(km_model_inertia(m) - 8.0 / 3) < 1e-12);
            assert_true(km_model_flags(m) & KM_FLAG_CONVERGED);
            assert_int_equal(km_model_n_clusters(m), 2);
            assert_int_equal((int)km_model_n_features(m), 2);
            assert_int_equal((int)km_model_n_samples(m), 6);
            assert_int_equal(km_model_dtype(m), KM_FLOAT64);
            km_model_free(m);
        }
    }
}

static void test_model_getters_null(void **state)
{
    km_params p;
    double c[1];

    (void)state;
    km_model_free(NULL);
    assert_int_equal(km_model_n_clusters(NULL), 0);
    assert_int_equal((int)km_model_n_features(NULL), 0);
    assert_int_equal(km_model_n_iter(NULL), 0);
    assert_int_equal(km_model_centers_f64(NULL, c), KM_ERR_ARG);
    km_model_params(NULL, &p);
    assert_int_equal(p.n_clusters, 8);
}

typedef struct log_capture {
    int iters;
    int runs;
    int warnings;
    double last_inertia;
    int monotone;
    char warning[256];
} log_capture;

static void capture(void *user, const km_log_event *ev)
{
    log_capture *c = user;

    if (ev->kind == KM_LOG_ITER) {
        if (ev->iter == 1)
            c->last_inertia = INFINITY;
        /* Lloyd never increases the inertia (up to rounding). */
        if (ev->inertia > c->last_inertia * (1 + 1e-12))
            c->monotone = 0;
        c->last_inertia = ev->inertia;
        c->iters++;
    } else if (ev->kind == KM_LOG_RUN) {
        c->runs++;
    } else {
        c->warnings++;
        strncpy(c->warning, ev->message, sizeof c->warning - 1);
    }
}

static void test_log_and_n_init(void **state)
{
    double *X = td_blobs(500, 3, 6, 1.5, 11);

    (void)state;
    for (int a = KM_ALGO_LLOYD; a <= KM_ALGO_YINYANG; a++) {
        log_capture cap = {0, 0, 0, 0.0, 1, ""};
        km_params p;
        km_model *m;

        km_params_init(&p);
        p.n_clusters = 6;
        p.init = KM_INIT_RANDOM; /* auto n_init = 10 */
        p.tol = 0;
        p.algorithm = (km_algorithm)a;
        p.log = capture;
        p.log_user = &cap;
        m = fit64(&p, X, 500, 3, NULL, NULL);
        assert_int_equal(cap.runs, 10);
        assert_true(cap.monotone);
        assert_int_equal(cap.warnings, 0);
        assert_true(cap.iters >= 10);
        km_model_free(m);
    }
    free(X);
}

static void test_explicit_init_warns_n_init(void **state)
{
    const double X[] = {0, 1, 2, 10, 11, 12};
    const double init[] = {0, 12};
    log_capture cap = {0, 0, 0, 0.0, 1, ""};
    km_params p;
    km_model *m;

    (void)state;
    km_params_init(&p);
    p.n_clusters = 2;
    p.init = KM_INIT_ARRAY;
    p.init_centers = init;
    p.n_init = 5;
    p.log = capture;
    p.log_user = &cap;
    m = fit64(&p, X, 6, 1, NULL, NULL);
    assert_int_equal(cap.runs, 1);
    assert_int_equal(cap.warnings, 1);
    assert_non_null(strstr(cap.warning, "one initialization"));
    km_model_free(m);
}

static void test_fewer_distinct_points(void **state)
{
    /* Three distinct points, k = 5: the fit succeeds with a warning. */
    const double X[] = {1, 1, 1, 2, 2, 3, 3, 3};
    int32_t lab[8];

    (void)state;
    for (int a = KM_ALGO_LLOYD; a <= KM_ALGO_YINYANG; a++) {
        log_capture cap = {0, 0, 0, 0.0, 1, ""};
        km_params p;
        km_model *m;

        km_params_init(&p);
        p.n_clusters = 5;
        p.algorithm = (km_algorithm)a;
        p.log = capture;
        p.log_user = &cap;
        m = fit64(&p, X, 8, 1, NULL, lab);
        assert_true(km_model_flags(m) & KM_FLAG_FEWER_CLUSTERS);
        assert_int_equal(cap.warnings, 1);
        assert_non_null(strstr(cap.warning, "distinct clusters (3)"));
        assert_true(km_model_inertia(m) == 0.0);
        km_model_free(m);
    }
}

static void test_k_equals_n_and_one(void **state)
{
    const double X[] = {5, 1, 4, 2, 3};
    int32_t lab[5];
    km_params p;
    km_model *m;
    double c[5];

    (void)state;
    km_params_init(&p);
    p.n_clusters = 5;
    m = fit64(&p, X, 5, 1, NULL, lab);
    assert_true(km_model_inertia(m) == 0.0);
    assert_false(km_model_flags(m) & KM_FLAG_FEWER_CLUSTERS);
    km_model_free(m);

    p.n_clusters = 1;
    for (int a = KM_ALGO_ELKAN; a <= KM_ALGO_YINYANG; a++) {
        p.algorithm = (km_algorithm)a; /* runs Lloyd: one center */
        m = fit64(&p, X, 5, 1, NULL, lab);
        km_model_centers_f64(m, c);
        assert_true(c[0] == 3.0);
        assert_true(km_model_inertia(m) == 10.0);
        for (int i = 0; i < 5; i++)
            assert_int_equal(lab[i], 0);
        km_model_free(m);
    }
}

/* A model fitted with Yinyang saves and loads with its algorithm. */
static void test_yinyang_model_roundtrip(void **state)
{
    double *X = td_blobs(400, 2, 4, 1.0, 21);
    km_params p, q;
    km_model *m, *back = NULL;
    void *buf = NULL;
    size_t size = 0;

    (void)state;
    km_params_init(&p);
    p.n_clusters = 4;
    p.algorithm = KM_ALGO_YINYANG;
    m = fit64(&p, X, 400, 2, NULL, NULL);
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_OK);
    assert_int_equal(km_model_load_mem(buf, size, &back), KM_OK);
    km_model_params(back, &q);
    assert_int_equal(q.algorithm, KM_ALGO_YINYANG);
    assert_true(km_model_inertia(back) == km_model_inertia(m));
    free(buf);
    km_model_free(m);
    km_model_free(back);
    free(X);
}

static void test_empty_cluster_relocation(void **state)
{
    /* A center far from every point gets no points in the first
       assignment; it takes the point farthest from its center. */
    const double X[] = {0, 1, 2, 3, 10, 11, 12, 30};
    const double init[] = {1, 11, 1000};
    int32_t lab[8];
    km_params p;
    km_model *m;
    double c[3];

    (void)state;
    for (int a = KM_ALGO_LLOYD; a <= KM_ALGO_YINYANG; a++) {
        km_params_init(&p);
        p.n_clusters = 3;
        p.init = KM_INIT_ARRAY;
        p.init_centers = init;
        p.algorithm = (km_algorithm)a;
        m = fit64(&p, X, 8, 1, NULL, lab);
        km_model_centers_f64(m, c);
        assert_true(c[0] == 1.5);
        assert_true(c[1] == 11.0);
        assert_true(c[2] == 30.0);
        assert_int_equal(lab[7], 2);
        km_model_free(m);
    }
}

/* Rows that repeat a few points exactly.  In float32, each center is the
   mean of copies of one point, which sums in double make exact: the
   inertia is exactly 0 through every kernel and algorithm.  In float64 the
   double sums round, so the means are only within an ulp or so. */
static void test_exact_means_of_copies(void **state)
{
    /* Three colors of an image scaled to [0, 1], as `kmeans segment` does,
       each repeated on 1000 pixels. */
    static const float colors[3][3] = {
        {37.0f, 201.0f, 90.0f}, {250.0f, 13.0f, 77.0f}, {128.0f, 128.0f, 3.0f}};
    static float Xf[3000 * 3];
    static double X[3000 * 3];

    (void)state;
    for (int i = 0; i < 3000; i++)
        for (int f = 0; f < 3; f++) {
            Xf[3 * i + f] = colors[(i * 7) % 3][f] / 255.0f;
            X[3 * i + f] = (double)colors[(i * 7) % 3][f] / 255.0;
        }
    for (int a = KM_ALGO_LLOYD; a <= KM_ALGO_YINYANG; a++) {
        km_params p;
        km_model *m;

        km_params_init(&p);
        p.n_clusters = 3;
        p.algorithm = (km_algorithm)a;
        assert_int_equal(km_fit_f32(&p, Xf, 3000, 3, NULL, &m, NULL), KM_OK);
        assert_true(km_model_inertia(m) == 0.0);
        km_model_free(m);
        assert_int_equal(km_fit_f64(&p, X, 3000, 3, NULL, &m, NULL), KM_OK);
        assert_true(km_model_inertia(m) < 1e-25);
        km_model_free(m);
    }
}

static void test_predict_transform_score(void **state)
{
    double *X = td_blobs(400, 4, 5, 1.0, 5);
    float *Xf = td_to_f32(X, 400 * 4);
    int32_t lab[400], pl[400];
    double sq[400], dist[400 * 5], c[20], score;
    float distf[400 * 5];
    km_params p;
    km_model *m;

    (void)state;
    km_params_init(&p);
    p.n_clusters = 5;
    p.seed = 9;
    p.tol = 0;
    m = fit64(&p, X, 400, 4, NULL, lab);
    assert_int_equal(km_predict_f64(m, X, 400, 4, pl, sq, 0), KM_OK);
    /* Converged strictly: the labels are the nearest final centers. */
    assert_memory_equal(lab, pl, sizeof lab);
    assert_int_equal(km_transform_f64(m, X, 400, 4, dist, 0), KM_OK);
    for (int i = 0; i < 400; i++) {
        int best = 0;

        for (int j = 1; j < 5; j++)
            if (dist[i * 5 + j] < dist[i * 5 + best])
                best = j;
        assert_int_equal(best, pl[i]);
        assert_true(fabs(dist[i * 5 + best] * dist[i * 5 + best] - sq[i]) <=
                    1e-12 * (1 + sq[i]));
    }
    assert_int_equal(km_score_f64(m, X, 400, 4, NULL, &score, 0), KM_OK);
    assert_true(fabs(score + km_model_inertia(m)) <=
                1e-12 * km_model_inertia(m));
    /* Each center is predicted as itself. */
    km_model_centers_f64(m, c);
    assert_int_equal(km_predict_f64(m, c, 5, 4, pl, NULL, 1), KM_OK);
    for (int j = 0; j < 5; j++)
        assert_int_equal(pl[j], j);
    /* float32 data against a float64 model. */
    assert_int_equal(km_transform_f32(m, Xf, 400, 4, distf, 2), KM_OK);
    for (int t = 0; t < 400 * 5; t++)
        assert_true(fabs(distf[t] - dist[t]) <= 1e-5 * (1 + dist[t]));
    /* Errors. */
    assert_int_equal(km_predict_f64(m, X, 400, 3, pl, NULL, 0), KM_ERR_SHAPE);
    assert_int_equal(km_predict_f64(NULL, X, 400, 4, pl, NULL, 0), KM_ERR_ARG);
    assert_int_equal(km_predict_f64(m, X, 400, 4, NULL, NULL, 0), KM_ERR_ARG);
    X[7] = NAN;
    assert_int_equal(km_predict_f64(m, X, 400, 4, pl, NULL, 0),
                     KM_ERR_NONFINITE);
    assert_int_equal(km_transform_f64(m, X, 400, 4, dist, 0), KM_ERR_NONFINITE);
    assert_int_equal(km_score_f64(m, X, 400, 4, NULL, &score, 0),
                     KM_ERR_NONFINITE);
    km_model_free(m);
    free(X);
    free(Xf);
}

static void test_kmeanspp_public(void **state)
{
    double *X = td_blobs(300, 2, 4, 0.5, 21);
    double w[300], C[8], C2[8];
    int64_t idx[4], idx2[4];

    (void)state;
    assert_int_equal(km_kmeanspp_f64(X, 300, 2, NULL, 4, 0, 7, C, idx), KM_OK);
    for (int j = 0; j < 4; j++) {
        assert_true(idx[j] >= 0 && idx[j] < 300);
        assert_true(C[2 * j] == X[2 * idx[j]]);
        for (int i = 0; i < j; i++)
            assert_true(idx[i] != idx[j]);
    }
    assert_int_equal(km_kmeanspp_f64(X, 300, 2, NULL, 4, 0, 7, C2, idx2),
                     KM_OK);
    assert_memory_equal(C, C2, sizeof C);
    /* Zero-weight rows are never chosen. */
    for (int i = 0; i < 300; i++)
        w[i] = i % 3 == 0 ? 1.0 : 0.0;
    for (uint64_t s = 0; s < 20; s++) {
        assert_int_equal(km_kmeanspp_f64(X, 300, 2, w, 4, 0, s, C, idx), KM_OK);
        for (int j = 0; j < 4; j++)
            assert_int_equal(idx[j] % 3, 0);
    }
    assert_int_equal(km_kmeanspp_f64(X, 300, 2, NULL, 301, 0, 7, C, idx),
                     KM_ERR_SHAPE);
    assert_int_equal(km_kmeanspp_f64(X, 300, 2, NULL, 0, 0, 7, C, idx),
                     KM_ERR_ARG);
    free(X);
}

static void test_float32_fit(void **state)
{
    double *X = td_blobs(600, 3, 4, 0.8, 33);
    float *Xf = td_to_f32(X, 600 * 3);
    double init[12];
    int32_t l64[600], l32[600];
    km_params p;
    km_model *m64, *m32;
    double c64[12], c32[12];
    float c32f[12];

    (void)state;
    for (int j = 0; j < 4; j++)
        for (int f = 0; f < 3; f++)
            init[j * 3 + f] = (double)Xf[(size_t)(j * 97) * 3 + (size_t)f];
    km_params_init(&p);
    p.n_clusters = 4;
    p.init = KM_INIT_ARRAY;
    p.init_centers = init;
    m64 = fit64(&p, X, 600, 3, NULL, l64);
    assert_int_equal(km_fit_f32(&p, Xf, 600, 3, NULL, &m32, l32), KM_OK);
    assert_int_equal(km_model_dtype(m32), KM_FLOAT32);
    assert_memory_equal(l64, l32, sizeof l64);
    km_model_centers_f64(m64, c64);
    km_model_centers_f64(m32, c32);
    km_model_centers_f32(m32, c32f);
    for (int t = 0; t < 12; t++) {
        assert_true(fabs(c64[t] - c32[t]) <= 1e-5 * (1 + fabs(c64[t])));
        assert_true((double)c32f[t] == c32[t]);
    }
    assert_true(fabs(km_model_inertia(m64) - km_model_inertia(m32)) <=
                1e-4 * km_model_inertia(m64));
    km_model_free(m64);
    km_model_free(m32);
    free(X);
    free(Xf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_defaults),
        cmocka_unit_test(test_params_check),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_fit_errors),
        cmocka_unit_test(test_fit_simple),
        cmocka_unit_test(test_model_getters_null),
        cmocka_unit_test(test_log_and_n_init),
        cmocka_unit_test(test_explicit_init_warns_n_init),
        cmocka_unit_test(test_fewer_distinct_points),
        cmocka_unit_test(test_k_equals_n_and_one),
        cmocka_unit_test(test_yinyang_model_roundtrip),
        cmocka_unit_test(test_empty_cluster_relocation),
        cmocka_unit_test(test_exact_means_of_copies),
        cmocka_unit_test(test_predict_transform_score),
        cmocka_unit_test(test_kmeanspp_public),
        cmocka_unit_test(test_float32_fit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
