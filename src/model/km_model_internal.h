/*
 * km_model_internal.h - the layout of a km_model, shared by the fit driver,
 * the apply functions (predict/transform/score) and the model file code.
 * Not installed.
 */
#ifndef KM_MODEL_INTERNAL_H
#define KM_MODEL_INTERNAL_H

#include "kmeans.h"

/* The mini-batch parameters and the state of a partial fit between calls
   (scikit-learn's MiniBatchKMeans attributes _counts, n_steps_,
   _n_since_last_reassign, _batch_size and its random state). */
typedef struct km_mb_state {
    int64_t n_steps;          /* steps taken so far, >= 0 */
    int64_t n_since_reassign; /* rows seen since the last reassignment */
    int64_t batch_size_eff;   /* min(batch_size, rows of the first batch) */
    uint64_t rng[4];          /* generator state (xoshiro256**) */
    int batch_size;           /* the mini-batch parameters, as given */
    double reassignment_ratio;
    int max_no_improvement;
    int64_t init_size;
    int compute_labels;
} km_mb_state;

struct km_model {
    km_dtype dtype;    /* precision the model was fitted in */
    int k;             /* number of clusters, >= 1 */
    size_t d;          /* number of features, >= 1 */
    size_t n_samples;  /* rows fitted on (0 if unknown) */
    double *centers64; /* k x d, always present */
    float *centers32;  /* k x d, always present */
                       /* the array of the model's dtype is the truth; the
                          other is converted from it (km_model_sync) */
    double inertia;    /* of the best run; >= 0 */
    int n_iter;        /* of the best run; >= 0 */
    unsigned flags;    /* KM_FLAG_* */
    km_params params;  /* as fitted; init_centers, log, log_user NULL */

    /* Mini-batch state, present (counts != NULL) in models made by
       km_minibatch_fit_* or km_partial_fit_*: what a later partial fit
       needs to continue the running means (saved in the optional "mbct"
       section of the model file). */
    double *counts; /* k accumulated sample weights per center */
    km_mb_state mb; /* valid when counts != NULL */
};

/* Allocate a model with both center arrays (uninitialized) for k x d.
   Returns NULL on allocation failure or size overflow. */
km_model *km_model_alloc(int k, size_t d);

/* Give m a zeroed counts array (k) if it has none; KM_OK or KM_ERR_NOMEM. */
int km_model_alloc_counts(km_model *m);

/* Fill the center array of the other precision from the one of m->dtype. */
void km_model_sync(km_model *m);

#endif
