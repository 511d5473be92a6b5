/*
 * cmd_classify.c - clustering for classification (chapter 9 of Geron's
 * "Hands-On Machine Learning"): `kmeans classify` (K-Means distances as
 * features for logistic regression, with a cross-validated grid search over
 * k), `kmeans representatives` (the row closest to each center, for a
 * person to label), `kmeans propagate` (each cluster takes its
 * representative's label) and `kmeans semisupervised` (the book's whole
 * experiment, the true labels standing in for a person), plus the digits
 * steps of `kmeans demo`.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#include <unistd.h>

#include "cli.h"
#include "kmclassify.h"
#include "kmplot.h"

enum {
    OPT_TRAIN = 1,
    OPT_TEST,
    OPT_LABEL_COLUMN,
    OPT_LABEL_FILE,
    OPT_TRAIN_LABELS,
    OPT_TEST_LABELS,
    OPT_TEST_SIZE,
    OPT_SEED,
    OPT_CLUSTERS,
    OPT_CV,
    OPT_N_INIT,
    OPT_MAX_ITER,
    OPT_C,
    OPT_TOL,
    OPT_SOLVER,
    OPT_LOGREG_MAX_ITER,
    OPT_THREADS,
    OPT_JSON,
    OPT_PLOT,
    OPT_OUTPUT,
    OPT_MODEL,
    OPT_IMAGE,
    OPT_LABELS,
    OPT_PERCENTILE,
    OPT_LABELED,
    OPT_UNLABELED
};

#define HELP_TRAIN                                                             \
    {                                                                          \
        OPT_TRAIN, "train", 0, "FILE",                                         \
            "training rows with their label column, instead of DATA (needs "   \
            "--test)"                                                          \
    }
#define HELP_TEST                                                              \
    {                                                                          \
        OPT_TEST, "test", 0, "FILE",                                           \
            "test rows with their label column (with --train)"                 \
    }
#define HELP_LABEL_COLUMN                                                      \
    {                                                                          \
        OPT_LABEL_COLUMN, "label-column", 0, "N|last|none",                    \
            "which column holds the integer labels, 1-based (default last; "   \
            "none: "                                                           \
            "no label column)"                                                 \
    }
#define HELP_LABEL_FILE                                                        \
    {                                                                          \
        OPT_LABEL_FILE, "label-file", 0, "FILE",                               \
            "the labels of DATA in a file of their own, one a row (then DATA " \
            "has "                                                             \
            "no label column unless --label-column says so)"                   \
    }
#define HELP_TRAIN_LABELS                                                      \
    {                                                                          \
        OPT_TRAIN_LABELS, "train-labels", 0, "FILE",                           \
            "the labels of --train in a file of their own"                     \
    }
#define HELP_TEST_LABELS                                                       \
    {                                                                          \
        OPT_TEST_LABELS, "test-labels", 0, "FILE",                             \
            "the labels of --test in a file of their own"                      \
    }
#define HELP_TEST_SIZE                                                         \
    {                                                                          \
        OPT_TEST_SIZE, "test-size", 0, "X",                                    \
            "test part of DATA: a fraction in (0, 1) or a row count (default " \
            "0.25)"                                                            \
    }
#define HELP_SEED                                                              \
    {                                                                          \
        OPT_SEED, "seed", 0, "N",                                              \
            "seeds the split, the random labeled rows and K-Means (default 0)" \
    }
#define HELP_N_INIT                                                            \
    {                                                                          \
        OPT_N_INIT, "n-init", 0, "N",                                          \
            "K-Means runs per fit, the best kept (default 10, the book's)"     \
    }
#define HELP_MAX_ITER                                                          \
    {                                                                          \
        OPT_MAX_ITER, "max-iter", 0, "N",                                      \
            "K-Means iterations per run (default 300)"                         \
    }
#define HELP_C                                                                 \
    {                                                                          \
        OPT_C, "C", 0, "X",                                                    \
            "logistic regression: inverse regularization strength (default 1)" \
    }
#define HELP_TOL                                                               \
    {                                                                          \
        OPT_TOL, "tol", 0, "X",                                                \
            "logistic regression: stopping tolerance, liblinear's eps or "     \
            "lbfgs's largest gradient entry (default 1e-4)"                    \
    }
#define HELP_SOLVER                                                            \
    {                                                                          \
        OPT_SOLVER, "solver", 0, "liblinear|lbfgs",                            \
            "logistic regression: liblinear (one-vs-rest, intercept "          \
            "regularized) or lbfgs (multinomial, intercept not regularized, "  \
            "scikit-learn's default) (default liblinear)"                      \
    }
#define HELP_LOGREG_MAX_ITER                                                   \
    {                                                                          \
        OPT_LOGREG_MAX_ITER, "logreg-max-iter", 0, "N",                        \
            "lbfgs: iterations per fit, a warning when reached (default 100, " \
            "scikit-learn's; the book uses 10000)"                             \
    }
#define HELP_THREADS                                                           \
    {                                                                          \
        OPT_THREADS, "threads", 0, "N",                                        \
            "threads to use, 0 = all cores (default 0)"                        \
    }

static const cli_option classify_options[] = {
    HELP_TRAIN,
    HELP_TEST,
    HELP_LABEL_COLUMN,
    HELP_LABEL_FILE,
    HELP_TRAIN_LABELS,
    HELP_TEST_LABELS,
    HELP_TEST_SIZE,
    HELP_SEED,
    {OPT_CLUSTERS, "clusters", 'k', "K|A:B[:S]",
     "clusters of the K-Means features: one k, or every k from A to B (step "
     "S) for a grid search (default 50)"},
    {OPT_CV, "cv", 0, "F",
     "folds of the stratified cross-validation over k (default 3 for a "
     "range, none for one k)"},
    HELP_N_INIT,
    HELP_MAX_ITER,
    HELP_SOLVER,
    HELP_C,
    HELP_TOL,
    HELP_LOGREG_MAX_ITER,
    HELP_THREADS,
    {OPT_PLOT, "plot", 0, "FILE",
     "draw the cross-validation accuracy against k (PNG; default: none)"},
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: baseline_accuracy, pipeline_accuracy, and for a "
     "grid search best_k, test_accuracy, cv_scores"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option representatives_options[] = {
    {OPT_CLUSTERS, "clusters", 'k', "K",
     "number of clusters, one representative each (default 50)"},
    HELP_LABEL_COLUMN,
    {OPT_SEED, "seed", 0, "N", "seeds K-Means (default 0)"},
    HELP_N_INIT,
    HELP_MAX_ITER,
    HELP_THREADS,
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write k rows: cluster, row index (0-based), then the row's features; "
     ".csv or .npy (default: CSV on stdout)"},
    {OPT_MODEL, "model", 0, "FILE",
     "save the K-Means model, for 'kmeans propagate' (default: none)"},
    {OPT_IMAGE, "image", 0, "HxW",
     "the features are an H x W gray image; with --plot, draw the "
     "representatives (default: none)"},
    {OPT_PLOT, "plot", 0, "FILE",
     "draw the representatives as a grid of thumbnails with their row "
     "indices (PNG; needs --image; default: none)"},
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: n_samples, n_clusters, inertia, "
     "representatives"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option propagate_options[] = {
    {OPT_MODEL, "model", 0, "FILE",
     "the K-Means model the representatives came from (required)"},
    {OPT_LABELS, "labels", 0, "FILE",
     "the label of each cluster's representative, k integers in cluster "
     "order (required)"},
    {OPT_PERCENTILE, "percentile", 0, "P",
     "label only the P% of each cluster closest to its center, 0 < P <= 100 "
     "(default 100: every row)"},
    {OPT_UNLABELED, "unlabeled", 0, "V",
     "the label written for rows left unlabeled (default -1)"},
    {OPT_LABEL_COLUMN, "label-column", 0, "N|last|none|auto",
     "a column of true labels in DATA, used only to report how many "
     "propagated labels are right (default auto: the last column when DATA "
     "has one more column than the model has features)"},
    HELP_THREADS,
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write one label per row, .csv or .npy (default: one per line on "
     "stdout)"},
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: n_samples, n_labeled, n_unlabeled, "
     "label_accuracy (with true labels), labels (without -o)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option semisupervised_options[] = {
    HELP_TRAIN,
    HELP_TEST,
    HELP_LABEL_COLUMN,
    HELP_LABEL_FILE,
    HELP_TRAIN_LABELS,
    HELP_TEST_LABELS,
    HELP_TEST_SIZE,
    HELP_SEED,
    {OPT_LABELED, "labeled", 0, "N",
     "labels a person would give: N random rows against N representatives "
     "of N clusters (default 50)"},
    {OPT_PERCENTILE, "percentile", 0, "P",
     "partial propagation: the P% of each cluster closest to its center "
     "(default 20)"},
    HELP_N_INIT,
    HELP_MAX_ITER,
    HELP_SOLVER,
    HELP_C,
    HELP_TOL,
    HELP_LOGREG_MAX_ITER,
    HELP_THREADS,
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: random, representative, propagated, partial, "
     "partial_label_accuracy"},
    {0, NULL, 0, NULL, NULL},
};

/* Label column values beyond the column numbers. */
enum { LABEL_AUTO = -2 };

typedef struct cls_args {
    const char *data, *train, *test, *label_file, *train_labels, *test_labels,
        *plot, *output, *model, *labels;
    int label_column;
    bool label_column_set;
    double test_size;
    uint64_t seed;
    int *ks;
    size_t n_ks;
    int cv;
    int n_init, max_iter, threads;
    kmc_logreg_params lr;
    bool json;
    int image_h, image_w;
    double percentile;
    bool percentile_set;
    int labeled;
    int unlabeled;
} cls_args;

static void args_free(cls_args *a)
{
    free(a->ks);
    a->ks = NULL;
}

/* "50", "2:100" or "2:100:2" into a->ks. */
static bool parse_ks(const cli_command *cmd, int id, const char *text,
                     cls_args *a)
{
    char part[3][32], label[80];
    int v[3] = {0, 0, 1}, n_parts = 0;
    const char *p = text;

    cli_option_label(cmd, id, label, sizeof label);
    while (n_parts < 3) {
        size_t len = strcspn(p, ":");
        if (len == 0 || len >= sizeof part[0])
            goto bad;
        memcpy(part[n_parts], p, len);
        part[n_parts][len] = '\0';
        n_parts++;
        p += len;
        if (*p == '\0')
            break;
        p++;
    }
    if (*p != '\0')
        goto bad;
    for (int i = 0; i < n_parts; i++) {
        if (!cli_parse_int(cmd, id, part[i], 1, INT_MAX, &v[i]))
            return false;
    }
    if (n_parts == 1)
        v[1] = v[0];
    if (v[1] < v[0]) {
        cli_error(cmd, "%s: the range %s is empty (%d > %d)", label, text, v[0],
                  v[1]);
        return false;
    }
    free(a->ks);
    a->n_ks = (size_t)((v[1] - v[0]) / v[2]) + 1;
    a->ks = malloc(a->n_ks * sizeof *a->ks);
    if (a->ks == NULL) {
        cli_error(cmd, "out of memory");
        return false;
    }
    for (size_t i = 0; i < a->n_ks; i++)
        a->ks[i] = v[0] + (int)i * v[2];
    return true;
bad:
    cli_error(cmd, "%s: '%s' is not K, A:B or A:B:STEP", label, text);
    return false;
}

static bool parse_label_column(const cli_command *cmd, int id, const char *text,
                               bool allow_auto, int *out)
{
    if (strcmp(text, "last") == 0) {
        *out = KMC_LABEL_LAST;
        return true;
    }
    if (strcmp(text, "none") == 0) {
        *out = KMC_LABEL_NONE;
        return true;
    }
    if (allow_auto && strcmp(text, "auto") == 0) {
        *out = LABEL_AUTO;
        return true;
    }
    if (text[0] >= '0' && text[0] <= '9')
        return cli_parse_int(cmd, id, text, 1, INT_MAX, out);
    cli_error(cmd,
              "--label-column: '%s' is not a column number, 'last'%s or "
              "'none'",
              text, allow_auto ? ", 'auto'" : "");
    return false;
}

static int cls_arg(const cli_command *cmd, void *user, int id,
                   const char *value)
{
    cls_args *a = user;

    if (id == CLI_OPT_POSITIONAL)
        return cli_take_one(cmd, &a->data, value, "DATA file");
    switch (id) {
    case OPT_TRAIN:
        a->train = value;
        break;
    case OPT_TEST:
        a->test = value;
        break;
    case OPT_LABEL_COLUMN:
        if (!parse_label_column(cmd, id, value,
                                cmd->options == propagate_options,
                                &a->label_column))
            return CLI_EXIT_USAGE;
        a->label_column_set = true;
        break;
    case OPT_LABEL_FILE:
        a->label_file = value;
        break;
    case OPT_TRAIN_LABELS:
        a->train_labels = value;
        break;
    case OPT_TEST_LABELS:
        a->test_labels = value;
        break;
    case OPT_TEST_SIZE:
        if (!cli_parse_double(cmd, id, value, &a->test_size))
            return CLI_EXIT_USAGE;
        if (!(a->test_size > 0.0))
            return cli_usage(cmd, "--test-size must be positive (got %s)",
                             value);
        break;
    case OPT_SEED:
        if (!cli_parse_u64(cmd, id, value, &a->seed))
            return CLI_EXIT_USAGE;
        break;
    case OPT_CLUSTERS:
        if (cmd->options == classify_options) {
            if (!parse_ks(cmd, id, value, a))
                return CLI_EXIT_USAGE;
        } else if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &a->ks[0]))
            return CLI_EXIT_USAGE;
        break;
    case OPT_CV:
        if (!cli_parse_int(cmd, id, value, 2, INT_MAX, &a->cv))
            return CLI_EXIT_USAGE;
        break;
    case OPT_N_INIT:
        if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &a->n_init))
            return CLI_EXIT_USAGE;
        break;
    case OPT_MAX_ITER:
        if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &a->max_iter))
            return CLI_EXIT_USAGE;
        break;
    case OPT_C:
        if (!cli_parse_double(cmd, id, value, &a->lr.C))
            return CLI_EXIT_USAGE;
        if (!(a->lr.C > 0.0))
            return cli_usage(cmd, "--C must be positive (got %s)", value);
        break;
    case OPT_TOL:
        if (!cli_parse_double(cmd, id, value, &a->lr.tol))
            return CLI_EXIT_USAGE;
        if (!(a->lr.tol > 0.0))
            return cli_usage(cmd, "--tol must be positive (got %s)", value);
        break;
    case OPT_SOLVER:
        if (strcmp(value, "liblinear") == 0)
            a->lr.solver = KMC_SOLVER_LIBLINEAR;
        else if (strcmp(value, "lbfgs") == 0)
            a->lr.solver = KMC_SOLVER_LBFGS;
        else
            return cli_usage(cmd, "--solver: '%s' is not liblinear or lbfgs",
                             value);
        break;
    case OPT_LOGREG_MAX_ITER:
        if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &a->lr.max_iter))
            return CLI_EXIT_USAGE;
        break;
    case OPT_THREADS:
        if (!cli_parse_int(cmd, id, value, 0, INT_MAX, &a->threads))
            return CLI_EXIT_USAGE;
        break;
    case OPT_JSON:
        a->json = true;
        break;
    case OPT_PLOT:
        a->plot = value;
        break;
    case OPT_OUTPUT:
        a->output = value;
        break;
    case OPT_MODEL:
        a->model = value;
        break;
    case OPT_IMAGE: {
        char *end;
        long h, w;
        errno = 0;
        h = strtol(value, &end, 10);
        if (end == value || (*end != 'x' && *end != 'X'))
            return cli_usage(cmd, "--image: '%s' is not HxW (e.g. 8x8)", value);
        w = strtol(end + 1, &end, 10);
        if (*end != '\0' || errno != 0 || h < 1 || w < 1 || h > 4096 ||
            w > 4096)
            return cli_usage(cmd,
                             "--image: '%s' is not HxW with H and W "
                             "from 1 to 4096",
                             value);
        a->image_h = (int)h;
        a->image_w = (int)w;
        break;
    }
    case OPT_LABELS:
        a->labels = value;
        break;
    case OPT_PERCENTILE:
        if (!cli_parse_double(cmd, id, value, &a->percentile))
            return CLI_EXIT_USAGE;
        if (!(a->percentile > 0.0 && a->percentile <= 100.0))
            return cli_usage(cmd,
                             "--percentile must be above 0 and at most "
                             "100 (got %s)",
                             value);
        a->percentile_set = true;
        break;
    case OPT_LABELED:
        if (!cli_parse_int(cmd, id, value, 2, INT_MAX, &a->labeled))
            return CLI_EXIT_USAGE;
        break;
    case OPT_UNLABELED:
        if (!cli_parse_int(cmd, id, value, INT_MIN, INT_MAX, &a->unlabeled))
            return CLI_EXIT_USAGE;
        break;
    }
    return CLI_EXIT_OK;
}

static int parse_args(const cli_command *cmd, int argc, char **argv,
                      cls_args *a, bool *help)
{
    return cli_parse_args(cmd, argc, argv, NULL, cls_arg, a, help);
}

static void args_defaults(cls_args *a)
{
    memset(a, 0, sizeof *a);
    a->label_column = KMC_LABEL_LAST;
    a->test_size = 0.25;
    a->n_init = 10;
    a->max_iter = 300;
    a->labeled = 50;
    a->unlabeled = -1;
    a->percentile = 100.0;
    kmc_logreg_params_init(&a->lr);
}

static void kmeans_opts(const cls_args *a, int k, kmc_kmeans_opts *o)
{
    kmc_kmeans_opts_init(o);
    o->k = k;
    o->n_init = a->n_init;
    o->max_iter = a->max_iter;
    o->seed = a->seed;
    o->n_threads = a->threads;
}

/* Every logistic regression of a command counts itself in stats; lbfgs
   fits that stopped before converging become one warning (on stderr, and
   in the JSON "warnings"), as scikit-learn's ConvergenceWarning. */
static json_t *logreg_warnings(const cls_args *a, kmc_logreg_stats *st)
{
    json_t *arr = json_array();
    long n = atomic_load(&st->n_fits), n_iter = atomic_load(&st->n_max_iter),
         n_ls = atomic_load(&st->n_linesearch);
    char msg[320];

    if (n_iter > 0) {
        snprintf(msg, sizeof msg,
                 "lbfgs stopped before converging in %ld of %ld logistic "
                 "regression fits (at --logreg-max-iter %d, or at 15000 "
                 "evaluations as scipy); increase --logreg-max-iter or "
                 "scale the features",
                 n_iter, n, a->lr.max_iter);
        cli_warning("%s", msg);
        json_array_append_new(arr, json_string(msg));
    }
    if (n_ls > 0) {
        snprintf(msg, sizeof msg,
                 "lbfgs: the line search found no decrease before --tol "
                 "%g was reached in %ld of %ld logistic regression fits "
                 "(rounding; the fit is kept)",
                 a->lr.tol, n_ls, n);
        cli_warning("%s", msg);
        json_array_append_new(arr, json_string(msg));
    }
    return arr;
}

static void json_logreg(json_t *o, const cls_args *a, kmc_logreg_stats *st,
                        json_t *warnings)
{
    cli_json_set(o, "solver", json_string(kmc_solver_name(a->lr.solver)));
    cli_json_set(o, "C", json_real(a->lr.C));
    cli_json_set(o, "tol", json_real(a->lr.tol));
    if (a->lr.solver == KMC_SOLVER_LBFGS) {
        cli_json_set(o, "logreg_max_iter", json_integer(a->lr.max_iter));
        cli_json_set(o, "logreg_fits",
                     json_integer((json_int_t)atomic_load(&st->n_fits)));
        cli_json_set(
            o, "logreg_not_converged",
            json_integer((json_int_t)(atomic_load(&st->n_max_iter) +
                                      atomic_load(&st->n_linesearch))));
        cli_json_set(o, "logreg_max_n_iter",
                     json_integer((json_int_t)atomic_load(&st->max_n_iter)));
    }
    cli_json_set(o, "warnings", json_incref(warnings));
}

/* ---- reading labeled data --------------------------------------------------
 */

/* A features file with its labels: a label column, or a labels file. */
static int read_labeled(const cli_command *cmd, const char *path,
                        const char *labels_path, int label_column,
                        bool column_set, bool need_labels, kmc_data *out)
{
    kmio_matrix m, lm;
    kmc_error err;
    int rc;

    memset(&m, 0, sizeof m);
    memset(&lm, 0, sizeof lm);
    memset(out, 0, sizeof *out);
    if (labels_path != NULL && !column_set)
        label_column = KMC_LABEL_NONE;
    if (labels_path != NULL && label_column != KMC_LABEL_NONE)
        return cli_usage(cmd,
                         "%s: labels come from %s; --label-column must "
                         "be none",
                         cli_display_name(path), cli_display_name(labels_path));
    rc = cli_read_matrix(cmd, path, KMIO_WANT_F64, &m);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (kmc_data_from_matrix(&m, label_column, cli_display_name(path), out,
                             &err) != 0) {
        kmio_matrix_free(&m);
        return cli_usage(cmd, "%s", err.msg);
    }
    kmio_matrix_free(&m);
    if (labels_path != NULL) {
        rc = cli_read_matrix(cmd, labels_path, KMIO_WANT_F64, &lm);
        if (rc != CLI_EXIT_OK) {
            kmc_data_free(out);
            return rc;
        }
        if (kmc_labels_from_matrix(&lm, out->n, cli_display_name(labels_path),
                                   &out->y, &err) != 0) {
            kmio_matrix_free(&lm);
            kmc_data_free(out);
            return cli_usage(cmd, "%s", err.msg);
        }
        kmio_matrix_free(&lm);
    }
    if (need_labels && out->y == NULL) {
        kmc_data_free(out);
        return cli_usage(cmd,
                         "%s: no labels (give --label-column or a "
                         "labels file)",
                         cli_display_name(path));
    }
    return CLI_EXIT_OK;
}

/* Training and test parts: DATA split by --test-size and --seed, or
   --train and --test. */
typedef struct split_data {
    kmc_data train, test;
    size_t n_total;
    bool was_split;
} split_data;

static int read_split(const cli_command *cmd, const cls_args *a, split_data *s)
{
    kmc_error err;
    int rc;

    memset(s, 0, sizeof *s);
    if (a->data != NULL && (a->train != NULL || a->test != NULL))
        return cli_usage(cmd, "give either DATA or --train and --test, not "
                              "both");
    if (a->data == NULL) {
        if (a->train == NULL || a->test == NULL)
            return cli_usage(cmd,
                             "missing DATA, or --train FILE and --test "
                             "FILE (see 'kmeans help %s')",
                             cmd->name);
        if (a->label_file != NULL)
            return cli_usage(cmd, "--label-file goes with DATA; use "
                                  "--train-labels and --test-labels");
        rc = read_labeled(cmd, a->train, a->train_labels, a->label_column,
                          a->label_column_set, true, &s->train);
        if (rc == CLI_EXIT_OK)
            rc = read_labeled(cmd, a->test, a->test_labels, a->label_column,
                              a->label_column_set, true, &s->test);
        if (rc != CLI_EXIT_OK)
            return rc;
        if (s->train.d != s->test.d)
            return cli_usage(cmd,
                             "%s has %zu features but %s has %zu (same "
                             "columns expected)",
                             cli_display_name(a->train), s->train.d,
                             cli_display_name(a->test), s->test.d);
        s->n_total = s->train.n + s->test.n;
    } else {
        kmc_data all;
        size_t *tr, *te, ntr, nte;

        if (a->train_labels != NULL || a->test_labels != NULL)
            return cli_usage(cmd, "--train-labels and --test-labels go with "
                                  "--train and --test; use --label-file");
        rc = read_labeled(cmd, a->data, a->label_file, a->label_column,
                          a->label_column_set, true, &all);
        if (rc != CLI_EXIT_OK)
            return rc;
        tr = malloc(all.n * sizeof *tr);
        te = malloc(all.n * sizeof *te);
        if (tr == NULL || te == NULL) {
            free(tr);
            free(te);
            kmc_data_free(&all);
            cli_error(cmd, "out of memory");
            return CLI_EXIT_FAIL;
        }
        if (kmc_train_test_split(all.n, a->test_size, a->seed, tr, &ntr, te,
                                 &nte, &err) != 0) {
            rc = cli_usage(cmd, "%s: %s", cli_display_name(a->data), err.msg);
        } else if (kmc_data_subset(&all, tr, ntr, &s->train, &err) != 0 ||
                   kmc_data_subset(&all, te, nte, &s->test, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
        }
        s->n_total = all.n;
        s->was_split = true;
        free(tr);
        free(te);
        kmc_data_free(&all);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    {
        int32_t *classes = NULL;
        size_t nc = kmc_classes(s->train.y, s->train.n, &classes);
        if (nc == 1) {
            rc = cli_usage(cmd,
                           "%s: every training label is %d; a classifier "
                           "needs at least two classes",
                           cli_display_name(a->data ? a->data : a->train),
                           (int)classes[0]);
            free(classes);
            return rc;
        }
        free(classes);
    }
    return CLI_EXIT_OK;
}

static void split_free(split_data *s)
{
    kmc_data_free(&s->train);
    kmc_data_free(&s->test);
}

static void describe_split(const cls_args *a, const split_data *s)
{
    size_t nc = kmc_classes(s->train.y, s->train.n, NULL);

    if (s->was_split)
        printf("%s: %zu rows, %zu features, %zu classes in the training "
               "part;\n  split at random (seed %llu) into %zu training and "
               "%zu test rows\n",
               cli_display_name(a->data), s->n_total, s->train.d, nc,
               (unsigned long long)a->seed, s->train.n, s->test.n);
    else
        printf("%s: %zu training rows, %zu features, %zu classes; %s: %zu "
               "test rows\n",
               cli_display_name(a->train), s->train.n, s->train.d, nc,
               cli_display_name(a->test), s->test.n);
}

/* ---- classify --------------------------------------------------------------
 */

typedef struct grid_result {
    double *mean, *std, *fold_acc; /* n_ks, n_ks, n_ks * cv */
    size_t best;                   /* index into ks */
    size_t n_ties;                 /* other ks with the best mean */
    int *ties;
} grid_result;

static void grid_free(grid_result *g)
{
    free(g->mean);
    free(g->std);
    free(g->fold_acc);
    free(g->ties);
}

/*
 * Stratified F-fold cross-validation of the pipeline for every k.  Each
 * (k, fold) cell is independent, so the cells run in parallel, one thread
 * each (K-Means single-threaded inside), largest k first so the long cells
 * do not finish last; every cell writes its own slot, so the scores do not
 * depend on the thread count.
 */
static int grid_search(const cli_command *cmd, const cls_args *a,
                       const kmc_data *train, grid_result *g)
{
    size_t F = (size_t)a->cv, n_cells = a->n_ks * F, min_class;
    int *fold = malloc(train->n * sizeof *fold);
    kmc_error *errs = NULL;
    int *failed = NULL, rc = CLI_EXIT_OK;
    kmc_error err;
    cli_progress pg;
    int64_t n_done = 0;
    int n_threads = a->threads > 0 ? a->threads : omp_get_max_threads();

    memset(g, 0, sizeof *g);
    g->mean = calloc(a->n_ks, sizeof *g->mean);
    g->std = calloc(a->n_ks, sizeof *g->std);
    g->fold_acc = calloc(n_cells, sizeof *g->fold_acc);
    g->ties = calloc(a->n_ks, sizeof *g->ties);
    errs = calloc(n_cells, sizeof *errs);
    failed = calloc(n_cells, sizeof *failed);
    if (!fold || !g->mean || !g->std || !g->fold_acc || !g->ties || !errs ||
        !failed) {
        cli_error(cmd, "out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (kmc_stratified_folds(train->y, train->n, a->cv, fold, &min_class,
                             &err) != 0) {
        rc = cli_usage(cmd, "%s", err.msg);
        goto done;
    }
    if (min_class < F)
        cli_warning("the smallest class has %zu training rows, fewer than "
                    "the %d folds: some folds lack it",
                    min_class, a->cv);

    cli_progress_start(&pg, "grid search", (int64_t)n_cells, "k");
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (size_t c = 0; c < n_cells; c++) {
        size_t cell = n_cells - 1 - c; /* largest k first */
        size_t ki = cell / F, f = cell % F, correct = 0, total = 0;
        kmc_kmeans_opts ko;
        kmeans_opts(a, a->ks[ki], &ko);
        ko.n_threads = 1;
        if (kmc_cv_fold_score(&ko, &a->lr, train, fold, (int)f, &correct,
                              &total, &errs[cell]) != 0)
            failed[cell] = 1;
        else
            g->fold_acc[cell] = (double)correct / (double)total;
#pragma omp critical(cls_progress)
        cli_progress_update(&pg, ++n_done, (double)a->ks[ki]);
    }
    cli_progress_end(&pg);

    for (size_t cell = 0; cell < n_cells; cell++) {
        if (failed[cell]) {
            cli_error(cmd, "k = %d, fold %zu: %s", a->ks[cell / F],
                      cell % F + 1, errs[cell].msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    /* The mean over folds in fold order; ties (means within 1e-12, which
       only rounding separates) go to the smallest k, as GridSearchCV's
       ranking picks the first of equal candidates. */
    for (size_t ki = 0; ki < a->n_ks; ki++) {
        double s = 0.0, v = 0.0;
        for (size_t f = 0; f < F; f++)
            s += g->fold_acc[ki * F + f];
        g->mean[ki] = s / (double)F;
        for (size_t f = 0; f < F; f++) {
            double e = g->fold_acc[ki * F + f] - g->mean[ki];
            v += e * e;
        }
        g->std[ki] = sqrt(v / (double)F);
        if (g->mean[ki] > g->mean[g->best] + 1e-12)
            g->best = ki;
    }
    for (size_t ki = g->best + 1; ki < a->n_ks; ki++) {
        if (fabs(g->mean[ki] - g->mean[g->best]) <= 1e-12)
            g->ties[g->n_ties++] = a->ks[ki];
    }

done:
    free(fold);
    free(errs);
    free(failed);
    return rc;
}

/* CV accuracy against k: the mean over folds with each fold's score behind
   it, the chosen k marked. */
static int plot_grid(const cli_command *cmd, const cls_args *a,
                     const grid_result *g)
{
    size_t F = (size_t)a->cv, n = a->n_ks;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    kmplot_figure *fig = kmplot_figure_new(800, 500, 1, 1);
    kmplot_panel *p;
    kmplot_style st;
    kmio_error err;
    char text[96], title[128];
    int rc = CLI_EXIT_OK;

    if (x == NULL || y == NULL || fig == NULL) {
        cli_error(cmd, "out of memory for the plot");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    p = kmplot_panel_at(fig, 0, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = a->ks[i];
    for (size_t f = 0; f < F; f++) {
        for (size_t i = 0; i < n; i++)
            y[i] = g->fold_acc[i * F + f];
        st = kmplot_style_default(0);
        st.color = kmplot_alpha(kmplot_tab10(0), 0.3);
        st.line_width = 1.0;
        st.label = f == 0 ? "each fold" : NULL;
        kmplot_series(p, x, y, n, &st);
    }
    st = kmplot_style_default(0);
    st.line_width = 2.0;
    st.marker = n <= 40 ? KMPLOT_MARKER_CIRCLE : KMPLOT_MARKER_NONE;
    st.marker_size = 5;
    st.label = "mean over folds";
    kmplot_series(p, x, g->mean, n, &st);
    snprintf(text, sizeof text, "best k = %d (%.4f)", a->ks[g->best],
             g->mean[g->best]);
    kmplot_vline(p, x[g->best], KMPLOT_RED, 1.0, KMPLOT_DASHED, text);
    kmplot_integer_ticks(p, true, false);
    kmplot_grid(p, true);
    kmplot_xlabel(p, "k (clusters of the K-Means features)");
    kmplot_ylabel(p, "cross-validation accuracy");
    snprintf(title, sizeof title,
             "%d-fold stratified cross-validation of K-Means + logistic "
             "regression",
             a->cv);
    kmplot_title(p, title);
    kmplot_legend(p, KMPLOT_LOWER_RIGHT);
    memset(&err, 0, sizeof err);
    if (kmplot_save(fig, a->plot, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
    }
done:
    kmplot_figure_free(fig);
    free(x);
    free(y);
    return rc;
}

static json_t *json_accuracy_list(const double *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_real(v[i]));
    return arr;
}

static int run_classify(const cli_command *cmd, int argc, char **argv)
{
    cls_args a;
    split_data s;
    grid_result g;
    kmc_kmeans_opts ko;
    kmc_logreg_stats st;
    json_t *warnings = NULL;
    kmc_error err;
    double base_acc = 0.0, pipe_acc = 0.0, t0 = cli_now();
    bool help, grid;
    int rc, k;

    args_defaults(&a);
    memset(&s, 0, sizeof s);
    memset(&g, 0, sizeof g);
    a.ks = malloc(sizeof *a.ks);
    if (a.ks == NULL)
        return CLI_EXIT_FAIL;
    a.ks[0] = 50;
    a.n_ks = 1;
    rc = parse_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    kmc_logreg_stats_init(&st);
    a.lr.stats = &st;
    grid = a.n_ks > 1 || a.cv > 0;
    if (grid && a.cv == 0)
        a.cv = 3;
    if (a.plot != NULL && !grid) {
        rc = cli_usage(cmd, "--plot draws a grid search: give a range of k "
                            "(-k A:B) or --cv");
        goto done;
    }
    rc = read_split(cmd, &a, &s);
    if (rc != CLI_EXIT_OK)
        goto done;
    {
        /* The smallest training part of a cross-validation fit. */
        size_t F = a.cv > 0 ? (size_t)a.cv : 1,
               fit_rows =
                   grid ? s.train.n - (s.train.n + F - 1) / F : s.train.n;
        int k_max = a.ks[a.n_ks - 1];
        if ((size_t)k_max > s.train.n) {
            rc = cli_usage(cmd, "-k %d is more than the %zu training rows",
                           k_max, s.train.n);
            goto done;
        }
        if ((size_t)k_max > fit_rows) {
            rc = cli_usage(cmd,
                           "-k %d is more than the %zu rows of a "
                           "cross-validation fit (%zu folds)",
                           k_max, fit_rows, F);
            goto done;
        }
    }
    if (!a.json)
        describe_split(&a, &s);

    /* The baseline: logistic regression on the features themselves. */
    if (kmc_logreg_accuracy(&a.lr, &s.train, &s.test, &base_acc, &err) != 0) {
        cli_error(cmd, "baseline: %s", err.msg);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (!a.json)
        printf("logistic regression (%s) on the %zu features: test accuracy "
               "%.4f\n",
               kmc_solver_name(a.lr.solver), s.train.d, base_acc);

    if (grid) {
        if (!a.json)
            printf("grid search over k = %d..%d (%zu values), %d-fold "
                   "stratified cross-validation\n  on the training rows "
                   "(%zu fits of K-Means + logistic regression)\n",
                   a.ks[0], a.ks[a.n_ks - 1], a.n_ks, a.cv,
                   a.n_ks * (size_t)a.cv);
        rc = grid_search(cmd, &a, &s.train, &g);
        if (rc != CLI_EXIT_OK)
            goto done;
        k = a.ks[g.best];
    } else {
        k = a.ks[0];
    }

    /* The pipeline for the chosen k, refitted on every training row;
       K-Means never sees the test rows. */
    kmeans_opts(&a, k, &ko);
    if (kmc_pipeline_accuracy(&ko, &a.lr, &s.train, &s.test, &pipe_acc, &err) !=
        0) {
        cli_error(cmd, "pipeline: %s", err.msg);
        rc = CLI_EXIT_FAIL;
        goto done;
    }

    if (a.plot != NULL) {
        rc = plot_grid(cmd, &a, &g);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    warnings = logreg_warnings(&a, &st);

    if (a.json) {
        json_t *o = json_object();
        cli_json_set(o, "n_train", json_integer((json_int_t)s.train.n));
        cli_json_set(o, "n_test", json_integer((json_int_t)s.test.n));
        cli_json_set(o, "n_features", json_integer((json_int_t)s.train.d));
        cli_json_set(
            o, "n_classes",
            json_integer((json_int_t)kmc_classes(s.train.y, s.train.n, NULL)));
        cli_json_set(o, "seed", cli_json_seed(a.seed));
        cli_json_set(o, "n_init", json_integer(a.n_init));
        json_logreg(o, &a, &st, warnings);
        cli_json_set(o, "k", json_integer(k));
        cli_json_set(o, "baseline_accuracy", json_real(base_acc));
        cli_json_set(o, "pipeline_accuracy", json_real(pipe_acc));
        if (grid) {
            json_t *scores = json_array(), *ties = json_array();
            for (size_t i = 0; i < a.n_ks; i++) {
                json_t *e = json_object();
                cli_json_set(e, "k", json_integer(a.ks[i]));
                cli_json_set(e, "mean", json_real(g.mean[i]));
                cli_json_set(e, "std", json_real(g.std[i]));
                cli_json_set(e, "folds",
                             json_accuracy_list(g.fold_acc + i * (size_t)a.cv,
                                                (size_t)a.cv));
                json_array_append_new(scores, e);
            }
            for (size_t i = 0; i < g.n_ties; i++)
                json_array_append_new(ties, json_integer(g.ties[i]));
            cli_json_set(o, "cv_folds", json_integer(a.cv));
            cli_json_set(o, "cv_scores", scores);
            cli_json_set(o, "best_k", json_integer(k));
            cli_json_set(o, "best_cv_score", json_real(g.mean[g.best]));
            cli_json_set(o, "tied_k", ties);
            cli_json_set(o, "test_accuracy", json_real(pipe_acc));
        }
        cli_json_set(o, "seconds", json_real(cli_now() - t0));
        rc = cli_print_json(o);
    } else {
        if (grid) {
            printf("     k   cv accuracy   std     folds\n");
            for (size_t i = 0; i < a.n_ks; i++) {
                printf("  %4d   %.4f        %.4f ", a.ks[i], g.mean[i],
                       g.std[i]);
                for (size_t f = 0; f < (size_t)a.cv; f++)
                    printf(" %.4f", g.fold_acc[i * (size_t)a.cv + f]);
                printf("%s\n", i == g.best ? "   <- best" : "");
            }
            printf("best k = %d (cv accuracy %.4f)", k, g.mean[g.best]);
            if (g.n_ties > 0) {
                printf("; tied with k =");
                for (size_t i = 0; i < g.n_ties; i++)
                    printf("%s %d", i ? "," : "", g.ties[i]);
                printf(", the smallest k is chosen");
            }
            printf("\n");
        }
        printf("K-Means (k = %d) distances, then logistic regression: test "
               "accuracy %.4f\n",
               k, pipe_acc);
    }

done:
    json_decref(warnings);
    grid_free(&g);
    split_free(&s);
    args_free(&a);
    return rc;
}

/* ---- representatives -------------------------------------------------------
 */

/* Gray levels of the representatives' features, scaled over the whole data
   set's range and inverted (high values dark, as the book's "binary"
   colormap draws digits). */
static int plot_representatives(const cli_command *cmd, int image_h,
                                int image_w, const kmc_data *data,
                                const size_t *rep, size_t k, const char *path)
{
    size_t hw = (size_t)image_h * (size_t)image_w;
    int cols = k < 10 ? (int)k : 10, rows = (int)((k + 9) / 10);
    double lo = INFINITY, hi = -INFINITY;
    uint8_t *pix = malloc(hw);
    kmplot_figure *fig;
    kmio_error err;
    char caption[48], title[96];
    int rc = CLI_EXIT_OK;

    if (k < 10)
        rows = 1;
    fig = kmplot_figure_new(90 * cols, 98 * rows + 40, rows, cols);
    if (pix == NULL || fig == NULL) {
        free(pix);
        kmplot_figure_free(fig);
        cli_error(cmd, "out of memory for the plot");
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < data->n * data->d; i++) {
        lo = fmin(lo, data->X[i]);
        hi = fmax(hi, data->X[i]);
    }
    snprintf(title, sizeof title,
             "The row closest to each of the %zu centers (row index below)", k);
    kmplot_figure_title(fig, title);
    for (size_t j = 0; j < k; j++) {
        const double *x = data->X + rep[j] * data->d;
        kmplot_panel *p = kmplot_panel_at(fig, (int)(j / 10), (int)(j % 10));
        for (size_t t = 0; t < hw; t++) {
            double v = hi > lo ? (x[t] - lo) / (hi - lo) : 0.0;
            pix[t] = (uint8_t)lround(255.0 * (1.0 - v));
        }
        kmplot_image(p, pix, image_w, image_h, 1, 0);
        snprintf(caption, sizeof caption, "%zu", rep[j]);
        kmplot_xlabel(p, caption);
    }
    memset(&err, 0, sizeof err);
    if (kmplot_save(fig, path, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
    }
    kmplot_figure_free(fig);
    free(pix);
    return rc;
}

static int run_representatives(const cli_command *cmd, int argc, char **argv)
{
    cls_args a;
    kmc_data data;
    kmc_kmeans_opts ko;
    kmc_error err;
    kmio_error ierr;
    km_model *model = NULL;
    int32_t *cluster = NULL;
    size_t *rep = NULL, *size = NULL, k;
    double *dist = NULL, *table = NULL;
    bool help;
    int rc;

    args_defaults(&a);
    memset(&data, 0, sizeof data);
    a.ks = malloc(sizeof *a.ks);
    if (a.ks == NULL)
        return CLI_EXIT_FAIL;
    a.ks[0] = 50;
    a.n_ks = 1;
    rc = parse_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    if (a.data == NULL) {
        rc = cli_usage(cmd, "missing DATA file (see 'kmeans help %s')",
                       cmd->name);
        goto done;
    }
    if (a.plot != NULL && a.image_h == 0) {
        rc = cli_usage(cmd, "--plot draws the rows as images: give their "
                            "size with --image HxW");
        goto done;
    }
    if (a.json && a.output != NULL && strcmp(a.output, "-") == 0) {
        rc = cli_usage(cmd, "--json prints on standard output; give -o a "
                            "file name");
        goto done;
    }
    rc = read_labeled(cmd, a.data, NULL, a.label_column, a.label_column_set,
                      false, &data);
    if (rc != CLI_EXIT_OK)
        goto done;
    if (a.image_h > 0 && (size_t)a.image_h * (size_t)a.image_w != data.d) {
        rc = cli_usage(cmd,
                       "--image %dx%d has %d pixels but %s has %zu "
                       "features",
                       a.image_h, a.image_w, a.image_h * a.image_w,
                       cli_display_name(a.data), data.d);
        goto done;
    }
    k = (size_t)a.ks[0];
    if (k > data.n) {
        rc = cli_usage(cmd, "-k %zu is more than the %zu rows of %s", k, data.n,
                       cli_display_name(a.data));
        goto done;
    }
    cluster = malloc(data.n * sizeof *cluster);
    rep = malloc(k * sizeof *rep);
    size = calloc(k, sizeof *size);
    table = malloc(k * (data.d + 2) * sizeof *table);
    if (!cluster || !rep || !size || !table) {
        cli_error(cmd, "out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    kmeans_opts(&a, (int)k, &ko);
    if (kmc_kmeans_fit(&ko, data.X, data.n, data.d, &model, cluster, &err) !=
            0 ||
        kmc_distances(model, data.X, data.n, data.d, a.threads, &dist, &err) !=
            0) {
        cli_error(cmd, "%s: %s", cli_display_name(a.data), err.msg);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    kmc_representatives(dist, data.n, k, rep);
    for (size_t i = 0; i < data.n; i++)
        size[cluster[i]]++;
    for (size_t j = 0; j < k; j++) {
        double *row = table + j * (data.d + 2);
        row[0] = (double)j;
        row[1] = (double)rep[j];
        memcpy(row + 2, data.X + rep[j] * data.d, data.d * sizeof *row);
    }

    if (a.model != NULL && km_model_save(model, a.model) != KM_OK) {
        cli_error(cmd, "%s: cannot write the model: %s", a.model,
                  strerror(errno));
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (a.output != NULL || !a.json) {
        memset(&ierr, 0, sizeof ierr);
        if (kmio_write_matrix(a.output ? a.output : "-", KM_FLOAT64, table, k,
                              data.d + 2, 0, &ierr) != 0) {
            cli_error(cmd, "%s", ierr.msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    if (a.plot != NULL) {
        rc = plot_representatives(cmd, a.image_h, a.image_w, &data, rep, k,
                                  a.plot);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if (a.json) {
        json_t *o = json_object(), *reps = json_array();
        for (size_t j = 0; j < k; j++) {
            json_t *e = json_object();
            cli_json_set(e, "cluster", json_integer((json_int_t)j));
            cli_json_set(e, "index", json_integer((json_int_t)rep[j]));
            cli_json_set(e, "cluster_size", json_integer((json_int_t)size[j]));
            cli_json_set(e, "distance", json_real(dist[rep[j] * k + j]));
            if (data.y != NULL)
                cli_json_set(e, "label", json_integer(data.y[rep[j]]));
            json_array_append_new(reps, e);
        }
        cli_json_set(o, "n_samples", json_integer((json_int_t)data.n));
        cli_json_set(o, "n_features", json_integer((json_int_t)data.d));
        cli_json_set(o, "n_clusters", json_integer((json_int_t)k));
        cli_json_set(o, "inertia", json_real(km_model_inertia(model)));
        cli_json_set(o, "representatives", reps);
        rc = cli_print_json(o);
    } else if (a.output != NULL && strcmp(a.output, "-") != 0) {
        printf("%s: %zu rows, %zu features%s; %zu clusters, inertia %.6g\n"
               "wrote %s: per cluster, its number, the index (0-based) of "
               "the row closest\n  to its center, and that row's features\n",
               cli_display_name(a.data), data.n, data.d,
               data.y != NULL ? " (label column set aside)" : "", k,
               km_model_inertia(model), a.output);
    }

done:
    km_model_free(model);
    kmc_data_free(&data);
    free(cluster);
    free(rep);
    free(size);
    free(dist);
    free(table);
    args_free(&a);
    return rc;
}

/* ---- propagate -------------------------------------------------------------
 */

static int run_propagate(const cli_command *cmd, int argc, char **argv)
{
    cls_args a;
    kmc_data data;
    kmio_matrix m, lm;
    kmc_error err;
    kmio_error ierr;
    km_model *model = NULL;
    int32_t *rep_label = NULL, *cluster = NULL, *label = NULL;
    double *dist = NULL, *own = NULL;
    bool *kept = NULL, help;
    size_t k, d, n_kept, right = 0;
    int rc, column, status;

    args_defaults(&a);
    a.label_column = LABEL_AUTO;
    memset(&data, 0, sizeof data);
    memset(&m, 0, sizeof m);
    memset(&lm, 0, sizeof lm);
    rc = parse_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    if (a.data == NULL || a.model == NULL || a.labels == NULL) {
        rc = cli_usage(cmd, "missing %s (see 'kmeans help %s')",
                       a.data == NULL    ? "DATA file"
                       : a.model == NULL ? "--model FILE"
                                         : "--labels FILE",
                       cmd->name);
        goto done;
    }
    if (a.json && a.output != NULL && strcmp(a.output, "-") == 0) {
        rc = cli_usage(cmd, "--json prints on standard output; give -o a "
                            "file name");
        goto done;
    }
    rc = cli_load_model(cmd, a.model, &model);
    if (rc == CLI_EXIT_OK)
        rc = cli_read_matrix(cmd, a.data, KMIO_WANT_F64, &m);
    if (rc != CLI_EXIT_OK)
        goto done;
    k = (size_t)km_model_n_clusters(model);
    d = km_model_n_features(model);
    column = a.label_column;
    if (column == LABEL_AUTO) {
        if (m.d == d + 1)
            column = KMC_LABEL_LAST;
        else if (m.d == d)
            column = KMC_LABEL_NONE;
        else {
            rc = cli_usage(cmd,
                           "model %s has %zu features but %s has %zu "
                           "columns (expected %zu, or %zu with a label "
                           "column)",
                           cli_display_name(a.model), d,
                           cli_display_name(a.data), m.d, d, d + 1);
            goto done;
        }
    }
    if (kmc_data_from_matrix(&m, column, cli_display_name(a.data), &data,
                             &err) != 0) {
        rc = cli_usage(cmd, "%s", err.msg);
        goto done;
    }
    if (data.d != d) {
        rc = cli_usage(cmd, "model %s has %zu features but %s has %zu",
                       cli_display_name(a.model), d, cli_display_name(a.data),
                       data.d);
        goto done;
    }
    rc = cli_read_matrix(cmd, a.labels, KMIO_WANT_F64, &lm);
    if (rc != CLI_EXIT_OK)
        goto done;
    if (kmc_labels_from_matrix(&lm, k, cli_display_name(a.labels), &rep_label,
                               &err) != 0) {
        rc = cli_usage(cmd,
                       "%s (the model has %zu clusters: one label per "
                       "representative, in cluster order)",
                       err.msg, k);
        goto done;
    }
    for (size_t j = 0; j < k; j++) {
        if (rep_label[j] == a.unlabeled) {
            rc = cli_usage(cmd,
                           "%s: cluster %zu has label %d, the value that "
                           "marks unlabeled rows (choose another with "
                           "--unlabeled)",
                           cli_display_name(a.labels), j, a.unlabeled);
            goto done;
        }
    }
    cluster = malloc(data.n * sizeof *cluster);
    label = malloc(data.n * sizeof *label);
    own = malloc(data.n * sizeof *own);
    kept = malloc(data.n * sizeof *kept);
    if (!cluster || !label || !own || !kept) {
        cli_error(cmd, "out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    status =
        km_predict_f64(model, data.X, data.n, data.d, cluster, NULL, a.threads);
    if (status != KM_OK) {
        cli_error(cmd, "%s: %s", cli_display_name(a.data), km_strerror(status));
        rc = cli_exit_for_status(status);
        goto done;
    }
    if (kmc_distances(model, data.X, data.n, data.d, a.threads, &dist, &err) !=
        0) {
        cli_error(cmd, "%s: %s", cli_display_name(a.data), err.msg);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    for (size_t i = 0; i < data.n; i++)
        own[i] = dist[i * k + (size_t)cluster[i]];
    n_kept = kmc_propagate(cluster, own, data.n, k, rep_label, a.percentile,
                           label, kept);
    if (n_kept == (size_t)-1) {
        cli_error(cmd, "out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    for (size_t i = 0; i < data.n; i++) {
        if (kept[i] && data.y != NULL)
            right += label[i] == data.y[i];
        if (!kept[i])
            label[i] = a.unlabeled;
    }
    if (a.output != NULL || !a.json) {
        memset(&ierr, 0, sizeof ierr);
        if (kmio_write_labels(a.output ? a.output : "-", label, data.n,
                              &ierr) != 0) {
            cli_error(cmd, "%s", ierr.msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    if (a.json) {
        json_t *o = json_object();
        cli_json_set(o, "n_samples", json_integer((json_int_t)data.n));
        cli_json_set(o, "n_clusters", json_integer((json_int_t)k));
        cli_json_set(o, "percentile", json_real(a.percentile));
        cli_json_set(o, "n_labeled", json_integer((json_int_t)n_kept));
        cli_json_set(o, "n_unlabeled",
                     json_integer((json_int_t)(data.n - n_kept)));
        cli_json_set(o, "unlabeled_value", json_integer(a.unlabeled));
        if (data.y != NULL)
            cli_json_set(
                o, "label_accuracy",
                json_real(n_kept ? (double)right / (double)n_kept : 0.0));
        if (a.output == NULL) {
            json_t *arr = json_array();
            for (size_t i = 0; i < data.n; i++)
                json_array_append_new(arr, json_integer(label[i]));
            cli_json_set(o, "labels", arr);
        }
        rc = cli_print_json(o);
    } else if (a.output != NULL && strcmp(a.output, "-") != 0) {
        printf("%s: labeled %zu of %zu rows (the closest %g%% of each of %zu "
               "clusters), %zu left unlabeled (%d)\n",
               a.output, n_kept, data.n, a.percentile, k, data.n - n_kept,
               a.unlabeled);
        if (data.y != NULL)
            printf("against the true labels in %s: %.2f%% of the propagated "
                   "labels are right\n",
                   cli_display_name(a.data),
                   n_kept ? 100.0 * (double)right / (double)n_kept : 0.0);
    }

done:
    km_model_free(model);
    kmio_matrix_free(&m);
    kmio_matrix_free(&lm);
    kmc_data_free(&data);
    free(rep_label);
    free(cluster);
    free(label);
    free(dist);
    free(own);
    free(kept);
    args_free(&a);
    return rc;
}

/* ---- semisupervised --------------------------------------------------------
 */

static void print_semi_table(int n, double percentile, size_t n_train,
                             const kmc_semi_result *r)
{
    printf("  logistic regression trained on          labeled rows   test "
           "accuracy\n"
           "  %4d random rows                        %8d        %.4f\n"
           "  the %4d representatives                %8d        %.4f\n"
           "  labels propagated to every row         %8zu        %.4f   "
           "(%.1f%% of the labels right)\n"
           "  labels propagated to the closest %3g%%  %8zu        %.4f   "
           "(%.1f%% of the labels right)\n",
           n, n, r->random, n, n, r->representative, n_train, r->propagated,
           100.0 * r->propagated_accuracy, percentile, r->n_partial, r->partial,
           100.0 * r->partial_label_accuracy);
}

static int run_semisupervised(const cli_command *cmd, int argc, char **argv)
{
    cls_args a;
    split_data s;
    kmc_kmeans_opts ko;
    kmc_semi_result r;
    kmc_logreg_stats st;
    json_t *warnings = NULL;
    kmc_error err;
    double t0 = cli_now();
    bool help;
    int rc;

    args_defaults(&a);
    a.percentile = 20.0;
    memset(&s, 0, sizeof s);
    rc = parse_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    kmc_logreg_stats_init(&st);
    a.lr.stats = &st;
    rc = read_split(cmd, &a, &s);
    if (rc != CLI_EXIT_OK)
        goto done;
    if ((size_t)a.labeled > s.train.n) {
        rc = cli_usage(cmd, "--labeled %d is more than the %zu training rows",
                       a.labeled, s.train.n);
        goto done;
    }
    kmeans_opts(&a, a.labeled, &ko);
    if (kmc_semisupervised(&ko, &a.lr, &s.train, &s.test, a.percentile, &r,
                           &err) != 0) {
        /* One class among the labeled rows is a property of the input. */
        cli_error(cmd, "%s", err.msg);
        rc = strstr(err.msg, "two classes") ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto done;
    }
    warnings = logreg_warnings(&a, &st);
    if (a.json) {
        json_t *o = json_object();
        cli_json_set(o, "n_train", json_integer((json_int_t)s.train.n));
        cli_json_set(o, "n_test", json_integer((json_int_t)s.test.n));
        cli_json_set(o, "n_labeled", json_integer(a.labeled));
        cli_json_set(o, "percentile", json_real(a.percentile));
        cli_json_set(o, "seed", cli_json_seed(a.seed));
        cli_json_set(o, "n_init", json_integer(a.n_init));
        cli_json_set(o, "random", json_real(r.random));
        cli_json_set(o, "representative", json_real(r.representative));
        cli_json_set(o, "propagated", json_real(r.propagated));
        cli_json_set(o, "propagated_label_accuracy",
                     json_real(r.propagated_accuracy));
        cli_json_set(o, "partial", json_real(r.partial));
        cli_json_set(o, "partial_label_accuracy",
                     json_real(r.partial_label_accuracy));
        cli_json_set(o, "n_partial", json_integer((json_int_t)r.n_partial));
        json_logreg(o, &a, &st, warnings);
        cli_json_set(o, "seconds", json_real(cli_now() - t0));
        rc = cli_print_json(o);
    } else {
        describe_split(&a, &s);
        printf("K-Means with k = %d on the training rows; the true labels "
               "stand in for a person;\nlogistic regression: %s\n",
               a.labeled,
               a.lr.solver == KMC_SOLVER_LBFGS ? "lbfgs (multinomial)"
                                               : "liblinear (one-vs-rest)");
        print_semi_table(a.labeled, a.percentile, s.train.n, &r);
    }

done:
    json_decref(warnings);
    split_free(&s);
    args_free(&a);
    return rc;
}

/* ---- the demo's digits steps ----------------------------------------------
 */

/* data/digits.csv.gz: under $KMEANS_DATA, in ./data, or in the source tree
   this file was compiled from (so the demo finds it from a build tree). */
static const char *find_digits(char *buf, size_t size)
{
    const char *dir = getenv("KMEANS_DATA"), *here = __FILE__, *slash;

    if (dir != NULL && dir[0] != '\0' &&
        (size_t)snprintf(buf, size, "%s/digits.csv.gz", dir) < size &&
        access(buf, R_OK) == 0)
        return buf;
    if (access("data/digits.csv.gz", R_OK) == 0)
        return "data/digits.csv.gz";
    slash = strstr(here, "programs/cmd_classify.c");
    if (slash != NULL &&
        (size_t)snprintf(buf, size, "%.*sdata/digits.csv.gz",
                         (int)(slash - here), here) < size &&
        access(buf, R_OK) == 0)
        return buf;
    return NULL;
}

/* scikit-learn 1.2.1 on the book's split (train_test_split, random_state=42)
   with LogisticRegression(solver="liblinear") and KMeans(n_init=10,
   random_state=42): bench/digits_sklearn.py --book.  They are the book's
   figures. */
static const double sk_baseline = 0.9667, sk_pipeline = 0.9822,
                    sk_random = 0.8267, sk_representative = 0.9244,
                    sk_propagated = 0.9289, sk_partial = 0.9422,
                    sk_partial_labels = 0.9897;

int cli_demo_digits(cli_demo *dm)
{
    char path_buf[4096], fig_buf[4096];
    const char *path = find_digits(path_buf, sizeof path_buf), *fig;
    kmc_data all, train, test;
    kmc_kmeans_opts ko;
    kmc_logreg_params lp;
    kmc_semi_result r;
    kmc_error err;
    km_model *model = NULL;
    size_t *tr = NULL, *te = NULL, ntr, nte, rep[50];
    double base, pipe, *dist = NULL;
    kmio_matrix m;
    kmio_error ierr;
    int rc = CLI_EXIT_FAIL;

    memset(&all, 0, sizeof all);
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    memset(&m, 0, sizeof m);
    memset(&ierr, 0, sizeof ierr);
    cli_demo_step(dm, "Clustering for classification: 1,797 handwritten "
                      "digits of 8x8 pixels.\n");
    if (path == NULL) {
        printf("   data/digits.csv.gz was not found (set KMEANS_DATA to the "
               "folder holding it);\n   skipping the digits steps.\n\n");
        return CLI_EXIT_OK;
    }
    if (kmio_read_matrix(path, KMIO_WANT_F64, 0, &m, &ierr) != 0) {
        cli_error(dm->cmd, "%s", ierr.msg);
        return CLI_EXIT_FAIL;
    }
    tr = malloc(m.n * sizeof *tr);
    te = malloc(m.n * sizeof *te);
    if (tr == NULL || te == NULL ||
        kmc_data_from_matrix(&m, KMC_LABEL_LAST, path, &all, &err) != 0 ||
        kmc_train_test_split(all.n, 0.25, 42, tr, &ntr, te, &nte, &err) != 0 ||
        kmc_data_subset(&all, tr, ntr, &train, &err) != 0 ||
        kmc_data_subset(&all, te, nte, &test, &err) != 0) {
        cli_error(dm->cmd, "%s", tr && te ? err.msg : "out of memory");
        goto done;
    }
    kmc_logreg_params_init(&lp);
    kmc_kmeans_opts_init(&ko);
    ko.k = 50;
    ko.seed = 42;
    ko.n_threads = dm->threads;
    if (kmc_logreg_accuracy(&lp, &train, &test, &base, &err) != 0 ||
        kmc_pipeline_accuracy(&ko, &lp, &train, &test, &pipe, &err) != 0) {
        cli_error(dm->cmd, "digits: %s", err.msg);
        goto done;
    }
    printf("   Split at random into %zu training and %zu test rows (seed "
           "42).  Logistic\n"
           "   regression (liblinear, one-vs-rest) on the 64 pixels, then on "
           "the distances\n"
           "   to 50 K-Means centers fitted on the training rows:\n"
           "   $ kmeans classify data/digits.csv.gz --seed 42 --clusters 50\n"
           "                                   ours     scikit-learn (book)\n"
           "     64 pixels                   %6.1f%%    %6.1f%%\n"
           "     50 distances (k = 50)       %6.1f%%    %6.1f%%\n"
           "   (scikit-learn's split differs from ours: compare the gain, "
           "not the digits;\n"
           "   docs/classification.md has the spread over ten splits.)\n",
           ntr, nte, 100 * base, 100 * sk_baseline, 100 * pipe,
           100 * sk_pipeline);

    cli_demo_step(dm, "Semi-supervised learning: only 50 labels.\n");
    if (kmc_semisupervised(&ko, &lp, &train, &test, 20.0, &r, &err) != 0) {
        cli_error(dm->cmd, "digits: %s", err.msg);
        goto done;
    }
    printf("   Label 50 rows at random, or the 50 rows closest to the "
           "centers of 50 clusters\n"
           "   (the representatives), then give each cluster its "
           "representative's label:\n"
           "   $ kmeans semisupervised data/digits.csv.gz --labeled 50 "
           "--seed 42\n"
           "     trained on                          ours     scikit-learn "
           "(book)\n"
           "     50 random rows                    %6.1f%%    %6.1f%%\n"
           "     the 50 representatives            %6.1f%%    %6.1f%%\n"
           "     labels propagated to all rows     %6.1f%%    %6.1f%%\n"
           "     ... to the closest 20%%            %6.1f%%    %6.1f%%\n"
           "     those propagated labels right     %6.1f%%    %6.1f%%\n",
           100 * r.random, 100 * sk_random, 100 * r.representative,
           100 * sk_representative, 100 * r.propagated, 100 * sk_propagated,
           100 * r.partial, 100 * sk_partial, 100 * r.partial_label_accuracy,
           100 * sk_partial_labels);

    cli_demo_step(dm, "The representative digits.\n");
    if (kmc_kmeans_fit(&ko, train.X, train.n, train.d, &model, NULL, &err) !=
            0 ||
        kmc_distances(model, train.X, train.n, train.d, dm->threads, &dist,
                      &err) != 0) {
        cli_error(dm->cmd, "digits: %s", err.msg);
        goto done;
    }
    kmc_representatives(dist, train.n, 50, rep);
    fig = cli_demo_path(dm, "digits-representatives.png", fig_buf,
                        sizeof fig_buf);
    if (fig == NULL || plot_representatives(dm->cmd, 8, 8, &train, rep, 50,
                                            fig) != CLI_EXIT_OK)
        goto done;
    printf("   The training row closest to each center, the images a person "
           "would label:\n"
           "   $ kmeans representatives train.csv -k 50 --seed 42 --image "
           "8x8 --plot reps.png\n"
           "   -> %s\n\n",
           fig);
    rc = CLI_EXIT_OK;

done:
    km_model_free(model);
    free(dist);
    free(tr);
    free(te);
    kmio_matrix_free(&m);
    kmc_data_free(&all);
    kmc_data_free(&train);
    kmc_data_free(&test);
    return rc;
}

const cli_command cli_cmd_classify = {
    "classify",
    "[DATA]",
    "logistic regression on K-Means distances vs on the features; grid "
    "search over k",
    "Trains logistic regression (liblinear's L2-regularized solver, "
    "one-vs-rest,\n"
    "intercept regularized, as scikit-learn's solver=\"liblinear\"; or with\n"
    "--solver lbfgs the multinomial model, intercept not regularized, by "
    "L-BFGS,\n"
    "as scikit-learn's solver=\"lbfgs\", multi_class=\"multinomial\") on the "
    "features\n"
    "(the baseline) and on the distances to k K-Means centers fitted on the\n"
    "training rows only (the pipeline), and prints both test accuracies.\n"
    "Labeled DATA is split at random (--test-size, --seed; not stratified, "
    "as\n"
    "scikit-learn's train_test_split); or give --train and --test.  With a "
    "range\n"
    "of k (-k 2:100) each k is scored by stratified F-fold cross-validation "
    "on\n"
    "the training rows; the best mean wins (ties: the smallest k), is "
    "refitted\n"
    "on all training rows and scored on the test rows.\n",
    classify_options,
    run_classify,
};

const cli_command cli_cmd_representatives = {
    "representatives",
    "DATA",
    "the row closest to each K-Means center, for a person to label",
    "Fits K-Means with k clusters to DATA (its label column, if any, set "
    "aside)\n"
    "and writes, for each cluster, the index of the row closest to its "
    "center\n"
    "(over all rows, as the book's np.argmin(X_dist, axis=0)) and that "
    "row's\n"
    "features.  Save the model with --model, label the representatives "
    "(one\n"
    "label a line, in cluster order) and run 'kmeans propagate'.\n",
    representatives_options,
    run_representatives,
};

const cli_command cli_cmd_propagate = {
    "propagate",
    "DATA",
    "give every row the label of its cluster's representative",
    "Each row of DATA goes to its nearest center of --model and takes the "
    "label\n"
    "of that cluster's representative (--labels).  With --percentile P, "
    "only the\n"
    "rows whose distance to their center is at most the P-th percentile of "
    "their\n"
    "cluster's distances (numpy's linear interpolation) are labeled; the "
    "others\n"
    "get --unlabeled.\n",
    propagate_options,
    run_propagate,
};

const cli_command cli_cmd_semisupervised = {
    "semisupervised",
    "[DATA]",
    "the book's semi-supervised experiment: random labels vs representatives",
    "On labeled data, with the true labels standing in for a person: "
    "logistic\n"
    "regression trained on N random training rows, on the N representatives "
    "of\n"
    "N K-Means clusters, on every row with its representative's label, and "
    "on\n"
    "the closest --percentile % of each cluster; each scored on the test "
    "rows.\n",
    semisupervised_options,
    run_semisupervised,
};
