/*
 * kmimage_jpeg.c - JPEG decoding with libjpeg-turbo.
 *
 * libjpeg's error_exit must not return: ours longjmps to the setjmp in
 * decode().  libjpeg treats corrupt data it can work around (a truncated
 * file padded with gray, extraneous bytes before a marker, a bad Huffman
 * code) as warnings and carries on; here every warning is an error, so a
 * damaged photograph is refused rather than silently clustered.
 *
 * Decoding parameters are libjpeg-turbo's defaults (JDCT_ISLOW inverse DCT,
 * fancy upsampling, no block smoothing changes), which are what Pillow
 * uses, so the samples equal numpy.asarray(PIL.Image.open(f)).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "kmimage_internal.h"

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first: libjpeg's err pointer is ours */
    jmp_buf jb;
    const char *name;
    kmio_error *err;
    int err_set;
    uint64_t max_pixels;
    unsigned char *pixels;
} jpeg_ctx;

static void fail_with_message(j_common_ptr cinfo, const char *what)
{
    jpeg_ctx *c = (jpeg_ctx *)(void *)cinfo->err;
    char text[JMSG_LENGTH_MAX];

    if (!c->err_set) {
        cinfo->err->format_message(cinfo, text);
        kmimage_fail(c->err, c->name, "%s: %s", what, text);
        c->err_set = 1;
    }
    longjmp(c->jb, 1);
}

static void on_error_exit(j_common_ptr cinfo)
{
    fail_with_message(cinfo, "invalid JPEG");
}

/* msg_level -1 is a warning (corrupt data); 0 and above are trace
   messages, which are dropped. */
static void on_emit_message(j_common_ptr cinfo, int msg_level)
{
    if (msg_level < 0) {
        cinfo->err->num_warnings++;
        fail_with_message(cinfo, "corrupt JPEG data");
    }
}

static void decode_body(struct jpeg_decompress_struct *cinfo, jpeg_ctx *c,
                        const unsigned char *data, size_t size, kmimage *out)
{
    size_t stride;
    int channels;

    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        channels = 1;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        channels = 3;
        break;
    default:
        kmimage_fail(c->err, c->name,
                     "CMYK and other non-RGB JPEG color spaces are not "
                     "supported");
        c->err_set = 1;
        longjmp(c->jb, 1);
    }
    /* Before jpeg_start_decompress, which allocates the whole-image
       coefficient buffers of a progressive file. */
    if (kmimage_check_size(c->name, cinfo->image_width, cinfo->image_height,
                           channels, 8, c->max_pixels, c->err) != 0) {
        c->err_set = 1;
        longjmp(c->jb, 1);
    }
    out->progressive = cinfo->progressive_mode ? 1 : 0;
    jpeg_start_decompress(cinfo);
    if (cinfo->output_components != channels ||
        cinfo->output_width != cinfo->image_width ||
        cinfo->output_height != cinfo->image_height) {
        kmimage_fail(c->err, c->name, "unexpected JPEG output layout");
        c->err_set = 1;
        longjmp(c->jb, 1);
    }
    stride = (size_t)cinfo->output_width * (size_t)channels;
    c->pixels = malloc(stride * cinfo->output_height);
    if (c->pixels == NULL) {
        kmimage_fail(c->err, c->name, "out of memory for %u x %u pixels",
                     (unsigned)cinfo->output_width,
                     (unsigned)cinfo->output_height);
        c->err_set = 1;
        longjmp(c->jb, 1);
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = c->pixels + (size_t)cinfo->output_scanline * stride;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo);

    out->width = cinfo->output_width;
    out->height = cinfo->output_height;
    out->channels = channels;
    out->depth = 8;
    out->format = KMIMAGE_JPEG;
}

static int decode(jpeg_ctx *c, struct jpeg_decompress_struct *cinfo,
                  const unsigned char *data, size_t size, kmimage *out)
{
    cinfo->err = jpeg_std_error(&c->pub);
    c->pub.error_exit = on_error_exit;
    c->pub.emit_message = on_emit_message;
    if (setjmp(c->jb)) {
        jpeg_destroy_decompress(cinfo);
        return -1;
    }
    jpeg_create_decompress(cinfo);
    decode_body(cinfo, c, data, size, out);
    jpeg_destroy_decompress(cinfo);
    return 0;
}

int kmimage_decode_jpeg(const unsigned char *data, size_t size,
                        const char *name, uint64_t max_pixels, kmimage *out,
                        kmio_error *err)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx c;

    memset(&c, 0, sizeof c);
    memset(&cinfo, 0, sizeof cinfo);
    c.name = name;
    c.err = err;
    c.max_pixels = max_pixels;
    if (decode(&c, &cinfo, data, size, out) != 0) {
        free(c.pixels);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->pixels = c.pixels;
    return 0;
}
