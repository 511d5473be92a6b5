/*
 * km_hamerly_impl.h - Hamerly's algorithm (G. Hamerly, "Making k-means even
 * faster", SDM 2010), written once for both precisions (included by
 * km_hamerly.c with REAL, REAL_EPS and FN()).
 *
 * Each row keeps an upper bound u on the distance to its center a and ONE
 * lower bound l on the distance to every other center (O(n) memory, where
 * Elkan keeps n x k).  With s(a) half the distance from a to its nearest
 * other center, no center can take the row while u < max(s(a), l); then
 * the row is skipped.  Otherwise u is tightened, and if the test still
 * fails every distance is computed (best and second best).  After the
 * centers move, u grows by its center's shift and l shrinks by the largest
 * shift of another center.  Iterations, stopping, relocation and center
 * sums are Lloyd's (km_lloyd_impl.h), so the result is Lloyd's from the same
 * start.  Exactness: see km_bounds_impl.h.
 */

typedef struct FN(hamerly_state) {
    REAL *ub;     /* n upper bounds */
    REAL *lb;     /* n lower bounds (second-nearest center) */
    REAL *next;   /* k: half the distance to the nearest other center */
    REAL *Ct;     /* the centers transposed (d x kp) */
    REAL *buf;    /* per block: kp distances, then kp zeros */
    size_t kp;    /* k rounded up to KM_CT_PAD */
    double scale; /* bound on any distance */
    double moved; /* sum over iterations of the largest center shift */
    int iter;     /* iterations done, for the slack */
} FN(hamerly_state);

/* The centers transposed for the row_dists kernel: Ct[f * kp + j], with kp
   = k rounded up to KM_CT_PAD and zero padding. */
static void FN(transpose_centers)(const REAL *C, size_t k, size_t d, size_t kp,
                                  REAL *Ct)
{
    for (size_t f = 0; f < d; f++) {
        for (size_t j = 0; j < k; j++)
            Ct[f * kp + j] = C[j * d + f];
        for (size_t j = k; j < kp; j++)
            Ct[f * kp + j] = 0;
    }
}

/* All k distances of row x (row_dists kernel, from the transposed centers
   Ct): the label (canonical argmin, ties to the lowest index), u (its
   distance) and l (the second smallest).  buf and zeros hold kp values. */
static void FN(hamerly_scan)(const FN(km_problem) * p, const REAL *x,
                             const REAL *Ct, size_t kp, REAL *buf,
                             const REAL *zeros, size_t *label, REAL *u, REAL *l)
{
    int32_t best;
    REAL b1, b2;

    p->kern.row_dists(x, 1, Ct, kp, p->d, p->k, buf);
    p->kern.argmin2(buf, zeros, 1, p->k, &best, &b1, &b2);
    *label = (size_t)best;
    *u = (REAL)sqrt((double)b1);
    *l = (REAL)sqrt((double)b2);
}

/* One pass over rows [lo, hi) (tight = 1: first labels, every distance),
   then the block's center sums when sums != NULL. */
static void FN(hamerly_rows)(const FN(km_problem) * p, const REAL *C,
                             FN(hamerly_state) * s, REAL slack, int tight,
                             size_t lo, size_t hi, REAL *buf, int32_t *labels,
                             size_t *changed, double *sums, double *wsum)
{
    const size_t k = p->k, d = p->d, kp = s->kp;
    size_t ch = 0;

    for (size_t i = lo; i < hi; i++) {
        const REAL *x = p->X + i * d;
        const size_t a = tight ? 0 : (size_t)labels[i];
        REAL u = s->ub[i];
        size_t label;

        if (!tight) {
            REAL m = s->next[a] > s->lb[i] ? s->next[a] : s->lb[i];

            if (u + slack < m)
                continue;
            u = (REAL)sqrt((double)FN(km_sqdist)(x, C + a * d, d));
            s->ub[i] = u;
            if (u + slack < m)
                continue;
        }
        FN(hamerly_scan)
        (p, x, s->Ct, kp, buf, buf + kp, &label, &s->ub[i], &s->lb[i]);
        ch += tight || label != a;
        labels[i] = (int32_t)label;
    }
    *changed = ch;
    for (size_t r0 = lo; sums != NULL && r0 < hi; r0 += KM_ROW_BLOCK) {
        const size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

        p->kern.accum_block(p->X + r0 * d, m, d, p->w ? p->w + r0 : NULL,
                            labels + r0, k, sums, wsum);
    }
}

/* One pass over all rows; center sums reduced in block order. */
static void FN(hamerly_pass)(const FN(km_problem) * p, const REAL *C,
                             FN(hamerly_state) * s, int tight, int32_t *labels,
                             size_t *changed, double *sums, double *wsum,
                             double *bsums, double *bw, size_t *bch)
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

        FN(hamerly_rows)
        (p, C, s, slack, tight, lo, hi, s->buf + b * 2 * s->kp, labels, &bch[b],
         accumulate ? bsums + b * kd : NULL, accumulate ? bw + b * k : NULL);
    }
    *changed = 0;
    for (size_t b = 0; b < nb; b++)
        *changed += bch[b];
    if (accumulate)
        km_reduce_blocks(bsums, bw, nb, k, d, sums, wsum);
}

int FN(km_hamerly)(const FN(km_problem) * p, REAL *C, int max_iter,
                   double tol_abs, const km_progress *prog, int32_t *labels,
                   km_run_result *res)
{
    const size_t n = p->n, k = p->k, d = p->d, nb = p->blk.n_blocks;
    FN(hamerly_state) s = {0};
    REAL *C_new = km_malloc_array(k * d, sizeof *C_new);
    REAL *shift = km_malloc_array(k, sizeof *shift);
    double *sums = km_malloc_array(k * d, sizeof *sums);
    double *wsum = km_malloc_array(k, sizeof *wsum);
    double *bsums = km_malloc_array(nb, k * d * sizeof *bsums);
    double *bw = km_malloc_array(nb, k * sizeof *bw);
    size_t *bch = km_malloc_array(nb, sizeof *bch);
    int status = KM_ERR_NOMEM, strict = 0, it;

    if (k == 1) /* no other center to bound against: Lloyd */
        status = FN(km_lloyd)(p, C, max_iter, tol_abs, prog, labels, res);
    s.ub = km_malloc_array(n, sizeof *s.ub);
    s.lb = km_malloc_array(n, sizeof *s.lb);
    s.next = km_malloc_array(k, sizeof *s.next);
    s.kp = (k + KM_CT_PAD - 1) / KM_CT_PAD * KM_CT_PAD;
    s.Ct = km_malloc_array(d * s.kp, sizeof *s.Ct);
    s.buf = km_calloc_array(nb * 2 * s.kp, sizeof *s.buf);
    if (k == 1 || C_new == NULL || shift == NULL || sums == NULL ||
        wsum == NULL || bsums == NULL || bw == NULL || bch == NULL ||
        s.ub == NULL || s.lb == NULL || s.next == NULL || s.Ct == NULL ||
        s.buf == NULL)
        goto out;

    s.scale = FN(bound_scale)(p, C);
    FN(center_half_distances)(p, C, NULL, s.next);
    FN(transpose_centers)(C, k, d, s.kp, s.Ct);
    for (it = 0; it < max_iter; it++) {
        double shift_tot, max_shift = 0.0, second_shift = 0.0;
        size_t changed, arg_max = 0;

        /* The first pass computes every distance (the bounds start
           tight), so its labels are the first assignment's, as Lloyd's. */
        FN(hamerly_pass)
        (p, C, &s, it == 0, labels, &changed, sums, wsum, bsums, bw, bch);
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
        /* Largest and second-largest shifts: a row's lower bound shrinks by
           the largest shift of a center other than its own. */
        for (size_t j = 0; j < k; j++) {
            double v = (double)shift[j];

            if (v > max_shift) {
                second_shift = max_shift;
                max_shift = v;
                arg_max = j;
            } else if (v > second_shift) {
                second_shift = v;
            }
        }
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
        for (size_t i = 0; i < n; i++) {
            const size_t a = (size_t)labels[i];
            const REAL dl = (REAL)(a == arg_max ? second_shift : max_shift);
            const REAL v = s.lb[i] - dl;

            s.ub[i] += shift[a];
            s.lb[i] = v > 0 ? v : 0;
        }
        s.moved += max_shift;
        s.iter++;
        memcpy(C, C_new, k * d * sizeof *C);
        FN(center_half_distances)(p, C, NULL, s.next);
        FN(transpose_centers)(C, k, d, s.kp, s.Ct);
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
        size_t changed;

        FN(hamerly_pass)
        (p, C, &s, 0, labels, &changed, NULL, NULL, NULL, NULL, bch);
    }
    res->inertia = FN(km_inertia)(p, C, labels);
    status = KM_OK;
out:
    km_free(C_new);
    km_free(shift);
    km_free(sums);
    km_free(wsum);
    km_free(bsums);
    km_free(bw);
    km_free(bch);
    km_free(s.ub);
    km_free(s.lb);
    km_free(s.next);
    km_free(s.Ct);
    km_free(s.buf);
    return status;
}
