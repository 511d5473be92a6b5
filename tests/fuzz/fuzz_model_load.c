/*
 * fuzz_model_load.c - libFuzzer target for the model file reader
 * (km_model_load_mem, docs/model-format.md).
 *
 * Each input is loaded twice: as is, and with its last four bytes replaced
 * by the correct CRC-32 of the rest, so that mutations reach the section
 * and field checks instead of stopping at the checksum.  Whatever loads
 * must save, load again and save to the same bytes; an input that is
 * already in canonical form must save to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bitwise CRC-32 (IEEE 802.3), independent of the library's table. */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void check_status(int st, const km_model *m)
{
    switch (st) {
    case KM_OK:
        if (m == NULL)
            abort();
        break;
    case KM_ERR_FORMAT:
    case KM_ERR_VERSION:
    case KM_ERR_CORRUPT:
    case KM_ERR_NOMEM:
        if (m != NULL)
            abort();
        break;
    default: /* ARG, IO, INTERNAL, ... never come from a memory load */
        abort();
    }
}

/* The tags of the canonical layout, at their offsets. */
static int is_canonical_layout(const uint8_t *p, size_t size)
{
    return size >= 152 && memcmp(p + 16, "PARM", 4) == 0 &&
           memcmp(p + 68, "FITR", 4) == 0 && memcmp(p + 124, "CENT", 4) == 0;
}

static void check_round_trip(const km_model *m, const uint8_t *in,
                             size_t in_size)
{
    void *b1 = NULL, *b2 = NULL;
    size_t s1 = 0, s2 = 0;
    km_model *m2 = NULL;
    int k = km_model_n_clusters(m);
    size_t d = km_model_n_features(m);

    if (k < 1 || d < 1)
        abort();
    if (km_model_save_mem(m, &b1, &s1) != KM_OK)
        abort();
    if (km_model_load_mem(b1, s1, &m2) != KM_OK)
        abort();
    if (km_model_save_mem(m2, &b2, &s2) != KM_OK)
        abort();
    if (s1 != s2 || memcmp(b1, b2, s1) != 0)
        abort();
    /* The same size means the same four sections; in the canonical order
       every field has exactly one encoding. */
    if (s1 == in_size && is_canonical_layout(in, in_size) &&
        memcmp(b1, in, s1) != 0)
        abort();
    km_model_free(m2);
    free(b1);
    free(b2);
}

static void load_and_check(const uint8_t *p, size_t size)
{
    km_model *m = NULL;
    int st = km_model_load_mem(p, size, &m);

    check_status(st, m);
    if (st == KM_OK)
        check_round_trip(m, p, size);
    km_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed;
    uint32_t crc;

    load_and_check(data, size);
    if (size < 16)
        return 0;
    fixed = malloc(size);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    crc = crc32_ieee(fixed, size - 4);
    for (int i = 0; i < 4; i++)
        fixed[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    load_and_check(fixed, size);
    free(fixed);
    return 0;
}
