/*
 * kmc_cluster_features.c - K-Means for classification: the distances to k
 * centers as features (fitted on training rows only), cross-validation
 * cells of a grid search over k, representatives, label propagation and
 * the book's semi-supervised experiment (Geron, Hands-On Machine Learning,
 * chapter 9).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmclassify.h"

static int fail(kmc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(kmc_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void kmc_kmeans_opts_init(kmc_kmeans_opts *o)
{
    o->k = 8;
    o->n_init = 10;
    o->max_iter = 300;
    o->tol = 1e-4;
    o->seed = 0;
    o->n_threads = 0;
}

int kmc_kmeans_fit(const kmc_kmeans_opts *o, const double *X, size_t n,
                   size_t d, km_model **model, int32_t *labels, kmc_error *err)
{
    km_params p;
    int status;

    *model = NULL;
    if (o->k < 1 || (size_t)o->k > n)
        return fail(err,
                    "%d clusters need at least %d training rows; there "
                    "are %zu",
                    o->k, o->k < 1 ? 1 : o->k, n);
    km_params_init(&p);
    p.n_clusters = o->k;
    p.n_init = o->n_init;
    p.max_iter = o->max_iter;
    p.tol = o->tol;
    p.seed = o->seed;
    p.n_threads = o->n_threads;
    status = km_fit_f64(&p, X, n, d, NULL, model, labels);
    if (status != KM_OK)
        return fail(err, "K-Means with k = %d: %s", o->k, km_strerror(status));
    return 0;
}

int kmc_distances(const km_model *model, const double *X, size_t n, size_t d,
                  int n_threads, double **dist, kmc_error *err)
{
    size_t k = (size_t)km_model_n_clusters(model);
    int status;

    *dist = malloc((n ? n : 1) * k * sizeof **dist);
    if (*dist == NULL)
        return fail(err, "out of memory for %zu x %zu distances", n, k);
    status = km_transform_f64(model, X, n, d, *dist, n_threads);
    if (status != KM_OK) {
        free(*dist);
        *dist = NULL;
        return fail(err, "distances to the centers: %s", km_strerror(status));
    }
    return 0;
}

int kmc_pipeline_fit(const kmc_kmeans_opts *ko, const kmc_logreg_params *lp,
                     const kmc_data *train, kmc_pipeline *out, kmc_error *err)
{
    double *F = NULL;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (kmc_kmeans_fit(ko, train->X, train->n, train->d, &out->kmeans, NULL,
                       err) != 0)
        return -1;
    if (kmc_distances(out->kmeans, train->X, train->n, train->d, ko->n_threads,
                      &F, err) != 0)
        goto done;
    rc = kmc_logreg_train(lp, F, train->n, (size_t)ko->k, train->y,
                          &out->logreg, err);
done:
    free(F);
    if (rc != 0)
        kmc_pipeline_free(out);
    return rc;
}

int kmc_pipeline_predict(const kmc_pipeline *pl, const double *X, size_t n,
                         size_t d, int n_threads, int32_t *pred, kmc_error *err)
{
    double *F = NULL;
    int rc;

    if (kmc_distances(pl->kmeans, X, n, d, n_threads, &F, err) != 0)
        return -1;
    rc = kmc_logreg_predict(pl->logreg, F, n,
                            (size_t)km_model_n_clusters(pl->kmeans), pred, err);
    free(F);
    return rc;
}

void kmc_pipeline_free(kmc_pipeline *pl)
{
    if (pl == NULL)
        return;
    km_model_free(pl->kmeans);
    kmc_logreg_free(pl->logreg);
    memset(pl, 0, sizeof *pl);
}

int kmc_pipeline_accuracy(const kmc_kmeans_opts *ko,
                          const kmc_logreg_params *lp, const kmc_data *train,
                          const kmc_data *test, double *accuracy,
                          kmc_error *err)
{
    kmc_pipeline pl;
    int32_t *pred;
    int rc;

    if (kmc_pipeline_fit(ko, lp, train, &pl, err) != 0)
        return -1;
    pred = malloc((test->n ? test->n : 1) * sizeof *pred);
    if (pred == NULL) {
        kmc_pipeline_free(&pl);
        return fail(err, "out of memory");
    }
    rc = kmc_pipeline_predict(&pl, test->X, test->n, test->d, ko->n_threads,
                              pred, err);
    if (rc == 0)
        *accuracy = kmc_accuracy(test->y, pred, test->n);
    free(pred);
    kmc_pipeline_free(&pl);
    return rc;
}

int kmc_cv_fold_score(const kmc_kmeans_opts *ko, const kmc_logreg_params *lp,
                      const kmc_data *data, const int *fold, int test_fold,
                      size_t *correct, size_t *total, kmc_error *err)
{
    size_t *idx, n_fit = 0, n_val = 0;
    kmc_data fit_part, val_part;
    kmc_pipeline pl;
    int32_t *pred = NULL;
    int rc = -1;

    idx = malloc((data->n ? data->n : 1) * sizeof *idx);
    if (idx == NULL)
        return fail(err, "out of memory");
    /* Training rows first, then validation rows, each in data order. */
    for (size_t i = 0; i < data->n; i++) {
        if (fold[i] != test_fold)
            idx[n_fit++] = i;
    }
    for (size_t i = 0; i < data->n; i++) {
        if (fold[i] == test_fold)
            idx[n_fit + n_val++] = i;
    }
    memset(&fit_part, 0, sizeof fit_part);
    memset(&val_part, 0, sizeof val_part);
    memset(&pl, 0, sizeof pl);
    if (kmc_data_subset(data, idx, n_fit, &fit_part, err) != 0 ||
        kmc_data_subset(data, idx + n_fit, n_val, &val_part, err) != 0)
        goto done;
    if (kmc_pipeline_fit(ko, lp, &fit_part, &pl, err) != 0)
        goto done;
    pred = malloc((n_val ? n_val : 1) * sizeof *pred);
    if (pred == NULL) {
        fail(err, "out of memory");
        goto done;
    }
    if (kmc_pipeline_predict(&pl, val_part.X, n_val, val_part.d, ko->n_threads,
                             pred, err) != 0)
        goto done;
    *correct = 0;
    for (size_t i = 0; i < n_val; i++)
        *correct += pred[i] == val_part.y[i];
    *total = n_val;
    rc = 0;
done:
    free(idx);
    free(pred);
    kmc_pipeline_free(&pl);
    kmc_data_free(&fit_part);
    kmc_data_free(&val_part);
    return rc;
}

void kmc_representatives(const double *dist, size_t n, size_t k, size_t *rep)
{
    for (size_t j = 0; j < k; j++) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++) {
            if (dist[i * k + j] < dist[best * k + j])
                best = i;
        }
        rep[j] = best;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double kmc_percentile(double *v, size_t m, double p)
{
    double q = p / 100.0, vi, g, a, b;
    size_t lo, hi;

    qsort(v, m, sizeof *v, cmp_double);
    /* numpy's "linear" method: virtual index n*q + (1 - q) - 1, i.e.
       q*(n-1), in numpy's order of operations, then its two-sided lerp,
       which returns b exactly when the weight is 1. */
    vi = (double)m * q + (1.0 + q * -1.0) - 1.0;
    if (vi <= 0.0)
        return v[0];
    if (vi >= (double)(m - 1))
        return v[m - 1];
    lo = (size_t)floor(vi);
    hi = lo + 1 < m ? lo + 1 : m - 1;
    g = vi - (double)lo;
    a = v[lo];
    b = v[hi];
    return g >= 0.5 ? b - (b - a) * (1.0 - g) : a + (b - a) * g;
}

size_t kmc_propagate(const int32_t *cluster, const double *own_dist, size_t n,
                     size_t k, const int32_t *rep_label, double percentile,
                     int32_t *label, bool *kept)
{
    size_t *count = NULL, *start = NULL, *fill = NULL, n_kept = 0;
    double *sorted = NULL, *cutoff = NULL;

    for (size_t i = 0; i < n; i++)
        label[i] = rep_label[cluster[i]];
    count = calloc(k, sizeof *count);
    start = calloc(k + 1, sizeof *start);
    fill = calloc(k, sizeof *fill);
    sorted = malloc((n ? n : 1) * sizeof *sorted);
    cutoff = malloc(k * sizeof *cutoff);
    if (!count || !start || !fill || !sorted || !cutoff) {
        n_kept = (size_t)-1;
        goto done;
    }
    /* Each cluster's own distances, gathered by counting sort. */
    for (size_t i = 0; i < n; i++)
        count[cluster[i]]++;
    for (size_t c = 0; c < k; c++)
        start[c + 1] = start[c] + count[c];
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)cluster[i];
        sorted[start[c] + fill[c]++] = own_dist[i];
    }
    for (size_t c = 0; c < k; c++) {
        cutoff[c] =
            count[c] ? kmc_percentile(sorted + start[c], count[c], percentile)
                     : 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        kept[i] = own_dist[i] <= cutoff[cluster[i]];
        n_kept += kept[i];
    }
done:
    free(count);
    free(start);
    free(fill);
    free(sorted);
    free(cutoff);
    return n_kept;
}

/* Logistic regression on rows idx of train (or all rows with labels y when
   idx is NULL), accuracy on test. */
static int score_on(const kmc_logreg_params *lp, const kmc_data *train,
                    const size_t *idx, size_t m, const int32_t *y,
                    const kmc_data *test, double *acc, const char *what,
                    kmc_error *err)
{
    kmc_data part;
    int rc;

    if (kmc_data_subset(train, idx, m, &part, err) != 0)
        return -1;
    if (y != NULL) {
        for (size_t i = 0; i < m; i++)
            part.y[i] = y[idx[i]];
    }
    rc = kmc_logreg_accuracy(lp, &part, test, acc, err);
    kmc_data_free(&part);
    if (rc != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        fail(err, "training on %s: %s", what, msg);
    }
    return rc;
}

int kmc_semisupervised(const kmc_kmeans_opts *ko, const kmc_logreg_params *lp,
                       const kmc_data *train, const kmc_data *test,
                       double percentile, kmc_semi_result *res, kmc_error *err)
{
    size_t n = train->n, k = (size_t)ko->k, *perm = NULL, *rep = NULL,
           *idx = NULL, m;
    int32_t *cluster = NULL, *rep_label = NULL, *prop = NULL;
    double *dist = NULL, *own = NULL;
    bool *kept = NULL;
    km_model *model = NULL;
    int rc = -1;

    memset(res, 0, sizeof *res);
    if (ko->k < 2 || k > n)
        return fail(err,
                    "the number of labeled rows must be from 2 to the %zu "
                    "training rows, not %d",
                    n, ko->k);
    perm = malloc(n * sizeof *perm);
    rep = malloc(k * sizeof *rep);
    idx = malloc(n * sizeof *idx);
    cluster = malloc(n * sizeof *cluster);
    rep_label = malloc(k * sizeof *rep_label);
    prop = malloc(n * sizeof *prop);
    own = malloc(n * sizeof *own);
    kept = malloc(n * sizeof *kept);
    if (!perm || !rep || !idx || !cluster || !rep_label || !prop || !own ||
        !kept) {
        fail(err, "out of memory");
        goto done;
    }

    /* n labels drawn at random: the baseline a person would get by
       labeling any n rows. */
    kmc_permutation(n, ko->seed, perm);
    if (score_on(lp, train, perm, k, NULL, test, &res->random,
                 "the random labeled rows", err) != 0)
        goto done;

    /* n labels placed where they say the most: the row closest to each
       center. */
    if (kmc_kmeans_fit(ko, train->X, n, train->d, &model, cluster, err) != 0 ||
        kmc_distances(model, train->X, n, train->d, ko->n_threads, &dist,
                      err) != 0)
        goto done;
    kmc_representatives(dist, n, k, rep);
    for (size_t j = 0; j < k; j++)
        rep_label[j] = train->y[rep[j]];
    if (score_on(lp, train, rep, k, NULL, test, &res->representative,
                 "the representatives", err) != 0)
        goto done;

    /* Each cluster takes its representative's label: all of it, then only
       the rows closest to the center, where the label is most likely
       right. */
    for (size_t i = 0; i < n; i++) {
        own[i] = dist[i * k + (size_t)cluster[i]];
        idx[i] = i;
    }
    kmc_propagate(cluster, own, n, k, rep_label, 100.0, prop, kept);
    res->propagated_accuracy = kmc_accuracy(train->y, prop, n);
    if (score_on(lp, train, idx, n, prop, test, &res->propagated,
                 "the propagated labels", err) != 0)
        goto done;
    m = kmc_propagate(cluster, own, n, k, rep_label, percentile, prop, kept);
    if (m == (size_t)-1) {
        fail(err, "out of memory");
        goto done;
    }
    {
        size_t j = 0, right = 0;
        for (size_t i = 0; i < n; i++) {
            if (kept[i]) {
                idx[j++] = i;
                right += prop[i] == train->y[i];
            }
        }
        res->n_partial = m;
        res->partial_label_accuracy = m ? (double)right / (double)m : 0.0;
    }
    if (score_on(lp, train, idx, m, prop, test, &res->partial,
                 "the partly propagated labels", err) != 0)
        goto done;
    rc = 0;

done:
    km_model_free(model);
    free(perm);
    free(rep);
    free(idx);
    free(cluster);
    free(rep_label);
    free(prop);
    free(dist);
    free(own);
    free(kept);
    return rc;
}
