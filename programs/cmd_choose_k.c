/*
 * cmd_choose_k.c - choosing the number of clusters: `kmeans silhouette`
 * (scores of a given labeling), `kmeans elbow` (inertia against k, with the
 * elbow found and marked) and `kmeans choose-k` (inertia, silhouette,
 * Calinski-Harabasz and Davies-Bouldin against k, a recommendation, the
 * silhouette plot and diagrams), and the demo's steps on the same topic.
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kmplot.h"

/* The options of these commands beyond the shared ones (cli.h). */
enum { OPT_K, OPT_PLOT, OPT_DIAGRAM, OPT_SAMPLE_SIZE, OPT_LABELS, OPT_SAMPLES };

/* The K-Means options of elbow and choose-k. */
#define FIT_OPTIONS                                                            \
    {CLI_OPT_INIT, "init", 0, "METHOD",                                        \
     "k-means++, k-means|| or random (default k-means++)"},                    \
        {CLI_OPT_N_INIT, "n-init", 0, "N",                                     \
         "initializations per k, keeping the best; auto = 1 for "              \
         "k-means++ and k-means||, 10 for random (default auto)"},             \
        {CLI_OPT_MAX_ITER, "max-iter", 0, "N",                                 \
         "maximum iterations per run (default 300)"},                          \
        {CLI_OPT_TOL, "tol", 0, "X",                                           \
         "relative tolerance on the center shift (default 1e-4)"},             \
        {CLI_OPT_ALGORITHM, "algorithm", 0, "NAME", CLI_HELP_ALGORITHM},       \
        {CLI_OPT_SEED, "seed", 0, "N",                                         \
         "seed of all randomness, the same for every k (default 0)"},          \
        {CLI_OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},                \
    {                                                                          \
        CLI_OPT_DTYPE, "dtype", 0, "TYPE", CLI_HELP_DTYPE                      \
    }

static const cli_option elbow_options[] = {
    {OPT_K, "k", 'k', "RANGE",
     "values of k: A:B (A to B) or a list A,B,C (default 1:10)"},
    FIT_OPTIONS,
    {OPT_PLOT, "plot", 0, "FILE",
     "draw inertia against k with the elbow marked: .png, .svg or .pdf "
     "(default: none)"},
    {CLI_OPT_JSON, "json", 0, NULL,
     "print one JSON object: k, inertia, elbow (and the fit parameters)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option choose_k_options[] = {
    {OPT_K, "k", 'k', "RANGE",
     "values of k, each >= 2: A:B or a list A,B,C (default 2:9)"},
    FIT_OPTIONS,
    {OPT_SAMPLE_SIZE, "sample-size", 0, "N",
     "silhouette on N rows drawn at random (with --seed), 0 = every row "
     "(default 0)"},
    {OPT_PLOT, "plot", 0, "FILE",
     "draw the silhouette score against k: .png, .svg or .pdf (default: "
     "none)"},
    {OPT_DIAGRAM, "diagram", 0, "FILE",
     "draw the silhouette diagram of every k: .png, .svg or .pdf (default: "
     "none)"},
    {CLI_OPT_JSON, "json", 0, NULL,
     "print one JSON object: k, inertia, silhouette, calinski_harabasz, "
     "davies_bouldin, recommended_k, reason"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_option silhouette_options[] = {
    {OPT_LABELS, "labels", 'l', "FILE",
     "the cluster of each row: integers, one-column CSV or 1-D .npy "
     "(required)"},
    {OPT_SAMPLES, "samples", 0, "FILE",
     "write each row's silhouette coefficient, .csv or .npy (default: "
     "none)"},
    {OPT_SAMPLE_SIZE, "sample-size", 0, "N",
     "score on N rows drawn at random (with --seed), 0 = every row "
     "(default 0)"},
    {CLI_OPT_SEED, "seed", 0, "N", "seed of the sample (default 0)"},
    {CLI_OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {CLI_OPT_DTYPE, "dtype", 0, "TYPE", CLI_HELP_DTYPE},
    {CLI_OPT_JSON, "json", 0, NULL,
     "print one JSON object: score, calinski_harabasz, davies_bouldin, "
     "n_samples, n_clusters"},
    {0, NULL, 0, NULL, NULL},
};

#define MAX_KS 1000

typedef struct ck_args {
    const char *data;
    const char *plot;
    const char *diagram;
    const char *labels;
    const char *samples;
    int ks[MAX_KS];
    size_t nk;
    size_t sample_size;
    cli_fit_opts f; /* the K-Means options, --dtype, --json */
    km_params p;
} ck_args;

/* ---- parsing --------------------------------------------------------------
 */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* "A:B" or "A,B,C": values >= min_k, sorted, duplicates removed. */
static int parse_k_range(const cli_command *cmd, const char *text, int min_k,
                         ck_args *a)
{
    const char *colon = strchr(text, ':');
    char buf[32];

    a->nk = 0;
    if (colon != NULL) {
        int lo, hi;
        size_t len = (size_t)(colon - text);
        if (len == 0 || len >= sizeof buf)
            return cli_usage(cmd, "--k: expected A:B or A,B,C, got '%s'", text);
        memcpy(buf, text, len);
        buf[len] = '\0';
        if (!cli_parse_int(cmd, OPT_K, buf, min_k, INT_MAX, &lo) ||
            !cli_parse_int(cmd, OPT_K, colon + 1, min_k, INT_MAX, &hi))
            return CLI_EXIT_USAGE;
        if (hi < lo)
            return cli_usage(cmd, "--k: empty range %d:%d", lo, hi);
        if ((size_t)(hi - lo) >= MAX_KS)
            return cli_usage(cmd, "--k: at most %d values of k", MAX_KS);
        for (int k = lo; k <= hi; k++)
            a->ks[a->nk++] = k;
        return CLI_EXIT_OK;
    }
    for (const char *s = text;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len == 0 || len >= sizeof buf)
            return cli_usage(cmd, "--k: expected A:B or A,B,C, got '%s'", text);
        if (a->nk == MAX_KS)
            return cli_usage(cmd, "--k: at most %d values of k", MAX_KS);
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (!cli_parse_int(cmd, OPT_K, buf, min_k, INT_MAX, &a->ks[a->nk]))
            return CLI_EXIT_USAGE;
        a->nk++;
        if (comma == NULL)
            break;
        s = comma + 1;
    }
    qsort(a->ks, a->nk, sizeof a->ks[0], cmp_int);
    {
        size_t m = 0;
        for (size_t i = 0; i < a->nk; i++) {
            if (m == 0 || a->ks[i] != a->ks[m - 1])
                a->ks[m++] = a->ks[i];
        }
        a->nk = m;
    }
    return CLI_EXIT_OK;
}

static int check_figure_name(const cli_command *cmd, int id, const char *path)
{
    char label[64];

    if (kmplot_format_known(path))
        return CLI_EXIT_OK;
    return cli_usage(cmd, "%s: '%s' is not a .png, .svg or .pdf file name",
                     cli_option_label(cmd, id, label, sizeof label), path);
}

typedef struct ck_parse {
    ck_args *a;
    const char *k_text; /* -k, parsed after the scan */
} ck_parse;

static int ck_arg(const cli_command *cmd, void *user, int id, const char *value)
{
    ck_parse *cp = user;
    ck_args *a = cp->a;
    int rc = CLI_EXIT_OK;

    switch (id) {
    case CLI_OPT_POSITIONAL:
        return cli_take_one(cmd, &a->data, value, "DATA file");
    case OPT_K:
        cp->k_text = value;
        break;
    case OPT_PLOT:
        if ((rc = check_figure_name(cmd, id, value)) == CLI_EXIT_OK)
            a->plot = value;
        break;
    case OPT_DIAGRAM:
        if ((rc = check_figure_name(cmd, id, value)) == CLI_EXIT_OK)
            a->diagram = value;
        break;
    case OPT_SAMPLE_SIZE: {
        uint64_t v;
        if (!cli_parse_u64(cmd, id, value, &v))
            return CLI_EXIT_USAGE;
        a->sample_size = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
        break;
    }
    case OPT_LABELS:
        a->labels = value;
        break;
    case OPT_SAMPLES:
        a->samples = value;
        break;
    }
    return rc;
}

/* The options of the three commands (each has a subset of them). */
static int parse_args(const cli_command *cmd, int argc, char **argv, ck_args *a,
                      bool *help)
{
    ck_parse cp = {a, NULL};
    int min_k = strcmp(cmd->name, "elbow") == 0 ? 1 : 2, rc;

    memset(a, 0, sizeof *a);
    km_params_init(&a->p);
    cli_fit_opts_init(&a->f, &a->p, " (explicit centers fix k)");
    rc = cli_parse_args(cmd, argc, argv, &a->f, ck_arg, &cp, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    rc = cli_require(cmd, a->data, "DATA file");
    if (rc != CLI_EXIT_OK)
        return rc;
    if (strcmp(cmd->name, "silhouette") == 0) {
        if (a->labels == NULL)
            return cli_usage(cmd, "missing --labels FILE (the cluster of "
                                  "each row)");
        if (cli_is_stdio(a->labels) && cli_is_stdio(a->data))
            return cli_usage(cmd, "only one input can be read from standard "
                                  "input ('-')");
        if (a->samples != NULL && a->sample_size > 0)
            return cli_usage(cmd, "--samples writes every row's coefficient; "
                                  "it cannot be combined with --sample-size");
        if (a->f.json && cli_is_stdio(a->samples))
            return cli_usage(cmd, "--json prints on standard output; give "
                                  "--samples a file name");
        return CLI_EXIT_OK;
    }
    rc = parse_k_range(cmd,
                       cp.k_text    ? cp.k_text
                       : min_k == 1 ? "1:10"
                                    : "2:9",
                       min_k, a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (min_k == 1 && a->nk < 3)
        return cli_usage(cmd, "--k: finding an elbow needs at least 3 values "
                              "of k");
    return CLI_EXIT_OK;
}

/* ---- computing
 * ----------------------------------------------------------------
 */

/* One fit (and, with scores, the three scores) per k. */
typedef struct sweep {
    size_t nk;
    const int *ks;
    double *inertia;
    double *sil, *ch, *db; /* NULL without scores */
    int32_t **labels;      /* per k, kept for diagrams, else NULL */
    double **samples;      /* per k silhouettes for diagrams, else NULL */
} sweep;

static void sweep_free(sweep *s)
{
    for (size_t i = 0; i < s->nk; i++) {
        if (s->labels != NULL)
            free(s->labels[i]);
        if (s->samples != NULL)
            free(s->samples[i]);
    }
    free(s->labels);
    free(s->samples);
    free(s->inertia);
    free(s->sil);
    free(s->ch);
    free(s->db);
    memset(s, 0, sizeof *s);
}

static int fit_one(const km_params *p, const kmio_matrix *X, km_model **model,
                   int32_t *labels)
{
    if (X->dtype == KM_FLOAT32)
        return km_fit_f32(p, X->data, X->n, X->d, NULL, model, labels);
    return km_fit_f64(p, X->data, X->n, X->d, NULL, model, labels);
}

static int scores_of(const kmio_matrix *X, const int32_t *labels,
                     size_t sample_size, uint64_t seed, int threads,
                     double *samples, double *sil, double *ch, double *db)
{
    int st;
    bool f32 = X->dtype == KM_FLOAT32;

    if (samples != NULL && sample_size == 0) {
        st = f32 ? km_silhouette_samples_f32(X->data, X->n, X->d, labels,
                                             threads, samples)
                 : km_silhouette_samples_f64(X->data, X->n, X->d, labels,
                                             threads, samples);
        if (st == KM_OK) {
            double sum = 0.0;
            for (size_t i = 0; i < X->n; i++)
                sum += samples[i];
            *sil = sum / (double)X->n;
        }
    } else {
        st = f32 ? km_silhouette_score_f32(X->data, X->n, X->d, labels,
                                           sample_size, seed, threads, sil)
                 : km_silhouette_score_f64(X->data, X->n, X->d, labels,
                                           sample_size, seed, threads, sil);
        if (st == KM_OK && samples != NULL)
            st = f32 ? km_silhouette_samples_f32(X->data, X->n, X->d, labels,
                                                 threads, samples)
                     : km_silhouette_samples_f64(X->data, X->n, X->d, labels,
                                                 threads, samples);
    }
    if (st == KM_OK)
        st = f32 ? km_calinski_harabasz_f32(X->data, X->n, X->d, labels, ch)
                 : km_calinski_harabasz_f64(X->data, X->n, X->d, labels, ch);
    if (st == KM_OK)
        st = f32 ? km_davies_bouldin_f32(X->data, X->n, X->d, labels, db)
                 : km_davies_bouldin_f64(X->data, X->n, X->d, labels, db);
    return st;
}

/*
 * Fit every k of ks on X with parameters p (n_clusters replaced); with
 * scores, also the silhouette, Calinski-Harabasz and Davies-Bouldin scores
 * of each fit's labels; with keep, the labels and per-row silhouettes for
 * the diagrams.  Returns an exit code (the message printed, naming name).
 */
static int run_sweep(const cli_command *cmd, const char *name,
                     const kmio_matrix *X, const km_params *p, const int *ks,
                     size_t nk, bool scores, bool keep, size_t sample_size,
                     cli_log *log, sweep *s)
{
    int32_t *labels = malloc((X->n ? X->n : 1) * sizeof *labels);

    memset(s, 0, sizeof *s);
    s->nk = nk;
    s->ks = ks;
    s->inertia = calloc(nk, sizeof *s->inertia);
    if (scores) {
        s->sil = calloc(nk, sizeof *s->sil);
        s->ch = calloc(nk, sizeof *s->ch);
        s->db = calloc(nk, sizeof *s->db);
    }
    if (keep) {
        s->labels = calloc(nk, sizeof *s->labels);
        s->samples = calloc(nk, sizeof *s->samples);
    }
    if (labels == NULL || s->inertia == NULL ||
        (scores && (s->sil == NULL || s->ch == NULL || s->db == NULL)) ||
        (keep && (s->labels == NULL || s->samples == NULL))) {
        free(labels);
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < nk; i++) {
        km_params q = *p;
        km_model *model = NULL;
        int st;

        if ((size_t)ks[i] > X->n || (scores && (size_t)ks[i] >= X->n)) {
            free(labels);
            return cli_usage(cmd,
                             "k=%d is too large for the %zu rows of %s (at "
                             "most %zu)",
                             ks[i], X->n, name, scores ? X->n - 1 : X->n);
        }
        q.n_clusters = ks[i];
        q.log = cli_log_event;
        q.log_user = log;
        st = fit_one(&q, X, &model, labels);
        if (st != KM_OK) {
            free(labels);
            cli_error(cmd, "%s: fitting k=%d: %s", name, ks[i],
                      km_strerror(st));
            return cli_exit_for_status(st);
        }
        s->inertia[i] = km_model_inertia(model);
        km_model_free(model);
        if (!scores)
            continue;
        if (keep) {
            s->labels[i] = malloc(X->n * sizeof *s->labels[i]);
            s->samples[i] = malloc(X->n * sizeof *s->samples[i]);
            if (s->labels[i] == NULL || s->samples[i] == NULL) {
                free(labels);
                cli_error(cmd, "out of memory");
                return CLI_EXIT_FAIL;
            }
            memcpy(s->labels[i], labels, X->n * sizeof *labels);
        }
        st = scores_of(X, labels, sample_size, p->seed, p->n_threads,
                       keep ? s->samples[i] : NULL, &s->sil[i], &s->ch[i],
                       &s->db[i]);
        if (st == KM_ERR_SHAPE) {
            free(labels);
            cli_error(cmd,
                      "%s: k=%d found fewer than 2 distinct clusters (too "
                      "many duplicate points%s); the scores are undefined",
                      name, ks[i], sample_size ? " or too small a sample" : "");
            return CLI_EXIT_USAGE;
        }
        if (st != KM_OK) {
            free(labels);
            cli_error(cmd, "%s: scoring k=%d: %s", name, ks[i],
                      km_strerror(st));
            return cli_exit_for_status(st);
        }
    }
    free(labels);
    return CLI_EXIT_OK;
}

/*
 * The elbow of a decreasing inertia curve: both axes scaled to [0, 1], the
 * point farthest below the chord joining the first and last points (the
 * "maximum distance to the chord" rule; Kneedle's difference curve for a
 * convex decreasing curve picks the same point).  Returns its index, or -1
 * when no point lies below the chord (a straight or concave curve).
 */
static int find_elbow(const int *ks, const double *inertia, size_t nk)
{
    double x0 = ks[0], x1 = ks[nk - 1], y0 = inertia[0], y1 = inertia[nk - 1];
    double lo = inertia[0], hi = inertia[0], best = 0.0;
    int at = -1;

    if (nk < 3)
        return -1;
    for (size_t i = 1; i < nk; i++) {
        lo = fmin(lo, inertia[i]);
        hi = fmax(hi, inertia[i]);
    }
    if (!(hi > lo))
        return -1;
    for (size_t i = 1; i + 1 < nk; i++) {
        double x = (ks[i] - x0) / (x1 - x0);
        double chord = (y0 - lo) / (hi - lo) +
                       x * ((y1 - lo) / (hi - lo) - (y0 - lo) / (hi - lo));
        double below = chord - (inertia[i] - lo) / (hi - lo);
        if (below > best + 1e-12) {
            best = below;
            at = (int)i;
        }
    }
    return at;
}

/* The k with the highest silhouette (the smallest such k on ties), and a
   sentence saying why, naming any k within 0.05 of it. */
static size_t recommend(const sweep *s, char *reason, size_t size)
{
    size_t best = 0, second = SIZE_MAX;
    int len;

    for (size_t i = 1; i < s->nk; i++) {
        if (s->sil[i] > s->sil[best])
            best = i;
    }
    for (size_t i = 0; i < s->nk; i++) {
        if (i != best && (second == SIZE_MAX || s->sil[i] > s->sil[second]))
            second = i;
    }
    len =
        snprintf(reason, size, "highest silhouette score (%.4f)", s->sil[best]);
    if (second != SIZE_MAX && len > 0 && (size_t)len < size &&
        s->sil[best] - s->sil[second] <= 0.05)
        snprintf(reason + len, size - (size_t)len,
                 "; k=%d is within %.2f (%.4f)", s->ks[second],
                 s->sil[best] - s->sil[second], s->sil[second]);
    return best;
}

/* ---- figures --------------------------------------------------------------
 */

static int save_figure(const cli_command *cmd, kmplot_figure *fig,
                       const char *path)
{
    kmio_error err;
    int rc = CLI_EXIT_OK;

    memset(&err, 0, sizeof err);
    if (fig == NULL) {
        cli_error(cmd, "%s: out of memory for the figure", path);
        return CLI_EXIT_FAIL;
    }
    if (kmplot_save(fig, path, &err) != 0) {
        cli_error(cmd, "%s", err.msg);
        rc = CLI_EXIT_FAIL;
    }
    kmplot_figure_free(fig);
    return rc;
}

static double *ks_as_doubles(const int *ks, size_t nk)
{
    double *x = malloc(nk * sizeof *x);

    if (x != NULL) {
        for (size_t i = 0; i < nk; i++)
            x[i] = ks[i];
    }
    return x;
}

/* A tick at every k when there are few, else automatic integer ticks. */
static void k_ticks(kmplot_panel *p, const double *x, size_t nk)
{
    if (nk <= 16)
        kmplot_xticks(p, x, NULL, nk);
    else
        kmplot_integer_ticks(p, true, false);
}

/* Inertia against k (the book's Figure 9-8), the elbow circled. */
static kmplot_figure *elbow_figure(const int *ks, const double *inertia,
                                   size_t nk, int elbow)
{
    kmplot_figure *fig = kmplot_figure_new(640, 400, 1, 1);
    kmplot_panel *p = kmplot_panel_at(fig, 0, 0);
    kmplot_style st = kmplot_style_default(0);
    double *x = ks_as_doubles(ks, nk);

    if (fig == NULL || x == NULL) {
        free(x);
        kmplot_figure_free(fig);
        return NULL;
    }
    st.marker = KMPLOT_MARKER_CIRCLE;
    kmplot_series(p, x, inertia, nk, &st);
    kmplot_title(p, "Inertia against the number of clusters");
    kmplot_xlabel(p, "k (number of clusters)");
    kmplot_ylabel(p, "Inertia");
    k_ticks(p, x, nk);
    kmplot_grid(p, true);
    if (elbow >= 0) {
        /* Text up and to the right, or to the left near the right end. */
        bool right_half =
            (double)(ks[elbow] - ks[0]) > 0.6 * (double)(ks[nk - 1] - ks[0]);
        kmplot_annotate(p, x[elbow], inertia[elbow], "Elbow",
                        right_half ? -70.0 : 70.0, -60.0, KMPLOT_BLACK);
    }
    free(x);
    return fig;
}

/* The silhouette score against k (the book's Figure 9-9). */
static kmplot_figure *scores_figure(const sweep *s, size_t best)
{
    kmplot_figure *fig = kmplot_figure_new(640, 400, 1, 1);
    kmplot_panel *p = kmplot_panel_at(fig, 0, 0);
    kmplot_style st = kmplot_style_default(0);
    double *x = ks_as_doubles(s->ks, s->nk);
    char text[64];

    if (fig == NULL || x == NULL) {
        free(x);
        kmplot_figure_free(fig);
        return NULL;
    }
    st.marker = KMPLOT_MARKER_CIRCLE;
    kmplot_series(p, x, s->sil, s->nk, &st);
    kmplot_title(p, "Silhouette score against the number of clusters");
    kmplot_xlabel(p, "k (number of clusters)");
    kmplot_ylabel(p, "Silhouette score");
    k_ticks(p, x, s->nk);
    kmplot_grid(p, true);
    snprintf(text, sizeof text, "best: k=%d", s->ks[best]);
    kmplot_annotate(p, x[best], s->sil[best], text,
                    best + 1 == s->nk ? -60.0 : 50.0, 40.0, KMPLOT_RED);
    free(x);
    return fig;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One silhouette diagram (the book's Figure 9-10): per cluster a band of
   horizontal bars, one per row sorted by coefficient, the mean score as a
   dashed line. */
static void diagram_panel(kmplot_panel *p, int k, const int32_t *labels,
                          const double *s, size_t n, double score,
                          double *sorted, bool xlabel, bool ylabel)
{
    const double pad = (double)(n / 30 > 0 ? n / 30 : 1);
    double pos = pad, lo = -0.1;
    double tick_v[64];
    char tick_buf[64][12];
    const char *tick_l[64];
    size_t nt = 0;
    char title[32];

    for (size_t i = 0; i < n; i++)
        lo = fmin(lo, s[i] - 0.05);
    for (int c = 0; c < k; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (labels[i] == c)
                sorted[m++] = s[i];
        }
        if (m == 0)
            continue;
        qsort(sorted, m, sizeof *sorted, cmp_double);
        kmplot_hbars(p, pos, 1.0, sorted, m, 0.0, kmplot_spectral_index(c, k),
                     NULL);
        if (nt < 64) {
            tick_v[nt] = pos + (double)m / 2.0;
            snprintf(tick_buf[nt], sizeof tick_buf[0], "%d", c);
            tick_l[nt] = tick_buf[nt];
            nt++;
        }
        pos += (double)m + pad;
    }
    kmplot_vline(p, score, KMPLOT_RED, 1.5, KMPLOT_DASHED, NULL);
    kmplot_xlim(p, lo, 1.0);
    kmplot_ylim(p, 0.0, pos);
    kmplot_yticks(p, tick_v, tick_l, nt);
    snprintf(title, sizeof title, "k=%d (score %.3f)", k, score);
    kmplot_title(p, title);
    if (xlabel)
        kmplot_xlabel(p, "Silhouette coefficient");
    if (ylabel)
        kmplot_ylabel(p, "Cluster");
}

/* Diagrams of the sweep's k at indices idx[0..m): a grid about as wide as
   tall. */
static kmplot_figure *diagram_figure(const sweep *s, const size_t *idx,
                                     size_t m, size_t n)
{
    int cols = (int)ceil(sqrt((double)m)), rows;
    kmplot_figure *fig;
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);

    if (cols < 1)
        cols = 1;
    rows = (int)((m + (size_t)cols - 1) / (size_t)cols);
    fig = kmplot_figure_new(330 * cols, 40 + 290 * rows, rows, cols);
    if (fig == NULL || sorted == NULL) {
        free(sorted);
        kmplot_figure_free(fig);
        return NULL;
    }
    kmplot_figure_title(fig, "Silhouette diagrams");
    for (size_t j = 0; j < m; j++) {
        int r = (int)(j / (size_t)cols), c = (int)(j % (size_t)cols);
        size_t i = idx[j];
        bool bottom = j + (size_t)cols >= m;
        diagram_panel(kmplot_panel_at(fig, r, c), s->ks[i], s->labels[i],
                      s->samples[i], n, s->sil[i], sorted, bottom, c == 0);
    }
    free(sorted);
    return fig;
}

/* ---- elbow
 * --------------------------------------------------------------------
 */

static void json_fit_params(json_t *o, const ck_args *a, size_t n)
{
    cli_json_set(o, "n_samples", json_integer((json_int_t)n));
    cli_json_set(o, "init", json_string(cli_init_name(a->p.init)));
    cli_json_set(o, "n_init", json_integer(cli_effective_n_init(&a->p)));
    cli_json_set(o, "seed", cli_json_seed(a->p.seed));
}

static json_t *json_doubles(const double *v, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_real(v[i]));
    return arr;
}

static json_t *json_ints(const int *v, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, json_integer(v[i]));
    return arr;
}

/* What elbow and choose-k share: the arguments, DATA and one fit per k. */
typedef struct ck_run {
    ck_args *a;
    kmio_matrix X;
    sweep s;
    cli_log log;
} ck_run;

/* Parse, read DATA and fit every k (with the scores when scores is set).
   Returns an exit code; *help is set when the help was printed. */
static int sweep_start(const cli_command *cmd, int argc, char **argv,
                       bool scores, ck_run *r, bool *help)
{
    ck_args *a;
    int rc;

    memset(r, 0, sizeof *r);
    *help = false;
    cli_log_init(&r->log, cmd, false, 1);
    a = r->a = malloc(sizeof *a);
    if (a == NULL) {
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAIL;
    }
    rc = parse_args(cmd, argc, argv, a, help);
    if (rc != CLI_EXIT_OK || *help)
        return rc;
    rc = cli_read_matrix(cmd, a->data, a->f.want, &r->X);
    if (rc != CLI_EXIT_OK)
        return rc;
    return run_sweep(cmd, cli_display_name(a->data), &r->X, &a->p, a->ks, a->nk,
                     scores, a->diagram != NULL, a->sample_size, &r->log,
                     &r->s);
}

static void sweep_end(ck_run *r)
{
    sweep_free(&r->s);
    kmio_matrix_free(&r->X);
    cli_log_free(&r->log);
    free(r->a);
}

static int run_elbow(const cli_command *cmd, int argc, char **argv)
{
    ck_run r;
    ck_args *a;
    bool help;
    int rc, elbow;

    rc = sweep_start(cmd, argc, argv, false, &r, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    a = r.a;
    elbow = find_elbow(a->ks, r.s.inertia, a->nk);
    if (a->plot != NULL) {
        rc = save_figure(cmd, elbow_figure(a->ks, r.s.inertia, a->nk, elbow),
                         a->plot);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if (a->f.json) {
        json_t *o = json_object();
        cli_json_set(o, "k", json_ints(a->ks, a->nk));
        cli_json_set(o, "inertia", json_doubles(r.s.inertia, a->nk));
        cli_json_set(o, "elbow",
                     elbow >= 0 ? json_integer(a->ks[elbow]) : json_null());
        json_fit_params(o, a, r.X.n);
        if (a->plot != NULL)
            cli_json_set(o, "plot", json_string(a->plot));
        if (json_array_size(r.log.warnings) > 0)
            cli_json_set(o, "warnings", json_incref(r.log.warnings));
        rc = cli_print_json(o);
    } else {
        printf("%4s  %20s\n", "k", "inertia");
        for (size_t i = 0; i < a->nk; i++)
            printf("%4d  %20.10g\n", a->ks[i], r.s.inertia[i]);
        if (elbow >= 0)
            printf("elbow: k=%d (farthest below the chord from k=%d to "
                   "k=%d)\n",
                   a->ks[elbow], a->ks[0], a->ks[a->nk - 1]);
        else
            printf("elbow: none (no k lies below the chord from k=%d to "
                   "k=%d)\n",
                   a->ks[0], a->ks[a->nk - 1]);
        if (a->plot != NULL)
            printf("plot: %s\n", a->plot);
    }

done:
    sweep_end(&r);
    return rc;
}

/* ---- choose-k
 * -----------------------------------------------------------------
 */

static int run_choose_k(const cli_command *cmd, int argc, char **argv)
{
    ck_run r;
    ck_args *a;
    bool help;
    char reason[160];
    size_t best;
    int rc;

    rc = sweep_start(cmd, argc, argv, true, &r, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    a = r.a;
    best = recommend(&r.s, reason, sizeof reason);
    if (a->plot != NULL) {
        rc = save_figure(cmd, scores_figure(&r.s, best), a->plot);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if (a->diagram != NULL) {
        size_t *idx = malloc(a->nk * sizeof *idx);
        if (idx == NULL) {
            cli_error(cmd, "out of memory");
            rc = CLI_EXIT_FAIL;
            goto done;
        }
        for (size_t i = 0; i < a->nk; i++)
            idx[i] = i;
        rc = save_figure(cmd, diagram_figure(&r.s, idx, a->nk, r.X.n),
                         a->diagram);
        free(idx);
        if (rc != CLI_EXIT_OK)
            goto done;
    }
    if (a->f.json) {
        json_t *o = json_object();
        cli_json_set(o, "k", json_ints(a->ks, a->nk));
        cli_json_set(o, "inertia", json_doubles(r.s.inertia, a->nk));
        cli_json_set(o, "silhouette", json_doubles(r.s.sil, a->nk));
        cli_json_set(o, "calinski_harabasz", json_doubles(r.s.ch, a->nk));
        cli_json_set(o, "davies_bouldin", json_doubles(r.s.db, a->nk));
        cli_json_set(o, "recommended_k", json_integer(a->ks[best]));
        cli_json_set(o, "reason", json_string(reason));
        cli_json_set(
            o, "sample_size",
            json_integer(
                (json_int_t)(a->sample_size < r.X.n ? a->sample_size : 0)));
        json_fit_params(o, a, r.X.n);
        if (a->plot != NULL)
            cli_json_set(o, "plot", json_string(a->plot));
        if (a->diagram != NULL)
            cli_json_set(o, "diagram", json_string(a->diagram));
        if (json_array_size(r.log.warnings) > 0)
            cli_json_set(o, "warnings", json_incref(r.log.warnings));
        rc = cli_print_json(o);
    } else {
        printf("%4s  %16s  %10s  %17s  %14s\n", "k", "inertia", "silhouette",
               "calinski_harabasz", "davies_bouldin");
        for (size_t i = 0; i < a->nk; i++)
            printf("%4d  %16.8g  %10.4f  %17.6g  %14.4f\n", a->ks[i],
                   r.s.inertia[i], r.s.sil[i], r.s.ch[i], r.s.db[i]);
        printf("recommended k: %d (%s)\n", a->ks[best], reason);
        if (a->plot != NULL)
            printf("plot: %s\n", a->plot);
        if (a->diagram != NULL)
            printf("diagram: %s\n", a->diagram);
    }

done:
    sweep_end(&r);
    return rc;
}

/* ---- silhouette
 * ---------------------------------------------------------------
 */

/* Labels of data_path's n rows from path: integers in int32's range. */
static int read_labels(const cli_command *cmd, const char *path, size_t n,
                       const char *data_path, int32_t **out)
{
    const char *name = cli_display_name(path);
    kmio_matrix L;
    int32_t *labels;
    int rc = cli_read_matrix(cmd, path, KMIO_WANT_F64, &L);

    if (rc != CLI_EXIT_OK)
        return rc;
    if (L.d != 1 || L.n != n) {
        cli_error(cmd,
                  "labels %s has %zu rows x %zu columns; expected one "
                  "label per row of %s (%zu)",
                  name, L.n, L.d, cli_display_name(data_path), n);
        kmio_matrix_free(&L);
        return CLI_EXIT_USAGE;
    }
    labels = malloc(n * sizeof *labels);
    if (labels == NULL) {
        kmio_matrix_free(&L);
        cli_error(cmd, "out of memory for %zu labels", n);
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        double v = ((const double *)L.data)[i];
        if (v != floor(v) || v < INT32_MIN || v > INT32_MAX) {
            cli_error(cmd,
                      "labels %s: label %zu is %.17g, not an integer in "
                      "-2147483648..2147483647",
                      name, i + 1, v);
            free(labels);
            kmio_matrix_free(&L);
            return CLI_EXIT_USAGE;
        }
        labels[i] = (int32_t)v;
    }
    kmio_matrix_free(&L);
    *out = labels;
    return CLI_EXIT_OK;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The number of distinct labels (0 when memory runs out). */
static size_t count_distinct(const int32_t *labels, size_t n)
{
    int32_t *copy = malloc((n ? n : 1) * sizeof *copy);
    size_t k = 0;

    if (copy == NULL)
        return 0;
    memcpy(copy, labels, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, cmp_i32);
    for (size_t i = 0; i < n; i++)
        k += i == 0 || copy[i] != copy[i - 1];
    free(copy);
    return k;
}

static int run_silhouette(const cli_command *cmd, int argc, char **argv)
{
    ck_args *a = malloc(sizeof *a);
    kmio_matrix X;
    int32_t *labels = NULL;
    double *samples = NULL, score = 0.0, ch = 0.0, db = 0.0;
    bool help = false;
    size_t k;
    int rc, st;

    memset(&X, 0, sizeof X);
    if (a == NULL) {
        cli_error(cmd, "out of memory");
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    rc = parse_args(cmd, argc, argv, a, &help);
    if (rc != CLI_EXIT_OK || help)
        goto done;
    rc = cli_read_matrix(cmd, a->data, a->f.want, &X);
    if (rc == CLI_EXIT_OK)
        rc = read_labels(cmd, a->labels, X.n, a->data, &labels);
    if (rc != CLI_EXIT_OK)
        goto done;
    k = count_distinct(labels, X.n);
    if (k < 2 || k + 1 > X.n) {
        cli_error(cmd,
                  "labels %s: %zu distinct labels for %zu rows; the "
                  "silhouette needs 2 to %zu",
                  cli_display_name(a->labels), k, X.n, X.n > 1 ? X.n - 1 : 0);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (a->samples != NULL) {
        samples = malloc(X.n * sizeof *samples);
        if (samples == NULL) {
            cli_error(cmd, "out of memory for %zu values", X.n);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    st = scores_of(&X, labels, a->sample_size, a->p.seed, a->p.n_threads,
                   samples, &score, &ch, &db);
    if (st == KM_ERR_SHAPE) {
        cli_error(cmd,
                  "the sample of %zu rows has fewer than 2 clusters, or "
                  "as many clusters as rows",
                  a->sample_size);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (st != KM_OK) {
        cli_error(cmd, "%s: %s", cli_display_name(a->data), km_strerror(st));
        rc = cli_exit_for_status(st);
        goto done;
    }
    if (samples != NULL) {
        kmio_error err;
        memset(&err, 0, sizeof err);
        if (kmio_write_matrix(a->samples, KM_FLOAT64, samples, X.n, 1, 1,
                              &err) != 0) {
            cli_error(cmd, "%s", err.msg);
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    if (a->f.json) {
        json_t *o = json_object();
        cli_json_set(o, "score", json_real(score));
        cli_json_set(o, "calinski_harabasz", json_real(ch));
        cli_json_set(o, "davies_bouldin", json_real(db));
        cli_json_set(o, "n_samples", json_integer((json_int_t)X.n));
        cli_json_set(o, "n_clusters", json_integer((json_int_t)k));
        cli_json_set(
            o, "sample_size",
            json_integer(
                (json_int_t)(a->sample_size < X.n ? a->sample_size : 0)));
        if (a->samples != NULL)
            cli_json_set(o, "samples", json_string(a->samples));
        rc = cli_print_json(o);
    } else {
        char text[40];
        cli_format_double(text, sizeof text, score);
        printf("silhouette score:        %s\n", text);
        cli_format_double(text, sizeof text, ch);
        printf("calinski-harabasz score: %s\n", text);
        cli_format_double(text, sizeof text, db);
        printf("davies-bouldin score:    %s\n", text);
        printf("%zu rows, %zu clusters%s\n", X.n, k,
               a->sample_size > 0 && a->sample_size < X.n
                   ? " (silhouette on a sample)"
                   : "");
    }

done:
    free(samples);
    free(labels);
    kmio_matrix_free(&X);
    free(a);
    return rc;
}

/* ---- the demo
 * -------------------------------------------------------------------
 */

int cli_demo_choose_k(cli_demo *dm)
{
    static const int elbow_ks[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const int sil_ks[8] = {2, 3, 4, 5, 6, 7, 8, 9};
    kmio_matrix X;
    km_params p;
    sweep e, s;
    char path[4096], reason[160];
    size_t best;
    int elbow, rc;

    memset(&X, 0, sizeof X);
    X.dtype = KM_FLOAT64;
    X.n = km_demo_blobs_n;
    X.d = 2;
    X.data = (void *)(uintptr_t)km_demo_blobs;
    km_params_init(&p);
    p.n_init = 10;
    p.seed = 42;
    p.n_threads = dm->threads;

    rc = run_sweep(dm->cmd, "the built-in data", &X, &p, elbow_ks, 10, false,
                   false, 0, &dm->log, &e);
    if (rc != CLI_EXIT_OK) {
        sweep_free(&e);
        return rc;
    }
    elbow = find_elbow(elbow_ks, e.inertia, 10);
    cli_demo_step(dm, "The elbow: inertia for k = 1..10 (n_init=10, seed "
                      "42).  It always falls as k grows.\n"
                      "   $ kmeans elbow data/blobs.csv --k 1:10 --n-init 10 "
                      "--seed 42 --plot elbow.png\n");
    printf("     k    inertia\n");
    for (size_t i = 0; i < 10; i++)
        printf("    %2d  %9.1f%s\n", elbow_ks[i], e.inertia[i],
               (int)i == elbow ? "   <- elbow" : "");
    if (elbow >= 0)
        printf("   Elbow (the point farthest below the chord from k=1 to "
               "k=10): k=%d.\n",
               elbow_ks[elbow]);
    else
        printf("   No elbow found.\n");
    printf("   The book sees the elbow at k=4: one fewer than the five "
           "blobs, two of which\n   are close together.\n");
    if (cli_demo_path(dm, "elbow.png", path, sizeof path) == NULL) {
        sweep_free(&e);
        return CLI_EXIT_FAIL;
    }
    rc = save_figure(dm->cmd, elbow_figure(elbow_ks, e.inertia, 10, elbow),
                     path);
    sweep_free(&e);
    if (rc != CLI_EXIT_OK)
        return rc;
    printf("   Figure: %s\n", path);

    rc = run_sweep(dm->cmd, "the built-in data", &X, &p, sil_ks, 8, true, true,
                   0, &dm->log, &s);
    if (rc != CLI_EXIT_OK) {
        sweep_free(&s);
        return rc;
    }
    best = recommend(&s, reason, sizeof reason);
    cli_demo_step(dm, "Silhouette scores for k = 2..9: the mean over points "
                      "of (b - a) / max(a, b),\n"
                      "   a the mean distance to the own cluster, b to the "
                      "nearest other one.\n"
                      "   $ kmeans choose-k data/blobs.csv --k 2:9 --n-init "
                      "10 --seed 42 --plot silhouette_scores.png \\\n"
                      "       --diagram silhouette_diagrams.png\n");
    printf("     k  silhouette  calinski_harabasz  davies_bouldin\n");
    for (size_t i = 0; i < 8; i++)
        printf("    %2d  %10.4f  %17.1f  %14.4f%s\n", sil_ks[i], s.sil[i],
               s.ch[i], s.db[i], i == best ? "   <- best" : "");
    printf("   Recommended: k=%d, %s.\n"
           "   The book finds k=4 best (0.688) with k=5 close (0.655); its "
           "diagrams show\n"
           "   why k=5 may be the better choice: every cluster reaches past "
           "the mean score\n"
           "   and the clusters are of similar sizes.\n",
           sil_ks[best], reason);
    if (cli_demo_path(dm, "silhouette_scores.png", path, sizeof path) == NULL) {
        sweep_free(&s);
        return CLI_EXIT_FAIL;
    }
    rc = save_figure(dm->cmd, scores_figure(&s, best), path);
    if (rc == CLI_EXIT_OK) {
        /* k = 3..6 as in the book's Figure 9-10. */
        static const size_t idx[4] = {1, 2, 3, 4};
        printf("   Figures: %s\n", path);
        if (cli_demo_path(dm, "silhouette_diagrams.png", path, sizeof path) ==
            NULL)
            rc = CLI_EXIT_FAIL;
        else
            rc = save_figure(dm->cmd, diagram_figure(&s, idx, 4, X.n), path);
        if (rc == CLI_EXIT_OK)
            printf("            %s\n", path);
    }
    sweep_free(&s);
    return rc;
}

/* ---- the commands
 * -------------------------------------------------------------
 */

const cli_command cli_cmd_silhouette = {
    "silhouette",
    "DATA --labels FILE",
    "silhouette (and Calinski-Harabasz, Davies-Bouldin) scores of a labeling",
    "The silhouette coefficient of a row is (b - a) / max(a, b), with a its\n"
    "mean distance to the other rows of its cluster and b its mean distance\n"
    "to the rows of the nearest other cluster (0 for a row alone in its\n"
    "cluster); the score is their mean, from -1 to 1, higher is better.  It\n"
    "is computed exactly (all n^2 distances, never stored), as\n"
    "scikit-learn's silhouette_samples and silhouette_score.  Labels are any\n"
    "integers; there must be 2 to n - 1 distinct ones.\n",
    silhouette_options,
    run_silhouette,
};

const cli_command cli_cmd_elbow = {
    "elbow",
    "DATA",
    "inertia for each k, with the elbow of the curve",
    "Fits K-Means for every k of --k (the fit options mean what they mean\n"
    "for 'kmeans fit'), prints k and inertia, and finds the elbow: with both\n"
    "axes scaled to [0, 1], the k farthest below the straight line from the\n"
    "first to the last point.\n",
    elbow_options,
    run_elbow,
};

const cli_command cli_cmd_choose_k = {
    "choose-k",
    "DATA",
    "compare k by inertia, silhouette, Calinski-Harabasz, Davies-Bouldin",
    "Fits K-Means for every k of --k and scores each fit's labels: the\n"
    "silhouette (exact unless --sample-size; higher is better), the\n"
    "Calinski-Harabasz score (higher is better) and the Davies-Bouldin score\n"
    "(lower is better).  Recommends the k with the highest silhouette and\n"
    "names any k within 0.05 of it.\n",
    choose_k_options,
    run_choose_k,
};
