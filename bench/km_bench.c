/*
 * km_bench.c - times libkmeans fits for the benchmark harness
 * (bench/run_bench.py): reads DATA and INIT (.npy), fits from those centers
 * a given number of times, and prints one JSON line per repetition with the
 * fit's wall time (file loading excluded), the process's CPU time over the
 * fit (all threads), iterations and inertia.
 *
 *   km_bench DATA.npy INIT ALGO THREADS MAX_ITER TOL REPEATS
 *
 * INIT is a .npy of initial centers, or "k-means++:K" (K clusters, seed 0;
 * with MAX_ITER 0... use 1 to time the seeding plus one iteration).  ALGO
 * is lloyd, elkan, hamerly, yinyang or auto; or "seed", which times the
 * k-means++ seeding alone (km_kmeanspp_*, K from INIT, seed 0, the
 * default number of local trials, OMP_NUM_THREADS threads); or "seedpar",
 * the k-means|| seeding alone (km_kmeans_parallel_*).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmeans.h"
#include "kmio.h"
/* Which kernel and algorithm the library's AUTO rules pick (internal
   headers, for the report only). */
#include "algo/km_algo.h"

static double clock_seconds(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

/* This process's peak resident memory (VmHWM: unlike getrusage's
   ru_maxrss it does not count the parent's pages before exec). */
static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %ld", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kb;
}

/* k-means++ seeding alone, REPEATS times: one JSON line each. */
static int time_seeding(const kmio_matrix *X, int k, int repeats, int par)
{
    const size_t kd = (size_t)k * X->d;
    void *C = malloc(kd * (X->dtype == KM_FLOAT32 ? 4 : 8));
    int64_t *idx = malloc((size_t)k * sizeof *idx);

    int rc = C == NULL || idx == NULL || k < 1 ? 2 : 0;

    for (int r = 0; rc == 0 && r < repeats; r++) {
        double t0 = now(), c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        int s =
            par ? (X->dtype == KM_FLOAT32
                       ? km_kmeans_parallel_f32(X->data, X->n, X->d, NULL, k, 0,
                                                C, idx)
                       : km_kmeans_parallel_f64(X->data, X->n, X->d, NULL, k, 0,
                                                C, idx))
            : X->dtype == KM_FLOAT32
                ? km_kmeanspp_f32(X->data, X->n, X->d, NULL, k, 0, 0, C, idx)
                : km_kmeanspp_f64(X->data, X->n, X->d, NULL, k, 0, 0, C, idx);
        double t = now() - t0;
        double c = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;

        if (s != KM_OK) {
            fprintf(stderr, "km_bench: %s\n", km_strerror(s));
            rc = 1;
        } else {
            printf("{\"seconds\": %.6f, \"cpu_seconds\": %.6f, "
                   "\"first\": %lld, \"last\": %lld}\n",
                   t, c, (long long)idx[0], (long long)idx[k - 1]);
        }
    }
    free(C);
    free(idx);
    return rc;
}

int main(int argc, char **argv)
{
    kmio_matrix X, I;
    kmio_error err;
    km_params p;
    int repeats;

    if (argc < 8) {
        fprintf(stderr, "usage: km_bench DATA INIT ALGO THREADS MAX_ITER TOL "
                        "REPEATS\n");
        return 2;
    }
    memset(&I, 0, sizeof I);
    if (kmio_read_matrix(argv[1], KMIO_WANT_NATIVE, 0, &X, &err) != 0 ||
        (strncmp(argv[2], "k-means++:", 10) != 0 &&
         kmio_read_matrix(argv[2], KMIO_WANT_F64, 0, &I, &err) != 0)) {
        fprintf(stderr, "km_bench: %s\n", err.msg);
        return 2;
    }
    if (strcmp(argv[3], "seed") == 0 || strcmp(argv[3], "seedpar") == 0) {
        int rc =
            time_seeding(&X, I.data != NULL ? (int)I.n : atoi(argv[2] + 10),
                         atoi(argv[7]), strcmp(argv[3], "seedpar") == 0);

        kmio_matrix_free(&X);
        kmio_matrix_free(&I);
        return rc;
    }
    km_params_init(&p);
    if (I.data != NULL) {
        p.n_clusters = (int)I.n;
        p.init = KM_INIT_ARRAY;
        p.init_centers = I.data;
    } else {
        p.n_clusters = atoi(argv[2] + 10);
        p.init = KM_INIT_KMEANSPP;
    }
    p.algorithm = strcmp(argv[3], "elkan") == 0     ? KM_ALGO_ELKAN
                  : strcmp(argv[3], "hamerly") == 0 ? KM_ALGO_HAMERLY
                  : strcmp(argv[3], "yinyang") == 0 ? KM_ALGO_YINYANG
                  : strcmp(argv[3], "lloyd") == 0   ? KM_ALGO_LLOYD
                                                    : KM_ALGO_AUTO;
    p.n_threads = atoi(argv[4]);
    p.max_iter = atoi(argv[5]);
    p.tol = atof(argv[6]);
    repeats = atoi(argv[7]);
    for (int r = 0; r < repeats; r++) {
        km_model *m = NULL;
        double t0 = now(), c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), t, c;
        int s = X.dtype == KM_FLOAT32
                    ? km_fit_f32(&p, X.data, X.n, X.d, NULL, &m, NULL)
                    : km_fit_f64(&p, X.data, X.n, X.d, NULL, &m, NULL);

        t = now() - t0;
        c = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (s != KM_OK) {
            fprintf(stderr, "km_bench: %s\n", km_strerror(s));
            return 1;
        }
        {
            const size_t k = (size_t)p.n_clusters;
            static const char *const algos[] = {"auto", "lloyd", "elkan",
                                                "hamerly", "yinyang"};
            km_kernels_f32 k32;
            km_kernels_f64 k64;
            const char *kernel;
            int form;

            if (X.dtype == KM_FLOAT32) {
                km_kernels_get_f32(KM_KERNEL_AUTO, k, X.d, &k32);
                kernel = k32.name;
                form = KM_FORM_OF(k32);
            } else {
                km_kernels_get_f64(KM_KERNEL_AUTO, k, X.d, &k64);
                kernel = k64.name;
                form = KM_FORM_OF(k64);
            }
            printf("{\"seconds\": %.6f, \"cpu_seconds\": %.6f, "
                   "\"n_iter\": %d, \"inertia\": %.17g, "
                   "\"max_rss_kb\": %ld, \"kernel\": \"%s\", "
                   "\"algorithm\": \"%s\"}\n",
                   t, c, km_model_n_iter(m), km_model_inertia(m), peak_rss_kb(),
                   kernel,
                   algos[km_choose_algorithm(p.algorithm, X.n, k, form)]);
        }
        km_model_free(m);
    }
    kmio_matrix_free(&X);
    kmio_matrix_free(&I);
    return 0;
}
