/*
 * kmio_stream.c - data files larger than memory: rows of a float .npy or a
 * raw float file read on demand with pread (ranges for sequential passes,
 * gathers for random mini-batches), and outputs written chunk by chunk.
 *
 * Nothing is mapped: pages read with pread live in the kernel's page cache,
 * not in the process, so resident memory is the caller's buffers whatever
 * the file size (a whole-file mmap would count every page touched).
 */
#define _POSIX_C_SOURCE   200809L
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmio_internal.h"

/* ---- the .npy header (float32/float64 only) ---- */

static const char *skip_sp(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The value text after 'key': in the header dict, or NULL. */
static const char *find_key(const char *h, const char *e, const char *key)
{
    size_t kl = strlen(key);

    for (const char *p = h; p + kl + 2 < e; p++) {
        if ((*p == '\'' || *p == '"') && memcmp(p + 1, key, kl) == 0 &&
            p[kl + 1] == *p) {
            const char *q = skip_sp(p + kl + 2, e);
            if (q < e && *q == ':')
                return skip_sp(q + 1, e);
            return NULL;
        }
    }
    return NULL;
}

static int parse_size(const char **pp, const char *e, size_t *out)
{
    const char *p = *pp;
    size_t v = 0;

    if (p >= e || *p < '0' || *p > '9')
        return -1;
    while (p < e && *p >= '0' && *p <= '9') {
        size_t digit = (size_t)(*p - '0');
        if (v > (SIZE_MAX - digit) / 10)
            return -1;
        v = v * 10 + digit;
        p++;
    }
    *pp = p;
    *out = v;
    return 0;
}

/* 0: a float .npy we stream; 1: a valid-looking .npy of another kind (the
   in-memory reader handles it, with its own messages); -1: error. */
static int parse_npy_header(kmio_stream *s, const char *h, size_t hl,
                            kmio_error *err)
{
    const char *e = h + hl, *p;
    char bo;

    p = find_key(h, e, "descr");
    if (p == NULL || e - p < 5 || (*p != '\'' && *p != '"'))
        return 1;
    bo = p[1];
    if ((bo != '<' && bo != '>' && bo != '=') || p[2] != 'f' ||
        (p[3] != '4' && p[3] != '8') || p[4] != *p)
        return 1;
    s->dtype = p[3] == '4' ? KM_FLOAT32 : KM_FLOAT64;
    s->swap_ =
        (bo == '<' && !kmio_host_is_le()) || (bo == '>' && kmio_host_is_le());
    p = find_key(h, e, "fortran_order");
    if (p == NULL || e - p < 5 || memcmp(p, "False", 5) != 0)
        return 1;
    p = find_key(h, e, "shape");
    if (p == NULL || *p != '(')
        return 1;
    p = skip_sp(p + 1, e);
    if (parse_size(&p, e, &s->n) != 0)
        return 1;
    p = skip_sp(p, e);
    if (p < e && *p == ',')
        p = skip_sp(p + 1, e);
    if (p < e && *p == ')') {
        s->d = 1;
    } else {
        if (parse_size(&p, e, &s->d) != 0)
            return 1;
        p = skip_sp(p, e);
        if (p < e && *p == ',')
            p = skip_sp(p + 1, e);
        if (p >= e || *p != ')')
            return 1; /* 3-D and more: let the reader say so */
    }
    if (s->n == 0 || s->d == 0) {
        kmio_errorf(err, "%s: no data (shape has a zero)", s->name_);
        return -1;
    }
    return 0;
}

static void stream_init(kmio_stream *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->fd_ = -1;
    snprintf(s->name_, sizeof s->name_, "%s", path);
}

static int check_size(kmio_stream *s, uint64_t file_size, kmio_error *err)
{
    size_t elems, bytes;

    s->elem_ = s->dtype == KM_FLOAT32 ? 4 : 8;
    if (kmio_mul_overflow(s->n, s->d, &elems) ||
        kmio_mul_overflow(elems, s->elem_, &bytes) ||
        (uint64_t)bytes > UINT64_MAX - s->offset_) {
        kmio_errorf(err, "%s: shape %zu x %zu is too large", s->name_, s->n,
                    s->d);
        return -1;
    }
    if (file_size < s->offset_ + (uint64_t)bytes) {
        kmio_errorf(err,
                    "%s: file is truncated: %zu x %zu %s values need %llu "
                    "bytes of data, the file has %llu",
                    s->name_, s->n, s->d,
                    s->dtype == KM_FLOAT32 ? "float32" : "float64",
                    (unsigned long long)bytes,
                    (unsigned long long)(file_size - s->offset_));
        return -1;
    }
    return 0;
}

int kmio_stream_open_npy(kmio_stream *s, const char *path, kmio_error *err)
{
    unsigned char pre[12];
    struct stat sb;
    size_t hl, pre_len;
    char *h;
    ssize_t got;
    int rc;

    stream_init(s, path);
    s->fd_ = open(path, O_RDONLY);
    if (s->fd_ < 0) {
        kmio_errorf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(s->fd_, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        kmio_stream_close(s);
        return 1; /* a pipe or device: the in-memory reader copes */
    }
    got = pread(s->fd_, pre, sizeof pre, 0);
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0 ||
        (pre[6] != 1 && pre[6] != 2 && pre[6] != 3)) {
        kmio_stream_close(s);
        return 1; /* not a .npy we know: the reader gives the message */
    }
    if (pre[6] == 1) {
        hl = (size_t)pre[8] | (size_t)pre[9] << 8;
        pre_len = 10;
    } else {
        if (got < 12) {
            kmio_stream_close(s);
            return 1;
        }
        hl = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
             (size_t)pre[11] << 24;
        pre_len = 12;
    }
    if (hl > (1u << 20) || (uint64_t)(pre_len + hl) > (uint64_t)sb.st_size) {
        kmio_stream_close(s);
        return 1;
    }
    h = malloc(hl + 1);
    if (h == NULL) {
        kmio_errorf(err, "%s: out of memory", path);
        kmio_stream_close(s);
        return -1;
    }
    if (pread(s->fd_, h, hl, (off_t)pre_len) != (ssize_t)hl) {
        free(h);
        kmio_stream_close(s);
        return 1;
    }
    h[hl] = '\0';
    rc = parse_npy_header(s, h, hl, err);
    free(h);
    s->offset_ = (uint64_t)(pre_len + hl);
    if (rc == 0 && check_size(s, (uint64_t)sb.st_size, err) != 0)
        rc = -1;
    if (rc != 0) {
        int fd = s->fd_;
        s->fd_ = -1;
        close(fd);
    }
    return rc;
}

int kmio_stream_open_raw(kmio_stream *s, const char *path, size_t n, size_t d,
                         km_dtype dtype, kmio_error *err)
{
    struct stat sb;
    size_t elem = dtype == KM_FLOAT32 ? 4 : 8;

    stream_init(s, path);
    if (d == 0) {
        kmio_errorf(err, "%s: --shape needs at least one column", path);
        return -1;
    }
    s->fd_ = open(path, O_RDONLY);
    if (s->fd_ < 0) {
        kmio_errorf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(s->fd_, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        kmio_errorf(err, "%s: not a regular file (raw data need a file)", path);
        kmio_stream_close(s);
        return -1;
    }
    s->dtype = dtype;
    s->d = d;
    s->offset_ = 0;
    if (n == 0) {
        /* rows from the file size, which must be whole rows */
        uint64_t row = (uint64_t)d * elem;
        if ((uint64_t)sb.st_size % row != 0) {
            kmio_errorf(err,
                        "%s: %lld bytes is not a whole number of rows of %zu "
                        "%s values",
                        path, (long long)sb.st_size, d,
                        dtype == KM_FLOAT32 ? "float32" : "float64");
            kmio_stream_close(s);
            return -1;
        }
        n = (size_t)((uint64_t)sb.st_size / row);
    }
    s->n = n;
    if (n == 0) {
        kmio_errorf(err, "%s: no data (empty file)", path);
        kmio_stream_close(s);
        return -1;
    }
    if (check_size(s, (uint64_t)sb.st_size, err) != 0) {
        kmio_stream_close(s);
        return -1;
    }
    return 0;
}

void kmio_stream_close(kmio_stream *s)
{
    if (s->fd_ >= 0)
        close(s->fd_);
    s->fd_ = -1;
    free(s->buf_);
    s->buf_ = NULL;
    s->buf_cap_ = 0;
}

static int read_at(kmio_stream *s, void *dst, size_t bytes, uint64_t off,
                   kmio_error *err)
{
    unsigned char *p = dst;

    while (bytes > 0) {
        ssize_t got = pread(s->fd_, p, bytes, (off_t)off);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            kmio_errorf(err, "%s: read error: %s", s->name_, strerror(errno));
            return -1;
        }
        if (got == 0) {
            kmio_errorf(err, "%s: file shrank while being read", s->name_);
            return -1;
        }
        p += got;
        bytes -= (size_t)got;
        off += (uint64_t)got;
    }
    return 0;
}

/* Convert count elements of the file's type in src (possibly byte-swapped)
   into out of type want, checking that each is finite; first_elem is the
   index of src[0] in the file, for messages. */
static int convert_out(kmio_stream *s, const unsigned char *src, size_t count,
                       size_t first_row, const size_t *rows, km_dtype want,
                       void *out, kmio_error *err)
{
    const size_t d = s->d;

    for (size_t i = 0; i < count; i++) {
        unsigned char b[8];
        double v;

        memcpy(b, src + i * s->elem_, s->elem_);
        if (s->swap_)
            for (size_t t = 0; t < s->elem_ / 2; t++) {
                unsigned char c = b[t];
                b[t] = b[s->elem_ - 1 - t];
                b[s->elem_ - 1 - t] = c;
            }
        if (s->elem_ == 4) {
            float f;
            memcpy(&f, b, 4);
            v = (double)f;
        } else {
            memcpy(&v, b, 8);
        }
        if (want == KM_FLOAT32) {
            float f = (float)v;
            if (!isfinite(f)) {
                size_t r = rows ? rows[i / d] : first_row + i / d;
                kmio_errorf(err, "%s: row %zu, column %zu: value %s", s->name_,
                            r + 1, i % d + 1,
                            isfinite(v) ? "is out of range for float32"
                                        : "is not finite");
                return -1;
            }
            ((float *)out)[i] = f;
        } else {
            if (!isfinite(v)) {
                size_t r = rows ? rows[i / d] : first_row + i / d;
                kmio_errorf(err, "%s: row %zu, column %zu: value is not finite",
                            s->name_, r + 1, i % d + 1);
                return -1;
            }
            ((double *)out)[i] = v;
        }
    }
    return 0;
}

static int ensure_buf(kmio_stream *s, size_t bytes, kmio_error *err)
{
    if (bytes <= s->buf_cap_)
        return 0;
    free(s->buf_);
    s->buf_ = malloc(bytes);
    s->buf_cap_ = s->buf_ ? bytes : 0;
    if (s->buf_ == NULL) {
        kmio_errorf(err, "%s: out of memory for a %zu-byte read buffer",
                    s->name_, bytes);
        return -1;
    }
    return 0;
}

/* Rows per conversion block: bounds the raw buffer to 1 MiB-ish. */
static size_t block_rows(const kmio_stream *s)
{
    size_t row = s->d * s->elem_;
    size_t r = ((size_t)1 << 20) / (row ? row : 1);
    return r ? r : 1;
}

int kmio_stream_read(kmio_stream *s, size_t first, size_t count, km_dtype want,
                     void *out, kmio_error *err)
{
    const size_t row = s->d * s->elem_, oelem = want == KM_FLOAT32 ? 4 : 8;
    const size_t br = block_rows(s);

    if (first > s->n || count > s->n - first) {
        kmio_errorf(err, "%s: rows %zu..%zu out of range (%zu rows)", s->name_,
                    first + 1, first + count, s->n);
        return -1;
    }
    if (ensure_buf(s, (count < br ? count : br) * row, err) != 0)
        return -1;
    for (size_t done = 0; done < count;) {
        size_t m = count - done < br ? count - done : br;
        uint64_t off = s->offset_ + (uint64_t)(first + done) * row;

        if (read_at(s, s->buf_, m * row, off, err) != 0 ||
            convert_out(s, s->buf_, m * s->d, first + done, NULL, want,
                        (unsigned char *)out + done * s->d * oelem, err) != 0)
            return -1;
        done += m;
    }
    return 0;
}

int kmio_stream_gather(kmio_stream *s, const size_t *rows, size_t count,
                       km_dtype want, void *out, kmio_error *err)
{
    const size_t row = s->d * s->elem_, oelem = want == KM_FLOAT32 ? 4 : 8;

    if (ensure_buf(s, row, err) != 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (rows[i] >= s->n) {
            kmio_errorf(err, "%s: row %zu out of range (%zu rows)", s->name_,
                        rows[i] + 1, s->n);
            return -1;
        }
        if (read_at(s, s->buf_, row, s->offset_ + (uint64_t)rows[i] * row,
                    err) != 0 ||
            convert_out(s, s->buf_, s->d, 0, rows + i, want,
                        (unsigned char *)out + i * s->d * oelem, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- outputs written chunk by chunk ---- */

static int ow_put(kmio_ostream *o, const void *p, size_t n, kmio_error *err)
{
    if (fwrite(p, 1, n, o->a.fp) != n) {
        kmio_errorf(err, "%s: write error: %s", o->a.path_, strerror(errno));
        return -1;
    }
    return 0;
}

static int npy_header(kmio_ostream *o, const char *descr, kmio_error *err)
{
    char shape[64], hdr[256];
    int len;
    size_t used, total;

    if (o->cols_ == 0)
        snprintf(shape, sizeof shape, "(%zu,)", o->n_);
    else
        snprintf(shape, sizeof shape, "(%zu, %zu)", o->n_, o->cols_);
    len = snprintf(hdr + 10, sizeof hdr - 10,
                   "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                   descr, shape);
    used = 10 + (size_t)len + 1;
    total = (used + 63) / 64 * 64;
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = (char)((total - 10) & 0xFF);
    hdr[9] = (char)((total - 10) >> 8);
    memset(hdr + 10 + len, ' ', total - used);
    hdr[total - 1] = '\n';
    return ow_put(o, hdr, total, err);
}

static int ostream_open(kmio_ostream *o, const char *path, int kind,
                        km_dtype dtype, size_t n, size_t cols, kmio_error *err)
{
    memset(o, 0, sizeof *o);
    o->kind_ = kind;
    o->dtype_ = dtype;
    o->n_ = n;
    o->cols_ = cols;
    o->npy_ = strcmp(path, "-") != 0 && kmio_path_is_npy(path);
    if (kmio_atomic_open(&o->a, path, err) != 0)
        return -1;
    o->open_ = 1;
    if (o->npy_) {
        const char *descr = kind == 0             ? "<i4"
                            : dtype == KM_FLOAT32 ? "<f4"
                                                  : "<f8";
        if (npy_header(o, descr, err) != 0) {
            kmio_ostream_abort(o);
            return -1;
        }
    }
    return 0;
}

int kmio_ostream_open_labels(kmio_ostream *o, const char *path, size_t n,
                             kmio_error *err)
{
    return ostream_open(o, path, 0, KM_FLOAT64, n, 0, err);
}

int kmio_ostream_open_matrix(kmio_ostream *o, const char *path, km_dtype dtype,
                             size_t n, size_t cols, kmio_error *err)
{
    return ostream_open(o, path, 1, dtype, n, cols, err);
}

int kmio_ostream_write(kmio_ostream *o, const void *data, size_t rows,
                       kmio_error *err)
{
    const size_t cols = o->cols_ ? o->cols_ : 1;
    const size_t count = rows * cols;

    if (o->written_ + rows > o->n_) {
        kmio_errorf(err, "%s: more rows written than announced", o->a.path_);
        return -1;
    }
    if (o->npy_) {
        const size_t elem = o->kind_ == 0 || o->dtype_ == KM_FLOAT32 ? 4 : 8;
        if (kmio_host_is_le()) {
            if (ow_put(o, data, count * elem, err) != 0)
                return -1;
        } else {
            const unsigned char *p = data;
            for (size_t i = 0; i < count; i++) {
                unsigned char b[8];
                for (size_t t = 0; t < elem; t++)
                    b[t] = p[i * elem + elem - 1 - t];
                if (ow_put(o, b, elem, err) != 0)
                    return -1;
            }
        }
    } else {
        char text[48];
        for (size_t i = 0; i < count; i++) {
            size_t len;
            if (o->kind_ == 0)
                len = (size_t)snprintf(text, sizeof text, "%d",
                                       (int)((const int32_t *)data)[i]);
            else if (o->dtype_ == KM_FLOAT32)
                len = kmio_format_f32(text, ((const float *)data)[i]);
            else
                len = kmio_format_f64(text, ((const double *)data)[i]);
            text[len++] = (i + 1) % cols == 0 ? '\n' : ',';
            if (ow_put(o, text, len, err) != 0)
                return -1;
        }
    }
    o->written_ += rows;
    return 0;
}

int kmio_ostream_commit(kmio_ostream *o, kmio_error *err)
{
    if (o->written_ != o->n_) {
        kmio_errorf(err, "%s: %zu of %zu rows written", o->a.path_, o->written_,
                    o->n_);
        kmio_ostream_abort(o);
        return -1;
    }
    o->open_ = 0;
    return kmio_atomic_commit(&o->a, err);
}

void kmio_ostream_abort(kmio_ostream *o)
{
    if (o->open_)
        kmio_atomic_abort(&o->a);
    o->open_ = 0;
}
