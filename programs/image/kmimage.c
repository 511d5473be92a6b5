/*
 * kmimage.c - reading image files and telling PNG from JPEG by signature,
 * the size checks every decoder shares, and small buffer helpers.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "kmimage_internal.h"

static const unsigned char png_signature[8] = {0x89, 'P',  'N',  'G',
                                               '\r', '\n', 0x1a, '\n'};
static const unsigned char jpeg_signature[3] = {0xff, 0xd8, 0xff};

void kmimage_fail(kmio_error *err, const char *name, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(err->msg, sizeof err->msg, "%s: ", name);

    if (n < 0 || (size_t)n >= sizeof err->msg)
        return;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    va_end(ap);
}

size_t kmimage_pixel_count(const kmimage *img)
{
    return (size_t)img->width * img->height;
}

size_t kmimage_sample_count(const kmimage *img)
{
    return kmimage_pixel_count(img) * (size_t)img->channels;
}

const char *kmimage_channels_name(int channels)
{
    switch (channels) {
    case 1:
        return "gray";
    case 2:
        return "gray+alpha";
    case 3:
        return "RGB";
    case 4:
        return "RGBA";
    default:
        return "unknown";
    }
}

int kmimage_has_alpha(int channels)
{
    return channels == 2 || channels == 4;
}

int kmimage_check_size(const char *name, uint64_t width, uint64_t height,
                       int channels, int depth, uint64_t max_pixels,
                       kmio_error *err)
{
    uint64_t pixels, bytes = (uint64_t)channels * (uint64_t)(depth / 8);

    if (width == 0 || height == 0) {
        kmimage_fail(err, name, "empty image (%llu x %llu pixels)",
                     (unsigned long long)width, (unsigned long long)height);
        return -1;
    }
    /* Both dimensions fit in 32 bits in either format, so no overflow. */
    pixels = width * height;
    if (pixels > max_pixels) {
        kmimage_fail(err, name,
                     "image is %llu x %llu = %llu pixels, more than the "
                     "limit of %llu pixels",
                     (unsigned long long)width, (unsigned long long)height,
                     (unsigned long long)pixels,
                     (unsigned long long)max_pixels);
        return -1;
    }
    if (bytes == 0 || pixels > SIZE_MAX / bytes) {
        kmimage_fail(err, name, "image of %llu pixels does not fit in memory",
                     (unsigned long long)pixels);
        return -1;
    }
    return 0;
}

int kmimage_decode(const void *data, size_t size, const char *name,
                   uint64_t max_pixels, kmimage *out, kmio_error *err)
{
    const unsigned char *p = data;

    memset(out, 0, sizeof *out);
    if (size == 0) {
        kmimage_fail(err, name, "empty file, not an image");
        return -1;
    }
    if (max_pixels == 0) {
        kmimage_fail(err, name, "the pixel limit must be at least 1");
        return -1;
    }
    if (size >= sizeof png_signature &&
        memcmp(p, png_signature, sizeof png_signature) == 0)
        return kmimage_decode_png(p, size, name, max_pixels, out, err);
    if (size >= sizeof jpeg_signature &&
        memcmp(p, jpeg_signature, sizeof jpeg_signature) == 0)
        return kmimage_decode_jpeg(p, size, name, max_pixels, out, err);
    kmimage_fail(err, name, "not a PNG or JPEG image (unknown signature)");
    return -1;
}

/* Whether the first n bytes could start a PNG or JPEG file. */
static int plausible_start(const unsigned char *p, size_t n)
{
    size_t m = n < sizeof png_signature ? n : sizeof png_signature;
    size_t j = n < sizeof jpeg_signature ? n : sizeof jpeg_signature;

    return memcmp(p, png_signature, m) == 0 ||
           memcmp(p, jpeg_signature, j) == 0;
}

int kmimage_read(const char *path, uint64_t max_pixels, kmimage *out,
                 kmio_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "standard input" : path;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 65536;
    struct stat st;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (fp == NULL) {
        kmimage_fail(err, name, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        kmimage_fail(err, name, "is a directory, not an image");
        goto done;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < SIZE_MAX - 1)
        cap = (size_t)st.st_size + 1;
    for (;;) {
        size_t got;
        if (len == cap) {
            unsigned char *bigger;
            if (cap > SIZE_MAX / 2) {
                kmimage_fail(err, name, "file too large");
                goto done;
            }
            bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                kmimage_fail(err, name, "out of memory reading the file");
                goto done;
            }
            buf = bigger;
            cap *= 2;
        }
        if (buf == NULL) {
            buf = malloc(cap);
            if (buf == NULL) {
                kmimage_fail(err, name, "out of memory reading the file");
                goto done;
            }
        }
        got = fread(buf + len, 1, cap - len, fp);
        len += got;
        /* Refuse a file that is not an image before reading all of it. */
        if (len > 0 && !plausible_start(buf, len)) {
            kmimage_fail(err, name,
                         "not a PNG or JPEG image (unknown signature)");
            goto done;
        }
        if (got == 0) {
            if (ferror(fp)) {
                kmimage_fail(err, name, "read error: %s", strerror(errno));
                goto done;
            }
            break;
        }
    }
    rc = kmimage_decode(buf, len, name, max_pixels, out, err);

done:
    free(buf);
    if (!is_stdin)
        fclose(fp);
    return rc;
}

int kmimage_to_8bit(const kmimage *img, kmimage *out, kmio_error *err)
{
    size_t n = kmimage_sample_count(img);
    unsigned char *dst = malloc(n ? n : 1);

    if (dst == NULL) {
        snprintf(err->msg, sizeof err->msg,
                 "out of memory for an 8-bit copy of a %u x %u image",
                 (unsigned)img->width, (unsigned)img->height);
        return -1;
    }
    *out = *img;
    out->depth = 8;
    out->pixels = dst;
    if (img->depth == 8) {
        memcpy(dst, img->pixels, n);
    } else {
        const uint16_t *src = img->pixels;
        /* round(v * 255 / 65535) = floor((v * 255 + 32767) / 65535) */
        for (size_t i = 0; i < n; i++)
            dst[i] =
                (unsigned char)(((uint32_t)src[i] * 255u + 32767u) / 65535u);
    }
    return 0;
}

void kmimage_free(kmimage *img)
{
    if (img == NULL)
        return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}
