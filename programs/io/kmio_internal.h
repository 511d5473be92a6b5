/*
 * kmio_internal.h - private helpers shared by the kmio readers and writers,
 * and the from-memory parsers that the file readers and the fuzz targets
 * both go through (so the fuzzers exercise exactly the code that reads
 * files).  Not part of the kmeans command's interface.
 */
#ifndef KMIO_INTERNAL_H
#define KMIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kmio.h"

#if defined(__GNUC__)
#define KMIO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KMIO_PRINTF(f, a)
#endif

/* Format one line into err->msg (err may be NULL). */
void kmio_errorf(kmio_error *err, const char *fmt, ...) KMIO_PRINTF(2, 3);

/* *out = a * b; returns 1 on overflow. */
static inline int kmio_mul_overflow(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

/* 1 when the host stores integers least significant byte first. */
static inline int kmio_host_is_le(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* 128-bit integers make exact decimal <-> binary conversion cheap in the
   common ranges; without them the code falls back to strtod/snprintf. */
#if defined(__SIZEOF_INT128__)
#define KMIO_HAVE_U128 1
__extension__ typedef unsigned __int128 kmio_u128;
#endif

/*
 * strtod for the text at p, which must be NUL-terminated somewhere after
 * e: the same value and end pointer as strtod in the "C" locale, but
 * numbers of up to 19 significant digits with a small exponent are
 * converted exactly without strtod (glibc's strtod dominated the time to
 * read a large CSV).  Fails (returns 0) unless p starts like a number
 * (digit, sign, '.', or the i/n of inf/nan) and the number ends by e.
 */
int kmio_parse_double(const char *p, const char *e, double *v,
                      const char **end);

/*
 * What snprintf(dst, 40, "%.*g", prec, v) writes (prec 1..17, v finite),
 * computed with integer arithmetic where it is exact (snprintf is slow);
 * returns the length.
 */
size_t kmio_format_g(char *dst, double v, int prec);

/*
 * The CSV writer's numbers: for double the shortest of %.15g, %.16g, %.17g
 * that kmio_parse_double reads back as v; for float the shortest of %.6g
 * to %.9g that reads back as v when parsed as double and rounded to float
 * (as the reader does for float32).  "nan", "inf", "-inf" for non-finite
 * values.  dst needs 40 bytes; returns the length.
 */
size_t kmio_format_f64(char *dst, double v);
size_t kmio_format_f32(char *dst, float v);

/* 1 when path ends in ".npy" (any case). */
int kmio_path_is_npy(const char *path);

/*
 * Read everything from fd into a malloc'ed buffer that is NUL-terminated
 * (buf[len] == '\0', so the CSV parser may use strtod).  name is used in
 * error messages.  Returns 0 or -1 (err filled, nothing allocated).
 */
int kmio_read_fd_all(int fd, const char *name, char **buf, size_t *len,
                     kmio_error *err);

/*
 * Parse CSV text buf[0..len) named name in messages.  buf[len] must be
 * '\0'.  On success out->data is malloc'ed (out->owned_).  Same contract as
 * kmio_read_matrix otherwise.
 */
int kmio_csv_read_mem(const char *name, const char *buf, size_t len,
                      kmio_want want, int allow_nonfinite, kmio_matrix *out,
                      kmio_error *err);

/*
 * Parse a .npy image buf[0..len).  When borrow is nonzero and the data is
 * already of the wanted dtype, native byte order and suitably aligned,
 * out->data points into buf (no copy; out->owned_ and out->map_ stay NULL,
 * so buf must outlive *out); otherwise the data are converted into a
 * malloc'ed array.
 */
int kmio_npy_read_mem(const char *name, const void *buf, size_t len,
                      kmio_want want, int allow_nonfinite, int borrow,
                      kmio_matrix *out, kmio_error *err);

/* gzip: nonzero when buf starts with the gzip magic; kmio_gunzip inflates
   in[0..in_len) (all members) into a malloc'ed, '\0'-terminated *out.
   Returns 0 or -1 (err filled, naming name). */
int kmio_is_gzip(const char *buf, size_t len);
int kmio_gunzip(const char *name, const char *in, size_t in_len, char **out,
                size_t *out_len, kmio_error *err);

/* The file readers behind kmio_read_matrix (path is not "-" for npy). */
int kmio_csv_read_file(const char *path, kmio_want want, int allow_nonfinite,
                       kmio_matrix *out, kmio_error *err);
int kmio_npy_read_file(const char *path, kmio_want want, int allow_nonfinite,
                       kmio_matrix *out, kmio_error *err);

#endif
