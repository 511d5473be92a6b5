/*
 * cmd_fit.c - `kmeans fit`: fit a model on a data file and write the model,
 * the training labels and the centers.
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_option fit_options[] = {
    {CLI_OPT_CLUSTERS, "clusters", 'k', "K", "number of clusters (default 8)"},
    {CLI_OPT_INIT, "init", 0, "METHOD",
     "k-means++, k-means||, random, or a CSV/.npy file of k x d initial "
     "centers "
     "(default k-means++)"},
    {CLI_OPT_N_INIT, "n-init", 0, "N",
     "initializations to run, keeping the best; auto = 1 for k-means++, "
     "k-means|| and a file, 10 for random (default auto)"},
    {CLI_OPT_MAX_ITER, "max-iter", 0, "N",
     "maximum iterations per run (default 300)"},
    {CLI_OPT_TOL, "tol", 0, "X",
     "stop when the center shift is at most X times the mean feature "
     "variance (default 1e-4)"},
    {CLI_OPT_ALGORITHM, "algorithm", 0, "NAME", CLI_HELP_ALGORITHM},
    {CLI_OPT_SEED, "seed", 0, "N", "seed of all randomness (default 0)"},
    {CLI_OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {CLI_OPT_WEIGHTS, "weights", 0, "FILE", CLI_HELP_WEIGHTS},
    {CLI_OPT_DTYPE, "dtype", 0, "TYPE", CLI_HELP_DTYPE},
    {CLI_OPT_MODEL, "model", 0, "FILE",
     "write the model to FILE (default: none)"},
    {CLI_OPT_LABELS, "labels", 0, "FILE",
     "write the cluster of each row, .csv or .npy (default: none)"},
    {CLI_OPT_CENTERS, "centers", 0, "FILE",
     "write the k x d centers, .csv or .npy (default: none)"},
    {CLI_OPT_JSON, "json", 0, NULL, CLI_HELP_JSON},
    {CLI_OPT_VERBOSE, "verbose", 'v', NULL,
     "print each iteration's inertia and center shift on stderr"},
    {0, NULL, 0, NULL, NULL},
};

typedef struct fit_args {
    const char *data;
    cli_fit_opts f; /* every option of fit */
    km_params p;
} fit_args;

static int fit_arg(const cli_command *cmd, void *user, int id,
                   const char *value)
{
    fit_args *a = user;

    (void)id; /* CLI_OPT_POSITIONAL: every option is a shared one */
    return cli_take_one(cmd, &a->data, value, "DATA file");
}

static int parse_args(const cli_command *cmd, int argc, char **argv,
                      fit_args *a, bool *help)
{
    int rc;

    memset(a, 0, sizeof *a);
    km_params_init(&a->p);
    cli_fit_opts_init(&a->f, &a->p, NULL);
    rc = cli_parse_args(cmd, argc, argv, &a->f, fit_arg, a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    return cli_require(cmd, a->data, "DATA file");
}

static bool same_path(const char *x, const char *y)
{
    return x != NULL && y != NULL && !cli_is_stdio(x) && strcmp(x, y) == 0;
}

/* Conflicts that would otherwise show up only after a long fit. */
static int check_files(const cli_command *cmd, const fit_args *a)
{
    const cli_fit_opts *f = &a->f;
    int rc = cli_check_fit_files(cmd, a->data, f);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (cli_is_stdio(f->labels) && cli_is_stdio(f->centers))
        return cli_usage(cmd, "--labels and --centers cannot both write to "
                              "standard output");
    if (f->json && (cli_is_stdio(f->labels) || cli_is_stdio(f->centers)))
        return cli_usage(cmd, "--json prints on standard output; write "
                              "--labels and --centers to files");
    if (same_path(f->model, f->labels) || same_path(f->model, f->centers) ||
        same_path(f->labels, f->centers))
        return cli_usage(cmd, "two outputs name the same file");
    return CLI_EXIT_OK;
}

static int read_init(const cli_command *cmd, fit_args *a, const kmio_matrix *X,
                     kmio_matrix *init)
{
    const char *name = cli_display_name(a->f.init_file);
    int rc = cli_read_matrix(cmd, a->f.init_file, KMIO_WANT_F64, init);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (init->d != X->d) {
        cli_error(cmd, "--init %s has %zu column%s but %s has %zu", name,
                  init->d, init->d == 1 ? "" : "s", cli_display_name(a->data),
                  X->d);
        goto fail;
    }
    if (a->f.k_given && init->n != (size_t)a->p.n_clusters) {
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

static int write_outputs(const cli_command *cmd, const cli_fit_opts *f,
                         const km_model *model, const int32_t *labels, size_t n)
{
    int rc = CLI_EXIT_OK;

    if (f->model != NULL)
        rc = cli_save_model(cmd, model, f->model);
    if (rc == CLI_EXIT_OK && f->labels != NULL)
        rc = cli_write_labels(cmd, f->labels, labels, n);
    if (rc == CLI_EXIT_OK && f->centers != NULL)
        rc = cli_write_centers(cmd, model, f->centers);
    return rc;
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
    if (a->f.init_file != NULL)
        cli_json_set(o, "init_file", json_string(a->f.init_file));
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
    if (a->f.model != NULL)
        fprintf(fp, "model written to %s\n", a->f.model);
    if (a->f.labels != NULL && !cli_is_stdio(a->f.labels))
        fprintf(fp, "labels written to %s\n", a->f.labels);
    if (a->f.centers != NULL && !cli_is_stdio(a->f.centers))
        fprintf(fp, "centers written to %s\n", a->f.centers);
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
    if (rc != CLI_EXIT_OK || help)
        return rc;
    rc = check_files(cmd, &a);
    if (rc != CLI_EXIT_OK)
        return rc;

    t0 = cli_now();
    rc = cli_read_matrix(cmd, a.data, a.f.want, &X);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (a.f.verbose)
        fprintf(stderr, "kmeans fit: read %zu x %zu (%s) from %s in %.3f s\n",
                X.n, X.d, cli_dtype_name(X.dtype), cli_display_name(a.data),
                cli_now() - t0);

    if (a.f.init_file != NULL) {
        rc = read_init(cmd, &a, &X, &init);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if ((size_t)a.p.n_clusters > X.n) {
        if (a.f.init_file != NULL && !a.f.k_given)
            rc = cli_usage(cmd,
                           "--init %s has %d centers, more than the number "
                           "of rows (%zu) in %s",
                           cli_display_name(a.f.init_file), a.p.n_clusters, X.n,
                           cli_display_name(a.data));
        else
            rc = cli_usage(cmd,
                           "-k %d%s is larger than the number of rows (%zu) "
                           "in %s",
                           a.p.n_clusters, a.f.k_given ? "" : " (the default)",
                           X.n, cli_display_name(a.data));
        goto done;
    }
    if (a.f.weights != NULL) {
        rc = cli_read_weights(cmd, a.f.weights, X.dtype, X.n, a.data, &W);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    msg = km_params_check(&a.p);
    if (msg != NULL) {
        rc = cli_usage(cmd, "invalid parameters: %s", msg);
        goto done;
    }
    if (a.f.labels != NULL) {
        labels = malloc((X.n ? X.n : 1) * sizeof *labels);
        if (labels == NULL) {
            cli_error(cmd, "out of memory for %zu labels", X.n);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }

    cli_log_init(&log, cmd, a.f.verbose, cli_effective_n_init(&a.p));
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

    rc = write_outputs(cmd, &a.f, model, labels, X.n);
    if (rc == CLI_EXIT_OK) {
        if (a.f.json)
            rc = cli_print_json(result_json(&a, model, seconds, log.warnings));
        else
            print_summary(&a, model,
                          cli_is_stdio(a.f.labels) || cli_is_stdio(a.f.centers)
                              ? stderr
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
