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

typedef struct model_args {
    const char *model, *output;
    bool json;
} model_args;

static int model_arg(const cli_command *cmd, void *user, int id,
                     const char *value)
{
    model_args *a = user;

    if (id == CLI_OPT_POSITIONAL)
        return cli_take_one(cmd, &a->model, value, "MODEL");
    if (id == OPT_JSON)
        a->json = true;
    else if (id == OPT_OUTPUT)
        a->output = value;
    return CLI_EXIT_OK;
}

/* Both commands take exactly one MODEL argument: parse and load it. */
static int open_model(const cli_command *cmd, int argc, char **argv,
                      model_args *a, km_model **m, bool *help)
{
    int rc;

    *m = NULL;
    memset(a, 0, sizeof *a);
    rc = cli_parse_args(cmd, argc, argv, NULL, model_arg, a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    rc = cli_require(cmd, a->model, "MODEL file");
    if (rc != CLI_EXIT_OK)
        return rc;
    return cli_load_model(cmd, a->model, m);
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
    model_args a;
    km_model *m;
    bool help;
    int rc;

    rc = open_model(cmd, argc, argv, &a, &m, &help);
    if (rc == CLI_EXIT_OK && !help)
        rc = a.json ? cli_print_json(info_json(m)) : print_info(m, a.model);
    km_model_free(m);
    return rc;
}

/* ---- centers ------------------------------------------------------------- */

static int run_centers(const cli_command *cmd, int argc, char **argv)
{
    model_args a;
    km_model *m;
    bool help;
    int rc;

    rc = open_model(cmd, argc, argv, &a, &m, &help);
    if (rc == CLI_EXIT_OK && !help)
        rc = cli_write_centers(cmd, m, a.output ? a.output : "-");
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
