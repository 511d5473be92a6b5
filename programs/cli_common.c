/*
 * cli_common.c - option scanning, messages, strict number parsing, data
 * and model reading, JSON output and timing for the kmeans subcommands.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* ---- help -----------------------------------------------------------------
 */

enum { HELP_INDENT = 27, HELP_WIDTH = 79 };

/* Print text word-wrapped from column `col` (already reached) to HELP_WIDTH,
   continuation lines indented by HELP_INDENT. */
static void print_wrapped(FILE *fp, const char *text, size_t col)
{
    const char *p = text;

    while (*p != '\0') {
        size_t len = strcspn(p, " ");
        if (col > HELP_INDENT && col + 1 + len > HELP_WIDTH) {
            fprintf(fp, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        } else if (col > HELP_INDENT) {
            fputc(' ', fp);
            col++;
        }
        fprintf(fp, "%.*s", (int)len, p);
        col += len;
        p += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', fp);
}

static void print_option(FILE *fp, const char *left, const char *help)
{
    size_t len = strlen(left);

    fprintf(fp, "  %s", left);
    if (len + 2 < HELP_INDENT) {
        fprintf(fp, "%*s", (int)(HELP_INDENT - 2 - len), "");
    } else {
        fprintf(fp, "\n%*s", HELP_INDENT, "");
    }
    print_wrapped(fp, help, HELP_INDENT);
}

void cli_print_help(const cli_command *cmd, FILE *fp)
{
    fprintf(fp, "usage: kmeans %s%s%s [options]\n\n", cmd->name,
            cmd->args[0] ? " " : "", cmd->args);
    fprintf(fp, "%s\n", cmd->summary);
    if (cmd->details != NULL && cmd->details[0] != '\0')
        fprintf(fp, "\n%s", cmd->details);
    fprintf(fp, "\noptions:\n");
    for (const cli_option *o = cmd->options; o->long_name != NULL; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name,
                     o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->long_name,
                     o->arg ? " " : "", o->arg ? o->arg : "");
        print_option(fp, left, o->help);
    }
    print_option(fp, "-h, --help", "show this help and exit");
}

/* ---- option scanning ------------------------------------------------------
 */

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc,
                     char **argv)
{
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->next = 1;
    p->options_done = false;
}

const char *cli_option_label(const cli_command *cmd, int id, char *buf,
                             size_t size)
{
    for (const cli_option *o = cmd->options; o->long_name != NULL; o++) {
        if (o->id != id)
            continue;
        if (o->short_name)
            snprintf(buf, size, "-%c", o->short_name);
        else
            snprintf(buf, size, "--%s", o->long_name);
        return buf;
    }
    snprintf(buf, size, "option");
    return buf;
}

static int unknown_option(const cli_parser *p, const char *arg)
{
    cli_error(p->cmd, "unknown option '%s' (see 'kmeans help %s')", arg,
              p->cmd->name);
    return CLI_ARG_ERROR;
}

int cli_next(cli_parser *p, int *id, const char **value)
{
    const cli_option *opt = NULL;
    const char *arg, *inline_value = NULL;

    *value = NULL;
    if (p->next >= p->argc)
        return CLI_ARG_END;
    arg = p->argv[p->next++];

    if (p->options_done || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return CLI_ARG_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
        p->options_done = true;
        return cli_next(p, id, value);
    }
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        return CLI_ARG_HELP;

    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (const cli_option *o = p->cmd->options; o->long_name != NULL; o++) {
            if (strlen(o->long_name) == len &&
                strncmp(o->long_name, name, len) == 0) {
                opt = o;
                break;
            }
        }
        if (opt == NULL) {
            char shown[128];
            snprintf(shown, sizeof shown, "--%.*s",
                     (int)(len < 100 ? len : 100), name);
            return unknown_option(p, shown);
        }
        if (eq != NULL) {
            if (opt->arg == NULL) {
                cli_error(p->cmd, "option '--%s' takes no value",
                          opt->long_name);
                return CLI_ARG_ERROR;
            }
            inline_value = eq + 1;
        }
    } else {
        for (const cli_option *o = p->cmd->options; o->long_name != NULL; o++) {
            if (o->short_name != 0 && o->short_name == arg[1]) {
                opt = o;
                break;
            }
        }
        if (opt == NULL || (opt->arg == NULL && arg[2] != '\0'))
            return unknown_option(p, arg);
        if (arg[2] != '\0')
            inline_value = arg + 2;
    }

    *id = opt->id;
    if (opt->arg == NULL)
        return CLI_ARG_OPTION;
    if (inline_value != NULL) {
        *value = inline_value;
        return CLI_ARG_OPTION;
    }
    if (p->next >= p->argc) {
        if (arg[1] == '-')
            cli_error(p->cmd, "option '--%s' needs a value (%s)",
                      opt->long_name, opt->arg);
        else
            cli_error(p->cmd, "option '%s' needs a value (%s)", arg, opt->arg);
        return CLI_ARG_ERROR;
    }
    *value = p->argv[p->next++];
    return CLI_ARG_OPTION;
}

/* ---- messages -------------------------------------------------------------
 */

static void vmessage(const cli_command *cmd, const char *kind, const char *fmt,
                     va_list ap)
{
    fflush(stdout);
    if (cmd != NULL)
        fprintf(stderr, "kmeans %s: %s", cmd->name, kind);
    else
        fprintf(stderr, "kmeans: %s", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, "", fmt, ap);
    va_end(ap);
}

int cli_usage(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, "", fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(NULL, "warning: ", fmt, ap);
    va_end(ap);
}

int cli_exit_for_status(int status)
{
    switch (status) {
    case KM_OK:
        return CLI_EXIT_OK;
    case KM_ERR_ARG:
    case KM_ERR_SHAPE:
    case KM_ERR_NONFINITE:
    case KM_ERR_WEIGHTS:
    case KM_ERR_FORMAT:
    case KM_ERR_VERSION:
    case KM_ERR_CORRUPT:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_FAIL;
    }
}

const char *cli_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

/* ---- numbers --------------------------------------------------------------
 */

/* strtol and friends skip leading white space and accept a sign the caller
   may not want; a value must be the whole argument and nothing else. */
static bool plain_token(const char *text)
{
    return text[0] != '\0' && !isspace((unsigned char)text[0]);
}

bool cli_parse_int(const cli_command *cmd, int id, const char *text, int min,
                   int max, int *out)
{
    char label[80], *end;
    long long v;

    cli_option_label(cmd, id, label, sizeof label);
    errno = 0;
    v = plain_token(text) ? strtoll(text, &end, 10) : 0;
    if (!plain_token(text) || *end != '\0') {
        cli_error(cmd, "%s: '%s' is not an integer", label, text);
        return false;
    }
    if (errno == ERANGE || v < min || v > max) {
        if (v < min && errno != ERANGE)
            cli_error(cmd, "%s must be at least %d (got %s)", label, min, text);
        else
            cli_error(cmd, "%s: %s is out of range (%d to %d)", label, text,
                      min, max);
        return false;
    }
    *out = (int)v;
    return true;
}

bool cli_parse_u64(const cli_command *cmd, int id, const char *text,
                   uint64_t *out)
{
    char label[80], *end;
    unsigned long long v;

    cli_option_label(cmd, id, label, sizeof label);
    if (!plain_token(text) || !isdigit((unsigned char)text[0])) {
        if (text[0] == '-' && isdigit((unsigned char)text[1]))
            cli_error(cmd, "%s must be a non-negative integer (got %s)", label,
                      text);
        else
            cli_error(cmd, "%s: '%s' is not an integer", label, text);
        return false;
    }
    errno = 0;
    v = strtoull(text, &end, 10);
    if (*end != '\0') {
        cli_error(cmd, "%s: '%s' is not an integer", label, text);
        return false;
    }
    if (errno == ERANGE) {
        cli_error(cmd, "%s: %s is out of range (0 to %" PRIu64 ")", label, text,
                  UINT64_MAX);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool cli_parse_double(const cli_command *cmd, int id, const char *text,
                      double *out)
{
    char label[80], *end;
    double v;

    cli_option_label(cmd, id, label, sizeof label);
    errno = 0;
    v = plain_token(text) ? strtod(text, &end) : 0.0;
    if (!plain_token(text) || *end != '\0') {
        cli_error(cmd, "%s: '%s' is not a number", label, text);
        return false;
    }
    /* ERANGE on underflow still gives a usable (tiny or zero) value. */
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) {
        cli_error(cmd, "%s: '%s' is not a finite number", label, text);
        return false;
    }
    *out = v;
    return true;
}

/* ---- enum names ------------------------------------------------------------
 */

const char *cli_dtype_name(km_dtype dtype)
{
    return dtype == KM_FLOAT32 ? "float32" : "float64";
}

const char *cli_init_name(km_init init)
{
    switch (init) {
    case KM_INIT_KMEANSPP:
        return "k-means++";
    case KM_INIT_RANDOM:
        return "random";
    case KM_INIT_ARRAY:
        return "array";
    case KM_INIT_KMEANS_PARALLEL:
        return "k-means||";
    }
    return "unknown";
}

bool cli_parse_n_init(const cli_command *cmd, int id, const char *text,
                      int *out)
{
    if (strcmp(text, "auto") == 0) {
        *out = 0;
        return true;
    }
    return cli_parse_int(cmd, id, text, 1, INT_MAX, out);
}

bool cli_parse_tol(const cli_command *cmd, int id, const char *text,
                   double *out)
{
    if (!cli_parse_double(cmd, id, text, out))
        return false;
    if (!(*out >= 0.0)) {
        cli_usage(cmd, "--tol must be non-negative (got %s)", text);
        return false;
    }
    return true;
}

bool cli_parse_dtype(const cli_command *cmd, const char *text, kmio_want *out)
{
    if (strcmp(text, "float32") == 0) {
        *out = KMIO_WANT_F32;
        return true;
    }
    if (strcmp(text, "float64") == 0) {
        *out = KMIO_WANT_F64;
        return true;
    }
    cli_usage(cmd, "--dtype: '%s' is not one of float32, float64", text);
    return false;
}

bool cli_parse_algorithm(const cli_command *cmd, const char *text,
                         km_algorithm *out)
{
    static const km_algorithm all[] = {KM_ALGO_LLOYD, KM_ALGO_ELKAN,
                                       KM_ALGO_HAMERLY, KM_ALGO_YINYANG,
                                       KM_ALGO_AUTO};

    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(text, cli_algorithm_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    }
    cli_usage(cmd,
              "--algorithm: '%s' is not one of lloyd, elkan, hamerly, "
              "yinyang, auto",
              text);
    return false;
}

const char *cli_algorithm_name(km_algorithm algorithm)
{
    switch (algorithm) {
    case KM_ALGO_AUTO:
        return "auto";
    case KM_ALGO_LLOYD:
        return "lloyd";
    case KM_ALGO_ELKAN:
        return "elkan";
    case KM_ALGO_HAMERLY:
        return "hamerly";
    case KM_ALGO_YINYANG:
        return "yinyang";
    }
    return "unknown";
}

int cli_effective_n_init(const km_params *p)
{
    if (p->init == KM_INIT_ARRAY)
        return 1;
    if (p->n_init > 0)
        return p->n_init;
    return p->init == KM_INIT_RANDOM ? 10 : 1;
}

/* ---- data and models --------------------------------------------------------
 */

int cli_read_matrix(const cli_command *cmd, const char *path, kmio_want want,
                    kmio_matrix *out)
{
    kmio_error err;

    memset(&err, 0, sizeof err);
    if (kmio_read_matrix(path, want, 0, out, &err) != 0) {
        cli_error(cmd, "%s",
                  err.msg[0] ? err.msg : "cannot read input (no details)");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_read_weights(const cli_command *cmd, const char *path, km_dtype dtype,
                     size_t n, const char *data_path, kmio_matrix *out)
{
    const char *name = cli_display_name(path);
    bool any_positive = false;
    int rc;

    rc = cli_read_matrix(cmd, path, cli_want_for(dtype), out);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (out->d != 1) {
        cli_error(cmd,
                  "weights %s has %zu columns; expected one weight per row "
                  "(one column or a 1-D .npy)",
                  name, out->d);
        goto fail;
    }
    if (out->n != n) {
        cli_error(cmd, "weights %s has %zu values but %s has %zu rows", name,
                  out->n, cli_display_name(data_path), n);
        goto fail;
    }
    for (size_t i = 0; i < out->n; i++) {
        double w = out->dtype == KM_FLOAT32 ? (double)((float *)out->data)[i]
                                            : ((double *)out->data)[i];
        if (w < 0.0) {
            char text[40];
            cli_format_double(text, sizeof text, w);
            cli_error(cmd, "weights %s: weight %zu is negative (%s)", name,
                      i + 1, text);
            goto fail;
        }
        if (w > 0.0)
            any_positive = true;
    }
    if (!any_positive) {
        cli_error(cmd, "weights %s: all weights are zero", name);
        goto fail;
    }
    return CLI_EXIT_OK;

fail:
    kmio_matrix_free(out);
    return CLI_EXIT_USAGE;
}

int cli_load_model(const cli_command *cmd, const char *path, km_model **out)
{
    int status;

    *out = NULL;
    errno = 0;
    status = km_model_load(path, out);
    if (status == KM_OK)
        return CLI_EXIT_OK;
    if (status == KM_ERR_IO && errno != 0)
        cli_error(cmd, "cannot read model %s: %s", path, strerror(errno));
    else
        cli_error(cmd, "model %s: %s", path, km_strerror(status));
    /* An unreadable model is bad input like any other file. */
    return status == KM_ERR_IO ? CLI_EXIT_USAGE : cli_exit_for_status(status);
}

int cli_check_features(const cli_command *cmd, const km_model *model,
                       const kmio_matrix *data, const char *data_path)
{
    size_t d = km_model_n_features(model);

    if (data->d == d)
        return CLI_EXIT_OK;
    cli_error(cmd, "model has %zu feature%s but %s has %zu column%s", d,
              d == 1 ? "" : "s", cli_display_name(data_path), data->d,
              data->d == 1 ? "" : "s");
    return CLI_EXIT_USAGE;
}

kmio_want cli_want_for(km_dtype dtype)
{
    return dtype == KM_FLOAT32 ? KMIO_WANT_F32 : KMIO_WANT_F64;
}

int cli_save_model(const cli_command *cmd, const km_model *model,
                   const char *path)
{
    int status;

    errno = 0;
    status = km_model_save(model, path);
    if (status == KM_OK)
        return CLI_EXIT_OK;
    if (status == KM_ERR_IO && errno != 0)
        cli_error(cmd, "cannot write model %s: %s", path, strerror(errno));
    else
        cli_error(cmd, "cannot write model %s: %s", path, km_strerror(status));
    return CLI_EXIT_FAIL;
}

int cli_write_labels(const cli_command *cmd, const char *path,
                     const int32_t *labels, size_t n)
{
    kmio_error err;

    memset(&err, 0, sizeof err);
    if (kmio_write_labels(path, labels, n, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

int cli_write_centers(const cli_command *cmd, const km_model *model,
                      const char *path)
{
    km_dtype dt = km_model_dtype(model);
    size_t k = (size_t)km_model_n_clusters(model);
    size_t d = km_model_n_features(model);
    void *c =
        malloc(k * d * (dt == KM_FLOAT32 ? sizeof(float) : sizeof(double)));
    kmio_error err;
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
    } else if (kmio_write_matrix(path, dt, c, k, d, 0, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
    }
    free(c);
    return rc;
}

/* ---- output
 * ------------------------------------------------------------------ */

void cli_format_double(char *buf, size_t size, double x)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

int cli_print_json(json_t *obj)
{
    char *text;

    if (obj == NULL) {
        cli_error(NULL, "out of memory building the JSON output");
        return CLI_EXIT_FAIL;
    }
    /* jansson prints reals with 17 significant digits: they read back as
       the same double. */
    text = json_dumps(obj, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(obj);
    if (text == NULL) {
        cli_error(NULL, "out of memory printing the JSON output");
        return CLI_EXIT_FAIL;
    }
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    return CLI_EXIT_OK;
}

void cli_json_set(json_t *obj, const char *key, json_t *value)
{
    if (obj != NULL && value != NULL)
        json_object_set_new(obj, key, value);
    else
        json_decref(value);
}

json_t *cli_json_seed(uint64_t seed)
{
    char text[32];

    if (seed <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)seed);
    snprintf(text, sizeof text, "%" PRIu64, seed);
    return json_string(text);
}

json_t *cli_json_centers(const km_model *model)
{
    int k = km_model_n_clusters(model);
    size_t d = km_model_n_features(model);
    json_t *rows = json_array();
    double *c = malloc((size_t)k * d * sizeof *c);

    if (rows == NULL || c == NULL || km_model_centers_f64(model, c) != KM_OK) {
        json_decref(rows);
        free(c);
        return NULL;
    }
    for (size_t j = 0; j < (size_t)k; j++) {
        json_t *row = json_array();
        for (size_t f = 0; f < d; f++)
            json_array_append_new(row, json_real(c[j * d + f]));
        json_array_append_new(rows, row);
    }
    free(c);
    return rows;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- log callback
 * ------------------------------------------------------------ */

void cli_log_init(cli_log *log, const cli_command *cmd, bool verbose,
                  int n_runs)
{
    log->cmd = cmd;
    log->verbose = verbose;
    log->n_runs = n_runs;
    log->warnings = json_array();
}

static bool seen_warning(const cli_log *log, const char *message)
{
    size_t i;
    json_t *w;

    json_array_foreach(log->warnings, i, w)
    {
        if (strcmp(json_string_value(w), message) == 0)
            return true;
    }
    return false;
}

void cli_log_event(void *user, const km_log_event *event)
{
    cli_log *log = user;
    const char *name = log->cmd ? log->cmd->name : "fit";

    switch (event->kind) {
    case KM_LOG_WARNING: {
        const char *msg = event->message ? event->message : "(no message)";
        /* The same warning from each of n_init runs says nothing new. */
        if (log->warnings != NULL && seen_warning(log, msg))
            return;
        cli_warning("%s", msg);
        if (log->warnings != NULL)
            json_array_append_new(log->warnings, json_string(msg));
        return;
    }
    case KM_LOG_ITER:
        if (log->verbose)
            fprintf(stderr,
                    "kmeans %s: run %d/%d iteration %d: inertia %.10g, "
                    "center shift %.6g\n",
                    name, event->run + 1, log->n_runs, event->iter,
                    event->inertia, event->center_shift);
        return;
    case KM_LOG_RUN:
        if (log->verbose)
            fprintf(stderr,
                    "kmeans %s: run %d/%d done: inertia %.10g after %d "
                    "iteration%s\n",
                    name, event->run + 1, log->n_runs, event->inertia,
                    event->iter, event->iter == 1 ? "" : "s");
        return;
    }
}

void cli_log_free(cli_log *log)
{
    json_decref(log->warnings);
    log->warnings = NULL;
}
