/*
 * km_rng.h - the library's seeded random number generator.
 *
 * xoshiro256** (Blackman and Vigna, 2018), its 256-bit state filled from the
 * 64-bit seed by SplitMix64 as its authors recommend.  The stream for a seed
 * is fixed forever: results depend on it.  Each fit owns its generator; there
 * is no global state.
 */
#ifndef KM_RNG_H
#define KM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct km_rng {
    uint64_t s[4];
} km_rng;

void km_rng_seed(km_rng *r, uint64_t seed);
uint64_t km_rng_next(km_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double km_rng_uniform(km_rng *r);
/* Uniform integer in [0, bound), bound >= 1, without modulo bias. */
uint64_t km_rng_below(km_rng *r, uint64_t bound);
/* A uniform double in [0, 1) that depends only on key and i (SplitMix64
   of key + (i + 1) times its increment): draw i of a stream that any
   thread can compute in any order. */
double km_rng_uniform_at(uint64_t key, uint64_t i);

#endif
