/*
 * kmc_logreg.c - logistic regression through liblinear, as scikit-learn's
 * LogisticRegression(solver="liblinear") runs it.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <linear.h>

#include "kmclassify.h"

struct kmc_logreg {
    struct model *lin;
    size_t d;
    size_t n_classes;
    int32_t *classes; /* increasing */
    int *slot;        /* slot[c]: liblinear's index of sorted class c */
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
    if (n == 0 || d == 0)
        return fail(err, "no training data (%zu rows, %zu features)", n, d);
    if (n > (size_t)INT32_MAX || d >= (size_t)INT32_MAX - 1)
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
        sparse_row(X + i * d, d, nodes);
        decision_sparse(model, nodes, raw, dec);
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

void kmc_logreg_free(kmc_logreg *model)
{
    if (model == NULL)
        return;
    if (model->lin != NULL)
        free_and_destroy_model(&model->lin);
    free(model->classes);
    free(model->slot);
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
