/*
 * kmc_softmax.c - multinomial logistic regression as scikit-learn's
 * LogisticRegression(solver="lbfgs", multi_class="multinomial") fits it:
 * the objective of sklearn/linear_model/_linear_loss.py (LinearModelLoss
 * with HalfMultinomialLoss, l2_reg_strength = 1 / C, the intercept left out
 * of the penalty), minimized from zero by L-BFGS with gtol = tol, the
 * relative reduction test of scipy's L-BFGS-B (ftol = 2.2e-9) and
 * max_iter.  Only differences of intercepts matter to softmax; the
 * gradient's intercept part sums to zero over the classes, so from zero
 * every iterate keeps the intercepts summing to zero (up to rounding) and
 * the minimizer is unique, as in scikit-learn.
 */
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef KMC_HAVE_BLAS
#include <cblas.h>
#endif

#include "kmclassify.h"

/* Row i's loss from its scores z (K values, overwritten by w_i (softmax(z)
   - e_y), the row's share of the gradient): log sum exp z - z_y, both
   shifted by max z so that no exp overflows and the sum is >= 1. */
static double row_loss(double *z, size_t K, size_t y, double w)
{
    double zmax = z[0], zy, sum = 0.0;

    for (size_t c = 1; c < K; c++)
        zmax = fmax(zmax, z[c]);
    zy = z[y] - zmax;
    for (size_t c = 0; c < K; c++) {
        z[c] = exp(z[c] - zmax);
        sum += z[c];
    }
    for (size_t c = 0; c < K; c++)
        z[c] = w * (z[c] / sum);
    z[y] -= w;
    return w * (log(sum) - zy);
}

/* Rows per chunk: each chunk's GEMMs are small enough that OpenBLAS runs
   them on one thread (its threads would only contend with ours). */
enum { CHUNK_ROWS = 256 };

/* Rows [i0, i0 + m) of the objective: their loss into *loss and (when g is
   not NULL) their gradient share, X^T R and the column sums of R, into g;
   Z is m x K scratch. */
static void chunk_loss(const double *X, size_t i0, size_t m, size_t d,
                       const int32_t *yi, const double *sw, size_t K,
                       const double *theta, double *Z, double *loss, double *g)
{
    const double *Xc = X + i0 * d, *b = theta + d * K;
    double s = 0.0;

#ifdef KMC_HAVE_BLAS
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)m,
                (blasint)K, (blasint)d, 1.0, Xc, (blasint)d, theta, (blasint)K,
                0.0, Z, (blasint)K);
    for (size_t i = 0; i < m; i++) {
        for (size_t c = 0; c < K; c++)
            Z[i * K + c] += b[c];
    }
#else
    for (size_t i = 0; i < m; i++) {
        const double *x = Xc + i * d;
        double *z = Z + i * K;
        memcpy(z, b, K * sizeof *z);
        for (size_t j = 0; j < d; j++) {
            const double xj = x[j], *wj = theta + j * K;
            for (size_t c = 0; c < K; c++)
                z[c] += xj * wj[c];
        }
    }
#endif
    for (size_t i = 0; i < m; i++)
        s += row_loss(Z + i * K, K, (size_t)yi[i0 + i],
                      sw != NULL ? sw[i0 + i] : 1.0);
    *loss = s;
    if (g == NULL)
        return;
#ifdef KMC_HAVE_BLAS
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)d, (blasint)K,
                (blasint)m, 1.0, Xc, (blasint)d, Z, (blasint)K, 0.0, g,
                (blasint)K);
#else
    memset(g, 0, d * K * sizeof *g);
    for (size_t i = 0; i < m; i++) {
        const double *x = Xc + i * d, *r = Z + i * K;
        for (size_t j = 0; j < d; j++) {
            const double xj = x[j];
            double *gj = g + j * K;
            for (size_t c = 0; c < K; c++)
                gj[c] += xj * r[c];
        }
    }
#endif
    memset(g + d * K, 0, K * sizeof *g);
    for (size_t i = 0; i < m; i++) {
        for (size_t c = 0; c < K; c++)
            g[d * K + c] += Z[i * K + c];
    }
}

/*
 * The scores Z = X W + 1 b^T, each row's loss and residual R = diag(sw)
 * (softmax(Z) - Y), the gradient X^T R and the column sums of R, chunk by
 * chunk of CHUNK_ROWS rows (with CBLAS two GEMMs a chunk; without, loops
 * whose inner loop runs over the K classes of one feature: theta is
 * (d + 1) x K row-major, contiguous, no reduction).  Chunks of large
 * problems run in parallel; their sums are added in chunk order either
 * way, so the result does not depend on the number of threads.
 */
int kmc_softmax_loss(const double *X, size_t n, size_t d, const int32_t *yi,
                     const double *sw, size_t K, double C, const double *theta,
                     double *f, double *grad)
{
    size_t n_chunks = (n + CHUNK_ROWS - 1) / CHUNK_ROWS, p = (d + 1) * K;
    double *Zs, *part, *gpart = NULL, loss = 0.0, pen = 0.0, l2 = 1.0 / C;
    /* Threads only for evaluations long enough (about 4M multiply-adds
       each way) to pay for waking them: a small fit is iterated thousands
       of times, and each wake-up costs more than its work on a busy
       machine. */
    int n_threads = n * p >= ((size_t)1 << 22) ? omp_get_max_threads() : 1;

    if (n_chunks == 0)
        n_chunks = 1;
    if ((size_t)n_threads > n_chunks)
        n_threads = (int)n_chunks;
    Zs = malloc((size_t)n_threads * CHUNK_ROWS * K * sizeof *Zs);
    part = malloc(n_chunks * sizeof *part);
    if (grad != NULL)
        gpart = malloc(n_chunks * p * sizeof *gpart);
    if (Zs == NULL || part == NULL || (grad != NULL && gpart == NULL)) {
        free(Zs);
        free(part);
        free(gpart);
        return -1;
    }
#pragma omp parallel for schedule(static)                                      \
    num_threads(n_threads) if (n_threads > 1)
    for (size_t t = 0; t < n_chunks; t++) {
        size_t i0 = t * CHUNK_ROWS,
               m = n - i0 < CHUNK_ROWS ? n - i0 : CHUNK_ROWS;
        double *Z = Zs + (size_t)omp_get_thread_num() * CHUNK_ROWS * K;
        if (n == 0)
            m = 0;
        chunk_loss(X, i0, m, d, yi, sw, K, theta, Z, &part[t],
                   gpart != NULL ? gpart + t * p : NULL);
    }
    for (size_t t = 0; t < n_chunks; t++)
        loss += part[t];
    if (grad != NULL) {
        memcpy(grad, gpart, p * sizeof *grad);
        for (size_t t = 1; t < n_chunks; t++) {
            for (size_t q = 0; q < p; q++)
                grad[q] += gpart[t * p + q];
        }
    }
    for (size_t q = 0; q < d * K; q++) {
        pen += theta[q] * theta[q];
        if (grad != NULL)
            grad[q] += l2 * theta[q];
    }
    *f = loss + 0.5 * l2 * pen;
    free(Zs);
    free(part);
    free(gpart);
    return 0;
}

typedef struct softmax_problem {
    const double *X, *sw;
    const int32_t *yi;
    size_t n, d, K;
    double C;
} softmax_problem;

static int objective(void *ctx, const double *theta, double *f, double *grad)
{
    const softmax_problem *pr = ctx;
    return kmc_softmax_loss(pr->X, pr->n, pr->d, pr->yi, pr->sw, pr->K, pr->C,
                            theta, f, grad);
}

int kmc_softmax_fit(const kmc_logreg_params *p, const double *X, size_t n,
                    size_t d, const int32_t *yi, const double *sw, size_t K,
                    double *theta, kmc_lbfgs_result *res, kmc_error *err)
{
    softmax_problem pr = {X, sw, yi, n, d, K, p->C};
    kmc_lbfgs_params lp;

    memset(theta, 0, (d + 1) * K * sizeof *theta);
    if (n == 0 || K < 2) {
        snprintf(err->msg, sizeof err->msg,
                 "softmax: need rows and two classes (%zu rows, %zu classes)",
                 n, K);
        return -1;
    }
    kmc_lbfgs_params_init(&lp);
    lp.gtol = p->tol;
    lp.ftol = p->ftol;
    lp.max_iter = p->max_iter;
    if (kmc_lbfgs_minimize(objective, &pr, (d + 1) * K, theta, &lp, res) != 0) {
        snprintf(err->msg, sizeof err->msg, "lbfgs: %s",
                 kmc_lbfgs_status_text(res->status));
        return -1;
    }
    return 0;
}
