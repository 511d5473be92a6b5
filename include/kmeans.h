/*
 * kmeans.h - the public API of libkmeans, an embeddable K-Means library.
 *
 * libkmeans fits, applies and evaluates K-Means models on row-major float32
 * or float64 data held in memory.  Its results follow scikit-learn's KMeans
 * (same meaning of every parameter, same iteration and stopping rules), and
 * the same seed gives bit-identical results for any number of threads.
 *
 * Conventions used throughout:
 *   - Data X is n rows by d columns, row-major, contiguous (row i starts at
 *     X + i * d).  Optional per-sample weights are non-negative, finite and
 *     not all zero; NULL means every weight is 1.
 *   - Every function that can fail returns an int status: KM_OK (0) or one
 *     of the negative km_status codes; km_strerror() gives its message.
 *     Results come back through out-parameters.  On failure, out-parameters
 *     are left unspecified (but nothing is leaked and *model stays NULL).
 *   - The library never prints, never exits, keeps no global mutable state,
 *     and touches no file except a model file it is asked to save or load.
 *   - Buffers passed in are owned by the caller and only read (or, for
 *     out-parameters, written) during the call.  Objects returned through a
 *     pointer-to-pointer are owned by the caller and freed with the matching
 *     free function, which accepts NULL.
 *   - Thread safety: a fitted km_model is read-only; any number of threads
 *     may call predict/transform/score/getters/save on the same model at
 *     once.  Fitting uses OpenMP internally (n_threads in km_params).
 */
#ifndef KMEANS_H
#define KMEANS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KM_VERSION_MAJOR  0
#define KM_VERSION_MINOR  1
#define KM_VERSION_PATCH  0
#define KM_VERSION_STRING "0.1.0"

/* The library's version string, e.g. "0.1.0". */
const char *km_version(void);

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

typedef enum km_status {
    KM_OK = 0,
    KM_ERR_NOMEM = -1, /* memory allocation failed or size overflow */
    KM_ERR_ARG = -2,   /* invalid argument: NULL pointer, bad parameter */
    KM_ERR_SHAPE = -3, /* n, d or k inconsistent (k > n, d mismatch, n = 0) */
    KM_ERR_NONFINITE = -4, /* NaN or infinity in data, weights or centers */
    KM_ERR_WEIGHTS = -5,   /* a negative weight, or all weights zero */
    KM_ERR_IO = -6,      /* a model file could not be opened, read or written */
    KM_ERR_FORMAT = -7,  /* not a kmeans model file (bad magic) */
    KM_ERR_VERSION = -8, /* model file format version not supported */
    KM_ERR_CORRUPT = -9, /* model file truncated, checksum or field invalid */
    KM_ERR_INTERNAL = -10 /* a bug in libkmeans */
} km_status;

/* A static, human-readable message for a status code (never NULL). */
const char *km_strerror(int status);

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */
/* ------------------------------------------------------------------------ */

typedef enum km_init {
    KM_INIT_KMEANSPP = 0, /* greedy k-means++: 2 + floor(ln k) local trials */
    KM_INIT_RANDOM = 1,   /* k distinct rows drawn at random (weighted) */
    KM_INIT_ARRAY = 2,    /* the caller's centers, km_params.init_centers */
    KM_INIT_KMEANS_PARALLEL = 3 /* k-means|| (Bahmani et al. 2012): a few
                                   rounds of independent draws, reduced to k
                                   by weighted greedy k-means++ */
} km_init;

typedef enum km_algorithm {
    KM_ALGO_AUTO = 0,    /* chosen from k and d (docs/library.md) */
    KM_ALGO_LLOYD = 1,   /* Lloyd's algorithm (assign, update) */
    KM_ALGO_ELKAN = 2,   /* Elkan's bounds (n x k): same result as Lloyd */
    KM_ALGO_HAMERLY = 3, /* Hamerly's bounds (2 per row): same result */
    KM_ALGO_YINYANG = 4  /* Yinyang's group bounds (~k/20 per row): same */
} km_algorithm;

typedef enum km_dtype { KM_FLOAT32 = 1, KM_FLOAT64 = 2 } km_dtype;

/* Kinds of events passed to the log callback. */
typedef enum km_log_kind {
    KM_LOG_ITER = 0,   /* one Lloyd/Elkan iteration finished */
    KM_LOG_RUN = 1,    /* one initialization's run finished */
    KM_LOG_WARNING = 2 /* a warning; message says what */
} km_log_kind;

typedef struct km_log_event {
    km_log_kind kind;
    int run;             /* 0-based index of the initialization (n_init) */
    int iter;            /* ITER: 1-based iteration; RUN: iterations done */
    double inertia;      /* ITER: inertia of this iteration's labels w.r.t.
                            the centers they were assigned to;
                            RUN: final inertia of the run */
    double center_shift; /* ITER: summed squared center shift */
    const char *message; /* WARNING: the text; otherwise NULL */
} km_log_event;

/* Called synchronously from the thread that called the fit function. */
typedef void (*km_log_fn)(void *user, const km_log_event *event);

/*
 * Fit parameters.  Initialize with km_params_init() then change fields; the
 * defaults are scikit-learn's.  The struct is read only during a call.
 */
typedef struct km_params {
    int n_clusters;             /* k >= 1; default 8 */
    km_init init;               /* default KM_INIT_KMEANSPP */
    const double *init_centers; /* KM_INIT_ARRAY: k x d row-major, as double
                                   (rounded to float for a float32 fit);
                                   read during the fit only */
    int n_init;                 /* >= 1, or 0 = "auto": 1 for k-means++ and
                                   explicit centers, 10 for random; with
                                   explicit centers always 1 */
    int max_iter;               /* >= 1; default 300 */
    double tol;                 /* >= 0, relative to the mean per-feature
                                   variance of X; default 1e-4 */
    km_algorithm algorithm;     /* default KM_ALGO_AUTO */
    uint64_t seed;              /* seeds all randomness; default 0 */
    int n_threads;              /* >= 0; 0 = OpenMP's default */
    km_log_fn log;              /* optional progress/warning callback */
    void *log_user;             /* passed to log as is */
} km_params;

/* Set every field of *p to its default. */
void km_params_init(km_params *p);

/*
 * Check parameters alone (not against data).  Returns NULL when valid, or a
 * static message naming the offending field (liblinear's check_parameter).
 */
const char *km_params_check(const km_params *p);

/* ------------------------------------------------------------------------ */
/* Models                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct km_model km_model;

/* Result flags of a fit (km_model_flags). */
#define KM_FLAG_CONVERGED                                                      \
    0x1u /* the best run stopped before max_iter:                              \
            labels unchanged or shift <= tol */
#define KM_FLAG_FEWER_CLUSTERS                                                 \
    0x2u /* fewer distinct labels than k                                       \
            (duplicate points); also reported                                  \
            as a KM_LOG_WARNING */

/*
 * Fit K-Means on X (n x d) with optional weights (NULL = all 1).
 *
 * Runs max(1, n_init) initializations and keeps the one with the lowest
 * inertia (the first on ties).  On success *model receives a new model
 * (free with km_model_free) and, when labels is not NULL, labels[i] is the
 * cluster of row i (fit_predict).  The float32 variant computes in float32
 * with sums in double; the float64 variant in double.
 *
 * Errors: KM_ERR_ARG (NULL X or model, invalid parameters), KM_ERR_SHAPE
 * (n = 0, d = 0, k > n, init centers missing), KM_ERR_NONFINITE (NaN/inf in
 * X, weights or init centers), KM_ERR_WEIGHTS, KM_ERR_NOMEM.
 */
int km_fit_f32(const km_params *params, const float *X, size_t n, size_t d,
               const float *sample_weight, km_model **model, int32_t *labels);
int km_fit_f64(const km_params *params, const double *X, size_t n, size_t d,
               const double *sample_weight, km_model **model, int32_t *labels);

/* Free a model; NULL is accepted. */
void km_model_free(km_model *model);

/* Getters on a fitted or loaded model (NULL model: 0 / KM_FLOAT64). */
int km_model_n_clusters(const km_model *model);
size_t km_model_n_features(const km_model *model);
km_dtype km_model_dtype(const km_model *model);   /* precision of the fit */
size_t km_model_n_samples(const km_model *model); /* rows it was fitted on */
double km_model_inertia(const km_model *model);   /* of the best run */
int km_model_n_iter(const km_model *model);       /* iterations of best run */
unsigned km_model_flags(const km_model *model);   /* KM_FLAG_* bits */
/* The parameters the model was fitted with (init_centers, log and log_user
   are set to NULL). */
void km_model_params(const km_model *model, km_params *out);

/*
 * Copy the k x d centers, row-major, into out (caller-allocated, k * d
 * elements).  Centers are stored in the model's precision; the other
 * variant converts.  Errors: KM_ERR_ARG.
 */
int km_model_centers_f32(const km_model *model, float *out);
int km_model_centers_f64(const km_model *model, double *out);

/*
 * Nearest center of each row of X (n x d): labels[i] in [0, k).  Exact
 * ties go to the lowest center index.  sq_dist, when not NULL, receives the
 * squared distance to that center.  Computes in the precision of X; the
 * model's centers are converted if needed.  n_threads: 0 = default.
 * Errors: KM_ERR_ARG, KM_ERR_SHAPE (d differs from the model's),
 * KM_ERR_NONFINITE, KM_ERR_NOMEM.
 */
int km_predict_f32(const km_model *model, const float *X, size_t n, size_t d,
                   int32_t *labels, float *sq_dist, int n_threads);
int km_predict_f64(const km_model *model, const double *X, size_t n, size_t d,
                   int32_t *labels, double *sq_dist, int n_threads);

/*
 * Euclidean distance of each row of X to every center: out is n x k,
 * row-major, caller-allocated.  Errors as km_predict_*.
 */
int km_transform_f32(const km_model *model, const float *X, size_t n, size_t d,
                     float *out, int n_threads);
int km_transform_f64(const km_model *model, const double *X, size_t n, size_t d,
                     double *out, int n_threads);

/*
 * Minus the (weighted) inertia of X with respect to the model's centers,
 * as scikit-learn's KMeans.score(); summed in double.  Errors as
 * km_predict_* plus KM_ERR_WEIGHTS.
 */
int km_score_f32(const km_model *model, const float *X, size_t n, size_t d,
                 const float *sample_weight, double *score, int n_threads);
int km_score_f64(const km_model *model, const double *X, size_t n, size_t d,
                 const double *sample_weight, double *score, int n_threads);

/*
 * k-means++ seeding alone (scikit-learn's kmeans_plusplus): writes k x d
 * centers and, when indices is not NULL, the row index each came from.
 * n_local_trials <= 0 means 2 + floor(ln k).
 */
int km_kmeanspp_f32(const float *X, size_t n, size_t d,
                    const float *sample_weight, int k, int n_local_trials,
                    uint64_t seed, float *centers, int64_t *indices);
int km_kmeanspp_f64(const double *X, size_t n, size_t d,
                    const double *sample_weight, int k, int n_local_trials,
                    uint64_t seed, double *centers, int64_t *indices);

/*
 * k-means|| seeding alone (KM_INIT_KMEANS_PARALLEL; docs/library.md): the
 * same outputs and errors as km_kmeanspp_*.
 */
int km_kmeans_parallel_f32(const float *X, size_t n, size_t d,
                           const float *sample_weight, int k, uint64_t seed,
                           float *centers, int64_t *indices);
int km_kmeans_parallel_f64(const double *X, size_t n, size_t d,
                           const double *sample_weight, int k, uint64_t seed,
                           double *centers, int64_t *indices);

/* ------------------------------------------------------------------------ */
/* Model files                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Save a model to path (format: docs/model-format.md).  The file is written
 * to a temporary file beside path and renamed over it, so an existing file
 * is either left untouched or replaced whole.  Errors: KM_ERR_ARG,
 * KM_ERR_IO (errno tells why).
 */
int km_model_save(const km_model *model, const char *path);

/*
 * Load a model saved by km_model_save.  Every field is validated; a file
 * that is not a model, of another version, truncated or corrupted is
 * rejected.  Errors: KM_ERR_ARG, KM_ERR_IO, KM_ERR_FORMAT, KM_ERR_VERSION,
 * KM_ERR_CORRUPT, KM_ERR_NOMEM.
 */
int km_model_load(const char *path, km_model **model);

/* The same, to and from memory.  km_model_save_mem stores a malloc'ed
   buffer in *buf (free with free()) and its size in *size. */
int km_model_save_mem(const km_model *model, void **buf, size_t *size);
int km_model_load_mem(const void *buf, size_t size, km_model **model);

/* ------------------------------------------------------------------------ */
/* Choosing k: silhouette, Calinski-Harabasz and Davies-Bouldin scores        */
/* ------------------------------------------------------------------------ */

/*
 * Silhouette coefficient of every row of X (n x d) under a labeling, as
 * scikit-learn's silhouette_samples with the Euclidean metric: with a(i) the
 * mean distance from row i to the other members of its cluster and b(i) the
 * smallest mean distance from row i to the members of another cluster,
 * s(i) = (b(i) - a(i)) / max(a(i), b(i)), and 0 for a row alone in its
 * cluster (or when a(i) = b(i) = 0).
 *
 * labels are any int32 values (not necessarily 0..k-1 or contiguous); the
 * number of distinct labels must be between 2 and n - 1.  Exact: all
 * n^2 distances, by direct differences (no |x|^2 - 2 x.y + |y|^2
 * cancellation), never stored as a matrix.  Distances and their square
 * roots are computed in the precision of X (as scikit-learn does), partial
 * sums of at most 256 of them too, then summed exactly (64-bit fixed point)
 * or in double.  AVX2 is used when the CPU has it, with the same bits as
 * the portable code.  Memory: a copy of X sorted by cluster, plus n x k
 * 64-bit sums and 256 x k per thread while n * k <= 2^23 (each pair of
 * 256-row tiles is then computed once and serves both tiles, the sums kept
 * in fixed point so their order does not matter); beyond, 256 x k sums per
 * thread and every distance computed twice.  Either way the
 * result has the same bits for any n_threads (0 = OpenMP's default).
 *
 * silhouette: caller-allocated, n doubles.
 * Errors: KM_ERR_ARG (NULL pointer), KM_ERR_SHAPE (n < 3, d = 0, fewer than
 * 2 or more than n - 1 distinct labels), KM_ERR_NONFINITE (also when the
 * squared distances would overflow the precision of X), KM_ERR_NOMEM.
 */
int km_silhouette_samples_f32(const float *X, size_t n, size_t d,
                              const int32_t *labels, int n_threads,
                              double *silhouette);
int km_silhouette_samples_f64(const double *X, size_t n, size_t d,
                              const int32_t *labels, int n_threads,
                              double *silhouette);

/*
 * The mean silhouette coefficient (scikit-learn's silhouette_score), summed
 * in row order: the same bits as the mean of km_silhouette_samples_*.  With
 * 0 < sample_size < n, it is computed on sample_size rows drawn at random
 * without replacement (the library's generator seeded with seed; the rows
 * drawn differ from NumPy's for the same seed), as silhouette_score's
 * sample_size does: a and b are then means over the sample only.  sample_size
 * 0 (or >= n) uses every row and ignores seed.
 * Errors as km_silhouette_samples_* (the label count is checked on the
 * sample).
 */
int km_silhouette_score_f32(const float *X, size_t n, size_t d,
                            const int32_t *labels, size_t sample_size,
                            uint64_t seed, int n_threads, double *score);
int km_silhouette_score_f64(const double *X, size_t n, size_t d,
                            const int32_t *labels, size_t sample_size,
                            uint64_t seed, int n_threads, double *score);

/*
 * Calinski-Harabasz score (variance ratio criterion), as scikit-learn's
 * calinski_harabasz_score: [B / (k - 1)] / [W / (n - k)] with B the
 * between-cluster and W the within-cluster sum of squared distances to the
 * cluster means; 1 when W = 0.  Higher is better.  O(n d), in double.
 * Davies-Bouldin score, as scikit-learn's davies_bouldin_score: the mean
 * over clusters of max_j (S_i + S_j) / |c_i - c_j|, S the mean distance of
 * a cluster's members to its mean; 0 when all S or all center distances are
 * (near) zero.  Lower is better.  O(n d + k^2 d), in double.
 * labels as for the silhouette.  Errors as km_silhouette_samples_*.
 */
int km_calinski_harabasz_f32(const float *X, size_t n, size_t d,
                             const int32_t *labels, double *score);
int km_calinski_harabasz_f64(const double *X, size_t n, size_t d,
                             const int32_t *labels, double *score);
int km_davies_bouldin_f32(const float *X, size_t n, size_t d,
                          const int32_t *labels, double *score);
int km_davies_bouldin_f64(const double *X, size_t n, size_t d,
                          const int32_t *labels, double *score);

/* ------------------------------------------------------------------------ */
/* Mini-batch K-Means                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Sculley's mini-batch K-Means (2010) with scikit-learn's MiniBatchKMeans
 * semantics: each step draws batch_size rows at random (with replacement),
 * assigns them to their nearest centers and moves every center that got
 * rows to the running weighted mean of everything it has absorbed so far
 * (the per-center learning rate is w / (accumulated weight)).  The
 * accumulated weights ("counts") are kept in the model, so a model made by
 * km_minibatch_fit_* or km_partial_fit_* can be continued by further
 * partial fits, also after a save and load (model file section "mbct").
 */
typedef struct km_minibatch_params {
    km_params base;            /* n_clusters, init, init_centers, seed,
                                  n_threads, log as for km_fit; n_init 0 =
                                  auto: 3 for random, else 1; max_iter: passes
                                  over the data (default 100); tol (default
                                  0 = off): stop when the summed squared
                                  center shift of a step is at most tol times
                                  the mean feature variance; algorithm is
                                  ignored */
    int batch_size;            /* rows per step, >= 1; default 1024 */
    double reassignment_ratio; /* >= 0; default 0.01; 0 = never: centers
                                  whose count is below this fraction of the
                                  largest move to random rows of the batch */
    int max_no_improvement;    /* >= 0; default 10; 0 = off (scikit-learn's
                                  None): stop after this many steps without
                                  a new minimum of the smoothed batch
                                  inertia */
    int64_t init_size;         /* rows each initialization sees, >= 0; 0 =
                                  auto (3 x batch_size, or 3 x k when that is
                                  smaller than k); never more than n */
    int compute_labels;        /* non-zero (default): one full assignment
                                  pass at the end gives the labels and the
                                  exact inertia */
} km_minibatch_params;

/* Set every field to scikit-learn's default (base: km_params_init, then
   max_iter 100 and tol 0). */
void km_minibatch_params_init(km_minibatch_params *p);

/* NULL when valid, else a static message naming the field. */
const char *km_minibatch_params_check(const km_minibatch_params *p);

typedef enum km_minibatch_stop {
    KM_MB_STOP_MAX_ITER = 0,       /* max_iter x n / batch_size steps run */
    KM_MB_STOP_NO_IMPROVEMENT = 1, /* max_no_improvement rule */
    KM_MB_STOP_TOL = 2             /* center shift at most tol */
} km_minibatch_stop;

typedef struct km_minibatch_result {
    int64_t n_steps;   /* steps run */
    int64_t max_steps; /* max_iter x n / batch_size (integer division) */
    double passes;     /* n_steps x batch_size / n */
    int n_iter;        /* ceil(passes): scikit-learn's n_iter_ */
    km_minibatch_stop stop_reason;
    double ewa_inertia; /* last exponentially weighted average of the mean
                           batch inertia (per row) */
    double inertia;     /* exact (compute_labels), else ewa_inertia x n */
    int inertia_exact;  /* 1 when inertia comes from the final pass */
    int64_t init_size;  /* as applied */
    int n_init;         /* as applied */
} km_minibatch_result;

/*
 * Mini-batch K-Means on X (n x d, in memory), optional weights (NULL = 1).
 * Initialization: a validation subset of init_size random rows is drawn;
 * then each of n_init candidates runs k-means++ (or random) on its own
 * init_size random rows and is scored by its inertia on the validation
 * subset; the best one (the first on ties) is run.  Every step logs a
 * KM_LOG_ITER event (iter = step, inertia = the smoothed mean batch
 * inertia, center_shift = the summed squared shift when tol > 0, else 0).
 *
 * On success *model is a new model with per-center counts; labels (n, or
 * NULL) receive the final labels when compute_labels is set; res (or NULL)
 * receives the run's figures.  Same seed, same bits, for any n_threads.
 * Errors: as km_fit_* (KM_ERR_ARG for invalid parameters).
 */
int km_minibatch_fit_f32(const km_minibatch_params *params, const float *X,
                         size_t n, size_t d, const float *sample_weight,
                         km_model **model, int32_t *labels,
                         km_minibatch_result *res);
int km_minibatch_fit_f64(const km_minibatch_params *params, const double *X,
                         size_t n, size_t d, const double *sample_weight,
                         km_model **model, int32_t *labels,
                         km_minibatch_result *res);

/*
 * Data that need not be in memory: the library asks the caller for the rows
 * it needs.  rows(user, idx, count, X_out, w_out) copies rows idx[0..count)
 * (each < n; any order, repeats allowed) into X_out (count x d, row-major)
 * and, when w_out is not NULL, their weights into w_out; it returns 0, or
 * non-zero to abort the fit (the fit then returns KM_ERR_IO and the caller
 * knows why).  count is at most max(batch_size, init_size, 65536).  The
 * final pass (compute_labels) and the tol variance pass ask for consecutive
 * ascending rows in ranges of up to 65536, in order; everything else asks
 * for random rows.  The library keeps O((batch_size + 2 init_size + 65536)
 * x d + k x d) values, independent of n.  Values are checked as they
 * arrive (KM_ERR_NONFINITE, KM_ERR_WEIGHTS).  weighted: non-zero when the
 * source has sample weights (w_out is then never NULL).  labels: n entries
 * or NULL.  Otherwise as km_minibatch_fit_*; the same rows give the same
 * bits as the in-memory variant.
 */
typedef int (*km_rows_f32)(void *user, const size_t *idx, size_t count,
                           float *X_out, float *w_out);
typedef int (*km_rows_f64)(void *user, const size_t *idx, size_t count,
                           double *X_out, double *w_out);
int km_minibatch_fit_rows_f32(const km_minibatch_params *params, size_t n,
                              size_t d, km_rows_f32 rows, void *user,
                              int weighted, km_model **model, int32_t *labels,
                              km_minibatch_result *res);
int km_minibatch_fit_rows_f64(const km_minibatch_params *params, size_t n,
                              size_t d, km_rows_f64 rows, void *user,
                              int weighted, km_model **model, int32_t *labels,
                              km_minibatch_result *res);

/* What one partial fit did. */
typedef struct km_partial_info {
    double batch_inertia; /* weighted inertia of the batch against the
                             centers before the step */
    double inertia;       /* after the step, when labels were computed
                             (compute_labels or labels != NULL); else -1 */
    int n_reassigned;     /* centers moved by the reassignment rule */
    int64_t n_steps;      /* steps of the model so far, this one included */
} km_partial_info;

/*
 * One mini-batch step on a caller-supplied batch X (n x d), as
 * scikit-learn's MiniBatchKMeans.partial_fit.
 *
 * When *model is NULL, a model is created: params (required) give k, the
 * initialization (k-means++ or random on min(init_size, n) random rows of
 * this batch, or params->base.init_centers) and the mini-batch parameters,
 * which the model stores; n must be at least k.  When *model is not NULL
 * it must hold mini-batch state (made by km_minibatch_fit_* or
 * km_partial_fit_*, possibly saved and loaded); its stored parameters and
 * random state are used, params may be NULL and only its base.n_threads is
 * read.  The step: labels against the current centers, running-mean update
 * of the centers that got rows, counts += their weights, then (every 10 k
 * rows, or whenever a count is 0) the reassignment rule.  labels (n, or
 * NULL) receive the batch's labels after the step.
 *
 * Atomic: on any error *model is left exactly as it was.  Same seed and
 * batches, same bits, for any n_threads.
 * Errors: KM_ERR_ARG (NULL pointers, invalid params on creation, a model
 * without mini-batch state, X's precision differs from the model's),
 * KM_ERR_SHAPE (n = 0, d differs from the model's, n < k on creation),
 * KM_ERR_NONFINITE, KM_ERR_WEIGHTS, KM_ERR_NOMEM.
 */
int km_partial_fit_f32(km_model **model, const km_minibatch_params *params,
                       const float *X, size_t n, size_t d,
                       const float *sample_weight, int32_t *labels,
                       km_partial_info *info);
int km_partial_fit_f64(km_model **model, const km_minibatch_params *params,
                       const double *X, size_t n, size_t d,
                       const double *sample_weight, int32_t *labels,
                       km_partial_info *info);

/* 1 when the model holds mini-batch state (counts), else 0. */
int km_model_has_counts(const km_model *model);
/* The k per-center counts (accumulated weights) into out (k doubles).
   Errors: KM_ERR_ARG (NULL, or no mini-batch state). */
int km_model_counts(const km_model *model, double *out);
/* The stored mini-batch parameters (base as km_model_params) and steps
   taken.  Errors: KM_ERR_ARG (NULL, or no mini-batch state). */
int km_model_minibatch_params(const km_model *model, km_minibatch_params *out,
                              int64_t *n_steps);

#ifdef __cplusplus
}
#endif

#endif /* KMEANS_H */
