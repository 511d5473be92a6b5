/*
 * km_validate_impl.h - input checks for one precision (included by
 * km_validate.c with REAL and FN()).
 */

int FN(km_check_finite)(const REAL *X, size_t n, size_t d, int n_threads)
{
    const size_t total = n * d;
    int bad = 0;

#pragma omp parallel for num_threads(n_threads) reduction(| : bad)
    for (size_t i = 0; i < total; i++)
        bad |= !isfinite(X[i]);
    return bad ? KM_ERR_NONFINITE : KM_OK;
}

int FN(km_check_weights)(const REAL *w, size_t n)
{
    double sum = 0.0;

    if (w == NULL)
        return KM_OK;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]))
            return KM_ERR_NONFINITE;
        if (w[i] < 0)
            return KM_ERR_WEIGHTS;
        sum += (double)w[i];
    }
    return sum > 0.0 ? KM_OK : KM_ERR_WEIGHTS;
}
