/*
 * km_params.c - fit parameters: defaults (scikit-learn's) and validation.
 */
#include <math.h>
#include <stddef.h>

#include "kmeans.h"

void km_params_init(km_params *p)
{
    if (p == NULL)
        return;
    p->n_clusters = 8;
    p->init = KM_INIT_KMEANSPP;
    p->init_centers = NULL;
    p->n_init = 0;
    p->max_iter = 300;
    p->tol = 1e-4;
    p->algorithm = KM_ALGO_AUTO;
    p->seed = 0;
    p->n_threads = 0;
    p->log = NULL;
    p->log_user = NULL;
}

const char *km_params_check(const km_params *p)
{
    if (p == NULL)
        return "parameters are NULL";
    if (p->n_clusters < 1)
        return "n_clusters must be at least 1";
    if (p->init != KM_INIT_KMEANSPP && p->init != KM_INIT_RANDOM &&
        p->init != KM_INIT_ARRAY && p->init != KM_INIT_KMEANS_PARALLEL)
        return "init must be KM_INIT_KMEANSPP, KM_INIT_RANDOM, KM_INIT_ARRAY "
               "or KM_INIT_KMEANS_PARALLEL";
    if (p->init == KM_INIT_ARRAY && p->init_centers == NULL)
        return "init is KM_INIT_ARRAY but init_centers is NULL";
    if (p->n_init < 0)
        return "n_init must be at least 1 (or 0 for auto)";
    if (p->max_iter < 1)
        return "max_iter must be at least 1";
    if (!(p->tol >= 0.0) || !isfinite(p->tol))
        return "tol must be a finite number >= 0";
    if (p->algorithm != KM_ALGO_AUTO && p->algorithm != KM_ALGO_LLOYD &&
        p->algorithm != KM_ALGO_ELKAN && p->algorithm != KM_ALGO_HAMERLY &&
        p->algorithm != KM_ALGO_YINYANG)
        return "algorithm must be KM_ALGO_AUTO, KM_ALGO_LLOYD, KM_ALGO_ELKAN, "
               "KM_ALGO_HAMERLY or KM_ALGO_YINYANG";
    if (p->n_threads < 0)
        return "n_threads must be >= 0 (0 = all)";
    return NULL;
}
