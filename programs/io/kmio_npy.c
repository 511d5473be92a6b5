/*
 * kmio_npy.c - the NumPy .npy reader.
 *
 * Format (numpy/lib/format.py, NEP 1): the magic "\x93NUMPY", a major and a
 * minor version byte, the header length (2 bytes little-endian in version
 * 1, 4 bytes in versions 2 and 3), then the header: a Python dict literal
 * with exactly the keys 'descr', 'fortran_order' and 'shape', padded with
 * spaces and ended by '\n'.  The data follow, n * d elements of descr.
 *
 * A file is memory-mapped read-only.  When the data already are floats of
 * the wanted type, in native byte order and aligned for it, the matrix
 * points into the map and nothing is copied, so files larger than memory
 * work; anything else is converted into a malloc'ed array.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmio_internal.h"

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

typedef struct npy_type {
    char kind;   /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    size_t size; /* bytes per element */
    int swap;    /* byte order differs from the host's */
} npy_type;

typedef struct npy_header {
    npy_type type;
    int have_descr, have_fortran, have_shape;
    int fortran;
    size_t ndim;
    size_t shape[2];
    char shape_text[64]; /* as written, for messages */
} npy_header;

typedef struct hparser {
    const char *name;
    const char *p;
    const char *e;
    kmio_error *err;
} hparser;

static void skip_ws(hparser *h)
{
    while (h->p < h->e &&
           (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static int header_error(hparser *h, const char *what)
{
    kmio_errorf(h->err, "%s: bad .npy header: %s", h->name, what);
    return -1;
}

static int expect(hparser *h, char c, const char *what)
{
    skip_ws(h);
    if (h->p >= h->e || *h->p != c)
        return header_error(h, what);
    h->p++;
    return 0;
}

/* A quoted Python string (no escapes occur in the keys and dtypes we
   accept), copied into dst. */
static int parse_string(hparser *h, char *dst, size_t cap)
{
    skip_ws(h);
    if (h->p >= h->e || (*h->p != '\'' && *h->p != '"'))
        return header_error(h, "expected a quoted string");
    char quote = *h->p++;
    const char *s = h->p;
    while (h->p < h->e && *h->p != quote)
        h->p++;
    if (h->p >= h->e)
        return header_error(h, "unterminated string");
    size_t len = (size_t)(h->p - s);
    h->p++;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

static int parse_descr(hparser *h, npy_type *t)
{
    skip_ws(h);
    if (h->p < h->e && (*h->p == '[' || *h->p == '{')) {
        kmio_errorf(h->err,
                    "%s: unsupported dtype: structured arrays are not "
                    "supported (use a plain float or integer array)",
                    h->name);
        return -1;
    }
    char s[32];
    if (parse_string(h, s, sizeof s))
        return -1;
    const char *q = s;
    char order = '|';
    if (*q == '<' || *q == '>' || *q == '|' || *q == '=')
        order = *q++;
    char kind = *q ? *q++ : '\0';
    size_t size = 0;
    int digits = 0;
    while (*q >= '0' && *q <= '9' && digits < 3) {
        size = size * 10 + (size_t)(*q++ - '0');
        digits++;
    }
    int ok = !*q && digits > 0;
    if (ok) {
        switch (kind) {
        case 'f':
            ok = size == 4 || size == 8;
            break;
        case 'i':
        case 'u':
            ok = size == 1 || size == 2 || size == 4 || size == 8;
            break;
        case 'b':
            ok = size == 1;
            break;
        default:
            ok = 0;
        }
    }
    if (!ok) {
        kmio_errorf(h->err,
                    "%s: unsupported dtype '%s' (supported: float32, "
                    "float64, int8-int64, uint8-uint64, bool)",
                    h->name, s);
        return -1;
    }
    int little = kmio_host_is_le();
    t->kind = kind;
    t->size = size;
    t->swap =
        size > 1 && ((order == '<' && !little) || (order == '>' && little));
    return 0;
}

static int parse_bool(hparser *h, int *v)
{
    skip_ws(h);
    size_t left = (size_t)(h->e - h->p);
    if (left >= 4 && memcmp(h->p, "True", 4) == 0) {
        *v = 1;
        h->p += 4;
    } else if (left >= 5 && memcmp(h->p, "False", 5) == 0) {
        *v = 0;
        h->p += 5;
    } else {
        return header_error(h, "fortran_order is not True or False");
    }
    return 0;
}

static int parse_shape(hparser *h, npy_header *H)
{
    skip_ws(h);
    const char *start = h->p;
    if (expect(h, '(', "shape is not a tuple"))
        return -1;
    H->ndim = 0;
    for (;;) {
        skip_ws(h);
        if (h->p < h->e && *h->p == ')')
            break;
        if (h->p >= h->e || *h->p < '0' || *h->p > '9')
            return header_error(h, "shape is not a tuple of integers");
        size_t v = 0;
        while (h->p < h->e && *h->p >= '0' && *h->p <= '9') {
            size_t digit = (size_t)(*h->p++ - '0');
            if (v > (SIZE_MAX - digit) / 10)
                return header_error(h, "shape dimension too large");
            v = v * 10 + digit;
        }
        if (h->p < h->e && *h->p == 'L') /* Python 2's long literals */
            h->p++;
        if (H->ndim < 2)
            H->shape[H->ndim] = v;
        H->ndim++;
        skip_ws(h);
        if (h->p < h->e && *h->p == ',') {
            h->p++;
            continue;
        }
        if (h->p < h->e && *h->p == ')')
            break;
        return header_error(h, "shape is not a tuple of integers");
    }
    h->p++;
    size_t len = (size_t)(h->p - start);
    if (len >= sizeof H->shape_text) {
        len = sizeof H->shape_text - 4;
        memcpy(H->shape_text + len, "...", 4);
        memcpy(H->shape_text, start, len);
    } else {
        memcpy(H->shape_text, start, len);
        H->shape_text[len] = '\0';
    }
    return 0;
}

static int parse_header(hparser *h, npy_header *H)
{
    if (expect(h, '{', "not a dictionary"))
        return -1;
    for (;;) {
        skip_ws(h);
        if (h->p < h->e && *h->p == '}')
            break;
        char key[32];
        if (parse_string(h, key, sizeof key))
            return -1;
        if (expect(h, ':', "expected ':' after a key"))
            return -1;
        int rc;
        if (strcmp(key, "descr") == 0) {
            rc = parse_descr(h, &H->type);
            H->have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            rc = parse_bool(h, &H->fortran);
            H->have_fortran = 1;
        } else if (strcmp(key, "shape") == 0) {
            rc = parse_shape(h, H);
            H->have_shape = 1;
        } else {
            kmio_errorf(h->err, "%s: bad .npy header: unexpected key '%s'",
                        h->name, key);
            return -1;
        }
        if (rc)
            return -1;
        skip_ws(h);
        if (h->p < h->e && *h->p == ',') {
            h->p++;
            continue;
        }
        if (h->p < h->e && *h->p == '}')
            break;
        return header_error(h, "expected ',' or '}'");
    }
    h->p++;
    skip_ws(h);
    if (h->p != h->e)
        return header_error(h, "text after the dictionary");
    if (!H->have_descr)
        return header_error(h, "no 'descr'");
    if (!H->have_fortran)
        return header_error(h, "no 'fortran_order'");
    if (!H->have_shape)
        return header_error(h, "no 'shape'");
    return 0;
}

static void load_bytes(unsigned char *b, const unsigned char *p,
                       const npy_type *t)
{
    if (t->swap) {
        for (size_t i = 0; i < t->size; i++)
            b[i] = p[t->size - 1 - i];
    } else {
        memcpy(b, p, t->size);
    }
}

/* Element loaders by kind: floats widen to double exactly, integers come
   back in 64 bits so each converts to the target type with one rounding
   (int64 -> double -> float could round twice). */
static double load_float(const unsigned char *p, const npy_type *t)
{
    unsigned char b[8];
    load_bytes(b, p, t);
    if (t->size == 4) {
        float v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    double v;
    memcpy(&v, b, sizeof v);
    return v;
}

static int64_t load_int(const unsigned char *p, const npy_type *t)
{
    unsigned char b[8];
    load_bytes(b, p, t);
    if (t->kind == 'b')
        return b[0] != 0;
    switch (t->size) {
    case 1: {
        int8_t v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    case 2: {
        int16_t v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    case 4: {
        int32_t v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    default: {
        int64_t v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    }
}

static uint64_t load_uint(const unsigned char *p, const npy_type *t)
{
    unsigned char b[8];
    load_bytes(b, p, t);
    switch (t->size) {
    case 1:
        return b[0];
    case 2: {
        uint16_t v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, b, sizeof v);
        return v;
    }
    }
}

static float load_f32(const unsigned char *p, const npy_type *t)
{
    switch (t->kind) {
    case 'f':
        return (float)load_float(p, t);
    case 'u':
        return (float)load_uint(p, t);
    default:
        return (float)load_int(p, t);
    }
}

static double load_f64(const unsigned char *p, const npy_type *t)
{
    switch (t->kind) {
    case 'f':
        return load_float(p, t);
    case 'u':
        return (double)load_uint(p, t);
    default:
        return (double)load_int(p, t);
    }
}

static void element_error(const char *name, size_t i, size_t d,
                          const char *what, kmio_error *err)
{
    kmio_errorf(err, "%s: row %zu, column %zu: value %s", name, i / d + 1,
                i % d + 1, what);
}

/* Convert count elements at src into a new array of dtype. */
static void *convert(const char *name, const unsigned char *src,
                     const npy_type *t, size_t count, size_t d, km_dtype dtype,
                     int allow_nonfinite, kmio_error *err)
{
    size_t out_size = dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    size_t bytes;
    void *dst = NULL;
    if (!kmio_mul_overflow(count, out_size, &bytes))
        dst = malloc(bytes ? bytes : 1);
    if (!dst) {
        kmio_errorf(err, "%s: out of memory for %zu values", name, count);
        return NULL;
    }
    int check = !allow_nonfinite && t->kind == 'f';
    if (dtype == KM_FLOAT32) {
        float *o = dst;
        for (size_t i = 0; i < count; i++) {
            float v = load_f32(src + i * t->size, t);
            if (check && !isfinite(v)) {
                int was_finite =
                    t->size == 8 && isfinite(load_f64(src + i * t->size, t));
                element_error(name, i, d,
                              was_finite ? "is out of range for float32"
                                         : "is not finite",
                              err);
                free(dst);
                return NULL;
            }
            o[i] = v;
        }
    } else {
        double *o = dst;
        for (size_t i = 0; i < count; i++) {
            double v = load_f64(src + i * t->size, t);
            if (check && !isfinite(v)) {
                element_error(name, i, d, "is not finite", err);
                free(dst);
                return NULL;
            }
            o[i] = v;
        }
    }
    return dst;
}

static int check_finite(const char *name, const void *data, km_dtype dtype,
                        size_t count, size_t d, kmio_error *err)
{
    if (dtype == KM_FLOAT32) {
        const float *x = data;
        for (size_t i = 0; i < count; i++)
            if (!isfinite(x[i])) {
                element_error(name, i, d, "is not finite", err);
                return -1;
            }
    } else {
        const double *x = data;
        for (size_t i = 0; i < count; i++)
            if (!isfinite(x[i])) {
                element_error(name, i, d, "is not finite", err);
                return -1;
            }
    }
    return 0;
}

int kmio_npy_read_mem(const char *name, const void *buf, size_t len,
                      kmio_want want, int allow_nonfinite, int borrow,
                      kmio_matrix *out, kmio_error *err)
{
    const unsigned char *u = buf;
    memset(out, 0, sizeof *out);
    if (len == 0) {
        kmio_errorf(err, "%s: empty file, not a .npy file", name);
        return -1;
    }
    size_t head = len < sizeof npy_magic ? len : sizeof npy_magic;
    if (memcmp(u, npy_magic, head) != 0) {
        kmio_errorf(err, "%s: not a .npy file (bad magic)", name);
        return -1;
    }
    if (len < 8) {
        kmio_errorf(err, "%s: truncated .npy header", name);
        return -1;
    }
    unsigned major = u[6], minor = u[7];
    size_t pre, hlen;
    if (major == 1) {
        pre = 10;
        if (len < pre)
            goto truncated_header;
        hlen = (size_t)u[8] | (size_t)u[9] << 8;
    } else if (major == 2 || major == 3) {
        pre = 12;
        if (len < pre)
            goto truncated_header;
        uint32_t h32 = (uint32_t)u[8] | (uint32_t)u[9] << 8 |
                       (uint32_t)u[10] << 16 | (uint32_t)u[11] << 24;
        hlen = (size_t)h32; /* POSIX: size_t has at least 32 bits */
    } else {
        kmio_errorf(err, "%s: unsupported .npy format version %u.%u", name,
                    major, minor);
        return -1;
    }
    if (hlen > len - pre)
        goto truncated_header;

    npy_header H = {0};
    hparser h = {name, (const char *)u + pre, (const char *)u + pre + hlen,
                 err};
    if (parse_header(&h, &H))
        return -1;

    if (H.ndim != 1 && H.ndim != 2) {
        kmio_errorf(err, "%s: shape %s is not 1-D or 2-D", name, H.shape_text);
        return -1;
    }
    size_t n = H.shape[0];
    size_t d = H.ndim == 2 ? H.shape[1] : 1;
    /* Fortran and C order lay out a vector or a single row or column the
       same way, so only a true matrix in Fortran order is refused. */
    if (H.fortran && n > 1 && d > 1) {
        kmio_errorf(err,
                    "%s: fortran_order True is not supported; save a C-order "
                    "array (numpy.ascontiguousarray)",
                    name);
        return -1;
    }
    if (n == 0) {
        kmio_errorf(err, "%s: no data rows (shape %s)", name, H.shape_text);
        return -1;
    }
    if (d == 0) {
        kmio_errorf(err, "%s: no columns (shape %s)", name, H.shape_text);
        return -1;
    }
    size_t count, nbytes;
    if (kmio_mul_overflow(n, d, &count) ||
        kmio_mul_overflow(count, H.type.size, &nbytes)) {
        kmio_errorf(err, "%s: shape %s is too large", name, H.shape_text);
        return -1;
    }
    size_t offset = pre + hlen;
    if (nbytes > len - offset) {
        kmio_errorf(err,
                    "%s: truncated: shape %s needs %zu bytes of data, the "
                    "file has %zu",
                    name, H.shape_text, nbytes, len - offset);
        return -1;
    }

    km_dtype dtype;
    if (want == KMIO_WANT_F32)
        dtype = KM_FLOAT32;
    else if (want == KMIO_WANT_F64)
        dtype = KM_FLOAT64;
    else
        dtype =
            H.type.kind == 'f' && H.type.size == 4 ? KM_FLOAT32 : KM_FLOAT64;
    size_t out_size = dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    const unsigned char *src = u + offset;
    int in_place = borrow && H.type.kind == 'f' && H.type.size == out_size &&
                   !H.type.swap && (uintptr_t)src % out_size == 0;
    if (in_place) {
        if (!allow_nonfinite && check_finite(name, src, dtype, count, d, err))
            return -1;
        out->data = (void *)(uintptr_t)src;
    } else {
        out->data =
            convert(name, src, &H.type, count, d, dtype, allow_nonfinite, err);
        if (!out->data)
            return -1;
        out->owned_ = out->data;
    }
    out->dtype = dtype;
    out->n = n;
    out->d = d;
    return 0;

truncated_header:
    kmio_errorf(err, "%s: truncated .npy header", name);
    return -1;
}

int kmio_npy_read_file(const char *path, kmio_want want, int allow_nonfinite,
                       kmio_matrix *out, kmio_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        kmio_errorf(err, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        kmio_errorf(err, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    void *map = MAP_FAILED;
    size_t len = 0;
    if (S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uintmax_t)st.st_size <= (uintmax_t)SIZE_MAX) {
        len = (size_t)st.st_size;
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    }
    if (map != MAP_FAILED) {
        close(fd);
        int rc = kmio_npy_read_mem(path, map, len, want, allow_nonfinite, 1,
                                   out, err);
        if (rc == 0 && !out->owned_) {
            out->map_ = map;
            out->map_len_ = len;
        } else {
            munmap(map, len);
        }
        return rc;
    }

    /* Pipes, devices and file systems that cannot map: read it all. */
    char *buf;
    int rc = kmio_read_fd_all(fd, path, &buf, &len, err);
    close(fd);
    if (rc)
        return -1;
    rc = kmio_npy_read_mem(path, buf, len, want, allow_nonfinite, 1, out, err);
    if (rc == 0 && !out->owned_)
        out->owned_ = buf; /* data points into buf: free it with the matrix */
    else
        free(buf);
    return rc;
}
