/*
 * test_image.c - unit tests of the image layer (programs/image/kmimage.h):
 * every PNG color type and depth decoded to the samples the PNG
 * specification defines (inputs written here with libpng itself), JPEG
 * baseline, progressive and gray (written here with libjpeg), the PNG
 * writer round trip, and every kind of bad file: empty, not an image,
 * truncated, corrupt, zero-size, absurd dimensions, over the pixel limit.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "kmimage.h"

/* ---- writing test inputs in memory ------------------------------------- */

typedef struct membuf {
    unsigned char *p;
    size_t n, cap;
} membuf;

static void mem_append(membuf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void png_mem_write(png_structp png, png_bytep data, size_t n)
{
    mem_append(png_get_io_ptr(png), data, n);
}

static void png_mem_flush(png_structp png)
{
    (void)png;
}

typedef struct png_spec {
    int w, h, depth, color, interlace;
    const unsigned char *raw; /* rows as PNG stores them, packed */
    const png_color *palette;
    int n_palette;
    const png_byte *trns; /* palette alpha */
    int n_trns;
    const png_color_16 *trns_color; /* gray or RGB color key */
} png_spec;

static membuf png_encode(const png_spec *s)
{
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    membuf b = {NULL, 0, 0};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    size_t rowbytes =
        ((size_t)s->w * (size_t)channels[s->color] * (size_t)s->depth + 7) / 8;

    assert_non_null(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng failed writing a test input");
    png_set_write_fn(png, &b, png_mem_write, png_mem_flush);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth,
                 s->color, s->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (s->palette != NULL)
        png_set_PLTE(png, info, s->palette, s->n_palette);
    if (s->trns != NULL || s->trns_color != NULL)
        png_set_tRNS(png, info, s->trns, s->n_trns, s->trns_color);
    png_write_info(png, info);
    {
        int passes = png_set_interlace_handling(png);
        for (int pass = 0; pass < passes; pass++)
            for (int y = 0; y < s->h; y++)
                png_write_row(png, s->raw + (size_t)y * rowbytes);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return b;
}

static membuf jpeg_encode(int w, int h, int components, J_COLOR_SPACE space,
                          const unsigned char *pixels, int quality,
                          int progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *out = NULL;
    unsigned long size = 0;
    membuf b = {NULL, 0, 0};

    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &size);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = components;
    c.in_color_space = space;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)c.next_scanline * (size_t)w *
                                               (size_t)components);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    mem_append(&b, out, size);
    free(out);
    return b;
}

/* A smooth color test pattern, w x h x 3. */
static unsigned char *pattern_rgb(int w, int h)
{
    unsigned char *p = malloc((size_t)w * (size_t)h * 3);
    assert_non_null(p);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *q = p + ((size_t)y * (size_t)w + (size_t)x) * 3;
            q[0] = (unsigned char)(x * 255 / (w - 1));
            q[1] = (unsigned char)(y * 255 / (h - 1));
            q[2] = (unsigned char)((x + y) * 127 / (w + h - 2) + 64);
        }
    return p;
}

static int decode(const membuf *b, uint64_t max_pixels, kmimage *img,
                  kmio_error *err)
{
    int rc;

    memset(err, 0, sizeof *err);
    rc = kmimage_decode(b->p, b->n, "test", max_pixels, img, err);
    if (rc != 0)
        print_message("decode: %s\n", err->msg);
    return rc;
}

static void expect_error(const void *data, size_t size, const char *text)
{
    kmimage img;
    kmio_error err;

    memset(&err, 0, sizeof err);
    assert_int_equal(
        kmimage_decode(data, size, "bad.img", 1u << 20, &img, &err), -1);
    assert_null(img.pixels);
    if (strncmp(err.msg, "bad.img: ", 9) != 0 || strstr(err.msg, text) == NULL)
        fail_msg("message '%s' lacks 'bad.img: ...%s'", err.msg, text);
}

/* ---- PNG color types --------------------------------------------------- */

static void test_png_rgb8_and_interlaced(void **state)
{
    (void)state;
    int w = 13, h = 7;
    unsigned char *raw = pattern_rgb(w, h);
    for (int interlace = 0; interlace < 2; interlace++) {
        png_spec s = {w,    h, 8,   PNG_COLOR_TYPE_RGB, interlace, raw, NULL, 0,
                      NULL, 0, NULL};
        membuf b = png_encode(&s);
        kmimage img;
        kmio_error err;
        assert_int_equal(decode(&b, 1000, &img, &err), 0);
        assert_int_equal(img.width, w);
        assert_int_equal(img.height, h);
        assert_int_equal(img.channels, 3);
        assert_int_equal(img.depth, 8);
        assert_int_equal(img.format, KMIMAGE_PNG);
        assert_int_equal(img.progressive, interlace);
        assert_memory_equal(img.pixels, raw, (size_t)w * (size_t)h * 3);
        kmimage_free(&img);
        free(b.p);
    }
    free(raw);
}

static void test_png_palette_with_trns(void **state)
{
    (void)state;
    const png_color pal[3] = {{255, 0, 0}, {0, 128, 0}, {10, 20, 30}};
    const png_byte trns[2] = {0, 100}; /* entry 2: opaque by default */
    const unsigned char raw[4] = {0, 1, 2, 1};
    png_spec s = {4,    1, 8,   PNG_COLOR_TYPE_PALETTE, 0, raw, pal, 3,
                  NULL, 0, NULL};
    const unsigned char rgb[12] = {255, 0, 0, 0, 128, 0, 10, 20, 30, 0, 128, 0};
    const unsigned char rgba[16] = {255, 0,  0,  0,   0, 128, 0, 100,
                                    10,  20, 30, 255, 0, 128, 0, 100};
    kmimage img;
    kmio_error err;
    membuf b = png_encode(&s);

    assert_int_equal(decode(&b, 1000, &img, &err), 0);
    assert_int_equal(img.channels, 3);
    assert_memory_equal(img.pixels, rgb, sizeof rgb);
    kmimage_free(&img);
    free(b.p);

    s.trns = trns;
    s.n_trns = 2;
    b = png_encode(&s);
    assert_int_equal(decode(&b, 1000, &img, &err), 0);
    assert_int_equal(img.channels, 4);
    assert_memory_equal(img.pixels, rgba, sizeof rgba);
    kmimage_free(&img);
    free(b.p);
}

static void test_png_gray_low_depths(void **state)
{
    (void)state;
    /* 8 pixels: 1-bit 10110010, 2-bit 0 1 2 3 3 2 1 0, 4-bit 0 1 ... 15 */
    const unsigned char raw1[1] = {0xb2};
    const unsigned char want1[8] = {255, 0, 255, 255, 0, 0, 255, 0};
    const unsigned char raw2[2] = {0x1b, 0xe4};
    const unsigned char want2[8] = {0, 85, 170, 255, 255, 170, 85, 0};
    const unsigned char raw4[4] = {0x01, 0x23, 0x4e, 0xf0};
    const unsigned char want4[8] = {0, 17, 34, 51, 68, 238, 255, 0};
    const unsigned char *raws[3] = {raw1, raw2, raw4};
    const unsigned char *wants[3] = {want1, want2, want4};
    const int depths[3] = {1, 2, 4};

    for (int i = 0; i < 3; i++) {
        png_spec s = {8,    1,       depths[i], PNG_COLOR_TYPE_GRAY,
                      0,    raws[i], NULL,      0,
                      NULL, 0,       NULL};
        membuf b = png_encode(&s);
        kmimage img;
        kmio_error err;
        assert_int_equal(decode(&b, 1000, &img, &err), 0);
        assert_int_equal(img.channels, 1);
        assert_int_equal(img.depth, 8);
        assert_memory_equal(img.pixels, wants[i], 8);
        kmimage_free(&img);
        free(b.p);
    }
}

static void test_png_gray_color_key_to_alpha(void **state)
{
    (void)state;
    const unsigned char raw[3] = {7, 9, 7};
    png_color_16 key = {0, 0, 0, 0, 7};
    png_spec s = {3, 1, 8, PNG_COLOR_TYPE_GRAY, 0, raw, NULL, 0, NULL, 0, &key};
    const unsigned char want[6] = {7, 0, 9, 255, 7, 0};
    membuf b = png_encode(&s);
    kmimage img;
    kmio_error err;

    assert_int_equal(decode(&b, 1000, &img, &err), 0);
    assert_int_equal(img.channels, 2);
    assert_memory_equal(img.pixels, want, sizeof want);
    kmimage_free(&img);
    free(b.p);
}

static void test_png_16bit_gray_alpha_and_rgba(void **state)
{
    (void)state;
    /* big-endian samples as stored in the file */
    const unsigned char ga[8] = {0x12, 0x34, 0xff, 0xff,
                                 0xab, 0xcd, 0x00, 0x01};
    const uint16_t ga_want[4] = {0x1234, 0xffff, 0xabcd, 0x0001};
    unsigned char rgba[16];
    uint16_t rgba_want[8];
    kmimage img;
    kmio_error err;

    png_spec s = {2,    1, 16,  PNG_COLOR_TYPE_GRAY_ALPHA, 0, ga, NULL, 0,
                  NULL, 0, NULL};
    membuf b = png_encode(&s);
    assert_int_equal(decode(&b, 1000, &img, &err), 0);
    assert_int_equal(img.channels, 2);
    assert_int_equal(img.depth, 16);
    assert_memory_equal(img.pixels, ga_want, sizeof ga_want);
    kmimage_free(&img);
    free(b.p);

    for (int i = 0; i < 8; i++) {
        rgba_want[i] = (uint16_t)(i * 9000 + 17);
        rgba[2 * i] = (unsigned char)(rgba_want[i] >> 8);
        rgba[2 * i + 1] = (unsigned char)(rgba_want[i] & 0xff);
    }
    png_spec s2 = {2,    1, 16,  PNG_COLOR_TYPE_RGB_ALPHA, 0, rgba, NULL, 0,
                   NULL, 0, NULL};
    b = png_encode(&s2);
    assert_int_equal(decode(&b, 1000, &img, &err), 0);
    assert_int_equal(img.channels, 4);
    assert_memory_equal(img.pixels, rgba_want, sizeof rgba_want);
    kmimage_free(&img);
    free(b.p);
}

/* ---- the PNG writer ------------------------------------------------------ */

static void test_png_write_round_trip(void **state)
{
    (void)state;
    const char *base = getenv("KM_TEST_TMP");
    char path[4096];

    snprintf(path, sizeof path, "%s/test_image_%ld.png",
             base && *base ? base : "/tmp", (long)getpid());
    for (int depth = 8; depth <= 16; depth += 8)
        for (int ch = 1; ch <= 4; ch++) {
            kmimage img = {17, 5, ch, depth, KMIMAGE_PNG, 0, NULL}, back;
            size_t n = kmimage_sample_count(&img);
            kmio_error err;
            img.pixels = malloc(n * (size_t)(depth / 8));
            assert_non_null(img.pixels);
            for (size_t i = 0; i < n; i++) {
                if (depth == 8)
                    ((unsigned char *)img.pixels)[i] =
                        (unsigned char)(i * 37 + 11);
                else
                    ((uint16_t *)img.pixels)[i] = (uint16_t)(i * 4099 + 1);
            }
            memset(&err, 0, sizeof err);
            assert_int_equal(kmimage_write_png(path, &img, &err), 0);
            assert_int_equal(kmimage_read(path, 1000, &back, &err), 0);
            assert_int_equal(back.width, 17);
            assert_int_equal(back.height, 5);
            assert_int_equal(back.channels, ch);
            assert_int_equal(back.depth, depth);
            assert_memory_equal(back.pixels, img.pixels,
                                n * (size_t)(depth / 8));
            kmimage_free(&back);
            kmimage_free(&img);
        }
    unlink(path);
}

static void test_to_8bit_rounds(void **state)
{
    (void)state;
    uint16_t px[4] = {0, 128, 129, 65535};
    kmimage img = {4, 1, 1, 16, KMIMAGE_PNG, 0, px}, out;
    kmio_error err;
    const unsigned char want[4] = {0, 0, 1, 255};

    assert_int_equal(kmimage_to_8bit(&img, &out, &err), 0);
    assert_memory_equal(out.pixels, want, 4);
    kmimage_free(&out);
}

/* ---- JPEG -------------------------------------------------------------------
 */

static void test_jpeg_flat_color_and_gray(void **state)
{
    (void)state;
    int w = 24, h = 16;
    unsigned char *rgb = malloc((size_t)w * (size_t)h * 3);
    unsigned char *gray = malloc((size_t)w * (size_t)h);
    kmimage img;
    kmio_error err;
    membuf b;

    assert_non_null(rgb);
    assert_non_null(gray);
    for (int i = 0; i < w * h; i++) {
        rgb[3 * i] = 200;
        rgb[3 * i + 1] = 40;
        rgb[3 * i + 2] = 90;
        gray[i] = 77;
    }
    b = jpeg_encode(w, h, 3, JCS_RGB, rgb, 100, 0);
    assert_int_equal(decode(&b, 1000, &img, &err), 0);
    assert_int_equal(img.format, KMIMAGE_JPEG);
    assert_int_equal(img.channels, 3);
    assert_int_equal(img.depth, 8);
    assert_int_equal(img.progressive, 0);
    for (int i = 0; i < w * h * 3; i++)
        assert_in_range(((unsigned char *)img.pixels)[i], rgb[i] - 2,
                        rgb[i] + 2);
    kmimage_free(&img);
    free(b.p);

    b = jpeg_encode(w, h, 1, JCS_GRAYSCALE, gray, 95, 1);
    assert_int_equal(decode(&b, 1000, &img, &err), 0);
    assert_int_equal(img.channels, 1);
    assert_int_equal(img.progressive, 1);
    for (int i = 0; i < w * h; i++)
        assert_in_range(((unsigned char *)img.pixels)[i], 75, 79);
    kmimage_free(&img);
    free(b.p);
    free(rgb);
    free(gray);
}

/* A progressive file holds the same quantized coefficients as a baseline
   one in another order, so both decode to identical samples. */
static void test_jpeg_progressive_equals_baseline(void **state)
{
    (void)state;
    int w = 37, h = 21;
    unsigned char *rgb = pattern_rgb(w, h);
    membuf base = jpeg_encode(w, h, 3, JCS_RGB, rgb, 75, 0);
    membuf prog = jpeg_encode(w, h, 3, JCS_RGB, rgb, 75, 1);
    kmimage a, b;
    kmio_error err;

    assert_int_equal(decode(&base, 10000, &a, &err), 0);
    assert_int_equal(decode(&prog, 10000, &b, &err), 0);
    assert_int_equal(b.progressive, 1);
    assert_int_equal(a.width, 37);
    assert_int_equal(a.height, 21);
    assert_memory_equal(a.pixels, b.pixels, (size_t)w * (size_t)h * 3);
    kmimage_free(&a);
    kmimage_free(&b);
    free(base.p);
    free(prog.p);
    free(rgb);
}

/* ---- bad files --------------------------------------------------------------
 */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A PNG of only a signature, an IHDR claiming w x h and IEND. */
static size_t png_header_only(unsigned char *out, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    static const unsigned char idat[12] = {0,   0,   0,    0,    'I',  'D',
                                           'A', 'T', 0x35, 0xaf, 0x06, 0x1e};
    static const unsigned char iend[12] = {0,   0,   0,    0,    'I',  'E',
                                           'N', 'D', 0xae, 0x42, 0x60, 0x82};
    unsigned char *c = out + 8;

    memcpy(out, sig, 8);
    put_be32(c, 13);
    memcpy(c + 4, "IHDR", 4);
    put_be32(c + 8, w);
    put_be32(c + 12, h);
    c[16] = 8; /* depth */
    c[17] = 2; /* RGB */
    c[18] = c[19] = c[20] = 0;
    put_be32(c + 21, (uint32_t)crc32(0, c + 4, 17));
    memcpy(c + 25, idat, 12);
    memcpy(c + 37, iend, 12);
    return 8 + 25 + 12 + 12;
}

static void test_bad_not_images(void **state)
{
    (void)state;
    const char text[] = "x,y\n1,2\n";
    const unsigned char png_sig_only[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    kmio_error err;
    kmimage img;

    expect_error("", 0, "empty file");
    expect_error(text, sizeof text - 1, "not a PNG or JPEG");
    expect_error(png_sig_only, 8, "truncated PNG");
    expect_error("\xff\xd8\xff", 3, "JPEG");
    memset(&err, 0, sizeof err);
    assert_int_equal(kmimage_read("/nonexistent/x.png", 10, &img, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/x.png: cannot open"));
}

static void test_bad_png_sizes(void **state)
{
    (void)state;
    unsigned char buf[64];
    size_t n;
    kmio_error err;
    kmimage img;

    n = png_header_only(buf, 100000, 100000);
    expect_error(buf, n,
                 "100000 x 100000 = 10000000000 pixels, more than "
                 "the limit");
    n = png_header_only(buf, 0, 10);
    expect_error(buf, n, "empty image (0 x 10 pixels)");
    n = png_header_only(buf, 10, 0);
    expect_error(buf, n, "empty image (10 x 0 pixels)");

    /* The limit is the caller's: 10 x 10 passes at 100, fails at 99. */
    unsigned char *raw = pattern_rgb(10, 10);
    png_spec s = {10,   10, 8,   PNG_COLOR_TYPE_RGB, 0, raw, NULL, 0,
                  NULL, 0,  NULL};
    membuf b = png_encode(&s);
    assert_int_equal(decode(&b, 100, &img, &err), 0);
    kmimage_free(&img);
    assert_int_equal(decode(&b, 99, &img, &err), -1);
    assert_non_null(strstr(err.msg, "limit of 99 pixels"));
    free(b.p);
    free(raw);
}

static void test_bad_png_truncated_and_corrupt(void **state)
{
    (void)state;
    unsigned char *raw = pattern_rgb(32, 32);
    png_spec s = {32,   32, 8,   PNG_COLOR_TYPE_RGB, 0, raw, NULL, 0,
                  NULL, 0,  NULL};
    membuf b = png_encode(&s);
    unsigned char *idat = NULL;

    expect_error(b.p, b.n / 2, "truncated PNG");
    expect_error(b.p, 40, "truncated PNG");
    expect_error(b.p, b.n - 12, "truncated PNG"); /* no IEND */
    for (size_t i = 8; i + 4 < b.n; i++)
        if (memcmp(b.p + i, "IDAT", 4) == 0) {
            idat = b.p + i;
            break;
        }
    assert_non_null(idat);
    {
        uint32_t len = (uint32_t)idat[-4] << 24 | (uint32_t)idat[-3] << 16 |
                       (uint32_t)idat[-2] << 8 | idat[-1];
        idat[4 + len] ^= 0x01; /* the chunk's CRC */
        expect_error(b.p, b.n, "IDAT: CRC error");
        idat[4 + len] ^= 0x01;
        idat[20] ^= 0x55; /* the compressed data (and so its CRC) */
        expect_error(b.p, b.n, "invalid PNG");
    }
    free(b.p);
    free(raw);
}

static void test_bad_jpeg(void **state)
{
    (void)state;
    int w = 64, h = 48;
    unsigned char *rgb = pattern_rgb(w, h);
    membuf b = jpeg_encode(w, h, 3, JCS_RGB, rgb, 90, 0);
    membuf p = jpeg_encode(w, h, 3, JCS_RGB, rgb, 90, 1);
    unsigned char *copy = malloc(b.n);
    size_t sof = 0, sos = 0;

    assert_non_null(copy);
    /* Truncated: libjpeg would pad with gray and warn; we fail. */
    expect_error(b.p, b.n * 2 / 3, "Premature end of JPEG file");
    expect_error(p.p, p.n * 2 / 3, "Premature end of JPEG file");
    expect_error(b.p, 100, "JPEG");

    for (size_t i = 2; i + 1 < b.n; i++) {
        if (b.p[i] == 0xff && b.p[i + 1] == 0xc0 && sof == 0)
            sof = i;
        if (b.p[i] == 0xff && b.p[i + 1] == 0xda && sos == 0)
            sos = i;
    }
    assert_true(sof > 0 && sos > sof);

    /* A marker in the middle of the entropy-coded data. */
    memcpy(copy, b.p, b.n);
    copy[sos + (b.n - sos) / 2] = 0xff;
    copy[sos + (b.n - sos) / 2 + 1] = 0xd9;
    expect_error(copy, b.n, "corrupt JPEG data");

    /* Absurd dimensions in SOF0: refused before decoding. */
    memcpy(copy, b.p, b.n);
    copy[sof + 5] = copy[sof + 7] = 0xfd; /* 65000 x 65000 */
    copy[sof + 6] = copy[sof + 8] = 0xe8;
    expect_error(copy, b.n, "65000 x 65000 = 4225000000 pixels");

    /* Zero height. */
    memcpy(copy, b.p, b.n);
    copy[sof + 5] = copy[sof + 6] = 0;
    expect_error(copy, b.n, "JPEG");

    free(copy);
    free(b.p);
    free(p.p);
    free(rgb);
}

static void test_bad_jpeg_cmyk(void **state)
{
    (void)state;
    unsigned char px[4 * 8 * 8];
    membuf b;

    memset(px, 100, sizeof px);
    b = jpeg_encode(8, 8, 4, JCS_CMYK, px, 90, 0);
    expect_error(b.p, b.n, "CMYK");
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_rgb8_and_interlaced),
        cmocka_unit_test(test_png_palette_with_trns),
        cmocka_unit_test(test_png_gray_low_depths),
        cmocka_unit_test(test_png_gray_color_key_to_alpha),
        cmocka_unit_test(test_png_16bit_gray_alpha_and_rgba),
        cmocka_unit_test(test_png_write_round_trip),
        cmocka_unit_test(test_to_8bit_rounds),
        cmocka_unit_test(test_jpeg_flat_color_and_gray),
        cmocka_unit_test(test_jpeg_progressive_equals_baseline),
        cmocka_unit_test(test_bad_not_images),
        cmocka_unit_test(test_bad_png_sizes),
        cmocka_unit_test(test_bad_png_truncated_and_corrupt),
        cmocka_unit_test(test_bad_jpeg),
        cmocka_unit_test(test_bad_jpeg_cmyk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
