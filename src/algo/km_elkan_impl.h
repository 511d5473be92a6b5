/*
 * km_elkan_impl.h - Elkan's algorithm (Elkan, "Using the triangle
 * inequality to accelerate k-means", ICML 2003), written once for both
 * precisions (included by km_exact.c with REAL, REAL_EPS and FN(), after
 * km_bounds_impl.h).
 *
 * Each row keeps an upper bound u on the distance to its center and a lower
 * bound l[j] on the distance to every center j; half[a][j] is half the
 * distance between centers a and j.  A center j cannot take row x from its
 * center a when u <= l[j] or u <= half[a][j] (triangle inequality), so its
 * distance is not computed.  The structure follows scikit-learn's
 * _elkan.pyx; iterations, stopping, relocation and center sums are Lloyd's
 * (bounds_run in km_bounds_impl.h), so the result is Lloyd's from the same
 * start.
 *
 * Exactness: see km_bounds_impl.h.
 */

typedef struct FN(elkan_state) {
    REAL *lb;          /* n x k lower bounds */
    REAL *shift_buf;   /* k: the last shifts of the centers */
    const REAL *shift; /* shift_buf once the centers have moved, else NULL */
    REAL *half;        /* k x k half distances between centers */
    REAL *Ct;          /* the centers transposed (d x kp), for the first pass */
    size_t kp;         /* k rounded up to the table's ct_pad */
    REAL *cn;          /* the centers' squared norms, when the first pass goes
                          through the GEMM form (else NULL) */
    REAL cn_max;       /* their largest */
    int cn_set;        /* cn holds the initial centers' norms */
    REAL *dist;        /* per block, elkan_scratch(k) values: KM_ELKAN_ROWS x k
                          distances or KM_ELKAN_GEMM_ROWS x k GEMM values and
                          k distances (first pass, center distances), or the
                          rows' distances to their centers and candidates'
                          ones */
    int32_t *cand;     /* per block: k candidate centers */
} FN(elkan_state);

/* Values of the per-block scratch. */
static size_t FN(elkan_scratch)(size_t k)
{
    const size_t first = (KM_ELKAN_GEMM_ROWS + 1) * k;

    return first > KM_ROW_BLOCK + k ? first : KM_ROW_BLOCK + k;
}

/* First labels and bounds of rows [lo, hi): every canonical distance
   (row_dists, KM_ELKAN_ROWS rows at a time), so l[j] is the distance to
   every center j. */
static void FN(elkan_init_bounds)(const FN(km_problem) * p, FN(elkan_state) * s,
                                  REAL *D, size_t lo, size_t hi,
                                  int32_t *labels)
{
    const size_t k = p->k, d = p->d;

    for (size_t r0 = lo; r0 < hi; r0 += KM_ELKAN_ROWS) {
        const size_t m = hi - r0 < KM_ELKAN_ROWS ? hi - r0 : KM_ELKAN_ROWS;

        p->kern.row_dists(p->X + r0 * d, m, s->Ct, s->kp, d, k, D);
        for (size_t r = 0; r < m; r++) {
            const REAL *v = D + r * k;
            REAL *l = s->lb + (r0 + r) * k;
            size_t best = 0;

            for (size_t j = 0; j < k; j++) {
                l[j] = (REAL)sqrt((double)v[j]);
                if (v[j] < v[best])
                    best = j;
            }
            labels[r0 + r] = (int32_t)best;
        }
    }
}

/* A square root in the data's precision (correctly rounded either way). */
static inline REAL FN(elkan_sqrt)(REAL v)
{
    return sizeof(REAL) == sizeof(float) ? (REAL)sqrtf((float)v)
                                         : (REAL)sqrt((double)v);
}

/*
 * The first pass through the GEMM form, when the table has one (dist_block
 * gives -2 x.c, within err_scale (|x|^2 + |c|^2) of the canonical
 * distance once the norms are added): KM_ELKAN_GEMM_ROWS rows at a time,
 * labels as Lloyd's pass gives them (argmin2, and a near tie re-checked
 * with every canonical distance, elkan_init_bounds on the row), and each
 * lower bound the value less its error bound, so below the distance.
 */
static void FN(elkan_init_gemm)(const FN(km_problem) * p, FN(elkan_state) * s,
                                const REAL *C, REAL *D, size_t lo, size_t hi,
                                int32_t *labels)
{
    const size_t k = p->k, d = p->d;
    REAL *row = D + KM_ELKAN_GEMM_ROWS * k;
    int32_t best[KM_ELKAN_GEMM_ROWS];
    REAL v1[KM_ELKAN_GEMM_ROWS], v2[KM_ELKAN_GEMM_ROWS];

    for (size_t r0 = lo; r0 < hi; r0 += KM_ELKAN_GEMM_ROWS) {
        const size_t m =
            hi - r0 < KM_ELKAN_GEMM_ROWS ? hi - r0 : KM_ELKAN_GEMM_ROWS;

        FN(gemm_argmin2)(p, p->X + r0 * d, m, C, s->cn, D, best, v1, v2);
        for (size_t r = 0; r < m; r++) {
            const size_t i = r0 + r;
            const double xn = (double)p->xn[i];
            const double e = FN(gemm_err)(p, i, s->cn_max);
            const REAL *v = D + r * k;
            REAL *l = s->lb + i * k;

            if ((double)v2[r] <= (double)v1[r] + 2.0 * e) {
                FN(elkan_init_bounds)(p, s, row, i, i + 1, labels);
                continue;
            }
            /* in the data's precision, so that the loop vectorizes: the
               roundings of the sum are far below the quarter of e added */
            const REAL base = (REAL)(xn - 1.25 * e);

            for (size_t j = 0; j < k; j++) {
                const REAL low = base + (v[j] + s->cn[j]);

                l[j] = low > 0 ? FN(elkan_sqrt)(low) : 0;
            }
            labels[i] = best[r];
        }
    }
}

/*
 * Row x's label among its center a (canonical squared distance va) and
 * the candidates cand (squared distances v from pair_dists): the smallest
 * value's center, unless another value is within the error bound of it,
 * then the canonical argmin (ties to the lowest index) of those near it.
 * Every center outside the candidates is farther by the bounds.
 */
static size_t FN(elkan_pick)(const FN(km_problem) * p, const REAL *x,
                             const REAL *C, size_t a, REAL va,
                             const int32_t *cand, const REAL *v, size_t nc)
{
    const size_t d = p->d;
    /* pair_dists and the canonical sum are each within (d + 3) u of the
       exact value, relative; values more than 8 (d + 4) u apart relative
       (plus underflow's absolute error) keep their order in both. */
    const double rel = 8.0 * (double)(d + 4) * (double)REAL_EPS;
    size_t best = a;
    int near;
    REAL e = va;
    double lim;

    for (size_t q = 0; q < nc; q++)
        if (v[q] < e || (v[q] == e && (size_t)cand[q] < best)) {
            e = v[q];
            best = (size_t)cand[q];
        }
    lim = (double)e * (1.0 + rel) + (double)(d + 4) * (double)REAL_MIN;
    near = best != a && (double)va <= lim;
    for (size_t q = 0; q < nc && !near; q++)
        near = (size_t)cand[q] != best && (double)v[q] <= lim;
    if (near) {
        const size_t b0 = best;

        e = FN(km_sqdist)(x, C + b0 * d, d);
        for (size_t q = 0; q <= nc; q++) {
            const size_t j = q < nc ? (size_t)cand[q] : a;
            const REAL vj = q < nc ? v[q] : va;
            REAL ej;

            if (j == b0 || (double)vj > lim)
                continue;
            ej = FN(km_sqdist)(x, C + j * d, d);
            if (ej < e || (ej == e && j < best)) {
                e = ej;
                best = j;
            }
        }
    }
    return best;
}

/* Rows [lo, hi) of block b (bounds_algo.rows): the first labels and bounds
   when tight, then a relabelling where the bounds allow a change.  Every
   row's distance to its own center comes first (the canonical one, lanes
   over rows: u is always tight); the kernel's lb_scan moves the row's
   bounds with the centers and lists the candidates, whose distances
   pair_dists gives all at once. */
static size_t FN(elkan_rows)(const FN(km_problem) * p, void *state,
                             const REAL *C, REAL slack, int tight, size_t b,
                             size_t lo, size_t hi, int32_t *labels)
{
    FN(elkan_state) *s = state;
    const size_t k = p->k, d = p->d;
    REAL *v = s->dist + b * FN(elkan_scratch)(k), *vc = v + KM_ROW_BLOCK;
    int32_t *cand = s->cand + b * k;
    size_t ch = 0;

    if (tight) {
        if (s->cn != NULL)
            FN(elkan_init_gemm)(p, s, C, v, lo, hi, labels);
        else
            FN(elkan_init_bounds)(p, s, v, lo, hi, labels);
        return hi - lo;
    }
    p->kern.label_dists(p->X + lo * d, hi - lo, d, C, labels + lo, v);
    for (size_t i = lo; i < hi; i++) {
        const REAL *x = p->X + i * d;
        REAL *l = s->lb + i * k;
        const size_t a = (size_t)labels[i];
        const REAL va = v[i - lo], u = (REAL)sqrt((double)va);
        const size_t nc =
            p->kern.lb_scan(l, s->shift, s->half + a * k, k, u + slack, cand);
        size_t best;

        l[a] = u;
        if (nc == 0)
            continue;
        p->kern.pair_dists(x, d, C, cand, nc, vc);
        for (size_t q = 0; q < nc; q++)
            l[cand[q]] = (REAL)sqrt((double)vc[q]);
        best = FN(elkan_pick)(p, x, C, a, va, cand, vc, nc);
        labels[i] = (int32_t)best;
        ch += best != a;
    }
    return ch;
}

/* The bounds moved with the centers (bounds_algo.move): the shifts are
   kept, and each row's bounds move in its next scan. */
static double FN(elkan_move)(const FN(km_problem) * p, void *state,
                             const int32_t *labels, const REAL *shift)
{
    FN(elkan_state) *s = state;
    REAL max_shift, second;
    size_t arg;

    (void)labels;
    memcpy(s->shift_buf, shift, p->k * sizeof *shift);
    s->shift = s->shift_buf;
    FN(largest_shifts)(shift, p->k, &max_shift, &second, &arg);
    return (double)max_shift;
}

/* The half distances between the centers (bounds_algo.centers). */
static void FN(elkan_centers)(const FN(km_problem) * p, void *state,
                              const REAL *C)
{
    FN(elkan_state) *s = state;

    FN(transpose_centers)(C, p->k, p->d, s->kp, s->Ct);
    FN(center_half_distances)
    (p, C, s->Ct, s->kp, s->dist, KM_ELKAN_ROWS, s->half, NULL);
    for (size_t a = 0; a < p->k; a++) /* never a candidate for itself */
        s->half[a * p->k + a] = (REAL)INFINITY;
    if (s->cn != NULL && !s->cn_set) { /* the first pass's centers */
        s->cn_set = 1;
        s->cn_max = FN(km_center_norms)(p, C, s->cn);
    }
}

int FN(km_elkan)(const FN(km_problem) * p, REAL *C, int max_iter,
                 double tol_abs, const km_progress *prog, int32_t *labels,
                 km_run_result *res)
{
    const size_t n = p->n, k = p->k, d = p->d, nb = p->blk.n_blocks;
    const size_t pad = p->kern.ct_pad;
    FN(elkan_state) s = {0};
    int gemm_ok = 1;
    const FN(bounds_algo)
        algo = {&s, FN(elkan_rows), FN(elkan_move), FN(elkan_centers)};
    int status = KM_ERR_NOMEM;

    if (k == 1) /* no other center to bound against: Lloyd, as sklearn */
        return FN(km_lloyd)(p, C, max_iter, tol_abs, prog, labels, res);
    s.shift_buf = km_malloc_array(k, sizeof *s.shift_buf);
    s.lb = km_malloc_array(n, k * sizeof *s.lb);
    s.half = km_malloc_array(k, k * sizeof *s.half);
    s.kp = (k + pad - 1) / pad * pad;
    s.Ct = km_malloc_array(d * s.kp, sizeof *s.Ct);
    s.dist = km_malloc_array(nb, FN(elkan_scratch)(k) * sizeof *s.dist);
    s.cand = km_malloc_array(nb, k * sizeof *s.cand);
#ifdef KM_HAVE_BLAS
    /* The inexact tables' dist_block is the GEMM form (BLAS). */
    if (!p->kern.exact)
        s.cn = km_malloc_array(k, sizeof *s.cn);
    gemm_ok = !p->kern.exact ? s.cn != NULL : 1;
#endif
    if (gemm_ok && s.shift_buf != NULL && s.lb != NULL && s.half != NULL &&
        s.Ct != NULL && s.dist != NULL && s.cand != NULL)
        status =
            FN(bounds_run)(p, &algo, C, max_iter, tol_abs, prog, labels, res);
    km_free(s.shift_buf);
    km_free(s.lb);
    km_free(s.half);
    km_free(s.Ct);
    km_free(s.dist);
    km_free(s.cand);
    km_free(s.cn);
    return status;
}
