/*
 * kmclassify.h - clustering for classification, the layer behind
 * `kmeans classify`, `representatives`, `propagate` and `semisupervised`:
 *
 *   - labeled data: a label column split off a matrix, labels checked to be
 *     integers;
 *   - a seeded shuffle split (scikit-learn's train_test_split, not
 *     stratified) and stratified k-fold (scikit-learn's StratifiedKFold
 *     without shuffling, fold for fold);
 *   - logistic regression: liblinear's L2-regularized solver (L2R_LR),
 *     one-vs-rest with the intercept as a regularized feature of value 1,
 *     which is exactly scikit-learn's LogisticRegression(solver="liblinear");
 *     or the multinomial (softmax) model with an unpenalized intercept
 *     minimized by L-BFGS, scikit-learn's LogisticRegression(solver="lbfgs",
 *     multi_class="multinomial");
 *   - the K-Means feature pipeline: K-Means fitted on the training rows
 *     only, every row replaced by its k distances to the centers, then
 *     logistic regression on those;
 *   - representatives (the row closest to each center) and label
 *     propagation from them, in full or to the closest P% of each cluster.
 *
 * Every function is reentrant: the only global state is liblinear's print
 * hook, set once (silenced) through call_once.  Functions that can fail
 * return 0, or -1 with a one-line message in err->msg.
 */
#ifndef KMCLASSIFY_H
#define KMCLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmeans.h"
#include "kmio.h"

typedef struct kmc_error {
    char msg[512];
} kmc_error;

/* ---- labeled data ---------------------------------------------------------
 */

/* n rows of d features (row-major) and, when y is not NULL, n labels. */
typedef struct kmc_data {
    size_t n, d;
    double *X;
    int32_t *y;
} kmc_data;

/* The label column of a matrix: a 1-based column number, the last one, or
   none (every column is a feature). */
enum { KMC_LABEL_LAST = -1, KMC_LABEL_NONE = 0 };

/*
 * Split m into features (float64) and integer labels: label_column is a
 * 1-based column number, KMC_LABEL_LAST or KMC_LABEL_NONE (then out->y is
 * NULL).  name is the file's name for messages.  Rejects a column out of
 * range, a matrix with no feature column left, and labels that are not
 * integers in int32 range ("FILE: row 3: label 2.5 in column 65 is not an
 * integer").  Free with kmc_data_free.
 */
int kmc_data_from_matrix(const kmio_matrix *m, int label_column,
                         const char *name, kmc_data *out, kmc_error *err);

/* Labels alone from a one-column matrix (a CSV column or a 1-D .npy) of
   n rows; the same checks.  *y is malloc'ed. */
int kmc_labels_from_matrix(const kmio_matrix *m, size_t n, const char *name,
                           int32_t **y, kmc_error *err);

/* Rows idx[0..m-1] of src (labels too when src has them). */
int kmc_data_subset(const kmc_data *src, const size_t *idx, size_t m,
                    kmc_data *out, kmc_error *err);

void kmc_data_free(kmc_data *data);

/* Number of distinct labels in y[0..n-1]; *sorted (when not NULL) receives
   them in increasing order (malloc'ed, free with free()). */
size_t kmc_classes(const int32_t *y, size_t n, int32_t **sorted);

/* Fraction of i with y[i] == pred[i] (0 when n is 0). */
double kmc_accuracy(const int32_t *y, const int32_t *pred, size_t n);

/* ---- splits ---------------------------------------------------------------
 */

/*
 * A uniformly random permutation of 0..n-1 from seed: Fisher-Yates driven
 * by SplitMix64 (Steele, Lea and Flood 2014), bounded draws by rejection
 * so every permutation is equally likely.  bench/digits_sklearn.py repeats
 * it in Python to give scikit-learn the same splits.
 */
void kmc_permutation(size_t n, uint64_t seed, size_t *perm);

/*
 * scikit-learn's ShuffleSplit as train_test_split uses it: test_size is a
 * fraction in (0, 1) (n_test = ceil(test_size * n)) or a row count >= 1;
 * the permutation's first n_test entries are the test rows, the rest the
 * training rows, both in permutation order.  train_idx and test_idx hold n
 * entries each.  Fails when either part would be empty.
 */
int kmc_train_test_split(size_t n, double test_size, uint64_t seed,
                         size_t *train_idx, size_t *n_train, size_t *test_idx,
                         size_t *n_test, kmc_error *err);

/*
 * scikit-learn's StratifiedKFold(n_folds, shuffle=False): fold[i] in
 * [0, n_folds) is the fold in which row i is a test row.  Each class's rows,
 * in order, are dealt to folds in contiguous runs whose sizes come from
 * dealing the label-sorted rows round-robin, so every fold keeps the class
 * proportions and fold sizes differ by at most one.  Fails when n_folds < 2
 * or n_folds > n.  *min_class (when not NULL) receives the size of the
 * smallest class: below n_folds some folds miss that class (scikit-learn
 * warns).
 */
int kmc_stratified_folds(const int32_t *y, size_t n, int n_folds, int *fold,
                         size_t *min_class, kmc_error *err);

/* ---- L-BFGS ---------------------------------------------------------------
 */

/*
 * The objective for kmc_lbfgs_minimize: *f = f(x) and grad = its gradient
 * at x (n values each).  Return 0, or nonzero to stop the minimization.
 */
typedef int (*kmc_objective)(void *ctx, const double *x, double *f,
                             double *grad);

typedef struct kmc_lbfgs_params {
    int m;         /* correction pairs kept; default 10 (scipy's maxcor) */
    int max_iter;  /* iterations; default 100 */
    int max_eval;  /* objective evaluations; default 15000 (scipy's maxfun) */
    double gtol;   /* stop when max_i |grad_i| <= gtol; default 1e-5 */
    double ftol;   /* stop when (f_k - f_k+1) <= ftol max(|f_k|, |f_k+1|, 1);
                      default 2.220446049250313e-9 (scipy's factr 1e7 times
                      the machine epsilon); 0 turns the test off */
    double c1, c2; /* strong Wolfe constants; default 1e-4 and 0.9 */
    int max_linesearch; /* evaluations per line search; default 20 */
} kmc_lbfgs_params;

void kmc_lbfgs_params_init(kmc_lbfgs_params *p);

typedef enum kmc_lbfgs_status {
    KMC_LBFGS_GTOL,       /* the gradient test passed: converged */
    KMC_LBFGS_FTOL,       /* the relative reduction test passed: converged */
    KMC_LBFGS_MAX_ITER,   /* max_iter iterations done, not converged */
    KMC_LBFGS_MAX_EVAL,   /* max_eval evaluations done, not converged */
    KMC_LBFGS_LINESEARCH, /* no step decreased f (rounding), not converged */
    KMC_LBFGS_ABORTED,    /* the objective returned nonzero or a NaN */
    KMC_LBFGS_NOMEM
} kmc_lbfgs_status;

typedef struct kmc_lbfgs_result {
    kmc_lbfgs_status status;
    int n_iter, n_eval;
    double f;    /* the objective at the returned x */
    double gmax; /* max_i |grad_i| there */
} kmc_lbfgs_result;

/* GTOL or FTOL. */
bool kmc_lbfgs_converged(kmc_lbfgs_status status);
/* "converged (gradient)", "reached max_iter", ...: static strings. */
const char *kmc_lbfgs_status_text(kmc_lbfgs_status status);

/*
 * Minimize fn from x (n values, overwritten by the best point found) with
 * limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989): the two-loop
 * recursion over the last p->m pairs (s, y) with the scaling s.y / y.y, a
 * line search for the strong Wolfe conditions (Nocedal and Wright,
 * Numerical Optimization, algorithms 3.5 and 3.6, cubic interpolation with
 * bisection as safeguard), scipy's L-BFGS-B stopping tests without bounds.
 * A pair with s.y <= eps y.y is not stored.  Returns 0 with res->status set
 * (converged or not), or -1 for ABORTED and NOMEM.  Draws no random numbers;
 * the same input gives the same bits.
 */
int kmc_lbfgs_minimize(kmc_objective fn, void *ctx, size_t n, double *x,
                       const kmc_lbfgs_params *p, kmc_lbfgs_result *res);

/* ---- logistic regression ------------------------------------------------ */

typedef enum kmc_solver {
    KMC_SOLVER_LIBLINEAR = 0, /* one-vs-rest, intercept regularized */
    KMC_SOLVER_LBFGS = 1      /* multinomial, intercept not regularized */
} kmc_solver;

/* scikit-learn's name of a solver ("liblinear", "lbfgs"). */
const char *kmc_solver_name(kmc_solver s);

/*
 * Counts over many fits (every fit made with params pointing at it), safe
 * to share between threads.  Zero it with kmc_logreg_stats_init.
 */
typedef struct kmc_logreg_stats {
    _Atomic long n_fits;
    _Atomic long n_max_iter;   /* lbfgs fits stopped by max_iter */
    _Atomic long n_linesearch; /* lbfgs fits stopped by a failed line search */
    _Atomic long max_n_iter;   /* the most iterations of one lbfgs fit */
} kmc_logreg_stats;

void kmc_logreg_stats_init(kmc_logreg_stats *s);

typedef struct kmc_logreg_params {
    double C;          /* inverse regularization strength, > 0; default 1 */
    double tol;        /* liblinear's eps, or lbfgs's gtol; default 1e-4
                          (scikit-learn's) */
    kmc_solver solver; /* default KMC_SOLVER_LIBLINEAR */
    int max_iter;      /* lbfgs iterations, >= 1; default 100
                          (scikit-learn's); liblinear ignores it */
    double ftol;       /* lbfgs's relative reduction test; default scipy's
                          2.220446049250313e-9, 0 = gradient test only */
    kmc_logreg_stats *stats; /* NULL, or where to count the fits */
} kmc_logreg_params;

void kmc_logreg_params_init(kmc_logreg_params *p);

typedef struct kmc_logreg kmc_logreg;

/*
 * The multinomial objective of scikit-learn's lbfgs solver
 * (sklearn/linear_model/_linear_loss.py with HalfMultinomialLoss):
 *     sum_i sw_i CE(softmax(W x_i + b), y_i) + 1/(2C) |W|_F^2,
 * the intercept b not penalized (the minimizers are those of
 * C sum_i sw_i CE + |W|_F^2 / 2).  theta is (d + 1) x K, row-major:
 * theta[j K + c] is the weight of feature j for class c, row d holds the
 * intercepts (scikit-learn's Fortran-ordered coefficient vector).  yi[i] in
 * [0, K) is the class index of row i; sw may be NULL (every weight 1).
 * The log-sum-exp is taken after subtracting the largest score.  grad may
 * be NULL.  Returns 0, or -1 when memory runs out.
 */
int kmc_softmax_loss(const double *X, size_t n, size_t d, const int32_t *yi,
                     const double *sw, size_t K, double C, const double *theta,
                     double *f, double *grad);

/*
 * Minimize kmc_softmax_loss from theta = 0 with L-BFGS (p->tol is gtol,
 * p->max_iter, p->ftol); theta receives (d + 1) x K values and res the
 * outcome (a fit that does not converge still returns 0).  n >= 1, K >= 2.
 */
int kmc_softmax_fit(const kmc_logreg_params *p, const double *X, size_t n,
                    size_t d, const int32_t *yi, const double *sw, size_t K,
                    double *theta, kmc_lbfgs_result *res, kmc_error *err);

/*
 * Train L2-regularized logistic regression on X (n x d) and labels y.
 * liblinear: one-vs-rest, minimizes 0.5 |w|^2 + C sum_i log(1 +
 * exp(-y_i w.[x_i, 1])) per class (two classes: one problem), the intercept
 * regularized as a feature of value 1 (scikit-learn's intercept_scaling=1);
 * zero features are left out of liblinear's sparse rows, which does not
 * change the problem.  lbfgs: kmc_softmax_fit on the classes in increasing
 * order, also for two classes (scikit-learn's multi_class="multinomial";
 * its default for two classes is the binary model, which equals this one
 * with C doubled).  Fails on fewer than two classes, n = 0, d = 0, bad
 * parameters, NaN or infinity; an lbfgs fit that stops at max_iter is
 * returned (see kmc_logreg_converged).  Free with kmc_logreg_free.
 */
int kmc_logreg_train(const kmc_logreg_params *p, const double *X, size_t n,
                     size_t d, const int32_t *y, kmc_logreg **out,
                     kmc_error *err);

/* Class of each row: the highest decision value (for two classes, the
   larger label when it is positive), ties to the smallest label, as
   scikit-learn's predict.  d must be the training d. */
int kmc_logreg_predict(const kmc_logreg *model, const double *X, size_t n,
                       size_t d, int32_t *pred, kmc_error *err);

/* Decision values w_c . x + b_c of one row for each class in increasing
   label order, into out; for two classes one value, positive for the
   larger label (lbfgs: the larger label's score, as scikit-learn's
   multinomial model reports it; the smaller label's is its negative). */
int kmc_logreg_decision(const kmc_logreg *model, const double *x, size_t d,
                        double *out);

size_t kmc_logreg_n_classes(const kmc_logreg *model);
/* The classes in increasing order (n_classes entries, owned by model). */
const int32_t *kmc_logreg_classes(const kmc_logreg *model);
kmc_solver kmc_logreg_solver(const kmc_logreg *model);

/*
 * The fitted coefficients as scikit-learn's coef_ (rows x d, row-major) and
 * intercept_ (rows): rows = n_classes, or 1 for two classes (liblinear: the
 * one problem's; lbfgs: the larger label's row, as scikit-learn keeps it).
 * Returns rows.
 */
size_t kmc_logreg_coef(const kmc_logreg *model, double *coef,
                       double *intercept);

/* The lbfgs outcome (liblinear: status GTOL, zero counts). */
kmc_lbfgs_result kmc_logreg_lbfgs_result(const kmc_logreg *model);

void kmc_logreg_free(kmc_logreg *model);

/* Train on (Xtr, ytr), predict Xte, return the accuracy against yte. */
int kmc_logreg_accuracy(const kmc_logreg_params *p, const kmc_data *train,
                        const kmc_data *test, double *accuracy, kmc_error *err);

/* ---- K-Means features -----------------------------------------------------
 */

/* How the K-Means step is fitted; the fields mean what km_params's mean. */
typedef struct kmc_kmeans_opts {
    int k;
    int n_init;   /* default 10 (the book's, scikit-learn < 1.4) */
    int max_iter; /* default 300 */
    double tol;   /* default 1e-4 */
    uint64_t seed;
    int n_threads; /* 0 = OpenMP's default */
} kmc_kmeans_opts;

void kmc_kmeans_opts_init(kmc_kmeans_opts *o);

/* km_fit_f64 with these options; labels (n entries) may be NULL. */
int kmc_kmeans_fit(const kmc_kmeans_opts *o, const double *X, size_t n,
                   size_t d, km_model **model, int32_t *labels, kmc_error *err);

/* The n x k distances of X's rows to the model's centers, malloc'ed. */
int kmc_distances(const km_model *model, const double *X, size_t n, size_t d,
                  int n_threads, double **dist, kmc_error *err);

/* A fitted pipeline: K-Means, then logistic regression on the distances. */
typedef struct kmc_pipeline {
    km_model *kmeans;
    kmc_logreg *logreg;
} kmc_pipeline;

/*
 * Fit the pipeline on training rows only: K-Means on train->X, then
 * logistic regression on the n x k distances and train->y.  No other data
 * is passed in, so nothing about a test set can leak into the fit.
 */
int kmc_pipeline_fit(const kmc_kmeans_opts *ko, const kmc_logreg_params *lp,
                     const kmc_data *train, kmc_pipeline *out, kmc_error *err);
int kmc_pipeline_predict(const kmc_pipeline *pl, const double *X, size_t n,
                         size_t d, int n_threads, int32_t *pred,
                         kmc_error *err);
void kmc_pipeline_free(kmc_pipeline *pl);

/* Fit on train, accuracy on test. */
int kmc_pipeline_accuracy(const kmc_kmeans_opts *ko,
                          const kmc_logreg_params *lp, const kmc_data *train,
                          const kmc_data *test, double *accuracy,
                          kmc_error *err);

/*
 * One cell of a cross-validated grid search: the pipeline with k clusters
 * fitted on the rows of data whose fold differs from test_fold, scored on
 * the rows in test_fold.  *correct and *total receive the counts.
 */
int kmc_cv_fold_score(const kmc_kmeans_opts *ko, const kmc_logreg_params *lp,
                      const kmc_data *data, const int *fold, int test_fold,
                      size_t *correct, size_t *total, kmc_error *err);

/* ---- representatives and propagation ------------------------------------ */

/*
 * For each column j of dist (n x k), the row with the smallest distance to
 * center j, over all n rows (the book's np.argmin(X_dist, axis=0); the row
 * closest to a center is nearly always in its cluster, but this does not
 * require it).  Ties go to the lowest row.  rep has k entries.
 */
void kmc_representatives(const double *dist, size_t n, size_t k, size_t *rep);

/*
 * numpy.percentile(v, p) with numpy's default linear interpolation,
 * 0 <= p <= 100, m >= 1.  v is sorted in place.
 */
double kmc_percentile(double *v, size_t m, double p);

/*
 * Give row i the label of its cluster's representative, rep_label[cluster
 * [i]].  With percentile < 100, only the rows whose distance to their own
 * center (own_dist[i]) is at most the percentile-th percentile of their
 * cluster's distances keep it (the book's partial propagation); the others
 * get kept[i] = false.  percentile = 100 keeps every row (the 100th
 * percentile is the largest distance).  Returns the
 * number kept, or (size_t)-1 when memory runs out.
 */
size_t kmc_propagate(const int32_t *cluster, const double *own_dist, size_t n,
                     size_t k, const int32_t *rep_label, double percentile,
                     int32_t *label, bool *kept);

/* ---- the book's semi-supervised experiment ------------------------------ */

typedef struct kmc_semi_result {
    double random;                 /* logistic regression on n random rows */
    double representative;         /* on the n representatives */
    double propagated;             /* on every row, propagated labels */
    double partial;                /* on the closest P%, propagated labels */
    double propagated_accuracy;    /* propagated labels equal to the truth */
    double partial_label_accuracy; /* the same on the closest P% */
    size_t n_partial;              /* rows kept by partial propagation */
} kmc_semi_result;

/*
 * On labeled training and test data, with the true labels standing in for
 * a person: ko->k = n labeled rows; random = the first ko->k rows of
 * kmc_permutation(train->n, ko->seed); K-Means with ko->k clusters, the
 * representatives labeled with their true labels, then propagated.  Each
 * classifier is scored on test.  Fails when a training set has one class.
 */
int kmc_semisupervised(const kmc_kmeans_opts *ko, const kmc_logreg_params *lp,
                       const kmc_data *train, const kmc_data *test,
                       double percentile, kmc_semi_result *res, kmc_error *err);

#endif
