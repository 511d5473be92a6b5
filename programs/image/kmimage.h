/*
 * kmimage.h - PNG and JPEG images for the kmeans command: decode any PNG
 * (libpng) or JPEG (libjpeg-turbo) into a plain buffer of 8- or 16-bit
 * samples, and write PNG files atomically.
 *
 * Decoding is strict and bounded.  The format is told by the file's
 * signature, not its name.  The image size is checked against a pixel limit
 * as soon as the header is read, before any buffer of image size is
 * allocated.  Every libpng error and every libjpeg warning (corrupt data,
 * premature end of file) fails the decode with one message in err->msg
 * that names the file.  Errors are recovered with setjmp/longjmp inside
 * this layer; it never prints and never exits.
 *
 * JPEG samples are exactly what Pillow's decoder gives (libjpeg-turbo's
 * defaults: JDCT_ISLOW, fancy upsampling).  The EXIF orientation tag is not
 * applied, as numpy.asarray(PIL.Image.open(f)) does not apply it.
 */
#ifndef KMIMAGE_H
#define KMIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kmio.h"

/* Default pixel limit: Pillow's MAX_IMAGE_PIXELS (1024^3 / 4 / 3 pixels,
   256 MiB of 24-bit RGB).  A decoded image of that size plus the float32
   colors K-Means works on takes about 1.3 GB. */
#define KMIMAGE_DEFAULT_MAX_PIXELS 89478485u

typedef enum kmimage_format {
    KMIMAGE_PNG = 1,
    KMIMAGE_JPEG = 2
} kmimage_format;

/*
 * A decoded image: height rows of width pixels, each pixel channels samples,
 * no padding.  Samples are uint8_t when depth is 8 and uint16_t (native byte
 * order) when depth is 16.  Channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
 * Palette PNGs are expanded to RGB (RGBA with a tRNS chunk), gray PNGs of
 * 1, 2 or 4 bits to 8 bits, and a tRNS color key to an alpha channel.
 */
typedef struct kmimage {
    uint32_t width;
    uint32_t height;
    int channels;
    int depth;
    kmimage_format format; /* what the image was decoded from */
    int progressive;       /* progressive JPEG or interlaced PNG */
    void *pixels;          /* malloc'ed; kmimage_free releases it */
} kmimage;

/* Number of pixels and of samples (pixels * channels) of an image. */
size_t kmimage_pixel_count(const kmimage *img);
size_t kmimage_sample_count(const kmimage *img);

/* "gray", "gray+alpha", "RGB" or "RGBA" for 1 to 4 channels. */
const char *kmimage_channels_name(int channels);

/* Whether channel count includes an alpha channel (2 or 4). */
int kmimage_has_alpha(int channels);

/*
 * Decode a PNG or JPEG held in memory (size bytes at data).  name is used in
 * messages only ("photo.jpg: ...").  max_pixels >= 1 bounds width * height.
 * Returns 0 and fills *out (free with kmimage_free), or -1 with err filled
 * and *out zeroed.
 */
int kmimage_decode(const void *data, size_t size, const char *name,
                   uint64_t max_pixels, kmimage *out, kmio_error *err);

/* Read a whole file ("-" is standard input) and decode it as above.  A
   file whose first bytes are not a PNG or JPEG signature is rejected before
   the rest of it is read. */
int kmimage_read(const char *path, uint64_t max_pixels, kmimage *out,
                 kmio_error *err);

/*
 * Write an image as PNG (8 or 16 bits, 1 to 4 channels, not interlaced) to
 * path ("-" is standard output), atomically: a temporary file beside path is
 * renamed over it, so on failure an existing file is untouched.  Returns 0
 * or -1 with err filled.
 */
int kmimage_write_png(const char *path, const kmimage *img, kmio_error *err);

/*
 * An 8-bit copy of an image with the same channels (16-bit samples are
 * scaled by 255/65535 and rounded to nearest).  Returns 0 or -1 (err
 * filled: out of memory).  Free *out with kmimage_free.
 */
int kmimage_to_8bit(const kmimage *img, kmimage *out, kmio_error *err);

/* Release the pixels and zero *img; NULL is accepted. */
void kmimage_free(kmimage *img);

#endif
