/*
 * kmimage_png.c - PNG decoding and encoding with libpng.
 *
 * libpng reports errors by calling an error function that must not return;
 * ours formats the message and longjmps back to the setjmp in the function
 * that owns the png_struct, which frees everything.  Objects that must
 * survive the longjmp live in a context struct owned by the caller of that
 * function, never in its own locals (C11 7.13.2.1).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "kmimage_internal.h"

typedef struct png_ctx {
    const char *name;
    kmio_error *err;
    int err_set; /* err already holds the message */
    jmp_buf jb;
    /* reading */
    const unsigned char *data;
    size_t size, pos;
    uint64_t max_pixels;
    /* owned buffers, freed on every path */
    png_bytep *rows;
    unsigned char *pixels;
} png_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);

    if (!c->err_set) {
        kmimage_fail(c->err, c->name, "invalid PNG: %s", msg);
        c->err_set = 1;
    }
    longjmp(c->jb, 1);
}

/* Warnings are about ancillary data (a bad iCCP profile, an ancillary
   chunk's CRC) that does not change the pixels; they are ignored, as
   Pillow ignores them. */
static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void read_mem(png_structp png, png_bytep out, size_t n)
{
    png_ctx *c = png_get_io_ptr(png);

    if (n > c->size - c->pos) {
        kmimage_fail(c->err, c->name,
                     "truncated PNG (unexpected end of file after %zu bytes)",
                     c->size);
        c->err_set = 1;
        png_error(png, "truncated");
    }
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

/* The body of the decode; returns only on success (errors longjmp). */
static void decode_body(png_structp png, png_infop info, png_ctx *c,
                        kmimage *out)
{
    png_uint_32 width, height;
    int depth, color, interlace, channels;
    size_t rowbytes;

    png_set_read_fn(png, c, read_mem);
    /* Our pixel limit decides, not libpng's 1,000,000 per side default. */
    png_set_user_limits(png, 0x7fffffffu, 0x7fffffffu);
    png_read_info(png, info);
    png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, NULL,
                 NULL);

    /* Palette -> RGB, gray of 1/2/4 bits -> 8 bits, tRNS -> alpha. */
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    if (interlace != PNG_INTERLACE_NONE)
        png_set_interlace_handling(png);
    png_read_update_info(png, info);

    channels = png_get_channels(png, info);
    depth = png_get_bit_depth(png, info);
    if (kmimage_check_size(c->name, width, height, channels, depth,
                           c->max_pixels, c->err) != 0) {
        c->err_set = 1;
        png_error(png, "size");
    }
    rowbytes = png_get_rowbytes(png, info);
    if (rowbytes != (size_t)width * (size_t)channels * (size_t)(depth / 8)) {
        kmimage_fail(c->err, c->name, "unsupported PNG layout");
        c->err_set = 1;
        png_error(png, "layout");
    }
    c->pixels = malloc(rowbytes * height);
    c->rows = malloc(sizeof *c->rows * height);
    if (c->pixels == NULL || c->rows == NULL) {
        kmimage_fail(c->err, c->name, "out of memory for %u x %u pixels",
                     (unsigned)width, (unsigned)height);
        c->err_set = 1;
        png_error(png, "memory");
    }
    for (png_uint_32 y = 0; y < height; y++)
        c->rows[y] = c->pixels + (size_t)y * rowbytes;
    png_read_image(png, c->rows);
    /* Reads the rest of the file: checks the CRC of the last IDAT chunk
       and that the file is not cut short before IEND. */
    png_read_end(png, NULL);

    out->width = width;
    out->height = height;
    out->channels = channels;
    out->depth = depth;
    out->format = KMIMAGE_PNG;
    out->progressive = interlace != PNG_INTERLACE_NONE;
}

static int decode(png_ctx *c, kmimage *out)
{
    png_structp png;
    png_infop info = NULL;

    png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    if (png != NULL)
        info = png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        kmimage_fail(c->err, c->name, "out of memory starting libpng");
        return -1;
    }
    if (setjmp(c->jb)) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    decode_body(png, info, c, out);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

int kmimage_decode_png(const unsigned char *data, size_t size, const char *name,
                       uint64_t max_pixels, kmimage *out, kmio_error *err)
{
    png_ctx c;
    int rc;

    /* A zero or oversized IHDR gets its own clear message; libpng would
       only say "Invalid IHDR data". */
    if (size >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
        uint32_t w = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
                     (uint32_t)data[18] << 8 | data[19];
        uint32_t h = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 |
                     (uint32_t)data[22] << 8 | data[23];
        if (kmimage_check_size(name, w, h, 1, 8, max_pixels, err) != 0) {
            memset(out, 0, sizeof *out);
            return -1;
        }
    }
    memset(&c, 0, sizeof c);
    c.name = name;
    c.err = err;
    c.data = data;
    c.size = size;
    c.max_pixels = max_pixels;
    rc = decode(&c, out);
    free(c.rows);
    if (rc != 0) {
        free(c.pixels);
        memset(out, 0, sizeof *out);
        return -1;
    }
    /* PNG stores 16-bit samples big-endian; convert in place. */
    if (out->depth == 16) {
        size_t n = kmimage_sample_count(out);
        uint16_t *s = (uint16_t *)(void *)c.pixels;
        for (size_t i = 0; i < n; i++) {
            const unsigned char *b = c.pixels + 2 * i;
            s[i] = (uint16_t)((unsigned)b[0] << 8 | b[1]);
        }
    }
    out->pixels = c.pixels;
    return 0;
}

/* ---- writing -------------------------------------------------------------
 */

static void encode_body(png_structp png, png_infop info, png_ctx *c,
                        const kmimage *img, FILE *fp)
{
    static const int color_types[5] = {
        0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
        PNG_COLOR_TYPE_RGB_ALPHA};
    size_t row_samples = (size_t)img->width * (size_t)img->channels;
    size_t rowbytes = row_samples * (size_t)(img->depth / 8);

    png_init_io(png, fp);
    png_set_IHDR(png, info, img->width, img->height, img->depth,
                 color_types[img->channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (img->depth == 8) {
        for (uint32_t y = 0; y < img->height; y++)
            png_write_row(png, (png_const_bytep)img->pixels + y * rowbytes);
    } else {
        const uint16_t *src = img->pixels;
        c->pixels = malloc(rowbytes);
        if (c->pixels == NULL) {
            snprintf(c->err->msg, sizeof c->err->msg,
                     "%s: out of memory writing PNG", c->name);
            c->err_set = 1;
            png_error(png, "memory");
        }
        for (uint32_t y = 0; y < img->height; y++) {
            const uint16_t *row = src + (size_t)y * row_samples;
            for (size_t i = 0; i < row_samples; i++) {
                c->pixels[2 * i] = (unsigned char)(row[i] >> 8);
                c->pixels[2 * i + 1] = (unsigned char)(row[i] & 0xff);
            }
            png_write_row(png, c->pixels);
        }
    }
    png_write_end(png, NULL);
}

static void on_write_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);

    if (!c->err_set) {
        kmimage_fail(c->err, c->name, "cannot write PNG: %s", msg);
        c->err_set = 1;
    }
    longjmp(c->jb, 1);
}

static int encode(png_ctx *c, const kmimage *img, FILE *fp)
{
    png_structp png;
    png_infop info = NULL;

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, on_write_error,
                                  on_warning);
    if (png != NULL)
        info = png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, &info);
        kmimage_fail(c->err, c->name, "out of memory starting libpng");
        return -1;
    }
    if (setjmp(c->jb)) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    encode_body(png, info, c, img, fp);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int kmimage_write_png(const char *path, const kmimage *img, kmio_error *err)
{
    kmio_atomic a;
    png_ctx c;
    int rc;

    if (img->channels < 1 || img->channels > 4 ||
        (img->depth != 8 && img->depth != 16) || img->width == 0 ||
        img->height == 0 || img->width > 0x7fffffffu ||
        img->height > 0x7fffffffu) {
        kmimage_fail(err, path,
                     "cannot write a %u x %u image with %d "
                     "channels of %d bits as PNG",
                     (unsigned)img->width, (unsigned)img->height, img->channels,
                     img->depth);
        return -1;
    }
    if (kmio_atomic_open(&a, path, err) != 0)
        return -1;
    memset(&c, 0, sizeof c);
    c.name = strcmp(path, "-") == 0 ? "standard output" : path;
    c.err = err;
    rc = encode(&c, img, a.fp);
    free(c.pixels);
    if (rc != 0) {
        kmio_atomic_abort(&a);
        return -1;
    }
    return kmio_atomic_commit(&a, err);
}
