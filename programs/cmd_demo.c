/*
 * cmd_demo.c - `kmeans demo`: a guided tour of K-Means on the built-in
 * five blobs of chapter 9 of Geron's "Hands-On Machine Learning", with the
 * book's numbers printed beside ours.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "cli.h"

enum { OPT_THREADS, OPT_OUTPUT_DIR };

static const cli_option demo_options[] = {
    {OPT_THREADS, "threads", 0, "N", CLI_HELP_THREADS},
    {OPT_OUTPUT_DIR, "output-dir", 'o', "DIR",
     "where the tour writes its figures (default kmeans-demo)"},
    {0, NULL, 0, NULL, NULL},
};

enum { DEMO_K = 5, DEMO_D = 2, DEMO_N_NEW = 4, DEMO_TRIALS = 10 };

/* scikit-learn's KMeans(n_clusters=5, n_init=10, random_state=42) on the
   same data, as printed in the book. */
static const double book_centers[DEMO_K][DEMO_D] = {
    {-2.80389616, 1.80117999}, {0.20876306, 2.25551336},
    {-2.79290307, 2.79641063}, {-1.46679593, 2.28585348},
    {-2.80037642, 1.30082566},
};
static const double book_inertia = 211.59853725816836;
static const double book_inertia_k3 = 653.2167190021556;
static const double book_inertia_k8 = 119.11983416102879;

static const double x_new[DEMO_N_NEW][DEMO_D] = {
    {0.0, 2.0}, {3.0, 2.0}, {-3.0, 3.0}, {-3.0, 2.5}};
/* The book's distance of each new point to its nearest center. */
static const double book_nearest_dist[DEMO_N_NEW] = {0.33, 2.80, 0.29, 0.36};

typedef cli_demo demo;

void cli_demo_step(cli_demo *dm, const char *fmt, ...)
{
    va_list ap;

    printf("\n%d. ", ++dm->step);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

const char *cli_demo_path(cli_demo *dm, const char *name, char *buf,
                          size_t size)
{
    if (mkdir(dm->out_dir, 0777) != 0 && errno != EEXIST) {
        cli_error(dm->cmd, "%s: cannot create directory: %s", dm->out_dir,
                  strerror(errno));
        return NULL;
    }
    if ((size_t)snprintf(buf, size, "%s/%s", dm->out_dir, name) >= size) {
        cli_error(dm->cmd, "%s/%s: path too long", dm->out_dir, name);
        return NULL;
    }
    return buf;
}

static int fit(demo *dm, int k, km_init init, int n_init, uint64_t seed,
               km_algorithm algorithm, const double *init_centers,
               km_model **model, int32_t *labels)
{
    km_params p;
    int status;

    km_params_init(&p);
    p.n_clusters = k;
    p.init = init;
    p.init_centers = init_centers;
    p.n_init = n_init;
    p.seed = seed;
    p.algorithm = algorithm;
    p.n_threads = dm->threads;
    p.log = cli_log_event;
    p.log_user = &dm->log;
    status = km_fit_f64(&p, km_demo_blobs, km_demo_blobs_n, DEMO_D, NULL, model,
                        labels);
    if (status != KM_OK)
        cli_error(dm->cmd, "fitting the built-in data: %s",
                  km_strerror(status));
    return status;
}

static size_t nearest_book_center(const double *c)
{
    size_t best = 0;
    double best_d = INFINITY;

    for (size_t j = 0; j < DEMO_K; j++) {
        double dx = c[0] - book_centers[j][0], dy = c[1] - book_centers[j][1];
        if (dx * dx + dy * dy < best_d) {
            best_d = dx * dx + dy * dy;
            best = j;
        }
    }
    return best;
}

static bool same_inertia(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static int tour_fit(demo *dm, km_model **model)
{
    double centers[DEMO_K * DEMO_D];

    printf("kmeans demo: K-Means on the five blobs of chapter 9 of "
           "Hands-On Machine Learning\n"
           "(A. Geron), with the book's numbers beside ours.\n\n"
           "The data: %zu points in 2-D drawn around five centers "
           "(scikit-learn's make_blobs,\n"
           "random_state=7; the same file is data/blobs.csv).\n\n",
           km_demo_blobs_n);

    printf("1. Fit k=5 clusters: k-means++ initialization, best of n_init=10 "
           "runs, seed 42.\n"
           "   $ kmeans fit data/blobs.csv -k 5 --n-init 10 --seed 42 "
           "--model blobs.kmm\n");
    if (fit(dm, DEMO_K, KM_INIT_KMEANSPP, 10, 42, KM_ALGO_AUTO, NULL, model,
            NULL) != KM_OK)
        return CLI_EXIT_FAIL;
    printf("   %s after %d iterations.\n\n",
           (km_model_flags(*model) & KM_FLAG_CONVERGED) ? "Converged"
                                                        : "Stopped",
           km_model_n_iter(*model));

    km_model_centers_f64(*model, centers);
    printf("   The centers (each the mean of its cluster's points); cluster "
           "numbers depend on\n"
           "   the initialization, so the book lists the same centers in "
           "another order:\n"
           "     cluster        ours            book\n");
    for (size_t j = 0; j < DEMO_K; j++) {
        const double *c = centers + j * DEMO_D;
        const double *b = book_centers[nearest_book_center(c)];
        printf("     %zu       (%5.2f, %5.2f)   (%5.2f, %5.2f)\n", j, c[0],
               c[1], b[0], b[1]);
    }
    printf("\n");
    return CLI_EXIT_OK;
}

static int tour_inertia(demo *dm, const km_model *model)
{
    double score;
    int status;

    printf("2. Inertia: the sum of squared distances from each point to its "
           "center, the\n"
           "   quantity K-Means minimizes.  score is minus the inertia "
           "(scikit-learn's\n"
           "   convention: greater is better).\n"
           "   $ kmeans info blobs.kmm\n"
           "   $ kmeans score blobs.kmm data/blobs.csv\n");
    status = km_score_f64(model, km_demo_blobs, km_demo_blobs_n, DEMO_D, NULL,
                          &score, dm->threads);
    if (status != KM_OK) {
        cli_error(dm->cmd, "score: %s", km_strerror(status));
        return CLI_EXIT_FAIL;
    }
    printf("                 ours      book\n"
           "     inertia  %7.1f   %7.1f\n"
           "     score    %7.1f   %7.1f\n\n",
           km_model_inertia(model), book_inertia, score, -book_inertia);
    return CLI_EXIT_OK;
}

static int tour_apply(demo *dm, const km_model *model)
{
    int32_t labels[DEMO_N_NEW];
    double dist[DEMO_N_NEW * DEMO_K], centers[DEMO_K * DEMO_D];
    int status;

    printf("3. Predict: the nearest center of new points.\n"
           "   $ kmeans predict blobs.kmm new.csv\n"
           "     point          cluster   its center      book's nearest "
           "center\n");
    status = km_predict_f64(model, &x_new[0][0], DEMO_N_NEW, DEMO_D, labels,
                            NULL, dm->threads);
    if (status == KM_OK)
        status = km_transform_f64(model, &x_new[0][0], DEMO_N_NEW, DEMO_D, dist,
                                  dm->threads);
    if (status != KM_OK) {
        cli_error(dm->cmd, "predict: %s", km_strerror(status));
        return CLI_EXIT_FAIL;
    }
    km_model_centers_f64(model, centers);
    for (size_t i = 0; i < DEMO_N_NEW; i++) {
        const double *c = centers + (size_t)labels[i] * DEMO_D;
        const double *b = book_centers[nearest_book_center(c)];
        printf("     (%4.1f, %4.1f)   %d         (%5.2f, %5.2f)  (%5.2f, "
               "%5.2f)\n",
               x_new[i][0], x_new[i][1], (int)labels[i], c[0], c[1], b[0],
               b[1]);
    }

    printf("\n4. Transform: the Euclidean distance of each new point to "
           "every center; K-Means\n"
           "   used this way reduces the data to k features.\n"
           "   $ kmeans transform blobs.kmm new.csv\n"
           "     point       ");
    for (int j = 0; j < DEMO_K; j++)
        printf("   to %d", j);
    printf("   nearest (book)\n");
    for (size_t i = 0; i < DEMO_N_NEW; i++) {
        printf("     (%4.1f, %4.1f)", x_new[i][0], x_new[i][1]);
        for (size_t j = 0; j < DEMO_K; j++)
            printf(" %6.2f", dist[i * DEMO_K + j]);
        printf("   %.2f (%.2f)\n", dist[i * DEMO_K + (size_t)labels[i]],
               book_nearest_dist[i]);
    }
    printf("\n");
    return CLI_EXIT_OK;
}

static int tour_choose_k(demo *dm, const km_model *model5)
{
    static const int ks[2] = {3, 8};
    static const double book[2] = {book_inertia_k3, book_inertia_k8};
    double inertia[2];

    for (int i = 0; i < 2; i++) {
        km_model *m = NULL;
        if (fit(dm, ks[i], KM_INIT_KMEANSPP, 10, 42, KM_ALGO_AUTO, NULL, &m,
                NULL) != KM_OK)
            return CLI_EXIT_FAIL;
        inertia[i] = km_model_inertia(m);
        km_model_free(m);
    }
    printf("5. Choosing k: inertia always falls as k grows, so it cannot "
           "choose k alone; look\n"
           "   for the elbow (or use the silhouette score).\n"
           "   $ kmeans fit data/blobs.csv -k 3 --n-init 10 --seed 42\n"
           "             ours      book\n"
           "     k=3  %7.1f   %7.1f\n"
           "     k=5  %7.1f   %7.1f\n"
           "     k=8  %7.1f   %7.1f\n",
           inertia[0], book[0], km_model_inertia(model5), book_inertia,
           inertia[1], book[1]);
    if (fabs(inertia[0] - book[0]) >= 0.05 ||
        fabs(inertia[1] - book[1]) >= 0.05)
        printf("   Where ours differ from the book's, the runs ended in "
               "another local minimum:\n"
               "   our random numbers are not NumPy's, so the initial "
               "centers differ.\n");
    printf("\n");
    return CLI_EXIT_OK;
}

/* Single runs from several seeds: how often each initialization finds the
   best solution on its own. */
static int count_best(demo *dm, km_init init, double best, double *worst,
                      int *hits)
{
    *hits = 0;
    *worst = 0.0;
    for (int s = 0; s < DEMO_TRIALS; s++) {
        km_model *m = NULL;
        if (fit(dm, DEMO_K, init, 1, (uint64_t)s, KM_ALGO_AUTO, NULL, &m,
                NULL) != KM_OK)
            return CLI_EXIT_FAIL;
        double inertia = km_model_inertia(m);
        km_model_free(m);
        if (same_inertia(inertia, best) || inertia < best)
            (*hits)++;
        if (inertia > *worst)
            *worst = inertia;
    }
    return CLI_EXIT_OK;
}

static int tour_init(demo *dm, const km_model *model)
{
    double best = km_model_inertia(model), worst_random, worst_pp;
    int hits_random, hits_pp;

    if (count_best(dm, KM_INIT_RANDOM, best, &worst_random, &hits_random) ||
        count_best(dm, KM_INIT_KMEANSPP, best, &worst_pp, &hits_pp))
        return CLI_EXIT_FAIL;
    printf("6. Initialization: K-Means finds a local minimum that depends on "
           "the initial\n"
           "   centers.  Random initial centers (--init random) often end in "
           "a worse one;\n"
           "   k-means++ spreads them out, and n_init keeps the best of "
           "several runs.\n"
           "   Single runs (--n-init 1) with seeds 0 to %d:\n"
           "     init        reached %.1f   worst inertia\n"
           "     random      %2d of %d        %7.1f\n"
           "     k-means++   %2d of %d        %7.1f\n\n",
           DEMO_TRIALS - 1, best, hits_random, DEMO_TRIALS, worst_random,
           hits_pp, DEMO_TRIALS, worst_pp);
    return CLI_EXIT_OK;
}

static int tour_elkan(demo *dm)
{
    double init[DEMO_K * DEMO_D];
    int32_t *labels_lloyd = NULL, *labels_elkan = NULL;
    km_model *lloyd = NULL, *elkan = NULL;
    int rc = CLI_EXIT_FAIL, status;
    size_t n = km_demo_blobs_n, differ = 0;

    labels_lloyd = malloc(n * sizeof *labels_lloyd);
    labels_elkan = malloc(n * sizeof *labels_elkan);
    if (labels_lloyd == NULL || labels_elkan == NULL) {
        cli_error(dm->cmd, "out of memory");
        goto done;
    }
    status = km_kmeanspp_f64(km_demo_blobs, n, DEMO_D, NULL, DEMO_K, 0, 42,
                             init, NULL);
    if (status != KM_OK) {
        cli_error(dm->cmd, "k-means++: %s", km_strerror(status));
        goto done;
    }
    if (fit(dm, DEMO_K, KM_INIT_ARRAY, 1, 0, KM_ALGO_LLOYD, init, &lloyd,
            labels_lloyd) != KM_OK ||
        fit(dm, DEMO_K, KM_INIT_ARRAY, 1, 0, KM_ALGO_ELKAN, init, &elkan,
            labels_elkan) != KM_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        differ += labels_lloyd[i] != labels_elkan[i];

    printf("7. Elkan's algorithm skips distance computations with the "
           "triangle inequality;\n"
           "   from the same initial centers it gives the same clusters as "
           "Lloyd's.\n"
           "   $ kmeans fit data/blobs.csv --init init.csv --algorithm "
           "elkan\n"
           "     algorithm   inertia              iterations\n"
           "     lloyd       %-20.12f %d\n"
           "     elkan       %-20.12f %d\n"
           "   %s\n\n",
           km_model_inertia(lloyd), km_model_n_iter(lloyd),
           km_model_inertia(elkan), km_model_n_iter(elkan),
           differ == 0 ? "Same labels for every point."
                       : "The labels differ (this is a bug; please report "
                         "it).");
    rc = CLI_EXIT_OK;

done:
    km_model_free(lloyd);
    km_model_free(elkan);
    free(labels_lloyd);
    free(labels_elkan);
    return rc;
}

static int demo_arg(const cli_command *cmd, void *user, int id,
                    const char *value)
{
    demo *dm = user;

    if (id == CLI_OPT_POSITIONAL)
        return cli_usage(cmd, "unexpected argument '%s' (demo takes none)",
                         value);
    if (id == OPT_THREADS &&
        !cli_parse_int(cmd, id, value, 0, INT_MAX, &dm->threads))
        return CLI_EXIT_USAGE;
    if (id == OPT_OUTPUT_DIR)
        dm->out_dir = value;
    return CLI_EXIT_OK;
}

static int run_demo(const cli_command *cmd, int argc, char **argv)
{
    bool help;
    int rc;
    demo dm;
    km_model *model = NULL;

    memset(&dm, 0, sizeof dm);
    dm.cmd = cmd;
    rc = cli_parse_args(cmd, argc, argv, NULL, demo_arg, &dm, &help);
    if (rc != CLI_EXIT_OK || help)
        return rc;
    if (dm.out_dir == NULL)
        dm.out_dir = "kmeans-demo";
    /* Steps 1-7 number themselves; later steps use cli_demo_step. */
    dm.step = 7;

    cli_log_init(&dm.log, cmd, false, 1);
    rc = tour_fit(&dm, &model);
    if (rc == CLI_EXIT_OK)
        rc = tour_inertia(&dm, model);
    if (rc == CLI_EXIT_OK)
        rc = tour_apply(&dm, model);
    if (rc == CLI_EXIT_OK)
        rc = tour_choose_k(&dm, model);
    if (rc == CLI_EXIT_OK)
        rc = tour_init(&dm, model);
    if (rc == CLI_EXIT_OK)
        rc = tour_elkan(&dm);
    if (rc == CLI_EXIT_OK)
        rc = cli_demo_choose_k(&dm);
    if (rc == CLI_EXIT_OK)
        rc = cli_demo_segment(&dm);
    if (rc == CLI_EXIT_OK)
        rc = cli_demo_digits(&dm);
    if (rc == CLI_EXIT_OK)
        rc = cli_demo_minibatch(&dm);
    if (rc == CLI_EXIT_OK)
        printf("Try it on your own data: kmeans help fit\n");
    km_model_free(model);
    cli_log_free(&dm.log);
    return rc;
}

const cli_command cli_cmd_demo = {
    "demo",
    "",
    "a guided tour of K-Means on built-in data (the book's five blobs)",
    "Fits the 2,000 points of chapter 9 of Hands-On Machine Learning and\n"
    "shows centers, inertia, score, predict, transform, the choice of k,\n"
    "k-means++ against random initialization, and Elkan against Lloyd,\n"
    "with the book's values beside ours.\n",
    demo_options,
    run_demo,
};
