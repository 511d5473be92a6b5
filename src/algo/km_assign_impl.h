/*
 * km_assign_impl.h - assignment, inertia and center update, written once
 * for both precisions (included by km_assign.c with REAL and FN()).
 */

/* km_problem_setup, borrowing base's row norms and transposed rows when
   base is not NULL and has them. */
static int FN(problem_init)(FN(km_problem) * p, const REAL *X, size_t n,
                            size_t d, const REAL *w, size_t k, int n_threads,
                            km_kernel_id kernel, const FN(km_problem) * base)
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
    p->ws = km_calloc_array(1, sizeof *p->ws);
    if (p->ws == NULL)
        return KM_ERR_NOMEM;
    /* Row norms and transposed rows have the same values in every table:
       each is base's when base has it. */
    if (!p->kern.exact && base != NULL && base->xn != NULL) {
        p->xn = base->xn;
    } else if (!p->kern.exact) {
        REAL *xn = km_malloc_array(n, sizeof *xn);

        if (xn == NULL) {
            FN(km_problem_release)(p);
            return KM_ERR_NOMEM;
        }
        /* by kernel row blocks, in parallel (one value per row: the
           same bits) */
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
        for (size_t r0 = 0; r0 < n; r0 += KM_ROW_BLOCK)
            p->kern.sq_norms(X + r0 * d,
                             n - r0 < KM_ROW_BLOCK ? n - r0 : KM_ROW_BLOCK, d,
                             xn + r0);
        p->xn = xn;
        p->own_xn = 1;
    }
    if (p->kern.transpose == NULL || n * d * sizeof *X > KM_XT_CACHE)
        return KM_OK;
    if (base != NULL && base->xt != NULL) {
        p->xt = base->xt;
    } else {
        const size_t chunks = (n + KM_ROW_BLOCK - 1) / KM_ROW_BLOCK;
        REAL *xt = km_malloc_array(chunks * KM_ROW_BLOCK, d * sizeof *xt);

        if (xt == NULL) {
            FN(km_problem_release)(p);
            return KM_ERR_NOMEM;
        }
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
        for (size_t c = 0; c < chunks; c++) {
            const size_t r0 = c * KM_ROW_BLOCK;
            const size_t m = n - r0 < KM_ROW_BLOCK ? n - r0 : KM_ROW_BLOCK;

            p->kern.transpose(X + r0 * d, m, d, xt + c * d * KM_ROW_BLOCK);
        }
        p->xt = xt;
        p->own_xt = 1;
    }
    return KM_OK;
}

int FN(km_problem_setup)(FN(km_problem) * p, const REAL *X, size_t n, size_t d,
                         const REAL *w, size_t k, int n_threads,
                         km_kernel_id kernel)
{
    return FN(problem_init)(p, X, n, d, w, k, n_threads, kernel, NULL);
}

int FN(km_problem_setup_from)(FN(km_problem) * p, const FN(km_problem) * base,
                              const REAL *w, size_t k)
{
    return FN(problem_init)(p, base->X, base->n, base->d, w, k, base->n_threads,
                            KM_KERNEL_AUTO, base);
}

void FN(km_problem_release)(FN(km_problem) * p)
{
    if (p->own_xn)
        km_free((void *)p->xn);
    if (p->own_xt)
        km_free((void *)p->xt);
    p->xn = NULL;
    p->xt = NULL;
    km_ws_free(p->ws);
    p->ws = NULL;
}

/* What an assignment pass derives from the centers once. */
typedef struct FN(centers) {
    const REAL *C;  /* k x d */
    const REAL *cn; /* squared norms */
    REAL cn_max;
    const REAL *Ct; /* transposed (d x kp) for row_dists, or NULL */
    size_t kp;
} FN(centers);

/*
 * Labels of rows [r0, r0 + m) through the GEMM form: the kernel's
 * dot_argmin2, or dist_block (D = -2 X C^T) then argmin2, gives per row the
 * best and second-best approximate values of |x - c_j|^2 - |x|^2.  Only
 * when the second is within twice the error bound of the best (a near tie)
 * are the centers re-checked with the canonical distance: every center
 * whose approximate value is within the bound (all of them when the fused
 * kernel wrote no values).  mind (optional) receives the canonical
 * distance to the chosen center (the kernel's label_dists, for the whole
 * block at the end).
 */
static void FN(assign_gemm)(const FN(km_problem) * p, const FN(centers) * cs,
                            size_t r0, size_t m, REAL *D, int32_t *lab,
                            REAL *mind)
{
    const size_t d = p->d, k = p->k;
    const REAL *C = cs->C, *cn = cs->cn;
    const REAL cn_max = cs->cn_max;
    const int fused = p->kern.dot_argmin2 != NULL;
    int32_t bests[KM_ROW_BLOCK];
    REAL v1s[KM_ROW_BLOCK], v2s[KM_ROW_BLOCK];

    if (fused) {
        const REAL *xt = D;

        if (p->xt != NULL) /* rows [r0, r0 + m) lie in one chunk */
            xt = p->xt + (r0 / KM_ROW_BLOCK) * d * KM_ROW_BLOCK +
                 r0 % KM_ROW_BLOCK;
        else
            p->kern.transpose(p->X + r0 * d, m, d, D);
        p->kern.dot_argmin2(xt, m, d, C, cn, k, bests, v1s, v2s);
    } else {
        p->kern.dist_block(p->X + r0 * d, m, d, C, k, NULL, NULL, D);
        p->kern.argmin2(D, cn, m, k, bests, v1s, v2s);
    }
    for (size_t r = 0; r < m; r++) {
        const size_t i = r0 + r;
        const REAL *x = p->X + i * d;
        const REAL margin = (REAL)(p->kern.err_scale * 2.0 *
                                   ((double)p->xn[i] + (double)cn_max));
        size_t best = (size_t)bests[r];
        const REAL b1 = v1s[r], b2 = v2s[r];

        if (b2 <= b1 + margin && fused && cs->Ct != NULL) {
            /* All k canonical distances at once (the scratch is free once
               the fused kernel has returned). */
            REAL e;

            p->kern.row_dists(x, 1, cs->Ct, cs->kp, d, k, D);
            best = 0;
            e = D[0];
            for (size_t j = 1; j < k; j++)
                if (D[j] < e) {
                    e = D[j];
                    best = j;
                }
        } else if (b2 <= b1 + margin) {
            const size_t b = best;
            const REAL limit = b1 + margin;
            REAL e = FN(km_sqdist)(x, C + best * d, d);

            for (size_t j = 0; j < k; j++) {
                REAL ej;

                if (j == b || (!fused && D[r * k + j] + cn[j] > limit))
                    continue;
                ej = FN(km_sqdist)(x, C + j * d, d);
                if (ej < e || (ej == e && j < best)) {
                    e = ej;
                    best = j;
                }
            }
        }
        lab[r] = (int32_t)best;
    }
    if (mind != NULL)
        p->kern.label_dists(p->X + r0 * d, m, d, C, lab, mind);
}

/* Labels of rows [r0, r0 + m) (m <= KM_ROW_BLOCK, within one kernel row
   block), in place; mb (optional) receives their distances.  Returns how
   many labels changed. */
static size_t FN(label_rows)(const FN(km_problem) * p, const FN(centers) * cs,
                             size_t r0, size_t m, REAL *D, int32_t *labels,
                             REAL *mb)
{
    size_t ch = 0;
    int32_t lab[KM_ROW_BLOCK];

    if (p->kern.assign_block != NULL) /* the kernel counts the changes */
        return p->kern.assign_block(p->X + r0 * p->d, m, p->d, cs->C, p->k,
                                    labels + r0, mb);
    FN(assign_gemm)(p, cs, r0, m, D, lab, mb);
    for (size_t r = 0; r < m; r++)
        ch += labels[r0 + r] != lab[r];
    memcpy(labels + r0, lab, m * sizeof *lab);
    return ch;
}

/* The part of a pass after the labels of rows [lo, hi): the weighted
   distances md (rows lo .. hi) added to *inertia in row order, and the
   rows to the cluster sums, by kernel row blocks. */
static void FN(block_sums)(const FN(km_problem) * p, size_t lo, size_t hi,
                           const int32_t *labels, const REAL *md, double *sums,
                           double *wsum, double *inertia)
{
    const size_t d = p->d;
    double acc = inertia != NULL ? *inertia : 0.0;

    for (size_t r0 = lo; r0 < hi; r0 += KM_ROW_BLOCK) {
        const size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

        if (inertia != NULL)
            for (size_t r = 0; r < m; r++)
                acc += (p->w ? (double)p->w[r0 + r] : 1.0) *
                       (double)md[r0 - lo + r];
        if (sums != NULL)
            p->kern.accum_block(p->X + r0 * d, m, d, p->w ? p->w + r0 : NULL,
                                labels + r0, p->k, sums, wsum);
    }
    if (inertia != NULL)
        *inertia = acc;
}

/*
 * One block of rows [lo, hi), in kernel row blocks: labels (canonical
 * argmin, ties to the lowest index) through the kernel table; when asked,
 * the number of labels that changed, the weighted sum of the distances,
 * and the per-cluster sums of the block (kernel accum_block, shared by
 * every algorithm so that they all produce the same centers from the same
 * labels).
 */
static void FN(assign_rows)(const FN(km_problem) * p, const FN(centers) * cs,
                            size_t lo, size_t hi, REAL *D, int32_t *labels,
                            size_t *changed, REAL *mind, double *sums,
                            double *wsum, double *inertia)
{
    REAL md[KM_ROW_BLOCK];
    double acc = 0.0;
    size_t ch = 0;

    for (size_t r0 = lo; r0 < hi; r0 += KM_ROW_BLOCK) {
        const size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;
        /* The distances, where asked for (or needed for the inertia). */
        REAL *mb = mind != NULL ? mind + r0 : inertia != NULL ? md : NULL;

        ch += FN(label_rows)(p, cs, r0, m, D, labels, mb);
        FN(block_sums)
        (p, r0, r0 + m, labels, mb, sums, wsum, inertia != NULL ? &acc : NULL);
    }
    if (inertia != NULL)
        *inertia = acc;
    if (changed != NULL)
        *changed = ch;
}

int FN(km_assign)(const FN(km_problem) * p, const REAL *C, int32_t *labels,
                  size_t *changed, REAL *mind, double *sums, double *wsum,
                  double *inertia)
{
    const size_t k = p->k, d = p->d, nb = p->blk.n_blocks;
    const int accumulate = sums != NULL;
    REAL *cn = NULL, *D = NULL, *Ct = NULL;
    double *bsums = NULL, *bw = NULL, *bin = NULL;
    size_t *bch = NULL;
    REAL cn_max = 0;
    size_t dsz, kd, kd_nb, ct_sz, d_sz;
    const size_t kp = (k + KM_CT_PAD - 1) / KM_CT_PAD * KM_CT_PAD;
    const int by_row = p->kern.dot_argmin2 != NULL && p->kern.fast_rows;
    /* On one thread the blocks run in order, so each block's sums can be
       added to the total as soon as it is done (the order of
       km_reduce_blocks: the same bits), from one buffer that stays in
       cache, instead of nb buffers zeroed and read back. */
    const int serial = p->n_threads == 1;
    const size_t nbs = serial ? 1 : nb;
    /* Few blocks for the threads (small data): the labels go first, by
       pieces of KM_PIECE rows shared out dynamically, then the blocks'
       sums (the same per-block order as assign_rows, so the same bits);
       whole blocks alone would leave threads idle (8 blocks on 2 threads
       are 4 against 3 and a bit). */
    const int split = !serial && nb < KM_SPLIT_BLOCKS * (size_t)p->n_threads;
    const size_t npc = split ? (p->n + KM_PIECE - 1) / KM_PIECE : nb;
    REAL *md_all = NULL;
    FN(centers) cs;
    int status = KM_ERR_NOMEM;

    /* Per thread: the block's m x k values, or the fused kernel's scratch
       (d values per row, and kp for a row's re-check). */
    if (km_mul_overflow((size_t)KM_ROW_BLOCK, k > d ? k : d, &dsz) ||
        dsz < kp || km_mul_overflow(k, d, &kd))
        return KM_ERR_NOMEM;
    /* Kept in p->ws from one pass to the next (freed with the problem). */
    if (km_mul_overflow(nb, kd, &kd_nb) || km_mul_overflow(kd_nb, 8, &kd_nb) ||
        km_mul_overflow(kp, d * sizeof *Ct, &ct_sz) ||
        km_mul_overflow((size_t)p->n_threads, dsz * sizeof *D, &d_sz))
        return KM_ERR_NOMEM;
    cn = km_ws_get(p->ws, 0, k * sizeof *cn, 0);
    if (by_row)
        Ct = km_ws_get(p->ws, 1, ct_sz, 0);
    if (p->kern.assign_block == NULL)
        D = km_ws_get(p->ws, 2, d_sz, 0);
    bin = km_ws_get(p->ws, 3, nb * sizeof *bin, 1);
    bch = km_ws_get(p->ws, 4, npc * sizeof *bch, 1);
    if (split && inertia != NULL && mind == NULL) {
        md_all = km_ws_get(p->ws, 7, p->n * sizeof *md_all, 0);
        if (md_all == NULL)
            goto out;
    }
    if (split && mind != NULL)
        md_all = mind;
    if (accumulate) {
        bsums =
            km_ws_get(p->ws, 5, serial ? kd * sizeof *bsums : kd_nb, !serial);
        bw = km_ws_get(p->ws, 6, nbs * k * sizeof *bw, !serial);
    }
    if (cn == NULL || (by_row && Ct == NULL) ||
        (D == NULL && p->kern.assign_block == NULL) || bin == NULL ||
        bch == NULL || (accumulate && (bsums == NULL || bw == NULL)))
        goto out;
    cn_max = FN(km_center_norms)(p, C, cn);
    if (by_row)
        for (size_t f = 0; f < d; f++)
            for (size_t j = 0; j < kp; j++)
                Ct[f * kp + j] = j < k ? C[j * d + f] : (REAL)0;
    cs.C = C;
    cs.cn = cn;
    cs.cn_max = cn_max;
    cs.Ct = Ct;
    cs.kp = kp;
    if (accumulate && serial) {
        memset(sums, 0, kd * sizeof *sums);
        memset(wsum, 0, k * sizeof *wsum);
    }

#pragma omp parallel num_threads(p->n_threads)
    {
        /* A BLAS kernel runs on this thread alone, even when the region is
           inactive (one thread); the setting ends with the region. */
        omp_set_num_threads(1);
        if (split) {
#pragma omp for schedule(dynamic, 1)
            for (size_t q = 0; q < npc; q++) {
                const size_t r0 = q * KM_PIECE;
                const size_t m = p->n - r0 < KM_PIECE ? p->n - r0 : KM_PIECE;
                REAL *Dt = D ? D + (size_t)omp_get_thread_num() * dsz : NULL;

                bch[q] = FN(label_rows)(p, &cs, r0, m, Dt, labels,
                                        md_all != NULL ? md_all + r0 : NULL);
            }
#pragma omp for schedule(dynamic, 1)
            for (size_t b = 0; b < nb; b++) {
                const size_t lo = b * p->blk.rows;
                const size_t hi =
                    lo + p->blk.rows < p->n ? lo + p->blk.rows : p->n;

                if (accumulate || inertia != NULL)
                    FN(block_sums)
                (p, lo, hi, labels, md_all != NULL ? md_all + lo : NULL,
                 accumulate ? bsums + b * kd : NULL,
                 accumulate ? bw + b * k : NULL,
                 inertia != NULL ? &bin[b] : NULL);
            }
        } else {
#pragma omp for schedule(dynamic, 1)
            for (size_t b = 0; b < nb; b++) {
                const size_t lo = b * p->blk.rows;
                const size_t hi =
                    lo + p->blk.rows < p->n ? lo + p->blk.rows : p->n;
                REAL *Dt = D ? D + (size_t)omp_get_thread_num() * dsz : NULL;
                double *bs = accumulate ? bsums + (serial ? 0 : b) * kd : NULL;
                double *bwb = accumulate ? bw + (serial ? 0 : b) * k : NULL;

                if (accumulate && serial) {
                    memset(bs, 0, kd * sizeof *bs);
                    memset(bwb, 0, k * sizeof *bwb);
                }
                FN(assign_rows)
                (p, &cs, lo, hi, Dt, labels, changed ? &bch[b] : NULL, mind, bs,
                 bwb, inertia ? &bin[b] : NULL);
                if (accumulate && serial)
                    km_reduce_blocks_add(bs, bwb, k, d, sums, wsum);
            }
        }
    }

    /* Reduce in block order: the same bits for any thread count. */
    if (inertia != NULL) {
        double total = 0.0;

        for (size_t b = 0; b < nb; b++)
            total += bin[b];
        *inertia = total;
    }
    if (changed != NULL) {
        size_t total = 0;

        for (size_t b = 0; b < npc; b++)
            total += bch[b];
        *changed = total;
    }
    if (accumulate && !serial)
        km_reduce_blocks(bsums, bw, nb, k, d, sums, wsum);
    status = KM_OK;
out:
    return status;
}

REAL FN(km_center_norms)(const FN(km_problem) * p, const REAL *C, REAL *cn)
{
    REAL cn_max = 0;

    p->kern.sq_norms(C, p->k, p->d, cn);
    for (size_t j = 0; j < p->k; j++)
        if (cn[j] > cn_max)
            cn_max = cn[j];
    return cn_max;
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
        REAL md[KM_ROW_BLOCK];
        double acc = 0.0;

        for (size_t r0 = lo; r0 < hi; r0 += KM_ROW_BLOCK) {
            const size_t m = hi - r0 < KM_ROW_BLOCK ? hi - r0 : KM_ROW_BLOCK;

            p->kern.label_dists(p->X + r0 * d, m, d, C, labels + r0, md);
            for (size_t r = 0; r < m; r++)
                acc += (p->w ? (double)p->w[r0 + r] : 1.0) * (double)md[r];
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
/* Restore the heap order of h[0 .. e) below position i: the root is the
   item that sorts last under far_cmp (the nearest kept). */
static void FN(far_sift_down)(FN(far_item) * h, size_t e, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, top = i;

        if (l < e && FN(far_cmp)(&h[l], &h[top]) > 0)
            top = l;
        if (l + 1 < e && FN(far_cmp)(&h[l + 1], &h[top]) > 0)
            top = l + 1;
        if (top == i)
            return;
        {
            const FN(far_item) t = h[i];

            h[i] = h[top];
            h[top] = t;
        }
        i = top;
    }
}

static int FN(relocate_empty)(const FN(km_problem) * p, const REAL *C_old,
                              const int32_t *labels, double *sums, double *wsum)
{
    const size_t n = p->n, d = p->d, k = p->k;
    size_t n_empty = 0, e = 0;
    FN(far_item) * items;
    REAL *dist;

    for (size_t j = 0; j < k; j++)
        n_empty += wsum[j] == 0.0;
    if (n_empty == 0)
        return KM_OK;
    items = km_malloc_array(n_empty, sizeof *items);
    dist = km_malloc_array(n, sizeof *dist);
    if (items == NULL || dist == NULL) {
        km_free(items);
        km_free(dist);
        return KM_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
    for (size_t r0 = 0; r0 < n; r0 += KM_ROW_BLOCK)
        p->kern.label_dists(p->X + r0 * d,
                            n - r0 < KM_ROW_BLOCK ? n - r0 : KM_ROW_BLOCK, d,
                            C_old, labels + r0, dist + r0);
    /* The n_empty farthest rows (a heap whose root is the nearest kept),
       then in far_cmp order: what sorting all n rows would give first. */
    for (size_t i = 0; i < n; i++) {
        const FN(far_item) it = {dist[i], i};

        if (e < n_empty) {
            size_t c = e++;

            items[c] = it;
            while (c > 0 && FN(far_cmp)(&items[c], &items[(c - 1) / 2]) > 0) {
                const FN(far_item) t = items[c];

                items[c] = items[(c - 1) / 2];
                items[(c - 1) / 2] = t;
                c = (c - 1) / 2;
            }
        } else if (FN(far_cmp)(&it, &items[0]) < 0) {
            items[0] = it;
            FN(far_sift_down)(items, e, 0);
        }
    }
    km_free(dist);
    qsort(items, e, sizeof *items, FN(far_cmp));
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
