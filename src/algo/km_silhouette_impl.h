/*
 * km_silhouette_impl.h - the exact silhouette, written once for both
 * precisions (included by km_silhouette.c with REAL and FN()).
 *
 * For every row i and cluster c the silhouette needs the sum of distances
 * from i to the members of c: n^2 distances in all, never stored.  The
 * rows are copied sorted by cluster and transposed (feature-major), so the
 * members of a cluster are a contiguous range of columns and the distances
 * from one row to a range are a vectorizable loop over that range.  The
 * n x n distances are visited in tiles of SIL_TILE x SIL_TILE.
 */

/* Distances from sorted row r to sorted columns [j0, j1) (at most
   SIL_TILE) into dist; Xt is d x m, feature-major.  The squared distance is
   summed over features in order in REAL (the canonical distance, no
   |x|^2 - 2 x.y + |y|^2 cancellation), its square root taken in double. */
static void FN(row_distances)(const REAL *Xt, size_t m, size_t d, size_t r,
                              size_t j0, size_t j1, REAL *xr, REAL *sq,
                              double *dist)
{
    const size_t len = j1 - j0;
    const REAL *base = Xt + j0;

    (void)xr;
    for (size_t jj = 0; jj < len; jj++)
        sq[jj] = 0;
    for (size_t f = 0; f < d; f++) {
        const REAL *col = base + f * m;
        const REAL xf = Xt[f * m + r];
#pragma omp simd
        for (size_t jj = 0; jj < len; jj++) {
            REAL t = col[jj] - xf;
            sq[jj] += t * t;
        }
    }
#pragma omp simd
    for (size_t jj = 0; jj < len; jj++)
        dist[jj] = sqrt((double)sq[jj]);
}

/* The rows of X at the sorted positions, transposed: Xt[f * m + p]. */
static REAL *FN(sorted_transpose)(const REAL *X, size_t d,
                                  const sil_clusters *c)
{
    const size_t m = c->m;
    REAL *Xt = km_malloc_array(m * d, sizeof *Xt);

    if (Xt == NULL)
        return NULL;
    for (size_t p = 0; p < m; p++) {
        const REAL *x = X + c->order[p] * d;
        for (size_t f = 0; f < d; f++)
            Xt[f * m + p] = x[f];
    }
    return Xt;
}

/*
 * The symmetric variant: each pair of tiles (I, J), I <= J, is computed
 * once and gives both the sums of rows of I over the clusters of J and
 * those of rows of J over the clusters of I, so half the distances are
 * computed.  Tiles finish in any order, so the per-(row, cluster) sums are
 * accumulated as 64-bit fixed-point integers (partials rounded to a
 * resolution of about n * diameter * 2^-62), whose addition is exact and
 * order-free: the result has the same bits for any number of threads.
 * Needs m x k integers.
 */
static int FN(silhouette_tiles)(const REAL *Xt, size_t d, const sil_clusters *c,
                                int nt, double *s_sorted)
{
    const size_t m = c->m, k = c->k, T = (m + SIL_TILE - 1) / SIL_TILE;
    const size_t n_tiles = T * (T + 1) / 2;
    int64_t *A = km_calloc_array(m * k, sizeof *A);
    REAL *sq = km_malloc_array((size_t)nt * (SIL_TILE + d), sizeof *sq);
    double *buf = km_malloc_array((size_t)nt * 2 * SIL_TILE, sizeof *buf);
    double *Sr = km_malloc_array(k, sizeof *Sr);
    double scale, diam = 0.0;

    if (A == NULL || sq == NULL || buf == NULL || Sr == NULL) {
        km_free(A);
        km_free(sq);
        km_free(buf);
        km_free(Sr);
        return KM_ERR_NOMEM;
    }
    /* Every distance is at most the bounding box's diagonal; a sum over m
       of them, with 2x headroom for rounding, must stay below 2^62. */
    for (size_t f = 0; f < d; f++) {
        const REAL *col = Xt + f * m;
        double lo = (double)col[0], hi = lo;
        for (size_t p = 1; p < m; p++) {
            lo = fmin(lo, (double)col[p]);
            hi = fmax(hi, (double)col[p]);
        }
        diam += (hi - lo) * (hi - lo);
    }
    diam = sqrt(diam) * 1.001;
    scale = diam > 0.0 ? ldexp(1.0, 62 - ilogb((double)m * diam) - 1) : 1.0;

#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (size_t t = 0; t < n_tiles; t++) {
        const int me = omp_get_thread_num();
        REAL *sq_t = sq + (size_t)me * (SIL_TILE + d), *xr = sq_t + SIL_TILE;
        double *dist = buf + (size_t)me * 2 * SIL_TILE;
        double *colacc = dist + SIL_TILE;
        size_t I = 0, J, rem = t;
        size_t i0, i1, j0, j1, cl_i;

        /* Tile t in the order (0,0), (0,1), ..., (0,T-1), (1,1), ... */
        while (rem >= T - I) {
            rem -= T - I;
            I++;
        }
        J = I + rem;
        i0 = I * SIL_TILE;
        i1 = m - i0 < SIL_TILE ? m : i0 + SIL_TILE;
        j0 = J * SIL_TILE;
        j1 = m - j0 < SIL_TILE ? m : j0 + SIL_TILE;
        for (size_t jj = 0; jj < j1 - j0; jj++)
            colacc[jj] = 0.0;
        cl_i = cluster_at(c, i0);
        for (size_t i = i0; i < i1; i++) {
            size_t cl = cluster_at(c, j0);
            FN(row_distances)(Xt, m, d, i, j0, j1, xr, sq_t, dist);
            /* Row i over the clusters of tile J, segment by segment. */
            for (size_t lo = j0; lo < j1;) {
                size_t hi;
                int64_t q;
                while (c->start[cl + 1] <= lo)
                    cl++;
                hi = c->start[cl + 1] < j1 ? c->start[cl + 1] : j1;
                q = (int64_t)(sum_range(dist, lo - j0, hi - j0) * scale + 0.5);
#pragma omp atomic
                A[i * k + cl] += q;
                lo = hi;
            }
            if (I == J)
                continue;
                /* Rows of J over the cluster of row i: flushed when the
                   cluster changes (rows are sorted by cluster). */
#pragma omp simd
            for (size_t jj = 0; jj < j1 - j0; jj++)
                colacc[jj] += dist[jj];
            if (i + 1 == i1 || c->start[cl_i + 1] <= i + 1) {
                for (size_t jj = 0; jj < j1 - j0; jj++) {
                    int64_t q = (int64_t)(colacc[jj] * scale + 0.5);
#pragma omp atomic
                    A[(j0 + jj) * k + cl_i] += q;
                    colacc[jj] = 0.0;
                }
                cl_i++;
            }
        }
    }

    for (size_t p = 0; p < m; p++) {
        for (size_t j = 0; j < k; j++)
            Sr[j] = (double)A[p * k + j] / scale;
        s_sorted[p] = silhouette_of(c, p, Sr);
    }
    km_free(A);
    km_free(sq);
    km_free(buf);
    km_free(Sr);
    return KM_OK;
}

/*
 * The row-by-row variant, for many clusters (m x k integers too many): a
 * task takes SIL_TILE rows and sweeps all columns tile by tile, each tile
 * cut at cluster boundaries into segments whose sums are added to the
 * task's SIL_TILE x k sums.  Every distance is computed twice (as (i, j)
 * and (j, i)), but memory stays O(k) per row of a task.  A row's sums are
 * made by one thread in column order: deterministic.
 */
static int FN(silhouette_rows)(const REAL *Xt, size_t d, const sil_clusters *c,
                               int nt, double *s_sorted)
{
    const size_t m = c->m, k = c->k, n_tasks = (m + SIL_TILE - 1) / SIL_TILE;
    REAL *sq = km_malloc_array((size_t)nt * (SIL_TILE + d), sizeof *sq);
    double *dist = km_malloc_array((size_t)nt * SIL_TILE, sizeof *dist);
    double *S = km_malloc_array((size_t)nt * SIL_TILE * k, sizeof *S);

    if (sq == NULL || dist == NULL || S == NULL) {
        km_free(sq);
        km_free(dist);
        km_free(S);
        return KM_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (size_t t = 0; t < n_tasks; t++) {
        const int me = omp_get_thread_num();
        double *St = S + (size_t)me * SIL_TILE * k;
        double *dt = dist + (size_t)me * SIL_TILE;
        REAL *sq_t = sq + (size_t)me * (SIL_TILE + d), *xr = sq_t + SIL_TILE;
        const size_t r0 = t * SIL_TILE;
        const size_t r1 = m - r0 < SIL_TILE ? m : r0 + SIL_TILE;

        memset(St, 0, SIL_TILE * k * sizeof *St);
        for (size_t r = r0; r < r1; r++) {
            size_t cl = 0;
            for (size_t j0 = 0; j0 < m; j0 += SIL_TILE) {
                const size_t j1 = m - j0 < SIL_TILE ? m : j0 + SIL_TILE;
                FN(row_distances)(Xt, m, d, r, j0, j1, xr, sq_t, dt);
                for (size_t lo = j0; lo < j1;) {
                    size_t hi;
                    while (c->start[cl + 1] <= lo)
                        cl++;
                    hi = c->start[cl + 1] < j1 ? c->start[cl + 1] : j1;
                    St[(r - r0) * k + cl] += sum_range(dt, lo - j0, hi - j0);
                    lo = hi;
                }
            }
            s_sorted[r] = silhouette_of(c, r, St + (r - r0) * k);
        }
    }
    km_free(sq);
    km_free(dist);
    km_free(S);
    return KM_OK;
}

/* Silhouettes of the clustering c of rows of X, in sorted order. */
static int FN(silhouette_sorted)(const REAL *X, size_t d, const sil_clusters *c,
                                 int n_threads, double *s_sorted)
{
    const size_t m = c->m, k = c->k;
    int nt = thread_count(n_threads), status;
    size_t sz;
    REAL *Xt;

    {
        /* Small problems on one thread: a team costs more than the work. */
        double cap =
            1.0 + (double)m * (double)m * (double)d / (double)(1 << 22);
        if ((double)nt > cap)
            nt = (int)cap;
        if (nt < 1)
            nt = 1;
    }
    if (km_mul_overflow(m, d, &sz) ||
        km_mul_overflow((size_t)nt * SIL_TILE, k, &sz))
        return KM_ERR_NOMEM;
    Xt = FN(sorted_transpose)(X, d, c);
    if (Xt == NULL)
        return KM_ERR_NOMEM;
    if (!km_mul_overflow(m, k, &sz) && sz <= SIL_MAX_ACCUM)
        status = FN(silhouette_tiles)(Xt, d, c, nt, s_sorted);
    else
        status = FN(silhouette_rows)(Xt, d, c, nt, s_sorted);
    km_free(Xt);
    return status;
}

static int FN(check_input)(const REAL *X, size_t n, size_t d,
                           const int32_t *labels)
{
    if (X == NULL || labels == NULL)
        return KM_ERR_ARG;
    if (n < 3 || d == 0)
        return KM_ERR_SHAPE;
    for (size_t i = 0; i < n * d; i++) {
        if (!isfinite(X[i]))
            return KM_ERR_NONFINITE;
    }
    return KM_OK;
}

int FN(km_silhouette_samples)(const REAL *X, size_t n, size_t d,
                              const int32_t *labels, int n_threads,
                              double *silhouette)
{
    sil_clusters c;
    double *s_sorted;
    int status;

    if (silhouette == NULL)
        return KM_ERR_ARG;
    status = FN(check_input)(X, n, d, labels);
    if (status != KM_OK)
        return status;
    status = clusters_build(labels, NULL, n, &c);
    if (status != KM_OK)
        return status;
    s_sorted = km_malloc_array(n, sizeof *s_sorted);
    if (s_sorted == NULL) {
        clusters_free(&c);
        return KM_ERR_NOMEM;
    }
    status = FN(silhouette_sorted)(X, d, &c, n_threads, s_sorted);
    if (status == KM_OK) {
        for (size_t p = 0; p < n; p++)
            silhouette[c.order[p]] = s_sorted[p];
    }
    km_free(s_sorted);
    clusters_free(&c);
    return status;
}

int FN(km_silhouette_score)(const REAL *X, size_t n, size_t d,
                            const int32_t *labels, size_t sample_size,
                            uint64_t seed, int n_threads, double *score)
{
    sil_clusters c;
    size_t *rows = NULL, m = n;
    double *s_sorted, sum = 0.0;
    int status;

    if (score == NULL)
        return KM_ERR_ARG;
    status = FN(check_input)(X, n, d, labels);
    if (status != KM_OK)
        return status;
    if (sample_size > 0 && sample_size < n) {
        m = sample_size;
        rows = draw_sample(n, m, seed);
        if (rows == NULL)
            return KM_ERR_NOMEM;
    }
    status = clusters_build(labels, rows, m, &c);
    km_free(rows);
    if (status != KM_OK)
        return status;
    s_sorted = km_malloc_array(m, sizeof *s_sorted);
    if (s_sorted == NULL) {
        clusters_free(&c);
        return KM_ERR_NOMEM;
    }
    status = FN(silhouette_sorted)(X, d, &c, n_threads, s_sorted);
    if (status == KM_OK) {
        /* The mean in row order, as the mean of km_silhouette_samples'
           output: the same bits either way. */
        sil_pair *pairs = km_malloc_array(m, sizeof *pairs);
        if (pairs == NULL) {
            status = KM_ERR_NOMEM;
        } else {
            for (size_t p = 0; p < m; p++) {
                pairs[p].row = c.order[p];
                pairs[p].s = s_sorted[p];
            }
            qsort(pairs, m, sizeof *pairs, cmp_pair);
            for (size_t p = 0; p < m; p++)
                sum += pairs[p].s;
            *score = sum / (double)m;
            km_free(pairs);
        }
    }
    km_free(s_sorted);
    clusters_free(&c);
    return status;
}
