/*
 * kmio.h - data files for the kmeans command: CSV and NumPy .npy in,
 * CSV and .npy out (chosen by extension), written atomically.
 *
 * This layer sits above libkmeans (it uses only include/kmeans.h for
 * km_dtype).  Every error is reported as one line in err->msg that names the
 * file and, for parse errors, the line and column ("data.csv:3:7: ...").
 */
#ifndef KMIO_H
#define KMIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kmeans.h"

typedef struct kmio_error {
    char msg[1024];
} kmio_error;

/* A dense row-major matrix read from a file. */
typedef struct kmio_matrix {
    km_dtype dtype; /* element type of data */
    size_t n;       /* rows */
    size_t d;       /* columns (1 for a 1-D .npy or a one-column CSV) */
    void *data;     /* n * d elements of dtype, row-major */
    /* private: how data is held (malloc'ed or mmap'ed) */
    void *owned_;
    void *map_;
    size_t map_len_;
} kmio_matrix;

/* What kmio_read_matrix may convert to. */
typedef enum kmio_want {
    KMIO_WANT_NATIVE = 0, /* the file's own: CSV -> float64; .npy float32 ->
                             float32; every other .npy type -> float64 */
    KMIO_WANT_F32 = 1,
    KMIO_WANT_F64 = 2
} kmio_want;

/*
 * Read a numeric matrix from path (gzip-compressed files are inflated
 * first and read as their name without ".gz" says): ".npy" by extension
 * (versions 1-3, float32/float64/int8..int64/uint8..uint64/bool, little or big
 * endian, C order, 1-D or 2-D; a float .npy of the wanted dtype is
 * memory-mapped, not copied), anything else as CSV ("-" reads standard input).
 *
 * CSV: numbers separated by commas, tabs or runs of spaces; one header row
 * is detected (a first row with a non-numeric field) and skipped; blank
 * lines are skipped; every row must have the same number of fields.
 *
 * Rejects, each with its own message: a missing/unreadable file, a bad .npy
 * header, a Fortran-order or object array, ragged rows, a non-numeric field,
 * NaN or infinity (unless allow_nonfinite), and an empty file (no rows).
 * Returns 0 on success (free with kmio_matrix_free), -1 on error.
 */
int kmio_read_matrix(const char *path, kmio_want want, int allow_nonfinite,
                     kmio_matrix *out, kmio_error *err);

/* Release what kmio_read_matrix allocated or mapped; zeroes *m. */
void kmio_matrix_free(kmio_matrix *m);

/*
 * A matrix read from a float .npy without copying points into a read-only
 * memory map: writing to m->data would crash.  This copies such a matrix
 * into a malloc'ed array (and unmaps the file) so the caller may modify it
 * in place; any other matrix is left as it is.  Returns 0, or -1 (err
 * filled, *m unchanged) when memory runs out.
 */
int kmio_matrix_make_writable(kmio_matrix *m, kmio_error *err);

/*
 * Write an n x d matrix (float32 or float64 elements) to path, format by
 * extension: ".npy" (same dtype, 2-D, or 1-D when as_vector and d == 1) or
 * CSV (anything else; numbers in shortest round-trip form, comma separated,
 * no header; "-" writes standard output).  Written to a temporary file in
 * the same directory and renamed over path: on failure nothing is left and
 * an existing file is untouched.  Returns 0 or -1 (err filled).
 */
int kmio_write_matrix(const char *path, km_dtype dtype, const void *data,
                      size_t n, size_t d, int as_vector, kmio_error *err);

/* Write n labels: ".npy" as a 1-D int32 array, CSV as one integer a line.
   Atomic as kmio_write_matrix.  Returns 0 or -1. */
int kmio_write_labels(const char *path, const int32_t *labels, size_t n,
                      kmio_error *err);

/*
 * Atomic file writing, for other outputs (JSON, models written by the
 * library use their own).  kmio_atomic_open creates a temporary file beside
 * path and returns it open for writing ("-" returns stdout);
 * kmio_atomic_commit flushes, fsyncs, closes and renames it over path;
 * kmio_atomic_abort closes and removes it.  Return 0 or -1 (err filled).
 */
typedef struct kmio_atomic {
    FILE *fp; /* write here between open and commit */
    char tmp_[4096];
    char path_[4096];
    int is_stdout_;
} kmio_atomic;

int kmio_atomic_open(kmio_atomic *a, const char *path, kmio_error *err);
int kmio_atomic_commit(kmio_atomic *a, kmio_error *err);
void kmio_atomic_abort(kmio_atomic *a);

/*
 * Data larger than memory (kmio_stream.c): the rows of a float32/float64
 * .npy (C order, 1-D or 2-D, either byte order) or of a headerless raw file
 * of float32/float64 values, read on demand with pread into the caller's
 * buffers, so that resident memory does not grow with the file.
 */
typedef struct kmio_stream {
    km_dtype dtype; /* element type in the file */
    size_t n;       /* rows */
    size_t d;       /* columns (1 for a 1-D .npy) */
    /* private */
    int fd_;
    int swap_;
    size_t elem_;
    uint64_t offset_;
    unsigned char *buf_;
    size_t buf_cap_;
    char name_[1024];
} kmio_stream;

/*
 * Open a .npy for streaming.  Returns 0 when it is a float32/float64 .npy
 * that can be streamed; 1 when it is not (another dtype, a 3-D array, not a
 * regular file, not a .npy at all: read it with kmio_read_matrix, which
 * gives the proper message); -1 on error (err names the file: cannot open,
 * truncated data, zero rows).  Close with kmio_stream_close in every case
 * but -1 and 1 (which leave nothing open).
 */
int kmio_stream_open_npy(kmio_stream *s, const char *path, kmio_error *err);

/* Open a raw file of n x d values of dtype (n = 0: from the file size,
   which must then be whole rows).  Returns 0 or -1. */
int kmio_stream_open_raw(kmio_stream *s, const char *path, size_t n, size_t d,
                         km_dtype dtype, kmio_error *err);

/* Rows [first, first + count) into out (count x d values of want,
   converted from the file's type); every value must be finite (the message
   names the row and column).  Returns 0 or -1. */
int kmio_stream_read(kmio_stream *s, size_t first, size_t count, km_dtype want,
                     void *out, kmio_error *err);

/* Rows rows[0..count) (any order) into out, as kmio_stream_read. */
int kmio_stream_gather(kmio_stream *s, const size_t *rows, size_t count,
                       km_dtype want, void *out, kmio_error *err);

void kmio_stream_close(kmio_stream *s);

/*
 * Outputs written chunk by chunk, atomically (kmio_atomic_*): n labels
 * (.npy int32 1-D, or one integer a line) or an n x cols matrix (.npy of
 * dtype, or CSV as kmio_write_matrix).  The total n is given at open; the
 * rows are appended with kmio_ostream_write; commit fails unless exactly n
 * rows were written.
 */
typedef struct kmio_ostream {
    kmio_atomic a;
    /* private */
    int kind_; /* 0 labels, 1 matrix */
    int npy_;
    int open_;
    km_dtype dtype_;
    size_t n_, cols_, written_;
} kmio_ostream;

int kmio_ostream_open_labels(kmio_ostream *o, const char *path, size_t n,
                             kmio_error *err);
int kmio_ostream_open_matrix(kmio_ostream *o, const char *path, km_dtype dtype,
                             size_t n, size_t cols, kmio_error *err);
int kmio_ostream_write(kmio_ostream *o, const void *data, size_t rows,
                       kmio_error *err);
int kmio_ostream_commit(kmio_ostream *o, kmio_error *err);
void kmio_ostream_abort(kmio_ostream *o);

#endif
