/*
 * km_rng.c - xoshiro256** seeded with SplitMix64.
 */
#include "common/km_rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void km_rng_seed(km_rng *r, uint64_t seed)
{
    uint64_t x = seed;

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t km_rng_next(km_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double km_rng_uniform(km_rng *r)
{
    return (double)(km_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t km_rng_below(km_rng *r, uint64_t bound)
{
    /* Rejection: accept x only below the largest multiple of bound. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;

    do {
        x = km_rng_next(r);
    } while (x >= limit);
    return x % bound;
}

double km_rng_uniform_at(uint64_t key, uint64_t i)
{
    uint64_t x = key + i * 0x9e3779b97f4a7c15ull;

    return (double)(splitmix64(&x) >> 11) * 0x1.0p-53;
}
