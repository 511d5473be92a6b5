/*
 * cli_options.c - the command line as a whole: the scan calling a
 * command's handler per argument, the positional arguments, and the
 * options the K-Means commands share (-k, --init, --n-init, --max-iter,
 * --tol, --algorithm, --seed, --threads, --dtype, --weights, --model,
 * --labels, --centers, --json, --verbose).
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <string.h>

#include "cli.h"

int cli_parse_args(const cli_command *cmd, int argc, char **argv,
                   cli_fit_opts *fit, cli_arg_fn on_arg, void *user, bool *help)
{
    cli_parser ps;
    const char *value;
    int id, kind, rc;

    *help = false;
    cli_parser_init(&ps, cmd, argc, argv);
    while ((kind = cli_next(&ps, &id, &value)) != CLI_ARG_END) {
        if (kind == CLI_ARG_ERROR)
            return CLI_EXIT_USAGE;
        if (kind == CLI_ARG_HELP) {
            *help = true;
            cli_print_help(cmd, stdout);
            return CLI_EXIT_OK;
        }
        if (kind == CLI_ARG_POSITIONAL)
            rc = on_arg(cmd, user, CLI_OPT_POSITIONAL, value);
        else if (fit != NULL && id >= CLI_OPT_SHARED)
            rc = cli_fit_option(cmd, fit, id, value);
        else
            rc = on_arg(cmd, user, id, value);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

int cli_take_one(const cli_command *cmd, const char **slot, const char *value,
                 const char *what)
{
    if (*slot != NULL)
        return cli_usage(cmd, "unexpected argument '%s' (%s takes one %s)",
                         value, cmd->name, what);
    *slot = value;
    return CLI_EXIT_OK;
}

int cli_require(const cli_command *cmd, const char *value, const char *what)
{
    if (value != NULL)
        return CLI_EXIT_OK;
    return cli_usage(cmd, "missing %s (see 'kmeans help %s')", what, cmd->name);
}

bool cli_is_stdio(const char *path)
{
    return path != NULL && strcmp(path, "-") == 0;
}

void cli_fit_opts_init(cli_fit_opts *f, km_params *p, const char *init_hint)
{
    memset(f, 0, sizeof *f);
    f->p = p;
    f->init_file_ok = init_hint == NULL;
    f->init_hint = init_hint;
    f->want = KMIO_WANT_NATIVE;
}

static int parse_init(const cli_command *cmd, cli_fit_opts *f,
                      const char *value)
{
    if (strcmp(value, "k-means++") == 0) {
        f->p->init = KM_INIT_KMEANSPP;
        f->init_file = NULL;
    } else if (strcmp(value, "random") == 0) {
        f->p->init = KM_INIT_RANDOM;
        f->init_file = NULL;
    } else if (strcmp(value, "k-means||") == 0) {
        f->p->init = KM_INIT_KMEANS_PARALLEL;
        f->init_file = NULL;
    } else if (!f->init_file_ok) {
        return cli_usage(cmd,
                         "--init: '%s' is not one of k-means++, k-means||, "
                         "random%s",
                         value, f->init_hint);
    } else if (value[0] == '\0') {
        return cli_usage(cmd, "--init: expected k-means++, k-means||, random "
                              "or a file name");
    } else {
        f->p->init = KM_INIT_ARRAY;
        f->init_file = value;
    }
    return CLI_EXIT_OK;
}

static int usage_unless(bool ok)
{
    return ok ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int cli_fit_option(const cli_command *cmd, cli_fit_opts *f, int id,
                   const char *value)
{
    km_params *p = f->p;

    switch (id) {
    case CLI_OPT_CLUSTERS:
        if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &p->n_clusters))
            return CLI_EXIT_USAGE;
        f->k_given = true;
        break;
    case CLI_OPT_INIT:
        return parse_init(cmd, f, value);
    case CLI_OPT_N_INIT:
        return usage_unless(cli_parse_n_init(cmd, id, value, &p->n_init));
    case CLI_OPT_MAX_ITER:
        return usage_unless(
            cli_parse_int(cmd, id, value, 1, INT_MAX, &p->max_iter));
    case CLI_OPT_TOL:
        return usage_unless(cli_parse_tol(cmd, id, value, &p->tol));
    case CLI_OPT_ALGORITHM:
        return usage_unless(cli_parse_algorithm(cmd, value, &p->algorithm));
    case CLI_OPT_SEED:
        return usage_unless(cli_parse_u64(cmd, id, value, &p->seed));
    case CLI_OPT_THREADS:
        return usage_unless(
            cli_parse_int(cmd, id, value, 0, INT_MAX, &p->n_threads));
    case CLI_OPT_DTYPE:
        return usage_unless(cli_parse_dtype(cmd, value, &f->want));
    case CLI_OPT_WEIGHTS:
        f->weights = value;
        break;
    case CLI_OPT_MODEL:
        f->model = value;
        break;
    case CLI_OPT_LABELS:
        f->labels = value;
        break;
    case CLI_OPT_CENTERS:
        f->centers = value;
        break;
    case CLI_OPT_JSON:
        f->json = true;
        break;
    case CLI_OPT_VERBOSE:
        f->verbose = true;
        break;
    }
    return CLI_EXIT_OK;
}

int cli_check_fit_files(const cli_command *cmd, const char *data,
                        const cli_fit_opts *f)
{
    if (cli_is_stdio(data) + cli_is_stdio(f->init_file) +
            cli_is_stdio(f->weights) >
        1)
        return cli_usage(cmd, "only one input can be read from standard "
                              "input ('-')");
    if (cli_is_stdio(f->model))
        return cli_usage(cmd, "--model: a model must be written to a file, "
                              "not standard output");
    return CLI_EXIT_OK;
}
