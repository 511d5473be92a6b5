/*
 * km_minibatch.c - mini-batch K-Means (Sculley 2010) with scikit-learn's
 * MiniBatchKMeans semantics: parameters, the early-stopping rule and the
 * model accessors, shared by both precisions; the algorithm itself is in
 * km_minibatch_impl.h, instantiated here for float and double.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/km_algo.h"
#include "common/km_common.h"
#include "common/km_rng.h"
#include "model/km_model_internal.h"
#include "model/km_validate.h"

/* Rows per request of the final labels pass and of the variance pass. */
#define KM_MB_CHUNK ((size_t)65536)

void km_minibatch_params_init(km_minibatch_params *p)
{
    if (p == NULL)
        return;
    km_params_init(&p->base);
    p->base.max_iter = 100;
    p->base.tol = 0.0;
    p->batch_size = 1024;
    p->reassignment_ratio = 0.01;
    p->max_no_improvement = 10;
    p->init_size = 0;
    p->compute_labels = 1;
}

const char *km_minibatch_params_check(const km_minibatch_params *p)
{
    const char *msg;

    if (p == NULL)
        return "parameters are NULL";
    msg = km_params_check(&p->base);
    if (msg != NULL)
        return msg;
    if (p->batch_size < 1)
        return "batch_size must be at least 1";
    if (!(p->reassignment_ratio >= 0.0) || !isfinite(p->reassignment_ratio))
        return "reassignment_ratio must be a finite number >= 0";
    if (p->max_no_improvement < 0)
        return "max_no_improvement must be >= 0 (0 = off)";
    if (p->init_size < 0)
        return "init_size must be >= 0 (0 = auto)";
    return NULL;
}

/* Distance terms (m k d) of a step below which it runs on one thread.  A
   step of 1024 x 100 x 16 takes well under a millisecond on one core; a
   parallel region per step then costs more than it saves, and much more on
   a loaded machine, where waiting threads spin.  The row blocks do not
   depend on the thread count, so neither do the results. */
#define KM_MB_STEP_WORK ((double)(1 << 23))

static int mb_step_threads(int nt, size_t m, size_t k, size_t d)
{
    return (double)m * (double)k * (double)d < KM_MB_STEP_WORK ? 1 : nt;
}

/* scikit-learn's _init_size: 3 x batch (or 3 k when that is below k, or
   when the requested size is below k), at most n. */
static size_t mb_init_size(int64_t requested, size_t batch, size_t k, size_t n)
{
    size_t s;

    if (requested == 0) {
        s = 3 * batch;
        if (s < k)
            s = 3 * k;
    } else if ((uint64_t)requested < (uint64_t)k) {
        s = 3 * k;
    } else {
        s = (uint64_t)requested > (uint64_t)SIZE_MAX ? SIZE_MAX
                                                     : (size_t)requested;
    }
    return s < n ? s : n;
}

/* scikit-learn's _random_reassign: reassign once 10 k rows have been seen
   since the last time, and whenever a center has absorbed nothing. */
static int mb_should_reassign(km_mb_state *st, const double *counts, size_t k)
{
    int any_zero = 0;

    st->n_since_reassign += st->batch_size_eff;
    for (size_t j = 0; j < k; j++)
        any_zero |= counts[j] == 0.0;
    if (any_zero || st->n_since_reassign >= (int64_t)(10 * k)) {
        st->n_since_reassign = 0;
        return 1;
    }
    return 0;
}

/*
 * Early stopping (scikit-learn's _mini_batch_convergence): the mean batch
 * inertia is smoothed by an exponentially weighted average with
 * alpha = 2 batch / (n + 1) (capped at 1), so that roughly one pass over
 * the data makes up the average; the first step is skipped because its
 * inertia is that of the initialization.  Stop when the squared center
 * shift is at most tol_abs (tol_abs > 0), or after max_no_improvement
 * steps without a new minimum of the average.
 */
typedef struct mb_monitor {
    int have_ewa, have_min, no_improvement;
    double ewa, ewa_min;
} mb_monitor;

static int mb_converged(mb_monitor *mon, int64_t step, size_t n, size_t batch,
                        double batch_inertia, double shift, double tol_abs,
                        int max_no_improvement, km_minibatch_stop *why)
{
    double mean = batch_inertia / (double)batch;

    if (step == 0) {
        mon->ewa = mean; /* reported only, not yet part of the average */
        return 0;
    }
    if (!mon->have_ewa) {
        mon->ewa = mean;
        mon->have_ewa = 1;
    } else {
        double alpha = (double)batch * 2.0 / ((double)n + 1.0);

        if (alpha > 1.0)
            alpha = 1.0;
        mon->ewa = mon->ewa * (1.0 - alpha) + mean * alpha;
    }
    if (tol_abs > 0.0 && shift <= tol_abs) {
        *why = KM_MB_STOP_TOL;
        return 1;
    }
    if (!mon->have_min || mon->ewa < mon->ewa_min) {
        mon->no_improvement = 0;
        mon->ewa_min = mon->ewa;
        mon->have_min = 1;
    } else {
        mon->no_improvement++;
    }
    if (max_no_improvement > 0 && mon->no_improvement >= max_no_improvement) {
        *why = KM_MB_STOP_NO_IMPROVEMENT;
        return 1;
    }
    return 0;
}

/* Indices of the int(m / 2) centers with the smallest counts (ties to the
   lower index), for the cap on reassignments. */
static int mb_cmp_count(const void *a, const void *b, const double *counts)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;

    if (counts[i] != counts[j])
        return counts[i] < counts[j] ? -1 : 1;
    return i < j ? -1 : (i > j);
}

/* Insertion sort of order[0..k) by (count, index): k is small and qsort
   has no context pointer in C11. */
static void mb_sort_by_count(size_t *order, size_t k, const double *counts)
{
    for (size_t i = 0; i < k; i++)
        order[i] = i;
    for (size_t i = 1; i < k; i++) {
        size_t v = order[i], j = i;

        while (j > 0 && mb_cmp_count(&order[j - 1], &v, counts) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

/*
 * Which centers the reassignment rule moves (scikit-learn's
 * _mini_batch_step): those whose count is below ratio times the largest,
 * but at most int(m / 2) of them (the smallest counts).  Returns how many.
 */
static size_t mb_pick_reassign(const double *counts, size_t k, size_t m,
                               double ratio, unsigned char *flag, size_t *order)
{
    double mx = 0.0;
    size_t nr = 0, cap = m / 2;

    for (size_t j = 0; j < k; j++)
        if (counts[j] > mx)
            mx = counts[j];
    for (size_t j = 0; j < k; j++) {
        flag[j] = counts[j] < ratio * mx;
        nr += flag[j];
    }
    if ((double)nr > 0.5 * (double)m) {
        mb_sort_by_count(order, k, counts);
        for (size_t t = cap; t < k; t++)
            flag[order[t]] = 0;
        nr = 0;
        for (size_t j = 0; j < k; j++)
            nr += flag[j];
    }
    return nr;
}

/* Counts of reassigned centers become the smallest count of the others
   (so that they are not reassigned again at once); also done when nothing
   moved, as scikit-learn does. */
static void mb_reset_counts(double *counts, size_t k, const unsigned char *flag)
{
    double mn = INFINITY;

    for (size_t j = 0; j < k; j++)
        if (!flag[j] && counts[j] < mn)
            mn = counts[j];
    for (size_t j = 0; j < k; j++)
        if (flag[j])
            counts[j] = mn;
}

/* ---- model accessors ---- */

int km_model_has_counts(const km_model *model)
{
    return model != NULL && model->counts != NULL;
}

int km_model_counts(const km_model *model, double *out)
{
    if (model == NULL || out == NULL || model->counts == NULL)
        return KM_ERR_ARG;
    memcpy(out, model->counts, (size_t)model->k * sizeof *out);
    return KM_OK;
}

int km_model_minibatch_params(const km_model *model, km_minibatch_params *out,
                              int64_t *n_steps)
{
    if (model == NULL || out == NULL || model->counts == NULL)
        return KM_ERR_ARG;
    km_minibatch_params_init(out);
    km_model_params(model, &out->base);
    out->batch_size = model->mb.batch_size;
    out->reassignment_ratio = model->mb.reassignment_ratio;
    out->max_no_improvement = model->mb.max_no_improvement;
    out->init_size = model->mb.init_size;
    out->compute_labels = model->mb.compute_labels;
    if (n_steps != NULL)
        *n_steps = model->mb.n_steps;
    return KM_OK;
}

static void mb_store_params(km_mb_state *st, const km_minibatch_params *p)
{
    st->batch_size = p->batch_size;
    st->reassignment_ratio = p->reassignment_ratio;
    st->max_no_improvement = p->max_no_improvement;
    st->init_size = p->init_size;
    st->compute_labels = p->compute_labels != 0;
}

#define REAL        float
#define FN(name)    name##_f32
#define MODEL_DTYPE KM_FLOAT32
#define CENTERS     centers32
#include "algo/km_minibatch_impl.h"
#undef REAL
#undef FN
#undef MODEL_DTYPE
#undef CENTERS

#define REAL        double
#define FN(name)    name##_f64
#define MODEL_DTYPE KM_FLOAT64
#define CENTERS     centers64
#include "algo/km_minibatch_impl.h"
#undef REAL
#undef FN
#undef MODEL_DTYPE
#undef CENTERS
