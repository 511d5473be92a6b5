/*
 * km_common.h - checked allocation and size arithmetic, shared by all of
 * libkmeans.  Depends on nothing but libc.
 */
#ifndef KM_COMMON_H
#define KM_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Alignment of every array the library allocates (one cache line, enough
   for AVX-512 loads). */
#define KM_ALIGN 64

/* *out = a * b; returns 1 (and leaves *out unspecified) on overflow. */
static inline int km_mul_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

/* Aligned allocation of n * size bytes (NULL on overflow or failure; a zero
   size returns a valid pointer).  Free with km_free. */
void *km_malloc_array(size_t n, size_t size);
/* The same, zero-filled. */
void *km_calloc_array(size_t n, size_t size);
void km_free(void *p);

/* Whether this CPU runs AVX2 code (with fma set: AVX2 and FMA) and the
   environment variable KMEANS_SIMD allows it (km_cpu.c). */
int km_cpu_has_avx2(int fma);
/* Nonzero when the CPU and the OS run AVX-512F (with AVX2 and FMA). */
int km_cpu_has_avx512(void);

#endif
