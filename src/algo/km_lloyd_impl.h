/*
 * km_lloyd_impl.h - Lloyd's algorithm, and the iteration loop it shares with
 * the bound-based algorithms (km_bounds_impl.h), written once for both
 * precisions (included by km_exact.c with REAL and FN(), before
 * km_bounds_impl.h).
 *
 * Iteration semantics are scikit-learn's (_kmeans_single_lloyd, 1.2+):
 * assign every row to its nearest center and accumulate the new centers in
 * the same pass; stop when the labels equal the previous iteration's
 * (strict convergence) or when the summed squared center shift is at most
 * tol_abs; if the loop did not end by strict convergence, assign once more
 * against the final centers.
 */

/* What an algorithm gives the iteration loop (km_iterate). */
typedef struct FN(km_steps) {
    void *state;
    /* Labels of every row against C (labels hold the previous ones) and,
       when the pointers are not NULL, how many changed, the weighted center
       sums of the new labels (sums, k x d; wsum, k) and their inertia
       against C.  Returns KM_OK or KM_ERR_NOMEM. */
    int (*pass)(const FN(km_problem) * p, void *state, const REAL *C,
                int32_t *labels, size_t *changed, double *sums, double *wsum,
                double *inertia);
    /* After each center update (the new centers C, moved by shift, of the
       rows' labels), or NULL. */
    void (*moved)(const FN(km_problem) * p, void *state, const int32_t *labels,
                  const REAL *shift, const REAL *C);
} FN(km_steps);

/* The iterations from the centers in C (replaced by the final centers), the
   final labels and the result; at most max_iter (>= 1) passes and updates,
   then one more pass unless the labels converged. */
static int FN(km_iterate)(const FN(km_problem) * p, const FN(km_steps) * S,
                          REAL *C, int max_iter, double tol_abs,
                          const km_progress *prog, int32_t *labels,
                          km_run_result *res)
{
    const size_t k = p->k, d = p->d;
    const int logging = prog != NULL && prog->log != NULL;
    REAL *C_new = km_malloc_array(k * d, sizeof *C_new);
    REAL *shift = km_malloc_array(k, sizeof *shift);
    double *sums = km_malloc_array(k * d, sizeof *sums);
    double *wsum = km_malloc_array(k, sizeof *wsum);
    int status = KM_ERR_NOMEM, strict = 0, it;
    double inertia = 0.0;

    if (C_new == NULL || shift == NULL || sums == NULL || wsum == NULL)
        goto out;
    for (it = 0; it < max_iter; it++) {
        double shift_tot;
        size_t changed;

        status = S->pass(p, S->state, C, labels, &changed, sums, wsum,
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
        if (S->moved != NULL)
            S->moved(p, S->state, labels, shift, C);
        /* The first pass changes every label: Lloyd's start at -1, and the
           bound-based algorithms' first pass is the first assignment. */
        if (it > 0 && changed == 0) {
            strict = 1;
            break;
        }
        if (shift_tot <= tol_abs)
            break;
    }
    res->converged = it < max_iter;
    res->n_iter = it < max_iter ? it + 1 : max_iter;
    if (!strict) {
        status = S->pass(p, S->state, C, labels, NULL, NULL, NULL, &inertia);
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

/* Lloyd's pass: km_assign. */
static int FN(lloyd_pass)(const FN(km_problem) * p, void *state, const REAL *C,
                          int32_t *labels, size_t *changed, double *sums,
                          double *wsum, double *inertia)
{
    (void)state;
    return FN(km_assign)(p, C, labels, changed, NULL, sums, wsum, inertia);
}

int FN(km_lloyd)(const FN(km_problem) * p, REAL *C, int max_iter,
                 double tol_abs, const km_progress *prog, int32_t *labels,
                 km_run_result *res)
{
    const FN(km_steps) steps = {NULL, FN(lloyd_pass), NULL};

    /* No label before the first assignment: every row "changes". */
    for (size_t i = 0; i < p->n; i++)
        labels[i] = -1;
    return FN(km_iterate)(p, &steps, C, max_iter, tol_abs, prog, labels, res);
}
