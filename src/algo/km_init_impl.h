/*
 * km_init_impl.h - initial centers, written once for both precisions
 * (included by km_init.c with REAL, REAL_EPS, REAL_MIN, REAL_MAX and
 * FN()).
 */

/* Rows per work item of k-means++: fixed, so the order of the sums is
   too. */
#define KM_PP_ITEM (4 * KM_ROW_BLOCK)

/* The end of the item of k-means++ that starts at row lo. */
static size_t FN(pp_item_end)(size_t lo, size_t n)
{
    return lo + KM_PP_ITEM < n ? lo + KM_PP_ITEM : n;
}

/* A set of KM_PP_LANES lane sums added in order. */
static double FN(pp_lanes_sum)(const double *L)
{
    double s = 0.0;

    for (size_t l = 0; l < KM_PP_LANES; l++)
        s += L[l];
    return s;
}

/* The potential sum_i w_i D_i of rows [lo, hi), row i into lane
   (i - lo) % KM_PP_LANES in row order, the lanes then added in order: the
   bits pp_block's lanes give. */
static double FN(pp_item_pot)(const FN(km_problem) * p, const REAL *D,
                              size_t lo, size_t hi)
{
    double L[KM_PP_LANES] = {0};
    size_t i = lo;

    /* whole sets of lanes first, in a loop the compiler vectorizes (1 x D
       is D: the unweighted loop adds the same values) */
    if (p->w != NULL)
        for (; i + KM_PP_LANES <= hi; i += KM_PP_LANES)
            for (size_t l = 0; l < KM_PP_LANES; l++)
                L[l] += (double)p->w[i + l] * (double)D[i + l];
    else
        for (; i + KM_PP_LANES <= hi; i += KM_PP_LANES)
            for (size_t l = 0; l < KM_PP_LANES; l++)
                L[l] += (double)D[i + l];
    for (; i < hi; i++)
        L[(i - lo) % KM_PP_LANES] +=
            (p->w != NULL ? (double)p->w[i] : 1.0) * (double)D[i];
    return FN(pp_lanes_sum)(L);
}

/*
 * The row where the running sum of w_i D_i first reaches r (numpy's
 * searchsorted(cumsum, r) as scikit-learn draws), found by item: pre[it]
 * is the potential of the items before it, so the item is the first
 * whose end reaches r, then its rows are summed from pre[it].  Should
 * rounding leave r unreached in that item, its last row of positive
 * weight is taken, so a row of zero probability is never drawn (unless
 * all are: r = 0 gives row 0).
 */
static size_t FN(pp_draw)(const FN(km_problem) * p, const REAL *D,
                          const double *pre, size_t nit, double r)
{
    size_t lo = 0, hi = nit - 1, last;
    double s;

    while (lo < hi) { /* first item with pre[it + 1] >= r */
        size_t mid = lo + (hi - lo) / 2;

        if (pre[mid + 1] < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    last = lo * KM_PP_ITEM;
    s = pre[lo];
    for (size_t i = lo * KM_PP_ITEM, e = FN(pp_item_end)(i, p->n); i < e; i++) {
        const double v = (p->w != NULL ? (double)p->w[i] : 1.0) * (double)D[i];

        if (v > 0)
            last = i;
        s += v;
        if (s >= r)
            return i;
    }
    return last;
}

/*
 * The pruning test.  A row x whose nearest chosen center a is at squared
 * distance D cannot come closer to a candidate c when |c - a| >= 2 sqrt(D)
 * (triangle inequality).  The test allows for the rounding of the three
 * distances involved (km_sqdist_fma: relative error below eps = (d + 2) u,
 * absolute below tiny from underflow): the rows it skips have a computed
 * distance to c of at least D, so skipping changes no minimum.  A row is
 * computed when its distance exceeds pp_threshold of its center's
 * squared distance dq to the nearest candidate.
 */
typedef struct FN(pp_slack) {
    double eps3, tiny;
} FN(pp_slack);

/* The largest D with 4 (D + tiny)(1 + eps3) + tiny <= dq ((1 + eps) /
   (1 - eps) < 1 + eps3), with a margin and rounded down; -1 when none
   (dq < 0 asks for every row). */
static REAL FN(pp_threshold)(FN(pp_slack) s, double dq)
{
    double x =
        ((dq - s.tiny) / (4.0 * (1.0 + s.eps3)) - s.tiny) * (1.0 - 1e-12);
    REAL r;

    if (!(x >= 0.0))
        return (REAL)-1; /* also dq NaN */
    if (x >= (double)REAL_MAX)
        return REAL_MAX; /* an infinite distance is always computed */
    r = (REAL)x;
    if ((double)r > x)
        r = sizeof(REAL) == sizeof(float)
                ? (REAL)nextafterf((float)r, -INFINITY)
                : (REAL)nextafter((double)r, -INFINITY);
    return r;
}

/* A row drawn with probability proportional to weight (uniformly when
   unweighted): k-means++'s first center. */
static int64_t FN(pp_first)(const FN(km_problem) * p, km_rng *rng)
{
    const size_t n = p->n;
    int64_t first;

    if (p->w == NULL)
        return (int64_t)km_rng_below(rng, n);
    {
        double total = 0.0, r, s = 0.0;

        for (size_t i = 0; i < n; i++)
            total += (double)p->w[i];
        /* r in (0, total]: a zero-weight row is never drawn. */
        r = (1.0 - km_rng_uniform(rng)) * total;
        first = -1;
        for (size_t i = 0; i < n && first < 0; i++) {
            s += (double)p->w[i];
            if (s >= r && p->w[i] > 0)
                first = (int64_t)i;
        }
        for (size_t i = n; first < 0 && i-- > 0;)
            if (p->w[i] > 0) /* rounding left r unreached */
                first = (int64_t)i;
        if (first < 0)
            first = 0;
    }
    return first;
}

/*
 * Greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's
 * greedy local trials): each new center is the best of n_local_trials rows
 * drawn with probability proportional to weight times squared distance to
 * the nearest chosen center, "best" meaning the lowest resulting
 * potential.
 *
 * Each row keeps its nearest chosen center (a) and the squared distance
 * to it (D).  A candidate can only bring closer the rows whose center is
 * less than twice their distance away from it (pp_threshold), about half
 * of them on clustered data, fewer as centers accumulate; each step
 * computes only the rows that pass for some candidate (pp_block through
 * sel), in work items of KM_PP_ITEM rows.  The rows skipped keep their
 * distance whichever candidate wins, so the candidate whose minima sum
 * lowest over the computed rows is the one of lowest potential.  Each
 * item sums in its lanes and the items are added in order: the bits
 * depend on the data, not on the threads.  Draws go by item potentials
 * (pp_draw).  prune = 0 computes every row, for tests: the same centers
 * unless two candidates' potentials tie within rounding.  computed (if
 * not NULL) receives the number of rows computed, over all steps.
 */
int FN(km_init_kmeanspp_prune)(const FN(km_problem) * p, km_rng *rng,
                               int n_local_trials, REAL *C, int64_t *idx,
                               int prune, double *computed)
{
    const size_t n = p->n, d = p->d, k = p->k;
    const size_t t = (size_t)n_local_trials;
    const size_t nt = (size_t)p->n_threads;
    const size_t nit = (n + KM_PP_ITEM - 1) / KM_PP_ITEM;
    const double u = (double)REAL_EPS / 2.0;
    const double eps = (double)(d + 2) * u / (1.0 - (double)(d + 2) * u);
    const FN(pp_slack) slack = {3.0 * eps, 2.0 * (double)d * (double)REAL_MIN};
    REAL *D = km_malloc_array(n, sizeof *D);
    REAL *vbuf = km_malloc_array(n, t * sizeof *vbuf);
    REAL *cand = km_malloc_array(t, d * sizeof *cand);
    REAL *dc = km_malloc_array(t, k * sizeof *dc);
    REAL *thr = km_malloc_array(k, sizeof *thr);
    REAL *scratch = km_malloc_array(nt * KM_ROW_BLOCK, d * sizeof *scratch);
    double *lanes = km_malloc_array(nt * t, KM_PP_LANES * sizeof *lanes);
    double *ipot = km_malloc_array(nit, sizeof *ipot);
    double *pre = km_malloc_array(nit + 1, sizeof *pre);
    double *pot = km_malloc_array(nit, t * sizeof *pot);
    int32_t *a = km_calloc_array(n, sizeof *a);
    uint32_t *sel = km_malloc_array(n, sizeof *sel);
    size_t *nsel = km_malloc_array(nit, sizeof *nsel);
    int64_t *ci = km_malloc_array(t, sizeof *ci);
    int status = KM_ERR_NOMEM;
    int64_t first;

    if (D == NULL || vbuf == NULL || cand == NULL || dc == NULL ||
        thr == NULL || scratch == NULL || lanes == NULL || ipot == NULL ||
        pre == NULL || pot == NULL || a == NULL || sel == NULL ||
        nsel == NULL || ci == NULL)
        goto out;
    if ((double)(d + 2) * u > 0.01)
        prune = 0; /* the slack would be meaningless */
    if (computed != NULL)
        *computed = 0.0;

    first = FN(pp_first)(p, rng);
    memcpy(C, p->X + (size_t)first * d, d * sizeof *C);
    if (idx)
        idx[0] = first;
#pragma omp parallel for num_threads(p->n_threads) schedule(dynamic, 1)
    for (size_t it = 0; it < nit; it++) {
        const size_t th = (size_t)omp_get_thread_num();
        const size_t lo = it * KM_PP_ITEM;
        const size_t hi = FN(pp_item_end)(lo, n);
        double *L = lanes + th * t * KM_PP_LANES;

        memset(L, 0, KM_PP_LANES * sizeof *L);
        p->kern.pp_block(p->X + lo * d, NULL, hi - lo, d, C, 1, NULL,
                         p->w != NULL ? p->w + lo : NULL, D + lo, hi - lo, L,
                         scratch + th * KM_ROW_BLOCK * d);
        ipot[it] = FN(pp_lanes_sum)(L);
    }

    for (size_t c = 1; c < k; c++) {
        size_t best = 0;
        double bestpot = 0.0;

        pre[0] = 0.0;
        for (size_t it = 0; it < nit; it++)
            pre[it + 1] = pre[it] + ipot[it];
        for (size_t j = 0; j < t; j++) {
            ci[j] = (int64_t)FN(pp_draw)(
                p, D, pre, nit, (1.0 - km_rng_uniform(rng)) * pre[nit]);
            memcpy(cand + j * d, p->X + (size_t)ci[j] * d, d * sizeof *cand);
        }
        /* The candidates against the chosen centers, dc[j * k + q], and
           the threshold of each center from its nearest candidate. */
        for (size_t q0 = 0; q0 < c; q0 += KM_ROW_BLOCK) {
            const size_t m = c - q0 < KM_ROW_BLOCK ? c - q0 : KM_ROW_BLOCK;

            memset(lanes, 0, t * KM_PP_LANES * sizeof *lanes); /* unused */
            p->kern.pp_block(C + q0 * d, NULL, m, d, cand, t, NULL, NULL,
                             dc + q0, k, lanes, scratch);
        }
        for (size_t q = 0; q < c; q++) {
            double m = (double)dc[q];

            for (size_t j = 1; j < t; j++)
                if ((double)dc[j * k + q] < m)
                    m = (double)dc[j * k + q];
            thr[q] = prune ? FN(pp_threshold)(slack, m) : (REAL)-1;
        }

        /* The rows some candidate may bring closer, item by item: their
           minima into vbuf (t x m from t * lo), their sums into pot. */
#pragma omp parallel for num_threads(p->n_threads) schedule(dynamic, 1)
        for (size_t it = 0; it < nit; it++) {
            const size_t th = (size_t)omp_get_thread_num();
            const size_t lo = it * KM_PP_ITEM;
            const size_t hi = FN(pp_item_end)(lo, n);
            double *L = lanes + th * t * KM_PP_LANES;
            uint32_t *s = sel + lo;
            size_t m = 0;

            for (size_t i = lo; i < hi; i++) { /* no branch: half pass */
                s[m] = (uint32_t)(i - lo);
                m += D[i] > thr[a[i]];
            }
            nsel[it] = m;
            memset(L, 0, t * KM_PP_LANES * sizeof *L);
            if (m > 0)
                p->kern.pp_block(p->X + lo * d, s, m, d, cand, t, D + lo,
                                 p->w != NULL ? p->w + lo : NULL, vbuf + t * lo,
                                 m, L, scratch + th * KM_ROW_BLOCK * d);
            for (size_t j = 0; j < t; j++)
                pot[it * t + j] = FN(pp_lanes_sum)(L + j * KM_PP_LANES);
        }
        for (size_t it = 0; it < nit && computed != NULL; it++)
            *computed += (double)nsel[it];
        for (size_t j = 0; j < t; j++) {
            double s = 0.0;

            for (size_t it = 0; it < nit; it++)
                s += pot[it * t + j];
            if (j == 0 || s < bestpot) {
                bestpot = s;
                best = j;
            }
        }
        memcpy(C + c * d, cand + best * d, d * sizeof *C);
        if (idx)
            idx[c] = ci[best];

            /* The rows the new center takes (strictly closer to it), and the
               potentials of the items they are in. */
#pragma omp parallel for num_threads(p->n_threads) schedule(dynamic, 4)
        for (size_t it = 0; it < nit; it++) {
            const size_t lo = it * KM_PP_ITEM, m = nsel[it];
            const uint32_t *s = sel + lo;
            const REAL *v = vbuf + t * lo + best * m;
            int moved = 0;

            for (size_t r = 0; r < m; r++) {
                const size_t i = lo + s[r];

                if (v[r] < D[i]) {
                    D[i] = v[r];
                    a[i] = (int32_t)c;
                    moved = 1;
                }
            }
            if (moved)
                ipot[it] = FN(pp_item_pot)(p, D, lo, FN(pp_item_end)(lo, n));
        }
    }
    status = KM_OK;
out:
    km_free(D);
    km_free(vbuf);
    km_free(cand);
    km_free(dc);
    km_free(thr);
    km_free(scratch);
    km_free(lanes);
    km_free(ipot);
    km_free(pre);
    km_free(pot);
    km_free(a);
    km_free(sel);
    km_free(nsel);
    km_free(ci);
    return status;
}

int FN(km_init_kmeanspp)(const FN(km_problem) * p, km_rng *rng,
                         int n_local_trials, REAL *C, int64_t *idx)
{
    return FN(km_init_kmeanspp_prune)(p, rng, n_local_trials, C, idx, 1, NULL);
}

typedef struct FN(key_item) {
    double key;
    size_t idx;
} FN(key_item);

static int FN(key_cmp)(const void *a, const void *b)
{
    const FN(key_item) *x = a, *y = b;

    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/*
 * k distinct rows.  Unweighted: the first k of a partial Fisher-Yates
 * shuffle.  Weighted: sampling without replacement with probability
 * proportional to weight (Efraimidis and Spirakis 2006: the k largest keys
 * log(u) / w); zero-weight rows come last, lowest index first.
 */
int FN(km_init_random)(const FN(km_problem) * p, km_rng *rng, REAL *C,
                       int64_t *idx)
{
    const size_t n = p->n, d = p->d, k = p->k;
    size_t *chosen = km_malloc_array(k, sizeof *chosen);

    if (chosen == NULL)
        return KM_ERR_NOMEM;
    if (p->w == NULL) {
        size_t *perm = km_malloc_array(n, sizeof *perm);

        if (perm == NULL) {
            km_free(chosen);
            return KM_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        for (size_t c = 0; c < k; c++) {
            size_t j = c + (size_t)km_rng_below(rng, n - c);
            size_t tmp = perm[c];

            perm[c] = perm[j];
            perm[j] = tmp;
            chosen[c] = perm[c];
        }
        km_free(perm);
    } else {
        FN(key_item) *items = km_malloc_array(n, sizeof *items);

        if (items == NULL) {
            km_free(chosen);
            return KM_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            /* u in (0, 1]: log(u) finite. */
            double u = 1.0 - km_rng_uniform(rng);

            items[i].idx = i;
            items[i].key = p->w[i] > 0 ? log(u) / (double)p->w[i] : -INFINITY;
        }
        qsort(items, n, sizeof *items, FN(key_cmp));
        for (size_t c = 0; c < k; c++)
            chosen[c] = items[c].idx;
        km_free(items);
    }
    for (size_t c = 0; c < k; c++) {
        memcpy(C + c * d, p->X + chosen[c] * d, d * sizeof *C);
        if (idx)
            idx[c] = (int64_t)chosen[c];
    }
    km_free(chosen);
    return KM_OK;
}
