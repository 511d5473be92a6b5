/*
 * km_elkan_impl.h - Elkan's algorithm (Elkan, "Using the triangle
 * inequality to accelerate k-means", ICML 2003), written once for both
 * precisions (included by km_elkan.c with REAL, REAL_EPS and FN()).
 *
 * Each row keeps an upper bound u on the distance to its center and a lower
 * bound l[j] on the distance to every center j; half[a][j] is half the
 * distance between centers a and j.  A center j cannot take row x from its
 * center a when u <= l[j] or u <= half[a][j] (triangle inequality), so its
 * distance is not computed.  The structure follows scikit-learn's
 * _elkan.pyx so that the iterations, stopping and relocation match Lloyd's.
 *
 * Exactness: see km_bounds_impl.h.
 */

typedef struct FN(elkan_state) {
    REAL *ub;     /* n upper bounds */
    REAL *lb;     /* n x k lower bounds */
    REAL *half;   /* k x k half distances between centers */
    REAL *next;   /* k: min over j != a of half[a][j] */
    double scale; /* bound on any distance: twice the data's radius */
    double moved; /* sum over iterations of the largest center shift */
    int iter;     /* iterations done, for the slack */
} FN(elkan_state);

/* First labels and bounds (scikit-learn's init_bounds). */
static void FN(elkan_init_bounds)(const FN(km_problem) * p, const REAL *C,
                                  FN(elkan_state) * s, int32_t *labels)
{
    const size_t n = p->n, k = p->k, d = p->d;
    const REAL slack = FN(bound_slack)(s->scale, s->moved, s->iter, d);

#pragma omp parallel for num_threads(p->n_threads) schedule(static)
    for (size_t i = 0; i < n; i++) {
        const REAL *x = p->X + i * d;
        REAL *l = s->lb + i * k;
        size_t best = 0;
        REAL sq_best = FN(km_sqdist)(x, C, d);
        REAL u = (REAL)sqrt((double)sq_best);

        l[0] = u;
        for (size_t j = 1; j < k; j++)
            l[j] = 0;
        for (size_t j = 1; j < k; j++) {
            REAL sq, dj;

            if (u + slack < s->half[best * k + j])
                continue;
            sq = FN(km_sqdist)(x, C + j * d, d);
            dj = (REAL)sqrt((double)sq);
            l[j] = dj;
            if (sq < sq_best) {
                sq_best = sq;
                u = dj;
                best = j;
            }
        }
        labels[i] = (int32_t)best;
        s->ub[i] = u;
    }
}

/* One pass over rows [lo, hi): relabel where the bounds allow a change,
   and accumulate the weighted sums of the new clusters when sums != NULL. */
static void FN(elkan_rows)(const FN(km_problem) * p, const REAL *C,
                           FN(elkan_state) * s, REAL slack, size_t lo,
                           size_t hi, int32_t *labels, double *sums,
                           double *wsum)
{
    const size_t k = p->k, d = p->d;

    for (size_t i = lo; i < hi; i++) {
        const REAL *x = p->X + i * d;
        REAL *l = s->lb + i * k;
        size_t a = (size_t)labels[i];
        REAL u = s->ub[i], sq_a = 0;
        int tight = 0;

        if (!(u + slack < s->next[a])) {
            for (size_t j = 0; j < k; j++) {
                REAL sq, dj;

                if (j == a || u + slack < l[j] ||
                    u + slack < s->half[a * k + j])
                    continue;
                if (!tight) {
                    sq_a = FN(km_sqdist)(x, C + a * d, d);
                    u = (REAL)sqrt((double)sq_a);
                    l[a] = u;
                    tight = 1;
                    if (u + slack < l[j] || u + slack < s->half[a * k + j])
                        continue;
                }
                sq = FN(km_sqdist)(x, C + j * d, d);
                dj = (REAL)sqrt((double)sq);
                l[j] = dj;
                if (sq < sq_a || (sq == sq_a && j < a)) {
                    a = j;
                    sq_a = sq;
                    u = dj;
                }
            }
            labels[i] = (int32_t)a;
            s->ub[i] = u;
        }
    }
    /* The same accumulation as Lloyd's, so both give the same centers. */
    for (size_t r0 = lo; sums != NULL && r0 < hi; r0 += KM_ROW_BLOCK) {
        const size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

        p->kern.accum_block(p->X + r0 * d, m, d, p->w ? p->w + r0 : NULL,
                            labels + r0, k, sums, wsum);
    }
}

/* One Elkan pass over all rows, with center sums reduced in block order. */
static int FN(elkan_pass)(const FN(km_problem) * p, const REAL *C,
                          FN(elkan_state) * s, int32_t *labels, double *sums,
                          double *wsum, double *bsums, double *bw)
{
    const size_t k = p->k, d = p->d, kd = k * d, nb = p->blk.n_blocks;
    const int accumulate = sums != NULL;
    const REAL slack = FN(bound_slack)(s->scale, s->moved, s->iter, d);

    if (accumulate) {
        memset(bsums, 0, nb * kd * sizeof *bsums);
        memset(bw, 0, nb * k * sizeof *bw);
    }
#pragma omp parallel for num_threads(p->n_threads) schedule(dynamic, 1)
    for (size_t b = 0; b < nb; b++) {
        const size_t lo = b * p->blk.rows;
        const size_t hi = lo + p->blk.rows < p->n ? lo + p->blk.rows : p->n;

        FN(elkan_rows)
        (p, C, s, slack, lo, hi, labels, accumulate ? bsums + b * kd : NULL,
         accumulate ? bw + b * k : NULL);
    }
    if (accumulate)
        km_reduce_blocks(bsums, bw, nb, k, d, sums, wsum);
    return KM_OK;
}

int FN(km_elkan)(const FN(km_problem) * p, REAL *C, int max_iter,
                 double tol_abs, const km_progress *prog, int32_t *labels,
                 km_run_result *res)
{
    const size_t n = p->n, k = p->k, d = p->d, nb = p->blk.n_blocks;
    FN(elkan_state) s = {0};
    int32_t *labels_old = km_malloc_array(n, sizeof *labels_old);
    REAL *C_new = km_malloc_array(k * d, sizeof *C_new);
    REAL *shift = km_malloc_array(k, sizeof *shift);
    double *sums = km_malloc_array(k * d, sizeof *sums);
    double *wsum = km_malloc_array(k, sizeof *wsum);
    double *bsums = km_malloc_array(nb, k * d * sizeof *bsums);
    double *bw = km_malloc_array(nb, k * sizeof *bw);
    int status = KM_ERR_NOMEM, strict = 0, it;

    if (k == 1) /* no other center to bound against: Lloyd, as sklearn */
        status = FN(km_lloyd)(p, C, max_iter, tol_abs, prog, labels, res);
    s.ub = km_malloc_array(n, sizeof *s.ub);
    s.lb = km_malloc_array(n, k * sizeof *s.lb);
    s.half = km_malloc_array(k, k * sizeof *s.half);
    s.next = km_malloc_array(k, sizeof *s.next);
    if (k == 1 || labels_old == NULL || C_new == NULL || shift == NULL ||
        sums == NULL || wsum == NULL || bsums == NULL || bw == NULL ||
        s.ub == NULL || s.lb == NULL || s.half == NULL || s.next == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        labels_old[i] = -1;

    s.scale = FN(bound_scale)(p, C);
    FN(center_half_distances)(p, C, s.half, s.next);
    FN(elkan_init_bounds)(p, C, &s, labels);

    for (it = 0; it < max_iter; it++) {
        double shift_tot, max_shift = 0.0;

        FN(elkan_pass)(p, C, &s, labels, sums, wsum, bsums, bw);
        status = FN(km_update_centers)(p, C, labels, sums, wsum, C_new, shift,
                                       &shift_tot);
        if (status != KM_OK)
            goto out;
        if (prog != NULL && prog->log != NULL) {
            km_log_event ev = {KM_LOG_ITER, prog->run,
                               it + 1,      FN(km_inertia)(p, C, labels),
                               shift_tot,   NULL};
            prog->log(prog->user, &ev);
        }
        /* Move the bounds with the centers. */
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
        for (size_t i = 0; i < n; i++) {
            REAL *l = s.lb + i * k;

            s.ub[i] += shift[labels[i]];
            for (size_t j = 0; j < k; j++) {
                REAL v = l[j] - shift[j];
                l[j] = v > 0 ? v : 0;
            }
        }
        for (size_t j = 0; j < k; j++)
            if ((double)shift[j] > max_shift)
                max_shift = (double)shift[j];
        s.moved += max_shift;
        s.iter++;
        memcpy(C, C_new, k * d * sizeof *C);
        FN(center_half_distances)(p, C, s.half, s.next);
        if (memcmp(labels, labels_old, n * sizeof *labels) == 0) {
            strict = 1;
            break;
        }
        if (shift_tot <= tol_abs)
            break;
        memcpy(labels_old, labels, n * sizeof *labels);
    }
    res->converged = it < max_iter;
    res->n_iter = it < max_iter ? it + 1 : max_iter;
    if (!strict)
        FN(elkan_pass)(p, C, &s, labels, NULL, NULL, NULL, NULL);
    res->inertia = FN(km_inertia)(p, C, labels);
    status = KM_OK;
out:
    km_free(labels_old);
    km_free(C_new);
    km_free(shift);
    km_free(sums);
    km_free(wsum);
    km_free(bsums);
    km_free(bw);
    km_free(s.ub);
    km_free(s.lb);
    km_free(s.half);
    km_free(s.next);
    return status;
}
