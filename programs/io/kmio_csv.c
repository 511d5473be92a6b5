/*
 * kmio_csv.c - the CSV reader and kmio_read_matrix's dispatch by extension.
 *
 * The whole input is read into one NUL-terminated buffer and parsed in a
 * single pass: each line is found with memchr, each field converted in
 * place by kmio_parse_double (exact integer arithmetic for ordinary
 * numbers, strtod for the rest; the terminator keeps strtod from running
 * off the end), and values are appended to an array grown geometrically.
 * Error positions are recomputed only when an error is reported, so the
 * common path does no column bookkeeping.
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmio_internal.h"

typedef enum csv_sep { SEP_COMMA, SEP_TAB, SEP_SPACE } csv_sep;

typedef struct csv_parser {
    const char *name;
    int want_f32;
    int allow_nonfinite;
    kmio_error *err;
    double *vals;
    size_t n_vals;
    size_t cap;
    size_t d; /* fields per row, set by the first data row */
    size_t n_rows;
    size_t first_line; /* line number of the first data row */
} csv_parser;

/* How many characters of a field a message quotes. */
#define FIELD_QUOTE_MAX 40

static int is_blank(char c, csv_sep sep)
{
    return c == ' ' || (c == '\t' && sep != SEP_TAB);
}

static const char *skip_blanks(const char *p, const char *e, csv_sep sep)
{
    while (p < e && is_blank(*p, sep))
        p++;
    return p;
}

static int is_sep(char c, csv_sep sep)
{
    switch (sep) {
    case SEP_COMMA:
        return c == ',';
    case SEP_TAB:
        return c == '\t';
    case SEP_SPACE:
        return c == ' ' || c == '\t';
    }
    return 0;
}

static csv_sep detect_sep(const char *p, const char *e)
{
    size_t len = (size_t)(e - p);
    if (memchr(p, ',', len))
        return SEP_COMMA;
    if (memchr(p, '\t', len))
        return SEP_TAB;
    return SEP_SPACE;
}

/* 1-based column of pos on the line starting at line, counted in UTF-8
   characters (continuation bytes do not start a character). */
static size_t column_of(const char *line, const char *pos)
{
    size_t col = 1;
    for (const char *p = line; p < pos; p++)
        if (((unsigned char)*p & 0xC0u) != 0x80u)
            col++;
    return col;
}

/* End of the field starting at start (already past leading blanks): the
   next separator or the end of the line, less trailing blanks. */
static const char *field_end(const char *start, const char *e, csv_sep sep)
{
    const char *p = start;
    while (p < e && !is_sep(*p, sep))
        p++;
    while (p > start && is_blank(p[-1], sep))
        p--;
    return p;
}

/* A printable, bounded copy of [s, e) for messages. */
static void quote_field(char *dst, size_t cap, const char *s, const char *e)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    size_t shown = 0;
    for (; s < e && shown < FIELD_QUOTE_MAX; s++, shown++) {
        unsigned char c = (unsigned char)*s;
        if (o + 5 >= cap)
            break;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 0xFu];
        }
    }
    if (s < e && o + 4 < cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

#if defined(KMIO_HAVE_U128)
static int clz128(kmio_u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    if (hi)
        return __builtin_clzll(hi);
    return 64 + __builtin_clzll((uint64_t)x);
}

/* n * 2^bexp rounded to double (half to even); sticky says the true value
   lies a little above n. */
static double round_u128(kmio_u128 n, int sticky, int bexp)
{
    int msb = 127 - clz128(n);
    if (msb <= 52) {
        assert(!sticky);
        return ldexp((double)(uint64_t)n, bexp);
    }
    int shift = msb - 52;
    uint64_t m = (uint64_t)(n >> shift);
    kmio_u128 rem = n & (((kmio_u128)1 << shift) - 1);
    kmio_u128 half = (kmio_u128)1 << (shift - 1);
    if (rem > half || (rem == half && (sticky || (m & 1))))
        m++;
    if (m >> 53) {
        m >>= 1;
        shift++;
    }
    return ldexp((double)m, shift + bexp);
}
#endif

/*
 * w * 10^e10 correctly rounded, when that can be done exactly here.
 * Clinger's fast path: w and 10^|e10| are exact doubles, so one IEEE
 * multiplication or division rounds correctly.  Otherwise, with 128-bit
 * integers: w * 10^e10 exactly for e10 >= 0, or a 128-by-64-bit division
 * with the remainder as sticky bit for e10 < 0.
 */
static int exact_decimal(uint64_t w, long e10, double *v)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#if FLT_EVAL_METHOD == 0
    if (w <= (uint64_t)1 << 53 && e10 >= -22 && e10 <= 22) {
        *v = e10 >= 0 ? (double)w * p10[e10] : (double)w / p10[-e10];
        return 1;
    }
#endif
#if defined(KMIO_HAVE_U128)
    if (e10 >= -19 && e10 <= 19) {
        uint64_t pw = 1;
        for (long i = 0; i < (e10 < 0 ? -e10 : e10); i++)
            pw *= 10;
        if (e10 >= 0) {
            *v = round_u128((kmio_u128)w * pw, 0, 0);
        } else {
            int s = 64 + __builtin_clzll(w);
            kmio_u128 n = (kmio_u128)w << s;
            kmio_u128 q = n / pw;
            int sticky = n % pw != 0;
            *v = round_u128(q, sticky, -s);
        }
        return 1;
    }
#endif
    (void)p10;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Plain decimal numbers of at most 19 significant digits; anything else
   (hex, inf, nan, long mantissas, huge exponents) is left to strtod. */
static int fast_number(const char *p, double *v, const char **end)
{
    const char *q = p;
    int neg = *q == '-';
    if (*q == '+' || *q == '-')
        q++;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
        return 0;
    uint64_t w = 0;
    int nd = 0;
    int any = 0;
    long e10 = 0;
    for (; *q == '0'; q++)
        any = 1;
    for (; is_digit(*q); q++, any = 1) {
        if (nd == 19)
            return 0;
        w = w * 10 + (uint64_t)(*q - '0');
        nd++;
    }
    if (*q == '.') {
        q++;
        if (w == 0)
            for (; *q == '0'; q++, any = 1)
                e10--;
        for (; is_digit(*q); q++, any = 1) {
            if (nd == 19)
                return 0;
            w = w * 10 + (uint64_t)(*q - '0');
            nd++;
            e10--;
        }
    }
    if (!any)
        return 0;
    if (*q == 'e' || *q == 'E') {
        const char *t = q + 1;
        int eneg = *t == '-';
        if (*t == '+' || *t == '-')
            t++;
        if (!is_digit(*t))
            return 0;
        long ev = 0;
        for (; is_digit(*t); t++)
            if (ev < 100000)
                ev = ev * 10 + (*t - '0');
        e10 += eneg ? -ev : ev;
        q = t;
    }
    double x;
    if (w == 0)
        x = 0.0;
    else if (!exact_decimal(w, e10, &x))
        return 0;
    *v = neg ? -x : x;
    *end = q;
    return 1;
}

int kmio_parse_double(const char *p, const char *e, double *v, const char **end)
{
    if (p >= e)
        return 0;
    char c = *p;
    /* strtod would also skip leading white space, even a newline. */
    if (!(is_digit(c) || c == '+' || c == '-' || c == '.' || c == 'i' ||
          c == 'I' || c == 'n' || c == 'N'))
        return 0;
    const char *q;
    if (!fast_number(p, v, &q)) {
        char *t;
        *v = strtod(p, &t);
        q = t;
    }
    if (q == p || q > e)
        return 0;
    *end = q;
    return 1;
}

/* The first field of a line that is not a number. */
typedef struct bad_field {
    size_t index;
    const char *start;
    const char *end;
} bad_field;

static int append_value(csv_parser *P, double v)
{
    if (P->n_vals == P->cap) {
        size_t cap = P->cap ? P->cap : 4096;
        size_t bytes;
        if (P->cap) {
            if (kmio_mul_overflow(cap, 2, &cap))
                goto nomem;
        }
        if (kmio_mul_overflow(cap, sizeof(double), &bytes))
            goto nomem;
        double *nv = realloc(P->vals, bytes);
        if (!nv)
            goto nomem;
        P->vals = nv;
        P->cap = cap;
    }
    P->vals[P->n_vals++] = v;
    return 0;
nomem:
    kmio_errorf(P->err, "%s: out of memory after %zu values", P->name,
                P->n_vals);
    return -1;
}

/* Split the line [line, e) into fields: a number with optional blanks
   around it, then a separator or the end of the line.  With P == NULL it
   only checks that every field is a number (header detection); otherwise
   the values are appended.  Returns the field count, 0 on a field that is
   not a number (described in *bad), or -1 on an error already reported. */
static long long scan_line(csv_parser *P, const char *line, const char *e,
                           size_t lineno, csv_sep sep, bad_field *bad)
{
    size_t nf = 0;
    const char *q = line;
    for (;;) {
        q = skip_blanks(q, e, sep);
        if (sep == SEP_SPACE && q == e)
            break;
        nf++;
        const char *start = q;
        const char *num_end = q;
        double v = 0;
        int ok = kmio_parse_double(q, e, &v, &num_end);
        if (ok) {
            q = skip_blanks(num_end, e, sep);
            if (q < e) {
                if (sep == SEP_SPACE)
                    ok = q > num_end;
                else
                    ok = is_sep(*q, sep);
            }
        }
        if (!ok) {
            bad->index = nf;
            bad->start = start;
            bad->end = field_end(start, e, sep);
            return 0;
        }
        if (P) {
            if (!P->allow_nonfinite) {
                int nonfinite = !isfinite(v);
                int overflow32 = !nonfinite && P->want_f32 && isinf((float)v);
                if (nonfinite || overflow32) {
                    char text[4 * FIELD_QUOTE_MAX + 8];
                    quote_field(text, sizeof text, start, num_end);
                    kmio_errorf(P->err, "%s:%zu:%zu: field %zu %s (%s)",
                                P->name, lineno, column_of(line, start), nf,
                                nonfinite ? "is not finite"
                                          : "is out of range for float32",
                                text);
                    return -1;
                }
            }
            if (append_value(P, v))
                return -1;
        }
        if (q == e)
            break;
        if (sep != SEP_SPACE)
            q++;
    }
    return (long long)nf;
}

static void report_bad_field(csv_parser *P, const char *line, size_t lineno,
                             const bad_field *bad)
{
    size_t col = column_of(line, bad->start);
    if (bad->start == bad->end) {
        kmio_errorf(P->err, "%s:%zu:%zu: field %zu is empty", P->name, lineno,
                    col, bad->index);
    } else {
        char text[4 * FIELD_QUOTE_MAX + 8];
        quote_field(text, sizeof text, bad->start, bad->end);
        kmio_errorf(P->err, "%s:%zu:%zu: field %zu is not a number (\"%s\")",
                    P->name, lineno, col, bad->index, text);
    }
}

/* Content that is certainly not CSV text gets a message saying what it
   looks like, rather than a parse error at line 1. */
static int reject_binary(const char *name, const char *buf, size_t len,
                         kmio_error *err)
{
    const unsigned char *u = (const unsigned char *)buf;
    if (len >= 2 &&
        ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
        kmio_errorf(err, "%s: looks like UTF-16 text; save it as UTF-8", name);
        return -1;
    }
    if (len >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0) {
        kmio_errorf(err,
                    "%s: looks like a .npy file, but only names ending in "
                    ".npy are read as .npy",
                    name);
        return -1;
    }
    return 0;
}

/* Narrow the parsed doubles to float in place (each float lands at or
   before the double it came from, so a forward pass is safe). */
static float *narrow_in_place(double *vals, size_t n)
{
    unsigned char *bytes = (unsigned char *)vals;
    for (size_t i = 0; i < n; i++) {
        double v;
        memcpy(&v, bytes + i * sizeof(double), sizeof v);
        float f = (float)v;
        memcpy(bytes + i * sizeof(float), &f, sizeof f);
    }
    void *shrunk = realloc(vals, n * sizeof(float));
    return shrunk ? shrunk : (float *)(void *)vals;
}

int kmio_csv_read_mem(const char *name, const char *buf, size_t len,
                      kmio_want want, int allow_nonfinite, kmio_matrix *out,
                      kmio_error *err)
{
    memset(out, 0, sizeof *out);
    if (reject_binary(name, buf, len, err))
        return -1;

    csv_parser P = {0};
    P.name = name;
    P.want_f32 = want == KMIO_WANT_F32;
    P.allow_nonfinite = allow_nonfinite;
    P.err = err;

    const char *p = buf;
    const char *end = buf + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;

    size_t lineno = 0;
    int seen_first = 0;
    csv_sep sep = SEP_SPACE;
    bad_field bad;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        const char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r')
            e--;
        const char *first = skip_blanks(p, e, SEP_SPACE);
        if (first == e || *first == '#') {
            p = next;
            continue;
        }
        if (!seen_first) {
            /* The header is split with its own separator: only the first
               data row decides the data's separator. */
            seen_first = 1;
            if (scan_line(NULL, p, e, lineno, detect_sep(p, e), &bad) == 0) {
                p = next;
                continue;
            }
        }
        if (P.n_rows == 0)
            sep = detect_sep(p, e);
        long long nf = scan_line(&P, p, e, lineno, sep, &bad);
        if (nf < 0)
            goto fail;
        if (nf == 0) {
            report_bad_field(&P, p, lineno, &bad);
            goto fail;
        }
        if (P.n_rows == 0) {
            P.d = (size_t)nf;
            P.first_line = lineno;
        } else if ((size_t)nf != P.d) {
            kmio_errorf(err,
                        "%s:%zu: row has %lld fields, expected %zu (as "
                        "line %zu)",
                        name, lineno, nf, P.d, P.first_line);
            goto fail;
        }
        P.n_rows++;
        p = next;
    }
    if (P.n_rows == 0) {
        kmio_errorf(err, "%s: no data rows", name);
        goto fail;
    }

    out->n = P.n_rows;
    out->d = P.d;
    if (P.want_f32) {
        out->dtype = KM_FLOAT32;
        out->data = narrow_in_place(P.vals, P.n_vals);
    } else {
        out->dtype = KM_FLOAT64;
        double *shrunk = realloc(P.vals, P.n_vals * sizeof(double));
        out->data = shrunk ? shrunk : P.vals;
    }
    out->owned_ = out->data;
    return 0;

fail:
    free(P.vals);
    return -1;
}

int kmio_read_fd_all(int fd, const char *name, char **bufp, size_t *lenp,
                     kmio_error *err)
{
    /* A regular file's size makes the usual case one allocation and one
       read; pipes and growing files fall back to doubling. */
    size_t cap = (size_t)1 << 16;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uintmax_t)st.st_size < (uintmax_t)SIZE_MAX - 1)
        cap = (size_t)st.st_size + 2;
    char *buf = malloc(cap);
    if (!buf) {
        kmio_errorf(err, "%s: out of memory reading the file", name);
        return -1;
    }
    size_t len = 0;
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap;
            char *nb = NULL;
            if (!kmio_mul_overflow(cap, 2, &ncap))
                nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                kmio_errorf(err, "%s: out of memory reading the file", name);
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + len, cap - 1 - len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            kmio_errorf(err, "%s: cannot read: %s", name, strerror(errno));
            free(buf);
            return -1;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    buf[len] = '\0';
    *bufp = buf;
    *lenp = len;
    return 0;
}

static int kmio_path_is_npy_n(const char *path, size_t len);

int kmio_csv_read_file(const char *path, kmio_want want, int allow_nonfinite,
                       kmio_matrix *out, kmio_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        kmio_errorf(err, "%s: cannot open: %s", name, strerror(errno));
        return -1;
    }
    char *buf;
    size_t len;
    int rc = kmio_read_fd_all(fd, name, &buf, &len, err);
    if (!is_stdin)
        close(fd);
    if (rc)
        return -1;
    if (kmio_is_gzip(buf, len)) {
        /* name.gz: inflate, then read as the name without .gz says. */
        char *plain;
        size_t plain_len, nlen = strlen(path);

        rc = kmio_gunzip(name, buf, len, &plain, &plain_len, err);
        free(buf);
        if (rc)
            return -1;
        if (!is_stdin && nlen > 7 && strcmp(path + nlen - 3, ".gz") == 0 &&
            kmio_path_is_npy_n(path, nlen - 3))
            rc = kmio_npy_read_mem(name, plain, plain_len, want,
                                   allow_nonfinite, 0, out, err);
        else
            rc = kmio_csv_read_mem(name, plain, plain_len, want,
                                   allow_nonfinite, out, err);
        free(plain);
        return rc;
    }
    rc = kmio_csv_read_mem(name, buf, len, want, allow_nonfinite, out, err);
    free(buf);
    return rc;
}

int kmio_path_is_npy(const char *path)
{
    return kmio_path_is_npy_n(path, strlen(path));
}

/* The first len characters of path end in ".npy" (any case). */
static int kmio_path_is_npy_n(const char *path, size_t len)
{
    if (len < 4)
        return 0;
    const char *ext = path + len - 4;
    return ext[0] == '.' && (ext[1] == 'n' || ext[1] == 'N') &&
           (ext[2] == 'p' || ext[2] == 'P') && (ext[3] == 'y' || ext[3] == 'Y');
}

int kmio_read_matrix(const char *path, kmio_want want, int allow_nonfinite,
                     kmio_matrix *out, kmio_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out ||
        (want != KMIO_WANT_NATIVE && want != KMIO_WANT_F32 &&
         want != KMIO_WANT_F64)) {
        kmio_errorf(err, "%s: kmio_read_matrix: invalid argument",
                    path ? path : "(null)");
        return -1;
    }
    if (kmio_path_is_npy(path))
        return kmio_npy_read_file(path, want, allow_nonfinite, out, err);
    return kmio_csv_read_file(path, want, allow_nonfinite, out, err);
}
