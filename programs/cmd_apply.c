/*
 * cmd_apply.c - apply a saved model to new data: `kmeans predict` (nearest
 * center), `kmeans transform` (distance to every center) and `kmeans score`
 * (minus the inertia).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_OUTPUT, OPT_THREADS, OPT_JSON, OPT_WEIGHTS, OPT_SHAPE, OPT_DTYPE };

/* Rows per chunk when DATA is streamed (a float .npy or a raw file). */
#define APPLY_CHUNK ((size_t)65536)

#define HELP_RAW_DTYPE                                                         \
    "element type of a raw DATA file: float32 or float64 (default float32)"

static const cli_option predict_options[] = {
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the labels to FILE, .csv or .npy (default: one per line on "
     "stdout)"},
    {OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: n_samples, n_clusters, counts (and labels "
     "without -o)"},
    {OPT_SHAPE, "shape", 0, "N,D", CLI_HELP_SHAPE},
    {OPT_DTYPE, "dtype", 0, "TYPE", HELP_RAW_DTYPE},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option transform_options[] = {
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the n x k distances to FILE, .csv or .npy (default: CSV on "
     "stdout)"},
    {OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {OPT_JSON, "json", 0, NULL,
     "print one JSON object: n_samples, n_clusters (and distances without "
     "-o)"},
    {OPT_SHAPE, "shape", 0, "N,D", CLI_HELP_SHAPE},
    {OPT_DTYPE, "dtype", 0, "TYPE", HELP_RAW_DTYPE},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option score_options[] = {
    {OPT_WEIGHTS, "weights", 0, "FILE",
     "one non-negative weight per row: a one-column CSV or a 1-D .npy "
     "(default: all 1)"},
    {OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {OPT_JSON, "json", 0, NULL, "print one JSON object: score, n_samples"},
    {OPT_SHAPE, "shape", 0, "N,D", CLI_HELP_SHAPE},
    {OPT_DTYPE, "dtype", 0, "TYPE", HELP_RAW_DTYPE},
    {0, NULL, 0, NULL, NULL},
};

typedef struct apply_args {
    const char *model_path;
    const char *data_path;
    const char *output;
    const char *weights;
    int threads;
    bool json;
    bool raw;
    size_t raw_n, raw_d;
    km_dtype raw_dtype;
} apply_args;

static int apply_arg(const cli_command *cmd, void *user, int id,
                     const char *value)
{
    apply_args *a = user;

    switch (id) {
    case CLI_OPT_POSITIONAL:
        if (a->model_path == NULL)
            a->model_path = value;
        else if (a->data_path == NULL)
            a->data_path = value;
        else
            return cli_usage(cmd,
                             "unexpected argument '%s' (%s takes MODEL "
                             "DATA)",
                             value, cmd->name);
        break;
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
    case OPT_SHAPE: {
        char *end;
        unsigned long long nn, dd;
        errno = 0;
        nn = strtoull(value, &end, 10);
        if (end == value || *end != ',' || value[0] == '-')
            return cli_usage(cmd, "--shape: expected N,D");
        dd = strtoull(end + 1, &end, 10);
        if (*end != '\0' || dd == 0 || errno != 0)
            return cli_usage(cmd, "--shape: expected N,D with D >= 1");
        a->raw = true;
        a->raw_n = (size_t)nn;
        a->raw_d = (size_t)dd;
        break;
    }
    case OPT_DTYPE:
        if (strcmp(value, "float32") == 0)
            a->raw_dtype = KM_FLOAT32;
        else if (strcmp(value, "float64") == 0)
            a->raw_dtype = KM_FLOAT64;
        else
            return cli_usage(cmd,
                             "--dtype: '%s' is not one of float32, "
                             "float64",
                             value);
        break;
    }
    return CLI_EXIT_OK;
}

/* Returns CLI_EXIT_OK with *help set, or an exit code on error. */
static int parse_args(const cli_command *cmd, int argc, char **argv,
                      apply_args *a, bool *help)
{
    int rc;

    memset(a, 0, sizeof *a);
    a->raw_dtype = KM_FLOAT32;
    rc = cli_parse_args(cmd, argc, argv, NULL, apply_arg, a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    rc = cli_require(cmd, a->model_path, "MODEL and DATA");
    if (rc == CLI_EXIT_OK)
        rc = cli_require(cmd, a->data_path, "DATA file");
    if (rc != CLI_EXIT_OK)
        return rc;
    if (a->json && cli_is_stdio(a->output))
        return cli_usage(cmd, "--json prints on standard output; give -o a "
                              "file name");
    if (cli_is_stdio(a->weights) && cli_is_stdio(a->data_path))
        return cli_usage(cmd, "only one input can be read from standard "
                              "input ('-')");
    return CLI_EXIT_OK;
}

/* Everything the three commands do before their own computation. */
typedef struct apply_ctx apply_ctx;
static int open_stream(const cli_command *cmd, apply_ctx *c);

struct apply_ctx {
    apply_args a;
    km_model *model;
    kmio_matrix X;
    /* A float .npy or raw DATA is streamed in chunks instead of X: memory
       stays bounded whatever the file size. */
    bool streamed;
    kmio_stream S;
    km_dtype dtype; /* precision of the computation: the model's */
    void *chunk;    /* APPLY_CHUNK rows */
};

/* Stream DATA when it is a raw file (--shape) or a float .npy file. */
static int open_stream(const cli_command *cmd, apply_ctx *c)
{
    const char *path = c->a.data_path;
    size_t len = strlen(path), elem, cm;
    kmio_error err;
    int r;

    memset(&err, 0, sizeof err);
    if (c->a.raw) {
        if (strcmp(path, "-") == 0)
            return cli_usage(cmd, "--shape: raw data must be a file, not "
                                  "standard input");
        r = kmio_stream_open_raw(&c->S, path, c->a.raw_n, c->a.raw_d,
                                 c->a.raw_dtype, &err);
    } else if (len >= 4 && strcmp(path + len - 4, ".npy") == 0) {
        r = kmio_stream_open_npy(&c->S, path, &err);
    } else {
        return CLI_EXIT_OK;
    }
    if (r < 0) {
        cli_error(cmd, "%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    if (r > 0)
        return CLI_EXIT_OK; /* read whole, with the reader's messages */
    c->streamed = true;
    c->X.n = c->S.n;
    c->X.d = c->S.d;
    c->X.dtype = c->dtype;
    elem = c->dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    cm = c->S.n < APPLY_CHUNK ? c->S.n : APPLY_CHUNK;
    c->chunk = malloc(cm * c->S.d * elem);
    if (c->chunk == NULL) {
        cli_error(cmd, "out of memory for a %zu-row buffer", cm);
        return CLI_EXIT_FAIL;
    }
    return cli_check_features(cmd, c->model, &c->X, path);
}

/* Rows [lo, lo + m) of streamed DATA into c->chunk; an exit code. */
static int read_chunk(const cli_command *cmd, apply_ctx *c, size_t lo, size_t m)
{
    kmio_error err;

    memset(&err, 0, sizeof err);
    if (kmio_stream_read(&c->S, lo, m, c->dtype, c->chunk, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

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
    c->dtype = km_model_dtype(c->model);
    rc = open_stream(cmd, c);
    if (rc != CLI_EXIT_OK || c->streamed)
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
    if (c->streamed)
        kmio_stream_close(&c->S);
    free(c->chunk);
    kmio_matrix_free(&c->X);
    km_model_free(c->model);
}

static int library_error(const cli_command *cmd, const apply_ctx *c, int status)
{
    cli_error(cmd, "%s: %s", cli_display_name(c->a.data_path),
              km_strerror(status));
    return cli_exit_for_status(status);
}

typedef int (*apply_fn)(const cli_command *cmd, apply_ctx *c);

/* The flow of the three commands: the arguments, MODEL and DATA, then the
   command's computation on DATA streamed or read whole. */
static int run_apply(const cli_command *cmd, int argc, char **argv,
                     apply_fn streamed, apply_fn whole)
{
    apply_ctx c;
    bool help;
    int rc;

    rc = setup(cmd, argc, argv, &c, &help);
    if (rc == CLI_EXIT_OK && !help)
        rc = c.streamed ? streamed(cmd, &c) : whole(cmd, &c);
    teardown(&c);
    return rc;
}

/* ---- streamed DATA: chunk by chunk, outputs appended as they come ---- */

static int predict_streamed(const cli_command *cmd, apply_ctx *c)
{
    const size_t n = c->S.n, d = c->S.d;
    const int k = km_model_n_clusters(c->model);
    int32_t *lab = malloc(APPLY_CHUNK * sizeof *lab);
    size_t *count = calloc((size_t)k, sizeof *count);
    json_t *arr = NULL;
    kmio_ostream o;
    kmio_error err;
    bool writing = c->a.output != NULL || !c->a.json;
    int rc = CLI_EXIT_FAIL, st;

    memset(&err, 0, sizeof err);
    memset(&o, 0, sizeof o);
    if (lab == NULL || count == NULL) {
        cli_error(cmd, "out of memory");
        goto out;
    }
    if (c->a.json && c->a.output == NULL)
        arr = json_array();
    if (writing && kmio_ostream_open_labels(&o, c->a.output ? c->a.output : "-",
                                            n, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        goto out;
    }
    for (size_t lo = 0; lo < n; lo += APPLY_CHUNK) {
        size_t m = n - lo < APPLY_CHUNK ? n - lo : APPLY_CHUNK;

        rc = read_chunk(cmd, c, lo, m);
        if (rc != CLI_EXIT_OK)
            goto fail;
        st = c->dtype == KM_FLOAT32 ? km_predict_f32(c->model, c->chunk, m, d,
                                                     lab, NULL, c->a.threads)
                                    : km_predict_f64(c->model, c->chunk, m, d,
                                                     lab, NULL, c->a.threads);
        if (st != KM_OK) {
            rc = library_error(cmd, c, st);
            goto fail;
        }
        for (size_t i = 0; i < m; i++) {
            count[lab[i]]++;
            if (arr != NULL)
                json_array_append_new(arr, json_integer(lab[i]));
        }
        if (writing && kmio_ostream_write(&o, lab, m, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
            goto fail;
        }
    }
    if (writing && kmio_ostream_commit(&o, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    rc = CLI_EXIT_OK;
    if (c->a.json) {
        json_t *obj = json_object(), *counts = json_array();
        for (int j = 0; j < k; j++)
            json_array_append_new(counts, json_integer((json_int_t)count[j]));
        cli_json_set(obj, "n_samples", json_integer((json_int_t)n));
        cli_json_set(obj, "n_clusters", json_integer(k));
        cli_json_set(obj, "counts", counts);
        if (arr != NULL) {
            cli_json_set(obj, "labels", arr);
            arr = NULL;
        }
        rc = cli_print_json(obj);
    }
    goto out;
fail:
    if (writing)
        kmio_ostream_abort(&o);
out:
    json_decref(arr);
    free(lab);
    free(count);
    return rc;
}

static int transform_streamed(const cli_command *cmd, apply_ctx *c)
{
    const size_t n = c->S.n, d = c->S.d;
    const size_t k = (size_t)km_model_n_clusters(c->model);
    const size_t elem = c->dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    void *dist = malloc(APPLY_CHUNK * k * elem);
    json_t *rows = NULL;
    kmio_ostream o;
    kmio_error err;
    bool writing = c->a.output != NULL || !c->a.json;
    int rc = CLI_EXIT_FAIL, st;

    memset(&err, 0, sizeof err);
    memset(&o, 0, sizeof o);
    if (dist == NULL) {
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAIL;
    }
    if (c->a.json && c->a.output == NULL)
        rows = json_array();
    if (writing && kmio_ostream_open_matrix(&o, c->a.output ? c->a.output : "-",
                                            c->dtype, n, k, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        goto out;
    }
    for (size_t lo = 0; lo < n; lo += APPLY_CHUNK) {
        size_t m = n - lo < APPLY_CHUNK ? n - lo : APPLY_CHUNK;

        rc = read_chunk(cmd, c, lo, m);
        if (rc != CLI_EXIT_OK)
            goto fail;
        st = c->dtype == KM_FLOAT32 ? km_transform_f32(c->model, c->chunk, m, d,
                                                       dist, c->a.threads)
                                    : km_transform_f64(c->model, c->chunk, m, d,
                                                       dist, c->a.threads);
        if (st != KM_OK) {
            rc = library_error(cmd, c, st);
            goto fail;
        }
        for (size_t i = 0; rows != NULL && i < m; i++) {
            json_t *row = json_array();
            for (size_t j = 0; j < k; j++)
                json_array_append_new(
                    row, json_real(c->dtype == KM_FLOAT32
                                       ? (double)((float *)dist)[i * k + j]
                                       : ((double *)dist)[i * k + j]));
            json_array_append_new(rows, row);
        }
        if (writing && kmio_ostream_write(&o, dist, m, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
            goto fail;
        }
    }
    if (writing && kmio_ostream_commit(&o, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    rc = CLI_EXIT_OK;
    if (c->a.json) {
        json_t *obj = json_object();
        cli_json_set(obj, "n_samples", json_integer((json_int_t)n));
        cli_json_set(obj, "n_clusters", json_integer((json_int_t)k));
        cli_json_set(obj, "dtype", json_string(cli_dtype_name(c->dtype)));
        if (rows != NULL) {
            cli_json_set(obj, "distances", rows);
            rows = NULL;
        }
        rc = cli_print_json(obj);
    }
    goto out;
fail:
    if (writing)
        kmio_ostream_abort(&o);
out:
    json_decref(rows);
    free(dist);
    return rc;
}

/* Weights of streamed DATA: streamed too when they are a float .npy,
   else read whole (one value per row). */
static int score_streamed(const cli_command *cmd, apply_ctx *c)
{
    const size_t n = c->S.n, d = c->S.d;
    const size_t elem = c->dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    const char *wpath = c->a.weights;
    kmio_stream WS;
    kmio_matrix W;
    kmio_error err;
    bool w_streamed = false, any_positive = false;
    void *wchunk = NULL;
    double score = 0.0;
    int rc = CLI_EXIT_OK, st;

    memset(&W, 0, sizeof W);
    memset(&err, 0, sizeof err);
    if (wpath != NULL) {
        size_t len = strlen(wpath);
        int r = 1;

        if (len >= 4 && strcmp(wpath + len - 4, ".npy") == 0) {
            r = kmio_stream_open_npy(&WS, wpath, &err);
            if (r < 0) {
                cli_error(cmd, "%s", err.msg);
                return CLI_EXIT_USAGE;
            }
        }
        if (r == 0) {
            w_streamed = true;
            if (WS.d != 1 || WS.n != n) {
                cli_error(cmd,
                          "weights %s has %zu x %zu values; expected %zu, one "
                          "per row of %s",
                          wpath, WS.n, WS.d, n,
                          cli_display_name(c->a.data_path));
                rc = CLI_EXIT_USAGE;
                goto out;
            }
            wchunk = malloc(APPLY_CHUNK * elem);
            if (wchunk == NULL) {
                cli_error(cmd, "out of memory");
                rc = CLI_EXIT_FAIL;
                goto out;
            }
        } else {
            rc = cli_read_weights(cmd, wpath, c->dtype, n, c->a.data_path, &W);
            if (rc != CLI_EXIT_OK)
                goto out;
        }
    }
    /* Per chunk: minus the chunk's inertia, summed in chunk order. */
    for (size_t lo = 0; lo < n; lo += APPLY_CHUNK) {
        size_t m = n - lo < APPLY_CHUNK ? n - lo : APPLY_CHUNK;
        const void *w = NULL;
        double part = 0.0;
        bool positive = wpath == NULL;

        rc = read_chunk(cmd, c, lo, m);
        if (rc != CLI_EXIT_OK)
            goto out;
        if (w_streamed) {
            if (kmio_stream_read(&WS, lo, m, c->dtype, wchunk, &err) != 0) {
                cli_error(cmd, "%s", err.msg);
                rc = CLI_EXIT_USAGE;
                goto out;
            }
            w = wchunk;
        } else if (wpath != NULL) {
            w = (const char *)W.data + lo * elem;
        }
        for (size_t i = 0; w != NULL && i < m; i++) {
            double v = c->dtype == KM_FLOAT32 ? (double)((const float *)w)[i]
                                              : ((const double *)w)[i];
            if (v < 0.0) {
                char text[40];
                cli_format_double(text, sizeof text, v);
                cli_error(cmd, "weights %s: weight %zu is negative (%s)", wpath,
                          lo + i + 1, text);
                rc = CLI_EXIT_USAGE;
                goto out;
            }
            positive |= v > 0.0;
        }
        any_positive |= positive;
        if (!positive)
            continue; /* a chunk of zero weights adds nothing */
        st = c->dtype == KM_FLOAT32 ? km_score_f32(c->model, c->chunk, m, d, w,
                                                   &part, c->a.threads)
                                    : km_score_f64(c->model, c->chunk, m, d, w,
                                                   &part, c->a.threads);
        if (st != KM_OK) {
            rc = library_error(cmd, c, st);
            goto out;
        }
        score += part;
    }
    if (!any_positive) {
        cli_error(cmd, "weights %s: all weights are zero", wpath);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (c->a.json) {
        json_t *o = json_object();
        cli_json_set(o, "score", json_real(score));
        cli_json_set(o, "n_samples", json_integer((json_int_t)n));
        rc = cli_print_json(o);
    } else {
        char text[40];
        cli_format_double(text, sizeof text, score);
        printf("%s\n", text);
    }
out:
    if (w_streamed)
        kmio_stream_close(&WS);
    free(wchunk);
    kmio_matrix_free(&W);
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

static int predict_whole(const cli_command *cmd, apply_ctx *c)
{
    int32_t *labels = NULL;
    int rc = CLI_EXIT_OK, status;

    labels = malloc((c->X.n ? c->X.n : 1) * sizeof *labels);
    if (labels == NULL) {
        cli_error(cmd, "out of memory for %zu labels", c->X.n);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (c->X.dtype == KM_FLOAT32)
        status = km_predict_f32(c->model, c->X.data, c->X.n, c->X.d, labels,
                                NULL, c->a.threads);
    else
        status = km_predict_f64(c->model, c->X.data, c->X.n, c->X.d, labels,
                                NULL, c->a.threads);
    if (status != KM_OK) {
        rc = library_error(cmd, c, status);
        goto done;
    }

    if (c->a.output != NULL || !c->a.json)
        rc = cli_write_labels(cmd, c->a.output ? c->a.output : "-", labels,
                              c->X.n);
    if (rc == CLI_EXIT_OK && c->a.json)
        rc = cli_print_json(predict_json(c, labels));

done:
    free(labels);
    return rc;
}

/* ---- transform -------------------------------------------------------------
 */

static int transform_whole(const cli_command *cmd, apply_ctx *c)
{
    void *dist = NULL;
    kmio_error err;
    size_t k, elem;
    int rc = CLI_EXIT_OK, status;

    k = (size_t)km_model_n_clusters(c->model);
    elem = c->X.dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    if (k != 0 && c->X.n > SIZE_MAX / k / elem) {
        cli_error(cmd, "%zu x %zu distances do not fit in memory", c->X.n, k);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    dist = malloc(c->X.n * k * elem + 1);
    if (dist == NULL) {
        cli_error(cmd, "out of memory for %zu x %zu distances", c->X.n, k);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (c->X.dtype == KM_FLOAT32)
        status = km_transform_f32(c->model, c->X.data, c->X.n, c->X.d, dist,
                                  c->a.threads);
    else
        status = km_transform_f64(c->model, c->X.data, c->X.n, c->X.d, dist,
                                  c->a.threads);
    if (status != KM_OK) {
        rc = library_error(cmd, c, status);
        goto done;
    }

    if (c->a.output != NULL || !c->a.json) {
        memset(&err, 0, sizeof err);
        if (kmio_write_matrix(c->a.output ? c->a.output : "-", c->X.dtype, dist,
                              c->X.n, k, 0, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    if (c->a.json) {
        json_t *o = json_object();
        cli_json_set(o, "n_samples", json_integer((json_int_t)c->X.n));
        cli_json_set(o, "n_clusters", json_integer((json_int_t)k));
        cli_json_set(o, "dtype", json_string(cli_dtype_name(c->X.dtype)));
        if (c->a.output == NULL) {
            json_t *rows = json_array();
            for (size_t i = 0; i < c->X.n; i++) {
                json_t *row = json_array();
                for (size_t j = 0; j < k; j++) {
                    double v = c->X.dtype == KM_FLOAT32
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
    return rc;
}

/* ---- score ------------------------------------------------------------------
 */

static int score_whole(const cli_command *cmd, apply_ctx *c)
{
    kmio_matrix W;
    double score = 0.0;
    int rc = CLI_EXIT_OK, status;

    memset(&W, 0, sizeof W);
    if (c->a.weights != NULL) {
        rc = cli_read_weights(cmd, c->a.weights, c->X.dtype, c->X.n,
                              c->a.data_path, &W);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if (c->X.dtype == KM_FLOAT32)
        status = km_score_f32(c->model, c->X.data, c->X.n, c->X.d, W.data,
                              &score, c->a.threads);
    else
        status = km_score_f64(c->model, c->X.data, c->X.n, c->X.d, W.data,
                              &score, c->a.threads);
    if (status != KM_OK) {
        rc = library_error(cmd, c, status);
        goto done;
    }
    if (c->a.json) {
        json_t *o = json_object();
        cli_json_set(o, "score", json_real(score));
        cli_json_set(o, "n_samples", json_integer((json_int_t)c->X.n));
        rc = cli_print_json(o);
    } else {
        char text[40];
        cli_format_double(text, sizeof text, score);
        printf("%s\n", text);
    }

done:
    kmio_matrix_free(&W);
    return rc;
}

static int run_predict(const cli_command *cmd, int argc, char **argv)
{
    return run_apply(cmd, argc, argv, predict_streamed, predict_whole);
}

static int run_transform(const cli_command *cmd, int argc, char **argv)
{
    return run_apply(cmd, argc, argv, transform_streamed, transform_whole);
}

static int run_score(const cli_command *cmd, int argc, char **argv)
{
    return run_apply(cmd, argc, argv, score_streamed, score_whole);
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
