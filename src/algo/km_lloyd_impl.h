/*
 * km_lloyd_impl.h - Lloyd's algorithm, written once for both precisions
 * (included by km_lloyd.c with REAL and FN()).
 *
 * Iteration semantics are scikit-learn's (_kmeans_single_lloyd, 1.2+):
 * assign every row to its nearest center and accumulate the new centers in
 * the same pass; stop when the labels equal the previous iteration's
 * (strict convergence) or when the summed squared center shift is at most
 * tol_abs; if the loop did not end by strict convergence, assign once more
 * against the final centers.
 */

int FN(km_lloyd)(const FN(km_problem) * p, REAL *C, int max_iter,
                 double tol_abs, const km_progress *prog, int32_t *labels,
                 km_run_result *res)
{
    const size_t n = p->n, k = p->k, d = p->d;
    const int logging = prog != NULL && prog->log != NULL;
    REAL *C_new = km_malloc_array(k * d, sizeof *C_new);
    REAL *shift = km_malloc_array(k, sizeof *shift);
    double *sums = km_malloc_array(k * d, sizeof *sums);
    double *wsum = km_malloc_array(k, sizeof *wsum);
    int status = KM_ERR_NOMEM, strict = 0, it;
    double inertia = 0.0;

    if (C_new == NULL || shift == NULL || sums == NULL || wsum == NULL)
        goto out;
    /* No label before the first assignment: every row "changes". */
    for (size_t i = 0; i < n; i++)
        labels[i] = -1;

    for (it = 0; it < max_iter; it++) {
        double shift_tot;
        size_t changed;

        status = FN(km_assign)(p, C, labels, &changed, NULL, sums, wsum,
                               logging ? &inertia : NULL);
        if (status != KM_OK)
            goto out;
        status = FN(km_update_centers)(p, C, labels, sums, wsum, C_new, shift,
                                       &shift_tot);
        if (status != KM_OK)
            goto out;
        if (logging) {
            km_log_event ev = {KM_LOG_ITER, prog->run, it + 1,
                               inertia,     shift_tot, NULL};
            prog->log(prog->user, &ev);
        }
        memcpy(C, C_new, k * d * sizeof *C);
        if (changed == 0) {
            strict = 1;
            break;
        }
        if (shift_tot <= tol_abs)
            break;
    }
    res->converged = it < max_iter;
    res->n_iter = it < max_iter ? it + 1 : max_iter;
    if (!strict) {
        status = FN(km_assign)(p, C, labels, NULL, NULL, NULL, NULL, &inertia);
        if (status != KM_OK)
            goto out;
    } else {
        inertia = FN(km_inertia)(p, C, labels);
    }
    res->inertia = inertia;
    status = KM_OK;
out:
    km_free(C_new);
    km_free(shift);
    km_free(sums);
    km_free(wsum);
    return status;
}
