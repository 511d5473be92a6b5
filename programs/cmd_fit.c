/*
 * cmd_fit.c - `kmeans fit`: fit a model on a data file and write the model,
 * the training labels and the centers.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_K,
    OPT_INIT,
    OPT_N_INIT,
    OPT_MAX_ITER,
    OPT_TOL,
    OPT_ALGORITHM,
    OPT_SEED,
    OPT_THREADS,
    OPT_WEIGHTS,
    OPT_DTYPE,
    OPT_MODEL,
    OPT_LABELS,
    OPT_CENTERS,
    OPT_JSON,
    OPT_VERBOSE
};

static const cli_option fit_options[] = {
    {OPT_K, "clusters", 'k', "K", "number of clusters (default 8)"},
    {OPT_INIT, "init", 0, "METHOD",
     "k-means++, random, or a CSV/.npy file of k x d initial centers "
     "(default k-means++)"},
    {OPT_N_INIT, "n-init", 0, "N",
     "initializations to run, keeping the best; auto = 1 for k-means++ "
     "and a file, 10 for random (default auto)"},
    {OPT_MAX_ITER, "max-iter", 0, "N",
     "maximum iterations per run (default 300)"},
    {OPT_TOL, "tol", 0, "X",
     "stop when the center shift is at most X times the mean feature "
     "variance (default 1e-4)"},
    {OPT_ALGORITHM, "algorithm", 0, "NAME",
     "lloyd, elkan, hamerly, yinyang, auto (default auto)"},
    {OPT_SEED, "seed", 0, "N", "seed of all randomness (default 0)"},
    {OPT_THREADS, "threads", 0, "N",
     "threads to use, 0 = all cores (default 0)"},
    {OPT_WEIGHTS, "weights", 0, "FILE",
     "one non-negative weight per row: a one-column CSV or a 1-D .npy "
     "(default: all 1)"},
    {OPT_DTYPE, "dtype", 0, "TYPE",
     "float32 or float64 (default: the file's own; CSV is float64)"},
    {OPT_MODEL, "model", 0, "FILE", "write the model to FILE (default: none)"},
    {OPT_LABELS, "labels", 0, "FILE",
     "write the cluster of each row, .csv or .npy (default: none)"},
    {OPT_CENTERS, "centers", 0, "FILE",
     "write the k x d centers, .csv or .npy (default: none)"},
    {OPT_JSON, "json", 0, NULL, "print the result as one JSON object"},
    {OPT_VERBOSE, "verbose", 'v', NULL,
     "print each iteration's inertia and center shift on stderr"},
    {0, NULL, 0, NULL, NULL},
};

typedef struct fit_args {
    const char *data;
    const char *init_file;
    const char *weights;
    const char *model;
    const char *labels;
    const char *centers;
    bool k_given;
    kmio_want want;
    bool json;
    bool verbose;
    km_params p;
} fit_args;

static int parse_args(const cli_command *cmd, int argc, char **argv,
                      fit_args *a, bool *help)
{
    cli_parser ps;
    const char *value;
    int id, kind;

    *help = false;
    memset(a, 0, sizeof *a);
    km_params_init(&a->p);
    a->want = KMIO_WANT_NATIVE;
    cli_parser_init(&ps, cmd, argc, argv);
    while ((kind = cli_next(&ps, &id, &value)) != CLI_ARG_END) {
        if (kind == CLI_ARG_ERROR)
            return CLI_EXIT_USAGE;
        if (kind == CLI_ARG_HELP) {
            *help = true;
            return CLI_EXIT_OK;
        }
        if (kind == CLI_ARG_POSITIONAL) {
            if (a->data != NULL)
                return cli_usage(cmd,
                                 "unexpected argument '%s' (fit takes one "
                                 "DATA file)",
                                 value);
            a->data = value;
            continue;
        }
        switch (id) {
        case OPT_K:
            if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &a->p.n_clusters))
                return CLI_EXIT_USAGE;
            a->k_given = true;
            break;
        case OPT_INIT:
            if (strcmp(value, "k-means++") == 0) {
                a->p.init = KM_INIT_KMEANSPP;
                a->init_file = NULL;
            } else if (strcmp(value, "random") == 0) {
                a->p.init = KM_INIT_RANDOM;
                a->init_file = NULL;
            } else if (value[0] == '\0') {
                return cli_usage(cmd, "--init: expected k-means++, random or "
                                      "a file name");
            } else {
                a->p.init = KM_INIT_ARRAY;
                a->init_file = value;
            }
            break;
        case OPT_N_INIT:
            if (!cli_parse_n_init(cmd, id, value, &a->p.n_init))
                return CLI_EXIT_USAGE;
            break;
        case OPT_MAX_ITER:
            if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &a->p.max_iter))
                return CLI_EXIT_USAGE;
            break;
        case OPT_TOL:
            if (!cli_parse_tol(cmd, id, value, &a->p.tol))
                return CLI_EXIT_USAGE;
            break;
        case OPT_ALGORITHM:
            if (!cli_parse_algorithm(cmd, value, &a->p.algorithm))
                return CLI_EXIT_USAGE;
            break;
        case OPT_SEED:
            if (!cli_parse_u64(cmd, id, value, &a->p.seed))
                return CLI_EXIT_USAGE;
            break;
        case OPT_THREADS:
            if (!cli_parse_int(cmd, id, value, 0, INT_MAX, &a->p.n_threads))
                return CLI_EXIT_USAGE;
            break;
        case OPT_WEIGHTS:
            a->weights = value;
            break;
        case OPT_DTYPE:
            if (!cli_parse_dtype(cmd, value, &a->want))
                return CLI_EXIT_USAGE;
            break;
        case OPT_MODEL:
            a->model = value;
            break;
        case OPT_LABELS:
            a->labels = value;
            break;
        case OPT_CENTERS:
            a->centers = value;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_VERBOSE:
            a->verbose = true;
            break;
        }
    }
    if (a->data == NULL)
        return cli_usage(cmd, "missing DATA file (see 'kmeans help fit')");
    return CLI_EXIT_OK;
}

static bool is_stdio(const char *path)
{
    return path != NULL && strcmp(path, "-") == 0;
}

static bool same_path(const char *x, const char *y)
{
    return x != NULL && y != NULL && !is_stdio(x) && strcmp(x, y) == 0;
}

/* Conflicts that would otherwise show up only after a long fit. */
static int check_files(const cli_command *cmd, const fit_args *a)
{
    int n_stdin =
        is_stdio(a->data) + is_stdio(a->init_file) + is_stdio(a->weights);

    if (n_stdin > 1)
        return cli_usage(cmd, "only one input can be read from standard "
                              "input ('-')");
    if (is_stdio(a->model))
        return cli_usage(cmd, "--model: a model must be written to a file, "
                              "not standard output");
    if (is_stdio(a->labels) && is_stdio(a->centers))
        return cli_usage(cmd, "--labels and --centers cannot both write to "
                              "standard output");
    if (a->json && (is_stdio(a->labels) || is_stdio(a->centers)))
        return cli_usage(cmd, "--json prints on standard output; write "
                              "--labels and --centers to files");
    if (same_path(a->model, a->labels) || same_path(a->model, a->centers) ||
        same_path(a->labels, a->centers))
        return cli_usage(cmd, "two outputs name the same file");
    return CLI_EXIT_OK;
}

static int read_init(const cli_command *cmd, fit_args *a, const kmio_matrix *X,
                     kmio_matrix *init)
{
    const char *name = cli_display_name(a->init_file);
    int rc = cli_read_matrix(cmd, a->init_file, KMIO_WANT_F64, init);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (init->d != X->d) {
        cli_error(cmd, "--init %s has %zu column%s but %s has %zu", name,
                  init->d, init->d == 1 ? "" : "s", cli_display_name(a->data),
                  X->d);
        goto fail;
    }
    if (a->k_given && init->n != (size_t)a->p.n_clusters) {
        cli_error(cmd, "--init %s has %zu row%s but -k is %d", name, init->n,
                  init->n == 1 ? "" : "s", a->p.n_clusters);
        goto fail;
    }
    if (init->n > INT_MAX) {
        cli_error(cmd, "--init %s has too many rows (%zu)", name, init->n);
        goto fail;
    }
    a->p.n_clusters = (int)init->n;
    a->p.init_centers = init->data;
    return CLI_EXIT_OK;

fail:
    kmio_matrix_free(init);
    return CLI_EXIT_USAGE;
}

static int write_outputs(const cli_command *cmd, const fit_args *a,
                         const km_model *model, const int32_t *labels, size_t n)
{
    kmio_error err;

    if (a->model != NULL) {
        int status;
        errno = 0;
        status = km_model_save(model, a->model);
        if (status != KM_OK) {
            if (status == KM_ERR_IO && errno != 0)
                cli_error(cmd, "cannot write model %s: %s", a->model,
                          strerror(errno));
            else
                cli_error(cmd, "cannot write model %s: %s", a->model,
                          km_strerror(status));
            return CLI_EXIT_FAIL;
        }
    }
    if (a->labels != NULL) {
        memset(&err, 0, sizeof err);
        if (kmio_write_labels(a->labels, labels, n, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            return CLI_EXIT_FAIL;
        }
    }
    if (a->centers != NULL) {
        km_dtype dt = km_model_dtype(model);
        size_t k = (size_t)km_model_n_clusters(model);
        size_t d = km_model_n_features(model);
        void *c =
            malloc(k * d * (dt == KM_FLOAT32 ? sizeof(float) : sizeof(double)));
        int status, rc = CLI_EXIT_OK;
        if (c == NULL) {
            cli_error(cmd, "out of memory");
            return CLI_EXIT_FAIL;
        }
        status = dt == KM_FLOAT32 ? km_model_centers_f32(model, c)
                                  : km_model_centers_f64(model, c);
        memset(&err, 0, sizeof err);
        if (status != KM_OK) {
            cli_error(cmd, "centers: %s", km_strerror(status));
            rc = CLI_EXIT_FAIL;
        } else if (kmio_write_matrix(a->centers, dt, c, k, d, 0, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
        }
        free(c);
        return rc;
    }
    return CLI_EXIT_OK;
}

static json_t *result_json(const fit_args *a, const km_model *model,
                           double seconds, json_t *warnings)
{
    json_t *o = json_object();

    cli_json_set(o, "n_samples",
                 json_integer((json_int_t)km_model_n_samples(model)));
    cli_json_set(o, "n_features",
                 json_integer((json_int_t)km_model_n_features(model)));
    cli_json_set(o, "n_clusters", json_integer(km_model_n_clusters(model)));
    cli_json_set(o, "dtype",
                 json_string(cli_dtype_name(km_model_dtype(model))));
    cli_json_set(o, "inertia", json_real(km_model_inertia(model)));
    cli_json_set(o, "n_iter", json_integer(km_model_n_iter(model)));
    cli_json_set(o, "converged",
                 json_boolean(km_model_flags(model) & KM_FLAG_CONVERGED));
    cli_json_set(o, "fit_seconds", json_real(seconds));
    cli_json_set(o, "algorithm",
                 json_string(cli_algorithm_name(a->p.algorithm)));
    cli_json_set(o, "init", json_string(cli_init_name(a->p.init)));
    if (a->init_file != NULL)
        cli_json_set(o, "init_file", json_string(a->init_file));
    cli_json_set(o, "n_init", json_integer(cli_effective_n_init(&a->p)));
    cli_json_set(o, "max_iter", json_integer(a->p.max_iter));
    cli_json_set(o, "tol", json_real(a->p.tol));
    cli_json_set(o, "seed", cli_json_seed(a->p.seed));
    cli_json_set(o, "warnings", json_incref(warnings));
    return o;
}

static void print_summary(const fit_args *a, const km_model *model, FILE *fp)
{
    int n_iter = km_model_n_iter(model);

    fprintf(
        fp,
        "fitted k=%d on %zu x %zu (%s): inertia %.10g, %d iteration%s, %s\n",
        km_model_n_clusters(model), km_model_n_samples(model),
        km_model_n_features(model), cli_dtype_name(km_model_dtype(model)),
        km_model_inertia(model), n_iter, n_iter == 1 ? "" : "s",
        (km_model_flags(model) & KM_FLAG_CONVERGED)
            ? "converged"
            : "not converged (max-iter reached)");
    if (a->model != NULL)
        fprintf(fp, "model written to %s\n", a->model);
    if (a->labels != NULL && !is_stdio(a->labels))
        fprintf(fp, "labels written to %s\n", a->labels);
    if (a->centers != NULL && !is_stdio(a->centers))
        fprintf(fp, "centers written to %s\n", a->centers);
}

static int run_fit(const cli_command *cmd, int argc, char **argv)
{
    fit_args a;
    kmio_matrix X, W, init;
    km_model *model = NULL;
    int32_t *labels = NULL;
    cli_log log;
    const char *msg;
    double t0, seconds;
    bool help;
    int rc, status;

    memset(&X, 0, sizeof X);
    memset(&W, 0, sizeof W);
    memset(&init, 0, sizeof init);
    rc = parse_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (help) {
        cli_print_help(cmd, stdout);
        return CLI_EXIT_OK;
    }
    rc = check_files(cmd, &a);
    if (rc != CLI_EXIT_OK)
        return rc;

    t0 = cli_now();
    rc = cli_read_matrix(cmd, a.data, a.want, &X);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (a.verbose)
        fprintf(stderr, "kmeans fit: read %zu x %zu (%s) from %s in %.3f s\n",
                X.n, X.d, cli_dtype_name(X.dtype), cli_display_name(a.data),
                cli_now() - t0);

    if (a.init_file != NULL) {
        rc = read_init(cmd, &a, &X, &init);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if ((size_t)a.p.n_clusters > X.n) {
        if (a.init_file != NULL && !a.k_given)
            rc = cli_usage(cmd,
                           "--init %s has %d centers, more than the number "
                           "of rows (%zu) in %s",
                           cli_display_name(a.init_file), a.p.n_clusters, X.n,
                           cli_display_name(a.data));
        else
            rc = cli_usage(cmd,
                           "-k %d%s is larger than the number of rows (%zu) "
                           "in %s",
                           a.p.n_clusters, a.k_given ? "" : " (the default)",
                           X.n, cli_display_name(a.data));
        goto done;
    }
    if (a.weights != NULL) {
        rc = cli_read_weights(cmd, a.weights, X.dtype, X.n, a.data, &W);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    msg = km_params_check(&a.p);
    if (msg != NULL) {
        rc = cli_usage(cmd, "invalid parameters: %s", msg);
        goto done;
    }
    if (a.labels != NULL) {
        labels = malloc((X.n ? X.n : 1) * sizeof *labels);
        if (labels == NULL) {
            cli_error(cmd, "out of memory for %zu labels", X.n);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }

    cli_log_init(&log, cmd, a.verbose, cli_effective_n_init(&a.p));
    a.p.log = cli_log_event;
    a.p.log_user = &log;
    t0 = cli_now();
    if (X.dtype == KM_FLOAT32)
        status = km_fit_f32(&a.p, X.data, X.n, X.d, W.data, &model, labels);
    else
        status = km_fit_f64(&a.p, X.data, X.n, X.d, W.data, &model, labels);
    seconds = cli_now() - t0;
    if (status != KM_OK) {
        cli_error(cmd, "fitting %s: %s", cli_display_name(a.data),
                  km_strerror(status));
        rc = cli_exit_for_status(status);
        cli_log_free(&log);
        goto done;
    }

    rc = write_outputs(cmd, &a, model, labels, X.n);
    if (rc == CLI_EXIT_OK) {
        if (a.json)
            rc = cli_print_json(result_json(&a, model, seconds, log.warnings));
        else
            print_summary(&a, model,
                          is_stdio(a.labels) || is_stdio(a.centers) ? stderr
                                                                    : stdout);
    }
    cli_log_free(&log);

done:
    free(labels);
    km_model_free(model);
    kmio_matrix_free(&W);
    kmio_matrix_free(&init);
    kmio_matrix_free(&X);
    return rc;
}

const cli_command cli_cmd_fit = {
    "fit",
    "DATA",
    "fit a K-Means model on DATA (CSV or .npy; '-' reads standard input)",
    "Runs n-init initializations and keeps the one with the lowest inertia\n"
    "(sum of squared distances of the rows to their nearest center).  Without\n"
    "--json prints a one-line summary.  Outputs are written atomically: a\n"
    "failed run leaves existing files untouched.\n"
    "\n"
    "example:\n"
    "  kmeans fit data.csv -k 5 --seed 42 --model blobs.kmm --labels "
    "labels.csv\n",
    fit_options,
    run_fit,
};
