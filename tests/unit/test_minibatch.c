/*
 * test_minibatch.c - mini-batch K-Means and partial fits: scikit-learn's
 * partial_fit results batch by batch (tests/golden/minibatch/), integer
 * weights against repeated rows, 1 against N threads, the in-memory fit
 * against the row-callback fit, the early-stopping rules, errors, and the
 * mini-batch state through a model file.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmeans.h"

/* ---- data ---- */

/* Points around k centers on a circle of radius 10, from a small LCG. */
static double *make_blobs(size_t n, size_t d, size_t k, uint64_t seed)
{
    double *X = malloc(n * d * sizeof *X);
    uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;

    assert_non_null(X);
    for (size_t i = 0; i < n; i++) {
        size_t c = i % k;
        for (size_t f = 0; f < d; f++) {
            double u = 0.0;
            for (int t = 0; t < 4; t++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                u += (double)(s >> 11) * 0x1.0p-53;
            }
            X[i * d + f] =
                10.0 * cos((double)(c * (f + 1)) + (double)f) + (u - 2.0);
        }
    }
    return X;
}

static float *to_f32(const double *x, size_t n)
{
    float *y = malloc(n * sizeof *y);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)x[i];
    return y;
}

/* ---- golden cases ---- */

typedef struct gcase {
    char name[64];
    int f32;
    size_t n, d, k, n_batches;
    int weighted;
    double *X, *W, *init;
    FILE *fp; /* positioned at the first "step" */
} gcase;

static void expect_word(FILE *fp, const char *word)
{
    char buf[64];
    assert_int_equal(fscanf(fp, "%63s", buf), 1);
    if (strcmp(buf, word) != 0)
        fail_msg("golden file: expected '%s', got '%s'", word, buf);
}

static size_t read_size(FILE *fp, const char *key)
{
    size_t v;
    expect_word(fp, key);
    assert_int_equal(fscanf(fp, "%zu", &v), 1);
    return v;
}

static void read_doubles(FILE *fp, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fscanf(fp, "%lf", &out[i]), 1);
}

static void open_case(gcase *c, const char *file)
{
    const char *dir = getenv("KM_TEST_DATA");
    char path[4096], line[512], dtype[16];

    memset(c, 0, sizeof *c);
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/golden/minibatch/%s", dir, file);
    c->fp = fopen(path, "r");
    if (c->fp == NULL)
        fail_msg("cannot open %s", path);
    /* Comment lines first. */
    for (;;) {
        int ch = fgetc(c->fp);
        if (ch != '#') {
            ungetc(ch, c->fp);
            break;
        }
        assert_non_null(fgets(line, sizeof line, c->fp));
    }
    expect_word(c->fp, "name");
    assert_int_equal(fscanf(c->fp, "%63s", c->name), 1);
    expect_word(c->fp, "dtype");
    assert_int_equal(fscanf(c->fp, "%15s", dtype), 1);
    c->f32 = strcmp(dtype, "float32") == 0;
    c->n = read_size(c->fp, "n");
    c->d = read_size(c->fp, "d");
    c->k = read_size(c->fp, "k");
    c->n_batches = read_size(c->fp, "n_batches");
    c->weighted = (int)read_size(c->fp, "weights");
    c->X = malloc(c->n * c->d * sizeof *c->X);
    c->init = malloc(c->k * c->d * sizeof *c->init);
    assert_non_null(c->X);
    assert_non_null(c->init);
    expect_word(c->fp, "X");
    read_doubles(c->fp, c->X, c->n * c->d);
    if (c->weighted) {
        c->W = malloc(c->n * sizeof *c->W);
        assert_non_null(c->W);
        expect_word(c->fp, "W");
        read_doubles(c->fp, c->W, c->n);
    }
    expect_word(c->fp, "init");
    read_doubles(c->fp, c->init, c->k * c->d);
}

static void close_case(gcase *c)
{
    fclose(c->fp);
    free(c->X);
    free(c->W);
    free(c->init);
}

static int rel_close(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static void run_golden(const char *file)
{
    gcase c;
    km_minibatch_params p;
    km_model *m = NULL;
    double ctol, itol;

    open_case(&c, file);
    ctol = c.f32 ? 2e-5 : 1e-12;
    itol = c.f32 ? 1e-4 : 1e-10;
    km_minibatch_params_init(&p);
    p.base.n_clusters = (int)c.k;
    p.base.init = KM_INIT_ARRAY;
    p.base.init_centers = c.init;
    p.reassignment_ratio = 0.0;
    p.compute_labels = 1;
    for (size_t b = 0; b < c.n_batches; b++) {
        size_t step, lo, m_rows;
        double *C = malloc(c.k * c.d * sizeof *C);
        double *want = malloc(c.k * c.d * sizeof *want);
        double counts[64], want_counts[64], want_inertia;
        int32_t *lab;
        km_partial_info info;
        int st;

        assert_true(c.k <= 64);
        expect_word(c.fp, "step");
        assert_int_equal(fscanf(c.fp, "%zu", &step), 1);
        assert_int_equal(step, b);
        expect_word(c.fp, "rows");
        assert_int_equal(fscanf(c.fp, "%zu %zu", &lo, &m_rows), 2);
        expect_word(c.fp, "centers");
        read_doubles(c.fp, want, c.k * c.d);
        expect_word(c.fp, "counts");
        read_doubles(c.fp, want_counts, c.k);
        expect_word(c.fp, "inertia");
        read_doubles(c.fp, &want_inertia, 1);
        expect_word(c.fp, "labels");
        lab = malloc(m_rows * sizeof *lab);
        assert_non_null(lab);

        if (c.f32) {
            float *Xb = to_f32(c.X + lo * c.d, m_rows * c.d);
            float *wb = c.weighted ? to_f32(c.W + lo, m_rows) : NULL;
            st = km_partial_fit_f32(&m, &p, Xb, m_rows, c.d, wb, lab, &info);
            free(Xb);
            free(wb);
        } else {
            st = km_partial_fit_f64(&m, &p, c.X + lo * c.d, m_rows, c.d,
                                    c.weighted ? c.W + lo : NULL, lab, &info);
        }
        assert_int_equal(st, KM_OK);
        assert_int_equal(info.n_steps, (int64_t)b + 1);
        assert_int_equal(km_model_centers_f64(m, C), KM_OK);
        assert_int_equal(km_model_counts(m, counts), KM_OK);
        for (size_t t = 0; t < c.k * c.d; t++)
            if (!rel_close(C[t], want[t], ctol))
                fail_msg("%s batch %zu: center value %zu is %.17g, "
                         "scikit-learn %.17g",
                         file, b, t, C[t], want[t]);
        for (size_t j = 0; j < c.k; j++)
            if (!rel_close(counts[j], want_counts[j], c.f32 ? 1e-6 : 1e-13))
                fail_msg("%s batch %zu: count %zu is %.17g, scikit-learn "
                         "%.17g",
                         file, b, j, counts[j], want_counts[j]);
        if (!rel_close(info.inertia, want_inertia, itol))
            fail_msg("%s batch %zu: inertia %.17g, scikit-learn %.17g", file, b,
                     info.inertia, want_inertia);
        for (size_t i = 0; i < m_rows; i++) {
            int v;
            assert_int_equal(fscanf(c.fp, "%d", &v), 1);
            if (lab[i] != v)
                fail_msg("%s batch %zu row %zu: label %d, scikit-learn %d",
                         file, b, i, (int)lab[i], v);
        }
        free(lab);
        free(C);
        free(want);
    }
    km_model_free(m);
    close_case(&c);
}

static void test_golden_blobs(void **state)
{
    (void)state;
    run_golden("blobs_f64.txt");
    run_golden("blobs_f32.txt");
}

static void test_golden_weighted(void **state)
{
    (void)state;
    run_golden("weighted_f64.txt");
    run_golden("weighted_f32.txt");
}

static void test_golden_smallbatch(void **state)
{
    (void)state;
    run_golden("smallbatch_f64.txt");
    run_golden("smallbatch_f32.txt");
}

/* ---- properties ---- */

static void model_bits_equal(const km_model *a, const km_model *b)
{
    size_t k = (size_t)km_model_n_clusters(a), d = km_model_n_features(a);
    double *ca = malloc(k * d * sizeof *ca), *cb = malloc(k * d * sizeof *cb);
    double na[256], nb[256];

    assert_true(k <= 256);
    assert_int_equal(km_model_n_clusters(b), (int)k);
    km_model_centers_f64(a, ca);
    km_model_centers_f64(b, cb);
    assert_memory_equal(ca, cb, k * d * sizeof *ca);
    assert_int_equal(km_model_counts(a, na), KM_OK);
    assert_int_equal(km_model_counts(b, nb), KM_OK);
    assert_memory_equal(na, nb, k * sizeof *na);
    assert_true(km_model_inertia(a) == km_model_inertia(b));
    free(ca);
    free(cb);
}

/* Integer weights equal repeated rows (partial fits from the same
   centers, reassignment off): the same centers up to summation order. */
static void test_integer_weights(void **state)
{
    const size_t n = 240, d = 3, k = 4, nb = 4;
    double *X = make_blobs(n, d, k, 7), *W = malloc(n * sizeof *W);
    double *R, init[12];
    size_t nr = 0;
    km_minibatch_params p;
    km_model *mw = NULL, *mr = NULL;

    (void)state;
    for (size_t i = 0; i < n; i++) {
        W[i] = (double)(i % 3);
        nr += (size_t)W[i];
    }
    R = malloc(nr * d * sizeof *R);
    memcpy(init, X, sizeof init);
    km_minibatch_params_init(&p);
    p.base.n_clusters = (int)k;
    p.base.init = KM_INIT_ARRAY;
    p.base.init_centers = init;
    p.reassignment_ratio = 0.0;
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * (n / nb), hi = lo + n / nb, r = 0;
        for (size_t i = lo; i < hi; i++)
            for (int t = 0; t < (int)W[i]; t++, r++)
                memcpy(R + r * d, X + i * d, d * sizeof *R);
        assert_int_equal(km_partial_fit_f64(&mw, &p, X + lo * d, hi - lo, d,
                                            W + lo, NULL, NULL),
                         KM_OK);
        assert_int_equal(km_partial_fit_f64(&mr, &p, R, r, d, NULL, NULL, NULL),
                         KM_OK);
    }
    {
        double cw[12], cr[12], nw[4], nrr[4];
        km_model_centers_f64(mw, cw);
        km_model_centers_f64(mr, cr);
        km_model_counts(mw, nw);
        km_model_counts(mr, nrr);
        for (size_t t = 0; t < k * d; t++)
            assert_true(rel_close(cw[t], cr[t], 1e-12));
        for (size_t j = 0; j < k; j++)
            assert_true(nw[j] == nrr[j]);
    }
    km_model_free(mw);
    km_model_free(mr);
    free(X);
    free(W);
    free(R);
}

static void fit_threads(int threads, int use_f32, km_model **m,
                        km_minibatch_result *res, int32_t *labels)
{
    const size_t n = 5000, d = 5, k = 12;
    double *X = make_blobs(n, d, k, 3);
    km_minibatch_params p;
    int st;

    km_minibatch_params_init(&p);
    p.base.n_clusters = (int)k;
    p.base.seed = 11;
    p.base.n_threads = threads;
    p.base.n_init = 3;
    p.batch_size = 256;
    p.max_no_improvement = 0;
    p.base.max_iter = 3;
    if (use_f32) {
        float *Xf = to_f32(X, n * d);
        st = km_minibatch_fit_f32(&p, Xf, n, d, NULL, m, labels, res);
        free(Xf);
    } else {
        st = km_minibatch_fit_f64(&p, X, n, d, NULL, m, labels, res);
    }
    assert_int_equal(st, KM_OK);
    free(X);
}

/* Same seed, same bits, for 1, 2 and 4 threads; reassignments included
   (the default ratio). */
static void test_threads_same_bits(void **state)
{
    (void)state;
    for (int f = 0; f < 2; f++) {
        km_model *m1 = NULL, *m2 = NULL, *m4 = NULL;
        km_minibatch_result r1, r2, r4;
        int32_t *l1 = malloc(5000 * sizeof *l1), *l2 = malloc(5000 * 4);

        fit_threads(1, f, &m1, &r1, l1);
        fit_threads(2, f, &m2, &r2, l2);
        fit_threads(4, f, &m4, &r4, NULL);
        model_bits_equal(m1, m2);
        model_bits_equal(m1, m4);
        assert_memory_equal(l1, l2, 5000 * sizeof *l1);
        assert_int_equal(r1.n_steps, r2.n_steps);
        assert_int_equal(r1.n_steps, 3 * 5000 / 256);
        assert_int_equal(r1.stop_reason, KM_MB_STOP_MAX_ITER);
        assert_true(r1.inertia_exact);
        km_model_free(m1);
        km_model_free(m2);
        km_model_free(m4);
        free(l1);
        free(l2);
    }
}

/* The row callback gives the same bits as the array. */
typedef struct rows_src {
    const double *X, *W;
    size_t d;
    int calls, fail_at;
} rows_src;

static int rows_cb(void *user, const size_t *idx, size_t count, double *X_out,
                   double *w_out)
{
    rows_src *s = user;

    if (++s->calls == s->fail_at)
        return -1;
    for (size_t i = 0; i < count; i++) {
        memcpy(X_out + i * s->d, s->X + idx[i] * s->d, s->d * sizeof *X_out);
        if (w_out != NULL)
            w_out[i] = s->W[idx[i]];
    }
    return 0;
}

static void test_rows_callback_same_bits(void **state)
{
    const size_t n = 70000, d = 3, k = 6; /* more than one final chunk */
    double *X = make_blobs(n, d, k, 5), *W = malloc(n * sizeof *W);
    int32_t *la = malloc(n * sizeof *la), *lb = malloc(n * sizeof *lb);
    km_minibatch_params p;
    km_minibatch_result ra, rb;
    km_model *ma = NULL, *mb = NULL;
    rows_src src = {X, W, d, 0, 0};

    (void)state;
    for (size_t i = 0; i < n; i++)
        W[i] = 0.5 + (double)(i % 4);
    km_minibatch_params_init(&p);
    p.base.n_clusters = (int)k;
    p.base.seed = 3;
    p.base.tol = 1e-4;
    assert_int_equal(km_minibatch_fit_f64(&p, X, n, d, W, &ma, la, &ra), KM_OK);
    assert_int_equal(
        km_minibatch_fit_rows_f64(&p, n, d, rows_cb, &src, 1, &mb, lb, &rb),
        KM_OK);
    model_bits_equal(ma, mb);
    assert_memory_equal(la, lb, n * sizeof *la);
    assert_int_equal(ra.n_steps, rb.n_steps);
    assert_true(ra.inertia == rb.inertia);

    /* A failing callback fails the fit, without a model. */
    km_model_free(mb);
    mb = NULL;
    src.calls = 0;
    src.fail_at = 5;
    assert_int_equal(
        km_minibatch_fit_rows_f64(&p, n, d, rows_cb, &src, 1, &mb, NULL, NULL),
        KM_ERR_IO);
    assert_null(mb);
    km_model_free(ma);
    free(X);
    free(W);
    free(la);
    free(lb);
}

/* Early stopping: replay scikit-learn's rule on the logged smoothed
   inertia and check that the fit stopped exactly there. */
typedef struct ewa_log {
    double ewa[100000];
    int n;
} ewa_log;

static void log_ewa(void *user, const km_log_event *ev)
{
    ewa_log *l = user;
    if (ev->kind == KM_LOG_ITER && l->n < 100000)
        l->ewa[l->n++] = ev->inertia;
}

static void test_early_stop_no_improvement(void **state)
{
    const size_t n = 20000, d = 2, k = 5;
    double *X = make_blobs(n, d, k, 9);
    ewa_log *lg = calloc(1, sizeof *lg);
    km_minibatch_params p;
    km_minibatch_result r;
    km_model *m = NULL;
    int expect = -1, no_imp = 0;
    double best = 0.0;

    (void)state;
    km_minibatch_params_init(&p);
    p.base.n_clusters = (int)k;
    p.base.seed = 1;
    p.batch_size = 100;
    p.max_no_improvement = 4;
    p.base.log = log_ewa;
    p.base.log_user = lg;
    assert_int_equal(km_minibatch_fit_f64(&p, X, n, d, NULL, &m, NULL, &r),
                     KM_OK);
    assert_int_equal(r.stop_reason, KM_MB_STOP_NO_IMPROVEMENT);
    assert_int_equal(lg->n, (int)r.n_steps);
    /* Step 1 (index 0) is skipped; the average starts at step 2. */
    for (int s = 1; s < lg->n; s++) {
        if (s == 1 || lg->ewa[s] < best) {
            best = lg->ewa[s];
            no_imp = 0;
        } else if (++no_imp >= 4) {
            expect = s + 1;
            break;
        }
    }
    assert_int_equal(expect, (int)r.n_steps);
    assert_true(r.n_steps < r.max_steps);
    assert_true(km_model_flags(m) & KM_FLAG_CONVERGED);
    km_model_free(m);

    /* tol: a huge tolerance stops at the first checked step (2). */
    p.max_no_improvement = 0;
    p.base.tol = 1e6;
    p.base.log = NULL;
    assert_int_equal(km_minibatch_fit_f64(&p, X, n, d, NULL, &m, NULL, &r),
                     KM_OK);
    assert_int_equal(r.stop_reason, KM_MB_STOP_TOL);
    assert_int_equal(r.n_steps, 2);
    km_model_free(m);

    /* Both rules off: every step runs; without labels the inertia is the
       smoothed one times n. */
    p.base.tol = 0.0;
    p.base.max_iter = 2;
    p.compute_labels = 0;
    assert_int_equal(km_minibatch_fit_f64(&p, X, n, d, NULL, &m, NULL, &r),
                     KM_OK);
    assert_int_equal(r.stop_reason, KM_MB_STOP_MAX_ITER);
    assert_int_equal(r.n_steps, 2 * 20000 / 100);
    assert_int_equal(r.n_iter, 2);
    assert_false(r.inertia_exact);
    assert_true(r.inertia == r.ewa_inertia * (double)n);
    assert_false(km_model_flags(m) & KM_FLAG_CONVERGED);
    km_model_free(m);
    free(X);
    free(lg);
}

/* Mini-batch lands near full K-Means on easy data. */
static void test_quality_vs_full(void **state)
{
    const size_t n = 20000, d = 2, k = 5;
    double *X = make_blobs(n, d, k, 13);
    km_minibatch_params p;
    km_params fp;
    km_model *mb = NULL, *full = NULL;

    (void)state;
    km_minibatch_params_init(&p);
    p.base.n_clusters = (int)k;
    p.base.seed = 2;
    p.base.n_init = 3;
    assert_int_equal(km_minibatch_fit_f64(&p, X, n, d, NULL, &mb, NULL, NULL),
                     KM_OK);
    km_params_init(&fp);
    fp.n_clusters = (int)k;
    fp.n_init = 3;
    assert_int_equal(km_fit_f64(&fp, X, n, d, NULL, &full, NULL), KM_OK);
    assert_true(km_model_inertia(mb) <= 1.05 * km_model_inertia(full));
    assert_true(km_model_inertia(mb) >= km_model_inertia(full) * 0.999);
    km_model_free(mb);
    km_model_free(full);
    free(X);
}

/* Errors; a failed partial fit leaves the model as it was. */
static void test_errors(void **state)
{
    const size_t n = 200, d = 3;
    double *X = make_blobs(n, d, 4, 1), *X4 = make_blobs(n, 4, 4, 1);
    km_minibatch_params p;
    km_model *m = NULL, *full = NULL;
    void *before, *after;
    size_t sb, sa;
    km_params fp;

    (void)state;
    km_minibatch_params_init(&p);
    p.base.n_clusters = 4;
    assert_null(km_minibatch_params_check(&p));
    p.batch_size = 0;
    assert_non_null(km_minibatch_params_check(&p));
    assert_int_equal(km_minibatch_fit_f64(&p, X, n, d, NULL, &m, NULL, NULL),
                     KM_ERR_ARG);
    p.batch_size = 1024;
    p.reassignment_ratio = -1;
    assert_non_null(km_minibatch_params_check(&p));
    p.reassignment_ratio = NAN;
    assert_non_null(km_minibatch_params_check(&p));
    p.reassignment_ratio = 0.01;
    p.max_no_improvement = -1;
    assert_non_null(km_minibatch_params_check(&p));
    p.max_no_improvement = 10;
    p.init_size = -1;
    assert_non_null(km_minibatch_params_check(&p));
    p.init_size = 0;

    /* k > n; partial fit on a first batch smaller than k. */
    p.base.n_clusters = 300;
    assert_int_equal(km_minibatch_fit_f64(&p, X, n, d, NULL, &m, NULL, NULL),
                     KM_ERR_SHAPE);
    assert_int_equal(km_partial_fit_f64(&m, &p, X, n, d, NULL, NULL, NULL),
                     KM_ERR_SHAPE);
    assert_null(m);
    p.base.n_clusters = 4;

    assert_int_equal(km_partial_fit_f64(&m, &p, X, n, d, NULL, NULL, NULL),
                     KM_OK);
    assert_int_equal(km_model_save_mem(m, &before, &sb), KM_OK);
    /* Other feature count, other precision, bad values: all refused and
       the model untouched. */
    assert_int_equal(km_partial_fit_f64(&m, NULL, X4, n, 4, NULL, NULL, NULL),
                     KM_ERR_SHAPE);
    {
        float xf[6] = {0};
        assert_int_equal(
            km_partial_fit_f32(&m, NULL, xf, 2, 3, NULL, NULL, NULL),
            KM_ERR_ARG);
    }
    X[5] = NAN;
    assert_int_equal(km_partial_fit_f64(&m, NULL, X, n, d, NULL, NULL, NULL),
                     KM_ERR_NONFINITE);
    X[5] = 1.0;
    {
        double w[200];
        for (int i = 0; i < 200; i++)
            w[i] = 1.0;
        w[7] = -1.0;
        assert_int_equal(km_partial_fit_f64(&m, NULL, X, n, d, w, NULL, NULL),
                         KM_ERR_WEIGHTS);
    }
    assert_int_equal(km_model_save_mem(m, &after, &sa), KM_OK);
    assert_int_equal(sa, sb);
    assert_memory_equal(before, after, sa);
    free(before);
    free(after);

    /* A model without mini-batch state cannot be continued. */
    km_params_init(&fp);
    fp.n_clusters = 4;
    assert_int_equal(km_fit_f64(&fp, X, n, d, NULL, &full, NULL), KM_OK);
    assert_false(km_model_has_counts(full));
    assert_int_equal(km_partial_fit_f64(&full, NULL, X, n, d, NULL, NULL, NULL),
                     KM_ERR_ARG);
    {
        double cnt[4];
        assert_int_equal(km_model_counts(full, cnt), KM_ERR_ARG);
    }
    km_model_free(full);
    km_model_free(m);
    free(X);
    free(X4);
}

/* The state survives a save and load: continuing the loaded model gives
   the same bits as continuing the original (random state included). */
static void test_state_roundtrip(void **state)
{
    const size_t n = 3000, d = 2, k = 8;
    double *X = make_blobs(n, d, k, 21);
    km_minibatch_params p, q;
    km_model *a = NULL, *b = NULL;
    void *buf;
    size_t size;
    int64_t steps;

    (void)state;
    km_minibatch_params_init(&p);
    p.base.n_clusters = (int)k;
    p.base.seed = 5;
    p.batch_size = 100;
    p.reassignment_ratio = 0.3; /* reassignments do happen */
    assert_int_equal(km_partial_fit_f64(&a, &p, X, 500, d, NULL, NULL, NULL),
                     KM_OK);
    assert_int_equal(km_model_save_mem(a, &buf, &size), KM_OK);
    assert_int_equal(km_model_load_mem(buf, size, &b), KM_OK);
    free(buf);
    assert_true(km_model_has_counts(b));
    assert_int_equal(km_model_minibatch_params(b, &q, &steps), KM_OK);
    assert_int_equal(steps, 1);
    assert_int_equal(q.batch_size, 100);
    assert_true(q.reassignment_ratio == 0.3);
    for (size_t lo = 500; lo < n; lo += 100) {
        km_partial_info ia, ib;
        assert_int_equal(
            km_partial_fit_f64(&a, NULL, X + lo * d, 100, d, NULL, NULL, &ia),
            KM_OK);
        assert_int_equal(
            km_partial_fit_f64(&b, NULL, X + lo * d, 100, d, NULL, NULL, &ib),
            KM_OK);
        assert_int_equal(ia.n_reassigned, ib.n_reassigned);
    }
    model_bits_equal(a, b);
    km_model_free(a);
    km_model_free(b);
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_blobs),
        cmocka_unit_test(test_golden_weighted),
        cmocka_unit_test(test_golden_smallbatch),
        cmocka_unit_test(test_integer_weights),
        cmocka_unit_test(test_threads_same_bits),
        cmocka_unit_test(test_rows_callback_same_bits),
        cmocka_unit_test(test_early_stop_no_improvement),
        cmocka_unit_test(test_quality_vs_full),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_state_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
