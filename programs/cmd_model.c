/*
 * cmd_model.c - look inside a saved model: `kmeans info` (parameters and
 * fit results) and `kmeans centers` (export the centers).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_JSON, OPT_OUTPUT };

static const cli_option info_options[] = {
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: dtype, n_clusters, n_features, n_samples, "
     "inertia, n_iter, converged, params, centers"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option centers_options[] = {
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the k x d centers to FILE, .csv or .npy (default: CSV on "
     "stdout)"},
    {0, NULL, 0, NULL, NULL},
};

/* Both commands take exactly one MODEL argument. */
static int parse_args(const cli_command *cmd, int argc, char **argv,
                      const char **model, bool *json, const char **output,
                      bool *help)
{
    cli_parser ps;
    const char *value;
    int id, kind;

    *help = false;
    *model = NULL;
    cli_parser_init(&ps, cmd, argc, argv);
    while ((kind = cli_next(&ps, &id, &value)) != CLI_ARG_END) {
        if (kind == CLI_ARG_ERROR)
            return CLI_EXIT_USAGE;
        if (kind == CLI_ARG_HELP) {
            *help = true;
            return CLI_EXIT_OK;
        }
        if (kind == CLI_ARG_POSITIONAL) {
            if (*model != NULL)
                return cli_usage(cmd,
                                 "unexpected argument '%s' (%s takes one "
                                 "MODEL)",
                                 value, cmd->name);
            *model = value;
        } else if (id == OPT_JSON) {
            *json = true;
        } else if (id == OPT_OUTPUT) {
            *output = value;
        }
    }
    if (*model == NULL)
        return cli_usage(cmd, "missing MODEL file (see 'kmeans help %s')",
                         cmd->name);
    return CLI_EXIT_OK;
}

/* ---- info -----------------------------------------------------------------
 */

static json_t *params_json(const km_params *p)
{
    json_t *o = json_object();

    cli_json_set(o, "init", json_string(cli_init_name(p->init)));
    cli_json_set(o, "n_init", json_integer(cli_effective_n_init(p)));
    cli_json_set(o, "max_iter", json_integer(p->max_iter));
    cli_json_set(o, "tol", json_real(p->tol));
    cli_json_set(o, "algorithm", json_string(cli_algorithm_name(p->algorithm)));
    cli_json_set(o, "seed", cli_json_seed(p->seed));
    return o;
}

static json_t *info_json(const km_model *m)
{
    km_params p;
    unsigned flags = km_model_flags(m);
    json_t *o = json_object(), *centers = cli_json_centers(m);

    if (o == NULL || centers == NULL) {
        json_decref(o);
        json_decref(centers);
        return NULL;
    }
    km_model_params(m, &p);
    cli_json_set(o, "dtype", json_string(cli_dtype_name(km_model_dtype(m))));
    cli_json_set(o, "n_clusters", json_integer(km_model_n_clusters(m)));
    cli_json_set(o, "n_features",
                 json_integer((json_int_t)km_model_n_features(m)));
    cli_json_set(o, "n_samples",
                 json_integer((json_int_t)km_model_n_samples(m)));
    cli_json_set(o, "inertia", json_real(km_model_inertia(m)));
    cli_json_set(o, "n_iter", json_integer(km_model_n_iter(m)));
    cli_json_set(o, "converged", json_boolean(flags & KM_FLAG_CONVERGED));
    cli_json_set(o, "fewer_clusters",
                 json_boolean(flags & KM_FLAG_FEWER_CLUSTERS));
    cli_json_set(o, "params", params_json(&p));
    cli_json_set(o, "centers", centers);
    return o;
}

/* Centers are shown in full only while they fit on a screen. */
enum { INFO_MAX_ROWS = 20, INFO_MAX_COLS = 8 };

static int print_info(const km_model *m, const char *path)
{
    km_params p;
    unsigned flags = km_model_flags(m);
    int k = km_model_n_clusters(m);
    size_t d = km_model_n_features(m);
    char inertia[40], tol[40];

    km_model_params(m, &p);
    cli_format_double(inertia, sizeof inertia, km_model_inertia(m));
    cli_format_double(tol, sizeof tol, p.tol);
    printf("model      %s\n", path);
    printf("dtype      %s\n", cli_dtype_name(km_model_dtype(m)));
    printf("clusters   %d\n", k);
    printf("features   %zu\n", d);
    printf("samples    %zu\n", km_model_n_samples(m));
    printf("inertia    %s\n", inertia);
    printf("iterations %d (%s)\n", km_model_n_iter(m),
           (flags & KM_FLAG_CONVERGED) ? "converged" : "not converged");
    if (flags & KM_FLAG_FEWER_CLUSTERS)
        printf("note       fewer distinct clusters than k were found\n");
    printf("parameters init=%s n_init=%d max_iter=%d tol=%s algorithm=%s "
           "seed=%llu\n",
           cli_init_name(p.init), cli_effective_n_init(&p), p.max_iter, tol,
           cli_algorithm_name(p.algorithm), (unsigned long long)p.seed);

    if (k > INFO_MAX_ROWS || d > INFO_MAX_COLS) {
        printf("centers    %d x %zu (export with 'kmeans centers %s')\n", k, d,
               path);
        return CLI_EXIT_OK;
    }
    double *c = malloc((size_t)k * d * sizeof *c);
    if (c == NULL || km_model_centers_f64(m, c) != KM_OK) {
        free(c);
        cli_error(NULL, "out of memory");
        return CLI_EXIT_FAIL;
    }
    printf("centers\n");
    for (size_t j = 0; j < (size_t)k; j++) {
        printf("  %3zu:", j);
        for (size_t f = 0; f < d; f++)
            printf(" %12.6g", c[j * d + f]);
        printf("\n");
    }
    free(c);
    return CLI_EXIT_OK;
}

static int run_info(const cli_command *cmd, int argc, char **argv)
{
    const char *path, *unused = NULL;
    km_model *m = NULL;
    bool json = false, help;
    int rc;

    rc = parse_args(cmd, argc, argv, &path, &json, &unused, &help);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (help) {
        cli_print_help(cmd, stdout);
        return CLI_EXIT_OK;
    }
    rc = cli_load_model(cmd, path, &m);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = json ? cli_print_json(info_json(m)) : print_info(m, path);
    km_model_free(m);
    return rc;
}

/* ---- centers ------------------------------------------------------------- */

static int run_centers(const cli_command *cmd, int argc, char **argv)
{
    const char *path, *output = NULL;
    km_model *m = NULL;
    bool unused = false, help;
    kmio_error err;
    void *c = NULL;
    int rc, status;

    rc = parse_args(cmd, argc, argv, &path, &unused, &output, &help);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (help) {
        cli_print_help(cmd, stdout);
        return CLI_EXIT_OK;
    }
    rc = cli_load_model(cmd, path, &m);
    if (rc != CLI_EXIT_OK)
        return rc;

    km_dtype dt = km_model_dtype(m);
    size_t k = (size_t)km_model_n_clusters(m), d = km_model_n_features(m);
    c = malloc(k * d * (dt == KM_FLOAT32 ? sizeof(float) : sizeof(double)));
    if (c == NULL) {
        cli_error(cmd, "out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    status = dt == KM_FLOAT32 ? km_model_centers_f32(m, c)
                              : km_model_centers_f64(m, c);
    if (status != KM_OK) {
        cli_error(cmd, "model %s: %s", path, km_strerror(status));
        rc = cli_exit_for_status(status);
        goto done;
    }
    memset(&err, 0, sizeof err);
    if (kmio_write_matrix(output ? output : "-", dt, c, k, d, 0, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
    }

done:
    free(c);
    km_model_free(m);
    return rc;
}

const cli_command cli_cmd_info = {
    "info",
    "MODEL",
    "show what a model file holds: parameters, k, d, inertia, centers",
    "",
    info_options,
    run_info,
};

const cli_command cli_cmd_centers = {
    "centers",
    "MODEL",
    "export the centers of a model (k rows, d columns)",
    "Centers are written in the model's precision (float32 or float64).\n",
    centers_options,
    run_centers,
};
