/*
 * km_init_impl.h - initial centers, written once for both precisions
 * (included by km_init.c with REAL and FN()).
 */

/*
 * One pass of k-means++ over the data: for each of the t candidates in
 * cand (t x d), the minima min(closest_i, |x_i - cand|^2) into column c of
 * out (out + c * n; closest NULL: no minimum), and the potential
 * sum_i w_i * minimum of each block of rows, part[b * t + c].  Each block
 * sums its rows through pp_block's lanes, then the lanes in order: the
 * bits depend on the blocks only, not on the threads.
 */
static void FN(pp_pass)(const FN(km_problem) * p, const REAL *closest,
                        REAL *out, const REAL *cand, size_t t, double *part,
                        double *lanes, REAL *scratch)
{
    const size_t n = p->n, d = p->d, nb = p->blk.n_blocks;

#pragma omp parallel for num_threads(p->n_threads) schedule(dynamic, 1)
    for (size_t b = 0; b < nb; b++) {
        const size_t lo = b * p->blk.rows;
        const size_t hi = lo + p->blk.rows < n ? lo + p->blk.rows : n;
        REAL *sc = scratch + (size_t)omp_get_thread_num() * KM_ROW_BLOCK * d;
        double *L = lanes + b * t * KM_PP_LANES;

        memset(L, 0, t * KM_PP_LANES * sizeof *L);
        for (size_t r0 = lo; r0 < hi; r0 += KM_ROW_BLOCK) {
            const size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

            p->kern.pp_block(p->X + r0 * d, m, d, cand, t,
                             closest != NULL ? closest + r0 : NULL,
                             p->w != NULL ? p->w + r0 : NULL, out + r0, n, L,
                             sc);
        }
        for (size_t c = 0; c < t; c++) {
            double s = 0.0;

            for (size_t l = 0; l < KM_PP_LANES; l++)
                s += L[c * KM_PP_LANES + l];
            part[b * t + c] = s;
        }
    }
}

/*
 * The row where the running sum of w_i closest_i first reaches r
 * (numpy's searchsorted(cumsum, r) as scikit-learn draws), found by block:
 * pre[b] is the sum of the blocks before b, so the block is the first
 * whose end reaches r, then its rows are summed from pre[b].  Should
 * rounding leave r unreached in that block, its last row of positive
 * weight is taken, so a row of zero probability is never drawn (unless
 * all are: r = 0 gives row 0).
 */
static size_t FN(pp_draw)(const FN(km_problem) * p, const REAL *closest,
                          const double *pre, double r)
{
    const size_t n = p->n, nb = p->blk.n_blocks;
    size_t lo = 0, hi = nb - 1, last;
    double s;

    while (lo < hi) { /* first b with pre[b + 1] >= r */
        size_t mid = lo + (hi - lo) / 2;

        if (pre[mid + 1] < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    last = lo * p->blk.rows;
    s = pre[lo];
    for (size_t i = lo * p->blk.rows,
                e = i + p->blk.rows < n ? i + p->blk.rows : n;
         i < e; i++) {
        const double v =
            (p->w != NULL ? (double)p->w[i] : 1.0) * (double)closest[i];

        if (v > 0)
            last = i;
        s += v;
        if (s >= r)
            return i;
    }
    return last;
}

/*
 * Greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's
 * greedy local trials): each new center is the best of n_local_trials rows
 * drawn with probability proportional to weight times squared distance to
 * the nearest chosen center, "best" meaning the lowest resulting potential.
 * Each step is one pass over the data: the candidates' minima go to t
 * columns of n values, and the best one's column becomes the distances.
 */
int FN(km_init_kmeanspp)(const FN(km_problem) * p, km_rng *rng,
                         int n_local_trials, REAL *C, int64_t *idx)
{
    const size_t n = p->n, d = p->d, k = p->k, nb = p->blk.n_blocks;
    const size_t t = (size_t)n_local_trials;
    REAL *closest = km_malloc_array(n, sizeof *closest);
    REAL *cols = km_malloc_array(t, n * sizeof *cols);
    REAL *cand = km_malloc_array(t, d * sizeof *cand);
    REAL *scratch = km_malloc_array((size_t)p->n_threads * KM_ROW_BLOCK,
                                    d * sizeof *scratch);
    double *part = km_malloc_array(nb, t * sizeof *part);
    double *lanes = km_malloc_array(nb * t, KM_PP_LANES * sizeof *lanes);
    double *pre = km_malloc_array(nb + 1, sizeof *pre);
    int64_t *ci = km_malloc_array(t, sizeof *ci);
    int status = KM_ERR_NOMEM;
    int64_t first;

    if (closest == NULL || cols == NULL || cand == NULL || scratch == NULL ||
        part == NULL || lanes == NULL || pre == NULL || ci == NULL)
        goto out;

    /* First center: a row drawn with probability proportional to weight. */
    if (p->w == NULL) {
        first = (int64_t)km_rng_below(rng, n);
    } else {
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
    memcpy(C, p->X + (size_t)first * d, d * sizeof *C);
    if (idx)
        idx[0] = first;
    FN(pp_pass)(p, NULL, closest, C, 1, part, lanes, scratch);
    pre[0] = 0.0;
    for (size_t b = 0; b < nb; b++)
        pre[b + 1] = pre[b] + part[b];

    for (size_t c = 1; c < k; c++) {
        size_t best = 0;
        double bestpot = 0.0;

        for (size_t j = 0; j < t; j++) {
            ci[j] = (int64_t)FN(pp_draw)(p, closest, pre,
                                         (1.0 - km_rng_uniform(rng)) * pre[nb]);
            memcpy(cand + j * d, p->X + (size_t)ci[j] * d, d * sizeof *cand);
        }
        FN(pp_pass)(p, closest, cols, cand, t, part, lanes, scratch);
        for (size_t j = 0; j < t; j++) {
            double s = 0.0;

            for (size_t b = 0; b < nb; b++)
                s += part[b * t + j];
            if (j == 0 || s < bestpot) {
                bestpot = s;
                best = j;
            }
        }
        pre[0] = 0.0;
        for (size_t b = 0; b < nb; b++)
            pre[b + 1] = pre[b] + part[b * t + best];
        memcpy(closest, cols + best * n, n * sizeof *closest);
        memcpy(C + c * d, cand + best * d, d * sizeof *C);
        if (idx)
            idx[c] = ci[best];
    }
    status = KM_OK;
out:
    km_free(closest);
    km_free(cols);
    km_free(cand);
    km_free(scratch);
    km_free(part);
    km_free(lanes);
    km_free(pre);
    km_free(ci);
    return status;
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
