/*
 * kmio_write.c - the CSV and .npy writers, atomic file replacement, and the
 * helpers every kmio file shares (error formatting, kmio_matrix_free).
 *
 * Atomic replacement: the output is written to "PATH.tmpXXXXXX" in the same
 * directory (so rename(2) cannot cross file systems), flushed, fsync'ed,
 * closed and renamed over PATH.  Any failure unlinks the temporary file, so
 * PATH is either untouched or replaced whole.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kmio_internal.h"

/* kmio_atomic.is_stdout_ values. */
enum {
    TARGET_TEMP = 0,   /* a temporary file renamed over path on commit */
    TARGET_STDOUT = 1, /* "-" */
    TARGET_DIRECT = 2  /* path exists and is not a regular file */
};

void kmio_errorf(kmio_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void kmio_matrix_free(kmio_matrix *m)
{
    if (!m)
        return;
    free(m->owned_);
    if (m->map_)
        munmap(m->map_, m->map_len_);
    memset(m, 0, sizeof *m);
}

/* ---- atomic files -------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

/*
 * Create the file named by tmpl (ending in "XXXXXX", replaced) as mkstemp
 * does, but with mode 0666 less the umask: mkstemp's 0600 would survive the
 * rename and leave a new output readable by its owner only.  O_EXCL gives
 * the same guarantee mkstemp does that no existing file is opened.
 */
static int create_temp(char *tmpl)
{
    static const char chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *x = tmpl + strlen(tmpl) - 6;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = (uint64_t)getpid() ^ (uint64_t)ts.tv_sec ^
                    (uint64_t)ts.tv_nsec << 24 ^ (uint64_t)(uintptr_t)&ts;
    for (uint64_t attempt = 0; attempt < 1000; attempt++) {
        uint64_t r = splitmix64(seed + attempt);
        for (int i = 0; i < 6; i++) {
            x[i] = chars[r % (sizeof chars - 1)];
            r /= sizeof chars - 1;
        }
        int fd = open(tmpl, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Make the rename durable; failure here loses nothing already renamed. */
static void sync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else {
        size_t len = slash == path ? 1 : (size_t)(slash - path);
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int kmio_atomic_open(kmio_atomic *a, const char *path, kmio_error *err)
{
    if (!a || !path) {
        kmio_errorf(err, "%s: kmio_atomic_open: invalid argument",
                    path ? path : "(null)");
        return -1;
    }
    memset(a, 0, sizeof *a);
    if (strcmp(path, "-") == 0) {
        a->fp = stdout;
        a->is_stdout_ = TARGET_STDOUT;
        strcpy(a->path_, "<stdout>");
        return 0;
    }
    size_t len = strlen(path);
    if (len == 0 || len + sizeof ".tmpXXXXXX" > sizeof a->tmp_) {
        kmio_errorf(err, "%.200s: cannot write: %s", path,
                    len ? "file name too long" : "empty file name");
        return -1;
    }
    memcpy(a->path_, path, len + 1);

    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        kmio_errorf(err, "%s: cannot write: %s", path, strerror(EISDIR));
        return -1;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        /* A device or FIFO (/dev/null, a pipe): renaming over it would
           replace the node itself, so write into it. */
        a->fp = fopen(path, "wb");
        if (!a->fp) {
            kmio_errorf(err, "%s: cannot open: %s", path, strerror(errno));
            return -1;
        }
        a->is_stdout_ = TARGET_DIRECT;
        return 0;
    }

    memcpy(a->tmp_, path, len);
    memcpy(a->tmp_ + len, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
    int fd = create_temp(a->tmp_);
    if (fd < 0) {
        kmio_errorf(err, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    /* Replacing a file keeps its permissions, as rewriting it would. */
    if (exists)
        (void)fchmod(fd, st.st_mode & 07777);
    a->fp = fdopen(fd, "wb");
    if (!a->fp) {
        int e = errno;
        close(fd);
        unlink(a->tmp_);
        kmio_errorf(err, "%s: cannot create: %s", path, strerror(e));
        return -1;
    }
    a->is_stdout_ = TARGET_TEMP;
    return 0;
}

int kmio_atomic_commit(kmio_atomic *a, kmio_error *err)
{
    if (!a || !a->fp) {
        kmio_errorf(err, "kmio_atomic_commit: file is not open");
        return -1;
    }
    FILE *fp = a->fp;
    a->fp = NULL;
    int e = 0;
    if (fflush(fp) != 0)
        e = errno ? errno : EIO;
    else if (ferror(fp))
        e = EIO; /* an earlier write failed; its errno is gone */
    if (a->is_stdout_ == TARGET_STDOUT) {
        if (e) {
            clearerr(fp);
            kmio_errorf(err, "%s: cannot write: %s", a->path_, strerror(e));
            return -1;
        }
        return 0;
    }
    if (!e && a->is_stdout_ == TARGET_TEMP && fsync(fileno(fp)) != 0)
        e = errno;
    if (fclose(fp) != 0 && !e)
        e = errno;
    if (!e && a->is_stdout_ == TARGET_TEMP && rename(a->tmp_, a->path_) != 0)
        e = errno;
    if (e) {
        if (a->is_stdout_ == TARGET_TEMP)
            unlink(a->tmp_);
        kmio_errorf(err, "%s: cannot write: %s", a->path_, strerror(e));
        return -1;
    }
    if (a->is_stdout_ == TARGET_TEMP)
        sync_parent_dir(a->path_);
    return 0;
}

void kmio_atomic_abort(kmio_atomic *a)
{
    if (!a || !a->fp)
        return;
    if (a->is_stdout_ == TARGET_STDOUT) {
        fflush(a->fp);
    } else {
        fclose(a->fp);
        if (a->is_stdout_ == TARGET_TEMP)
            unlink(a->tmp_);
    }
    a->fp = NULL;
}

/* ---- buffered output ----------------------------------------------------- */

typedef struct outbuf {
    FILE *fp;
    int err; /* errno of the first failed write */
    size_t len;
    char buf[1 << 16];
} outbuf;

static void ob_flush(outbuf *o)
{
    if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->fp) != o->len)
        o->err = errno ? errno : EIO;
    o->len = 0;
}

static void ob_write(outbuf *o, const void *p, size_t n)
{
    if (o->len + n > sizeof o->buf)
        ob_flush(o);
    if (n > sizeof o->buf) {
        if (!o->err && fwrite(p, 1, n, o->fp) != n)
            o->err = errno ? errno : EIO;
        return;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

/* Room for any number ob_number writes. */
#define NUM_MAX 40

static size_t fmt_nonfinite(char *s, double v)
{
    const char *t = isnan(v) ? "nan" : v < 0 ? "-inf" : "inf";
    size_t len = strlen(t);
    memcpy(s, t, len + 1);
    return len;
}

/* Shortest of %.15g, %.16g, %.17g that reads back as the same double
   (%.17g always does). */
static size_t fmt_double(char *s, double v)
{
    if (!isfinite(v))
        return fmt_nonfinite(s, v);
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(s, NUM_MAX, "%.*g", prec, v);
        if (prec == 17 || strtod(s, NULL) == v)
            break;
    }
    return (size_t)len;
}

/* The same for float: %.6g to %.9g. */
static size_t fmt_float(char *s, float v)
{
    if (!isfinite(v))
        return fmt_nonfinite(s, (double)v);
    int len = 0;
    for (int prec = 6; prec <= 9; prec++) {
        len = snprintf(s, NUM_MAX, "%.*g", prec, (double)v);
        if (prec == 9 || strtof(s, NULL) == v)
            break;
    }
    return (size_t)len;
}

static void write_csv_matrix(outbuf *o, km_dtype dtype, const void *data,
                             size_t n, size_t d)
{
    char s[NUM_MAX + 1];
    for (size_t i = 0; i < n && !o->err; i++) {
        for (size_t j = 0; j < d; j++) {
            size_t len;
            if (dtype == KM_FLOAT32)
                len = fmt_float(s, ((const float *)data)[i * d + j]);
            else
                len = fmt_double(s, ((const double *)data)[i * d + j]);
            s[len++] = j + 1 < d ? ',' : '\n';
            ob_write(o, s, len);
        }
    }
}

static void write_npy_header(outbuf *o, const char *descr, size_t n, size_t d,
                             int vector)
{
    char dict[160];
    int len;
    if (vector)
        len = snprintf(dict, sizeof dict,
                       "{'descr': '%s', 'fortran_order': False, 'shape': "
                       "(%zu,), }",
                       descr, n);
    else
        len = snprintf(dict, sizeof dict,
                       "{'descr': '%s', 'fortran_order': False, 'shape': "
                       "(%zu, %zu), }",
                       descr, n, d);
    /* numpy pads with spaces so the data start on a 64-byte boundary, and
       ends the header with '\n'. */
    size_t used = 10 + (size_t)len + 1;
    size_t pad = (64 - used % 64) % 64;
    size_t hlen = (size_t)len + pad + 1;
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 0xFF),
                             (unsigned char)(hlen >> 8)};
    ob_write(o, pre, sizeof pre);
    ob_write(o, dict, (size_t)len);
    for (size_t i = 0; i < pad; i++)
        ob_write(o, " ", 1);
    ob_write(o, "\n", 1);
}

/* count elements of size bytes, written little-endian. */
static void write_le(outbuf *o, const void *data, size_t count, size_t size)
{
    const unsigned char *p = data;
    if (kmio_host_is_le()) {
        ob_write(o, p, count * size);
        return;
    }
    for (size_t i = 0; i < count && !o->err; i++) {
        unsigned char b[8];
        for (size_t k = 0; k < size; k++)
            b[k] = p[i * size + size - 1 - k];
        ob_write(o, b, size);
    }
}

/* Open path, run the writer, commit; on a failed write nothing is left. */
static int finish(kmio_atomic *a, outbuf *o, kmio_error *err)
{
    ob_flush(o);
    if (o->err) {
        kmio_errorf(err, "%s: cannot write: %s", a->path_, strerror(o->err));
        kmio_atomic_abort(a);
        return -1;
    }
    return kmio_atomic_commit(a, err);
}

int kmio_write_matrix(const char *path, km_dtype dtype, const void *data,
                      size_t n, size_t d, int as_vector, kmio_error *err)
{
    size_t count, bytes;
    if (!path || (dtype != KM_FLOAT32 && dtype != KM_FLOAT64) ||
        kmio_mul_overflow(n, d, &count) ||
        kmio_mul_overflow(count, dtype == KM_FLOAT32 ? 4 : 8, &bytes) ||
        (!data && count)) {
        kmio_errorf(err, "%s: kmio_write_matrix: invalid argument",
                    path ? path : "(null)");
        return -1;
    }
    (void)bytes;
    kmio_atomic a;
    if (kmio_atomic_open(&a, path, err))
        return -1;
    outbuf *o = malloc(sizeof *o);
    if (!o) {
        kmio_atomic_abort(&a);
        kmio_errorf(err, "%s: out of memory", path);
        return -1;
    }
    o->fp = a.fp;
    o->err = 0;
    o->len = 0;
    if (a.is_stdout_ != TARGET_STDOUT && kmio_path_is_npy(path)) {
        write_npy_header(o, dtype == KM_FLOAT32 ? "<f4" : "<f8", n, d,
                         as_vector && d == 1);
        write_le(o, data, count, dtype == KM_FLOAT32 ? 4 : 8);
    } else {
        write_csv_matrix(o, dtype, data, n, d);
    }
    int rc = finish(&a, o, err);
    free(o);
    return rc;
}

int kmio_write_labels(const char *path, const int32_t *labels, size_t n,
                      kmio_error *err)
{
    size_t bytes;
    if (!path || (!labels && n) || kmio_mul_overflow(n, 4, &bytes)) {
        kmio_errorf(err, "%s: kmio_write_labels: invalid argument",
                    path ? path : "(null)");
        return -1;
    }
    kmio_atomic a;
    if (kmio_atomic_open(&a, path, err))
        return -1;
    outbuf *o = malloc(sizeof *o);
    if (!o) {
        kmio_atomic_abort(&a);
        kmio_errorf(err, "%s: out of memory", path);
        return -1;
    }
    o->fp = a.fp;
    o->err = 0;
    o->len = 0;
    if (a.is_stdout_ != TARGET_STDOUT && kmio_path_is_npy(path)) {
        write_npy_header(o, "<i4", n, 1, 1);
        write_le(o, labels, n, 4);
    } else {
        char s[16];
        for (size_t i = 0; i < n && !o->err; i++) {
            int len = snprintf(s, sizeof s, "%" PRId32 "\n", labels[i]);
            ob_write(o, s, (size_t)len);
        }
    }
    int rc = finish(&a, o, err);
    free(o);
    return rc;
}
