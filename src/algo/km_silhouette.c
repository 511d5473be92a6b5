/*
 * km_silhouette.c - cluster-validity scores for any labeling: the exact
 * silhouette (km_silhouette_impl.h; its AVX2 block kernel in
 * km_silhouette_avx2.c, chosen at run time) and the Calinski-Harabasz and
 * Davies-Bouldin scores (km_scores_impl.h), instantiated for float and
 * double; and what they share: turning arbitrary int32 labels into cluster
 * indices 0..k-1 with the rows sorted by cluster.
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "kmeans.h"
#include "common/km_common.h"
#include "common/km_rng.h"
#include "algo/km_silhouette_simd.h"

/* Rows and columns of a silhouette distance tile (a multiple of SIL_PAD). */
#define SIL_TILE 256

/* Tiles J a task of the symmetric silhouette takes against one tile row
   I: the rows of I make one atomic addition per (row, cluster) a chunk. */
#define SIL_CHUNK 8

/* Rows per call of the block kernel: a bound on the terms of its column
   sums, which are in the data's precision. */
#define SIL_ROWS 64

/* The transposed data's columns are padded to a multiple of this (every
   kernel's lanes): the kernels read whole vectors. */
#define SIL_PAD 8

/* Most (row, cluster) sums the symmetric silhouette keeps (8 bytes each):
   beyond, the row-by-row variant is used. */
#define SIL_MAX_ACCUM ((size_t)1 << 23)

/*
 * A labeling of m rows (all n rows of X, or a sample of them) as k clusters:
 * cluster c holds the distinct label value[c] (increasing), count[c] rows,
 * found at sorted positions start[c] .. start[c + 1] - 1; order[p] is the
 * row of X at sorted position p (rows keep their order within a cluster),
 * and cid[i] the cluster of the i-th row of the labeling.
 */
typedef struct sil_clusters {
    size_t m, k;
    int32_t *value;
    size_t *count;
    size_t *start;
    size_t *order;
    size_t *cid;
} sil_clusters;

static void clusters_free(sil_clusters *c)
{
    km_free(c->value);
    km_free(c->count);
    km_free(c->start);
    km_free(c->order);
    km_free(c->cid);
    memset(c, 0, sizeof *c);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The index of v in the sorted distinct values (it is there). */
static size_t find_value(const int32_t *value, size_t k, int32_t v)
{
    size_t lo = 0, hi = k;

    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (value[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Cluster the m rows rows[0..m-1] (NULL: rows 0..m-1) by their labels.
 * Returns KM_OK, KM_ERR_NOMEM, or KM_ERR_SHAPE when the number of distinct
 * labels is not between 2 and m - 1 (the scores are undefined otherwise).
 */
static int clusters_build(const int32_t *labels, const size_t *rows, size_t m,
                          sil_clusters *c)
{
    size_t k = 0;

    memset(c, 0, sizeof *c);
    c->m = m;
    c->value = km_malloc_array(m, sizeof *c->value);
    c->cid = km_malloc_array(m, sizeof *c->cid);
    c->order = km_malloc_array(m, sizeof *c->order);
    if (c->value == NULL || c->cid == NULL || c->order == NULL) {
        clusters_free(c);
        return KM_ERR_NOMEM;
    }
    for (size_t i = 0; i < m; i++)
        c->value[i] = labels[rows != NULL ? rows[i] : i];
    qsort(c->value, m, sizeof *c->value, cmp_i32);
    for (size_t i = 0; i < m; i++) {
        if (k == 0 || c->value[i] != c->value[k - 1])
            c->value[k++] = c->value[i];
    }
    c->k = k;
    if (k < 2 || k > m - 1) {
        clusters_free(c);
        return KM_ERR_SHAPE;
    }
    c->count = km_calloc_array(k, sizeof *c->count);
    c->start = km_calloc_array(k + 1, sizeof *c->start);
    if (c->count == NULL || c->start == NULL) {
        clusters_free(c);
        return KM_ERR_NOMEM;
    }
    for (size_t i = 0; i < m; i++) {
        c->cid[i] = find_value(c->value, k, labels[rows != NULL ? rows[i] : i]);
        c->count[c->cid[i]]++;
    }
    for (size_t j = 0; j < k; j++)
        c->start[j + 1] = c->start[j] + c->count[j];
    {
        /* Counting sort, stable: the next free position of each cluster. */
        size_t *next = km_malloc_array(k, sizeof *next);
        if (next == NULL) {
            clusters_free(c);
            return KM_ERR_NOMEM;
        }
        memcpy(next, c->start, k * sizeof *next);
        for (size_t i = 0; i < m; i++)
            c->order[next[c->cid[i]]++] = rows != NULL ? rows[i] : i;
        km_free(next);
    }
    return KM_OK;
}

/* The cluster holding sorted position p. */
static size_t cluster_at(const sil_clusters *c, size_t p)
{
    size_t lo = 0, hi = c->k;

    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->start[mid] <= p)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Cut columns [j0, j1) at cluster boundaries: bnd[0..nseg] relative to j0,
   segment s in cluster cl[s].  Returns nseg. */
static size_t tile_segments(const sil_clusters *c, size_t j0, size_t j1,
                            size_t *bnd, size_t *cl)
{
    size_t nseg = 0, q = cluster_at(c, j0);

    bnd[0] = 0;
    for (size_t lo = j0; lo < j1; q++) {
        size_t hi = c->start[q + 1] < j1 ? c->start[q + 1] : j1;
        cl[nseg] = q;
        bnd[++nseg] = hi - j0;
        lo = hi;
    }
    return nseg;
}

/* sample_size rows of n drawn without replacement (a partial Fisher-Yates
   shuffle), sorted so that the sample is read in row order. */
static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static size_t *draw_sample(size_t n, size_t sample_size, uint64_t seed)
{
    size_t *perm = km_malloc_array(n, sizeof *perm);
    km_rng rng;

    if (perm == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    km_rng_seed(&rng, seed);
    for (size_t i = 0; i < sample_size; i++) {
        size_t j = i + (size_t)km_rng_below(&rng, (uint64_t)(n - i));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    qsort(perm, sample_size, sizeof *perm, cmp_size);
    return perm;
}

/* The silhouette of the row at sorted position p from its sums of
   distances to each cluster, Sr[0..k). */
static double silhouette_of(const sil_clusters *c, size_t p, const double *Sr)
{
    size_t own = cluster_at(c, p);
    double a, b = INFINITY, s;

    if (c->count[own] < 2)
        return 0.0; /* scikit-learn: alone in its cluster */
    a = Sr[own] / (double)(c->count[own] - 1);
    for (size_t j = 0; j < c->k; j++) {
        if (j != own) {
            double mean = Sr[j] / (double)c->count[j];
            if (mean < b)
                b = mean;
        }
    }
    s = (b - a) / fmax(a, b);
    return isfinite(s) ? s : 0.0; /* a = b = 0 gives 0/0 */
}

/* A row's silhouette, to put a sample's values back in row order. */
typedef struct sil_pair {
    size_t row;
    double s;
} sil_pair;

static int cmp_pair(const void *a, const void *b)
{
    size_t x = ((const sil_pair *)a)->row, y = ((const sil_pair *)b)->row;
    return (x > y) - (x < y);
}

static int thread_count(int requested)
{
    return requested > 0 ? requested : omp_get_max_threads();
}

#define REAL        float
#define FN(name)    name##_f32
#define SIL_W       SIL_LANES_F32
#define SIL_SQRT(x) sqrtf(x)
#include "algo/km_silhouette_impl.h"
#include "algo/km_scores_impl.h"
#undef REAL
#undef FN
#undef SIL_W
#undef SIL_SQRT

#define REAL        double
#define FN(name)    name##_f64
#define SIL_W       SIL_LANES_F64
#define SIL_SQRT(x) sqrt(x)
#include "algo/km_silhouette_impl.h"
#include "algo/km_scores_impl.h"
#undef REAL
#undef FN
#undef SIL_W
#undef SIL_SQRT
