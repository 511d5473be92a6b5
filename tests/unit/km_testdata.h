/*
 * km_testdata.h - small synthetic data sets for the unit and property
 * tests, drawn from the library's own seeded generator.
 */
#ifndef KM_TESTDATA_H
#define KM_TESTDATA_H

#include <math.h>
#include <stdlib.h>

#include "common/km_rng.h"

/* A standard normal deviate (Box-Muller). */
static inline double td_normal(km_rng *r)
{
    double u = 1.0 - km_rng_uniform(r), v = km_rng_uniform(r);

    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* n x d points around `blobs` random centers in [-10, 10]^d with standard
   deviation sd; malloc'ed. */
static inline double *td_blobs(size_t n, size_t d, size_t blobs, double sd,
                               uint64_t seed)
{
    km_rng r;
    double *X = malloc(n * d * sizeof *X);
    double *c = malloc(blobs * d * sizeof *c);

    km_rng_seed(&r, seed);
    for (size_t t = 0; t < blobs * d; t++)
        c[t] = 20.0 * km_rng_uniform(&r) - 10.0;
    for (size_t i = 0; i < n; i++) {
        size_t b = (size_t)km_rng_below(&r, blobs);

        for (size_t f = 0; f < d; f++)
            X[i * d + f] = c[b * d + f] + sd * td_normal(&r);
    }
    free(c);
    return X;
}

static inline float *td_to_f32(const double *X, size_t count)
{
    float *Y = malloc(count * sizeof *Y);

    for (size_t t = 0; t < count; t++)
        Y[t] = (float)X[t];
    return Y;
}

#endif
