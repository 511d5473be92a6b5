/*
 * km_model.c - allocation, release and read-only accessors of km_model.
 */
#include <stdlib.h>
#include <string.h>

#include "common/km_common.h"
#include "model/km_model_internal.h"

km_model *km_model_alloc(int k, size_t d)
{
    size_t kd;
    km_model *m;

    if (k < 1 || d < 1 || km_mul_overflow((size_t)k, d, &kd))
        return NULL;
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->centers64 = km_malloc_array(kd, sizeof(double));
    m->centers32 = km_malloc_array(kd, sizeof(float));
    if (m->centers64 == NULL || m->centers32 == NULL) {
        km_model_free(m);
        return NULL;
    }
    m->k = k;
    m->d = d;
    m->dtype = KM_FLOAT64;
    km_params_init(&m->params);
    return m;
}

int km_model_alloc_counts(km_model *m)
{
    if (m->counts == NULL)
        m->counts = km_calloc_array((size_t)m->k, sizeof *m->counts);
    return m->counts != NULL ? KM_OK : KM_ERR_NOMEM;
}

void km_model_sync(km_model *m)
{
    size_t kd = (size_t)m->k * m->d;

    if (m->dtype == KM_FLOAT32) {
        for (size_t i = 0; i < kd; i++)
            m->centers64[i] = (double)m->centers32[i];
    } else {
        for (size_t i = 0; i < kd; i++)
            m->centers32[i] = (float)m->centers64[i];
    }
}

void km_model_free(km_model *model)
{
    if (model == NULL)
        return;
    km_free(model->centers64);
    km_free(model->centers32);
    km_free(model->counts);
    free(model);
}

int km_model_n_clusters(const km_model *model)
{
    return model ? model->k : 0;
}

size_t km_model_n_features(const km_model *model)
{
    return model ? model->d : 0;
}

km_dtype km_model_dtype(const km_model *model)
{
    return model ? model->dtype : KM_FLOAT64;
}

size_t km_model_n_samples(const km_model *model)
{
    return model ? model->n_samples : 0;
}

double km_model_inertia(const km_model *model)
{
    return model ? model->inertia : 0.0;
}

int km_model_n_iter(const km_model *model)
{
    return model ? model->n_iter : 0;
}

unsigned km_model_flags(const km_model *model)
{
    return model ? model->flags : 0u;
}

void km_model_params(const km_model *model, km_params *out)
{
    if (out == NULL)
        return;
    if (model == NULL) {
        km_params_init(out);
        return;
    }
    *out = model->params;
    out->init_centers = NULL;
    out->log = NULL;
    out->log_user = NULL;
}

int km_model_centers_f32(const km_model *model, float *out)
{
    if (model == NULL || out == NULL)
        return KM_ERR_ARG;
    memcpy(out, model->centers32, (size_t)model->k * model->d * sizeof *out);
    return KM_OK;
}

int km_model_centers_f64(const km_model *model, double *out)
{
    if (model == NULL || out == NULL)
        return KM_ERR_ARG;
    memcpy(out, model->centers64, (size_t)model->k * model->d * sizeof *out);
    return KM_OK;
}
