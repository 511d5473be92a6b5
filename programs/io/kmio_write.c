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

#include <assert.h>
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

int kmio_matrix_make_writable(kmio_matrix *m, kmio_error *err)
{
    if (!m || !m->map_)
        return 0;
    size_t elem = m->dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    size_t count, bytes;
    void *copy = NULL;
    if (!kmio_mul_overflow(m->n, m->d, &count) &&
        !kmio_mul_overflow(count, elem, &bytes))
        copy = malloc(bytes ? bytes : 1);
    if (!copy) {
        kmio_errorf(err, "out of memory copying a %zu x %zu matrix", m->n,
                    m->d);
        return -1;
    }
    memcpy(copy, m->data, bytes);
    munmap(m->map_, m->map_len_);
    m->map_ = NULL;
    m->map_len_ = 0;
    m->data = copy;
    m->owned_ = copy;
    return 0;
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

/* Room for any number the CSV writer formats. */
#define NUM_MAX 40

/*
 * Number formatting.  printf's %.17g costs about as much as everything
 * else in writing a CSV, and finding the shortest round-trip form takes up
 * to three of them, so the digits are computed here with exact integer
 * arithmetic: x = m * 2^b, and the p-digit decimal is round(x * 10^k) for
 * k = p - 1 - floor(log10 x), a 128-bit quotient.  The remainder of that
 * division also says whether the p digits read back as x (they must lie
 * within half a gap between x and its neighbours), so the common case needs
 * no parsing either.  Values whose quantities do not fit in 128 bits go
 * through snprintf and a parse.
 */
typedef struct fmt_digits {
    uint64_t digits; /* exactly prec digits */
    int exp10;       /* x = digits * 10^(exp10 - prec + 1), rounded */
    int roundtrip;   /* 1 reads back as x, 0 does not, -1 unknown */
} fmt_digits;

#if defined(KMIO_HAVE_U128)
static int pow10_u128(int k, kmio_u128 *out)
{
    static const uint64_t p10[20] = {1u,
                                     10u,
                                     100u,
                                     1000u,
                                     10000u,
                                     100000u,
                                     1000000u,
                                     10000000u,
                                     100000000u,
                                     1000000000u,
                                     10000000000u,
                                     100000000000u,
                                     1000000000000u,
                                     10000000000000u,
                                     100000000000000u,
                                     1000000000000000u,
                                     10000000000000000u,
                                     100000000000000000u,
                                     1000000000000000000u,
                                     10000000000000000000u};
    if (k < 0 || k > 38)
        return 0;
    *out = k < 20 ? (kmio_u128)p10[k] : (kmio_u128)p10[19] * p10[k - 19];
    return 1;
}

/* Sign of mult * d - t, where mult * d may not fit. */
static int cmp_scaled(kmio_u128 d, unsigned mult, kmio_u128 t)
{
    kmio_u128 md;
    if (__builtin_mul_overflow(d, (kmio_u128)mult, &md))
        return 1;
    return md < t ? -1 : md > t;
}

/*
 * q = round(m * 2^b * 10^k), half to even, and whether q * 10^-k reads
 * back as m * 2^b (known when k >= 0 and b < 0, the usual case: then the
 * denominator is 2^-b and the gap between x and its neighbours, scaled the
 * same way, is exactly 10^k).  Returns 0 when out of range.
 */
static int scaled_round(uint64_t m, int b, int k, kmio_u128 *out,
                        int *roundtrip)
{
    kmio_u128 num = m, den = 1, ten_k = 1;
    if (k >= 0) {
        if (!pow10_u128(k, &ten_k) || __builtin_mul_overflow(num, ten_k, &num))
            return 0;
    } else if (!pow10_u128(-k, &den)) {
        return 0;
    }
    if (b > 0) {
        if (b > 127 || (num >> (128 - b)) != 0)
            return 0;
        num <<= b;
    } else if (b < 0) {
        if (b < -127 || (den >> (128 + b)) != 0)
            return 0;
        den <<= -b;
    }
    kmio_u128 q, r;
    if (k >= 0) {
        q = b < 0 ? num >> -b : num;
        r = b < 0 ? num & (den - 1) : 0;
    } else {
        q = num / den;
        r = num % den;
    }
    int up = r > den - r || (r == den - r && (q & 1));
    if (up)
        q++;
    *out = q;
    *roundtrip = -1;
    if (k >= 0 && b < 0) {
        kmio_u128 dist = up ? den - r : r;
        /* Below a power of two the lower neighbour is half as far. */
        unsigned mult = !up && r && m == (uint64_t)1 << 52 ? 4 : 2;
        int c = cmp_scaled(dist, mult, ten_k);
        *roundtrip = c < 0 || (c == 0 && !(m & 1));
    }
    return 1;
}

/* The prec-digit decimal of x = m * 2^b > 0; *E is the estimate of
   floor(log10 x) on entry and the decimal exponent on return. */
static int exact_digits(uint64_t m, int b, int prec, int *E, fmt_digits *out)
{
    kmio_u128 lo, hi;
    if (!pow10_u128(prec - 1, &lo) || !pow10_u128(prec, &hi))
        return 0;
    for (int tries = 0; tries < 4; tries++) {
        kmio_u128 q;
        int rt;
        if (!scaled_round(m, b, prec - 1 - *E, &q, &rt))
            return 0;
        if (q >= hi) {
            ++*E;
        } else if (q < lo) {
            --*E;
        } else {
            out->digits = (uint64_t)q;
            out->exp10 = *E;
            out->roundtrip = rt;
            return 1;
        }
    }
    return 0;
}
#endif

/* x = m * 2^b with m < 2^53, and an estimate of floor(log10 x) (x > 0). */
static void decompose(double x, uint64_t *m, int *b, int *E)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int expo = (int)(bits >> 52 & 0x7FF);
    *m = bits & (((uint64_t)1 << 52) - 1);
    if (expo == 0) {
        *b = -1074;
    } else {
        *m |= (uint64_t)1 << 52;
        *b = expo - 1075;
    }
    /* log10(2) ~ 78913 / 2^18; off by at most one, which exact_digits
       corrects. */
    long e2 = (long)*b + 52;
    *E = (int)(e2 >= 0 ? e2 * 78913 / 262144
                       : -((-e2 * 78913 + 262143) / 262144));
}

/* printf's %g layout of digits: fixed or exponent form, trailing zeros
   dropped. */
static size_t layout_g(char *dst, int neg, const fmt_digits *fd, int prec)
{
    char dig[20];
    uint64_t digits = fd->digits;
    for (int i = prec - 1; i >= 0; i--) {
        dig[i] = (char)('0' + digits % 10);
        digits /= 10;
    }
    int nd = prec;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    int X = fd->exp10;
    char *o = dst;
    if (neg)
        *o++ = '-';
    if (X < -4 || X >= prec) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = X < 0 ? '-' : '+';
        int ax = X < 0 ? -X : X;
        if (ax >= 100)
            *o++ = (char)('0' + ax / 100);
        *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
    } else if (X >= 0) {
        for (int i = 0; i <= X; i++)
            *o++ = i < nd ? dig[i] : '0';
        if (nd > X + 1) {
            *o++ = '.';
            memcpy(o, dig + X + 1, (size_t)(nd - X - 1));
            o += nd - X - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -X - 1; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)nd);
        o += nd;
    }
    *o = '\0';
    return (size_t)(o - dst);
}

/* %.*g of v into dst; *roundtrip as in fmt_digits. */
static size_t format_g(char *dst, double v, int prec, int *roundtrip)
{
    assert(prec >= 1 && prec <= 17 && isfinite(v));
    *roundtrip = -1;
    if (v == 0) {
        strcpy(dst, signbit(v) ? "-0" : "0");
        *roundtrip = 1;
        return strlen(dst);
    }
#if defined(KMIO_HAVE_U128)
    uint64_t m;
    int b, E;
    fmt_digits fd;
    decompose(fabs(v), &m, &b, &E);
    if (exact_digits(m, b, prec, &E, &fd)) {
        *roundtrip = fd.roundtrip;
        return layout_g(dst, v < 0, &fd, prec);
    }
#endif
    return (size_t)snprintf(dst, NUM_MAX, "%.*g", prec, v);
}

size_t kmio_format_g(char *dst, double v, int prec)
{
    int rt;
    return format_g(dst, v, prec, &rt);
}

static size_t fmt_nonfinite(char *s, double v)
{
    const char *t = isnan(v) ? "nan" : v < 0 ? "-inf" : "inf";
    size_t len = strlen(t);
    memcpy(s, t, len + 1);
    return len;
}

/* The value s reads back as, by the reader's own conversion. */
static double read_back(const char *s, size_t len)
{
    double r = NAN;
    const char *end;
    if (!kmio_parse_double(s, s + len, &r, &end) || end != s + len)
        return NAN;
    return r;
}

size_t kmio_format_f64(char *s, double v)
{
    if (!isfinite(v))
        return fmt_nonfinite(s, v);
    size_t len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        int rt;
        len = format_g(s, v, prec, &rt);
        if (rt < 0)
            rt = read_back(s, len) == v;
        if (rt || prec == 17)
            break;
    }
    return len;
}

size_t kmio_format_f32(char *s, float v)
{
    if (!isfinite(v))
        return fmt_nonfinite(s, (double)v);
    for (int prec = 6; prec <= 9; prec++) {
        size_t len = kmio_format_g(s, (double)v, prec);
        if ((float)read_back(s, len) == v)
            return len;
    }
    return kmio_format_g(s, (double)v, 17); /* exact as a double */
}

static void write_csv_matrix(outbuf *o, km_dtype dtype, const void *data,
                             size_t n, size_t d)
{
    char s[NUM_MAX + 1];
    for (size_t i = 0; i < n && !o->err; i++) {
        for (size_t j = 0; j < d; j++) {
            size_t len;
            if (dtype == KM_FLOAT32)
                len = kmio_format_f32(s, ((const float *)data)[i * d + j]);
            else
                len = kmio_format_f64(s, ((const double *)data)[i * d + j]);
            s[len++] = j + 1 < d ? ',' : '\n';
            ob_write(o, s, len);
        }
    }
}

static void write_npy_header(outbuf *o, const char *descr, size_t n, size_t d,
                             int vector)
{
    char shape[64];
    if (vector)
        snprintf(shape, sizeof shape, "(%zu,)", n);
    else
        snprintf(shape, sizeof shape, "(%zu, %zu)", n, d);
    /* 10 bytes of magic, version and length, then the dict padded with
       spaces and ended by '\n' so the data start 64-byte aligned, as numpy
       writes it. */
    char hdr[256];
    int len = snprintf(hdr + 10, sizeof hdr - 10,
                       "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       descr, shape);
    size_t used = 10 + (size_t)len + 1;
    size_t total = (used + 63) / 64 * 64;
    size_t hlen = total - 10;
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = (char)(hlen & 0xFF);
    hdr[9] = (char)(hlen >> 8);
    memset(hdr + 10 + len, ' ', total - used);
    hdr[total - 1] = '\n';
    ob_write(o, hdr, total);
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

/* Open path for an atomic write through a new output buffer. */
static outbuf *begin(kmio_atomic *a, const char *path, kmio_error *err)
{
    if (kmio_atomic_open(a, path, err))
        return NULL;
    outbuf *o = malloc(sizeof *o);
    if (!o) {
        kmio_atomic_abort(a);
        kmio_errorf(err, "%s: out of memory", path);
        return NULL;
    }
    o->fp = a->fp;
    o->err = 0;
    o->len = 0;
    return o;
}

/* Commit, or after a failed write remove the temporary file. */
static int finish(kmio_atomic *a, outbuf *o, kmio_error *err)
{
    ob_flush(o);
    int rc;
    if (o->err) {
        kmio_errorf(err, "%s: cannot write: %s", a->path_, strerror(o->err));
        kmio_atomic_abort(a);
        rc = -1;
    } else {
        rc = kmio_atomic_commit(a, err);
    }
    free(o);
    return rc;
}

int kmio_write_matrix(const char *path, km_dtype dtype, const void *data,
                      size_t n, size_t d, int as_vector, kmio_error *err)
{
    size_t elem = dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    size_t count, bytes;
    if (!path || (dtype != KM_FLOAT32 && dtype != KM_FLOAT64) ||
        kmio_mul_overflow(n, d, &count) ||
        kmio_mul_overflow(count, elem, &bytes) || (!data && count)) {
        kmio_errorf(err, "%s: kmio_write_matrix: invalid argument",
                    path ? path : "(null)");
        return -1;
    }
    kmio_atomic a;
    outbuf *o = begin(&a, path, err);
    if (!o)
        return -1;
    if (a.is_stdout_ != TARGET_STDOUT && kmio_path_is_npy(path)) {
        write_npy_header(o, dtype == KM_FLOAT32 ? "<f4" : "<f8", n, d,
                         as_vector && d == 1);
        write_le(o, data, count, elem);
    } else {
        write_csv_matrix(o, dtype, data, n, d);
    }
    return finish(&a, o, err);
}

int kmio_write_labels(const char *path, const int32_t *labels, size_t n,
                      kmio_error *err)
{
    size_t bytes;
    if (!path || (!labels && n) ||
        kmio_mul_overflow(n, sizeof *labels, &bytes)) {
        kmio_errorf(err, "%s: kmio_write_labels: invalid argument",
                    path ? path : "(null)");
        return -1;
    }
    kmio_atomic a;
    outbuf *o = begin(&a, path, err);
    if (!o)
        return -1;
    if (a.is_stdout_ != TARGET_STDOUT && kmio_path_is_npy(path)) {
        write_npy_header(o, "<i4", n, 1, 1);
        write_le(o, labels, n, sizeof *labels);
    } else {
        char s[16];
        for (size_t i = 0; i < n && !o->err; i++) {
            int len = snprintf(s, sizeof s, "%" PRId32 "\n", labels[i]);
            ob_write(o, s, (size_t)len);
        }
    }
    return finish(&a, o, err);
}
