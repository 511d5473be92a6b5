/*
 * test_golden.c - libkmeans against scikit-learn, from the same initial
 * centers.
 *
 * Usage: test_golden CASES_DIR [FILTER]
 *
 * Every *.txt file in CASES_DIR (sorted by name) is one golden case written
 * by tests/golden/make_golden.py: data, optional sample weights, explicit
 * initial centers, parameters, and what scikit-learn's KMeans found with
 * algorithm "lloyd" and with "elkan" (format: tests/golden/README.md).  For
 * each case and algorithm this program fits with km_fit_f64 or km_fit_f32
 * (KM_INIT_ARRAY, n_init 1, the case's max_iter and relative tol) and checks
 *   - labels identical to scikit-learn's,
 *   - n_iter equal,
 *   - centers within 1e-9 (float64) / 1e-4 (float32) of scikit-learn's,
 *     relative to the largest absolute center coordinate of the case,
 *   - inertia within 1e-9 / 1e-4 relative,
 *   - the model's getters (shape, dtype, flags, both center copies).
 * Each failed check prints one line starting with "golden:"; a test fails
 * when any of its checks did.  FILTER, when given, runs only the cases whose
 * file name contains it.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmeans.h"

#define RTOL_F64 1e-9
#define RTOL_F32 1e-4
#define MAX_DIM  100000000u /* sanity bound on n, d, k read from a file */

enum { ALG_LLOYD = 0, ALG_ELKAN = 1, N_ALGS = 2 };
static const char *const alg_names[N_ALGS] = {"lloyd", "elkan"};

/* Our algorithms, each checked against scikit-learn's results of the
   algorithm it reproduces (Hamerly and Yinyang have no scikit-learn twin:
   they must give Lloyd's results). */
#define N_RUNS 4
static const km_algorithm run_algo[N_RUNS] = {KM_ALGO_LLOYD, KM_ALGO_ELKAN,
                                              KM_ALGO_HAMERLY, KM_ALGO_YINYANG};
static const int run_expect[N_RUNS] = {ALG_LLOYD, ALG_ELKAN, ALG_LLOYD,
                                       ALG_LLOYD};
static const char *const run_names[N_RUNS] = {"lloyd", "elkan", "hamerly",
                                              "yinyang"};

enum { STOP_STRICT, STOP_TOL, STOP_MAX_ITER };

/* What scikit-learn found with one algorithm. */
typedef struct expected {
    int present;
    int32_t *labels; /* n */
    double inertia;
    int n_iter;
    int stop;        /* STOP_*: why the reference run stopped */
    double *centers; /* k x d */
} expected;

typedef struct golden_case {
    char name[64];
    int is_f32;
    size_t n, d;
    int k;
    int max_iter;
    double tol;
    int has_weights;
    double *X;    /* n x d */
    double *W;    /* n, or NULL */
    double *init; /* k x d */
    expected exp[N_ALGS];
} golden_case;

/* One cmocka test: a case file and an algorithm. */
typedef struct test_item {
    char title[160];       /* "<file> <algorithm>" */
    const golden_case *gc; /* NULL when the file did not parse */
    const char *parse_error;
    int run; /* index into run_algo */
} test_item;

/* ---------------------------------------------------------------------- */
/* Reading case files                                                      */
/* ---------------------------------------------------------------------- */

typedef struct reader {
    char *p; /* cursor into a NUL-terminated, writable buffer */
    char err[200];
} reader;

static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf) {
        buf[len] = '\0';
        *size = len;
    }
    return buf;
}

/* Blank out comment lines (starting with '#') so the rest is tokens. */
static void strip_comments(char *s)
{
    int at_line_start = 1;
    int in_comment = 0;
    for (; *s; s++) {
        if (at_line_start && *s == '#')
            in_comment = 1;
        at_line_start = (*s == '\n');
        if (*s == '\n')
            in_comment = 0;
        else if (in_comment)
            *s = ' ';
    }
}

/* Next whitespace-separated token, NUL-terminated in place; NULL at end. */
static char *next_token(reader *r)
{
    char *s = r->p;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s == '\0') {
        r->p = s;
        return NULL;
    }
    char *t = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
        s++;
    if (*s)
        *s++ = '\0';
    r->p = s;
    return t;
}

static int fail_read(reader *r, const char *what, const char *tok)
{
    snprintf(r->err, sizeof r->err, "%s (at \"%.40s\")", what,
             tok ? tok : "end of file");
    return -1;
}

static int read_double(reader *r, double *out)
{
    char *t = next_token(r);
    if (!t)
        return fail_read(r, "expected a number", t);
    char *end;
    errno = 0;
    *out = strtod(t, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(*out))
        return fail_read(r, "bad number", t);
    return 0;
}

static int read_long(reader *r, long lo, long hi, long *out)
{
    char *t = next_token(r);
    if (!t)
        return fail_read(r, "expected an integer", t);
    char *end;
    errno = 0;
    *out = strtol(t, &end, 10);
    if (*end != '\0' || errno == ERANGE || *out < lo || *out > hi)
        return fail_read(r, "bad or out-of-range integer", t);
    return 0;
}

static int read_doubles(reader *r, size_t count, double **out)
{
    *out = malloc((count ? count : 1) * sizeof **out);
    if (!*out)
        return fail_read(r, "out of memory", "");
    for (size_t i = 0; i < count; i++)
        if (read_double(r, &(*out)[i]) != 0)
            return -1;
    return 0;
}

static int expect_token(reader *r, const char *want)
{
    char *t = next_token(r);
    if (!t || strcmp(t, want) != 0) {
        char what[64];
        snprintf(what, sizeof what, "expected \"%s\"", want);
        return fail_read(r, what, t);
    }
    return 0;
}

static void free_case(golden_case *gc)
{
    if (!gc)
        return;
    free(gc->X);
    free(gc->W);
    free(gc->init);
    for (int a = 0; a < N_ALGS; a++) {
        free(gc->exp[a].labels);
        free(gc->exp[a].centers);
    }
    free(gc);
}

/* Parse one "expect <alg>" block; the keyword and name are already read. */
static int parse_expected(reader *r, const golden_case *gc, expected *e,
                          char **next)
{
    int have_inertia = 0, have_iter = 0, have_stop = 0;
    char *t;
    while ((t = next_token(r)) != NULL) {
        if (strcmp(t, "labels") == 0) {
            if (e->labels)
                return fail_read(r, "duplicate labels", t);
            e->labels = malloc(gc->n * sizeof *e->labels);
            if (!e->labels)
                return fail_read(r, "out of memory", t);
            for (size_t i = 0; i < gc->n; i++) {
                long v;
                if (read_long(r, 0, gc->k - 1, &v) != 0)
                    return -1;
                e->labels[i] = (int32_t)v;
            }
        } else if (strcmp(t, "inertia") == 0) {
            if (read_double(r, &e->inertia) != 0)
                return -1;
            have_inertia = 1;
        } else if (strcmp(t, "n_iter") == 0) {
            long v;
            if (read_long(r, 1, gc->max_iter, &v) != 0)
                return -1;
            e->n_iter = (int)v;
            have_iter = 1;
        } else if (strcmp(t, "stop") == 0) {
            char *s = next_token(r);
            if (s && strcmp(s, "strict") == 0)
                e->stop = STOP_STRICT;
            else if (s && strcmp(s, "tol") == 0)
                e->stop = STOP_TOL;
            else if (s && strcmp(s, "max_iter") == 0)
                e->stop = STOP_MAX_ITER;
            else
                return fail_read(r, "stop must be strict, tol or max_iter", s);
            have_stop = 1;
        } else if (strcmp(t, "centers") == 0) {
            if (e->centers)
                return fail_read(r, "duplicate centers", t);
            if (read_doubles(r, (size_t)gc->k * gc->d, &e->centers) != 0)
                return -1;
        } else {
            break; /* "expect" or "end": the caller's */
        }
    }
    if (!e->labels || !e->centers || !have_inertia || !have_iter || !have_stop)
        return fail_read(r, "incomplete expect block", t);
    e->present = 1;
    *next = t;
    return 0;
}

/* Parse a case file.  Returns NULL and sets *err (static or in errbuf). */
static golden_case *parse_case(const char *path, char *errbuf, size_t errlen)
{
    size_t size;
    char *text = read_file(path, &size);
    if (!text) {
        snprintf(errbuf, errlen, "cannot read: %s", strerror(errno));
        return NULL;
    }
    strip_comments(text);
    reader r = {text, {0}};
    golden_case *gc = calloc(1, sizeof *gc);
    if (!gc) {
        free(text);
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }

    int rc = 0;
    int have_n = 0, have_d = 0, have_k = 0, have_dtype = 0, have_iter = 0;
    int have_tol = 0, have_w = 0;
    char *t;
    long v;
    /* Header: key value pairs up to "X". */
    while (rc == 0) {
        t = next_token(&r);
        if (!t) {
            rc = fail_read(&r, "no X section", t);
        } else if (strcmp(t, "X") == 0) {
            break;
        } else if (strcmp(t, "name") == 0) {
            char *s = next_token(&r);
            if (!s)
                rc = fail_read(&r, "missing name", s);
            else
                snprintf(gc->name, sizeof gc->name, "%s", s);
        } else if (strcmp(t, "dtype") == 0) {
            char *s = next_token(&r);
            if (s && strcmp(s, "float64") == 0)
                gc->is_f32 = 0;
            else if (s && strcmp(s, "float32") == 0)
                gc->is_f32 = 1;
            else
                rc = fail_read(&r, "dtype must be float64 or float32", s);
            have_dtype = 1;
        } else if (strcmp(t, "n") == 0) {
            rc = read_long(&r, 1, MAX_DIM, &v);
            gc->n = (size_t)v;
            have_n = 1;
        } else if (strcmp(t, "d") == 0) {
            rc = read_long(&r, 1, MAX_DIM, &v);
            gc->d = (size_t)v;
            have_d = 1;
        } else if (strcmp(t, "k") == 0) {
            rc = read_long(&r, 1, MAX_DIM, &v);
            gc->k = (int)v;
            have_k = 1;
        } else if (strcmp(t, "max_iter") == 0) {
            rc = read_long(&r, 1, 1000000000L, &v);
            gc->max_iter = (int)v;
            have_iter = 1;
        } else if (strcmp(t, "tol") == 0) {
            rc = read_double(&r, &gc->tol);
            have_tol = 1;
        } else if (strcmp(t, "weights") == 0) {
            rc = read_long(&r, 0, 1, &v);
            gc->has_weights = (int)v;
            have_w = 1;
        } else {
            rc = fail_read(&r, "unknown header key", t);
        }
    }
    if (rc == 0 && !(have_n && have_d && have_k && have_dtype && have_iter &&
                     have_tol && have_w))
        rc = fail_read(&r, "header incomplete before X", "X");
    if (rc == 0 && gc->n > SIZE_MAX / sizeof(double) / gc->d)
        rc = fail_read(&r, "n * d too large", "X");
    if (rc == 0)
        rc = read_doubles(&r, gc->n * gc->d, &gc->X);
    if (rc == 0 && gc->has_weights) {
        rc = expect_token(&r, "W");
        if (rc == 0)
            rc = read_doubles(&r, gc->n, &gc->W);
    }
    if (rc == 0)
        rc = expect_token(&r, "init");
    if (rc == 0)
        rc = read_doubles(&r, (size_t)gc->k * gc->d, &gc->init);
    /* expect blocks, then "end". */
    t = rc == 0 ? next_token(&r) : NULL;
    while (rc == 0) {
        if (t && strcmp(t, "end") == 0)
            break;
        if (!t || strcmp(t, "expect") != 0) {
            rc = fail_read(&r, "expected \"expect\" or \"end\"", t);
            break;
        }
        char *alg = next_token(&r);
        int a = -1;
        for (int i = 0; i < N_ALGS; i++)
            if (alg && strcmp(alg, alg_names[i]) == 0)
                a = i;
        if (a < 0)
            rc = fail_read(&r, "unknown algorithm", alg);
        else if (gc->exp[a].present)
            rc = fail_read(&r, "duplicate expect block", alg);
        else
            rc = parse_expected(&r, gc, &gc->exp[a], &t);
    }
    for (int a = 0; rc == 0 && a < N_ALGS; a++)
        if (!gc->exp[a].present)
            rc = fail_read(&r, "missing expect block", alg_names[a]);

    if (rc != 0) {
        snprintf(errbuf, errlen, "%s", r.err);
        free_case(gc);
        gc = NULL;
    }
    free(text);
    return gc;
}

/* ---------------------------------------------------------------------- */
/* The test                                                                */
/* ---------------------------------------------------------------------- */

static int report(int *nfail, const char *title, const char *fmt, ...)
{
    va_list ap;
    printf("golden: %s: ", title);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return ++*nfail;
}

/* Run one fit and compare; returns the number of failed checks. */
static int check_fit(const test_item *it)
{
    const golden_case *gc = it->gc;
    const expected *e = &gc->exp[run_expect[it->run]];
    const char *title = it->title;
    const size_t n = gc->n, d = gc->d, k = (size_t)gc->k;
    const size_t kd = k * d;
    const double rtol = gc->is_f32 ? RTOL_F32 : RTOL_F64;
    int nfail = 0;

    km_params p;
    km_params_init(&p);
    p.n_clusters = gc->k;
    p.init = KM_INIT_ARRAY;
    p.init_centers = gc->init;
    p.n_init = 1;
    p.max_iter = gc->max_iter;
    p.tol = gc->tol;
    p.algorithm = run_algo[it->run];
    p.seed = 0;
    p.n_threads = 0;

    int32_t *labels = malloc(n * sizeof *labels);
    double *centers = malloc(kd * sizeof *centers);
    float *centers32 = malloc(kd * sizeof *centers32);
    float *X32 = NULL, *W32 = NULL;
    km_model *model = NULL;
    int rc = KM_ERR_NOMEM;

    if (!labels || !centers || !centers32) {
        report(&nfail, title, "test out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        labels[i] = -1;

    if (gc->is_f32) {
        /* The file holds float32 values written exactly as doubles. */
        X32 = malloc(n * d * sizeof *X32);
        W32 = gc->W ? malloc(n * sizeof *W32) : NULL;
        if (!X32 || (gc->W && !W32)) {
            report(&nfail, title, "test out of memory");
            goto done;
        }
        for (size_t i = 0; i < n * d; i++)
            X32[i] = (float)gc->X[i];
        for (size_t i = 0; gc->W && i < n; i++)
            W32[i] = (float)gc->W[i];
        rc = km_fit_f32(&p, X32, n, d, W32, &model, labels);
    } else {
        rc = km_fit_f64(&p, gc->X, n, d, gc->W, &model, labels);
    }
    if (rc != KM_OK) {
        report(&nfail, title, "km_fit_%s returned %d (%s)",
               gc->is_f32 ? "f32" : "f64", rc, km_strerror(rc));
        goto done;
    }
    if (!model) {
        report(&nfail, title, "km_fit returned KM_OK but no model");
        goto done;
    }

    /* Labels, identical. */
    size_t nbad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (labels[i] != e->labels[i] && nbad++ == 0)
            first = i;
    if (nbad)
        report(&nfail, title,
               "labels differ at %zu of %zu rows; first at row %zu: "
               "got %d, sklearn %d",
               nbad, n, first, (int)labels[first], (int)e->labels[first]);

    /* n_iter, equal. */
    if (km_model_n_iter(model) != e->n_iter)
        report(&nfail, title, "n_iter %d, sklearn %d", km_model_n_iter(model),
               e->n_iter);

    /* Inertia, relative. */
    const double inertia = km_model_inertia(model);
    const double ierr = fabs(inertia - e->inertia);
    if (!(ierr <= rtol * fabs(e->inertia)) &&
        !(e->inertia == 0.0 && ierr <= rtol))
        report(&nfail, title,
               "inertia %.17g, sklearn %.17g (rel err %.3g > %g)", inertia,
               e->inertia, e->inertia != 0.0 ? ierr / fabs(e->inertia) : ierr,
               rtol);

    /* Centers, relative to the largest absolute expected coordinate. */
    rc = km_model_centers_f64(model, centers);
    if (rc != KM_OK) {
        report(&nfail, title, "km_model_centers_f64 returned %d (%s)", rc,
               km_strerror(rc));
    } else {
        double scale = 0.0, worst = -1.0;
        size_t wi = 0;
        for (size_t i = 0; i < kd; i++)
            if (fabs(e->centers[i]) > scale)
                scale = fabs(e->centers[i]);
        if (scale == 0.0)
            scale = 1.0;
        for (size_t i = 0; i < kd; i++) {
            const double err = fabs(centers[i] - e->centers[i]);
            if (!(err <= worst)) { /* also catches NaN */
                worst = err;
                wi = i;
            }
        }
        if (!(worst <= rtol * scale))
            report(&nfail, title,
                   "centers differ: worst center %zu feature %zu: got %.17g, "
                   "sklearn %.17g (err %.3g > %g * %.3g)",
                   wi / d, wi % d, centers[wi], e->centers[wi], worst, rtol,
                   scale);

        /* The float32 copy is the float64 one converted (or the stored
           float32 centers, which convert exactly to double). */
        rc = km_model_centers_f32(model, centers32);
        if (rc != KM_OK) {
            report(&nfail, title, "km_model_centers_f32 returned %d (%s)", rc,
                   km_strerror(rc));
        } else {
            for (size_t i = 0; i < kd; i++) {
                if (centers32[i] != (float)centers[i]) {
                    report(&nfail, title,
                           "km_model_centers_f32[%zu] = %.9g but "
                           "km_model_centers_f64 gives %.17g",
                           i, (double)centers32[i], centers[i]);
                    break;
                }
            }
        }
    }

    /* Getters. */
    if (km_model_n_clusters(model) != gc->k)
        report(&nfail, title, "km_model_n_clusters %d, want %d",
               km_model_n_clusters(model), gc->k);
    if (km_model_n_features(model) != d)
        report(&nfail, title, "km_model_n_features %zu, want %zu",
               km_model_n_features(model), d);
    if (km_model_n_samples(model) != n)
        report(&nfail, title, "km_model_n_samples %zu, want %zu",
               km_model_n_samples(model), n);
    const km_dtype want_dtype = gc->is_f32 ? KM_FLOAT32 : KM_FLOAT64;
    if (km_model_dtype(model) != want_dtype)
        report(&nfail, title, "km_model_dtype %d, want %d",
               (int)km_model_dtype(model), (int)want_dtype);

    /* Flags: converged unless scikit-learn ran out of iterations; fewer
       clusters when sklearn's labels use fewer than k values. */
    const unsigned flags = km_model_flags(model);
    const int want_conv = e->stop != STOP_MAX_ITER;
    if (!!(flags & KM_FLAG_CONVERGED) != want_conv)
        report(&nfail, title, "KM_FLAG_CONVERGED %s, sklearn stopped by %s",
               (flags & KM_FLAG_CONVERGED) ? "set" : "clear",
               e->stop == STOP_STRICT ? "strict convergence"
               : e->stop == STOP_TOL  ? "center shift <= tol"
                                      : "max_iter");
    size_t distinct = 0;
    for (size_t j = 0; j < k; j++) {
        for (size_t i = 0; i < n; i++) {
            if ((size_t)e->labels[i] == j) {
                distinct++;
                break;
            }
        }
    }
    const int want_fewer = distinct < k;
    if (!!(flags & KM_FLAG_FEWER_CLUSTERS) != want_fewer)
        report(&nfail, title,
               "KM_FLAG_FEWER_CLUSTERS %s, sklearn has %zu distinct labels "
               "for k = %zu",
               (flags & KM_FLAG_FEWER_CLUSTERS) ? "set" : "clear", distinct, k);

done:
    km_model_free(model);
    free(labels);
    free(centers);
    free(centers32);
    free(X32);
    free(W32);
    return nfail;
}

static void test_golden_case(void **state)
{
    const test_item *it = *state;
    int nfail;
    if (!it->gc) {
        printf("golden: %s: cannot parse case file: %s\n", it->title,
               it->parse_error);
        nfail = 1;
    } else {
        nfail = check_fit(it);
    }
    /* All memory is released before failing (cmocka's fail longjmps). */
    if (nfail)
        fail_msg("%s: %d check(s) failed", it->title, nfail);
}

/* ---------------------------------------------------------------------- */
/* Main: one test per case file and algorithm                             */
/* ---------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s CASES_DIR [FILTER]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    const char *filter = argc == 3 ? argv[2] : NULL;

    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "golden: cannot open %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t nnames = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (!ends_with(de->d_name, ".txt") ||
            (filter && !strstr(de->d_name, filter)))
            continue;
        if (nnames == cap) {
            cap = cap ? 2 * cap : 32;
            char **bigger = realloc(names, cap * sizeof *names);
            if (!bigger) {
                fprintf(stderr, "golden: out of memory\n");
                return 1;
            }
            names = bigger;
        }
        names[nnames] = malloc(strlen(de->d_name) + 1);
        if (!names[nnames]) {
            fprintf(stderr, "golden: out of memory\n");
            return 1;
        }
        strcpy(names[nnames++], de->d_name);
    }
    closedir(dp);
    if (nnames == 0) {
        fprintf(stderr, "golden: no case files (*.txt) in %s%s%s\n", dir,
                filter ? " matching " : "", filter ? filter : "");
        free(names);
        return 1;
    }
    qsort(names, nnames, sizeof *names, cmp_names);

    golden_case **cases = calloc(nnames, sizeof *cases);
    char(*errors)[256] = calloc(nnames, sizeof *errors);
    test_item *items = calloc(nnames * N_RUNS, sizeof *items);
    struct CMUnitTest *tests = calloc(nnames * N_RUNS, sizeof *tests);
    if (!cases || !errors || !items || !tests) {
        fprintf(stderr, "golden: out of memory\n");
        return 1;
    }
    const size_t dlen = strlen(dir);
    for (size_t f = 0; f < nnames; f++) {
        char *path = malloc(dlen + strlen(names[f]) + 2);
        if (!path) {
            fprintf(stderr, "golden: out of memory\n");
            return 1;
        }
        sprintf(path, "%s/%s", dir, names[f]);
        cases[f] = parse_case(path, errors[f], sizeof errors[f]);
        free(path);
        for (int a = 0; a < N_RUNS; a++) {
            test_item *it = &items[f * N_RUNS + (size_t)a];
            snprintf(it->title, sizeof it->title, "%s %s", names[f],
                     run_names[a]);
            it->gc = cases[f];
            it->parse_error = errors[f];
            it->run = a;
            struct CMUnitTest *t = &tests[f * N_RUNS + (size_t)a];
            t->name = it->title;
            t->test_func = test_golden_case;
            t->initial_state = it;
        }
    }

    /* cmocka_run_group_tests() wants a static array; this is the function
       it expands to, for a table built at run time. */
    const int failed =
        _cmocka_run_group_tests("golden", tests, nnames * N_RUNS, NULL, NULL);

    for (size_t f = 0; f < nnames; f++) {
        free_case(cases[f]);
        free(names[f]);
    }
    free(cases);
    free(errors);
    free(items);
    free(tests);
    free(names);
    return failed;
}
