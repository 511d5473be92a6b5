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

/* The file readers behind kmio_read_matrix (path is not "-" for npy). */
int kmio_csv_read_file(const char *path, kmio_want want, int allow_nonfinite,
                       kmio_matrix *out, kmio_error *err);
int kmio_npy_read_file(const char *path, kmio_want want, int allow_nonfinite,
                       kmio_matrix *out, kmio_error *err);

#endif
