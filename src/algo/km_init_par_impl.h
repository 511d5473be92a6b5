/*
 * km_init_par_impl.h - k-means|| initialization, written once for both
 * precisions (included by km_init.c after km_init_impl.h, with REAL and
 * FN()).
 *
 * k-means|| (Bahmani, Moseley, Vattani, Kumar and Vassilvitskii 2012,
 * "Scalable k-means++"): a first candidate drawn as k-means++'s first
 * center; then KM_PAR_ROUNDS rounds, each drawing every row independently
 * with probability min(1, l w_i D_i / phi), l = KM_PAR_OVERSAMPLE * k, D_i
 * the squared distance of row i to its nearest candidate so far and phi
 * the sum of w_i D_i; finally the candidates, each weighted by the weight
 * of the rows nearest to it, are reduced to k centers by greedy k-means++.
 * A round costs one assignment pass against its new candidates (about l
 * centers: the fast kernels, canonical distances), where k-means++ makes
 * k sequential passes.
 *
 * The draws of a round use a counter-based generator (km_rng_uniform_at
 * of a per-round key from the fit's generator and the row's index), and the
 * sums go in row order, so the centers depend on the seed and the data,
 * not on the threads.
 */

#ifndef KM_INIT_PAR_ONCE
#define KM_INIT_PAR_ONCE
#ifndef KM_PAR_ROUNDS
#define KM_PAR_ROUNDS 5 /* rounds of draws */
#endif
#ifndef KM_PAR_OVERSAMPLE
#define KM_PAR_OVERSAMPLE 0.5 /* l = KM_PAR_OVERSAMPLE * k expected draws */
#endif
/* Rows per block of the passes: fixed, so the order of the sums (and of
   the draws) is too. */
#define KM_PAR_BLOCK 1024

#endif

/* The candidates cand[c0 .. c1) against every row: D_i and a_i (the
   nearest candidate, the first of equal ones) lowered where a new one is
   strictly closer, by one assignment pass (canonical distances); returns
   phi, the sum of w_i D_i (by blocks, then the blocks in order), in *phi. */
static int FN(par_update)(const FN(km_problem) * p, const int64_t *cand,
                          size_t c0, size_t c1, REAL *D, int32_t *a,
                          int32_t *lab, REAL *md, double *bsum, double *phi)
{
    const size_t n = p->n, d = p->d, m = c1 - c0;
    const size_t nb = (n + KM_PAR_BLOCK - 1) / KM_PAR_BLOCK;
    REAL *Cr = km_malloc_array(m, d * sizeof *Cr);
    FN(km_problem) q;
    int st = KM_ERR_NOMEM;

    if (Cr == NULL)
        return st;
    for (size_t c = 0; c < m; c++)
        memcpy(Cr + c * d, p->X + (size_t)cand[c0 + c] * d, d * sizeof *Cr);
    /* the data's row norms and transposed rows computed once, in p */
    st = FN(km_problem_setup_from)(&q, p, NULL, m);
    if (st == KM_OK)
        st = FN(km_assign)(&q, Cr, lab, NULL, md, NULL, NULL, NULL);
    FN(km_problem_release)(&q);
    km_free(Cr);
    if (st != KM_OK)
        return st;
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
    for (size_t b = 0; b < nb; b++) {
        const size_t hi =
            (b + 1) * KM_PAR_BLOCK < n ? (b + 1) * KM_PAR_BLOCK : n;
        double s = 0.0;

        for (size_t i = b * KM_PAR_BLOCK; i < hi; i++) {
            if (md[i] < D[i]) {
                D[i] = md[i];
                a[i] = (int32_t)(c0 + (size_t)lab[i]);
            }
            s += (p->w != NULL ? (double)p->w[i] : 1.0) * (double)D[i];
        }
        bsum[b] = s;
    }
    *phi = 0.0;
    for (size_t b = 0; b < nb; b++)
        *phi += bsum[b];
    return KM_OK;
}

/* A round's draws: row i with probability min(1, l w_i D_i / phi), by
   blocks in parallel, each block's rows in order into its own part of
   drawn, then the blocks in order after cand[nc]; returns the new count. */
static size_t FN(par_draw)(const FN(km_problem) * p, const REAL *D, double l,
                           double phi, uint64_t key, int64_t *cand, size_t nc,
                           int64_t *drawn, size_t *cnt)
{
    const size_t n = p->n, nb = (n + KM_PAR_BLOCK - 1) / KM_PAR_BLOCK;

#pragma omp parallel for num_threads(p->n_threads) schedule(static)
    for (size_t b = 0; b < nb; b++) {
        const size_t lo = b * KM_PAR_BLOCK;
        const size_t hi = lo + KM_PAR_BLOCK < n ? lo + KM_PAR_BLOCK : n;
        size_t c = 0;

        for (size_t i = lo; i < hi; i++) {
            const double pr =
                l * (p->w != NULL ? (double)p->w[i] : 1.0) * (double)D[i] / phi;

            /* D_i = 0 for the candidates: never drawn twice */
            if (pr > 0.0 && km_rng_uniform_at(key, i) < pr)
                drawn[lo + c++] = (int64_t)i;
        }
        cnt[b] = c;
    }
    for (size_t b = 0; b < nb; b++) {
        memcpy(cand + nc, drawn + b * KM_PAR_BLOCK, cnt[b] * sizeof *cand);
        nc += cnt[b];
    }
    return nc;
}

int FN(km_init_kmeans_par)(const FN(km_problem) * p, km_rng *rng, REAL *C,
                           int64_t *idx)
{
    const size_t n = p->n, d = p->d, k = p->k;
    const size_t nb = (n + KM_PAR_BLOCK - 1) / KM_PAR_BLOCK;
    const double l = KM_PAR_OVERSAMPLE * (double)k;
    const int trials = 2 + (int)floor(log((double)k));
    REAL *D = km_malloc_array(n, sizeof *D);
    REAL *md = km_malloc_array(n, sizeof *md);
    int32_t *a = km_malloc_array(n, sizeof *a);
    int32_t *lab = km_calloc_array(n, sizeof *lab);
    /* Candidates: at most n (each row once). */
    int64_t *cand = km_malloc_array(n, sizeof *cand);
    int64_t *drawn = km_malloc_array(n, sizeof *drawn);
    double *bsum = km_malloc_array(nb, sizeof *bsum);
    size_t *cnt = km_malloc_array(nb, sizeof *cnt);
    REAL *Xc = NULL, *wc = NULL;
    double *ws = NULL, phi = 0.0;
    int64_t *ic = NULL;
    size_t nc = 1;
    int st = KM_ERR_NOMEM;

    if (D == NULL || md == NULL || a == NULL || lab == NULL || cand == NULL ||
        drawn == NULL || bsum == NULL || cnt == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        D[i] = (REAL)INFINITY;
        a[i] = 0;
    }
    cand[0] = FN(pp_first)(p, rng);
    st = FN(par_update)(p, cand, 0, 1, D, a, lab, md, bsum, &phi);
    for (int r = 0; st == KM_OK && r < KM_PAR_ROUNDS; r++) {
        const uint64_t key = km_rng_next(rng);
        const size_t c0 = nc;

        if (!(phi > 0.0))
            break; /* every row on a candidate */
        nc = FN(par_draw)(p, D, l, phi, key, cand, nc, drawn, cnt);
        if (nc > c0)
            st = FN(par_update)(p, cand, c0, nc, D, a, lab, md, bsum, &phi);
    }
    if (st != KM_OK)
        goto out;
    if (nc < k) {
        /* Too few candidates (few distinct rows, or tiny l): greedy
           k-means++ on the data itself. */
        st = FN(km_init_kmeanspp)(p, rng, trials, C, idx);
        goto out;
    }

    /* The candidates, weighted by the rows nearest to them, to k centers. */
    Xc = km_malloc_array(nc, d * sizeof *Xc);
    wc = km_malloc_array(nc, sizeof *wc);
    ws = km_calloc_array(nc, sizeof *ws);
    ic = km_malloc_array(k, sizeof *ic);
    st = KM_ERR_NOMEM;
    if (Xc == NULL || wc == NULL || ws == NULL || ic == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        ws[a[i]] += p->w != NULL ? (double)p->w[i] : 1.0;
    for (size_t c = 0; c < nc; c++) {
        memcpy(Xc + c * d, p->X + (size_t)cand[c] * d, d * sizeof *Xc);
        wc[c] = (REAL)ws[c];
    }
    {
        FN(km_problem) q;

        st = FN(km_problem_setup)(&q, Xc, nc, d, wc, k, p->n_threads,
                                  KM_KERNEL_AUTO);
        if (st == KM_OK)
            st = FN(km_init_kmeanspp)(&q, rng, trials, C, ic);
        FN(km_problem_release)(&q);
    }
    if (st == KM_OK && idx != NULL)
        for (size_t c = 0; c < k; c++)
            idx[c] = cand[ic[c]];
out:
    km_free(D);
    km_free(md);
    km_free(a);
    km_free(lab);
    km_free(cand);
    km_free(drawn);
    km_free(bsum);
    km_free(cnt);
    km_free(Xc);
    km_free(wc);
    km_free(ws);
    km_free(ic);
    return st;
}
