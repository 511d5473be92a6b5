/*
 * km_apply_impl.h - predict, transform and score with a fitted model,
 * written once for both precisions (included by km_apply.c with REAL,
 * CENTERS (the model's center array of this precision) and FN()).
 */

static int FN(check_apply)(const km_model *model, const REAL *X, size_t n,
                           size_t d, int nt)
{
    size_t nd;

    if (model == NULL || X == NULL)
        return KM_ERR_ARG;
    if (d != model->d || km_mul_overflow(n, d, &nd))
        return KM_ERR_SHAPE;
    return FN(km_check_finite)(X, n, d, nt);
}

int FN(km_predict)(const km_model *model, const REAL *X, size_t n, size_t d,
                   int32_t *labels, REAL *sq_dist, int n_threads)
{
    FN(km_problem) prob;
    double inertia;
    int nt = km_thread_count(n_threads);
    int status = FN(check_apply)(model, X, n, d, nt);

    if (status != KM_OK)
        return status;
    if (labels == NULL)
        return KM_ERR_ARG;
    if (n == 0)
        return KM_OK;
    status = FN(km_problem_setup)(&prob, X, n, d, NULL, (size_t)model->k, nt,
                                  KM_KERNEL_AUTO);
    if (status == KM_OK)
        status = FN(km_assign)(&prob, model->CENTERS, labels, NULL, sq_dist,
                               NULL, NULL, &inertia);
    FN(km_problem_release)(&prob);
    return status;
}

int FN(km_transform)(const km_model *model, const REAL *X, size_t n, size_t d,
                     REAL *out, int n_threads)
{
    const size_t k = (size_t)(model ? model->k : 0);
    int nt = km_thread_count(n_threads);
    int status = FN(check_apply)(model, X, n, d, nt);
    size_t nk;

    if (status != KM_OK)
        return status;
    if (out == NULL)
        return KM_ERR_ARG;
    if (km_mul_overflow(n, k, &nk))
        return KM_ERR_NOMEM;
        /* Canonical distances: exact to the last bits, even for near points. */
#pragma omp parallel for num_threads(nt) schedule(static)
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            out[i * k + j] = (REAL)sqrt(
                (double)FN(km_sqdist)(X + i * d, model->CENTERS + j * d, d));
    return KM_OK;
}

int FN(km_score)(const km_model *model, const REAL *X, size_t n, size_t d,
                 const REAL *sample_weight, double *score, int n_threads)
{
    FN(km_problem) prob;
    int32_t *labels;
    double inertia = 0.0;
    int nt = km_thread_count(n_threads);
    int status = FN(check_apply)(model, X, n, d, nt);

    if (status != KM_OK)
        return status;
    if (score == NULL)
        return KM_ERR_ARG;
    if (n == 0) {
        *score = -0.0;
        return KM_OK;
    }
    status = FN(km_check_weights)(sample_weight, n);
    if (status != KM_OK)
        return status;
    labels = km_malloc_array(n, sizeof *labels);
    if (labels == NULL)
        return KM_ERR_NOMEM;
    status = FN(km_problem_setup)(&prob, X, n, d, sample_weight,
                                  (size_t)model->k, nt, KM_KERNEL_AUTO);
    if (status == KM_OK)
        status = FN(km_assign)(&prob, model->CENTERS, labels, NULL, NULL, NULL,
                               NULL, &inertia);
    FN(km_problem_release)(&prob);
    km_free(labels);
    if (status == KM_OK)
        *score = -inertia;
    return status;
}
