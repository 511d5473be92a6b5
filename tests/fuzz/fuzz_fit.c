/*
 * fuzz_fit.c - fits with random valid parameters on random small data.
 *
 * The input is read as: parameters (k, init, n_init, max_iter, tol,
 * algorithm, threads, seed, dtype, weights on/off), then n and d, then the
 * data as bytes mapped to a few values (so duplicates and ties are common).
 * Every fit of valid input must succeed, and its results must hold: labels
 * in range, finite centers and inertia, Elkan, Hamerly or Yinyang (chosen
 * by the seed) equal to Lloyd, 1 thread equal to 2, predict agreeing with
 * the final labels' inertia.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static unsigned take(reader *r)
{
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

static km_model *fit(const km_params *p, int f32, const double *X,
                     const float *Xf, size_t n, size_t d, const double *w,
                     const float *wf, int32_t *labels)
{
    km_model *m = NULL;
    int s = f32 ? km_fit_f32(p, Xf, n, d, wf, &m, labels)
                : km_fit_f64(p, X, n, d, w, &m, labels);

    CHECK(s == KM_OK && m != NULL);
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    km_params p;
    size_t n, d, k;
    int f32, weighted;
    double *X, *w, *c1, *c2;
    float *Xf, *wf;
    int32_t *l1, *l2;
    km_model *m1, *m2;

    if (size < 12)
        return 0;
    km_params_init(&p);
    k = 1 + take(&r) % 8;
    p.init = (km_init)(take(&r) % 2);
    p.n_init = (int)(take(&r) % 3);
    p.max_iter = 1 + (int)(take(&r) % 20);
    p.tol = (take(&r) % 4) == 0 ? 0.0 : 1e-4 * (double)(take(&r) % 100);
    p.seed = take(&r);
    f32 = (int)(take(&r) % 2);
    weighted = (int)(take(&r) % 2);
    n = 1 + take(&r) % 64;
    d = 1 + take(&r) % 5;
    if (k > n)
        k = n;
    p.n_clusters = (int)k;

    X = malloc(n * d * sizeof *X);
    Xf = malloc(n * d * sizeof *Xf);
    w = malloc(n * sizeof *w);
    wf = malloc(n * sizeof *wf);
    l1 = malloc(n * sizeof *l1);
    l2 = malloc(n * sizeof *l2);
    c1 = malloc(k * d * sizeof *c1);
    c2 = malloc(k * d * sizeof *c2);
    CHECK(X && Xf && w && wf && l1 && l2 && c1 && c2);
    for (size_t t = 0; t < n * d; t++) {
        X[t] = (double)((int)take(&r) % 16) * 0.5 - 3.0;
        Xf[t] = (float)X[t];
    }
    for (size_t i = 0; i < n; i++) {
        w[i] = (double)(take(&r) % 4);
        wf[i] = (float)w[i];
    }
    w[0] = wf[0] = 1.0; /* not all zero */

    p.algorithm = KM_ALGO_LLOYD;
    p.n_threads = 1;
    m1 = fit(&p, f32, X, Xf, n, d, weighted ? w : NULL, weighted ? wf : NULL,
             l1);
    /* Elkan, Hamerly or Yinyang (by the seed: no extra input byte). */
    p.algorithm = (km_algorithm)(KM_ALGO_ELKAN + (int)(p.seed % 3));
    p.n_threads = 2;
    m2 = fit(&p, f32, X, Xf, n, d, weighted ? w : NULL, weighted ? wf : NULL,
             l2);
    for (size_t i = 0; i < n; i++)
        CHECK(l1[i] >= 0 && (size_t)l1[i] < k);
    CHECK(memcmp(l1, l2, n * sizeof *l1) == 0);
    km_model_centers_f64(m1, c1);
    km_model_centers_f64(m2, c2);
    CHECK(memcmp(c1, c2, k * d * sizeof *c1) == 0);
    for (size_t t = 0; t < k * d; t++)
        CHECK(isfinite(c1[t]));
    CHECK(isfinite(km_model_inertia(m1)) && km_model_inertia(m1) >= 0);
    CHECK(km_model_inertia(m1) == km_model_inertia(m2));
    CHECK(km_model_n_iter(m1) >= 1 && km_model_n_iter(m1) <= p.max_iter);
    {
        /* The nearest centers never give more inertia than the labels. */
        double score;

        CHECK(km_score_f64(m1, X, n, d, weighted ? w : NULL, &score, 1) ==
              KM_OK);
        CHECK(-score <= km_model_inertia(m1) * (1 + 1e-6) + 1e-9);
    }
    km_model_free(m1);
    km_model_free(m2);
    free(X);
    free(Xf);
    free(w);
    free(wf);
    free(l1);
    free(l2);
    free(c1);
    free(c2);
    return 0;
}
