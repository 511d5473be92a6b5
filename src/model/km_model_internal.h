/*
 * km_model_internal.h - the layout of a km_model, shared by the fit driver,
 * the apply functions (predict/transform/score) and the model file code.
 * Not installed.
 */
#ifndef KM_MODEL_INTERNAL_H
#define KM_MODEL_INTERNAL_H

#include "kmeans.h"

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
};

/* Allocate a model with both center arrays (uninitialized) for k x d.
   Returns NULL on allocation failure or size overflow. */
km_model *km_model_alloc(int k, size_t d);

/* Fill the center array of the other precision from the one of m->dtype. */
void km_model_sync(km_model *m);

#endif
