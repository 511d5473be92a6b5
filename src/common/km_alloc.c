/*
 * km_alloc.c - aligned, overflow-checked allocation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/km_common.h"

void *km_malloc_array(size_t n, size_t size)
{
    size_t bytes;

    if (km_mul_overflow(n, size, &bytes) || bytes > SIZE_MAX - KM_ALIGN)
        return NULL;
    /* aligned_alloc needs a size that is a multiple of the alignment. */
    bytes = (bytes + (KM_ALIGN - 1)) & ~(size_t)(KM_ALIGN - 1);
    if (bytes == 0)
        bytes = KM_ALIGN;
    return aligned_alloc(KM_ALIGN, bytes);
}

void *km_calloc_array(size_t n, size_t size)
{
    void *p = km_malloc_array(n, size);

    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

void km_free(void *p)
{
    free(p);
}
