/*
 * test_classify.c - the classification layer (programs/classify): the
 * liblinear wrapper against scikit-learn, stratified folds, the shuffle
 * split, the K-Means feature pipeline (fitted on training rows only),
 * representatives, percentiles and label propagation; L-BFGS on a
 * quadratic and Rosenbrock, and the multinomial (lbfgs) logistic regression
 * against the golden files of tests/golden/make_logreg_golden.py.
 *
 * Expected values marked "scikit-learn" come from
 * `/usr/bin/python3 bench/classify_golden.py` (scikit-learn 1.2.1, numpy
 * 1.24); the permutation from bench/digits_sklearn.py's permutation().
 */
#include <math.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmclassify.h"

/* ---- small problems ------------------------------------------------------ */

static const double X3[15 * 2] = {0.0,  0.1, 0.3,  -0.2, -0.4, 0.2, 0.5,  0.6,
                                  1.8,  2.1, 2.2,  1.7,  2.6,  2.4, 1.0,  1.2,
                                  -2.0, 2.2, -1.6, 1.8,  -2.4, 2.6, -0.9, 1.1,
                                  0.2,  0.0, 2.0,  2.0,  -2.0, 2.0};
static const int32_t y3[15] = {0, 0, 0, 0, 1, 1, 1, 1, 7, 7, 7, 7, 0, 1, 7};
static const double Q3[5 * 2] = {0.0, 0.0, 2.0, 2.0,  -2.0,
                                 2.0, 1.0, 1.0, -1.0, 1.0};

static const double X2[8 * 3] = {1.0, 0.0, 2.0, 0.0, 1.0, 1.5, 2.0, 2.0,
                                 0.0, 3.0, 0.5, 0.0, 0.5, 3.0, 1.0, 2.5,
                                 2.5, 2.5, 0.0, 0.0, 3.0, 3.5, 1.0, 0.5};
static const int32_t y2[8] = {-1, -1, 1, 1, -1, 1, -1, 1};
static const double Q2[3 * 3] = {1.0, 1.0, 1.0, 3.0, 0.0, 0.0, 0.0, 2.0, 2.0};

/* scikit-learn: LogisticRegression(solver="liblinear", tol=1e-10, C=C)
   .decision_function(Q), classes in increasing order. */
static const double dec3_C1_0[15] = {
    0.7169204531749616,  -1.0990643151220414, -0.9506329740272603,
    -2.280598199421957,  2.1635236023247018,  -3.0410921185772986,
    -2.392864048602671,  -3.0270468046138523, 2.505133081984083,
    -0.7818388731234978, 0.5322296436013301,  -1.9958625463022794,
    -0.8379717977138548, -2.063055559867947,  0.7772500539784113};
static const double dec3_C0_1[15] = {
    -0.022193289090792524, -0.20319843963031303, -0.18768290930428497,
    -0.9765532289441191,   0.7941131017096206,   -1.1472375556171055,
    -0.9872017148975823,   -1.1418198902991257,  0.9048657652879267,
    -0.49937325901745583,  0.29545733103965377,  -0.6674602324606952,
    -0.5046975019941874,   -0.6725091649647194,  0.35859142799182087};
static const double dec2[3] = {0.0007434015278434125, 2.7700302358286026,
                               -1.7225475151473295};

/* Decision values agree with scikit-learn's to the solvers' tolerance:
   both stop at |grad| <= 1e-10 relative, but liblinear 2.3 (Debian) and
   scikit-learn's bundled copy take different Newton steps. */
static void check_decisions(const double *X, size_t n, size_t d,
                            const int32_t *y, double C, const double *Q,
                            size_t nq, const double *expected, size_t nc)
{
    kmc_logreg_params p;
    kmc_logreg *m = NULL;
    kmc_error err;
    double dec[8];

    kmc_logreg_params_init(&p);
    p.C = C;
    p.tol = 1e-10;
    assert_int_equal(kmc_logreg_train(&p, X, n, d, y, &m, &err), 0);
    for (size_t i = 0; i < nq; i++) {
        assert_int_equal(kmc_logreg_decision(m, Q + i * d, d, dec), 0);
        for (size_t c = 0; c < nc; c++)
            assert_true(fabs(dec[c] - expected[i * nc + c]) <= 1e-6);
    }
    kmc_logreg_free(m);
}

static void test_logreg_matches_sklearn_multiclass(void **state)
{
    (void)state;
    check_decisions(X3, 15, 2, y3, 1.0, Q3, 5, dec3_C1_0, 3);
    check_decisions(X3, 15, 2, y3, 0.1, Q3, 5, dec3_C0_1, 3);
}

static void test_logreg_matches_sklearn_binary(void **state)
{
    (void)state;
    check_decisions(X2, 8, 3, y2, 1.0, Q2, 3, dec2, 1);
}

static void test_logreg_predict(void **state)
{
    /* scikit-learn (default tol 1e-4): [0, 1, 7, 1, 7] and [1, 1, -1]. */
    static const int32_t want3[5] = {0, 1, 7, 1, 7}, want2[3] = {1, 1, -1};
    kmc_logreg_params p;
    kmc_logreg *m = NULL;
    kmc_error err;
    int32_t pred[5];

    (void)state;
    kmc_logreg_params_init(&p);
    assert_int_equal(kmc_logreg_train(&p, X3, 15, 2, y3, &m, &err), 0);
    assert_int_equal(kmc_logreg_n_classes(m), 3);
    assert_int_equal(kmc_logreg_classes(m)[2], 7);
    assert_int_equal(kmc_logreg_predict(m, Q3, 5, 2, pred, &err), 0);
    assert_memory_equal(pred, want3, sizeof want3);
    assert_int_equal(kmc_logreg_predict(m, Q3, 5, 3, pred, &err), -1);
    kmc_logreg_free(m);

    assert_int_equal(kmc_logreg_train(&p, X2, 8, 3, y2, &m, &err), 0);
    assert_int_equal(kmc_logreg_predict(m, Q2, 3, 3, pred, &err), 0);
    assert_memory_equal(pred, want2, sizeof want2);
    kmc_logreg_free(m);
    kmc_logreg_free(NULL);
}

static void test_logreg_errors(void **state)
{
    static const int32_t one_class[4] = {3, 3, 3, 3};
    double bad[4] = {0.0, 1.0, NAN, 2.0};
    kmc_logreg_params p;
    kmc_logreg *m = NULL;
    kmc_error err;

    (void)state;
    kmc_logreg_params_init(&p);
    assert_int_equal(kmc_logreg_train(&p, X3, 4, 1, one_class, &m, &err), -1);
    assert_null(m);
    assert_non_null(strstr(err.msg, "two classes"));
    assert_int_equal(kmc_logreg_train(&p, bad, 4, 1, y2, &m, &err), -1);
    assert_non_null(strstr(err.msg, "NaN"));
    p.C = 0.0;
    assert_int_equal(kmc_logreg_train(&p, X3, 15, 2, y3, &m, &err), -1);
    kmc_logreg_params_init(&p);
    p.tol = -1.0;
    assert_int_equal(kmc_logreg_train(&p, X3, 15, 2, y3, &m, &err), -1);
    kmc_logreg_params_init(&p);
    assert_int_equal(kmc_logreg_train(&p, X3, 0, 2, y3, &m, &err), -1);
}

/* ---- labels ---------------------------------------------------------------
 */

static kmio_matrix matrix(double *data, size_t n, size_t d)
{
    kmio_matrix m;
    memset(&m, 0, sizeof m);
    m.dtype = KM_FLOAT64;
    m.n = n;
    m.d = d;
    m.data = data;
    return m;
}

static void test_label_column(void **state)
{
    double v[3 * 3] = {1.0, 2.0, 0.0, 3.0, 4.0, 1.0, 5.0, 6.0, 1.0};
    kmio_matrix m = matrix(v, 3, 3);
    kmc_data d;
    kmc_error err;

    (void)state;
    assert_int_equal(kmc_data_from_matrix(&m, KMC_LABEL_LAST, "f", &d, &err),
                     0);
    assert_int_equal(d.d, 2);
    assert_int_equal(d.y[1], 1);
    assert_true(d.X[2] == 3.0 && d.X[5] == 6.0);
    kmc_data_free(&d);

    assert_int_equal(kmc_data_from_matrix(&m, 1, "f", &d, &err), 0);
    assert_int_equal(d.y[2], 5);
    assert_true(d.X[0] == 2.0 && d.X[1] == 0.0);
    kmc_data_free(&d);

    assert_int_equal(kmc_data_from_matrix(&m, KMC_LABEL_NONE, "f", &d, &err),
                     0);
    assert_null(d.y);
    assert_int_equal(d.d, 3);
    kmc_data_free(&d);

    assert_int_equal(kmc_data_from_matrix(&m, 4, "f.csv", &d, &err), -1);
    assert_non_null(strstr(err.msg, "f.csv: label column 4 is out of range"));

    v[4] = 2.5; /* row 2, column 2 */
    assert_int_equal(kmc_data_from_matrix(&m, 2, "f.csv", &d, &err), -1);
    assert_non_null(strstr(err.msg, "row 2: label 2.5 in column 2"));
    v[8] = 3e10;
    assert_int_equal(kmc_data_from_matrix(&m, KMC_LABEL_LAST, "f", &d, &err),
                     -1);

    m = matrix(v, 3, 1);
    assert_int_equal(kmc_data_from_matrix(&m, KMC_LABEL_LAST, "f", &d, &err),
                     -1);
    assert_non_null(strstr(err.msg, "no features"));
}

static void test_labels_file(void **state)
{
    double v[3] = {4.0, -1.0, 7.0}, w[3] = {4.0, 0.5, 7.0};
    kmio_matrix m = matrix(v, 3, 1);
    int32_t *y = NULL;
    kmc_error err;

    (void)state;
    assert_int_equal(kmc_labels_from_matrix(&m, 3, "l", &y, &err), 0);
    assert_int_equal(y[1], -1);
    free(y);
    assert_int_equal(kmc_labels_from_matrix(&m, 4, "l", &y, &err), -1);
    assert_non_null(strstr(err.msg, "has 3 labels, expected 4"));
    m = matrix(w, 3, 1);
    assert_int_equal(kmc_labels_from_matrix(&m, 3, "l", &y, &err), -1);
    assert_null(y);
    m = matrix(w, 1, 3);
    assert_int_equal(kmc_labels_from_matrix(&m, 1, "l", &y, &err), -1);
}

/* ---- splits ---------------------------------------------------------------
 */

static void test_permutation_matches_python(void **state)
{
    static const size_t want42[10] = {0, 9, 5, 8, 6, 4, 7, 2, 1, 3};
    static const size_t want0[5] = {2, 3, 1, 4, 0};
    size_t p[10];

    (void)state;
    kmc_permutation(10, 42, p);
    assert_memory_equal(p, want42, sizeof want42);
    kmc_permutation(5, 0, p);
    assert_memory_equal(p, want0, sizeof want0);
}

static void test_train_test_split(void **state)
{
    size_t tr[101], te[101], ntr, nte, tr2[101], te2[101], ntr2, nte2;
    int seen[101] = {0};
    kmc_error err;

    (void)state;
    assert_int_equal(
        kmc_train_test_split(101, 0.25, 7, tr, &ntr, te, &nte, &err), 0);
    assert_int_equal(nte, 26); /* ceil(25.25), as scikit-learn */
    assert_int_equal(ntr, 75);
    for (size_t i = 0; i < ntr; i++)
        seen[tr[i]]++;
    for (size_t i = 0; i < nte; i++)
        seen[te[i]]++;
    for (size_t i = 0; i < 101; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(
        kmc_train_test_split(101, 0.25, 7, tr2, &ntr2, te2, &nte2, &err), 0);
    assert_memory_equal(te, te2, nte * sizeof *te);
    assert_int_equal(
        kmc_train_test_split(101, 0.25, 8, tr2, &ntr2, te2, &nte2, &err), 0);
    assert_true(memcmp(te, te2, nte * sizeof *te) != 0);
    assert_int_equal(
        kmc_train_test_split(101, 10, 8, tr2, &ntr2, te2, &nte2, &err), 0);
    assert_int_equal(nte2, 10);
    assert_int_equal(
        kmc_train_test_split(101, 101, 8, tr2, &ntr2, te2, &nte2, &err), -1);
    assert_int_equal(
        kmc_train_test_split(101, 2.5, 8, tr2, &ntr2, te2, &nte2, &err), -1);
    assert_int_equal(
        kmc_train_test_split(1, 0.5, 8, tr2, &ntr2, te2, &nte2, &err), -1);
}

/* scikit-learn: StratifiedKFold(3).split(X, fold_y) test folds. */
static const int32_t fold_y[22] = {3, 1, 1, 3, 2, 2, 1, 3, 3, 1, 2,
                                   1, 1, 3, 2, 1, 1, 3, 2, 2, 5, 5};
static const int fold_expected[22] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
                                      1, 1, 2, 1, 2, 2, 2, 2, 2, 0, 2};

static void test_stratified_folds_match_sklearn(void **state)
{
    int fold[22];
    size_t min_class;
    kmc_error err;

    (void)state;
    assert_int_equal(
        kmc_stratified_folds(fold_y, 22, 3, fold, &min_class, &err), 0);
    assert_memory_equal(fold, fold_expected, sizeof fold);
    assert_int_equal(min_class, 2);
    assert_int_equal(kmc_stratified_folds(fold_y, 22, 1, fold, NULL, &err), -1);
    assert_int_equal(kmc_stratified_folds(fold_y, 22, 23, fold, NULL, &err),
                     -1);
    assert_int_equal(kmc_stratified_folds(fold_y, 22, 9, fold, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no class has 9 members"));
}

/* Every fold holds each class in proportion: count/F rounded down or up. */
static void test_stratified_folds_keep_proportions(void **state)
{
    enum { N = 1000, F = 5, C = 7 };
    int32_t *y = malloc(N * sizeof *y);
    int *fold = malloc(N * sizeof *fold);
    size_t count[C] = {0}, in_fold[F][C], size[F] = {0};
    kmc_error err;
    uint64_t s = 12345;

    (void)state;
    memset(in_fold, 0, sizeof in_fold);
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        /* Skewed class sizes: class c about twice as likely as c + 1. */
        uint64_t r = (s >> 33) % 127;
        int c = 0;
        while (c < C - 1 && r >= (uint64_t)(64 >> c))
            r -= (uint64_t)(64 >> c), c++;
        y[i] = (int32_t)(10 * c);
        count[c]++;
    }
    assert_int_equal(kmc_stratified_folds(y, N, F, fold, NULL, &err), 0);
    for (size_t i = 0; i < N; i++) {
        assert_true(fold[i] >= 0 && fold[i] < F);
        in_fold[fold[i]][y[i] / 10]++;
        size[fold[i]]++;
    }
    for (int f = 0; f < F; f++) {
        assert_true(size[f] == N / F || size[f] == N / F + 1);
        for (int c = 0; c < C; c++)
            assert_true(in_fold[f][c] == count[c] / F ||
                        in_fold[f][c] == count[c] / F + 1);
    }
    free(y);
    free(fold);
}

/* ---- the K-Means feature pipeline ----------------------------------------
 */

/* Four noisy blobs in 3-D with labels 0..3; deterministic. */
static void make_blobs(size_t n, double *X, int32_t *y, uint64_t seed)
{
    static const double centers[4][3] = {
        {0, 0, 0}, {5, 0, 0}, {0, 5, 0}, {0, 0, 5}};
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 4);
        for (size_t j = 0; j < 3; j++) {
            s = s * 6364136223846793005u + 1442695040888963407u;
            double u = (double)(s >> 11) / 9007199254740992.0;
            X[i * 3 + j] = centers[i % 4][j] + 3.0 * (u - 0.5);
        }
    }
}

/* K-Means in the pipeline is fitted on the training rows alone: its
   centers are those of km_fit on those rows, and the test rows, however
   wild, change nothing but the score. */
static void test_pipeline_never_sees_test_data(void **state)
{
    enum { NTR = 120, NTE = 40, K = 6 };
    double Xtr[NTR * 3], Xte[NTE * 3], c1[K * 3], c2[K * 3], acc, acc2;
    int32_t ytr[NTR], yte[NTE], pred[NTE];
    kmc_data train = {NTR, 3, Xtr, ytr}, test = {NTE, 3, Xte, yte};
    kmc_kmeans_opts ko;
    kmc_logreg_params lp;
    kmc_pipeline pl;
    km_params kp;
    km_model *alone = NULL;
    kmc_error err;
    size_t ok = 0;

    (void)state;
    make_blobs(NTR, Xtr, ytr, 1);
    make_blobs(NTE, Xte, yte, 2);
    kmc_kmeans_opts_init(&ko);
    ko.k = K;
    ko.seed = 9;
    kmc_logreg_params_init(&lp);
    assert_int_equal(kmc_pipeline_fit(&ko, &lp, &train, &pl, &err), 0);
    km_params_init(&kp);
    kp.n_clusters = K;
    kp.n_init = 10;
    kp.seed = 9;
    assert_int_equal(km_fit_f64(&kp, Xtr, NTR, 3, NULL, &alone, NULL), KM_OK);
    assert_int_equal(km_model_centers_f64(pl.kmeans, c1), KM_OK);
    assert_int_equal(km_model_centers_f64(alone, c2), KM_OK);
    assert_memory_equal(c1, c2, sizeof c1);

    /* The accuracy function is fit-on-train then predict-on-test. */
    assert_int_equal(kmc_pipeline_predict(&pl, Xte, NTE, 3, 0, pred, &err), 0);
    for (size_t i = 0; i < NTE; i++)
        ok += pred[i] == yte[i];
    assert_int_equal(kmc_pipeline_accuracy(&ko, &lp, &train, &test, &acc, &err),
                     0);
    assert_true(acc == (double)ok / NTE);
    assert_true(acc > 0.8);

    /* Test rows far away: the score changes, the fitted pipeline would
       not (same train => same centers, checked above), and the score is
       exactly that of the unchanged model on the new rows. */
    for (size_t i = 0; i < NTE * 3; i++)
        Xte[i] = Xte[i] * 100.0 + 1000.0;
    assert_int_equal(kmc_pipeline_predict(&pl, Xte, NTE, 3, 0, pred, &err), 0);
    ok = 0;
    for (size_t i = 0; i < NTE; i++)
        ok += pred[i] == yte[i];
    assert_int_equal(
        kmc_pipeline_accuracy(&ko, &lp, &train, &test, &acc2, &err), 0);
    assert_true(acc2 == (double)ok / NTE);
    kmc_pipeline_free(&pl);
    km_model_free(alone);
}

/* A cross-validation cell fits on the other folds only. */
static void test_cv_cell_fits_other_folds(void **state)
{
    enum { N = 90, K = 5 };
    double X[N * 3], acc;
    int32_t y[N];
    int fold[N];
    kmc_data data = {N, 3, X, y}, fit_part, val_part;
    size_t fit_idx[N], val_idx[N], nf = 0, nv = 0, correct, total;
    kmc_kmeans_opts ko;
    kmc_logreg_params lp;
    kmc_error err;

    (void)state;
    make_blobs(N, X, y, 3);
    assert_int_equal(kmc_stratified_folds(y, N, 3, fold, NULL, &err), 0);
    kmc_kmeans_opts_init(&ko);
    ko.k = K;
    ko.seed = 4;
    ko.n_threads = 1;
    kmc_logreg_params_init(&lp);
    assert_int_equal(
        kmc_cv_fold_score(&ko, &lp, &data, fold, 1, &correct, &total, &err), 0);
    for (size_t i = 0; i < N; i++) {
        if (fold[i] == 1)
            val_idx[nv++] = i;
        else
            fit_idx[nf++] = i;
    }
    assert_int_equal(total, nv);
    assert_int_equal(kmc_data_subset(&data, fit_idx, nf, &fit_part, &err), 0);
    assert_int_equal(kmc_data_subset(&data, val_idx, nv, &val_part, &err), 0);
    assert_int_equal(
        kmc_pipeline_accuracy(&ko, &lp, &fit_part, &val_part, &acc, &err), 0);
    assert_true(acc == (double)correct / (double)total);
    kmc_data_free(&fit_part);
    kmc_data_free(&val_part);
}

/* ---- representatives and propagation -------------------------------------
 */

static void test_representatives_are_argmin(void **state)
{
    enum { N = 200, D = 3, K = 7 };
    double X[N * D], dist[N * K];
    int32_t y[N];
    size_t rep[K];
    km_model *m = NULL;
    km_params p;

    (void)state;
    make_blobs(N, X, y, 5);
    km_params_init(&p);
    p.n_clusters = K;
    p.seed = 1;
    assert_int_equal(km_fit_f64(&p, X, N, D, NULL, &m, NULL), KM_OK);
    assert_int_equal(km_transform_f64(m, X, N, D, dist, 1), KM_OK);
    kmc_representatives(dist, N, K, rep);
    for (size_t j = 0; j < K; j++) {
        for (size_t i = 0; i < N; i++) {
            assert_true(dist[rep[j] * K + j] <= dist[i * K + j]);
            if (i < rep[j])
                assert_true(dist[i * K + j] > dist[rep[j] * K + j]);
        }
    }
    km_model_free(m);

    /* Ties go to the lowest row. */
    {
        static const double tie[3 * 2] = {2.0, 1.0, 1.0, 1.0, 1.0, 3.0};
        size_t r[2];
        kmc_representatives(tie, 3, 2, r);
        assert_int_equal(r[0], 1);
        assert_int_equal(r[1], 0);
    }
}

static void test_percentile_matches_numpy(void **state)
{
    static const double v0[7] = {3.5, 1.25, 9.0, 4.0, 4.0, 0.5, 7.75};
    static const double p[8] = {0, 10, 20, 33.3, 50, 80, 99.9, 100};
    /* numpy.percentile(v0, p) */
    static const double want[8] = {
        0.5, 0.9500000000000001, 1.7000000000000004, 3.4954999999999994,
        4.0, 7.000000000000003,  8.992500000000001,  9.0};
    double v[7], one = 2.5;

    (void)state;
    for (size_t i = 0; i < 8; i++) {
        memcpy(v, v0, sizeof v);
        assert_true(fabs(kmc_percentile(v, 7, p[i]) - want[i]) <=
                    1e-15 * fabs(want[i]));
    }
    assert_true(kmc_percentile(&one, 1, 37.0) == 2.5);
}

static void test_propagation(void **state)
{
    enum { N = 300, D = 3, K = 6 };
    double X[N * D], dist[N * K], own[N];
    int32_t y[N], cluster[N], rep_label[K], full[N], part[N];
    bool kept[N];
    size_t rep[K], n_kept, per[K] = {0}, kept_per[K] = {0};
    km_model *m = NULL;
    km_params p;

    (void)state;
    make_blobs(N, X, y, 6);
    km_params_init(&p);
    p.n_clusters = K;
    p.seed = 2;
    assert_int_equal(km_fit_f64(&p, X, N, D, NULL, &m, cluster), KM_OK);
    assert_int_equal(km_transform_f64(m, X, N, D, dist, 1), KM_OK);
    kmc_representatives(dist, N, K, rep);
    for (size_t j = 0; j < K; j++)
        rep_label[j] = y[rep[j]] + 100;
    for (size_t i = 0; i < N; i++)
        own[i] = dist[i * K + (size_t)cluster[i]];

    /* P = 100 (numpy's 100th percentile is the maximum) is full
       propagation: every row, the label of its cluster's representative. */
    assert_int_equal(
        kmc_propagate(cluster, own, N, K, rep_label, 100.0, full, kept), N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(full[i], rep_label[cluster[i]]);
        assert_true(kept[i]);
    }
    /* 20%: in each cluster, exactly the rows at or below its percentile. */
    n_kept = kmc_propagate(cluster, own, N, K, rep_label, 20.0, part, kept);
    assert_true(n_kept > 0 && n_kept < N);
    for (size_t c = 0; c < K; c++) {
        double v[N], cut;
        size_t m_c = 0;
        for (size_t i = 0; i < N; i++) {
            if ((size_t)cluster[i] == c)
                v[m_c++] = own[i];
        }
        cut = kmc_percentile(v, m_c, 20.0);
        for (size_t i = 0; i < N; i++) {
            if ((size_t)cluster[i] != c)
                continue;
            per[c]++;
            assert_int_equal(kept[i], own[i] <= cut);
            kept_per[c] += kept[i];
        }
        /* About a fifth of each cluster, never none. */
        assert_true(kept_per[c] >= 1);
        assert_true(kept_per[c] <= per[c] / 5 + 1);
    }
    km_model_free(m);
}

/* ---- L-BFGS and the multinomial (lbfgs) logistic regression -------------
 */

/* f = 0.5 x'Ax - b'x with A = diag(1..n) + 0.5 (tridiagonal off-diagonals
   0.5), b_i = 1: an SPD quadratic with condition number about n. */
static int quadratic(void *ctx, const double *x, double *f, double *g)
{
    size_t n = *(const size_t *)ctx;
    double s = 0.0;

    for (size_t i = 0; i < n; i++) {
        double ax = (double)(i + 1) * x[i];
        if (i > 0)
            ax += 0.5 * x[i - 1];
        if (i + 1 < n)
            ax += 0.5 * x[i + 1];
        g[i] = ax - 1.0;
        s += 0.5 * x[i] * ax - x[i];
    }
    *f = s;
    return 0;
}

static void test_lbfgs_quadratic(void **state)
{
    size_t n = 40;
    double x[40] = {0}, g[40], f;
    kmc_lbfgs_params p;
    kmc_lbfgs_result r;

    (void)state;
    kmc_lbfgs_params_init(&p);
    p.gtol = 1e-10;
    p.ftol = 0.0;
    assert_int_equal(kmc_lbfgs_minimize(quadratic, &n, n, x, &p, &r), 0);
    assert_int_equal(r.status, KMC_LBFGS_GTOL);
    assert_true(kmc_lbfgs_converged(r.status));
    /* The gradient Ax - b at the answer, recomputed: the solution of
       Ax = b to 1e-10 in every row. */
    quadratic(&n, x, &f, g);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(g[i]) <= 1e-10);
    assert_true(r.gmax <= 1e-10 && r.f == f);
    assert_true(r.n_iter < 100);
}

/* The extended Rosenbrock function (pairs), minimum 0 at all ones. */
static int rosenbrock(void *ctx, const double *x, double *f, double *g)
{
    size_t n = *(const size_t *)ctx;
    double s = 0.0;

    for (size_t i = 0; i < n; i += 2) {
        double a = x[i + 1] - x[i] * x[i], b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
        g[i] = -400.0 * x[i] * a - 2.0 * b;
        g[i + 1] = 200.0 * a;
    }
    *f = s;
    return 0;
}

static void test_lbfgs_rosenbrock(void **state)
{
    size_t sizes[2] = {2, 20};
    kmc_lbfgs_params p;
    kmc_lbfgs_result r;

    (void)state;
    for (int t = 0; t < 2; t++) {
        size_t n = sizes[t];
        double x[20];
        for (size_t i = 0; i < n; i += 2) {
            x[i] = -1.2;
            x[i + 1] = 1.0;
        }
        kmc_lbfgs_params_init(&p);
        p.gtol = 1e-9;
        p.ftol = 0.0;
        p.max_iter = 1000;
        assert_int_equal(kmc_lbfgs_minimize(rosenbrock, &n, n, x, &p, &r), 0);
        assert_int_equal(r.status, KMC_LBFGS_GTOL);
        for (size_t i = 0; i < n; i++)
            assert_true(fabs(x[i] - 1.0) <= 1e-8);
        assert_true(r.f <= 1e-16);
    }
    /* One iteration is not enough: reported, not hidden. */
    {
        size_t n = 2;
        double x[2] = {-1.2, 1.0};
        kmc_lbfgs_params_init(&p);
        p.max_iter = 1;
        assert_int_equal(kmc_lbfgs_minimize(rosenbrock, &n, n, x, &p, &r), 0);
        assert_int_equal(r.status, KMC_LBFGS_MAX_ITER);
        assert_false(kmc_lbfgs_converged(r.status));
        assert_int_equal(r.n_iter, 1);
        assert_non_null(strstr(kmc_lbfgs_status_text(r.status), "max_iter"));
    }
}

static int failing(void *ctx, const double *x, double *f, double *g)
{
    int *calls = ctx;
    (void)x;
    g[0] = 1.0;
    *f = 0.0;
    return ++*calls >= 3; /* fails on the third call */
}

static void test_lbfgs_objective_error(void **state)
{
    int calls = 0;
    double x[1] = {0.0};
    kmc_lbfgs_params p;
    kmc_lbfgs_result r;

    (void)state;
    kmc_lbfgs_params_init(&p);
    assert_int_equal(kmc_lbfgs_minimize(failing, &calls, 1, x, &p, &r), -1);
    assert_int_equal(r.status, KMC_LBFGS_ABORTED);
}

/* tests/golden/logreg/NAME.txt: "KEY COUNT" lines, each followed by COUNT
   numbers (tests/golden/make_logreg_golden.py). */
typedef struct golden {
    char key[32][24];
    double *val[32];
    size_t count[32];
    size_t n_keys;
} golden;

static void golden_load(const char *name, golden *gd)
{
    const char *dir = getenv("KM_TEST_DATA");
    char path[4096], line[256];
    FILE *fp;

    memset(gd, 0, sizeof *gd);
    snprintf(path, sizeof path, "%s/golden/logreg/%s.txt", dir ? dir : "tests",
             name);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (fscanf(fp, " %23s", gd->key[gd->n_keys]) == 1) {
        size_t k = gd->n_keys, c;
        if (gd->key[k][0] == '#') {
            assert_non_null(fgets(line, sizeof line, fp));
            continue;
        }
        assert_int_equal(fscanf(fp, "%zu", &c), 1);
        gd->count[k] = c;
        gd->val[k] = malloc((c ? c : 1) * sizeof(double));
        assert_non_null(gd->val[k]);
        for (size_t i = 0; i < c; i++)
            assert_int_equal(fscanf(fp, "%lf", &gd->val[k][i]), 1);
        gd->n_keys++;
        assert_true(gd->n_keys < 32);
    }
    fclose(fp);
}

static const double *golden_get(const golden *gd, const char *key,
                                size_t *count)
{
    for (size_t k = 0; k < gd->n_keys; k++) {
        if (strcmp(gd->key[k], key) == 0) {
            if (count != NULL)
                *count = gd->count[k];
            return gd->val[k];
        }
    }
    fail_msg("golden file lacks %s", key);
    return NULL;
}

static void golden_free(golden *gd)
{
    for (size_t k = 0; k < gd->n_keys; k++)
        free(gd->val[k]);
}

/* A golden problem's data, labels as class indices 0..K-1. */
typedef struct gproblem {
    size_t n, d, K;
    double C;
    const double *X, *w;
    int32_t *y, *yi;
} gproblem;

static void gproblem_of(const golden *gd, gproblem *p)
{
    size_t nw = 0;
    const double *y = golden_get(gd, "y", NULL),
                 *cl = golden_get(gd, "classes", NULL);

    p->n = (size_t)golden_get(gd, "n", NULL)[0];
    p->d = (size_t)golden_get(gd, "d", NULL)[0];
    p->K = (size_t)golden_get(gd, "K", NULL)[0];
    p->C = golden_get(gd, "C", NULL)[0];
    p->X = golden_get(gd, "X", NULL);
    p->w = golden_get(gd, "w", &nw);
    if (nw == 0)
        p->w = NULL;
    p->y = malloc(p->n * sizeof *p->y);
    p->yi = malloc(p->n * sizeof *p->yi);
    assert_non_null(p->y);
    assert_non_null(p->yi);
    for (size_t i = 0; i < p->n; i++) {
        p->y[i] = (int32_t)y[i];
        p->yi[i] = -1;
        for (size_t c = 0; c < p->K; c++) {
            if (cl[c] == y[i])
                p->yi[i] = (int32_t)c;
        }
    }
}

/* scikit-learn's (K, d + 1) row-major matrix into ours, (d + 1) x K. */
static void theta_from_sklearn(const double *P, size_t d, size_t K,
                               double *theta)
{
    for (size_t c = 0; c < K; c++) {
        for (size_t j = 0; j <= d; j++)
            theta[j * K + c] = P[c * (d + 1) + j];
    }
}

static const char *const golden_cases[3] = {"three", "binary", "weighted"};

/* The objective and its gradient equal scikit-learn's LinearModelLoss at a
   point away from the optimum (rounding only). */
static void test_softmax_loss_matches_sklearn(void **state)
{
    (void)state;
    for (int t = 0; t < 3; t++) {
        golden gd;
        gproblem p;
        double theta[64], grad[64], f, gscale = 0.0;
        const double *want;

        golden_load(golden_cases[t], &gd);
        gproblem_of(&gd, &p);
        theta_from_sklearn(golden_get(&gd, "probe", NULL), p.d, p.K, theta);
        assert_int_equal(kmc_softmax_loss(p.X, p.n, p.d, p.yi, p.w, p.K, p.C,
                                          theta, &f, grad),
                         0);
        assert_true(fabs(f - golden_get(&gd, "probe_f", NULL)[0]) <=
                    1e-12 * fabs(f));
        want = golden_get(&gd, "probe_grad", NULL); /* (K, d + 1) */
        for (size_t i = 0; i < p.K * (p.d + 1); i++)
            gscale = fmax(gscale, fabs(want[i]));
        for (size_t c = 0; c < p.K; c++) {
            for (size_t j = 0; j <= p.d; j++)
                assert_true(fabs(grad[j * p.K + c] - want[c * (p.d + 1) + j]) <=
                            1e-12 * gscale);
        }
        free(p.y);
        free(p.yi);
        golden_free(&gd);
    }
}

/* |a - b| <= 1e-5 |b|, with 1e-8 of the largest |b| for entries near 0. */
static void assert_close(double a, double b, double scale)
{
    if (!(fabs(a - b) <= 1e-5 * fabs(b) + 1e-8 * scale))
        fail_msg("%.17g vs %.17g", a, b);
}

/*
 * L-BFGS to max |grad| <= 1e-10 reaches the optimum scikit-learn's
 * newton-cg finds to 1e-8: every coefficient and intercept within 1e-5
 * relative, the gradient there ~0, the objective equal; predictions equal
 * scikit-learn's lbfgs model's (on the training rows and new rows), and the
 * decision values equal the optimum's.
 */
static void test_lbfgs_logreg_matches_sklearn(void **state)
{
    (void)state;
    for (int t = 0; t < 3; t++) {
        golden gd;
        gproblem p;
        kmc_logreg_params lp;
        kmc_lbfgs_result r;
        kmc_error err;
        double theta[64], grad[64], f, scale = 0.0, coef[64], icpt[8];
        const double *oc = NULL, *oi = NULL, *sk_pred, *query, *qdec;
        size_t nq = 0, rows;

        golden_load(golden_cases[t], &gd);
        gproblem_of(&gd, &p);
        oc = golden_get(&gd, "coef", NULL);
        oi = golden_get(&gd, "intercept", NULL);
        rows = p.K == 2 ? 1 : p.K;
        for (size_t i = 0; i < rows * p.d; i++)
            scale = fmax(scale, fabs(oc[i]));
        for (size_t c = 0; c < rows; c++)
            scale = fmax(scale, fabs(oi[c]));

        kmc_logreg_params_init(&lp);
        lp.solver = KMC_SOLVER_LBFGS;
        lp.C = p.C;
        lp.tol = 1e-10;
        lp.ftol = 0.0;
        lp.max_iter = 10000;
        assert_int_equal(kmc_softmax_fit(&lp, p.X, p.n, p.d, p.yi, p.w, p.K,
                                         theta, &r, &err),
                         0);
        assert_int_equal(r.status, KMC_LBFGS_GTOL);
        assert_int_equal(kmc_softmax_loss(p.X, p.n, p.d, p.yi, p.w, p.K, p.C,
                                          theta, &f, grad),
                         0);
        for (size_t i = 0; i < (p.d + 1) * p.K; i++)
            assert_true(fabs(grad[i]) <= 1e-10);
        assert_true(fabs(f - golden_get(&gd, "opt_f", NULL)[0]) <=
                    1e-12 * fabs(f));
        for (size_t r_ = 0; r_ < rows; r_++) {
            size_t c = p.K == 2 ? 1 : r_;
            for (size_t j = 0; j < p.d; j++)
                assert_close(theta[j * p.K + c], oc[r_ * p.d + j], scale);
            assert_close(theta[p.d * p.K + c], oi[r_], scale);
        }
        /* Softmax depends on differences of intercepts only: from zero
           they keep summing to zero up to rounding, as scikit-learn's. */
        {
            double s = 0.0;
            for (size_t c = 0; c < p.K; c++)
                s += theta[p.d * p.K + c];
            assert_true(fabs(s) <= 1e-10 * scale);
        }

        /* Through kmc_logreg_train (no sample weights there). */
        sk_pred = golden_get(&gd, "sk_pred", NULL);
        query = golden_get(&gd, "query", &nq);
        nq /= p.d;
        qdec = golden_get(&gd, "opt_query_dec", NULL);
        if (p.w == NULL) {
            kmc_logreg *m = NULL;
            int32_t *pred = malloc(p.n * sizeof *pred);
            double dec[8];
            assert_non_null(pred);
            assert_int_equal(
                kmc_logreg_train(&lp, p.X, p.n, p.d, p.y, &m, &err), 0);
            assert_int_equal(kmc_logreg_solver(m), KMC_SOLVER_LBFGS);
            assert_int_equal(kmc_logreg_lbfgs_result(m).status, KMC_LBFGS_GTOL);
            assert_int_equal(kmc_logreg_coef(m, coef, icpt), rows);
            for (size_t i = 0; i < rows * p.d; i++)
                assert_close(coef[i], oc[i], scale);
            for (size_t c = 0; c < rows; c++)
                assert_close(icpt[c], oi[c], scale);
            assert_int_equal(kmc_logreg_predict(m, p.X, p.n, p.d, pred, &err),
                             0);
            for (size_t i = 0; i < p.n; i++)
                assert_int_equal(pred[i], (int32_t)sk_pred[i]);
            assert_int_equal(kmc_logreg_predict(m, query, nq, p.d, pred, &err),
                             0);
            for (size_t i = 0; i < nq; i++) {
                assert_int_equal(pred[i], (int32_t)golden_get(
                                              &gd, "sk_query_pred", NULL)[i]);
                assert_int_equal(
                    kmc_logreg_decision(m, query + i * p.d, p.d, dec), 0);
                for (size_t c = 0; c < rows; c++)
                    assert_close(dec[c], qdec[i * rows + c], scale);
            }
            if (p.K == 2) {
                /* Two classes: the multinomial model at C is the binary
                   one at 2 C, whose w is the difference of the rows. */
                const double *bc = golden_get(&gd, "bin_coef", NULL),
                             *bi = golden_get(&gd, "bin_intercept", NULL);
                for (size_t j = 0; j < p.d; j++)
                    assert_close(2.0 * coef[j], bc[j], 2.0 * scale);
                assert_close(2.0 * icpt[0], bi[0], 2.0 * scale);
            }
            kmc_logreg_free(m);
            free(pred);
        } else {
            /* Weighted: argmax of the scores on the training rows. */
            for (size_t i = 0; i < p.n; i++) {
                size_t best = 0;
                double z[8];
                for (size_t c = 0; c < p.K; c++) {
                    z[c] = theta[p.d * p.K + c];
                    for (size_t j = 0; j < p.d; j++)
                        z[c] += p.X[i * p.d + j] * theta[j * p.K + c];
                    if (z[c] > z[best])
                        best = c;
                }
                assert_true(golden_get(&gd, "classes", NULL)[best] ==
                            sk_pred[i]);
            }
        }
        free(p.y);
        free(p.yi);
        golden_free(&gd);
    }
}

/* scikit-learn's own lbfgs stops on scipy's relative-reduction test before
   1e-10: with the same test (the default ftol) we land as close to the
   optimum as it does, and the fit is still called converged. */
static void test_lbfgs_default_stopping(void **state)
{
    golden gd;
    gproblem p;
    kmc_logreg_params lp;
    kmc_lbfgs_result r;
    kmc_error err;
    double theta[64], scale = 0.0;
    const double *oc;

    (void)state;
    golden_load("three", &gd);
    gproblem_of(&gd, &p);
    oc = golden_get(&gd, "coef", NULL);
    for (size_t i = 0; i < p.K * p.d; i++)
        scale = fmax(scale, fabs(oc[i]));
    kmc_logreg_params_init(&lp);
    lp.tol = 1e-10;
    lp.max_iter = 10000;
    assert_int_equal(
        kmc_softmax_fit(&lp, p.X, p.n, p.d, p.yi, NULL, p.K, theta, &r, &err),
        0);
    assert_int_equal(r.status, KMC_LBFGS_FTOL);
    assert_true(kmc_lbfgs_converged(r.status));
    for (size_t c = 0; c < p.K; c++) {
        for (size_t j = 0; j < p.d; j++)
            assert_true(fabs(theta[j * p.K + c] - oc[c * p.d + j]) <=
                        1e-2 * scale);
    }
    free(p.y);
    free(p.yi);
    golden_free(&gd);
}

static void test_lbfgs_logreg_max_iter(void **state)
{
    kmc_logreg_params lp;
    kmc_logreg_stats st;
    kmc_logreg *m = NULL;
    kmc_error err;
    int32_t pred[5];

    (void)state;
    kmc_logreg_stats_init(&st);
    kmc_logreg_params_init(&lp);
    lp.solver = KMC_SOLVER_LBFGS;
    lp.max_iter = 1;
    lp.stats = &st;
    assert_int_equal(kmc_logreg_train(&lp, X3, 15, 2, y3, &m, &err), 0);
    assert_int_equal(kmc_logreg_lbfgs_result(m).status, KMC_LBFGS_MAX_ITER);
    assert_int_equal(kmc_logreg_predict(m, Q3, 5, 2, pred, &err), 0);
    kmc_logreg_free(m);
    lp.max_iter = 100;
    assert_int_equal(kmc_logreg_train(&lp, X3, 15, 2, y3, &m, &err), 0);
    assert_true(kmc_lbfgs_converged(kmc_logreg_lbfgs_result(m).status));
    kmc_logreg_free(m);
    lp.solver = KMC_SOLVER_LIBLINEAR;
    assert_int_equal(kmc_logreg_train(&lp, X3, 15, 2, y3, &m, &err), 0);
    kmc_logreg_free(m);
    assert_int_equal(atomic_load(&st.n_fits), 3);
    assert_int_equal(atomic_load(&st.n_max_iter), 1);
    assert_true(atomic_load(&st.max_n_iter) >= 2);

    lp.solver = KMC_SOLVER_LBFGS;
    lp.max_iter = 0;
    assert_int_equal(kmc_logreg_train(&lp, X3, 15, 2, y3, &m, &err), -1);
    assert_non_null(strstr(err.msg, "max_iter"));
    assert_null(m);
    assert_string_equal(kmc_solver_name(KMC_SOLVER_LBFGS), "lbfgs");
    assert_string_equal(kmc_solver_name(KMC_SOLVER_LIBLINEAR), "liblinear");
}

/* kmc_logreg_coef of a liblinear model gives its decision values. */
static void test_liblinear_coef(void **state)
{
    kmc_logreg_params lp;
    kmc_logreg *m = NULL;
    kmc_error err;
    double coef[3 * 3], icpt[3], dec[3];

    (void)state;
    kmc_logreg_params_init(&lp);
    assert_int_equal(kmc_logreg_train(&lp, X3, 15, 2, y3, &m, &err), 0);
    assert_int_equal(kmc_logreg_coef(m, coef, icpt), 3);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(kmc_logreg_decision(m, Q3 + 2 * i, 2, dec), 0);
        for (size_t c = 0; c < 3; c++)
            assert_true(fabs(dec[c] - (coef[2 * c] * Q3[2 * i] +
                                       coef[2 * c + 1] * Q3[2 * i + 1] +
                                       icpt[c])) <= 1e-12);
    }
    kmc_logreg_free(m);
    assert_int_equal(kmc_logreg_train(&lp, X2, 8, 3, y2, &m, &err), 0);
    assert_int_equal(kmc_logreg_coef(m, coef, icpt), 1);
    for (size_t i = 0; i < 3; i++) {
        double v = icpt[0];
        for (size_t j = 0; j < 3; j++)
            v += coef[j] * Q2[3 * i + j];
        assert_int_equal(kmc_logreg_decision(m, Q2 + 3 * i, 3, dec), 0);
        assert_true(fabs(dec[0] - v) <= 1e-12);
    }
    kmc_logreg_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logreg_matches_sklearn_multiclass),
        cmocka_unit_test(test_logreg_matches_sklearn_binary),
        cmocka_unit_test(test_logreg_predict),
        cmocka_unit_test(test_logreg_errors),
        cmocka_unit_test(test_label_column),
        cmocka_unit_test(test_labels_file),
        cmocka_unit_test(test_permutation_matches_python),
        cmocka_unit_test(test_train_test_split),
        cmocka_unit_test(test_stratified_folds_match_sklearn),
        cmocka_unit_test(test_stratified_folds_keep_proportions),
        cmocka_unit_test(test_pipeline_never_sees_test_data),
        cmocka_unit_test(test_cv_cell_fits_other_folds),
        cmocka_unit_test(test_representatives_are_argmin),
        cmocka_unit_test(test_percentile_matches_numpy),
        cmocka_unit_test(test_propagation),
        cmocka_unit_test(test_lbfgs_quadratic),
        cmocka_unit_test(test_lbfgs_rosenbrock),
        cmocka_unit_test(test_lbfgs_objective_error),
        cmocka_unit_test(test_softmax_loss_matches_sklearn),
        cmocka_unit_test(test_lbfgs_logreg_matches_sklearn),
        cmocka_unit_test(test_lbfgs_default_stopping),
        cmocka_unit_test(test_lbfgs_logreg_max_iter),
        cmocka_unit_test(test_liblinear_coef),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
