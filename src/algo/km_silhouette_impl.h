/*
 * km_silhouette_impl.h - the exact silhouette, written once for both
 * precisions (included by km_silhouette.c with REAL, FN(), SIL_W and
 * SIL_SQRT).
 *
 * For every row i and cluster c the silhouette needs the sum of distances
 * from i to the members of c: n^2 distances in all, never stored.  The
 * rows are copied sorted by cluster and transposed (feature-major), so the
 * members of a cluster are a contiguous range of columns.  The n x n
 * distances are visited in tiles of SIL_TILE x SIL_TILE, and a tile in
 * blocks of at most SIL_ROWS rows by the block kernel (contract in
 * km_silhouette_simd.h): the portable one below or the AVX2 one, which
 * give the same bits.  Distances, their square roots and the kernel's
 * partial sums (at most SIL_TILE / SIL_W terms a lane, SIL_ROWS a column)
 * are in REAL, as scikit-learn computes float32 data in float32; the sums
 * of the partials are exact (fixed point) or in double.
 */

/* The lanes' sum in the kernel contract's order (km_silhouette_simd.h). */
static REAL FN(lanes_sum)(const REAL *acc)
{
#if SIL_W == 4
    return (acc[0] + acc[2]) + (acc[1] + acc[3]);
#else
    const REAL h0 = acc[0] + acc[4], h1 = acc[1] + acc[5];
    const REAL h2 = acc[2] + acc[6], h3 = acc[3] + acc[7];
    return (h0 + h2) + (h1 + h3);
#endif
}

/* The portable block kernel (contract in km_silhouette_simd.h): one row at
   a time, SIL_W columns at a time. */
static void FN(sil_block)(const REAL *Xt, size_t ld, size_t d, size_t i0,
                          size_t nr, size_t j0, size_t len, const size_t *bnd,
                          size_t nseg, REAL *rowseg, REAL *colpart)
{
    REAL dist[SIL_W], acc[SIL_W];

    for (size_t j = 0; j < len; j++)
        colpart[j] = 0;
    for (size_t r = 0; r < nr; r++) {
        const REAL *xi = Xt + i0 + r;
        size_t s = 0;

        for (size_t l = 0; l < SIL_W; l++)
            acc[l] = 0;
        for (size_t v = 0; v < len; v += SIL_W) {
            const REAL *col = Xt + j0 + v;
            const size_t w = len - v < SIL_W ? len - v : SIL_W;
            for (size_t l = 0; l < SIL_W; l++) {
                const REAL t = col[l] - xi[0];
                dist[l] = t * t;
            }
            for (size_t f = 1; f < d; f++) {
                for (size_t l = 0; l < SIL_W; l++) {
                    const REAL t = col[f * ld + l] - xi[f * ld];
                    dist[l] += t * t;
                }
            }
            for (size_t l = 0; l < SIL_W; l++)
                dist[l] = SIL_SQRT(dist[l]);
            if (w == SIL_W && v + SIL_W <= bnd[s + 1]) {
                /* No segment boundary inside, nor at the start. */
                for (size_t l = 0; l < SIL_W; l++) {
                    colpart[v + l] += dist[l];
                    acc[l] += dist[l];
                }
                continue;
            }
            for (size_t l = 0; l < w; l++) {
                colpart[v + l] += dist[l];
                if (v + l == bnd[s + 1]) {
                    rowseg[r * nseg + s++] = FN(lanes_sum)(acc);
                    for (size_t u = 0; u < SIL_W; u++)
                        acc[u] = 0;
                }
                acc[l] += dist[l];
            }
        }
        assert(s + 1 == nseg);
        rowseg[r * nseg + s] = FN(lanes_sum)(acc);
    }
}

typedef void (*FN(sil_block_fn))(const REAL *Xt, size_t ld, size_t d, size_t i0,
                                 size_t nr, size_t j0, size_t len,
                                 const size_t *bnd, size_t nseg, REAL *rowseg,
                                 REAL *colpart);

/* Sorted data, transposed and padded (the kernel's Xt), and its kernel. */
typedef struct FN(sil_data) {
    REAL *Xt;
    size_t ld, d;
    FN(sil_block_fn) block;
} FN(sil_data);

/* The rows of X at the sorted positions, transposed: Xt[f * ld + p], ld
   m rounded up to SIL_PAD, the padding zero. */
static REAL *FN(sorted_transpose)(const REAL *X, size_t d,
                                  const sil_clusters *c, size_t ld)
{
    REAL *Xt = km_calloc_array(ld, d * sizeof *Xt);

    if (Xt == NULL)
        return NULL;
    for (size_t p = 0; p < c->m; p++) {
        const REAL *x = X + c->order[p] * d;
        for (size_t f = 0; f < d; f++)
            Xt[f * ld + p] = x[f];
    }
    return Xt;
}

/* Per-thread scratch of both variants. */
typedef struct FN(sil_scratch) {
    REAL *rowseg;   /* SIL_ROWS x SIL_TILE */
    REAL *colpart;  /* SIL_TILE */
    double *colacc; /* SIL_TILE */
    size_t *bnd;    /* SIL_TILE + 1 */
    size_t *cl;     /* SIL_TILE */
} FN(sil_scratch);

static void FN(scratch_free)(FN(sil_scratch) * w, int nt)
{
    if (w == NULL)
        return;
    for (int t = 0; t < nt; t++) {
        km_free(w[t].rowseg);
        km_free(w[t].colpart);
        km_free(w[t].colacc);
        km_free(w[t].bnd);
        km_free(w[t].cl);
    }
    km_free(w);
}

static FN(sil_scratch) * FN(scratch_new)(int nt)
{
    FN(sil_scratch) *w = km_calloc_array((size_t)nt, sizeof *w);

    if (w == NULL)
        return NULL;
    for (int t = 0; t < nt; t++) {
        w[t].rowseg = km_malloc_array(SIL_ROWS * SIL_TILE, sizeof(REAL));
        w[t].colpart = km_malloc_array(SIL_TILE, sizeof(REAL));
        w[t].colacc = km_malloc_array(SIL_TILE, sizeof(double));
        w[t].bnd = km_malloc_array(SIL_TILE + 1, sizeof(size_t));
        w[t].cl = km_malloc_array(SIL_TILE, sizeof(size_t));
        if (w[t].rowseg == NULL || w[t].colpart == NULL ||
            w[t].colacc == NULL || w[t].bnd == NULL || w[t].cl == NULL) {
            FN(scratch_free)(w, nt);
            return NULL;
        }
    }
    return w;
}

/*
 * The symmetric variant: each pair of tiles (I, J), I <= J, is computed
 * once and gives both the sums of rows of I over the clusters of J and
 * those of rows of J over the clusters of I, so half the distances are
 * computed.  Tasks finish in any order, so the per-(row, cluster) sums are
 * accumulated as 64-bit fixed-point integers (partials rounded to a
 * resolution of about n * diameter * 2^-62), whose addition is exact and
 * order-free: the result has the same bits for any number of threads.
 * Needs m x k integers, and SIL_TILE x k doubles per thread.
 *
 * A task is tile row I against a chunk of SIL_CHUNK tiles J: the rows of
 * I sum over the chunk in double (in J order) before one fixed-point
 * addition per (row, cluster met), so that few atomic additions go to
 * rows that another thread's task on the same I is adding to.
 */
static int FN(silhouette_tiles)(const FN(sil_data) * D, const sil_clusters *c,
                                int nt, double *s_sorted)
{
    const REAL *Xt = D->Xt;
    const size_t m = c->m, k = c->k, d = D->d, ld = D->ld;
    const size_t T = (m + SIL_TILE - 1) / SIL_TILE;
    const size_t NC = (T + SIL_CHUNK - 1) / SIL_CHUNK;
    int64_t *A = km_calloc_array(m * k, sizeof *A);
    FN(sil_scratch) *W = FN(scratch_new)(nt);
    double *S = km_malloc_array((size_t)nt * SIL_TILE * k, sizeof *S);
    double *Sr = km_malloc_array(k, sizeof *Sr);
    double scale, diam = 0.0;

    if (A == NULL || W == NULL || S == NULL || Sr == NULL) {
        km_free(A);
        FN(scratch_free)(W, nt);
        km_free(S);
        km_free(Sr);
        return KM_ERR_NOMEM;
    }
    /* Every distance is at most the bounding box's diagonal; a sum over m
       of them, with 2x headroom for rounding, must stay below 2^62. */
    for (size_t f = 0; f < d; f++) {
        const REAL *col = Xt + f * ld;
        double lo = (double)col[0], hi = lo;
        for (size_t p = 1; p < m; p++) {
            lo = fmin(lo, (double)col[p]);
            hi = fmax(hi, (double)col[p]);
        }
        diam += (hi - lo) * (hi - lo);
    }
    diam = sqrt(diam) * 1.001;
    scale = diam > 0.0 ? ldexp(1.0, 62 - ilogb((double)m * diam) - 1) : 1.0;

    /* Task t: tile row I = t / NC, tiles J in [I + (t % NC) * SIL_CHUNK,
       ...) up to SIL_CHUNK of them (none past T: an empty task). */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (size_t t = 0; t < T * NC; t++) {
        const int me = omp_get_thread_num();
        const FN(sil_scratch) *w = &W[me];
        double *St = S + (size_t)me * SIL_TILE * k;
        const size_t I = t / NC, Jlo = I + (t % NC) * SIL_CHUNK;
        const size_t Jhi = T - Jlo < SIL_CHUNK ? T : Jlo + SIL_CHUNK;
        const size_t i0 = I * SIL_TILE;
        const size_t i1 = m - i0 < SIL_TILE ? m : i0 + SIL_TILE;
        size_t clo, chi, jend;

        if (Jlo >= T)
            continue;
        /* The clusters of the chunk's columns: clo .. chi. */
        jend = Jhi * SIL_TILE < m ? Jhi * SIL_TILE : m;
        clo = cluster_at(c, Jlo * SIL_TILE);
        chi = cluster_at(c, jend - 1);
        for (size_t i = 0; i < i1 - i0; i++)
            for (size_t q = clo; q <= chi; q++)
                St[i * k + q] = 0.0;
        for (size_t J = Jlo; J < Jhi; J++) {
            const size_t j0 = J * SIL_TILE;
            const size_t j1 = m - j0 < SIL_TILE ? m : j0 + SIL_TILE;
            const size_t nseg = tile_segments(c, j0, j1, w->bnd, w->cl);

            for (size_t jj = 0; jj < j1 - j0; jj++)
                w->colacc[jj] = 0.0;
            /* Rows of I cluster by cluster (the columns' sums need one), in
               blocks of at most SIL_ROWS. */
            for (size_t a = i0, cl_i = cluster_at(c, i0); a < i1; cl_i++) {
                const size_t b =
                    c->start[cl_i + 1] < i1 ? c->start[cl_i + 1] : i1;
                for (size_t r0 = a; r0 < b; r0 += SIL_ROWS) {
                    const size_t nr = b - r0 < SIL_ROWS ? b - r0 : SIL_ROWS;
                    D->block(Xt, ld, d, r0, nr, j0, j1 - j0, w->bnd, nseg,
                             w->rowseg, w->colpart);
                    /* Rows of the block over the clusters of tile J. */
                    for (size_t r = 0; r < nr; r++) {
                        double *Srow = St + (r0 - i0 + r) * k;
                        for (size_t s = 0; s < nseg; s++)
                            Srow[w->cl[s]] += (double)w->rowseg[r * nseg + s];
                    }
                    if (I != J) {
                        for (size_t jj = 0; jj < j1 - j0; jj++)
                            w->colacc[jj] += (double)w->colpart[jj];
                    }
                }
                /* Rows of J over the cluster cl_i. */
                if (I != J) {
                    for (size_t jj = 0; jj < j1 - j0; jj++) {
                        const int64_t q =
                            (int64_t)(w->colacc[jj] * scale + 0.5);
#pragma omp atomic
                        A[(j0 + jj) * k + cl_i] += q;
                        w->colacc[jj] = 0.0;
                    }
                }
                a = b;
            }
        }
        /* Rows of I over the clusters of the chunk. */
        for (size_t i = 0; i < i1 - i0; i++) {
            for (size_t q = clo; q <= chi; q++) {
                const int64_t v = (int64_t)(St[i * k + q] * scale + 0.5);
#pragma omp atomic
                A[(i0 + i) * k + q] += v;
            }
        }
    }

    for (size_t p = 0; p < m; p++) {
        for (size_t j = 0; j < k; j++)
            Sr[j] = (double)A[p * k + j] / scale;
        s_sorted[p] = silhouette_of(c, p, Sr);
    }
    km_free(A);
    FN(scratch_free)(W, nt);
    km_free(S);
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
static int FN(silhouette_rows)(const FN(sil_data) * D, const sil_clusters *c,
                               int nt, double *s_sorted)
{
    const REAL *Xt = D->Xt;
    const size_t m = c->m, k = c->k, d = D->d, ld = D->ld;
    const size_t n_tasks = (m + SIL_TILE - 1) / SIL_TILE;
    FN(sil_scratch) *W = FN(scratch_new)(nt);
    double *S = km_malloc_array((size_t)nt * SIL_TILE * k, sizeof *S);

    if (W == NULL || S == NULL) {
        FN(scratch_free)(W, nt);
        km_free(S);
        return KM_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (size_t t = 0; t < n_tasks; t++) {
        const int me = omp_get_thread_num();
        const FN(sil_scratch) *w = &W[me];
        double *St = S + (size_t)me * SIL_TILE * k;
        const size_t r0 = t * SIL_TILE;
        const size_t r1 = m - r0 < SIL_TILE ? m : r0 + SIL_TILE;

        memset(St, 0, SIL_TILE * k * sizeof *St);
        for (size_t j0 = 0; j0 < m; j0 += SIL_TILE) {
            const size_t j1 = m - j0 < SIL_TILE ? m : j0 + SIL_TILE;
            const size_t nseg = tile_segments(c, j0, j1, w->bnd, w->cl);
            for (size_t b0 = r0; b0 < r1; b0 += SIL_ROWS) {
                const size_t nr = r1 - b0 < SIL_ROWS ? r1 - b0 : SIL_ROWS;
                D->block(Xt, ld, d, b0, nr, j0, j1 - j0, w->bnd, nseg,
                         w->rowseg, w->colpart);
                for (size_t r = 0; r < nr; r++) {
                    double *Srow = St + (b0 - r0 + r) * k;
                    for (size_t s = 0; s < nseg; s++)
                        Srow[w->cl[s]] += (double)w->rowseg[r * nseg + s];
                }
            }
        }
        for (size_t r = r0; r < r1; r++)
            s_sorted[r] = silhouette_of(c, r, St + (r - r0) * k);
    }
    FN(scratch_free)(W, nt);
    km_free(S);
    return KM_OK;
}

/* Silhouettes of the clustering c of rows of X, in sorted order, with the
   block kernel path picks (KM_SIL_*). */
static int FN(silhouette_sorted)(const REAL *X, size_t d, const sil_clusters *c,
                                 int n_threads, int path, double *s_sorted)
{
    const size_t m = c->m, k = c->k;
    int nt = thread_count(n_threads), status;
    size_t sz;
    FN(sil_data) D;

    {
        /* Small problems on one thread: a team costs more than the work. */
        double cap =
            1.0 + (double)m * (double)m * (double)d / (double)(1 << 22);
        if ((double)nt > cap)
            nt = (int)cap;
        if (nt < 1)
            nt = 1;
    }
    D.d = d;
    D.ld = (m + SIL_PAD - 1) / SIL_PAD * SIL_PAD;
    D.block = FN(sil_block);
    if (path != KM_SIL_PORTABLE && km_cpu_has_avx2(0))
        D.block = FN(km_sil_block_avx2);
    if (km_mul_overflow(D.ld, d, &sz) ||
        km_mul_overflow((size_t)nt * SIL_TILE, k, &sz))
        return KM_ERR_NOMEM;
    D.Xt = FN(sorted_transpose)(X, d, c, D.ld);
    if (D.Xt == NULL)
        return KM_ERR_NOMEM;
    if (!km_mul_overflow(m, k, &sz) && sz <= SIL_MAX_ACCUM)
        status = FN(silhouette_tiles)(&D, c, nt, s_sorted);
    else
        status = FN(silhouette_rows)(&D, c, nt, s_sorted);
    km_free(D.Xt);
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
    {
        /* Squared distances must be finite in REAL (the bounding box's
           squared diagonal, with a margin): beyond, they would overflow
           to infinity. */
        const double lim =
            sizeof(REAL) == sizeof(float) ? (double)FLT_MAX : DBL_MAX;
        double diag2 = 0.0;

        for (size_t f = 0; f < d; f++) {
            double lo = (double)X[f], hi = lo, h;

            for (size_t i = 1; i < n; i++) {
                lo = fmin(lo, (double)X[i * d + f]);
                hi = fmax(hi, (double)X[i * d + f]);
            }
            h = hi / 2 - lo / 2;

            diag2 += h * h;
        }
        if (!(diag2 <= lim / 8))
            return KM_ERR_NONFINITE;
    }
    return KM_OK;
}

int FN(km_silhouette_samples_path)(const REAL *X, size_t n, size_t d,
                                   const int32_t *labels, int n_threads,
                                   int path, double *silhouette)
{
    sil_clusters c;
    double *s_sorted;
    int status;

    if (silhouette == NULL ||
        (path != KM_SIL_AUTO && path != KM_SIL_PORTABLE &&
         path != KM_SIL_AVX2) ||
        (path == KM_SIL_AVX2 && !km_cpu_has_avx2(0)))
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
    status = FN(silhouette_sorted)(X, d, &c, n_threads, path, s_sorted);
    if (status == KM_OK) {
        for (size_t p = 0; p < n; p++)
            silhouette[c.order[p]] = s_sorted[p];
    }
    km_free(s_sorted);
    clusters_free(&c);
    return status;
}

int FN(km_silhouette_samples)(const REAL *X, size_t n, size_t d,
                              const int32_t *labels, int n_threads,
                              double *silhouette)
{
    return FN(km_silhouette_samples_path)(X, n, d, labels, n_threads,
                                          KM_SIL_AUTO, silhouette);
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
    status = FN(silhouette_sorted)(X, d, &c, n_threads, KM_SIL_AUTO, s_sorted);
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
