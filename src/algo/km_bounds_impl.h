/*
 * km_bounds_impl.h - what the bound-based exact algorithms (Elkan, Hamerly,
 * Yinyang) share, for one precision (included by km_exact.c with REAL,
 * REAL_EPS and FN(), after km_lloyd_impl.h and before their own files):
 * the slack of the bounds, the half distances between centers, and the
 * pass and iteration that drive an algorithm's own row scans (bounds_run).
 *
 * Exactness.  Labels must equal Lloyd's: the canonical argmin of the squared
 * distances, ties to the lowest index.  Bounds carry rounding errors, so a
 * center is skipped only when a bound clears it by a slack that covers
 * them: each distance is computed with a relative error of about (d + 2)
 * ulps, each bound update adds one ulp, and no distance exceeds the data's
 * diameter plus the accumulated center shifts.  Skips are strict (an exact
 * tie is always computed) and computed candidates are compared by their
 * canonical squared distances.
 */

/* The slack for a fit whose distances are bounded by scale, whose centers
   have moved by at most `moved` in all, after iter iterations. */
static REAL FN(bound_slack)(double scale, double moved, int iter, size_t d)
{
    const double kappa =
        2.0 * (double)(d + 8 + 2 * (size_t)iter) * (double)REAL_EPS;

    return (REAL)(kappa * (scale + moved));
}

/* Twice the largest distance of a row or initial center from the data's
   mean: no distance in the fit exceeds it (centers are means of rows,
   relocated rows, or the initial ones). */
static double FN(bound_scale)(const FN(km_problem) * p, const REAL *C)
{
    const size_t n = p->n, d = p->d, k = p->k;
    double *mu = calloc(d, sizeof *mu);
    double r = 0.0;

    if (mu == NULL)
        return INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < d; f++)
            mu[f] += (double)p->X[i * d + f];
    for (size_t f = 0; f < d; f++)
        mu[f] /= (double)n;
    for (size_t i = 0; i < n + k; i++) {
        const REAL *x = i < n ? p->X + i * d : C + (i - n) * d;
        double s = 0.0;

        for (size_t f = 0; f < d; f++)
            s += ((double)x[f] - mu[f]) * ((double)x[f] - mu[f]);
        if (s > r)
            r = s;
    }
    free(mu);
    return 2.0 * sqrt(r) * (1.0 + 1e-6);
}

/* The centers transposed for the row_dists kernel: Ct[f * kp + j], with kp a
   multiple of the table's ct_pad and zero padding. */
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

/* The GEMM form's error bound for row i against centers of squared norms
   at most cn_max (km_kernels.h: dist_block and dot_argmin2). */
static inline double FN(gemm_err)(const FN(km_problem) * p, size_t i,
                                  REAL cn_max)
{
    return p->kern.err_scale * ((double)p->xn[i] + (double)cn_max);
}

/* Rows X[0 .. m) through the GEMM (dist_block into D, m x k), then
   argmin2 with the centers' squared norms cn: per row the best center and
   the two smallest values of |x - c|^2 - |x|^2, within gemm_err. */
static void FN(gemm_argmin2)(const FN(km_problem) * p, const REAL *X, size_t m,
                             const REAL *C, const REAL *cn, REAL *D,
                             int32_t *best, REAL *v1, REAL *v2)
{
    p->kern.dist_block(X, m, p->d, C, p->k, NULL, NULL, D);
    p->kern.argmin2(D, cn, m, p->k, best, v1, v2);
}

/* Half the distance between every two centers (into half, k x k, when not
   NULL) and, for each center, the smallest to another one (into next[a]
   when not NULL; +inf when k = 1).  The canonical distances, through the
   row_dists kernel from the centers transposed (Ct, d x kp) with the centers as
   rows, `rows` of them at a time into D (rows x k values). */
static void FN(center_half_distances)(const FN(km_problem) * p, const REAL *C,
                                      const REAL *Ct, size_t kp, REAL *D,
                                      size_t rows, REAL *half, REAL *next)
{
    const size_t k = p->k, d = p->d;

    for (size_t a0 = 0; a0 < k; a0 += rows) {
        const size_t m = k - a0 < rows ? k - a0 : rows;

        p->kern.row_dists(C + a0 * d, m, Ct, kp, d, k, D);
        for (size_t r = 0; r < m; r++) {
            const size_t a = a0 + r;
            REAL nx = (REAL)INFINITY;

            if (half == NULL) { /* the nearest first, then one root (the
                                   root and halving keep the order) */
                REAL v = (REAL)INFINITY;

                for (size_t j = 0; j < k; j++)
                    if (j != a && D[r * k + j] < v)
                        v = D[r * k + j];
                nx = v < (REAL)INFINITY ? (REAL)(0.5 * sqrt((double)v))
                                        : (REAL)INFINITY;
            } else
                for (size_t j = 0; j < k; j++) {
                    const REAL h =
                        j == a ? 0 : (REAL)(0.5 * sqrt((double)D[r * k + j]));

                    half[a * k + j] = h;
                    if (j != a && h < nx)
                        nx = h;
                }
            if (next != NULL)
                next[a] = nx;
        }
    }
}

/* The largest of the k shifts (*max, of center *arg; 0 and 0 when none is
   positive) and the second largest (*second): a row's bound on every center
   but its own moves by the largest shift of a center other than its own. */
static void FN(largest_shifts)(const REAL *shift, size_t k, REAL *max,
                               REAL *second, size_t *arg)
{
    REAL m1 = 0, m2 = 0;
    size_t a = 0;

    for (size_t j = 0; j < k; j++) {
        const REAL v = shift[j];

        if (v > m1) {
            m2 = m1;
            m1 = v;
            a = j;
        } else if (v > m2) {
            m2 = v;
        }
    }
    *max = m1;
    *second = m2;
    *arg = a;
}

/*
 * What a bound-based algorithm gives bounds_run: its state and three steps.
 * The loop is Lloyd's (km_iterate), so iterations, stopping, relocation and
 * center sums are Lloyd's, and the result is Lloyd's from the same start.
 */
typedef struct FN(bounds_algo) {
    void *state;
    /* Labels and bounds of rows [lo, hi) (at most KM_ROW_BLOCK rows of the
       pass's row block b, whose scratch they may use): every distance when
       tight (the first pass: the first assignment), else where the bounds
       with this slack allow a change.  Returns how many labels changed. */
    size_t (*rows)(const FN(km_problem) * p, void *state, const REAL *C,
                   REAL slack, int tight, size_t b, size_t lo, size_t hi,
                   int32_t *labels);
    /* The bounds of rows with these labels moved after the centers moved by
       shift (k); returns the largest shift. */
    double (*move)(const FN(km_problem) * p, void *state, const int32_t *labels,
                   const REAL *shift);
    /* What the algorithm derives from the centers C: before the first pass
       and after every update. */
    void (*centers)(const FN(km_problem) * p, void *state, const REAL *C);
} FN(bounds_algo);

/* The loop's state around an algorithm's. */
typedef struct FN(bounds_run_state) {
    const FN(bounds_algo) * A;
    double scale;       /* bound on any distance: twice the data's radius */
    double moved;       /* sum over iterations of the largest center shift */
    int iter;           /* center updates done, for the slack */
    double *bsums, *bw; /* per block center sums (nb x k x d, nb x k) */
    size_t *bch;        /* per block changed labels */
} FN(bounds_run_state);

/* One pass over all rows (km_steps.pass): each row block on one thread,
   KM_ROW_BLOCK rows at a time, their labels and then, when sums != NULL,
   their center sums while the rows are in cache, by the same accum_block
   calls in the same order as Lloyd's; block sums reduced in block order. */
static int FN(bounds_pass)(const FN(km_problem) * p, void *state, const REAL *C,
                           int32_t *labels, size_t *changed, double *sums,
                           double *wsum, double *inertia)
{
    FN(bounds_run_state) *r = state;
    const FN(bounds_algo) *A = r->A;
    const size_t k = p->k, d = p->d, kd = k * d, nb = p->blk.n_blocks;
    const REAL slack = FN(bound_slack)(r->scale, r->moved, r->iter, d);
    const int tight = r->iter == 0;
    /* On one thread each block's sums go to the total as the block ends,
       from one buffer (the order of km_reduce_blocks: the same bits). */
    const int serial = p->n_threads == 1;
    size_t ch = 0;

    if (sums != NULL && serial) {
        memset(sums, 0, kd * sizeof *sums);
        memset(wsum, 0, k * sizeof *wsum);
    } else if (sums != NULL) {
        memset(r->bsums, 0, nb * kd * sizeof *r->bsums);
        memset(r->bw, 0, nb * k * sizeof *r->bw);
    }
#pragma omp parallel for num_threads(p->n_threads) schedule(dynamic, 1)
    for (size_t b = 0; b < nb; b++) {
        const size_t lo = b * p->blk.rows;
        const size_t hi = lo + p->blk.rows < p->n ? lo + p->blk.rows : p->n;
        double *bs = r->bsums + (serial ? 0 : b) * kd;
        double *bw = r->bw + (serial ? 0 : b) * k;
        size_t bch = 0;

        if (sums != NULL && serial) {
            memset(bs, 0, kd * sizeof *bs);
            memset(bw, 0, k * sizeof *bw);
        }
        for (size_t r0 = lo; r0 < hi; r0 += KM_ROW_BLOCK) {
            const size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

            bch += A->rows(p, A->state, C, slack, tight, b, r0, r0 + m, labels);
            if (sums != NULL)
                p->kern.accum_block(p->X + r0 * d, m, d,
                                    p->w ? p->w + r0 : NULL, labels + r0, k, bs,
                                    bw);
        }
        if (sums != NULL && serial)
            km_reduce_blocks_add(bs, bw, k, d, sums, wsum);
        r->bch[b] = bch;
    }
    for (size_t b = 0; b < nb; b++)
        ch += r->bch[b];
    if (changed != NULL)
        *changed = ch;
    if (sums != NULL && !serial)
        km_reduce_blocks(r->bsums, r->bw, nb, k, d, sums, wsum);
    if (inertia != NULL)
        *inertia = FN(km_inertia)(p, C, labels);
    return KM_OK;
}

/* After a center update (km_steps.moved): the bounds, the slack's terms and
   what derives from the centers. */
static void FN(bounds_moved)(const FN(km_problem) * p, void *state,
                             const int32_t *labels, const REAL *shift,
                             const REAL *C)
{
    FN(bounds_run_state) *r = state;

    r->moved += r->A->move(p, r->A->state, labels, shift);
    r->iter++;
    r->A->centers(p, r->A->state, C);
}

/* A bound-based algorithm from the centers in C (k >= 2): km_iterate with
   bounds_pass and bounds_moved. */
static int FN(bounds_run)(const FN(km_problem) * p, const FN(bounds_algo) * A,
                          REAL *C, int max_iter, double tol_abs,
                          const km_progress *prog, int32_t *labels,
                          km_run_result *res)
{
    const size_t k = p->k, d = p->d, nb = p->blk.n_blocks;
    FN(bounds_run_state) r = {A, 0.0, 0.0, 0, NULL, NULL, NULL};
    const FN(km_steps) steps = {&r, FN(bounds_pass), FN(bounds_moved)};
    int status = KM_ERR_NOMEM;

    r.bsums = km_malloc_array(nb, k * d * sizeof *r.bsums);
    r.bw = km_malloc_array(nb, k * sizeof *r.bw);
    r.bch = km_malloc_array(nb, sizeof *r.bch);
    if (r.bsums != NULL && r.bw != NULL && r.bch != NULL) {
        r.scale = FN(bound_scale)(p, C);
        A->centers(p, A->state, C);
        status =
            FN(km_iterate)(p, &steps, C, max_iter, tol_abs, prog, labels, res);
    }
    km_free(r.bsums);
    km_free(r.bw);
    km_free(r.bch);
    return status;
}
