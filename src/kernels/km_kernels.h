/*
 * km_kernels.h - distance kernels behind one table.
 *
 * The algorithms (src/algo) reach distances only through this header: the
 * canonical squared distance km_sqdist_* and a table of block kernels chosen
 * once per fit.  The canonical distance defines the labels: sum over
 * features, in feature order, of (x_f - c_f)^2 in the data's precision.  A
 * fast kernel may compute approximate distances (the BLAS form
 * |x|^2 - 2 x.c + |c|^2), but then it also reports an error bound, and the
 * assignment re-checks every center within that bound with the canonical
 * distance, so labels never depend on which kernel ran.
 */
#ifndef KM_KERNELS_H
#define KM_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* The canonical squared Euclidean distance (see above).  Compiled in ISO
   C mode: no FMA contraction, no reassociation, so it gives the same bits
   wherever it is inlined. */
static inline float km_sqdist_f32(const float *x, const float *c, size_t d)
{
    float s = 0.0f;

    for (size_t f = 0; f < d; f++) {
        float t = x[f] - c[f];
        s += t * t;
    }
    return s;
}

static inline double km_sqdist_f64(const double *x, const double *c, size_t d)
{
    double s = 0.0;

    for (size_t f = 0; f < d; f++) {
        double t = x[f] - c[f];
        s += t * t;
    }
    return s;
}

/* k-means++'s distance (pp_block): the canonical sequence with each
   square added by a fused multiply-add, s = fma(x_f - c_f, x_f - c_f, s)
   in feature order, so one rounding less per feature (its relative error
   is below the canonical bound (d + 2) u).  Seeding only: the labels use
   the canonical distance. */
static inline float km_sqdist_fma_f32(const float *x, const float *c, size_t d)
{
    float s = 0.0f;

    for (size_t f = 0; f < d; f++) {
        float t = x[f] - c[f];
        s = fmaf(t, t, s);
    }
    return s;
}

static inline double km_sqdist_fma_f64(const double *x, const double *c,
                                       size_t d)
{
    double s = 0.0;

    for (size_t f = 0; f < d; f++) {
        double t = x[f] - c[f];
        s = fma(t, t, s);
    }
    return s;
}

/* Partial sums per candidate in pp_block: row i of a call goes to lane
   i % KM_PP_LANES. */
#define KM_PP_LANES 8

/* pp_block (below) for rows [lo, hi) one at a time, in the order every
   implementation follows (the reference). */
#define KM_PP_ROWS_SCALAR(REAL, SQDIST)                                        \
    for (size_t c = 0; c < t; c++)                                             \
        for (size_t i = lo; i < hi; i++) {                                     \
            const size_t ri = sel != NULL ? (size_t)sel[i] : i;                \
            REAL v = SQDIST(X + ri * d, cand + c * d, d);                      \
                                                                               \
            if (closest != NULL && closest[ri] < v)                            \
                v = closest[ri];                                               \
            lanes[c * KM_PP_LANES + i % KM_PP_LANES] +=                        \
                (w != NULL ? (double)w[ri] : 1.0) * (double)v;                 \
            if (newmin != NULL)                                                \
                newmin[c * ldn + i] = v;                                       \
        }

static inline void km_pp_rows_f32(const float *X, const uint32_t *sel,
                                  size_t lo, size_t hi, size_t d,
                                  const float *cand, size_t t,
                                  const float *closest, const float *w,
                                  float *newmin, size_t ldn, double *lanes)
{
    KM_PP_ROWS_SCALAR(float, km_sqdist_fma_f32)
}

static inline void km_pp_rows_f64(const double *X, const uint32_t *sel,
                                  size_t lo, size_t hi, size_t d,
                                  const double *cand, size_t t,
                                  const double *closest, const double *w,
                                  double *newmin, size_t ldn, double *lanes)
{
    KM_PP_ROWS_SCALAR(double, km_sqdist_fma_f64)
}

/* Kernel signatures shared by tables and installers (see below). */
typedef void km_argmin2_f32_fn(const float *D, const float *cn, size_t m,
                               size_t k, int32_t *best, float *b1, float *b2);
typedef void km_argmin2_f64_fn(const double *D, const double *cn, size_t m,
                               size_t k, int32_t *best, double *b1, double *b2);
typedef void km_row_dists_f32_fn(const float *X, size_t m, const float *Ct,
                                 size_t kp, size_t d, size_t k, float *out);
typedef void km_row_dists_f64_fn(const double *X, size_t m, const double *Ct,
                                 size_t kp, size_t d, size_t k, double *out);
typedef void km_pp_block_f32_fn(const float *X, const uint32_t *sel, size_t m,
                                size_t d, const float *cand, size_t t,
                                const float *closest, const float *w,
                                float *newmin, size_t ldn, double *lanes,
                                float *scratch);
typedef void km_pp_block_f64_fn(const double *X, const uint32_t *sel, size_t m,
                                size_t d, const double *cand, size_t t,
                                const double *closest, const double *w,
                                double *newmin, size_t ldn, double *lanes,
                                double *scratch);

/*
 * The table, per precision.  For a block of m rows of X (m <= KM_ROW_BLOCK)
 * and k centers C:
 *   dist_block   D[i * k + j] = squared distance of row i to center j.  An
 *                exact table gives canonical distances.  Otherwise (GEMM)
 *                D holds -2 x.c only, and |x|^2 + |c|^2 + D is within
 *                err_scale * (|x|^2 + |c|^2) of the canonical distance; xn
 *                and cn may be NULL.
 *   assign_block labels[i] = canonical argmin (ties to the lowest index)
 *                and, when mind is not NULL, mind[i] its canonical
 *                distance; labels holds the previous labels on entry (any
 *                values) and the function returns how many changed.  NULL
 *                when the table assigns through dist_block and a re-check
 *                of near ties.
 *   argmin2      for rows of a GEMM block D (m x k, values D + cn[j]): the
 *                smallest value's index (best), the smallest (b1) and the
 *                second smallest (b2), for the near-tie test.
 *   row_dists    out[i * k + j] = canonical squared distance of row i of X
 *                (m rows) to center j, from the centers transposed:
 *                Ct[f * kp + j], kp >= k a multiple of ct_pad.
 *   dot_argmin2  the GEMM form and argmin2 fused (no m x k values written):
 *                for m rows given transposed (xt, as transpose leaves
 *                them), best, b1 and b2 of the values cn[j] - 2 x.c_j,
 *                within the table's error bound.  NULL when dist_block and
 *                argmin2 do it.
 *   transpose    rows X[0 .. m) into xt[f * KM_ROW_BLOCK + r], rows m up
 *                to a multiple of KM_XT_PAD zero (for dot_argmin2; NULL
 *                with it).
 *   accum_block  sums[labels[i]] += w[i] * x_i and wsum[labels[i]] += w[i]
 *                in double (w NULL: all 1), in the order km_accum_local
 *                defines below, which depends only on m, d and k.
 *   pp_block     k-means++ potentials: for each of t candidates (cand,
 *                t x d) and each row i < m, v = km_sqdist_fma,
 *                lowered to closest[i] when closest is not NULL and
 *                closer; lanes[c * KM_PP_LANES + i % KM_PP_LANES] +=
 *                w[i] * v in double (w NULL: all 1), rows in increasing
 *                order within each lane, so every implementation gives the
 *                same bits.  When newmin is not NULL, also
 *                newmin[c * ldn + i] = v (ldn >= m; with t = 1 newmin may
 *                be closest).  With sel (not NULL), row i is row sel[i] of
 *                X, closest and w (gathered); newmin and lanes stay by i.
 *                scratch holds KM_ROW_BLOCK * d values.
 *   label_dists  out[i] = canonical distance of row i (m rows of X) to
 *                center labels[i] of C (the final pass's distances, the
 *                inertia).
 *   pair_dists   out[q] = squared distance of one row x to center idx[q]
 *                of C (q < nidx), summed in any order: not the canonical
 *                bits, but at most d + 2 roundings on any term's path, so
 *                within the canonical relative bound (d + 2) u of the
 *                exact value (Elkan's bounds, and which candidates need
 *                the canonical distance).
 *   lb_scan      Elkan's scan of one row's k lower bounds l: first, when
 *                shift is not NULL, l[j] = max(l[j] - shift[j], 0) (the
 *                bounds moved with the centers); then the centers j with
 *                l[j] <= us and half_a[j] <= us, in increasing order, into
 *                cand; returns how many.  The same values in every table.
 * sq_norms gives out[i] = sum over features, in order, of x_if * x_if in
 * the data's precision (every table the same bits).
 */
typedef struct km_kernels_f32 {
    const char *name;
    int exact;
    int fast_rows; /* row_dists is vectorized (beats dist_block for few
                      centers) */
    size_t ct_pad; /* row_dists reads whole vectors of this many centers:
                      kp may be any multiple of it (KM_CT_PAD is one) */
    double err_scale;
    void (*sq_norms)(const float *X, size_t m, size_t d, float *out);
    void (*dist_block)(const float *X, size_t m, size_t d, const float *C,
                       size_t k, const float *xn, const float *cn, float *D);
    size_t (*assign_block)(const float *X, size_t m, size_t d, const float *C,
                           size_t k, int32_t *labels, float *mind);
    void (*accum_block)(const float *X, size_t m, size_t d, const float *w,
                        const int32_t *labels, size_t k, double *sums,
                        double *wsum);
    void (*dot_argmin2)(const float *xt, size_t m, size_t d, const float *C,
                        const float *cn, size_t k, int32_t *best, float *b1,
                        float *b2);
    void (*transpose)(const float *X, size_t m, size_t d, float *xt);
    km_argmin2_f32_fn *argmin2;
    km_row_dists_f32_fn *row_dists;
    km_pp_block_f32_fn *pp_block;
    void (*label_dists)(const float *X, size_t m, size_t d, const float *C,
                        const int32_t *labels, float *out);
    void (*pair_dists)(const float *x, size_t d, const float *C,
                       const int32_t *idx, size_t nidx, float *out);
    size_t (*lb_scan)(float *l, const float *shift, const float *half_a,
                      size_t k, float us, int32_t *cand);
} km_kernels_f32;

typedef struct km_kernels_f64 {
    const char *name;
    int exact;
    int fast_rows; /* row_dists is vectorized (beats dist_block for few
                      centers) */
    size_t ct_pad; /* row_dists reads whole vectors of this many centers:
                      kp may be any multiple of it (KM_CT_PAD is one) */
    double err_scale;
    void (*sq_norms)(const double *X, size_t m, size_t d, double *out);
    void (*dist_block)(const double *X, size_t m, size_t d, const double *C,
                       size_t k, const double *xn, const double *cn, double *D);
    size_t (*assign_block)(const double *X, size_t m, size_t d, const double *C,
                           size_t k, int32_t *labels, double *mind);
    void (*accum_block)(const double *X, size_t m, size_t d, const double *w,
                        const int32_t *labels, size_t k, double *sums,
                        double *wsum);
    void (*dot_argmin2)(const double *xt, size_t m, size_t d, const double *C,
                        const double *cn, size_t k, int32_t *best, double *b1,
                        double *b2);
    void (*transpose)(const double *X, size_t m, size_t d, double *xt);
    km_argmin2_f64_fn *argmin2;
    km_row_dists_f64_fn *row_dists;
    km_pp_block_f64_fn *pp_block;
    void (*label_dists)(const double *X, size_t m, size_t d, const double *C,
                        const int32_t *labels, double *out);
    void (*pair_dists)(const double *x, size_t d, const double *C,
                       const int32_t *idx, size_t nidx, double *out);
    size_t (*lb_scan)(double *l, const double *shift, const double *half_a,
                      size_t k, double us, int32_t *cand);
} km_kernels_f64;

typedef enum km_kernel_id {
    KM_KERNEL_AUTO = 0,
    KM_KERNEL_REF = 1,
    KM_KERNEL_BLAS = 2,
    KM_KERNEL_SIMD = 3,
    KM_KERNEL_DOT = 4 /* the fused expanded form (dot_argmin2) */
} km_kernel_id;

/* The AVX2 argmin2 and row_dists when the CPU has AVX2, else NULL. */
km_argmin2_f32_fn *km_kernels_fast_argmin2_f32(void);
km_argmin2_f64_fn *km_kernels_fast_argmin2_f64(void);
km_row_dists_f32_fn *km_kernels_fast_row_dists_f32(void);
km_row_dists_f64_fn *km_kernels_fast_row_dists_f64(void);

/* Install the best SIMD assign/accumulate kernels this CPU runs (AVX2) for
   k centers of d features into a table; returns 0 (table unchanged) when
   there are none. */
int km_kernels_simd_f32(km_kernels_f32 *t, size_t k, size_t d);
int km_kernels_simd_f64(km_kernels_f64 *t, size_t k, size_t d);

/* The table for a kernel id and a problem shape.  AUTO chooses by k and d;
   BLAS falls back to the reference kernels when built without CBLAS.
   err_scale of an inexact table depends on d, so it is filled here. */
void km_kernels_get_f32(km_kernel_id id, size_t k, size_t d,
                        km_kernels_f32 *out);
void km_kernels_get_f64(km_kernel_id id, size_t k, size_t d,
                        km_kernels_f64 *out);

/* Column padding of transposed centers: a multiple of every table's
   ct_pad (the lanes of its row_dists: 8 for AVX2, 16 for AVX-512 float).
   Padding costs memory only, except in Yinyang, which computes its
   groups' padding and so pads them to the table's ct_pad. */
#define KM_CT_PAD 16

/* Rows per kernel call: D blocks are KM_ROW_BLOCK x k. */
#define KM_ROW_BLOCK 256

/* Rows of a transposed block (transpose, dot_argmin2) are zero-padded to a
   multiple of this (whole vectors of rows). */
#define KM_XT_PAD 16

/*
 * The order of accum_block's additions, which every implementation of it
 * follows so that they all give the same bits.  With few enough centers
 * and features (km_accum_local), row i of a call goes to copy i % 4 of
 * local sums, zeroed at the start of the call; each copy holds per cluster
 * the d weighted features then the weight (padded to KM_ACCUM_PAD(d)
 * doubles); at the end, sums[j][f] += (copy0 + copy1) + (copy2 + copy3),
 * feature by feature, and wsum[j] likewise.  Consecutive rows of one
 * cluster then do not wait on each other's stores.  Otherwise each row is
 * added straight into sums and wsum, in row order.  A weighted value is
 * w_i * x_if in double, the weight w_i itself (1 when unweighted).
 */
#define KM_ACCUM_PAD(d) (((d) + 4) / 4 * 4)
#define KM_ACCUM_LOCAL  128 /* most k * KM_ACCUM_PAD(d) kept locally */

static inline int km_accum_local(size_t k, size_t d)
{
    return d <= KM_ACCUM_LOCAL && k <= KM_ACCUM_LOCAL / KM_ACCUM_PAD(d);
}

#endif
