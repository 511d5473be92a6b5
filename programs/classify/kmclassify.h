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

/* ---- logistic regression (liblinear) ----------------------------------- */

typedef struct kmc_logreg_params {
    double C;   /* inverse regularization strength, > 0; default 1 */
    double tol; /* liblinear's eps, > 0; default 1e-4 (scikit-learn's) */
} kmc_logreg_params;

void kmc_logreg_params_init(kmc_logreg_params *p);

typedef struct kmc_logreg kmc_logreg;

/*
 * Train one-vs-rest L2-regularized logistic regression on X (n x d) and
 * labels y: minimizes 0.5 |w|^2 + C sum_i log(1 + exp(-y_i w.[x_i, 1]))
 * per class (two classes: one problem), the intercept regularized as a
 * feature of value 1 (scikit-learn's intercept_scaling=1).  Zero features
 * are left out of liblinear's sparse rows, which does not change the
 * problem.  Fails on fewer than two classes, n = 0, d = 0, bad parameters,
 * NaN or infinity.  Free with kmc_logreg_free.
 */
int kmc_logreg_train(const kmc_logreg_params *p, const double *X, size_t n,
                     size_t d, const int32_t *y, kmc_logreg **out,
                     kmc_error *err);

/* Class of each row: the highest decision value (for two classes, the
   larger label when it is positive), ties to the smallest label, as
   scikit-learn's predict.  d must be the training d. */
int kmc_logreg_predict(const kmc_logreg *model, const double *X, size_t n,
                       size_t d, int32_t *pred, kmc_error *err);

/* Decision values w_c . [x, 1] of one row for each class in increasing
   label order (one value for two classes), into out. */
int kmc_logreg_decision(const kmc_logreg *model, const double *x, size_t d,
                        double *out);

size_t kmc_logreg_n_classes(const kmc_logreg *model);
/* The classes in increasing order (n_classes entries, owned by model). */
const int32_t *kmc_logreg_classes(const kmc_logreg *model);

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
