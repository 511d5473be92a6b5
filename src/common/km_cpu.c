/*
 * km_cpu.c - what the CPU can run, for the kernels chosen at run time,
 * capped by the environment variable KMEANS_SIMD: "avx2" (no AVX-512) or
 * "none" (the portable C kernels only); unset, empty or any other value
 * leaves the CPU's best.  The results are the same bits whichever
 * instruction set runs; only the speed changes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/km_common.h"

/* 0: portable C only, 1: up to AVX2, 2: up to AVX-512. */
static int km_simd_cap(void)
{
    const char *s = getenv("KMEANS_SIMD");

    if (s != NULL && strcmp(s, "none") == 0)
        return 0;
    if (s != NULL && strcmp(s, "avx2") == 0)
        return 1;
    return 2;
}

int km_cpu_has_avx2(int fma)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return km_simd_cap() >= 1 && __builtin_cpu_supports("avx2") &&
           (!fma || __builtin_cpu_supports("fma"));
#else
    (void)fma;
    return 0;
#endif
}

int km_cpu_has_avx512(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    /* libgcc also checks that the OS saves the 512-bit state. */
    return km_simd_cap() >= 2 && __builtin_cpu_supports("avx512f") &&
           km_cpu_has_avx2(1);
#else
    return 0;
#endif
}
