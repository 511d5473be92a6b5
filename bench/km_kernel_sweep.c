/*
 * km_kernel_sweep.c - time one Lloyd iteration with each distance kernel
 * of the table (reference, canonical SIMD, fused dot + FMA, BLAS GEMM) on
 * generated float32 blobs, for a grid of shapes: the measurement behind
 * the AUTO choice in src/kernels/km_kernels_impl.h (docs/performance.md).
 *
 *   km_kernel_sweep [N] [REPEATS] [DxK ...]
 *
 * Data: k blobs (means uniform in [0, 10)^d, uniform noise of width 1),
 * the initial centers every 97th row.  For each shape (n = N rows, d, k)
 * the kernels are run interleaved,
 * REPEATS rounds of 5 iterations from the same centers; one thread; the
 * output is the median milliseconds per iteration of each kernel and the
 * fastest.  Without DxK arguments, a grid of d in 2..64 and k in 4..100.  Uses
 * the library's internal headers (src/), like the tests.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "algo/km_algo.h"
#include "common/km_rng.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

#define N_KERNELS 4

int main(int argc, char **argv)
{
    static const size_t ds[] = {2, 4, 8, 12, 16, 24, 32, 64};
    static const size_t ks[] = {4, 8, 16, 32, 100};
    static const km_kernel_id ids[N_KERNELS] = {KM_KERNEL_REF, KM_KERNEL_SIMD,
                                                KM_KERNEL_DOT, KM_KERNEL_BLAS};
    static const char *const names[N_KERNELS] = {"ref", "simd", "dot", "blas"};
    const size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
    const int reps = argc > 2 ? atoi(argv[2]) : 5;

    printf("| n | d | k |");
    for (int q = 0; q < N_KERNELS; q++)
        printf(" %s ms/iter |", names[q]);
    printf(" fastest |\n|---|---|---|");
    for (int q = 0; q < N_KERNELS; q++)
        printf("---|");
    printf("---|\n");
    size_t shapes[256][2], n_shapes = 0;

    for (int i = 3; i < argc && n_shapes < 256; i++)
        if (sscanf(argv[i], "%zux%zu", &shapes[n_shapes][0],
                   &shapes[n_shapes][1]) == 2)
            n_shapes++;
    if (n_shapes == 0)
        for (size_t a = 0; a < sizeof ds / sizeof ds[0]; a++)
            for (size_t b = 0; b < sizeof ks / sizeof ks[0]; b++) {
                shapes[n_shapes][0] = ds[a];
                shapes[n_shapes++][1] = ks[b];
            }
    for (size_t sh = 0; sh < n_shapes; sh++) {
        const size_t d = shapes[sh][0], k = shapes[sh][1];
        float *X = malloc(n * d * sizeof *X), *C0 = malloc(k * d * 4);
        float *C = malloc(k * d * sizeof *C);
        int32_t *lab = malloc(n * sizeof *lab);
        double t[N_KERNELS][64];
        km_rng r;
        int best = 0;

        if (X == NULL || C0 == NULL || C == NULL || lab == NULL)
            return 1;
        km_rng_seed(&r, 1000 * d + k);
        /* k blobs: means uniform in [0, 10)^d, unit-width noise */
        for (size_t j = 0; j < k * d; j++)
            C0[j] = (float)(10.0 * km_rng_uniform(&r));
        for (size_t i = 0; i < n; i++) {
            const size_t c = (size_t)km_rng_below(&r, k);

            for (size_t f = 0; f < d; f++)
                X[i * d + f] =
                    C0[c * d + f] + (float)(km_rng_uniform(&r) - 0.5);
        }
        for (size_t j = 0; j < k; j++)
            memcpy(C0 + j * d, X + (j * 97 % n) * d, d * sizeof *C0);
        for (int rep = 0; rep < reps && rep < 64; rep++)
            for (int q = 0; q < N_KERNELS; q++) {
                km_problem_f32 p;
                km_run_result res;
                double t0;

                memcpy(C, C0, k * d * sizeof *C);
                if (km_problem_setup_f32(&p, X, n, d, NULL, k, 1, ids[q]) !=
                    KM_OK)
                    return 1;
                t0 = now();
                if (km_lloyd_f32(&p, C, 5, 0.0, NULL, lab, &res) != KM_OK)
                    return 1;
                t[q][rep] = (now() - t0) / 6.0 * 1e3; /* 5 + final */
                km_problem_release_f32(&p);
            }
        printf("| %zu | %zu | %zu |", n, d, k);
        for (int q = 0; q < N_KERNELS; q++) {
            qsort(t[q], (size_t)reps, sizeof(double), cmp_double);
            printf(" %.3f |", t[q][reps / 2]);
            if (t[q][reps / 2] < t[best][reps / 2])
                best = q;
        }
        printf(" %s |\n", names[best]);
        fflush(stdout);
        free(X);
        free(C0);
        free(C);
        free(lab);
    }
    return 0;
}
