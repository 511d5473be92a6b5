/*
 * km_assign_impl.h - assignment, inertia and center update, written once
 * for both precisions (included by km_assign.c with REAL and FN()).
 */

int FN(km_problem_setup)(FN(km_problem) * p, const REAL *X, size_t n, size_t d,
                         const REAL *w, size_t k, int n_threads,
                         km_kernel_id kernel)
{
    memset(p, 0, sizeof *p);
    p->X = X;
    p->n = n;
    p->d = d;
    p->w = w;
    p->k = k;
    p->n_threads = n_threads > 0 ? n_threads : 1;
    {
        /* Small problems on one thread: waking a team costs more than the
           work (and the blocks, hence the bits, do not depend on it). */
        double work = (double)n * (double)k * (double)d;
        double cap = 1.0 + work / (double)KM_WORK_PER_THREAD;

        if ((double)p->n_threads > cap)
            p->n_threads = (int)cap;
    }
    FN(km_kernels_get)(kernel, k, d, &p->kern);
    p->blk = km_blocking_for(n, k, d);
    if (!p->kern.exact) {
        REAL *xn = km_malloc_array(n, sizeof *xn);

        if (xn == NULL)
            return KM_ERR_NOMEM;
        p->kern.sq_norms(X, n, d, xn);
        p->xn = xn;
    }
    return KM_OK;
}

void FN(km_problem_release)(FN(km_problem) * p)
{
    km_free((void *)p->xn);
    p->xn = NULL;
}

/*
 * One block of rows [lo, hi): nearest centers through the kernel table,
 * then, for an inexact kernel, the canonical distance of every center
 * within the kernel's error bound of the best, so the label is the
 * canonical argmin whatever the kernel.
 */
static void FN(assign_rows)(const FN(km_problem) * p, const REAL *C,
                            const REAL *cn, REAL cn_max, size_t lo, size_t hi,
                            REAL *D, int32_t *labels, REAL *mind, double *sums,
                            double *wsum, double *inertia)
{
    const size_t d = p->d, k = p->k;
    double acc = 0.0;

    for (size_t r0 = lo; r0 < hi; r0 += KM_ROW_BLOCK) {
        size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

        p->kern.dist_block(p->X + r0 * d, m, d, C, k, p->xn ? p->xn + r0 : NULL,
                           cn, D);
        for (size_t r = 0; r < m; r++) {
            const size_t i = r0 + r;
            const REAL *row = D + r * k;
            const REAL *x = p->X + i * d;
            size_t best = 0;
            REAL bd = row[0];

            for (size_t j = 1; j < k; j++) {
                if (row[j] < bd) {
                    bd = row[j];
                    best = j;
                }
            }
            if (!p->kern.exact) {
                const REAL margin = (REAL)(p->kern.err_scale * 2.0 *
                                           ((double)p->xn[i] + (double)cn_max));
                const REAL limit = bd + margin;
                size_t b = best;
                REAL e = FN(km_sqdist)(x, C + b * d, d);

                for (size_t j = 0; j < k; j++) {
                    if (j == b || row[j] > limit)
                        continue;
                    REAL ej = FN(km_sqdist)(x, C + j * d, d);
                    if (ej < e || (ej == e && j < best)) {
                        e = ej;
                        best = j;
                    }
                }
                bd = e;
            }
            labels[i] = (int32_t)best;
            if (mind)
                mind[i] = bd;
            {
                const double wi = p->w ? (double)p->w[i] : 1.0;

                acc += wi * (double)bd;
                if (sums) {
                    double *s = sums + best * d;

                    for (size_t f = 0; f < d; f++)
                        s[f] += wi * (double)x[f];
                    wsum[best] += wi;
                }
            }
        }
    }
    *inertia = acc;
}

int FN(km_assign)(const FN(km_problem) * p, const REAL *C, int32_t *labels,
                  REAL *mind, double *sums, double *wsum, double *inertia)
{
    const size_t k = p->k, d = p->d, nb = p->blk.n_blocks;
    const int accumulate = sums != NULL;
    REAL *cn = NULL, *D = NULL;
    double *bsums = NULL, *bw = NULL, *bin = NULL;
    REAL cn_max = 0;
    size_t dsz, kd;
    int status = KM_ERR_NOMEM;

    if (km_mul_overflow((size_t)KM_ROW_BLOCK, k, &dsz) ||
        km_mul_overflow(k, d, &kd))
        return KM_ERR_NOMEM;
    cn = km_malloc_array(k, sizeof *cn);
    D = km_malloc_array((size_t)p->n_threads, dsz * sizeof *D);
    bin = km_calloc_array(nb, sizeof *bin);
    if (accumulate) {
        bsums = km_calloc_array(nb, kd * sizeof *bsums);
        bw = km_calloc_array(nb, k * sizeof *bw);
    }
    if (cn == NULL || D == NULL || bin == NULL ||
        (accumulate && (bsums == NULL || bw == NULL)))
        goto out;
    p->kern.sq_norms(C, k, d, cn);
    for (size_t j = 0; j < k; j++)
        if (cn[j] > cn_max)
            cn_max = cn[j];

#pragma omp parallel num_threads(p->n_threads)
    {
        /* A BLAS kernel runs on this thread alone, even when the region is
           inactive (one thread); the setting ends with the region. */
        omp_set_num_threads(1);
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < nb; b++) {
            const size_t lo = b * p->blk.rows;
            const size_t hi = lo + p->blk.rows < p->n ? lo + p->blk.rows : p->n;
            REAL *Dt = D + (size_t)omp_get_thread_num() * dsz;

            FN(assign_rows)
            (p, C, cn, cn_max, lo, hi, Dt, labels, mind,
             accumulate ? bsums + b * kd : NULL, accumulate ? bw + b * k : NULL,
             &bin[b]);
        }
    }

    /* Reduce in block order: the same bits for any thread count. */
    {
        double total = 0.0;

        for (size_t b = 0; b < nb; b++)
            total += bin[b];
        *inertia = total;
    }
    if (accumulate) {
        memset(sums, 0, kd * sizeof *sums);
        memset(wsum, 0, k * sizeof *wsum);
        for (size_t b = 0; b < nb; b++) {
            const double *s = bsums + b * kd;
            const double *bwb = bw + b * k;

            for (size_t t = 0; t < kd; t++)
                sums[t] += s[t];
            for (size_t j = 0; j < k; j++)
                wsum[j] += bwb[j];
        }
    }
    status = KM_OK;
out:
    km_free(cn);
    km_free(D);
    km_free(bin);
    km_free(bsums);
    km_free(bw);
    return status;
}

double FN(km_inertia)(const FN(km_problem) * p, const REAL *C,
                      const int32_t *labels)
{
    const size_t nb = p->blk.n_blocks, d = p->d;
    double part[KM_MAX_BLOCKS];
    double total = 0.0;

#pragma omp parallel for num_threads(p->n_threads) schedule(dynamic, 1)
    for (size_t b = 0; b < nb; b++) {
        const size_t lo = b * p->blk.rows;
        const size_t hi = lo + p->blk.rows < p->n ? lo + p->blk.rows : p->n;
        double acc = 0.0;

        for (size_t i = lo; i < hi; i++) {
            const double wi = p->w ? (double)p->w[i] : 1.0;
            const REAL *c = C + (size_t)labels[i] * d;

            acc += wi * (double)FN(km_sqdist)(p->X + i * d, c, d);
        }
        part[b] = acc;
    }
    for (size_t b = 0; b < nb; b++)
        total += part[b];
    return total;
}

/* Order for choosing relocation targets: farthest first, then the lowest
   row index (scikit-learn leaves the order of ties to argpartition). */
typedef struct FN(far_item) {
    REAL dist;
    size_t idx;
} FN(far_item);

static int FN(far_cmp)(const void *a, const void *b)
{
    const FN(far_item) *x = a, *y = b;

    if (x->dist != y->dist)
        return x->dist > y->dist ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/*
 * Empty clusters (zero weight) take the rows farthest from their own
 * centers, as scikit-learn's _relocate_empty_clusters_dense: the row's
 * weighted values move from its cluster's sums to the empty cluster's.
 * Labels are left as they are; the next assignment fixes them.
 */
static int FN(relocate_empty)(const FN(km_problem) * p, const REAL *C_old,
                              const int32_t *labels, double *sums, double *wsum)
{
    const size_t n = p->n, d = p->d, k = p->k;
    size_t n_empty = 0;
    FN(far_item) * items;

    for (size_t j = 0; j < k; j++)
        n_empty += wsum[j] == 0.0;
    if (n_empty == 0)
        return KM_OK;
    items = km_malloc_array(n, sizeof *items);
    if (items == NULL)
        return KM_ERR_NOMEM;
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
    for (size_t i = 0; i < n; i++) {
        items[i].dist =
            FN(km_sqdist)(p->X + i * d, C_old + (size_t)labels[i] * d, d);
        items[i].idx = i;
    }
    qsort(items, n, sizeof *items, FN(far_cmp));
    for (size_t j = 0, t = 0; j < k && t < n_empty; j++) {
        if (wsum[j] != 0.0)
            continue;
        {
            const size_t far = items[t++].idx;
            const size_t old = (size_t)labels[far];
            const double wf = p->w ? (double)p->w[far] : 1.0;
            const REAL *x = p->X + far * d;

            for (size_t f = 0; f < d; f++) {
                sums[old * d + f] -= (double)x[f] * wf;
                sums[j * d + f] = (double)x[f] * wf;
            }
            wsum[j] = wf;
            wsum[old] -= wf;
        }
    }
    km_free(items);
    return KM_OK;
}

int FN(km_update_centers)(const FN(km_problem) * p, const REAL *C_old,
                          const int32_t *labels, double *sums, double *wsum,
                          REAL *C_new, REAL *shift, double *shift_tot)
{
    const size_t d = p->d, k = p->k;
    double tot = 0.0;
    int status = FN(relocate_empty)(p, C_old, labels, sums, wsum);

    if (status != KM_OK)
        return status;
    for (size_t j = 0; j < k; j++) {
        /* scikit-learn multiplies by the reciprocal; so do we. */
        const double alpha = wsum[j] > 0.0 ? 1.0 / wsum[j] : 1.0;

        for (size_t f = 0; f < d; f++)
            C_new[j * d + f] = (REAL)(sums[j * d + f] * alpha);
        shift[j] =
            (REAL)sqrt((double)FN(km_sqdist)(C_old + j * d, C_new + j * d, d));
        tot += (double)shift[j] * (double)shift[j];
    }
    *shift_tot = tot;
    return KM_OK;
}
