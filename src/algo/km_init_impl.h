/*
 * km_init_impl.h - initial centers, written once for both precisions
 * (included by km_init.c with REAL and FN()).
 */

/* Index of the first row whose running sum of weights * dist reaches r
   (numpy's searchsorted(cumsum, r, side="left")), clipped to n - 1. */
static size_t FN(search_cumsum)(const double *cum, size_t n, double r)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cum[mid] < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n ? lo : n - 1;
}

static void FN(weighted_cumsum)(const FN(km_problem) * p, const REAL *dist,
                                double *cum)
{
    double s = 0.0;

    for (size_t i = 0; i < p->n; i++) {
        s += (p->w ? (double)p->w[i] : 1.0) * (dist ? (double)dist[i] : 1.0);
        cum[i] = s;
    }
}

/*
 * For each of the t candidate rows cand[], the potential
 * sum_i w_i min(closest_i, |x_i - x_cand|^2), with the new minima in
 * out[c * n + i].  Blocks of rows are summed in block order.
 */
static int FN(candidate_potentials)(const FN(km_problem) * p,
                                    const REAL *closest, const int64_t *cand,
                                    size_t t, REAL *out, double *pot)
{
    const size_t n = p->n, d = p->d, nb = p->blk.n_blocks;
    const size_t tp = (t + KM_CT_PAD - 1) / KM_CT_PAD * KM_CT_PAD;
    const int by_row = p->kern.fast_rows;
    REAL *Cc = km_malloc_array(tp * d, sizeof *Cc);
    REAL *cn = km_malloc_array(t, sizeof *cn);
    REAL *D =
        km_malloc_array((size_t)p->n_threads * KM_ROW_BLOCK, t * sizeof *D);
    double *part = km_calloc_array(nb * t, sizeof *part);
    int status = KM_ERR_NOMEM;

    if (Cc == NULL || cn == NULL || D == NULL || part == NULL)
        goto out;
    if (by_row) {
        /* candidates transposed for row_dists: Cc[f * tp + c] */
        for (size_t f = 0; f < d; f++)
            for (size_t c = 0; c < tp; c++)
                Cc[f * tp + c] =
                    c < t ? p->X[(size_t)cand[c] * d + f] : (REAL)0;
    } else {
        for (size_t c = 0; c < t; c++)
            memcpy(Cc + c * d, p->X + (size_t)cand[c] * d, d * sizeof *Cc);
        p->kern.sq_norms(Cc, t, d, cn);
    }

#pragma omp parallel num_threads(p->n_threads)
    {
        /* A BLAS kernel runs on this thread alone (see km_assign). */
        omp_set_num_threads(1);
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nb; b++) {
            const size_t lo = b * p->blk.rows;
            const size_t hi = lo + p->blk.rows < n ? lo + p->blk.rows : n;
            REAL *Dt = D + (size_t)omp_get_thread_num() * KM_ROW_BLOCK * t;
            /* The block's potentials in registers when few (added to part,
               which is 0, at the end: the same bits as adding there). */
            double accl[KM_PP_LOCAL];
            double *acc = t <= KM_PP_LOCAL ? accl : part + b * t;

            for (size_t c = 0; c < t && t <= KM_PP_LOCAL; c++)
                accl[c] = 0.0;
            for (size_t r0 = lo; r0 < hi; r0 += KM_ROW_BLOCK) {
                size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

                if (by_row)
                    p->kern.row_dists(p->X + r0 * d, m, Cc, tp, d, t, Dt);
                else
                    p->kern.dist_block(p->X + r0 * d, m, d, Cc, t,
                                       p->xn ? p->xn + r0 : NULL, cn, Dt);
                for (size_t r = 0; r < m; r++) {
                    const size_t i = r0 + r;
                    const double wi = p->w ? (double)p->w[i] : 1.0;

                    for (size_t c = 0; c < t; c++) {
                        REAL v = Dt[r * t + c];

                        if (!by_row && !p->kern.exact) /* GEMM form */
                            v += p->xn[i] + cn[c];
                        if (v < 0) /* rounding in the GEMM form */
                            v = 0;
                        if (closest != NULL && closest[i] < v)
                            v = closest[i];
                        out[c * n + i] = v;
                        acc[c] += wi * (double)v;
                    }
                }
            }
            if (t <= KM_PP_LOCAL)
                memcpy(part + b * t, accl, t * sizeof *accl);
        }
    }
    for (size_t c = 0; c < t; c++) {
        double s = 0.0;

        for (size_t b = 0; b < nb; b++)
            s += part[b * t + c];
        pot[c] = s;
    }
    status = KM_OK;
out:
    km_free(Cc);
    km_free(cn);
    km_free(D);
    km_free(part);
    return status;
}

/*
 * Greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's
 * greedy local trials): each new center is the best of n_local_trials rows
 * drawn with probability proportional to weight times squared distance to
 * the nearest chosen center, "best" meaning the lowest resulting potential.
 */
int FN(km_init_kmeanspp)(const FN(km_problem) * p, km_rng *rng,
                         int n_local_trials, REAL *C, int64_t *idx)
{
    const size_t n = p->n, d = p->d, k = p->k;
    const size_t t = (size_t)n_local_trials;
    REAL *closest = km_malloc_array(n, sizeof *closest);
    REAL *trial = km_malloc_array(t, n * sizeof *trial);
    double *cum = km_malloc_array(n, sizeof *cum);
    double *pot = km_malloc_array(t, sizeof *pot);
    int64_t *cand = km_malloc_array(t, sizeof *cand);
    int status = KM_ERR_NOMEM;
    double current;
    int64_t first;

    if (closest == NULL || trial == NULL || cum == NULL || pot == NULL ||
        cand == NULL)
        goto out;

    /* First center: a row drawn with probability proportional to weight. */
    if (p->w == NULL) {
        first = (int64_t)km_rng_below(rng, n);
    } else {
        FN(weighted_cumsum)(p, NULL, cum);
        first = (int64_t)FN(search_cumsum)(
            cum, n, (1.0 - km_rng_uniform(rng)) * cum[n - 1]);
        /* r is in (0, total]: a zero-weight row is never drawn. */
    }
    memcpy(C, p->X + (size_t)first * d, d * sizeof *C);
    if (idx)
        idx[0] = first;
    status = FN(candidate_potentials)(p, NULL, &first, 1, closest, &current);
    if (status != KM_OK)
        goto out;

    for (size_t c = 1; c < k; c++) {
        size_t best = 0;

        FN(weighted_cumsum)(p, closest, cum);
        for (size_t j = 0; j < t; j++)
            cand[j] = (int64_t)FN(search_cumsum)(
                cum, n, (1.0 - km_rng_uniform(rng)) * current);
        status = FN(candidate_potentials)(p, closest, cand, t, trial, pot);
        if (status != KM_OK)
            goto out;
        for (size_t j = 1; j < t; j++)
            if (pot[j] < pot[best])
                best = j;
        current = pot[best];
        memcpy(closest, trial + best * n, n * sizeof *closest);
        memcpy(C + c * d, p->X + (size_t)cand[best] * d, d * sizeof *C);
        if (idx)
            idx[c] = cand[best];
    }
    status = KM_OK;
out:
    km_free(closest);
    km_free(trial);
    km_free(cum);
    km_free(pot);
    km_free(cand);
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
