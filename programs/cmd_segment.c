/*
 * cmd_segment.c - `kmeans segment`: color segmentation of a photograph
 * (chapter 9 of Geron's "Hands-On Machine Learning", Figure 9-12).
 *
 * The colors of the pixels are clustered with K-Means and every pixel is
 * repainted with the mean color of its cluster.  As in the book, colors are
 * scaled to [0, 1] in float32 (sample / 255, or / 65535 for 16-bit PNGs) and
 * clustered with k-means++; the output sample is round(center * 255) with
 * halves rounded up, clamped to 0..255 (0..65535 for 16 bits).  Alpha is
 * not clustered: it is copied, and fully transparent pixels neither vote
 * for the centers nor get repainted (their label is -1).
 *
 * With --sample N the centers are fitted on N pixels drawn at random
 * (selection sampling, Knuth's Algorithm S, seeded by --seed) and every
 * pixel is then assigned to its nearest center; the inertia is always
 * over all pixels.
 *
 * Also the demo's image-segmentation step, cli_demo_segment().
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kmimage.h"
#include "kmplot.h"

/* segment's own options; the others are shared (cli.h). */
enum {
    OPT_GRID,
    OPT_OUTPUT,
    OPT_PALETTE,
    OPT_PIXELS,
    OPT_SAMPLE,
    OPT_MAX_PIXELS
};

static const cli_option segment_options[] = {
    {CLI_OPT_CLUSTERS, "clusters", 'k', "K", "number of colors (default 8)"},
    {OPT_GRID, "grid", 0, "K1,K2,...",
     "segment with each k and draw the original and every result in one "
     "figure, written to -o as .png, .svg or .pdf (default: off)"},
    {OPT_OUTPUT, "output", 'o', "FILE",
     "write the segmented image as PNG (with --grid: the figure) "
     "(default: none)"},
    {OPT_PALETTE, "palette", 0, "FILE",
     "write the k colors (0..255, one row per cluster), .csv or .npy "
     "(default: none)"},
    {CLI_OPT_LABELS, "labels", 0, "FILE",
     "write the cluster of every pixel, row-major, -1 for transparent "
     "pixels, .csv or .npy (default: none)"},
    {OPT_PIXELS, "pixels", 0, "FILE",
     "write the clustered colors (n x channels, float32 in [0, 1]), .csv or "
     ".npy (default: none)"},
    {OPT_SAMPLE, "sample", 0, "N",
     "fit on N pixels drawn at random, then assign all pixels (default: "
     "fit on all)"},
    {CLI_OPT_INIT, "init", 0, "METHOD",
     "k-means++, k-means|| or random (default k-means++)"},
    {CLI_OPT_N_INIT, "n-init", 0, "N",
     "initializations to run, keeping the best; auto = 1 for k-means++ and "
     "k-means||, 10 for random (default auto)"},
    {CLI_OPT_MAX_ITER, "max-iter", 0, "N",
     "maximum iterations per run (default 300)"},
    {CLI_OPT_TOL, "tol", 0, "X",
     "stop when the center shift is at most X times the mean color variance "
     "(default 1e-4)"},
    {CLI_OPT_ALGORITHM, "algorithm", 0, "NAME", CLI_HELP_ALGORITHM},
    {CLI_OPT_SEED, "seed", 0, "N",
     "seed of all randomness, including --sample (default 0)"},
    {CLI_OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {OPT_MAX_PIXELS, "max-pixels", 0, "N",
     "refuse images of more than N pixels (default 89478485)"},
    {CLI_OPT_JSON, "json", 0, NULL, CLI_HELP_JSON},
    {CLI_OPT_VERBOSE, "verbose", 'v', NULL,
     "print timings and each iteration's inertia on stderr"},
    {0, NULL, 0, NULL, NULL},
};

/* A figure has at most 64 panels a side; 63 results plus the original
   keep any layout within that. */
enum { SEG_MAX_GRID = 63 };

typedef struct seg_args {
    const char *input;
    const char *output;
    const char *palette;
    const char *pixels;
    int ks[SEG_MAX_GRID];
    int n_k;
    bool grid;
    uint64_t sample; /* 0: fit on all pixels */
    uint64_t max_pixels;
    cli_fit_opts f; /* -k, the K-Means options, --labels, --json, -v */
    km_params p;
} seg_args;

/* The colors that are clustered: the pixels that vote (alpha > 0), one row
   each, color channels only, scaled to [0, 1]. */
typedef struct seg_data {
    const kmimage *img;
    size_t n_pixels;     /* all pixels of the image */
    size_t m;            /* voting pixels (rows of X) */
    size_t d;            /* color channels: 1 (gray) or 3 (RGB) */
    float *X;            /* m x d */
    float *Xs;           /* the --sample rows, or NULL when fitting on X */
    size_t ms;           /* rows of Xs */
    unsigned char *vote; /* per pixel 1 when it votes; NULL: all vote */
} seg_data;

/* The result for one k. */
typedef struct seg_result {
    int k;
    km_model *model;
    int32_t *labels; /* m labels, one per voting pixel */
    float *centers;  /* k x d, in [0, 1] */
    size_t *counts;  /* pixels per cluster */
    double inertia;  /* over all voting pixels */
    double fit_seconds;
    double assign_seconds; /* predict on all pixels after --sample */
    json_t *warnings;
} seg_result;

/* ---- arguments ----------------------------------------------------------- */

static int parse_grid(const cli_command *cmd, const char *text, seg_args *a)
{
    const char *s = text;

    a->n_k = 0;
    for (;;) {
        char *end;
        long v;
        if (!isdigit((unsigned char)*s))
            goto bad;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || v < 1 || v > INT_MAX)
            goto bad;
        if (a->n_k == SEG_MAX_GRID)
            return cli_usage(cmd, "--grid: at most %d values of k",
                             SEG_MAX_GRID);
        a->ks[a->n_k++] = (int)v;
        if (*end == '\0')
            return CLI_EXIT_OK;
        if (*end != ',')
            goto bad;
        s = end + 1;
    }
bad:
    return cli_usage(cmd,
                     "--grid: '%s' is not a comma-separated list of "
                     "positive integers (e.g. 10,8,6,4,2)",
                     text);
}

static bool ends_with_png(const char *path)
{
    size_t n = strlen(path);
    const char *ext = ".png";

    if (n < 4)
        return false;
    for (size_t i = 0; i < 4; i++) {
        if (tolower((unsigned char)path[n - 4 + i]) != ext[i])
            return false;
    }
    return true;
}

static int check_args(const cli_command *cmd, const seg_args *a)
{
    const char *outs[4] = {a->output, a->palette, a->f.labels, a->pixels};
    int n_stdout = 0;

    if (a->grid && a->f.k_given)
        return cli_usage(cmd, "give either -k or --grid, not both");
    if (a->grid && (a->palette != NULL || a->f.labels != NULL))
        return cli_usage(cmd, "--palette and --labels need a single -k, not "
                              "--grid");
    if (a->grid && a->output == NULL)
        return cli_usage(cmd, "--grid draws a figure: give -o FILE (.png, "
                              ".svg or .pdf)");
    if (!a->grid && a->output != NULL && !cli_is_stdio(a->output) &&
        !ends_with_png(a->output))
        return cli_usage(cmd,
                         "-o %s: the segmented image is written as PNG; name "
                         "it .png",
                         a->output);
    if (a->grid && cli_is_stdio(a->output))
        return cli_usage(cmd, "--grid: write the figure to a file, not "
                              "standard output");
    for (int i = 0; i < 4; i++) {
        n_stdout += cli_is_stdio(outs[i]);
        for (int j = 0; j < i; j++) {
            if (outs[i] != NULL && outs[j] != NULL && !cli_is_stdio(outs[i]) &&
                strcmp(outs[i], outs[j]) == 0)
                return cli_usage(cmd, "two outputs name the same file (%s)",
                                 outs[i]);
        }
    }
    if (n_stdout > 1)
        return cli_usage(cmd, "only one output can go to standard output");
    if (a->f.json && n_stdout > 0)
        return cli_usage(cmd, "--json prints on standard output; write the "
                              "other outputs to files");
    return CLI_EXIT_OK;
}

static int seg_arg(const cli_command *cmd, void *user, int id,
                   const char *value)
{
    seg_args *a = user;
    int rc;

    switch (id) {
    case CLI_OPT_POSITIONAL:
        return cli_take_one(cmd, &a->input, value, "IMAGE");
    case OPT_GRID:
        rc = parse_grid(cmd, value, a);
        if (rc != CLI_EXIT_OK)
            return rc;
        a->grid = true;
        break;
    case OPT_OUTPUT:
        a->output = value;
        break;
    case OPT_PALETTE:
        a->palette = value;
        break;
    case OPT_PIXELS:
        a->pixels = value;
        break;
    case OPT_SAMPLE:
        if (!cli_parse_u64(cmd, id, value, &a->sample))
            return CLI_EXIT_USAGE;
        if (a->sample == 0)
            return cli_usage(cmd, "--sample must be at least 1");
        break;
    case OPT_MAX_PIXELS:
        if (!cli_parse_u64(cmd, id, value, &a->max_pixels))
            return CLI_EXIT_USAGE;
        if (a->max_pixels == 0)
            return cli_usage(cmd, "--max-pixels must be at least 1");
        break;
    }
    return CLI_EXIT_OK;
}

static int parse_args(const cli_command *cmd, int argc, char **argv,
                      seg_args *a, bool *help)
{
    int rc;

    memset(a, 0, sizeof *a);
    km_params_init(&a->p);
    cli_fit_opts_init(&a->f, &a->p, "");
    a->max_pixels = KMIMAGE_DEFAULT_MAX_PIXELS;
    rc = cli_parse_args(cmd, argc, argv, &a->f, seg_arg, a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    if (!a->grid) {
        a->ks[0] = a->p.n_clusters;
        a->n_k = 1;
    }
    rc = cli_require(cmd, a->input, "IMAGE");
    return rc != CLI_EXIT_OK ? rc : check_args(cmd, a);
}

/* ---- the colors to cluster ------------------------------------------------
 */

static void data_free(seg_data *sd)
{
    free(sd->X);
    free(sd->Xs);
    free(sd->vote);
    memset(sd, 0, sizeof *sd);
}

static float scaled(const kmimage *img, size_t sample)
{
    if (img->depth == 16)
        return (float)((const uint16_t *)img->pixels)[sample] / 65535.0f;
    return (float)((const unsigned char *)img->pixels)[sample] / 255.0f;
}

static unsigned sample_at(const kmimage *img, size_t sample)
{
    if (img->depth == 16)
        return ((const uint16_t *)img->pixels)[sample];
    return ((const unsigned char *)img->pixels)[sample];
}

/* Returns an exit code; on success sd->X holds the voting pixels. */
static int data_build(const cli_command *cmd, const char *name,
                      const kmimage *img, seg_data *sd)
{
    size_t c = (size_t)img->channels;
    bool alpha = kmimage_has_alpha(img->channels);

    memset(sd, 0, sizeof *sd);
    sd->img = img;
    sd->n_pixels = kmimage_pixel_count(img);
    sd->d = alpha ? c - 1 : c;
    sd->m = sd->n_pixels;
    if (alpha) {
        sd->vote = malloc(sd->n_pixels);
        if (sd->vote == NULL)
            goto nomem;
        sd->m = 0;
        for (size_t i = 0; i < sd->n_pixels; i++) {
            sd->vote[i] = sample_at(img, i * c + c - 1) > 0;
            sd->m += sd->vote[i];
        }
        if (sd->m == 0) {
            cli_error(cmd,
                      "%s: every pixel is fully transparent: no color "
                      "to cluster",
                      name);
            data_free(sd);
            return CLI_EXIT_USAGE;
        }
    }
    if (sd->m > SIZE_MAX / sizeof(float) / sd->d)
        goto nomem;
    sd->X = malloc(sd->m * sd->d * sizeof *sd->X);
    if (sd->X == NULL)
        goto nomem;
    for (size_t i = 0, row = 0; i < sd->n_pixels; i++) {
        if (sd->vote != NULL && !sd->vote[i])
            continue;
        for (size_t f = 0; f < sd->d; f++)
            sd->X[row * sd->d + f] = scaled(img, i * c + f);
        row++;
    }
    return CLI_EXIT_OK;

nomem:
    cli_error(cmd, "%s: out of memory for the colors of %zu pixels", name,
              sd->n_pixels);
    data_free(sd);
    return CLI_EXIT_FAIL;
}

/* SplitMix64 (Steele, Lea, Flood 2014): a small seeded generator for the
   pixel sample, independent of the library's own streams. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/*
 * Draw ms of the m rows, each subset equally likely, keeping their order:
 * Knuth's Algorithm S (TAOCP vol. 2, 3.4.2) takes row t with probability
 * (rows still needed) / (rows left).  One pass, no index array.
 */
static int data_sample(const cli_command *cmd, seg_data *sd, size_t ms,
                       uint64_t seed)
{
    uint64_t state = seed ^ 0x73656777656e7473u; /* "segments" */
    size_t need = ms;

    sd->Xs = malloc(ms * sd->d * sizeof *sd->Xs);
    if (sd->Xs == NULL) {
        cli_error(cmd, "out of memory for a sample of %zu pixels", ms);
        return CLI_EXIT_FAIL;
    }
    for (size_t t = 0; t < sd->m && need > 0; t++) {
        double u = (double)(splitmix64(&state) >> 11) * 0x1.0p-53;
        if ((double)(sd->m - t) * u < (double)need) {
            memcpy(sd->Xs + (ms - need) * sd->d, sd->X + t * sd->d,
                   sd->d * sizeof *sd->X);
            need--;
        }
    }
    if (need != 0) {
        cli_error(cmd, "internal error: pixel sample short by %zu", need);
        return CLI_EXIT_FAIL;
    }
    sd->ms = ms;
    return CLI_EXIT_OK;
}

/* ---- one k ------------------------------------------------------------------
 */

static void result_free(seg_result *r)
{
    km_model_free(r->model);
    free(r->labels);
    free(r->centers);
    free(r->counts);
    json_decref(r->warnings);
    memset(r, 0, sizeof *r);
}

/* Fit k colors and label every voting pixel.  Returns an exit code. */
static int segment_k(const cli_command *cmd, const char *name,
                     const seg_data *sd, const km_params *base, int k,
                     bool verbose, seg_result *r)
{
    const float *Xfit = sd->Xs != NULL ? sd->Xs : sd->X;
    size_t n_fit = sd->Xs != NULL ? sd->ms : sd->m;
    km_params p = *base;
    cli_log log;
    float *sq = NULL;
    double t0;
    int status;

    memset(r, 0, sizeof *r);
    r->k = k;
    if ((size_t)k > n_fit) {
        if (sd->Xs != NULL)
            return cli_usage(cmd, "k = %d is larger than --sample (%zu)", k,
                             n_fit);
        return cli_usage(cmd,
                         "%s: k = %d is larger than the number of %s "
                         "pixels (%zu)",
                         name, k, sd->vote ? "non-transparent" : "", n_fit);
    }
    r->labels = malloc(sd->m * sizeof *r->labels);
    r->centers = malloc((size_t)k * sd->d * sizeof *r->centers);
    r->counts = calloc((size_t)k, sizeof *r->counts);
    if (r->labels == NULL || r->centers == NULL || r->counts == NULL) {
        cli_error(cmd, "out of memory for %zu labels", sd->m);
        return CLI_EXIT_FAIL;
    }

    p.n_clusters = k;
    cli_log_init(&log, cmd, verbose, cli_effective_n_init(&p));
    p.log = cli_log_event;
    p.log_user = &log;
    t0 = cli_now();
    status = km_fit_f32(&p, Xfit, n_fit, sd->d, NULL, &r->model,
                        sd->Xs != NULL ? NULL : r->labels);
    r->fit_seconds = cli_now() - t0;
    r->warnings = log.warnings;
    log.warnings = NULL;
    cli_log_free(&log);
    if (status != KM_OK) {
        cli_error(cmd, "clustering the colors of %s: %s", name,
                  km_strerror(status));
        return cli_exit_for_status(status);
    }

    if (sd->Xs == NULL) {
        r->inertia = km_model_inertia(r->model);
    } else {
        /* Inertia over all pixels, summed in pixel order: deterministic. */
        sq = malloc(sd->m * sizeof *sq);
        if (sq == NULL) {
            cli_error(cmd, "out of memory for %zu distances", sd->m);
            return CLI_EXIT_FAIL;
        }
        t0 = cli_now();
        status = km_predict_f32(r->model, sd->X, sd->m, sd->d, r->labels, sq,
                                p.n_threads);
        r->assign_seconds = cli_now() - t0;
        if (status != KM_OK) {
            free(sq);
            cli_error(cmd, "assigning the pixels of %s: %s", name,
                      km_strerror(status));
            return cli_exit_for_status(status);
        }
        r->inertia = 0.0;
        for (size_t i = 0; i < sd->m; i++)
            r->inertia += (double)sq[i];
        free(sq);
    }
    km_model_centers_f32(r->model, r->centers);
    for (size_t i = 0; i < sd->m; i++)
        r->counts[r->labels[i]]++;
    if (verbose)
        fprintf(stderr,
                "kmeans segment: k=%d: fit %.3f s on %zu pixels%s, inertia "
                "%.10g, %d iteration%s\n",
                k, r->fit_seconds, n_fit, sd->Xs ? " (sampled)" : "",
                r->inertia, km_model_n_iter(r->model),
                km_model_n_iter(r->model) == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

/* round(v * maxval), halves up, clamped to 0..maxval. */
static unsigned quantize(float v, unsigned maxval)
{
    double x = floor((double)v * (double)maxval + 0.5);

    if (!(x > 0.0))
        return 0;
    if (x >= (double)maxval)
        return maxval;
    return (unsigned)x;
}

/* The segmented image: same size, channels and depth as the input. */
static int render(const cli_command *cmd, const seg_data *sd,
                  const seg_result *r, kmimage *out)
{
    const kmimage *img = sd->img;
    size_t c = (size_t)img->channels, n = kmimage_sample_count(img);
    size_t bytes = (size_t)(img->depth / 8);
    unsigned maxval = img->depth == 16 ? 65535u : 255u;
    unsigned *pal = malloc((size_t)r->k * sd->d * sizeof *pal);

    *out = *img;
    out->pixels = malloc(n * bytes);
    if (pal == NULL || out->pixels == NULL) {
        free(pal);
        free(out->pixels);
        out->pixels = NULL;
        cli_error(cmd, "out of memory for the segmented image");
        return CLI_EXIT_FAIL;
    }
    /* Start from the input: alpha and transparent pixels stay as they are. */
    memcpy(out->pixels, img->pixels, n * bytes);
    for (size_t j = 0; j < (size_t)r->k * sd->d; j++)
        pal[j] = quantize(r->centers[j], maxval);
    for (size_t i = 0, row = 0; i < sd->n_pixels; i++) {
        const unsigned *color;
        if (sd->vote != NULL && !sd->vote[i])
            continue;
        color = pal + (size_t)r->labels[row++] * sd->d;
        for (size_t f = 0; f < sd->d; f++) {
            if (img->depth == 16)
                ((uint16_t *)out->pixels)[i * c + f] = (uint16_t)color[f];
            else
                ((unsigned char *)out->pixels)[i * c + f] =
                    (unsigned char)color[f];
        }
    }
    free(pal);
    return CLI_EXIT_OK;
}

/* ---- outputs
 * ----------------------------------------------------------------- */

/* The k colors on the 0..255 scale, k x d, as doubles for kmio. */
static double *palette_255(const seg_data *sd, const seg_result *r)
{
    size_t n = (size_t)r->k * sd->d;
    double *pal = malloc(n * sizeof *pal);

    if (pal != NULL) {
        for (size_t j = 0; j < n; j++)
            pal[j] = (double)quantize(r->centers[j], 255u);
    }
    return pal;
}

static int write_palette(const cli_command *cmd, const char *path,
                         const seg_data *sd, const seg_result *r)
{
    double *pal = palette_255(sd, r);
    kmio_error err;
    int rc = CLI_EXIT_OK;

    if (pal == NULL) {
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAIL;
    }
    memset(&err, 0, sizeof err);
    if (kmio_write_matrix(path, KM_FLOAT64, pal, (size_t)r->k, sd->d, 0,
                          &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
    }
    free(pal);
    return rc;
}

static int write_labels(const cli_command *cmd, const char *path,
                        const seg_data *sd, const seg_result *r)
{
    int32_t *all = r->labels;
    kmio_error err;
    int rc = CLI_EXIT_OK;

    if (sd->vote != NULL) {
        all = malloc(sd->n_pixels * sizeof *all);
        if (all == NULL) {
            cli_error(cmd, "out of memory for %zu labels", sd->n_pixels);
            return CLI_EXIT_FAIL;
        }
        for (size_t i = 0, row = 0; i < sd->n_pixels; i++)
            all[i] = sd->vote[i] ? r->labels[row++] : -1;
    }
    memset(&err, 0, sizeof err);
    if (kmio_write_labels(path, all, sd->n_pixels, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
    }
    if (all != r->labels)
        free(all);
    return rc;
}

/* An RGB, RGBA or gray 8-bit copy that the plot layer can draw. */
static int displayable(const kmimage *img, kmimage *out, kmio_error *err)
{
    kmimage tmp;

    if (kmimage_to_8bit(img, &tmp, err) != 0)
        return -1;
    if (tmp.channels != 2) {
        *out = tmp;
        return 0;
    }
    /* gray + alpha -> RGBA */
    *out = tmp;
    out->channels = 4;
    out->pixels = malloc(kmimage_pixel_count(&tmp) * 4);
    if (out->pixels == NULL) {
        kmimage_free(&tmp);
        snprintf(err->msg, sizeof err->msg, "out of memory for the figure");
        return -1;
    }
    for (size_t i = 0; i < kmimage_pixel_count(&tmp); i++) {
        const unsigned char *s = (const unsigned char *)tmp.pixels + 2 * i;
        unsigned char *dst = (unsigned char *)out->pixels + 4 * i;
        dst[0] = dst[1] = dst[2] = s[0];
        dst[3] = s[1];
    }
    kmimage_free(&tmp);
    return 0;
}

static int add_image_panel(kmplot_figure *fig, int index, int cols,
                           const kmimage *img, const char *title,
                           kmio_error *err)
{
    kmplot_panel *panel = kmplot_panel_at(fig, index / cols, index % cols);
    kmimage shown;

    if (displayable(img, &shown, err) != 0)
        return -1;
    kmplot_image(panel, shown.pixels, (int)shown.width, (int)shown.height,
                 shown.channels, 0);
    kmplot_title(panel, title);
    kmimage_free(&shown);
    return 0;
}

/*
 * Figure 9-12: the original and one segmented image per k, each titled,
 * in a grid of at most 3 columns (one row for up to 3 panels).
 */
static int draw_grid(const cli_command *cmd, const char *path,
                     const seg_data *sd, const seg_result *res, int n_res)
{
    const kmimage *img = sd->img;
    int panels = n_res + 1;
    int cols = panels <= 3 ? panels : (panels <= 4 ? 2 : 3);
    int rows = (panels + cols - 1) / cols;
    double aspect = (double)img->height / (double)img->width;
    int panel_w = 400, panel_h;
    kmplot_figure *fig;
    kmio_error err;
    int rc = CLI_EXIT_FAIL;

    if (aspect > 1.5)
        panel_w = (int)(400.0 * 1.5 / aspect) + 1;
    panel_h = (int)((double)panel_w * aspect) + 44;
    memset(&err, 0, sizeof err);
    fig = kmplot_figure_new(cols * panel_w, rows * panel_h, rows, cols);
    if (fig == NULL) {
        cli_error(cmd, "%s: cannot create a %d x %d figure", path,
                  cols * panel_w, rows * panel_h);
        return CLI_EXIT_FAIL;
    }
    for (int p = panels; p < rows * cols; p++)
        kmplot_axes_off(kmplot_panel_at(fig, p / cols, p % cols));
    if (add_image_panel(fig, 0, cols, img, "Original image", &err) != 0)
        goto fail;
    for (int i = 0; i < n_res; i++) {
        kmimage seg;
        char title[64];
        int st;
        if (render(cmd, sd, &res[i], &seg) != CLI_EXIT_OK)
            goto done;
        snprintf(title, sizeof title, "%d color%s", res[i].k,
                 res[i].k == 1 ? "" : "s");
        st = add_image_panel(fig, i + 1, cols, &seg, title, &err);
        free(seg.pixels);
        if (st != 0)
            goto fail;
    }
    if (kmplot_save(fig, path, &err) != 0)
        goto fail;
    rc = CLI_EXIT_OK;
    goto done;

fail:
    cli_error(cmd, "%s", err.msg);
done:
    kmplot_figure_free(fig);
    return rc;
}

static json_t *result_json(const seg_data *sd, const seg_result *r)
{
    json_t *o = json_object(), *pal = json_array(), *share = json_array();
    json_t *counts = json_array(), *centers = json_array();

    for (size_t j = 0; j < (size_t)r->k; j++) {
        json_t *color = json_array(), *center = json_array();
        for (size_t f = 0; f < sd->d; f++) {
            float v = r->centers[j * sd->d + f];
            json_array_append_new(color, json_integer(quantize(v, 255u)));
            json_array_append_new(center, json_real((double)v));
        }
        json_array_append_new(pal, color);
        json_array_append_new(centers, center);
        json_array_append_new(counts, json_integer((json_int_t)r->counts[j]));
        json_array_append_new(share,
                              json_real((double)r->counts[j] / (double)sd->m));
    }
    cli_json_set(o, "k", json_integer(r->k));
    cli_json_set(o, "inertia", json_real(r->inertia));
    cli_json_set(o, "n_iter", json_integer(km_model_n_iter(r->model)));
    cli_json_set(o, "converged",
                 json_boolean(km_model_flags(r->model) & KM_FLAG_CONVERGED));
    cli_json_set(o, "palette", pal);
    cli_json_set(o, "share", share);
    cli_json_set(o, "counts", counts);
    cli_json_set(o, "centers", centers);
    cli_json_set(o, "fit_seconds", json_real(r->fit_seconds));
    if (sd->Xs != NULL)
        cli_json_set(o, "assign_seconds", json_real(r->assign_seconds));
    cli_json_set(o, "warnings", json_incref(r->warnings));
    return o;
}

static const char *format_name(kmimage_format f)
{
    return f == KMIMAGE_PNG ? "png" : "jpeg";
}

static json_t *command_json(const seg_args *a, const seg_data *sd,
                            const seg_result *res)
{
    const kmimage *img = sd->img;
    json_t *o = json_object();

    cli_json_set(o, "width", json_integer(img->width));
    cli_json_set(o, "height", json_integer(img->height));
    cli_json_set(o, "channels", json_integer(img->channels));
    cli_json_set(o, "bit_depth", json_integer(img->depth));
    cli_json_set(o, "format", json_string(format_name(img->format)));
    cli_json_set(o, "n_pixels", json_integer((json_int_t)sd->n_pixels));
    cli_json_set(o, "n_clustered", json_integer((json_int_t)sd->m));
    cli_json_set(o, "sampled", json_boolean(sd->Xs != NULL));
    cli_json_set(o, "sample_size",
                 json_integer((json_int_t)(sd->Xs ? sd->ms : sd->m)));
    if (a->grid) {
        json_t *arr = json_array();
        for (int i = 0; i < a->n_k; i++)
            json_array_append_new(arr, result_json(sd, &res[i]));
        cli_json_set(o, "grid", arr);
    } else {
        json_t *r = result_json(sd, &res[0]);
        if (o == NULL || r == NULL || json_object_update(o, r) != 0) {
            json_decref(o);
            json_decref(r);
            return NULL;
        }
        json_decref(r);
    }
    cli_json_set(o, "init", json_string(cli_init_name(a->p.init)));
    cli_json_set(o, "n_init", json_integer(cli_effective_n_init(&a->p)));
    cli_json_set(o, "algorithm",
                 json_string(cli_algorithm_name(a->p.algorithm)));
    cli_json_set(o, "max_iter", json_integer(a->p.max_iter));
    cli_json_set(o, "tol", json_real(a->p.tol));
    cli_json_set(o, "seed", cli_json_seed(a->p.seed));
    if (a->output != NULL)
        cli_json_set(o, "output", json_string(a->output));
    return o;
}

static void print_summary(const seg_args *a, const seg_data *sd,
                          const seg_result *res, FILE *fp)
{
    const kmimage *img = sd->img;

    fprintf(fp, "%s: %u x %u %s (%d-bit %s), %zu pixel%s clustered%s\n",
            cli_display_name(a->input), (unsigned)img->width,
            (unsigned)img->height, kmimage_channels_name(img->channels),
            img->depth, img->format == KMIMAGE_PNG ? "PNG" : "JPEG", sd->m,
            sd->m == 1 ? "" : "s",
            sd->Xs != NULL ? " (fitted on a sample)" : "");
    for (int i = 0; i < a->n_k; i++) {
        const seg_result *r = &res[i];
        fprintf(fp, "k=%d: inertia %.6g, %d iteration%s, fit %.3f s\n", r->k,
                r->inertia, km_model_n_iter(r->model),
                km_model_n_iter(r->model) == 1 ? "" : "s", r->fit_seconds);
        if (a->grid)
            continue;
        for (size_t j = 0; j < (size_t)r->k; j++) {
            const float *c = r->centers + j * sd->d;
            if (sd->d == 3)
                fprintf(fp, "  %2zu  #%02x%02x%02x  %5.1f%%\n", j,
                        quantize(c[0], 255u), quantize(c[1], 255u),
                        quantize(c[2], 255u),
                        100.0 * (double)r->counts[j] / (double)sd->m);
            else
                fprintf(fp, "  %2zu  gray %3u  %5.1f%%\n", j,
                        quantize(c[0], 255u),
                        100.0 * (double)r->counts[j] / (double)sd->m);
        }
    }
    if (a->output != NULL && !cli_is_stdio(a->output))
        fprintf(fp, "%s written to %s\n", a->grid ? "figure" : "image",
                a->output);
}

/* ---- the command
 * -------------------------------------------------------------- */

static int write_outputs(const cli_command *cmd, const seg_args *a,
                         const seg_data *sd, const seg_result *res)
{
    int rc;

    if (a->grid)
        return draw_grid(cmd, a->output, sd, res, a->n_k);
    if (a->output != NULL) {
        kmimage seg;
        kmio_error err;
        rc = render(cmd, sd, &res[0], &seg);
        if (rc != CLI_EXIT_OK)
            return rc;
        memset(&err, 0, sizeof err);
        rc = kmimage_write_png(a->output, &seg, &err);
        free(seg.pixels);
        if (rc != 0) {
            cli_error(cmd, "%s", err.msg);
            return CLI_EXIT_FAIL;
        }
    }
    if (a->palette != NULL) {
        rc = write_palette(cmd, a->palette, sd, &res[0]);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    if (a->f.labels != NULL)
        return write_labels(cmd, a->f.labels, sd, &res[0]);
    return CLI_EXIT_OK;
}

static int run_segment(const cli_command *cmd, int argc, char **argv)
{
    seg_args a;
    seg_data sd;
    seg_result res[SEG_MAX_GRID];
    kmimage img;
    kmio_error err;
    const char *msg, *name;
    double t0;
    bool help;
    int rc;

    memset(&sd, 0, sizeof sd);
    memset(&img, 0, sizeof img);
    memset(res, 0, sizeof res);
    rc = parse_args(cmd, argc, argv, &a, &help);
    if (rc != CLI_EXIT_OK || help)
        return rc;
    msg = km_params_check(&a.p);
    if (msg != NULL)
        return cli_usage(cmd, "invalid parameters: %s", msg);
    name = cli_display_name(a.input);

    t0 = cli_now();
    memset(&err, 0, sizeof err);
    if (kmimage_read(a.input, a.max_pixels, &img, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    if (a.f.verbose)
        fprintf(stderr, "kmeans segment: decoded %s (%u x %u %s) in %.3f s\n",
                name, (unsigned)img.width, (unsigned)img.height,
                kmimage_channels_name(img.channels), cli_now() - t0);
    rc = data_build(cmd, name, &img, &sd);
    if (rc != CLI_EXIT_OK)
        goto done;
    if (a.pixels != NULL) {
        memset(&err, 0, sizeof err);
        if (kmio_write_matrix(a.pixels, KM_FLOAT32, sd.X, sd.m, sd.d, 0,
                              &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    if (a.sample != 0 && a.sample < sd.m) {
        rc = data_sample(cmd, &sd, (size_t)a.sample, a.p.seed);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    for (int i = 0; i < a.n_k; i++) {
        rc = segment_k(cmd, name, &sd, &a.p, a.ks[i], a.f.verbose, &res[i]);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    rc = write_outputs(cmd, &a, &sd, res);
    if (rc != CLI_EXIT_OK)
        goto done;
    if (a.f.json)
        rc = cli_print_json(command_json(&a, &sd, res));
    else
        print_summary(&a, &sd, res,
                      cli_is_stdio(a.output) || cli_is_stdio(a.palette) ||
                              cli_is_stdio(a.f.labels) || cli_is_stdio(a.pixels)
                          ? stderr
                          : stdout);

done:
    for (int i = 0; i < a.n_k; i++)
        result_free(&res[i]);
    data_free(&sd);
    kmimage_free(&img);
    return rc;
}

const cli_command cli_cmd_segment = {
    "segment",
    "IMAGE",
    "color segmentation: repaint each pixel with its cluster's mean color",
    "IMAGE is a PNG (1 to 16 bits, gray, gray+alpha, RGB, RGBA or palette)\n"
    "or a JPEG (baseline or progressive, gray or color); '-' reads standard\n"
    "input.  The colors of its pixels, scaled to [0, 1] as float32, are\n"
    "clustered with K-Means and every pixel is repainted with the mean color\n"
    "of its cluster, rounded to the nearest sample value.  Alpha is copied,\n"
    "not clustered; fully transparent pixels do not vote and keep their\n"
    "color.  The output is a PNG of the input's size, channels and depth.\n"
    "\n"
    "examples:\n"
    "  kmeans segment photo.jpg -k 8 -o segmented.png --seed 42 --json\n"
    "  kmeans segment photo.jpg --grid 10,8,6,4,2 -o figure.png\n"
    "  kmeans segment photo.png -k 6 -o out.png --palette palette.csv "
    "--labels labels.npy\n",
    segment_options,
    run_segment,
};

/* ---- the demo step
 * -------------------------------------------------------------- */

/* Where the demo finds the book's flower photograph. */
static const char *find_flower(void)
{
    static char path[4096];
    const char *dir = getenv("KMEANS_DATA");
    FILE *fp;

    if (dir != NULL && dir[0] != '\0') {
        snprintf(path, sizeof path, "%s/flower.jpg", dir);
        return path;
    }
    fp = fopen("data/flower.jpg", "rb");
    if (fp != NULL) {
        fclose(fp);
        return "data/flower.jpg";
    }
#ifdef KM_DATA_DIR
    return KM_DATA_DIR "/flower.jpg";
#else
    return "data/flower.jpg";
#endif
}

int cli_demo_segment(cli_demo *dm)
{
    static const int ks[5] = {10, 8, 6, 4, 2};
    const char *photo = find_flower();
    char figure[4096];
    seg_data sd;
    seg_result res[5];
    km_params p;
    kmimage img;
    kmio_error err;
    int rc = CLI_EXIT_OK, n_done = 0;

    cli_demo_step(dm, "Image segmentation: cluster the colors of a "
                      "photograph's pixels and repaint\n"
                      "   each pixel with its cluster's mean color (Figure "
                      "9-12).\n"
                      "   $ kmeans segment data/flower.jpg --grid "
                      "10,8,6,4,2 -o segment-flower.png --seed 42\n");
    memset(&err, 0, sizeof err);
    memset(&sd, 0, sizeof sd);
    memset(res, 0, sizeof res);
    if (kmimage_read(photo, KMIMAGE_DEFAULT_MAX_PIXELS, &img, &err) != 0) {
        printf("   Skipped: %s\n"
               "   (run the demo from the source directory, or set "
               "KMEANS_DATA to its data/ folder)\n",
               err.msg);
        return CLI_EXIT_OK;
    }
    rc = data_build(dm->cmd, photo, &img, &sd);
    km_params_init(&p);
    p.seed = 42;
    p.n_threads = dm->threads;
    printf("   %u x %u = %zu pixels, each an RGB color to cluster.\n"
           "     k   inertia   iterations\n",
           (unsigned)img.width, (unsigned)img.height, sd.m);
    for (int i = 0; i < 5 && rc == CLI_EXIT_OK; i++) {
        rc = segment_k(dm->cmd, photo, &sd, &p, ks[i], false, &res[i]);
        n_done = i + 1;
        if (rc == CLI_EXIT_OK) {
            /* No timings: the tour's output is the same on every run. */
            printf("    %2d   %7.1f   %10d\n", ks[i], res[i].inertia,
                   km_model_n_iter(res[i].model));
        }
    }
    if (rc == CLI_EXIT_OK &&
        cli_demo_path(dm, "segment-flower.png", figure, sizeof figure) == NULL)
        rc = CLI_EXIT_FAIL;
    if (rc == CLI_EXIT_OK)
        rc = draw_grid(dm->cmd, figure, &sd, res, 5);
    if (rc == CLI_EXIT_OK)
        printf("   Figure: %s\n", figure);
    for (int i = 0; i < n_done; i++)
        result_free(&res[i]);
    data_free(&sd);
    kmimage_free(&img);
    return rc;
}
