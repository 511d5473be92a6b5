/*
 * fuzz_png.c - libFuzzer target for the PNG decoder (programs/image/).  The
 * input is decoded as a PNG (a PNG signature is put in front when it lacks
 * one, so every input reaches libpng) under a small pixel limit, and the
 * result's invariants are checked; every decoded sample is read so that
 * AddressSanitizer sees the whole buffer.  The seeds in corpus/fuzz_png/ are
 * small files of every kind the decoder accepts (written with the format's
 * library) and damaged ones: truncated, corrupt data, absurd or zero size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmimage.h"

static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint64_t limit = 1u << 18;
    unsigned char *buf = NULL;
    const void *in = data;
    size_t n = size;
    kmimage img;
    kmio_error err;
    unsigned sum = 0;

    if (size < 8 || memcmp(data, signature, 8) != 0) {
        buf = malloc(size + 8);
        if (buf == NULL)
            return 0;
        memcpy(buf, signature, 8);
        if (size > 0)
            memcpy(buf + 8, data, size);
        in = buf;
        n = size + 8;
    }
    err.msg[0] = '\0';
    if (kmimage_decode(in, n, "fuzz.png", limit, &img, &err) != 0) {
        if (err.msg[0] == '\0' || img.pixels != NULL)
            abort();
    } else {
        size_t count = kmimage_sample_count(&img);
        if (img.format != KMIMAGE_PNG || img.width == 0 || img.height == 0 ||
            (uint64_t)img.width * img.height > limit || img.channels < 1 ||
            img.channels > 4 || (img.depth != 8 && img.depth != 16) ||
            img.pixels == NULL)
            abort();
        for (size_t i = 0; i < count; i++)
            sum += img.depth == 8 ? ((const uint8_t *)img.pixels)[i]
                                  : ((const uint16_t *)img.pixels)[i];
        if (sum == 0xdeadbeefu) /* keep the loop */
            err.msg[0] = 'x';
        kmimage_free(&img);
    }
    free(buf);
    return 0;
}
