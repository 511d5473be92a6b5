/*
 * km_hamerly_impl.h - Hamerly's algorithm (G. Hamerly, "Making k-means even
 * faster", SDM 2010), written once for both precisions (included by
 * km_exact.c with REAL, REAL_EPS and FN(), after km_bounds_impl.h).
 *
 * Each row keeps an upper bound u on the distance to its center a and ONE
 * lower bound l on the distance to every other center (O(n) memory, where
 * Elkan keeps n x k).  With s(a) half the distance from a to its nearest
 * other center, no center can take the row while u < max(s(a), l); then
 * the row is skipped.  Otherwise u is tightened, and if the test still
 * fails every distance is computed (best and second best).  After the
 * centers move, u grows by its center's shift and l shrinks by the largest
 * shift of another center.  Iterations, stopping, relocation and center
 * sums are Lloyd's (bounds_run in km_bounds_impl.h), so the result is
 * Lloyd's from the same start.  Exactness: see km_bounds_impl.h.
 */

typedef struct FN(hamerly_state) {
    REAL *ub;   /* n upper bounds */
    REAL *lb;   /* n lower bounds (second-nearest center) */
    REAL *next; /* k: half the distance to the nearest other center */
    REAL *Ct;   /* the centers transposed (d x kp) */
    REAL *buf;  /* per block: kp distances, then kp zeros */
    size_t kp;  /* k rounded up to KM_CT_PAD */
    /* The GEMM form (the inexact tables: dot_argmin2, or dist_block then
       argmin2): */
    REAL *cn;      /* k squared center norms */
    REAL cn_max;   /* their largest */
    REAL *dbuf;    /* per block: hamerly_dot_reals(d) */
    REAL *gv;      /* per thread: KM_ROW_BLOCK x k values of dist_block (the
                      BLAS table), else NULL */
    int32_t *ibuf; /* per block: 2 KM_ROW_BLOCK */
} FN(hamerly_state);

/* Scratch values per block for the GEMM form: the rows that need a scan,
   gathered (KM_ROW_BLOCK x d) and transposed (d x KM_ROW_BLOCK, for
   dot_argmin2), and three values per row. */
static size_t FN(hamerly_dot_reals)(size_t d)
{
    return 2 * KM_ROW_BLOCK * d + 3 * KM_ROW_BLOCK;
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

/* Whether no center can take row i from its center a while its upper bound
   is u: u clears both its lower bound and half the distance from a to the
   nearest other center, by the slack. */
static inline int FN(hamerly_clear)(const FN(hamerly_state) * s, size_t i,
                                    size_t a, REAL u, REAL slack)
{
    return u + slack < (s->next[a] > s->lb[i] ? s->next[a] : s->lb[i]);
}

/*
 * Rows [lo, hi) through the GEMM form (bounds_algo.rows when the table is
 * inexact): the rows whose bounds fail are gathered; their upper bounds
 * are tightened (label_dists: the canonical distance to their center), and
 * those that still fail are scanned together by the fused kernel, or by
 * dist_block (into the thread's gv) then argmin2, as Lloyd's
 * pass does (assign_gemm: the same labels, a near tie re-checked with every
 * canonical distance).  The lower bound is the second smallest
 * value less its error bound (|x|^2 + b2 - e <= the canonical distance of
 * every other center) and the upper bound the smallest plus it, or the
 * two smallest canonical distances after a re-check.
 */
static size_t FN(hamerly_rows_dot)(const FN(km_problem) * p,
                                   FN(hamerly_state) * s, const REAL *C,
                                   REAL slack, int tight, size_t b, size_t lo,
                                   size_t hi, int32_t *labels)
{
    const size_t d = p->d, k = p->k, kp = s->kp;
    REAL *Xg = s->dbuf + b * FN(hamerly_dot_reals)(d);
    REAL *xt = Xg + KM_ROW_BLOCK * d, *v1 = xt + d * KM_ROW_BLOCK;
    REAL *v2 = v1 + KM_ROW_BLOCK, *ud = v2 + KM_ROW_BLOCK;
    REAL *buf = s->buf + b * 2 * kp; /* kp distances, then kp zeros */
    int32_t *idx = s->ibuf + b * 2 * KM_ROW_BLOCK, *lab = idx + KM_ROW_BLOCK;
    int32_t best[KM_ROW_BLOCK];
    size_t m = 0, ch = 0;

    for (size_t i = lo; i < hi; i++) {
        const size_t a = tight ? 0 : (size_t)labels[i];

        if (!tight && FN(hamerly_clear)(s, i, a, s->ub[i], slack))
            continue;
        idx[m] = (int32_t)i;
        lab[m] = (int32_t)a;
        memcpy(Xg + m * d, p->X + i * d, d * sizeof *Xg);
        m++;
    }
    if (m > 0 && !tight) {
        size_t m2 = 0;

        p->kern.label_dists(Xg, m, d, C, lab, ud);
        for (size_t q = 0; q < m; q++) {
            const size_t i = (size_t)idx[q], a = (size_t)lab[q];
            const REAL u = (REAL)sqrt((double)ud[q]);

            s->ub[i] = u;
            if (FN(hamerly_clear)(s, i, a, u, slack))
                continue;
            if (m2 != q)
                memcpy(Xg + m2 * d, Xg + q * d, d * sizeof *Xg);
            idx[m2] = (int32_t)i;
            lab[m2] = (int32_t)a;
            m2++;
        }
        m = m2;
    }
    if (m == 0)
        return 0;
    if (s->gv != NULL) {
        REAL *D = s->gv + (size_t)omp_get_thread_num() * KM_ROW_BLOCK * k;

        FN(gemm_argmin2)(p, Xg, m, C, s->cn, D, best, v1, v2);
    } else {
        p->kern.transpose(Xg, m, d, xt);
        p->kern.dot_argmin2(xt, m, d, C, s->cn, k, best, v1, v2);
    }
    for (size_t q = 0; q < m; q++) {
        const size_t i = (size_t)idx[q];
        const double xn = (double)p->xn[i];
        const double e = FN(gemm_err)(p, i, s->cn_max);
        size_t label = (size_t)best[q];

        if ((double)v2[q] <= (double)v1[q] + 2.0 * e) {
            /* a near tie: every canonical distance (the row-kernel scan) */
            FN(hamerly_scan)
            (p, Xg + q * d, s->Ct, kp, buf, buf + kp, &label, &s->ub[i],
             &s->lb[i]);
        } else {
            const double low = xn + (double)v2[q] - e;
            const double up = xn + (double)v1[q] + e;

            s->lb[i] = low > 0 ? (REAL)sqrt(low) : 0;
            s->ub[i] = up > 0 ? (REAL)sqrt(up) : 0;
        }
        ch += tight || (size_t)lab[q] != label;
        labels[i] = (int32_t)label;
    }
    return ch;
}

/* Rows [lo, hi) of block b (bounds_algo.rows; tight: first labels, every
   distance). */
static size_t FN(hamerly_rows)(const FN(km_problem) * p, void *state,
                               const REAL *C, REAL slack, int tight, size_t b,
                               size_t lo, size_t hi, int32_t *labels)
{
    FN(hamerly_state) *s = state;
    const size_t d = p->d, kp = s->kp;
    REAL *buf = s->buf + b * 2 * kp;
    size_t ch = 0;

    if (s->dbuf != NULL)
        return FN(hamerly_rows_dot)(p, s, C, slack, tight, b, lo, hi, labels);

    for (size_t i = lo; i < hi; i++) {
        const REAL *x = p->X + i * d;
        const size_t a = tight ? 0 : (size_t)labels[i];
        REAL u = s->ub[i];
        size_t label;

        if (!tight) {
            if (FN(hamerly_clear)(s, i, a, u, slack))
                continue;
            u = (REAL)sqrt((double)FN(km_sqdist)(x, C + a * d, d));
            s->ub[i] = u;
            if (FN(hamerly_clear)(s, i, a, u, slack))
                continue;
        }
        FN(hamerly_scan)
        (p, x, s->Ct, kp, buf, buf + kp, &label, &s->ub[i], &s->lb[i]);
        ch += tight || label != a;
        labels[i] = (int32_t)label;
    }
    return ch;
}

/* The bounds moved with the centers (bounds_algo.move): a row's lower bound
   shrinks by the largest shift of a center other than its own. */
static double FN(hamerly_move)(const FN(km_problem) * p, void *state,
                               const int32_t *labels, const REAL *shift)
{
    FN(hamerly_state) *s = state;
    const size_t n = p->n, k = p->k;
    REAL max_shift, second_shift;
    size_t arg_max;

    FN(largest_shifts)(shift, k, &max_shift, &second_shift, &arg_max);
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
    for (size_t i = 0; i < n; i++) {
        const size_t a = (size_t)labels[i];
        const REAL dl = a == arg_max ? second_shift : max_shift;
        const REAL v = s->lb[i] - dl;

        s->ub[i] += shift[a];
        s->lb[i] = v > 0 ? v : 0;
    }
    return (double)max_shift;
}

/* Half the distance from each center to the nearest other one, and the
   centers transposed (bounds_algo.centers). */
static void FN(hamerly_centers)(const FN(km_problem) * p, void *state,
                                const REAL *C)
{
    FN(hamerly_state) *s = state;

    FN(transpose_centers)(C, p->k, p->d, s->kp, s->Ct);
    /* one row of distances at a time in block 0's scratch (its first kp
       values; the next kp are zeros for argmin2) */
    FN(center_half_distances)(p, C, s->Ct, s->kp, s->buf, 1, NULL, s->next);
    if (s->cn != NULL)
        s->cn_max = FN(km_center_norms)(p, C, s->cn);
}

int FN(km_hamerly)(const FN(km_problem) * p, REAL *C, int max_iter,
                   double tol_abs, const km_progress *prog, int32_t *labels,
                   km_run_result *res)
{
    const size_t n = p->n, k = p->k, d = p->d, nb = p->blk.n_blocks;
    FN(hamerly_state) s = {0};
    const FN(bounds_algo)
        algo = {&s, FN(hamerly_rows), FN(hamerly_move), FN(hamerly_centers)};
    int status = KM_ERR_NOMEM;

    if (k == 1) /* no other center to bound against: Lloyd */
        return FN(km_lloyd)(p, C, max_iter, tol_abs, prog, labels, res);
    s.ub = km_malloc_array(n, sizeof *s.ub);
    s.lb = km_malloc_array(n, sizeof *s.lb);
    s.next = km_malloc_array(k, sizeof *s.next);
    s.kp = (k + KM_CT_PAD - 1) / KM_CT_PAD * KM_CT_PAD;
    s.Ct = km_malloc_array(d * s.kp, sizeof *s.Ct);
    s.buf = km_calloc_array(nb * 2 * s.kp, sizeof *s.buf);
    if (!p->kern.exact) {
        /* the fused kernel's table, or BLAS's (dist_block the GEMM) */
        s.cn = km_malloc_array(k, sizeof *s.cn);
        s.dbuf = km_malloc_array(nb, FN(hamerly_dot_reals)(d) * sizeof *s.dbuf);
        s.ibuf = km_malloc_array(nb, 2 * KM_ROW_BLOCK * sizeof *s.ibuf);
        if (p->kern.dot_argmin2 == NULL)
            s.gv = km_malloc_array((size_t)p->n_threads * KM_ROW_BLOCK,
                                   k * sizeof *s.gv);
    }
    if (s.ub != NULL && s.lb != NULL && s.next != NULL && s.Ct != NULL &&
        s.buf != NULL &&
        (p->kern.exact || (s.cn != NULL && s.dbuf != NULL && s.ibuf != NULL &&
                           (p->kern.dot_argmin2 != NULL || s.gv != NULL))))
        status =
            FN(bounds_run)(p, &algo, C, max_iter, tol_abs, prog, labels, res);
    km_free(s.ub);
    km_free(s.lb);
    km_free(s.next);
    km_free(s.Ct);
    km_free(s.buf);
    km_free(s.cn);
    km_free(s.dbuf);
    km_free(s.ibuf);
    km_free(s.gv);
    return status;
}
