/*
 * kmc_logreg.c - logistic regression through liblinear, as scikit-learn's
 * LogisticRegression(solver="liblinear") runs it, or multinomial by L-BFGS
 * (kmc_softmax.c), as its solver="lbfgs" does.
 *
 * liblinear's L2R_LR solver minimizes, for each binary problem,
 *     0.5 |w|^2 + C sum_i log(1 + exp(-y_i w.x_i))
 * with a trust-region Newton method; x_i carries one extra feature equal to
 * the bias (1 here, scikit-learn's intercept_scaling), so the intercept is
 * regularized like any weight, exactly as in scikit-learn's liblinear
 * solver.  With more than two classes liblinear trains one problem per
 * class against the rest.  The solver draws no random numbers.
 */
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <linear.h>

#include "kmclassify.h"

struct kmc_logreg {
    kmc_solver solver;
    struct model *lin; /* liblinear */
    size_t d;
    size_t n_classes;
    int32_t *classes; /* increasing */
    int *slot;        /* slot[c]: liblinear's index of sorted class c */
    double *theta;    /* lbfgs: (d + 1) x n_classes, kmc_softmax_loss's */
    kmc_lbfgs_result lbfgs;
};

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

/* liblinear prints its iterations to stdout unless told otherwise; the hook
   is its only global state, set once before any training. */
static void print_nothing(const char *s)
{
    (void)s;
}

static once_flag quiet_once = ONCE_FLAG_INIT;

static void make_quiet(void)
{
    set_print_string_function(print_nothing);
}

void kmc_logreg_params_init(kmc_logreg_params *p)
{
    p->C = 1.0;
    p->tol = 1e-4;
    p->solver = KMC_SOLVER_LIBLINEAR;
    p->max_iter = 100;
    p->ftol = 2.220446049250313e-09;
    p->stats = NULL;
}

const char *kmc_solver_name(kmc_solver s)
{
    return s == KMC_SOLVER_LBFGS ? "lbfgs" : "liblinear";
}

void kmc_logreg_stats_init(kmc_logreg_stats *s)
{
    atomic_init(&s->n_fits, 0);
    atomic_init(&s->n_max_iter, 0);
    atomic_init(&s->n_linesearch, 0);
    atomic_init(&s->max_n_iter, 0);
}

static void count_fit(kmc_logreg_stats *st, const kmc_lbfgs_result *r)
{
    long seen;

    if (st == NULL)
        return;
    atomic_fetch_add(&st->n_fits, 1);
    if (r == NULL)
        return;
    if (r->status == KMC_LBFGS_MAX_ITER || r->status == KMC_LBFGS_MAX_EVAL)
        atomic_fetch_add(&st->n_max_iter, 1);
    else if (r->status == KMC_LBFGS_LINESEARCH)
        atomic_fetch_add(&st->n_linesearch, 1);
    seen = atomic_load(&st->max_n_iter);
    while (seen < r->n_iter &&
           !atomic_compare_exchange_weak(&st->max_n_iter, &seen, r->n_iter))
        ;
}

/* Class indices 0..K-1 of y against the sorted classes. */
static int32_t *class_indices(const int32_t *y, size_t n,
                              const int32_t *classes, size_t K)
{
    int32_t *yi = malloc((n ? n : 1) * sizeof *yi);

    if (yi == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = K;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (classes[mid] <= y[i])
                lo = mid;
            else
                hi = mid;
        }
        yi[i] = (int32_t)lo;
    }
    return yi;
}

static int train_lbfgs(const kmc_logreg_params *p, const double *X, size_t n,
                       size_t d, const int32_t *y, kmc_logreg *m,
                       kmc_error *err)
{
    int32_t *yi = class_indices(y, n, m->classes, m->n_classes);
    int rc;

    m->theta = malloc((d + 1) * m->n_classes * sizeof *m->theta);
    if (yi == NULL || m->theta == NULL) {
        free(yi);
        return fail(err, "out of memory training on %zu x %zu values", n, d);
    }
    rc = kmc_softmax_fit(p, X, n, d, yi, NULL, m->n_classes, m->theta,
                         &m->lbfgs, err);
    free(yi);
    if (rc == 0)
        count_fit(p->stats, &m->lbfgs);
    return rc;
}

/* One sparse row: the nonzero features (1-based indices), the bias feature
   d + 1, and the terminator; nodes has room for d + 2. */
static void sparse_row(const double *x, size_t d, struct feature_node *nodes)
{
    size_t m = 0;

    for (size_t j = 0; j < d; j++) {
        if (x[j] != 0.0) {
            nodes[m].index = (int)(j + 1);
            nodes[m].value = x[j];
            m++;
        }
    }
    nodes[m].index = (int)(d + 1);
    nodes[m].value = 1.0;
    nodes[m + 1].index = -1;
    nodes[m + 1].value = 0.0;
}

int kmc_logreg_train(const kmc_logreg_params *p, const double *X, size_t n,
                     size_t d, const int32_t *y, kmc_logreg **out,
                     kmc_error *err)
{
    struct problem prob;
    struct parameter param;
    struct feature_node *pool = NULL;
    kmc_logreg *m = NULL;
    const char *msg;
    size_t nnz = 0, at = 0;
    int rc = -1;

    *out = NULL;
    memset(&prob, 0, sizeof prob);
    if (!(p->C > 0.0) || !isfinite(p->C))
        return fail(err, "C must be a positive number, not %g", p->C);
    if (!(p->tol > 0.0) || !isfinite(p->tol))
        return fail(err, "tol must be a positive number, not %g", p->tol);
    if (p->solver != KMC_SOLVER_LIBLINEAR && p->solver != KMC_SOLVER_LBFGS)
        return fail(err, "unknown solver %d", (int)p->solver);
    if (p->max_iter < 1)
        return fail(err, "max_iter must be at least 1, not %d", p->max_iter);
    if (!(p->ftol >= 0.0) || !isfinite(p->ftol))
        return fail(err, "ftol must be a number >= 0, not %g", p->ftol);
    if (n == 0 || d == 0)
        return fail(err, "no training data (%zu rows, %zu features)", n, d);
    if (p->solver == KMC_SOLVER_LIBLINEAR &&
        (n > (size_t)INT32_MAX || d >= (size_t)INT32_MAX - 1))
        return fail(err, "%zu x %zu is too large for liblinear", n, d);
    for (size_t i = 0; i < n * d; i++) {
        if (!isfinite(X[i]))
            return fail(err, "row %zu: NaN or infinity in the features",
                        i / d + 1);
        nnz += X[i] != 0.0;
    }

    m = calloc(1, sizeof *m);
    if (m == NULL)
        goto nomem;
    m->solver = p->solver;
    m->d = d;
    m->n_classes = kmc_classes(y, n, &m->classes);
    if (m->n_classes == 0)
        goto nomem;
    if (m->n_classes < 2) {
        fail(err,
             "every training label is %d: a classifier needs at least two "
             "classes",
             (int)m->classes[0]);
        goto done;
    }
    if (p->solver == KMC_SOLVER_LBFGS) {
        if (train_lbfgs(p, X, n, d, y, m, err) != 0)
            goto done;
        *out = m;
        m = NULL;
        rc = 0;
        goto done;
    }

    pool = malloc((nnz + 2 * n) * sizeof *pool);
    prob.x = malloc(n * sizeof *prob.x);
    prob.y = malloc(n * sizeof *prob.y);
    m->slot = malloc(m->n_classes * sizeof *m->slot);
    if (pool == NULL || prob.x == NULL || prob.y == NULL || m->slot == NULL)
        goto nomem;
    prob.l = (int)n;
    prob.n = (int)(d + 1);
    prob.bias = 1.0;
    for (size_t i = 0; i < n; i++) {
        prob.x[i] = pool + at;
        sparse_row(X + i * d, d, pool + at);
        while (pool[at].index != -1)
            at++;
        at++;
        prob.y[i] = (double)y[i];
    }

    memset(&param, 0, sizeof param);
    param.solver_type = L2R_LR;
    param.C = p->C;
    param.eps = p->tol;
    param.p = 0.1;
    msg = check_parameter(&prob, &param);
    if (msg != NULL) {
        fail(err, "liblinear: %s", msg);
        goto done;
    }
    call_once(&quiet_once, make_quiet);
    m->lin = train(&prob, &param);
    if (m->lin == NULL || (size_t)get_nr_class(m->lin) != m->n_classes) {
        fail(err, "liblinear failed to train (out of memory?)");
        goto done;
    }
    {
        int *lab = malloc(m->n_classes * sizeof *lab);
        if (lab == NULL)
            goto nomem;
        get_labels(m->lin, lab);
        for (size_t c = 0; c < m->n_classes; c++) {
            for (size_t s = 0; s < m->n_classes; s++) {
                if (lab[s] == m->classes[c])
                    m->slot[c] = (int)s;
            }
        }
        free(lab);
    }
    count_fit(p->stats, NULL);
    *out = m;
    m = NULL;
    rc = 0;
    goto done;

nomem:
    fail(err, "out of memory training on %zu x %zu values", n, d);
done:
    /* liblinear's model keeps no pointer into the problem. */
    free(pool);
    free(prob.x);
    free(prob.y);
    kmc_logreg_free(m);
    return rc;
}

static void decision_sparse(const kmc_logreg *m,
                            const struct feature_node *nodes, double *raw,
                            double *out)
{
    predict_values(m->lin, nodes, raw);
    if (m->n_classes == 2) {
        /* liblinear's single value is for its first label; report it for
           the larger class, as scikit-learn's decision_function does. */
        out[0] = m->slot[1] == 0 ? raw[0] : -raw[0];
        return;
    }
    for (size_t c = 0; c < m->n_classes; c++)
        out[c] = raw[m->slot[c]];
}

/* lbfgs: the K scores W^T x + b, as scikit-learn reports them: for two
   classes only the second class's score, z_1 (scikit-learn keeps that row
   alone; z_0 = -z_1 up to rounding, so z_1 > 0 means z_1 > z_0). */
static void decision_softmax(const kmc_logreg *m, const double *x, double *z,
                             double *out)
{
    size_t K = m->n_classes, d = m->d;

    memcpy(z, m->theta + d * K, K * sizeof *z);
    for (size_t j = 0; j < d; j++) {
        const double xj = x[j], *wj = m->theta + j * K;
        for (size_t c = 0; c < K; c++)
            z[c] += xj * wj[c];
    }
    if (K == 2)
        out[0] = z[1];
    else
        memcpy(out, z, K * sizeof *z);
}

static int32_t decide(const kmc_logreg *m, const double *dec)
{
    size_t best = 0;

    if (m->n_classes == 2)
        return m->classes[dec[0] > 0.0 ? 1 : 0];
    for (size_t c = 1; c < m->n_classes; c++) {
        if (dec[c] > dec[best])
            best = c;
    }
    return m->classes[best];
}

int kmc_logreg_decision(const kmc_logreg *model, const double *x, size_t d,
                        double *out)
{
    struct feature_node *nodes;
    double *raw;

    if (model == NULL || d != model->d)
        return -1;
    if (model->solver == KMC_SOLVER_LBFGS) {
        double *z = malloc(model->n_classes * sizeof *z);
        if (z == NULL)
            return -1;
        decision_softmax(model, x, z, out);
        free(z);
        return 0;
    }
    nodes = malloc((d + 2) * sizeof *nodes);
    raw = malloc(model->n_classes * sizeof *raw);
    if (nodes == NULL || raw == NULL) {
        free(nodes);
        free(raw);
        return -1;
    }
    sparse_row(x, d, nodes);
    decision_sparse(model, nodes, raw, out);
    free(nodes);
    free(raw);
    return 0;
}

int kmc_logreg_predict(const kmc_logreg *model, const double *X, size_t n,
                       size_t d, int32_t *pred, kmc_error *err)
{
    struct feature_node *nodes;
    double *raw, *dec;

    if (d != model->d)
        return fail(err,
                    "the data have %zu features; the classifier was "
                    "trained on %zu",
                    d, model->d);
    nodes = malloc((d + 2) * sizeof *nodes);
    raw = malloc(model->n_classes * sizeof *raw);
    dec = malloc(model->n_classes * sizeof *dec);
    if (nodes == NULL || raw == NULL || dec == NULL) {
        free(nodes);
        free(raw);
        free(dec);
        return fail(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (model->solver == KMC_SOLVER_LBFGS) {
            decision_softmax(model, X + i * d, raw, dec);
        } else {
            sparse_row(X + i * d, d, nodes);
            decision_sparse(model, nodes, raw, dec);
        }
        pred[i] = decide(model, dec);
    }
    free(nodes);
    free(raw);
    free(dec);
    return 0;
}

size_t kmc_logreg_n_classes(const kmc_logreg *model)
{
    return model ? model->n_classes : 0;
}

const int32_t *kmc_logreg_classes(const kmc_logreg *model)
{
    return model ? model->classes : NULL;
}

kmc_solver kmc_logreg_solver(const kmc_logreg *model)
{
    return model ? model->solver : KMC_SOLVER_LIBLINEAR;
}

size_t kmc_logreg_coef(const kmc_logreg *model, double *coef, double *intercept)
{
    size_t K = model->n_classes, d = model->d, rows;

    rows = K == 2 ? 1 : K;
    if (model->solver == KMC_SOLVER_LBFGS) {
        for (size_t r = 0; r < rows; r++) {
            size_t c = K == 2 ? 1 : r;
            for (size_t j = 0; j < d; j++)
                coef[r * d + j] = model->theta[j * K + c];
            intercept[r] = model->theta[d * K + c];
        }
        return rows;
    }
    /* liblinear: its decision function for its label slot; for two classes
       the one function is for its first label, flipped to be the larger
       class's as in scikit-learn. */
    for (size_t r = 0; r < rows; r++) {
        int slot = K == 2 ? 0 : model->slot[r];
        double sign = K == 2 && model->slot[1] != 0 ? -1.0 : 1.0;
        for (size_t j = 0; j < d; j++)
            coef[r * d + j] =
                sign * get_decfun_coef(model->lin, (int)j + 1, slot);
        intercept[r] = sign * get_decfun_bias(model->lin, slot);
    }
    return rows;
}

kmc_lbfgs_result kmc_logreg_lbfgs_result(const kmc_logreg *model)
{
    kmc_lbfgs_result r;

    memset(&r, 0, sizeof r);
    r.status = KMC_LBFGS_GTOL;
    if (model != NULL && model->solver == KMC_SOLVER_LBFGS)
        r = model->lbfgs;
    return r;
}

void kmc_logreg_free(kmc_logreg *model)
{
    if (model == NULL)
        return;
    if (model->lin != NULL)
        free_and_destroy_model(&model->lin);
    free(model->classes);
    free(model->slot);
    free(model->theta);
    free(model);
}

int kmc_logreg_accuracy(const kmc_logreg_params *p, const kmc_data *train,
                        const kmc_data *test, double *accuracy, kmc_error *err)
{
    kmc_logreg *m = NULL;
    int32_t *pred;
    int rc;

    if (kmc_logreg_train(p, train->X, train->n, train->d, train->y, &m, err) !=
        0)
        return -1;
    pred = malloc((test->n ? test->n : 1) * sizeof *pred);
    if (pred == NULL) {
        kmc_logreg_free(m);
        return fail(err, "out of memory");
    }
    rc = kmc_logreg_predict(m, test->X, test->n, test->d, pred, err);
    if (rc == 0)
        *accuracy = kmc_accuracy(test->y, pred, test->n);
    free(pred);
    kmc_logreg_free(m);
    return rc;
}
