/*
 * kmimage_internal.h - what the PNG and JPEG decoders of programs/image/
 * share; not part of the layer's interface.
 */
#ifndef KMIMAGE_INTERNAL_H
#define KMIMAGE_INTERNAL_H

#include <stdarg.h>

#include "kmimage.h"

/* Decoders for one format: same contract as kmimage_decode, the signature
   already recognised. */
int kmimage_decode_png(const unsigned char *data, size_t size, const char *name,
                       uint64_t max_pixels, kmimage *out, kmio_error *err);
int kmimage_decode_jpeg(const unsigned char *data, size_t size,
                        const char *name, uint64_t max_pixels, kmimage *out,
                        kmio_error *err);

/* err->msg = "name: " + formatted text. */
void kmimage_fail(kmio_error *err, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The size checks every decoder makes right after reading the header,
 * before allocating the pixels: zero width or height, width * height over
 * max_pixels, and width * height * channels * bytes per sample overflowing
 * size_t.  Returns 0, or -1 with err filled.
 */
int kmimage_check_size(const char *name, uint64_t width, uint64_t height,
                       int channels, int depth, uint64_t max_pixels,
                       kmio_error *err);

#endif
