/*
 * cmd_apply.c - apply a saved model to new data: `kmeans predict` (nearest
 * center), `kmeans transform` (distance to every center) and `kmeans score`
 * (minus the inertia).
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_OUTPUT, OPT_THREADS, OPT_JSON, OPT_WEIGHTS };

static const cli_option predict_options[] = {
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the labels to FILE, .csv or .npy (default: one per line on "
     "stdout)"},
    {OPT_THREADS, "threads", 0, "N",
     "threads to use, 0 = all cores (default 0)"},
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: n_samples, n_clusters, counts (and labels "
     "without -o)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option transform_options[] = {
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the n x k distances to FILE, .csv or .npy (default: CSV on "
     "stdout)"},
    {OPT_THREADS, "threads", 0, "N",
     "threads to use, 0 = all cores (default 0)"},
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: n_samples, n_clusters (and distances without "
     "-o)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option score_options[] = {
    {OPT_WEIGHTS, "weights", 0, "FILE",
     "one non-negative weight per row: a one-column CSV or a 1-D .npy "
     "(default: all 1)"},
    {OPT_THREADS, "threads", 0, "N",
     "threads to use, 0 = all cores (default 0)"},
    {OPT_JSON, "json", 0, NULL, "print one JSON object: score, n_samples"},
    {0, NULL, 0, NULL, NULL},
};

typedef struct apply_args {
    const char *model_path;
    const char *data_path;
    const char *output;
    const char *weights;
    int threads;
    bool json;
} apply_args;

/* Returns CLI_EXIT_OK with *help set, or an exit code on error. */
static int parse_args(const cli_command *cmd, int argc, char **argv,
                      apply_args *a, bool *help)
{
    cli_parser ps;
    const char *value;
    int id, kind;

    *help = false;
    memset(a, 0, sizeof *a);
    cli_parser_init(&ps, cmd, argc, argv);
    while ((kind = cli_next(&ps, &id, &value)) != CLI_ARG_END) {
        if (kind == CLI_ARG_ERROR)
            return CLI_EXIT_USAGE;
        if (kind == CLI_ARG_HELP) {
            *help = true;
            return CLI_EXIT_OK;
        }
        if (kind == CLI_ARG_POSITIONAL) {
            if (a->model_path == NULL)
                a->model_path = value;
            else if (a->data_path == NULL)
                a->data_path = value;
            else
                return cli_usage(cmd,
                                 "unexpected argument '%s' (%s takes MODEL "
                                 "DATA)",
                                 value, cmd->name);
            continue;
        }
        switch (id) {
        case OPT_OUTPUT:
            a->output = value;
            break;
        case OPT_THREADS:
            if (!cli_parse_int(cmd, id, value, 0, INT_MAX, &a->threads))
                return CLI_EXIT_USAGE;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_WEIGHTS:
            a->weights = value;
            break;
        }
    }
    if (a->model_path == NULL)
        return cli_usage(cmd, "missing MODEL and DATA (see 'kmeans help %s')",
                         cmd->name);
    if (a->data_path == NULL)
        return cli_usage(cmd, "missing DATA file (see 'kmeans help %s')",
                         cmd->name);
    if (a->json && a->output != NULL && strcmp(a->output, "-") == 0)
        return cli_usage(cmd, "--json prints on standard output; give -o a "
                              "file name");
    if (a->weights != NULL && strcmp(a->weights, "-") == 0 &&
        strcmp(a->data_path, "-") == 0)
        return cli_usage(cmd, "only one input can be read from standard "
                              "input ('-')");
    return CLI_EXIT_OK;
}

/* Everything the three commands do before their own computation. */
typedef struct apply_ctx {
    apply_args a;
    km_model *model;
    kmio_matrix X;
} apply_ctx;

static int setup(const cli_command *cmd, int argc, char **argv, apply_ctx *c,
                 bool *help)
{
    int rc;

    memset(c, 0, sizeof *c);
    rc = parse_args(cmd, argc, argv, &c->a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    rc = cli_load_model(cmd, c->a.model_path, &c->model);
    if (rc != CLI_EXIT_OK)
        return rc;
    /* Data are read in the model's precision so results match the fit. */
    rc = cli_read_matrix(cmd, c->a.data_path,
                         cli_want_for(km_model_dtype(c->model)), &c->X);
    if (rc != CLI_EXIT_OK)
        return rc;
    return cli_check_features(cmd, c->model, &c->X, c->a.data_path);
}

static void teardown(apply_ctx *c)
{
    kmio_matrix_free(&c->X);
    km_model_free(c->model);
}

static int library_error(const cli_command *cmd, const apply_ctx *c, int status)
{
    cli_error(cmd, "%s: %s", cli_display_name(c->a.data_path),
              km_strerror(status));
    return cli_exit_for_status(status);
}

static int help_or(const cli_command *cmd, int rc, bool help)
{
    if (help)
        cli_print_help(cmd, stdout);
    return rc;
}

/* ---- predict --------------------------------------------------------------
 */

static json_t *predict_json(const apply_ctx *c, const int32_t *labels)
{
    int k = km_model_n_clusters(c->model);
    json_t *o = json_object(), *counts = json_array();
    size_t *count = calloc((size_t)k, sizeof *count);

    if (o == NULL || counts == NULL || count == NULL) {
        json_decref(o);
        json_decref(counts);
        free(count);
        return NULL;
    }
    for (size_t i = 0; i < c->X.n; i++)
        count[labels[i]]++;
    for (int j = 0; j < k; j++)
        json_array_append_new(counts, json_integer((json_int_t)count[j]));
    free(count);
    cli_json_set(o, "n_samples", json_integer((json_int_t)c->X.n));
    cli_json_set(o, "n_clusters", json_integer(k));
    cli_json_set(o, "counts", counts);
    if (c->a.output == NULL) {
        json_t *arr = json_array();
        for (size_t i = 0; i < c->X.n; i++)
            json_array_append_new(arr, json_integer(labels[i]));
        cli_json_set(o, "labels", arr);
    }
    return o;
}

static int run_predict(const cli_command *cmd, int argc, char **argv)
{
    apply_ctx c;
    int32_t *labels = NULL;
    kmio_error err;
    bool help;
    int rc, status;

    rc = setup(cmd, argc, argv, &c, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    labels = malloc((c.X.n ? c.X.n : 1) * sizeof *labels);
    if (labels == NULL) {
        cli_error(cmd, "out of memory for %zu labels", c.X.n);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (c.X.dtype == KM_FLOAT32)
        status = km_predict_f32(c.model, c.X.data, c.X.n, c.X.d, labels, NULL,
                                c.a.threads);
    else
        status = km_predict_f64(c.model, c.X.data, c.X.n, c.X.d, labels, NULL,
                                c.a.threads);
    if (status != KM_OK) {
        rc = library_error(cmd, &c, status);
        goto done;
    }

    if (c.a.output != NULL || !c.a.json) {
        memset(&err, 0, sizeof err);
        if (kmio_write_labels(c.a.output ? c.a.output : "-", labels, c.X.n,
                              &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    if (c.a.json)
        rc = cli_print_json(predict_json(&c, labels));

done:
    free(labels);
    teardown(&c);
    return help_or(cmd, rc, help);
}

/* ---- transform -------------------------------------------------------------
 */

static int run_transform(const cli_command *cmd, int argc, char **argv)
{
    apply_ctx c;
    void *dist = NULL;
    kmio_error err;
    size_t k, elem;
    bool help;
    int rc, status;

    rc = setup(cmd, argc, argv, &c, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    k = (size_t)km_model_n_clusters(c.model);
    elem = c.X.dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    if (k != 0 && c.X.n > SIZE_MAX / k / elem) {
        cli_error(cmd, "%zu x %zu distances do not fit in memory", c.X.n, k);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    dist = malloc(c.X.n * k * elem + 1);
    if (dist == NULL) {
        cli_error(cmd, "out of memory for %zu x %zu distances", c.X.n, k);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (c.X.dtype == KM_FLOAT32)
        status = km_transform_f32(c.model, c.X.data, c.X.n, c.X.d, dist,
                                  c.a.threads);
    else
        status = km_transform_f64(c.model, c.X.data, c.X.n, c.X.d, dist,
                                  c.a.threads);
    if (status != KM_OK) {
        rc = library_error(cmd, &c, status);
        goto done;
    }

    if (c.a.output != NULL || !c.a.json) {
        memset(&err, 0, sizeof err);
        if (kmio_write_matrix(c.a.output ? c.a.output : "-", c.X.dtype, dist,
                              c.X.n, k, 0, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    if (c.a.json) {
        json_t *o = json_object();
        cli_json_set(o, "n_samples", json_integer((json_int_t)c.X.n));
        cli_json_set(o, "n_clusters", json_integer((json_int_t)k));
        cli_json_set(o, "dtype", json_string(cli_dtype_name(c.X.dtype)));
        if (c.a.output == NULL) {
            json_t *rows = json_array();
            for (size_t i = 0; i < c.X.n; i++) {
                json_t *row = json_array();
                for (size_t j = 0; j < k; j++) {
                    double v = c.X.dtype == KM_FLOAT32
                                   ? (double)((float *)dist)[i * k + j]
                                   : ((double *)dist)[i * k + j];
                    json_array_append_new(row, json_real(v));
                }
                json_array_append_new(rows, row);
            }
            cli_json_set(o, "distances", rows);
        }
        rc = cli_print_json(o);
    }

done:
    free(dist);
    teardown(&c);
    return help_or(cmd, rc, help);
}

/* ---- score ------------------------------------------------------------------
 */

static int run_score(const cli_command *cmd, int argc, char **argv)
{
    apply_ctx c;
    kmio_matrix W;
    double score = 0.0;
    bool help;
    int rc, status;

    memset(&W, 0, sizeof W);
    rc = setup(cmd, argc, argv, &c, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    if (c.a.weights != NULL) {
        rc = cli_read_weights(cmd, c.a.weights, c.X.dtype, c.X.n, c.a.data_path,
                              &W);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if (c.X.dtype == KM_FLOAT32)
        status = km_score_f32(c.model, c.X.data, c.X.n, c.X.d, W.data, &score,
                              c.a.threads);
    else
        status = km_score_f64(c.model, c.X.data, c.X.n, c.X.d, W.data, &score,
                              c.a.threads);
    if (status != KM_OK) {
        rc = library_error(cmd, &c, status);
        goto done;
    }
    if (c.a.json) {
        json_t *o = json_object();
        cli_json_set(o, "score", json_real(score));
        cli_json_set(o, "n_samples", json_integer((json_int_t)c.X.n));
        rc = cli_print_json(o);
    } else {
        char text[40];
        cli_format_double(text, sizeof text, score);
        printf("%s\n", text);
    }

done:
    kmio_matrix_free(&W);
    teardown(&c);
    return help_or(cmd, rc, help);
}

const cli_command cli_cmd_predict = {
    "predict",
    "MODEL DATA",
    "assign each row of DATA to its nearest center of MODEL",
    "DATA (CSV or .npy; '-' reads standard input) is read in the model's\n"
    "precision and must have as many columns as the model has features.\n"
    "Exact ties go to the lowest cluster index.\n",
    predict_options,
    run_predict,
};

const cli_command cli_cmd_transform = {
    "transform",
    "MODEL DATA",
    "Euclidean distance of each row of DATA to every center (n x k)",
    "DATA is read in the model's precision; the distances are written in\n"
    "that precision too.\n",
    transform_options,
    run_transform,
};

const cli_command cli_cmd_score = {
    "score",
    "MODEL DATA",
    "print minus the inertia of DATA under MODEL (scikit-learn's score)",
    "The score is -sum_i w_i * |x_i - c(x_i)|^2, where c(x_i) is the nearest\n"
    "center: higher is better, 0 is a perfect fit.\n",
    score_options,
    run_score,
};
