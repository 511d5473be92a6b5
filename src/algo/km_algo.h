/*
 * km_algo.h - the K-Means algorithms inside libkmeans: initialization,
 * Lloyd, Elkan, and the pieces they share (assignment, center update with
 * empty-cluster relocation, inertia).  Each exists for float and double.
 *
 * Determinism: rows are split into blocks whose boundaries depend only on
 * n, k and d (km_blocking), never on the thread count; each block is
 * processed by one thread, and per-block sums are reduced in block order.
 */
#ifndef KM_ALGO_H
#define KM_ALGO_H

#include <stddef.h>
#include <stdint.h>

#include "kmeans.h"
#include "common/km_rng.h"
#include "kernels/km_kernels.h"

/* Row blocks for one pass over the data. */
typedef struct km_blocking {
    size_t n_blocks;
    size_t rows; /* rows per block (the last may have fewer) */
} km_blocking;

/* Distance terms (n * k * d) below which a pass runs on one thread, and
   per additional thread. */
#define KM_WORK_PER_THREAD (1 << 18)

/* Largest data (bytes) whose rows a problem keeps transposed for the fused
   kernel rather than transposing them at every pass: small data, which a
   pass reads from cache, where the transposition costs a tenth of it. */
#define KM_XT_CACHE ((size_t)8 << 20)

/* Most blocks a pass uses. */
#define KM_MAX_BLOCKS 64

km_blocking km_blocking_for(size_t n, size_t k, size_t d);

/* sums (k x d) and wsum (k) = the per-block partial sums bsums
   (nb x k x d) and bw (nb x k) added in block order: the reduction that
   makes the result independent of the thread count. */
void km_reduce_blocks(const double *bsums, const double *bw, size_t nb,
                      size_t k, size_t d, double *sums, double *wsum);
/* One block's step of it: sums += bsums, wsum += bw (km_reduce_blocks is
   zeroing then this for b = 0 .. nb - 1). */
void km_reduce_blocks_add(const double *bsums, const double *bw, size_t k,
                          size_t d, double *sums, double *wsum);

/* The assignment's form, as the kernel table (chosen from k and d) gives
   it: canonical distances, the fused dot kernel, or BLAS's GEMM. */
#define KM_FORM_EXACT 0
#define KM_FORM_FUSED 1
#define KM_FORM_BLAS  2
/* The form of a kernel table (km_kernels_f32 or _f64). */
#define KM_FORM_OF(kern)                                                       \
    ((kern).exact                 ? KM_FORM_EXACT                              \
     : (kern).dot_argmin2 != NULL ? KM_FORM_FUSED                              \
                                  : KM_FORM_BLAS)

/* The algorithm `auto` means for n rows and k clusters with the
   assignment's form (others are returned as they are).  Measured with
   bench/km_bench to convergence (docs/library.md): Hamerly through the fused
   kernel from 50 clusters and 10000 rows, and through BLAS's GEMM (high d)
   from 100 clusters and 10000 rows; Lloyd otherwise (k = 32: even): with
   few rows (1797 and 5000) the bounds' first full pass and per-pass costs do
   not pay back, the canonical SIMD kernel of low d leaves the bound
   algorithms' row scans far behind (d = 2, k = 100: 2.1-2.8x), and with
   BLAS below 100 clusters Hamerly's one lower bound prunes too little
   (k = 50: 1.17-1.54x Lloyd's time). */
km_algorithm km_choose_algorithm(km_algorithm requested, size_t n, size_t k,
                                 int form);

/* Buffers an assignment pass needs, kept from one pass to the next (an
   allocation per pass costs page faults, and with several threads TLB
   shootdowns, that small problems notice).  One per problem; a problem is
   used by one caller at a time. */
#define KM_WS_SLOTS 8

typedef struct km_workspace {
    void *buf[KM_WS_SLOTS];
    size_t size[KM_WS_SLOTS];
} km_workspace;

/* Buffer `slot` of at least size bytes (zeroed when zero is set), NULL if
   the allocation fails. */
void *km_ws_get(km_workspace *ws, int slot, size_t size, int zero);
void km_ws_free(km_workspace *ws);

/* Per-iteration progress, reported by the algorithms (the driver turns it
   into km_log_event). */
typedef struct km_progress {
    km_log_fn log;
    void *user;
    int run;
} km_progress;

/* Result of one run of Lloyd or Elkan from given centers. */
typedef struct km_run_result {
    double inertia;
    int n_iter;
    int converged; /* stopped by strict convergence or tol */
} km_run_result;

#define KM_DECLARE_ALGO(REAL, SFX)                                             \
    typedef struct km_problem_##SFX {                                          \
        const REAL *X; /* n x d */                                             \
        size_t n, d;                                                           \
        const REAL *w; /* n weights, or NULL for all 1 */                      \
        size_t k;                                                              \
        int n_threads; /* > 0 */                                               \
        km_kernels_##SFX kern;                                                 \
        const REAL *xn; /* squared row norms when !kern.exact, else NULL */    \
        /* The rows transposed for the fused kernel, KM_ROW_BLOCK at a time    \
           (chunk c at xt + c * d * KM_ROW_BLOCK), when the data are small     \
           enough (KM_XT_CACHE) to keep a copy; else NULL. */                  \
        const REAL *xt;                                                        \
        int own_xn, own_xt; /* allocated here (else another problem's) */      \
        km_blocking blk;                                                       \
        km_workspace *ws; /* km_assign's buffers */                            \
    } km_problem_##SFX;                                                        \
                                                                               \
    /* Fill p for data X; computes row norms when the kernel needs them.       \
       Returns KM_OK or KM_ERR_NOMEM.  Free with km_problem_release. */        \
    int km_problem_setup_##SFX(km_problem_##SFX *p, const REAL *X, size_t n,   \
                               size_t d, const REAL *w, size_t k,              \
                               int n_threads, km_kernel_id kernel);            \
    /* The same data as base (its rows, threads, and its row norms and         \
       transposed rows where the kernel for k needs them, borrowed: release    \
       p before base) for k centers and weights w. */                          \
    int km_problem_setup_from_##SFX(km_problem_##SFX *p,                       \
                                    const km_problem_##SFX *base,              \
                                    const REAL *w, size_t k);                  \
    void km_problem_release_##SFX(km_problem_##SFX *p);                        \
                                                                               \
    /* Nearest center (canonical distance, ties to the lowest index) of every  \
       row into labels; optionally (non-NULL pointers) the number of labels    \
       that changed (labels must then hold the previous ones), the squared     \
       distance (mind), the weighted sum of those distances (inertia), and     \
       the weighted per-cluster sums of the rows (sums, k x d; wsum, k). */    \
    int km_assign_##SFX(const km_problem_##SFX *p, const REAL *C,              \
                        int32_t *labels, size_t *changed, REAL *mind,          \
                        double *sums, double *wsum, double *inertia);          \
                                                                               \
    /* Squared norms of the k centers C into cn (the kernel's sq_norms);       \
       returns the largest (0 when none is positive). */                       \
    REAL km_center_norms_##SFX(const km_problem_##SFX *p, const REAL *C,       \
                               REAL *cn);                                      \
                                                                               \
    /* Weighted inertia of given labels against C. */                          \
    double km_inertia_##SFX(const km_problem_##SFX *p, const REAL *C,          \
                            const int32_t *labels);                            \
                                                                               \
    /* New centers from the sums (relocating empty clusters to the rows        \
       farthest from their centers, as scikit-learn), the shift of each        \
       center (Euclidean, k) and the summed squared shift. */                  \
    int km_update_centers_##SFX(const km_problem_##SFX *p, const REAL *C_old,  \
                                const int32_t *labels, double *sums,           \
                                double *wsum, REAL *C_new, REAL *shift,        \
                                double *shift_tot);                            \
                                                                               \
    /* Lloyd, Hamerly, Elkan and Yinyang from the centers in C (k x d,         \
       replaced by the final centers); labels receives the final labels. */    \
    int km_lloyd_##SFX(const km_problem_##SFX *p, REAL *C, int max_iter,       \
                       double tol_abs, const km_progress *prog,                \
                       int32_t *labels, km_run_result *res);                   \
    int km_hamerly_##SFX(const km_problem_##SFX *p, REAL *C, int max_iter,     \
                         double tol_abs, const km_progress *prog,              \
                         int32_t *labels, km_run_result *res);                 \
    int km_elkan_##SFX(const km_problem_##SFX *p, REAL *C, int max_iter,       \
                       double tol_abs, const km_progress *prog,                \
                       int32_t *labels, km_run_result *res);                   \
    int km_yinyang_##SFX(const km_problem_##SFX *p, REAL *C, int max_iter,     \
                         double tol_abs, const km_progress *prog,              \
                         int32_t *labels, km_run_result *res);                 \
                                                                               \
    /* Initial centers.  kmeans++: greedy, n_local_trials candidates per       \
       center, the first drawn with probability proportional to weight.        \
       random: k distinct rows, drawn with probability proportional to         \
       weight.  idx (optional) receives the chosen row indices. */             \
    int km_init_kmeanspp_##SFX(const km_problem_##SFX *p, km_rng *rng,         \
                               int n_local_trials, REAL *C, int64_t *idx);     \
    /* The same with the pruning switched off (prune = 0) or on, and the       \
       number of rows computed over all steps into computed (if not NULL):     \
       for tests and benchmarks. */                                            \
    int km_init_kmeanspp_prune_##SFX(                                          \
        const km_problem_##SFX *p, km_rng *rng, int n_local_trials, REAL *C,   \
        int64_t *idx, int prune, double *computed);                            \
    int km_init_random_##SFX(const km_problem_##SFX *p, km_rng *rng, REAL *C,  \
                             int64_t *idx);                                    \
    /* k-means|| (km_init_par_impl.h): rounds of independent draws, the        \
       candidates then reduced to k by weighted greedy k-means++. */           \
    int km_init_kmeans_par_##SFX(const km_problem_##SFX *p, km_rng *rng,       \
                                 REAL *C, int64_t *idx);

KM_DECLARE_ALGO(float, f32)
KM_DECLARE_ALGO(double, f64)

#undef KM_DECLARE_ALGO

#endif
