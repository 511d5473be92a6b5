/*
 * cmd_minibatch.c - `kmeans minibatch` (mini-batch K-Means on a data file,
 * also one larger than memory) and `kmeans partial-fit` (one mini-batch
 * step per call on a model file), plus the demo's mini-batch step.
 *
 * Large float .npy and raw files are not loaded: the library asks for the
 * rows of each batch through a callback served with pread (kmio_stream),
 * so resident memory is a few batches whatever the file size.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Files whose data exceed this are streamed by default (--stream forces
   it for any size). */
#define MB_STREAM_BYTES ((uint64_t)512 << 20)
/* Rows per chunk of a streamed labels pass. */
#define MB_CHUNK ((size_t)65536)

/* The options of both commands beyond the shared ones (cli.h). */
enum {
    OPT_SHAPE,
    OPT_STREAM,
    OPT_BATCH_SIZE,
    OPT_RATIO,
    OPT_MAX_NO_IMPROVEMENT,
    OPT_INIT_SIZE,
    OPT_NO_LABELS
};

static const cli_option minibatch_options[] = {
    {CLI_OPT_CLUSTERS, "clusters", 'k', "K", "number of clusters (default 8)"},
    {CLI_OPT_INIT, "init", 0, "METHOD",
     "k-means++, k-means||, random, or a CSV/.npy file of k x d initial "
     "centers "
     "(default k-means++)"},
    {CLI_OPT_N_INIT, "n-init", 0, "N",
     "candidate initializations, each on its own init-size random rows, "
     "scored on shared ones; auto = 1 for k-means++, k-means|| and a file, 3 "
     "for random (default auto)"},
    {CLI_OPT_MAX_ITER, "max-iter", 0, "N",
     "passes over the data: at most N x rows / batch-size steps (default "
     "100)"},
    {CLI_OPT_TOL, "tol", 0, "X",
     "stop when a step's squared center shift is at most X times the mean "
     "feature variance; 0 = off (default 0)"},
    {CLI_OPT_SEED, "seed", 0, "N", "seed of all randomness (default 0)"},
    {CLI_OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {CLI_OPT_WEIGHTS, "weights", 0, "FILE", CLI_HELP_WEIGHTS},
    {CLI_OPT_DTYPE, "dtype", 0, "TYPE",
     "float32 or float64: the precision (default: the file's own; CSV is "
     "float64); with --shape, the raw file's element type (default "
     "float32)"},
    {OPT_SHAPE, "shape", 0, "N,D", CLI_HELP_SHAPE},
    {OPT_STREAM, "stream", 0, NULL,
     "read rows from a float .npy or raw file on demand even when it is "
     "small (default: only data over 512 MiB)"},
    {OPT_BATCH_SIZE, "batch-size", 0, "N",
     "rows per mini-batch step (default 1024)"},
    {OPT_RATIO, "reassignment-ratio", 0, "X",
     "move centers whose count is below X times the largest to random rows; "
     "0 = never (default 0.01)"},
    {OPT_MAX_NO_IMPROVEMENT, "max-no-improvement", 0, "N",
     "stop after N steps without a new minimum of the smoothed batch "
     "inertia; 0 = off (default 10)"},
    {OPT_INIT_SIZE, "init-size", 0, "N",
     "rows each initialization sees; 0 = auto, 3 x batch-size (default 0)"},
    {OPT_NO_LABELS, "no-labels", 0, NULL,
     "skip the final full pass: no labels, inertia estimated from the "
     "smoothed batch inertia"},
    {CLI_OPT_MODEL, "model", 0, "FILE",
     "write the model to FILE (default: none)"},
    {CLI_OPT_LABELS, "labels", 0, "FILE",
     "write the cluster of each row, .csv or .npy (default: none)"},
    {CLI_OPT_CENTERS, "centers", 0, "FILE",
     "write the k x d centers, .csv or .npy (default: none)"},
    {CLI_OPT_JSON, "json", 0, NULL, CLI_HELP_JSON},
    {CLI_OPT_VERBOSE, "verbose", 'v', NULL,
     "print each step's smoothed inertia on stderr"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option partial_options[] = {
    {CLI_OPT_MODEL, "model", 0, "FILE",
     "the model to continue, created when it does not exist (required)"},
    {CLI_OPT_CLUSTERS, "clusters", 'k', "K",
     "number of clusters, when creating (default 8)"},
    {CLI_OPT_INIT, "init", 0, "METHOD",
     "k-means++, k-means||, random, or a CSV/.npy file of k x d centers, when "
     "creating "
     "(default k-means++)"},
    {CLI_OPT_SEED, "seed", 0, "N",
     "seed of all randomness, when creating (default 0)"},
    {OPT_BATCH_SIZE, "batch-size", 0, "N",
     "stored with a new model; the rows between reassignment checks "
     "(default 1024)"},
    {OPT_RATIO, "reassignment-ratio", 0, "X",
     "stored with a new model; 0 = never (default 0.01)"},
    {OPT_INIT_SIZE, "init-size", 0, "N",
     "rows of the first batch the initialization sees; 0 = auto "
     "(default 0)"},
    {CLI_OPT_DTYPE, "dtype", 0, "TYPE",
     "float32 or float64, when creating (default: the first batch's own)"},
    {CLI_OPT_WEIGHTS, "weights", 0, "FILE",
     "weights of the rows of BATCH (one BATCH only) (default: all 1)"},
    {CLI_OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {CLI_OPT_LABELS, "labels", 0, "FILE",
     "write the labels of the last batch after its step (default: none)"},
    {CLI_OPT_JSON, "json", 0, NULL, CLI_HELP_JSON},
    {0, NULL, 0, NULL, NULL},
};

/* ---- where the rows come from ------------------------------------------ */

typedef struct mb_data {
    const cli_command *cmd;
    const char *path, *wpath;
    bool streamed;
    km_dtype dtype; /* precision of the computation */
    size_t n, d;
    kmio_matrix M; /* in memory */
    kmio_stream S; /* streamed */
    bool has_w, w_streamed;
    kmio_matrix W;
    kmio_stream WS;
    kmio_error err; /* set by a failing callback */
    bool failed;
} mb_data;

static bool ends_with_npy(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcmp(path + n - 4, ".npy") == 0;
}

static int data_read_rows(mb_data *D, const size_t *idx, size_t count,
                          void *X_out, void *w_out)
{
    bool consecutive = true;

    for (size_t i = 1; i < count && consecutive; i++)
        consecutive = idx[i] == idx[0] + i;
    if ((consecutive
             ? kmio_stream_read(&D->S, idx[0], count, D->dtype, X_out, &D->err)
             : kmio_stream_gather(&D->S, idx, count, D->dtype, X_out,
                                  &D->err)) != 0)
        goto fail;
    if (w_out != NULL) {
        if (D->w_streamed) {
            if ((consecutive ? kmio_stream_read(&D->WS, idx[0], count, D->dtype,
                                                w_out, &D->err)
                             : kmio_stream_gather(&D->WS, idx, count, D->dtype,
                                                  w_out, &D->err)) != 0)
                goto fail;
        } else if (D->dtype == KM_FLOAT32) {
            for (size_t i = 0; i < count; i++)
                ((float *)w_out)[i] = ((const float *)D->W.data)[idx[i]];
        } else {
            for (size_t i = 0; i < count; i++)
                ((double *)w_out)[i] = ((const double *)D->W.data)[idx[i]];
        }
    }
    return 0;
fail:
    D->failed = true;
    return -1;
}

static int rows_f32(void *user, const size_t *idx, size_t count, float *X_out,
                    float *w_out)
{
    return data_read_rows(user, idx, count, X_out, w_out);
}

static int rows_f64(void *user, const size_t *idx, size_t count, double *X_out,
                    double *w_out)
{
    return data_read_rows(user, idx, count, X_out, w_out);
}

static void data_free(mb_data *D)
{
    kmio_matrix_free(&D->M);
    kmio_matrix_free(&D->W);
    if (D->streamed)
        kmio_stream_close(&D->S);
    if (D->w_streamed)
        kmio_stream_close(&D->WS);
}

/* Open DATA: streamed (raw with --shape; a float .npy when large or with
   --stream) or read into memory.  Returns an exit code. */
static int data_open(const cli_command *cmd, mb_data *D, const char *path,
                     kmio_want want, bool raw, size_t raw_n, size_t raw_d,
                     bool force_stream)
{
    kmio_error err;
    int r;

    memset(D, 0, sizeof *D);
    D->cmd = cmd;
    D->path = path;
    memset(&err, 0, sizeof err);
    if (raw) {
        if (cli_is_stdio(path))
            return cli_usage(cmd, "--shape: raw data must be a file, not "
                                  "standard input");
        if (kmio_stream_open_raw(
                &D->S, path, raw_n, raw_d,
                want == KMIO_WANT_F64 ? KM_FLOAT64 : KM_FLOAT32, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            return CLI_EXIT_USAGE;
        }
        r = 0;
    } else if (!cli_is_stdio(path) && ends_with_npy(path)) {
        r = kmio_stream_open_npy(&D->S, path, &err);
        if (r < 0) {
            cli_error(cmd, "%s", err.msg);
            return CLI_EXIT_USAGE;
        }
        if (r == 0 && !force_stream &&
            (uint64_t)D->S.n * D->S.d * (D->S.dtype == KM_FLOAT32 ? 4 : 8) <
                MB_STREAM_BYTES) {
            kmio_stream_close(&D->S);
            r = 1;
        }
    } else {
        r = 1;
    }
    if (r == 0) {
        D->streamed = true;
        D->n = D->S.n;
        D->d = D->S.d;
        D->dtype = want == KMIO_WANT_F32   ? KM_FLOAT32
                   : want == KMIO_WANT_F64 ? KM_FLOAT64
                                           : D->S.dtype;
        if (raw)
            D->dtype = D->S.dtype;
        return CLI_EXIT_OK;
    }
    r = cli_read_matrix(cmd, path, want, &D->M);
    if (r != CLI_EXIT_OK)
        return r;
    D->n = D->M.n;
    D->d = D->M.d;
    D->dtype = D->M.dtype;
    return CLI_EXIT_OK;
}

/* Weights: streamed alongside streamed data when they are a float .npy,
   else read into memory (one value per row).  Returns an exit code. */
static int data_open_weights(const cli_command *cmd, mb_data *D,
                             const char *wpath)
{
    kmio_error err;

    D->wpath = wpath;
    D->has_w = true;
    memset(&err, 0, sizeof err);
    if (D->streamed && !cli_is_stdio(wpath) && ends_with_npy(wpath)) {
        int r = kmio_stream_open_npy(&D->WS, wpath, &err);
        if (r < 0) {
            cli_error(cmd, "%s", err.msg);
            return CLI_EXIT_USAGE;
        }
        if (r == 0) {
            D->w_streamed = true;
            if (D->WS.d != 1) {
                cli_error(cmd,
                          "weights %s has %zu columns; expected one weight per "
                          "row (a 1-D .npy)",
                          wpath, D->WS.d);
                return CLI_EXIT_USAGE;
            }
            if (D->WS.n != D->n) {
                cli_error(cmd, "weights %s has %zu values but %s has %zu rows",
                          wpath, D->WS.n, cli_display_name(D->path), D->n);
                return CLI_EXIT_USAGE;
            }
            return CLI_EXIT_OK;
        }
    }
    return cli_read_weights(cmd, wpath, D->dtype, D->n, D->path, &D->W);
}

/* ---- kmeans minibatch ------------------------------------------------------
 */

typedef struct mb_args {
    const char *data;
    cli_fit_opts f; /* the shared options */
    bool raw, stream;
    size_t raw_n, raw_d;
    km_minibatch_params p;
} mb_args;

static bool parse_shape(const cli_command *cmd, const char *text, size_t *n,
                        size_t *d)
{
    char *end;
    unsigned long long a, b;

    errno = 0;
    a = strtoull(text, &end, 10);
    if (end == text || *end != ',' || text[0] == '-' || errno != 0)
        goto bad;
    text = end + 1;
    b = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || text[0] == '-' || errno != 0 || b == 0)
        goto bad;
    *n = (size_t)a;
    *d = (size_t)b;
    return true;
bad:
    cli_error(cmd, "--shape: expected N,D with D >= 1 (N = 0: from the file "
                   "size)");
    return false;
}

/* The mini-batch options of both commands: CLI_EXIT_OK or CLI_EXIT_USAGE
   (printed). */
static int parse_mb_option(const cli_command *cmd, int id, const char *value,
                           km_minibatch_params *p)
{
    int v;

    switch (id) {
    case OPT_BATCH_SIZE:
        if (!cli_parse_int(cmd, id, value, 1, INT_MAX, &p->batch_size))
            return CLI_EXIT_USAGE;
        break;
    case OPT_RATIO:
        if (!cli_parse_double(cmd, id, value, &p->reassignment_ratio))
            return CLI_EXIT_USAGE;
        if (p->reassignment_ratio < 0.0)
            return cli_usage(cmd,
                             "--reassignment-ratio must be non-negative (got "
                             "%s)",
                             value);
        break;
    case OPT_INIT_SIZE:
        if (!cli_parse_int(cmd, id, value, 0, INT_MAX, &v))
            return CLI_EXIT_USAGE;
        p->init_size = v;
        break;
    case OPT_MAX_NO_IMPROVEMENT:
        if (!cli_parse_int(cmd, id, value, 0, INT_MAX, &p->max_no_improvement))
            return CLI_EXIT_USAGE;
        break;
    }
    return CLI_EXIT_OK;
}

static int mb_arg(const cli_command *cmd, void *user, int id, const char *value)
{
    mb_args *a = user;

    switch (id) {
    case CLI_OPT_POSITIONAL:
        return cli_take_one(cmd, &a->data, value, "DATA file");
    case OPT_SHAPE:
        if (!parse_shape(cmd, value, &a->raw_n, &a->raw_d))
            return CLI_EXIT_USAGE;
        a->raw = true;
        return CLI_EXIT_OK;
    case OPT_STREAM:
        a->stream = true;
        return CLI_EXIT_OK;
    case OPT_NO_LABELS:
        a->p.compute_labels = 0;
        return CLI_EXIT_OK;
    }
    return parse_mb_option(cmd, id, value, &a->p);
}

static int parse_mb_args(const cli_command *cmd, int argc, char **argv,
                         mb_args *a, bool *help)
{
    const cli_fit_opts *f = &a->f;
    int rc;

    memset(a, 0, sizeof *a);
    km_minibatch_params_init(&a->p);
    cli_fit_opts_init(&a->f, &a->p.base, NULL);
    rc = cli_parse_args(cmd, argc, argv, &a->f, mb_arg, a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    rc = cli_require(cmd, a->data, "DATA file");
    if (rc == CLI_EXIT_OK)
        rc = cli_check_fit_files(cmd, a->data, f);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (f->json && (cli_is_stdio(f->labels) || cli_is_stdio(f->centers)))
        return cli_usage(cmd, "--json prints on standard output; write "
                              "--labels and --centers to files");
    if (cli_is_stdio(f->labels) && cli_is_stdio(f->centers))
        return cli_usage(cmd, "--labels and --centers cannot both write to "
                              "standard output");
    if (f->labels != NULL && !a->p.compute_labels)
        return cli_usage(cmd, "--labels needs the final pass; drop "
                              "--no-labels");
    return CLI_EXIT_OK;
}

/* Initial centers from --init FILE, checked against d and -k. */
static int read_init_centers(const cli_command *cmd, const char *file, size_t d,
                             bool k_given, km_params *p, kmio_matrix *init)
{
    int rc = cli_read_matrix(cmd, file, KMIO_WANT_F64, init);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (init->d != d) {
        cli_error(cmd, "--init %s has %zu column%s but the data have %zu",
                  cli_display_name(file), init->d, init->d == 1 ? "" : "s", d);
        return CLI_EXIT_USAGE;
    }
    if (k_given && init->n != (size_t)p->n_clusters) {
        cli_error(cmd, "--init %s has %zu row%s but -k is %d",
                  cli_display_name(file), init->n, init->n == 1 ? "" : "s",
                  p->n_clusters);
        return CLI_EXIT_USAGE;
    }
    if (init->n > INT_MAX) {
        cli_error(cmd, "--init %s has too many rows", cli_display_name(file));
        return CLI_EXIT_USAGE;
    }
    p->n_clusters = (int)init->n;
    p->init_centers = init->data;
    return CLI_EXIT_OK;
}

/* Progress and messages of a fit. */
typedef struct mb_log {
    cli_log base;
    cli_progress bar;
    int64_t max_steps;
    int n_init;
} mb_log;

static void mb_log_event(void *user, const km_log_event *ev)
{
    mb_log *l = user;

    switch (ev->kind) {
    case KM_LOG_ITER:
        cli_progress_update(&l->bar, ev->iter, ev->inertia);
        if (l->base.verbose)
            fprintf(stderr,
                    "kmeans %s: step %d/%lld: mean batch inertia (smoothed) "
                    "%.10g%s\n",
                    l->base.cmd->name, ev->iter, (long long)l->max_steps,
                    ev->inertia,
                    ev->iter == 1 ? " (first step: not smoothed)" : "");
        return;
    case KM_LOG_RUN:
        if (l->base.verbose)
            fprintf(stderr,
                    "kmeans %s: initialization %d/%d: inertia %.10g on the "
                    "validation rows\n",
                    l->base.cmd->name, ev->run + 1, l->n_init, ev->inertia);
        return;
    default:
        cli_log_event(&l->base, ev);
    }
}

static const char *stop_name(km_minibatch_stop s)
{
    switch (s) {
    case KM_MB_STOP_NO_IMPROVEMENT:
        return "no_improvement";
    case KM_MB_STOP_TOL:
        return "tol";
    default:
        return "max_iter";
    }
}

/* A streamed pass writing the labels of every row. */
static int write_labels_streamed(const cli_command *cmd, mb_data *D,
                                 const km_model *model, const char *path,
                                 int threads)
{
    const size_t elem = D->dtype == KM_FLOAT32 ? 4 : 8;
    const size_t cm = D->n < MB_CHUNK ? D->n : MB_CHUNK;
    void *buf = malloc(cm * D->d * elem);
    int32_t *lab = malloc(cm * sizeof *lab);
    kmio_ostream o;
    kmio_error err;
    int rc = CLI_EXIT_FAIL;

    memset(&err, 0, sizeof err);
    if (buf == NULL || lab == NULL) {
        cli_error(cmd, "out of memory");
        goto out;
    }
    if (kmio_ostream_open_labels(&o, path, D->n, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        goto out;
    }
    for (size_t lo = 0; lo < D->n; lo += cm) {
        size_t m = D->n - lo < cm ? D->n - lo : cm;
        int st;

        if (kmio_stream_read(&D->S, lo, m, D->dtype, buf, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            kmio_ostream_abort(&o);
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        st = D->dtype == KM_FLOAT32
                 ? km_predict_f32(model, buf, m, D->d, lab, NULL, threads)
                 : km_predict_f64(model, buf, m, D->d, lab, NULL, threads);
        if (st != KM_OK) {
            cli_error(cmd, "%s: %s", D->path, km_strerror(st));
            kmio_ostream_abort(&o);
            rc = cli_exit_for_status(st);
            goto out;
        }
        if (kmio_ostream_write(&o, lab, m, &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            kmio_ostream_abort(&o);
            goto out;
        }
    }
    if (kmio_ostream_commit(&o, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        goto out;
    }
    rc = CLI_EXIT_OK;
out:
    free(buf);
    free(lab);
    return rc;
}

static int run_minibatch(const cli_command *cmd, int argc, char **argv)
{
    mb_args a;
    mb_data D;
    kmio_matrix init;
    km_model *model = NULL;
    km_minibatch_result res;
    int32_t *labels = NULL;
    mb_log lg;
    const char *msg;
    double t0, seconds;
    bool help, lab_in_memory;
    int rc, status;

    memset(&init, 0, sizeof init);
    memset(&D, 0, sizeof D);
    rc = parse_mb_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        return rc;
    if (a.raw && a.f.want == KMIO_WANT_NATIVE)
        a.f.want = KMIO_WANT_F32;
    rc =
        data_open(cmd, &D, a.data, a.f.want, a.raw, a.raw_n, a.raw_d, a.stream);
    if (rc != CLI_EXIT_OK)
        goto done;
    if (a.f.init_file != NULL) {
        rc = read_init_centers(cmd, a.f.init_file, D.d, a.f.k_given, &a.p.base,
                               &init);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if ((size_t)a.p.base.n_clusters > D.n) {
        rc = cli_usage(cmd,
                       "-k %d%s is larger than the number of rows (%zu) "
                       "in %s",
                       a.p.base.n_clusters, a.f.k_given ? "" : " (the default)",
                       D.n, cli_display_name(a.data));
        goto done;
    }
    if (a.f.weights != NULL) {
        rc = data_open_weights(cmd, &D, a.f.weights);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    msg = km_minibatch_params_check(&a.p);
    if (msg != NULL) {
        rc = cli_usage(cmd, "invalid parameters: %s", msg);
        goto done;
    }
    lab_in_memory = a.f.labels != NULL && !D.streamed;
    if (lab_in_memory) {
        labels = malloc(D.n * sizeof *labels);
        if (labels == NULL) {
            cli_error(cmd, "out of memory for %zu labels", D.n);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }

    cli_log_init(&lg.base, cmd, a.f.verbose, 1);
    {
        size_t bs = (size_t)a.p.batch_size < D.n ? (size_t)a.p.batch_size : D.n;
        size_t prod;
        lg.max_steps =
            __builtin_mul_overflow((size_t)a.p.base.max_iter, D.n, &prod)
                ? INT64_MAX
                : (int64_t)(prod / bs);
    }
    lg.n_init = a.p.base.n_init                   ? a.p.base.n_init
                : a.p.base.init == KM_INIT_RANDOM ? 3
                                                  : 1;
    if (a.p.base.init == KM_INIT_ARRAY)
        lg.n_init = 1;
    cli_progress_start(&lg.bar, "minibatch", lg.max_steps, "ewa inertia");
    a.p.base.log = mb_log_event;
    a.p.base.log_user = &lg;
    t0 = cli_now();
    if (D.streamed) {
        status = D.dtype == KM_FLOAT32
                     ? km_minibatch_fit_rows_f32(&a.p, D.n, D.d, rows_f32, &D,
                                                 D.has_w, &model, NULL, &res)
                     : km_minibatch_fit_rows_f64(&a.p, D.n, D.d, rows_f64, &D,
                                                 D.has_w, &model, NULL, &res);
    } else {
        status = D.dtype == KM_FLOAT32
                     ? km_minibatch_fit_f32(&a.p, D.M.data, D.n, D.d,
                                            D.has_w ? D.W.data : NULL, &model,
                                            labels, &res)
                     : km_minibatch_fit_f64(&a.p, D.M.data, D.n, D.d,
                                            D.has_w ? D.W.data : NULL, &model,
                                            labels, &res);
    }
    seconds = cli_now() - t0;
    cli_progress_end(&lg.bar);
    if (status != KM_OK) {
        if (D.failed) {
            cli_error(cmd, "%s", D.err.msg);
            rc = CLI_EXIT_USAGE;
        } else {
            cli_error(cmd, "fitting %s: %s", cli_display_name(a.data),
                      km_strerror(status));
            rc = cli_exit_for_status(status);
        }
        cli_log_free(&lg.base);
        goto done;
    }

    rc = CLI_EXIT_OK;
    if (a.f.model != NULL)
        rc = cli_save_model(cmd, model, a.f.model);
    if (rc == CLI_EXIT_OK && a.f.labels != NULL)
        rc = lab_in_memory ? cli_write_labels(cmd, a.f.labels, labels, D.n)
                           : write_labels_streamed(cmd, &D, model, a.f.labels,
                                                   a.p.base.n_threads);
    if (rc == CLI_EXIT_OK && a.f.centers != NULL)
        rc = cli_write_centers(cmd, model, a.f.centers);
    if (rc == CLI_EXIT_OK && a.f.json) {
        json_t *o = json_object();
        cli_json_set(o, "n_samples", json_integer((json_int_t)D.n));
        cli_json_set(o, "n_features", json_integer((json_int_t)D.d));
        cli_json_set(o, "n_clusters", json_integer(a.p.base.n_clusters));
        cli_json_set(o, "dtype", json_string(cli_dtype_name(D.dtype)));
        cli_json_set(o, "inertia", json_real(res.inertia));
        cli_json_set(o, "inertia_exact", json_boolean(res.inertia_exact));
        cli_json_set(o, "ewa_inertia", json_real(res.ewa_inertia));
        cli_json_set(o, "n_steps", json_integer((json_int_t)res.n_steps));
        cli_json_set(o, "max_steps", json_integer((json_int_t)res.max_steps));
        cli_json_set(o, "passes", json_real(res.passes));
        cli_json_set(o, "n_iter", json_integer(res.n_iter));
        cli_json_set(o, "stop_reason", json_string(stop_name(res.stop_reason)));
        cli_json_set(o, "fit_seconds", json_real(seconds));
        cli_json_set(o, "batch_size", json_integer(a.p.batch_size));
        cli_json_set(o, "init_size", json_integer((json_int_t)res.init_size));
        cli_json_set(o, "n_init", json_integer(res.n_init));
        cli_json_set(o, "init", json_string(cli_init_name(a.p.base.init)));
        cli_json_set(o, "reassignment_ratio",
                     json_real(a.p.reassignment_ratio));
        cli_json_set(o, "max_no_improvement",
                     json_integer(a.p.max_no_improvement));
        cli_json_set(o, "tol", json_real(a.p.base.tol));
        cli_json_set(o, "seed", cli_json_seed(a.p.base.seed));
        cli_json_set(o, "streamed", json_boolean(D.streamed));
        cli_json_set(o, "warnings", json_incref(lg.base.warnings));
        rc = cli_print_json(o);
    } else if (rc == CLI_EXIT_OK) {
        FILE *fp = cli_is_stdio(a.f.labels) || cli_is_stdio(a.f.centers)
                       ? stderr
                       : stdout;
        fprintf(fp,
                "mini-batch k=%d on %zu x %zu (%s%s): inertia %.10g%s, %lld "
                "steps (%.3g passes), stopped by %s\n",
                a.p.base.n_clusters, D.n, D.d, cli_dtype_name(D.dtype),
                D.streamed ? ", streamed" : "", res.inertia,
                res.inertia_exact ? "" : " (estimated)", (long long)res.n_steps,
                res.passes, stop_name(res.stop_reason));
        if (a.f.model != NULL)
            fprintf(fp, "model written to %s\n", a.f.model);
    }
    cli_log_free(&lg.base);

done:
    free(labels);
    km_model_free(model);
    kmio_matrix_free(&init);
    data_free(&D);
    return rc;
}

const cli_command cli_cmd_minibatch = {
    "minibatch",
    "DATA",
    "mini-batch K-Means on DATA, also a file larger than memory",
    "Sculley's mini-batch K-Means with scikit-learn's MiniBatchKMeans rules:\n"
    "each step draws batch-size random rows and moves each center to the\n"
    "running mean of the rows it has absorbed.  Float .npy files over 512 MiB\n"
    "(any size with --stream) and raw files (--shape) are read on demand, so\n"
    "memory stays a few batches whatever the file size; the final pass\n"
    "(labels, exact inertia) streams too.  The model keeps the per-center\n"
    "counts, so `kmeans partial-fit` can continue it.  A progress bar is\n"
    "drawn on stderr when it is a terminal.\n"
    "\n"
    "example:\n"
    "  kmeans minibatch big.npy -k 100 --batch-size 4096 --seed 1 --model "
    "big.kmm --json\n",
    minibatch_options,
    run_minibatch,
};

/* ---- kmeans partial-fit -----------------------------------------------------
 */

typedef struct pf_args {
    const char *batches[256];
    int n_batches;
    bool creation_opts; /* options that apply only when creating the model */
    cli_fit_opts f;
    km_minibatch_params p;
} pf_args;

static int pf_arg(const cli_command *cmd, void *user, int id, const char *value)
{
    pf_args *a = user;

    if (id == CLI_OPT_POSITIONAL) {
        if (a->n_batches == (int)(sizeof a->batches / sizeof a->batches[0]))
            return cli_usage(cmd, "too many BATCH files (at most 256 per "
                                  "call)");
        a->batches[a->n_batches++] = value;
        return CLI_EXIT_OK;
    }
    if (id == CLI_OPT_CLUSTERS || id == CLI_OPT_INIT || id == CLI_OPT_SEED ||
        id == CLI_OPT_DTYPE || id == OPT_BATCH_SIZE || id == OPT_RATIO ||
        id == OPT_INIT_SIZE)
        a->creation_opts = true;
    if (id >= CLI_OPT_SHARED)
        return cli_fit_option(cmd, &a->f, id, value);
    return parse_mb_option(cmd, id, value, &a->p);
}

static int parse_pf_args(const cli_command *cmd, int argc, char **argv,
                         pf_args *a, bool *help)
{
    int rc;

    memset(a, 0, sizeof *a);
    km_minibatch_params_init(&a->p);
    cli_fit_opts_init(&a->f, &a->p.base, NULL);
    rc = cli_parse_args(cmd, argc, argv, NULL, pf_arg, a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    if (a->f.model == NULL)
        return cli_usage(cmd, "--model FILE is required (see 'kmeans help "
                              "partial-fit')");
    if (a->n_batches == 0)
        return cli_usage(cmd, "missing BATCH file (see 'kmeans help "
                              "partial-fit')");
    if (a->f.weights != NULL && a->n_batches > 1)
        return cli_usage(cmd, "--weights goes with one BATCH file, got %d",
                         a->n_batches);
    if (a->f.json && cli_is_stdio(a->f.labels))
        return cli_usage(cmd, "--json prints on standard output; write "
                              "--labels to a file");
    return CLI_EXIT_OK;
}

static int run_partial_fit(const cli_command *cmd, int argc, char **argv)
{
    pf_args a;
    int rc = CLI_EXIT_OK, status;
    bool help, creating;
    kmio_want want;
    km_model *model = NULL;
    kmio_matrix init, X, W;
    km_partial_info info;
    int32_t *lab = NULL;
    struct stat sb;

    memset(&init, 0, sizeof init);
    memset(&X, 0, sizeof X);
    memset(&W, 0, sizeof W);
    memset(&info, 0, sizeof info);
    rc = parse_pf_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        return rc;
    want = a.f.want;

    creating = stat(a.f.model, &sb) != 0 && errno == ENOENT;
    if (!creating) {
        rc = cli_load_model(cmd, a.f.model, &model);
        if (rc != CLI_EXIT_OK)
            return rc;
        if (!km_model_has_counts(model)) {
            cli_error(cmd,
                      "model %s has no mini-batch state (per-center counts): "
                      "it was not made by minibatch or partial-fit",
                      a.f.model);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (a.f.k_given && a.p.base.n_clusters != km_model_n_clusters(model)) {
            rc = cli_usage(cmd, "-k %d but model %s has %d clusters",
                           a.p.base.n_clusters, a.f.model,
                           km_model_n_clusters(model));
            goto done;
        }
        if (a.creation_opts)
            cli_warning("the model exists: it continues with its stored "
                        "parameters (--init, --seed, --batch-size, "
                        "--reassignment-ratio, --init-size, --dtype apply "
                        "only when creating it)");
        want = cli_want_for(km_model_dtype(model));
    }

    for (int b = 0; b < a.n_batches; b++) {
        const char *batch = a.batches[b];
        bool last = b + 1 == a.n_batches;

        rc = cli_read_matrix(cmd, batch, want, &X);
        if (rc != CLI_EXIT_OK)
            goto done;
        if (model != NULL) {
            rc = cli_check_features(cmd, model, &X, batch);
            if (rc != CLI_EXIT_OK)
                goto done;
        } else {
            if (a.f.init_file != NULL) {
                rc = read_init_centers(cmd, a.f.init_file, X.d, a.f.k_given,
                                       &a.p.base, &init);
                if (rc != CLI_EXIT_OK)
                    goto done;
            }
            if ((size_t)a.p.base.n_clusters > X.n) {
                rc = cli_usage(cmd,
                               "the first batch %s has %zu rows, fewer than "
                               "k = %d: it must hold at least k rows to "
                               "initialize the centers",
                               cli_display_name(batch), X.n,
                               a.p.base.n_clusters);
                goto done;
            }
            want = cli_want_for(X.dtype);
        }
        if (a.f.weights != NULL) {
            rc = cli_read_weights(cmd, a.f.weights, X.dtype, X.n, batch, &W);
            if (rc != CLI_EXIT_OK)
                goto done;
        }
        if (last && a.f.labels != NULL) {
            lab = malloc(X.n * sizeof *lab);
            if (lab == NULL) {
                cli_error(cmd, "out of memory for %zu labels", X.n);
                rc = CLI_EXIT_FAIL;
                goto done;
            }
        }
        status = X.dtype == KM_FLOAT32
                     ? km_partial_fit_f32(&model, &a.p, X.data, X.n, X.d,
                                          W.data, lab, &info)
                     : km_partial_fit_f64(&model, &a.p, X.data, X.n, X.d,
                                          W.data, lab, &info);
        if (status != KM_OK) {
            cli_error(cmd, "%s: %s (model %s left unchanged)",
                      cli_display_name(batch), km_strerror(status), a.f.model);
            rc = cli_exit_for_status(status);
            goto done;
        }
        if (!a.f.json)
            printf("step %lld: %zu rows of %s, batch inertia %.10g%s\n",
                   (long long)info.n_steps, X.n, cli_display_name(batch),
                   info.batch_inertia,
                   info.n_reassigned ? " (centers reassigned)" : "");
        if (!last) {
            kmio_matrix_free(&X);
            kmio_matrix_free(&W);
        }
    }

    rc = cli_save_model(cmd, model, a.f.model);
    if (rc == CLI_EXIT_OK && a.f.labels != NULL)
        rc = cli_write_labels(cmd, a.f.labels, lab, X.n);
    if (rc == CLI_EXIT_OK && a.f.json) {
        json_t *o = json_object();
        cli_json_set(o, "model", json_string(a.f.model));
        cli_json_set(o, "created", json_boolean(creating));
        cli_json_set(o, "n_batches", json_integer(a.n_batches));
        cli_json_set(o, "n_steps", json_integer((json_int_t)info.n_steps));
        cli_json_set(o, "n_samples_seen",
                     json_integer((json_int_t)km_model_n_samples(model)));
        cli_json_set(o, "n_clusters", json_integer(km_model_n_clusters(model)));
        cli_json_set(o, "n_features",
                     json_integer((json_int_t)km_model_n_features(model)));
        cli_json_set(o, "dtype",
                     json_string(cli_dtype_name(km_model_dtype(model))));
        cli_json_set(o, "batch_rows", json_integer((json_int_t)X.n));
        cli_json_set(o, "batch_inertia", json_real(info.batch_inertia));
        if (info.inertia >= 0.0)
            cli_json_set(o, "inertia", json_real(info.inertia));
        cli_json_set(o, "n_reassigned", json_integer(info.n_reassigned));
        rc = cli_print_json(o);
    }

done:
    free(lab);
    kmio_matrix_free(&init);
    kmio_matrix_free(&X);
    kmio_matrix_free(&W);
    km_model_free(model);
    return rc;
}

const cli_command cli_cmd_partial_fit = {
    "partial-fit",
    "BATCH...",
    "one mini-batch step per BATCH file on a model, created on first use",
    "As scikit-learn's MiniBatchKMeans.partial_fit.  When --model does not\n"
    "exist it is created from the first batch (k-means++, k-means||,\n"
    "random or --init FILE, with -k, --seed and the mini-batch options,\n"
    "which the model stores); later calls continue the running means with\n"
    "the counts and random state the model stored.  The model file is\n"
    "replaced only after every step succeeded (atomically): a bad batch\n"
    "never corrupts it.\n"
    "\n"
    "example:\n"
    "  kmeans partial-fit --model stream.kmm -k 100 batch_0001.npy\n"
    "  kmeans partial-fit --model stream.kmm batch_0002.npy\n",
    partial_options,
    run_partial_fit,
};

/* ---- the demo's step --------------------------------------------------------
 */

int cli_demo_minibatch(cli_demo *dm)
{
    const size_t n = km_demo_blobs_n;
    km_minibatch_params p;
    km_params fp;
    km_model *mb = NULL, *full = NULL;
    km_minibatch_result res;
    int st, rc = CLI_EXIT_FAIL;

    km_minibatch_params_init(&p);
    p.base.n_clusters = 5;
    p.base.seed = 42;
    p.base.n_init = 3;
    p.base.n_threads = dm->threads;
    p.base.log = cli_log_event;
    p.base.log_user = &dm->log;
    st = km_minibatch_fit_f64(&p, km_demo_blobs, n, 2, NULL, &mb, NULL, &res);
    if (st == KM_OK) {
        km_params_init(&fp);
        fp.n_clusters = 5;
        fp.n_init = 10;
        fp.seed = 42;
        fp.n_threads = dm->threads;
        st = km_fit_f64(&fp, km_demo_blobs, n, 2, NULL, &full, NULL);
    }
    if (st != KM_OK) {
        cli_error(dm->cmd, "mini-batch step: %s", km_strerror(st));
        goto out;
    }
    cli_demo_step(dm, "Mini-batch K-Means moves the centers a little at each "
                      "step, using a small\n"
                      "   random batch of points: each center becomes the "
                      "running mean of the points it\n"
                      "   has absorbed.  It scales to data larger than "
                      "memory (kmeans minibatch streams\n"
                      "   big files), at the cost of a slightly higher "
                      "inertia.\n"
                      "   $ kmeans minibatch data/blobs.csv -k 5 --n-init 3 "
                      "--seed 42\n");
    printf("     method        inertia    steps\n"
           "     full K-Means  %8.2f   %d iterations over all %zu points "
           "(n_init 10)\n"
           "     mini-batch    %8.2f   %lld steps of %d points = %.2f passes "
           "(n_init 3;\n"
           "                                stopped by %s)\n"
           "   Mini-batch inertia is %.2f%% above full K-Means here.\n\n",
           km_model_inertia(full), km_model_n_iter(full), n,
           km_model_inertia(mb), (long long)res.n_steps, p.batch_size,
           res.passes, stop_name(res.stop_reason),
           100.0 * (km_model_inertia(mb) / km_model_inertia(full) - 1.0));
    rc = CLI_EXIT_OK;
out:
    km_model_free(mb);
    km_model_free(full);
    return rc;
}
