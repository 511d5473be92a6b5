/*
 * test_model_io.c - the model file (docs/model-format.md): round trips in
 * both precisions, the exact byte layout, every rejection on load, and the
 * atomic save.
 *
 * Bad files are made by mutating a valid serialization.  Most mutations
 * are followed by recomputing the CRC so that the check under test is the
 * field or structure check, not the checksum.  The CRC here is a bitwise
 * implementation independent of the library's table.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmeans.h"
#include "model/km_model_internal.h"

/* Offsets of the canonical layout written by km_model_save_mem. */
#define OFF_VERSION 8
#define OFF_HFLAGS  12
#define OFF_PARM    16 /* section header */
#define OFF_PARM_P  28 /* payload */
#define OFF_FITR    68
#define OFF_FITR_P  80
#define OFF_CENT    124
#define OFF_CENT_P  136
#define FIXED_LEN   152 /* file size without the CENT payload */
#define P_NCLUSTERS (OFF_PARM_P + 0)
#define P_INIT      (OFF_PARM_P + 4)
#define P_NINIT     (OFF_PARM_P + 8)
#define P_MAXITER   (OFF_PARM_P + 12)
#define P_TOL       (OFF_PARM_P + 16)
#define P_ALGO      (OFF_PARM_P + 24)
#define P_SEED      (OFF_PARM_P + 28)
#define P_NTHREADS  (OFF_PARM_P + 36)
#define F_DTYPE     (OFF_FITR_P + 0)
#define F_K         (OFF_FITR_P + 4)
#define F_D         (OFF_FITR_P + 12)
#define F_NSAMPLES  (OFF_FITR_P + 20)
#define F_INERTIA   (OFF_FITR_P + 28)
#define F_NITER     (OFF_FITR_P + 36)
#define F_FLAGS     (OFF_FITR_P + 40)

/* ---- helpers ---- */

static uint32_t ref_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void wr_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void wr_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void wr_f64(unsigned char *p, double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof u);
    wr_u64(p, u);
}

static void wr_f32(unsigned char *p, float v)
{
    uint32_t u;

    memcpy(&u, &v, sizeof u);
    wr_u32(p, u);
}

static void fix_crc(unsigned char *buf, size_t size)
{
    wr_u32(buf + size - 4, ref_crc32(buf, size - 4));
}

static km_model *make_model(km_dtype dtype, int k, size_t d)
{
    km_model *m = km_model_alloc(k, d);
    size_t kd = (size_t)k * d;

    assert_non_null(m);
    m->dtype = dtype;
    for (size_t i = 0; i < kd; i++) {
        /* values whose bits are easy to lose: fractions, negatives, tiny
           and huge magnitudes, -0.0 */
        double v = ((double)i - 3.3) / 7.0 * pow(10.0, (double)(i % 9) - 4);
        if (i == 1)
            v = -0.0;
        if (dtype == KM_FLOAT32)
            m->centers32[i] = (float)v;
        else
            m->centers64[i] = v;
    }
    if (dtype == KM_FLOAT32 && kd > 2)
        m->centers32[2] = 1e-40f; /* subnormal */
    if (dtype == KM_FLOAT64 && kd > 2)
        m->centers64[2] = 4.9e-324; /* smallest subnormal */
    km_model_sync(m);
    m->n_samples = 1000 + (size_t)k;
    m->inertia = 12345.678901234567;
    m->n_iter = 17;
    m->flags = KM_FLAG_CONVERGED;
    m->params.n_clusters = k;
    m->params.init = KM_INIT_RANDOM;
    m->params.n_init = 7;
    m->params.max_iter = 123;
    m->params.tol = 3.5e-7;
    m->params.algorithm = KM_ALGO_ELKAN;
    m->params.seed = 0xFEDCBA9876543210u;
    m->params.n_threads = 3;
    return m;
}

static void assert_models_equal(const km_model *a, const km_model *b)
{
    size_t kd = (size_t)a->k * a->d;
    km_params pa, pb;

    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->d, b->d);
    assert_int_equal(a->n_samples, b->n_samples);
    assert_memory_equal(&a->inertia, &b->inertia, sizeof a->inertia);
    assert_int_equal(a->n_iter, b->n_iter);
    assert_int_equal(a->flags, b->flags);
    assert_memory_equal(a->centers64, b->centers64, kd * sizeof(double));
    assert_memory_equal(a->centers32, b->centers32, kd * sizeof(float));
    km_model_params(a, &pa);
    km_model_params(b, &pb);
    assert_int_equal(pa.n_clusters, pb.n_clusters);
    assert_int_equal(pa.init, pb.init);
    assert_int_equal(pa.n_init, pb.n_init);
    assert_int_equal(pa.max_iter, pb.max_iter);
    assert_memory_equal(&pa.tol, &pb.tol, sizeof pa.tol);
    assert_int_equal(pa.algorithm, pb.algorithm);
    assert_true(pa.seed == pb.seed);
    assert_int_equal(pa.n_threads, pb.n_threads);
    assert_null(b->params.init_centers);
    assert_null(b->params.log);
    assert_null(b->params.log_user);
}

/* A valid serialization of a k = 3, d = 4 model. */
static unsigned char *valid_buf(km_dtype dtype, size_t *size)
{
    km_model *m = make_model(dtype, 3, 4);
    void *buf = NULL;

    assert_int_equal(km_model_save_mem(m, &buf, size), KM_OK);
    km_model_free(m);
    return buf;
}

static int load_status(const unsigned char *buf, size_t size)
{
    static km_model sentinel;
    km_model *m = &sentinel; /* must be set to NULL on failure */
    int st = km_model_load_mem(buf, size, &m);

    if (st == KM_OK)
        assert_non_null(m);
    else
        assert_null(m);
    km_model_free(m);
    return st;
}

/* A copy of a valid f64 buffer with a u32/u64/f64 field overwritten and the
   CRC recomputed; returns the load status. */
enum { W32, W64, WF64, WF32 };
static int load_with_field(km_dtype dtype, size_t off, int kind, uint64_t u,
                           double f)
{
    size_t size;
    unsigned char *buf = valid_buf(dtype, &size);
    int st;

    switch (kind) {
    case W32:
        wr_u32(buf + off, (uint32_t)u);
        break;
    case W64:
        wr_u64(buf + off, u);
        break;
    case WF64:
        wr_f64(buf + off, f);
        break;
    default:
        wr_f32(buf + off, (float)f);
        break;
    }
    fix_crc(buf, size);
    st = load_status(buf, size);
    free(buf);
    return st;
}

/* A file assembled from sections: header, each (tag, payload), CRC. */
typedef struct sec {
    const char *tag;
    const unsigned char *data;
    uint64_t len; /* written as the length field */
    size_t n;     /* bytes actually written */
} sec;

static unsigned char *assemble(const sec *s, int ns, size_t *size)
{
    size_t total = 16 + 4, pos;
    unsigned char *buf;

    for (int i = 0; i < ns; i++)
        total += 12 + s[i].n;
    buf = malloc(total);
    assert_non_null(buf);
    memcpy(buf, "KMEANSMD", 8);
    wr_u32(buf + 8, 1);
    wr_u32(buf + 12, 0);
    pos = 16;
    for (int i = 0; i < ns; i++) {
        memcpy(buf + pos, s[i].tag, 4);
        wr_u64(buf + pos + 4, s[i].len);
        if (s[i].n > 0)
            memcpy(buf + pos + 12, s[i].data, s[i].n);
        pos += 12 + s[i].n;
    }
    fix_crc(buf, total);
    *size = total;
    return buf;
}

/* The sections of a valid k = 3, d = 4 float64 file. */
typedef struct parts {
    unsigned char *buf;
    size_t size;
    sec parm, fitr, cent, end;
} parts;

static parts get_parts(void)
{
    parts p;
    size_t cl = 3 * 4 * 8;

    p.buf = valid_buf(KM_FLOAT64, &p.size);
    p.parm = (sec){"PARM", p.buf + OFF_PARM_P, 40, 40};
    p.fitr = (sec){"FITR", p.buf + OFF_FITR_P, 44, 44};
    p.cent = (sec){"CENT", p.buf + OFF_CENT_P, cl, cl};
    p.end = (sec){"END ", NULL, 0, 0};
    return p;
}

static int load_sections(const sec *s, int ns)
{
    size_t size;
    unsigned char *buf = assemble(s, ns, &size);
    int st = load_status(buf, size);

    free(buf);
    return st;
}

/* ---- temporary directory ---- */

static char tmpdir[4096];

static void tmp_path(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", tmpdir, name);

    assert_true(n > 0 && (size_t)n < cap);
}

/* Number of entries in tmpdir whose name starts with prefix. */
static int count_prefix(const char *prefix)
{
    DIR *dir = opendir(tmpdir);
    struct dirent *e;
    int n = 0;

    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(dir);
    return n;
}

static int setup_dir(void **state)
{
    const char *base = getenv("KM_TEST_TMP");

    (void)state;
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/test_model_io.%ld", base,
             (long)getpid());
    return mkdir(tmpdir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static int teardown_dir(void **state)
{
    DIR *dir = opendir(tmpdir);
    struct dirent *e;
    char path[8192];

    (void)state;
    if (dir == NULL)
        return 0;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        if (remove(path) != 0)
            rmdir(path);
    }
    closedir(dir);
    rmdir(tmpdir);
    return 0;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void write_file(const char *path, const void *buf, size_t size)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}

/* ---- round trips ---- */

static void roundtrip_mem(km_dtype dtype, int k, size_t d)
{
    km_model *m = make_model(dtype, k, d), *back = NULL;
    void *buf = NULL, *buf2 = NULL;
    size_t size = 0, size2 = 0;
    size_t elem = dtype == KM_FLOAT32 ? 4 : 8;

    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_OK);
    assert_int_equal(size, FIXED_LEN + (size_t)k * d * elem);
    assert_int_equal(km_model_load_mem(buf, size, &back), KM_OK);
    assert_models_equal(m, back);
    /* and the bytes are a fixed point */
    assert_int_equal(km_model_save_mem(back, &buf2, &size2), KM_OK);
    assert_int_equal(size, size2);
    assert_memory_equal(buf, buf2, size);
    km_model_free(m);
    km_model_free(back);
    free(buf);
    free(buf2);
}

static void test_roundtrip_mem_f32(void **state)
{
    (void)state;
    roundtrip_mem(KM_FLOAT32, 3, 4);
    roundtrip_mem(KM_FLOAT32, 1, 1);
    roundtrip_mem(KM_FLOAT32, 17, 65);
}

static void test_roundtrip_mem_f64(void **state)
{
    (void)state;
    roundtrip_mem(KM_FLOAT64, 3, 4);
    roundtrip_mem(KM_FLOAT64, 1, 1);
    roundtrip_mem(KM_FLOAT64, 17, 65);
}

static void roundtrip_file(km_dtype dtype, int k, size_t d)
{
    km_model *m = make_model(dtype, k, d), *back = NULL;
    char path[8192];
    void *mem = NULL;
    unsigned char *disk;
    size_t mem_size = 0, disk_size = 0;

    tmp_path(path, sizeof path, "roundtrip.kmm");
    assert_int_equal(km_model_save(m, path), KM_OK);
    assert_int_equal(km_model_load(path, &back), KM_OK);
    assert_models_equal(m, back);
    /* the file holds exactly the in-memory serialization */
    assert_int_equal(km_model_save_mem(m, &mem, &mem_size), KM_OK);
    disk = read_file(path, &disk_size);
    assert_int_equal(mem_size, disk_size);
    assert_memory_equal(mem, disk, mem_size);
    assert_int_equal(count_prefix("roundtrip.kmm.tmp"), 0);
    assert_int_equal(remove(path), 0);
    free(mem);
    free(disk);
    km_model_free(m);
    km_model_free(back);
}

static void test_roundtrip_file_f32(void **state)
{
    (void)state;
    roundtrip_file(KM_FLOAT32, 3, 4);
    roundtrip_file(KM_FLOAT32, 50, 700); /* larger than any stdio buffer */
}

static void test_roundtrip_file_f64(void **state)
{
    (void)state;
    roundtrip_file(KM_FLOAT64, 3, 4);
    roundtrip_file(KM_FLOAT64, 50, 700);
}

static void test_default_params_roundtrip(void **state)
{
    km_model *m = km_model_alloc(2, 3), *back = NULL;
    void *buf = NULL;
    size_t size = 0;

    (void)state;
    assert_non_null(m);
    for (size_t i = 0; i < 6; i++)
        m->centers64[i] = (double)i;
    km_model_sync(m);
    m->n_samples = 0; /* unknown */
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_OK);
    assert_int_equal(km_model_load_mem(buf, size, &back), KM_OK);
    assert_models_equal(m, back);
    km_model_free(m);
    km_model_free(back);
    free(buf);
}

/* The exact bytes of a small model: the example in docs/model-format.md,
   computed there with Python's struct and zlib.crc32. */
static void test_layout_golden(void **state)
{
    static const unsigned char expect[168] = {
        0x4b, 0x4d, 0x45, 0x41, 0x4e, 0x53, 0x4d, 0x44, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x50, 0x41, 0x52, 0x4d, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x2c, 0x01, 0x00, 0x00, 0x2d, 0x43, 0x1c, 0xeb,
        0xe2, 0x36, 0x1a, 0x3f, 0x01, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0x49, 0x54, 0x52,
        0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x3f, 0x03, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x43, 0x45, 0x4e, 0x54, 0x10, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0,
        0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x40, 0x45, 0x4e, 0x44, 0x20,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3a, 0xa4, 0x8b, 0x77};
    static const float c[4] = {1.0f, -2.5f, 0.5f, 3.0f};
    km_model *m = km_model_alloc(2, 2), *back = NULL;
    void *buf = NULL;
    size_t size = 0;
    float got[4];

    (void)state;
    assert_non_null(m);
    m->dtype = KM_FLOAT32;
    memcpy(m->centers32, c, sizeof c);
    km_model_sync(m);
    m->n_samples = 10;
    m->inertia = 1.25;
    m->n_iter = 3;
    m->flags = KM_FLAG_CONVERGED;
    m->params.n_clusters = 2;
    m->params.init = KM_INIT_KMEANSPP;
    m->params.n_init = 1;
    m->params.max_iter = 300;
    m->params.tol = 1e-4;
    m->params.algorithm = KM_ALGO_LLOYD;
    m->params.seed = 42;
    m->params.n_threads = 0;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_OK);
    assert_int_equal(size, sizeof expect);
    assert_memory_equal(buf, expect, sizeof expect);
    assert_int_equal(ref_crc32(expect, 164), 0x778ba43au);

    assert_int_equal(km_model_load_mem(expect, sizeof expect, &back), KM_OK);
    assert_int_equal(km_model_dtype(back), KM_FLOAT32);
    assert_int_equal(km_model_n_clusters(back), 2);
    assert_int_equal(km_model_n_features(back), 2);
    assert_int_equal(km_model_n_samples(back), 10);
    assert_true(km_model_inertia(back) == 1.25);
    assert_int_equal(km_model_n_iter(back), 3);
    assert_int_equal(km_model_flags(back), KM_FLAG_CONVERGED);
    assert_int_equal(km_model_centers_f32(back, got), KM_OK);
    assert_memory_equal(got, c, sizeof c);
    km_model_free(m);
    km_model_free(back);
    free(buf);
}

/* ---- arguments ---- */

static void test_null_args(void **state)
{
    km_model *m = make_model(KM_FLOAT64, 2, 2), *out = NULL;
    void *buf = NULL;
    size_t size = 0;

    (void)state;
    assert_int_equal(km_model_save_mem(NULL, &buf, &size), KM_ERR_ARG);
    assert_int_equal(km_model_save_mem(m, NULL, &size), KM_ERR_ARG);
    assert_int_equal(km_model_save_mem(m, &buf, NULL), KM_ERR_ARG);
    assert_int_equal(km_model_load_mem("KMEANSMD", 8, NULL), KM_ERR_ARG);
    assert_int_equal(km_model_load_mem(NULL, 10, &out), KM_ERR_ARG);
    assert_null(out);
    assert_int_equal(km_model_load_mem(NULL, 0, &out), KM_ERR_FORMAT);
    assert_int_equal(km_model_save(NULL, "x"), KM_ERR_ARG);
    assert_int_equal(km_model_save(m, NULL), KM_ERR_ARG);
    assert_int_equal(km_model_save(m, ""), KM_ERR_ARG);
    assert_int_equal(km_model_load(NULL, &out), KM_ERR_ARG);
    assert_int_equal(km_model_load("x", NULL), KM_ERR_ARG);
    km_model_free(m);
}

/* A model that could not be loaded back is refused on save. */
static void test_save_invalid_model(void **state)
{
    km_model *m;
    void *buf = NULL;
    size_t size = 0;
    char path[8192];

    (void)state;
    tmp_path(path, sizeof path, "invalid.kmm");

    m = make_model(KM_FLOAT64, 2, 2);
    m->centers64[3] = NAN;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_ERR_ARG);
    assert_null(buf);
    assert_int_equal(km_model_save(m, path), KM_ERR_ARG);
    assert_int_equal(count_prefix("invalid.kmm"), 0);
    km_model_free(m);

    m = make_model(KM_FLOAT32, 2, 2);
    m->centers32[0] = INFINITY;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_ERR_ARG);
    km_model_free(m);

    m = make_model(KM_FLOAT64, 2, 2);
    m->inertia = -1.0;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_ERR_ARG);
    m->inertia = 0.0;
    m->params.tol = NAN;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_ERR_ARG);
    m->params.tol = 0.0;
    m->dtype = (km_dtype)3;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_ERR_ARG);
    m->dtype = KM_FLOAT64;
    m->n_samples = 1; /* fewer rows than clusters */
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_ERR_ARG);
    m->n_samples = 2;
    m->flags = 0x80;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_ERR_ARG);
    m->flags = 0;
    assert_int_equal(km_model_save_mem(m, &buf, &size), KM_OK);
    free(buf);
    km_model_free(m);
}

/* ---- not a model, version ---- */

static void test_not_a_model(void **state)
{
    static const char csv[] = "x,y\n1.0,2.0\n3.0,4.0\n";
    size_t size;
    unsigned char *buf = valid_buf(KM_FLOAT64, &size);

    (void)state;
    for (size_t n = 0; n < 8; n++)
        assert_int_equal(load_status(buf, n), KM_ERR_FORMAT);
    assert_int_equal(load_status((const unsigned char *)csv, sizeof csv - 1),
                     KM_ERR_FORMAT);
    buf[7] = 'X'; /* "KMEANSMX" */
    assert_int_equal(load_status(buf, size), KM_ERR_FORMAT);
    buf[7] = 'D';
    buf[0] = 'k'; /* case matters */
    assert_int_equal(load_status(buf, size), KM_ERR_FORMAT);
    free(buf);
}

static void test_version(void **state)
{
    static const uint32_t bad[] = {0u, 2u, 0x01000000u, 0xFFFFFFFFu};
    size_t size;
    unsigned char *buf = valid_buf(KM_FLOAT32, &size);

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wr_u32(buf + OFF_VERSION, bad[i]);
        /* the version is judged before the checksum, which a newer
           version may define differently */
        assert_int_equal(load_status(buf, size), KM_ERR_VERSION);
        fix_crc(buf, size);
        assert_int_equal(load_status(buf, size), KM_ERR_VERSION);
    }
    /* a version-2 header alone is enough to say so */
    assert_int_equal(load_status(buf, 12), KM_ERR_VERSION);
    free(buf);
}

static void test_header_flags(void **state)
{
    (void)state;
    assert_int_equal(load_with_field(KM_FLOAT64, OFF_HFLAGS, W32, 1, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(
        load_with_field(KM_FLOAT64, OFF_HFLAGS, W32, 0x80000000u, 0),
        KM_ERR_CORRUPT);
}

/* ---- integrity ---- */

static void test_flip_every_byte(void **state)
{
    static const unsigned char masks[] = {0x01, 0x80, 0xFF};
    size_t size;
    unsigned char *buf = valid_buf(KM_FLOAT64, &size);

    (void)state;
    for (size_t i = 0; i < size; i++) {
        for (size_t j = 0; j < sizeof masks; j++) {
            int expect = i < 8    ? KM_ERR_FORMAT
                         : i < 12 ? KM_ERR_VERSION
                                  : KM_ERR_CORRUPT;
            buf[i] ^= masks[j];
            assert_int_equal(load_status(buf, size), expect);
            buf[i] ^= masks[j];
        }
    }
    assert_int_equal(load_status(buf, size), KM_OK);
    free(buf);
}

static void test_truncate_every_length(void **state)
{
    size_t size;
    unsigned char *buf = valid_buf(KM_FLOAT32, &size);

    (void)state;
    for (size_t n = 0; n < size; n++) {
        /* an exact-size copy so that ASan sees any over-read */
        unsigned char *cut = malloc(n > 0 ? n : 1);
        assert_non_null(cut);
        memcpy(cut, buf, n);
        assert_int_equal(load_status(cut, n),
                         n < 8 ? KM_ERR_FORMAT : KM_ERR_CORRUPT);
        free(cut);
    }
    free(buf);
}

/* Truncated anywhere, then given a correct CRC: the structure checks alone
   must find it. */
static void test_truncate_with_valid_crc(void **state)
{
    size_t size;
    unsigned char *buf = valid_buf(KM_FLOAT64, &size);

    (void)state;
    for (size_t n = 12; n + 4 < size; n++) {
        unsigned char *cut = malloc(n + 4);
        assert_non_null(cut);
        memcpy(cut, buf, n);
        fix_crc(cut, n + 4);
        assert_int_equal(load_status(cut, n + 4), KM_ERR_CORRUPT);
        free(cut);
    }
    free(buf);
}

static void test_trailing_bytes(void **state)
{
    size_t size;
    unsigned char *buf = valid_buf(KM_FLOAT64, &size);
    unsigned char *big = malloc(size + 8);

    (void)state;
    assert_non_null(big);
    memcpy(big, buf, size);
    memset(big + size, 0, 8);
    for (size_t extra = 1; extra <= 8; extra++)
        assert_int_equal(load_status(big, size + extra), KM_ERR_CORRUPT);
    /* even with a CRC over everything at the very end */
    for (size_t extra = 4; extra <= 8; extra++) {
        fix_crc(big, size + extra);
        assert_int_equal(load_status(big, size + extra), KM_ERR_CORRUPT);
    }
    free(big);
    free(buf);
}

/* ---- fields ---- */

static void test_fit_fields(void **state)
{
    const double nan = NAN, inf = INFINITY;
    (void)state;
    /* dtype */
    assert_int_equal(load_with_field(KM_FLOAT64, F_DTYPE, W32, 0, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_DTYPE, W32, 3, 0),
                     KM_ERR_CORRUPT);
    /* float32 with a float64-sized CENT: length mismatch */
    assert_int_equal(load_with_field(KM_FLOAT64, F_DTYPE, W32, 1, 0),
                     KM_ERR_CORRUPT);
    /* k */
    assert_int_equal(load_with_field(KM_FLOAT64, F_K, W64, 0, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_K, W64, 2, 0),
                     KM_ERR_CORRUPT); /* CENT too long */
    assert_int_equal(load_with_field(KM_FLOAT64, F_K, W64, 4, 0),
                     KM_ERR_CORRUPT); /* CENT too short */
    assert_int_equal(load_with_field(KM_FLOAT64, F_K, W64, 0x80000000u, 0),
                     KM_ERR_CORRUPT);
    /* 2^40 centers in a 250-byte file: refused before any allocation */
    assert_int_equal(load_with_field(KM_FLOAT64, F_K, W64, 1ull << 40, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_K, W64, UINT64_MAX, 0),
                     KM_ERR_CORRUPT);
    /* d */
    assert_int_equal(load_with_field(KM_FLOAT64, F_D, W64, 0, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_D, W64, 5, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_D, W64, 1ull << 62, 0),
                     KM_ERR_CORRUPT); /* k * d * 8 overflows */
    assert_int_equal(load_with_field(KM_FLOAT64, F_D, W64, UINT64_MAX, 0),
                     KM_ERR_CORRUPT);
    /* n_samples: 0 (unknown) or >= k */
    assert_int_equal(load_with_field(KM_FLOAT64, F_NSAMPLES, W64, 0, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, F_NSAMPLES, W64, 3, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, F_NSAMPLES, W64, 2, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_NSAMPLES, W64, 1, 0),
                     KM_ERR_CORRUPT);
    /* inertia */
    assert_int_equal(load_with_field(KM_FLOAT64, F_INERTIA, WF64, 0, 0.0),
                     KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, F_INERTIA, WF64, 0, nan),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_INERTIA, WF64, 0, inf),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_INERTIA, WF64, 0, -1e-300),
                     KM_ERR_CORRUPT);
    /* n_iter */
    assert_int_equal(load_with_field(KM_FLOAT64, F_NITER, W32, 0, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, F_NITER, W32, 0xFFFFFFFFu, 0),
                     KM_ERR_CORRUPT);
    /* flags: known bits only */
    assert_int_equal(load_with_field(KM_FLOAT64, F_FLAGS, W32, 3, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, F_FLAGS, W32, 4, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, F_FLAGS, W32, 0x80000000u, 0),
                     KM_ERR_CORRUPT);
}

static void test_param_fields(void **state)
{
    (void)state;
    assert_int_equal(load_with_field(KM_FLOAT64, P_NCLUSTERS, W32, 0, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(
        load_with_field(KM_FLOAT64, P_NCLUSTERS, W32, 0xFFFFFFFFu, 0),
        KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_INIT, W32, 3, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, P_INIT, W32, 4, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_INIT, W32, 0xFFFFFFFFu, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_NINIT, W32, 0, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, P_NINIT, W32, 0xFFFFFFFFu, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_MAXITER, W32, 0, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(
        load_with_field(KM_FLOAT64, P_MAXITER, W32, 0x80000000u, 0),
        KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_TOL, WF64, 0, 0.0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, P_TOL, WF64, 0, NAN),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_TOL, WF64, 0, INFINITY),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_TOL, WF64, 0, -1e-4),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_ALGO, W32, 0, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, P_ALGO, W32, 3, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, P_ALGO, W32, 4, 0), KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, P_ALGO, W32, 5, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_ALGO, W32, 0xFFFFFFFFu, 0),
                     KM_ERR_CORRUPT);
    assert_int_equal(load_with_field(KM_FLOAT64, P_SEED, W64, UINT64_MAX, 0),
                     KM_OK);
    assert_int_equal(load_with_field(KM_FLOAT64, P_NTHREADS, W32, 0, 0), KM_OK);
    assert_int_equal(
        load_with_field(KM_FLOAT64, P_NTHREADS, W32, 0xFFFFFFFFu, 0),
        KM_ERR_CORRUPT);
}

static void test_nonfinite_centers(void **state)
{
    static const double bad[] = {NAN, INFINITY, -INFINITY};
    const size_t last64 = OFF_CENT_P + 8 * 11, last32 = OFF_CENT_P + 4 * 11;

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(
            load_with_field(KM_FLOAT64, OFF_CENT_P, WF64, 0, bad[i]),
            KM_ERR_CORRUPT);
        assert_int_equal(load_with_field(KM_FLOAT64, last64, WF64, 0, bad[i]),
                         KM_ERR_CORRUPT);
        assert_int_equal(
            load_with_field(KM_FLOAT32, OFF_CENT_P, WF32, 0, bad[i]),
            KM_ERR_CORRUPT);
        assert_int_equal(load_with_field(KM_FLOAT32, last32, WF32, 0, bad[i]),
                         KM_ERR_CORRUPT);
    }
    /* largest finite values are fine */
    assert_int_equal(load_with_field(KM_FLOAT64, last64, WF64, 0, DBL_MAX),
                     KM_OK);
    assert_int_equal(
        load_with_field(KM_FLOAT32, last32, WF32, 0, (double)FLT_MAX), KM_OK);
}

/* ---- sections ---- */

static void test_section_order_free(void **state)
{
    parts p = get_parts();
    km_model *a = NULL, *b = NULL;
    size_t size;
    unsigned char *buf;
    sec s[4];

    (void)state;
    s[0] = p.cent;
    s[1] = p.fitr;
    s[2] = p.parm;
    s[3] = p.end;
    buf = assemble(s, 4, &size);
    assert_int_equal(size, p.size);
    assert_int_equal(km_model_load_mem(buf, size, &a), KM_OK);
    assert_int_equal(km_model_load_mem(p.buf, p.size, &b), KM_OK);
    assert_models_equal(b, a);
    km_model_free(a);
    km_model_free(b);
    free(buf);
    free(p.buf);
}

static void test_optional_sections_skipped(void **state)
{
    static const unsigned char junk[10] = "0123456789";
    parts p = get_parts();
    sec opt = {"scal", junk, 10, 10};
    sec opt0 = {"x   ", NULL, 0, 0};
    sec opt2 = {"mbCT", junk, 3, 3};
    km_model *a = NULL, *b = NULL;
    size_t size;
    unsigned char *buf;

    (void)state;
    sec s[8] = {opt, p.parm, opt0, p.fitr, opt2, p.cent, opt, p.end};
    buf = assemble(s, 8, &size);
    assert_int_equal(km_model_load_mem(buf, size, &a), KM_OK);
    assert_int_equal(km_model_load_mem(p.buf, p.size, &b), KM_OK);
    assert_models_equal(b, a);
    km_model_free(a);
    km_model_free(b);
    free(buf);
    free(p.buf);
}

static void test_unknown_required_section(void **state)
{
    static const unsigned char junk[10] = "0123456789";
    parts p = get_parts();
    sec scal = {"SCAL", junk, 10, 10};
    sec mbct = {"MBCT", junk, 0, 0};
    sec s[5];

    (void)state;
    s[0] = p.parm;
    s[1] = p.fitr;
    s[2] = scal;
    s[3] = p.cent;
    s[4] = p.end;
    assert_int_equal(load_sections(s, 5), KM_ERR_VERSION);
    s[2] = mbct;
    assert_int_equal(load_sections(s, 5), KM_ERR_VERSION);
    free(p.buf);
}

static void test_bad_tags(void **state)
{
    static const char *bad[] = {"\0ARM", "1ABC", " ABC", "PA\xffM",
                                "AB\nC", "_abc", "a-bc"};
    parts p = get_parts();
    sec s[5];

    (void)state;
    s[0] = p.parm;
    s[1] = p.fitr;
    s[3] = p.cent;
    s[4] = p.end;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s[2] = (sec){bad[i], NULL, 0, 0};
        assert_int_equal(load_sections(s, 5), KM_ERR_CORRUPT);
    }
    free(p.buf);
}

static void test_duplicate_and_missing(void **state)
{
    parts p = get_parts();
    sec all[3];

    (void)state;
    all[0] = p.parm;
    all[1] = p.fitr;
    all[2] = p.cent;
    for (int dup = 0; dup < 3; dup++) {
        sec s[5] = {p.parm, p.fitr, p.cent, all[dup], p.end};
        assert_int_equal(load_sections(s, 5), KM_ERR_CORRUPT);
    }
    for (int miss = 0; miss < 3; miss++) {
        sec s[3];
        int n = 0;
        for (int i = 0; i < 3; i++)
            if (i != miss)
                s[n++] = all[i];
        s[n++] = p.end;
        assert_int_equal(load_sections(s, n), KM_ERR_CORRUPT);
    }
    {
        sec s[3] = {p.parm, p.fitr, p.cent}; /* no END */
        assert_int_equal(load_sections(s, 3), KM_ERR_CORRUPT);
    }
    {
        sec s[5] = {p.parm, p.fitr, p.cent, p.end, p.end}; /* two ENDs */
        assert_int_equal(load_sections(s, 5), KM_ERR_CORRUPT);
    }
    {
        sec opt = {"zzzz", NULL, 0, 0}; /* a section after END */
        sec s[5] = {p.parm, p.fitr, p.cent, p.end, opt};
        assert_int_equal(load_sections(s, 5), KM_ERR_CORRUPT);
    }
    {
        sec end1 = {"END ", p.buf, 1, 1}; /* END must be empty */
        sec s[4] = {p.parm, p.fitr, p.cent, end1};
        assert_int_equal(load_sections(s, 4), KM_ERR_CORRUPT);
    }
    free(p.buf);
}

static void test_section_lengths(void **state)
{
    parts p = get_parts();
    sec s[4] = {p.parm, p.fitr, p.cent, p.end};
    static const uint64_t lens[] = {1ull << 40, UINT64_MAX, 97, 95};

    (void)state;
    /* the length field disagrees with the bytes present */
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        s[2].len = lens[i];
        assert_int_equal(load_sections(s, 4), KM_ERR_CORRUPT);
    }
    s[2] = p.cent;
    /* PARM and FITR have fixed lengths */
    {
        unsigned char big[64] = {0};
        memcpy(big, p.parm.data, 40);
        s[0] = (sec){"PARM", big, 41, 41};
        assert_int_equal(load_sections(s, 4), KM_ERR_CORRUPT);
        s[0] = (sec){"PARM", big, 39, 39};
        assert_int_equal(load_sections(s, 4), KM_ERR_CORRUPT);
        s[0] = p.parm;
        memcpy(big, p.fitr.data, 44);
        s[1] = (sec){"FITR", big, 45, 45};
        assert_int_equal(load_sections(s, 4), KM_ERR_CORRUPT);
        s[1] = (sec){"FITR", big, 43, 43};
        assert_int_equal(load_sections(s, 4), KM_ERR_CORRUPT);
        s[1] = p.fitr;
    }
    /* an optional section claiming more bytes than remain */
    {
        sec opt = {"huge", NULL, UINT64_MAX - 11, 0};
        sec t[5] = {p.parm, p.fitr, p.cent, opt, p.end};
        assert_int_equal(load_sections(t, 5), KM_ERR_CORRUPT);
        t[3].len = 12; /* would swallow END exactly */
        assert_int_equal(load_sections(t, 5), KM_ERR_CORRUPT);
    }
    assert_int_equal(load_sections(s, 4), KM_OK);
    free(p.buf);
}

/* ---- files ---- */

static void test_load_io_errors(void **state)
{
    char path[8192];
    km_model *m = NULL;

    (void)state;
    tmp_path(path, sizeof path, "does-not-exist.kmm");
    errno = 0;
    assert_int_equal(km_model_load(path, &m), KM_ERR_IO);
    assert_int_equal(errno, ENOENT);
    assert_null(m);
    /* a directory opens but cannot be read */
    errno = 0;
    assert_int_equal(km_model_load(tmpdir, &m), KM_ERR_IO);
    assert_int_equal(errno, EISDIR);
    assert_null(m);
}

static void test_load_bad_files(void **state)
{
    char path[8192];
    km_model *m = NULL;
    size_t size;
    unsigned char *buf = valid_buf(KM_FLOAT32, &size);

    (void)state;
    tmp_path(path, sizeof path, "bad.kmm");
    write_file(path, "", 0);
    assert_int_equal(km_model_load(path, &m), KM_ERR_FORMAT);
    write_file(path, "1,2,3\n4,5,6\n", 12);
    assert_int_equal(km_model_load(path, &m), KM_ERR_FORMAT);
    write_file(path, buf, size - 1);
    assert_int_equal(km_model_load(path, &m), KM_ERR_CORRUPT);
    buf[OFF_VERSION] = 2;
    write_file(path, buf, size);
    assert_int_equal(km_model_load(path, &m), KM_ERR_VERSION);
    write_file(path, buf, 12);
    assert_int_equal(km_model_load(path, &m), KM_ERR_VERSION);
    assert_null(m);
    /* a large file that is not a model is judged by its first bytes */
    {
        size_t big_size = 4u << 20;
        unsigned char *big = malloc(big_size);
        assert_non_null(big);
        memset(big, 'x', big_size);
        write_file(path, big, big_size);
        assert_int_equal(km_model_load(path, &m), KM_ERR_FORMAT);
        free(big);
    }
    assert_int_equal(remove(path), 0);
    free(buf);
}

static void test_save_missing_dir(void **state)
{
    char path[8192];
    km_model *m = make_model(KM_FLOAT64, 2, 3);

    (void)state;
    tmp_path(path, sizeof path, "no-such-dir/model.kmm");
    errno = 0;
    assert_int_equal(km_model_save(m, path), KM_ERR_IO);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(count_prefix("no-such-dir"), 0);
    assert_int_equal(count_prefix("model.kmm"), 0);
    km_model_free(m);
}

/* rename() onto a directory fails after the temporary file was written:
   the temporary file must be gone and the directory untouched. */
static void test_save_rename_fails(void **state)
{
    char path[8192];
    km_model *m = make_model(KM_FLOAT64, 2, 3);
    struct stat sb;

    (void)state;
    tmp_path(path, sizeof path, "target-dir");
    assert_int_equal(mkdir(path, 0700), 0);
    errno = 0;
    assert_int_equal(km_model_save(m, path), KM_ERR_IO);
    assert_int_not_equal(errno, 0);
    assert_int_equal(count_prefix("target-dir"), 1);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(rmdir(path), 0);
    km_model_free(m);
}

static void test_save_replaces_whole(void **state)
{
    char path[8192];
    km_model *m = make_model(KM_FLOAT32, 2, 3), *back = NULL;
    size_t junk_size = 100000, size, mem_size;
    unsigned char *junk = malloc(junk_size), *disk;
    void *mem = NULL;

    (void)state;
    assert_non_null(junk);
    memset(junk, 0xAB, junk_size);
    tmp_path(path, sizeof path, "replace.kmm");
    write_file(path, junk, junk_size);
    assert_int_equal(km_model_save(m, path), KM_OK);
    disk = read_file(path, &size);
    assert_int_equal(km_model_save_mem(m, &mem, &mem_size), KM_OK);
    assert_int_equal(size, mem_size);
    assert_memory_equal(disk, mem, size);
    assert_int_equal(km_model_load(path, &back), KM_OK);
    assert_models_equal(m, back);
    assert_int_equal(count_prefix("replace.kmm"), 1);
    assert_int_equal(remove(path), 0);
    free(junk);
    free(disk);
    free(mem);
    km_model_free(m);
    km_model_free(back);
}

/* A write that fails part-way (the file size limit, which even root
   obeys) leaves the old file as it was and no temporary file behind. */
static void test_failed_save_keeps_old(void **state)
{
    char path[8192];
    km_model *small = make_model(KM_FLOAT64, 2, 2);
    km_model *big = make_model(KM_FLOAT64, 100, 100); /* ~80 KB */
    km_model *back = NULL;
    struct rlimit old_lim, lim;
    void (*old_handler)(int);
    unsigned char *before, *after;
    size_t before_size, after_size;
    int st, e;

    (void)state;
    tmp_path(path, sizeof path, "keep.kmm");
    assert_int_equal(km_model_save(small, path), KM_OK);
    before = read_file(path, &before_size);

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
    lim = old_lim;
    lim.rlim_cur = 4096;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    errno = 0;
    st = km_model_save(big, path);
    e = errno;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_lim), 0);
    signal(SIGXFSZ, old_handler);

    assert_int_equal(st, KM_ERR_IO);
    assert_int_equal(e, EFBIG);
    after = read_file(path, &after_size);
    assert_int_equal(before_size, after_size);
    assert_memory_equal(before, after, before_size);
    assert_int_equal(km_model_load(path, &back), KM_OK);
    assert_models_equal(small, back);
    assert_int_equal(count_prefix("keep.kmm"), 1);
    assert_int_equal(remove(path), 0);
    free(before);
    free(after);
    km_model_free(small);
    km_model_free(big);
    km_model_free(back);
}

/* A new file gets 0666 minus the umask, as fopen would give it; a replaced
   file keeps its permissions. */
static void test_save_file_mode(void **state)
{
    char path[8192];
    km_model *m = make_model(KM_FLOAT64, 2, 2);
    struct stat sb;
    mode_t old = umask(022);

    (void)state;
    tmp_path(path, sizeof path, "mode.kmm");
    assert_int_equal(km_model_save(m, path), KM_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(km_model_save(m, path), KM_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    assert_int_equal(remove(path), 0);
    umask(077);
    assert_int_equal(km_model_save(m, path), KM_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(remove(path), 0);
    umask(old);
    km_model_free(m);
}

/* A relative path with no directory part saves into the working
   directory. */
static void test_save_relative_path(void **state)
{
    char cwd[8192];
    km_model *m = make_model(KM_FLOAT32, 2, 2), *back = NULL;

    (void)state;
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpdir), 0);
    assert_int_equal(km_model_save(m, "relative.kmm"), KM_OK);
    assert_int_equal(km_model_load("relative.kmm", &back), KM_OK);
    assert_models_equal(m, back);
    assert_int_equal(remove("relative.kmm"), 0);
    assert_int_equal(chdir(cwd), 0);
    km_model_free(m);
    km_model_free(back);
}

/* A model from a real fit survives the file: same fields, and predictions
   bit for bit the same. */
static void test_fit_save_load_predict(void **state)
{
    enum { N = 300, D = 5 };
    static double x64[N * D];
    static float x32[N * D];
    int32_t la[N], lb[N];
    double da[N], db[N];
    float fa[N], fb[N];
    uint64_t r = 12345;
    km_params prm;
    km_model *m = NULL, *back = NULL;
    char path[8192];

    (void)state;
    for (size_t i = 0; i < N * D; i++) {
        r = r * 6364136223846793005u + 1442695040888963407u;
        x64[i] = (double)(r >> 11) / 9007199254740992.0 + (double)(i % 3);
        x32[i] = (float)x64[i];
    }
    km_params_init(&prm);
    prm.n_clusters = 4;
    prm.seed = 99;
    tmp_path(path, sizeof path, "fitted.kmm");

    assert_int_equal(km_fit_f64(&prm, x64, N, D, NULL, &m, NULL), KM_OK);
    assert_int_equal(km_model_save(m, path), KM_OK);
    assert_int_equal(km_model_load(path, &back), KM_OK);
    assert_models_equal(m, back);
    assert_int_equal(km_predict_f64(m, x64, N, D, la, da, 1), KM_OK);
    assert_int_equal(km_predict_f64(back, x64, N, D, lb, db, 1), KM_OK);
    assert_memory_equal(la, lb, sizeof la);
    assert_memory_equal(da, db, sizeof da);
    km_model_free(m);
    km_model_free(back);
    m = back = NULL;

    assert_int_equal(km_fit_f32(&prm, x32, N, D, NULL, &m, NULL), KM_OK);
    assert_int_equal(km_model_save(m, path), KM_OK);
    assert_int_equal(km_model_load(path, &back), KM_OK);
    assert_models_equal(m, back);
    assert_int_equal(km_predict_f32(m, x32, N, D, la, fa, 1), KM_OK);
    assert_int_equal(km_predict_f32(back, x32, N, D, lb, fb, 1), KM_OK);
    assert_memory_equal(la, lb, sizeof la);
    assert_memory_equal(fa, fb, sizeof fa);
    assert_int_equal(remove(path), 0);
    km_model_free(m);
    km_model_free(back);
}

/* ---- the optional mini-batch section "mbct" ---- */

/* A model with mini-batch state, saved: its buffer and where the mbct
   payload starts. */
static unsigned char *mbct_buf(size_t *size, size_t *payload)
{
    static const double X[16] = {0, 0, 0, 1, 1, 0, 1, 1,
                                 9, 9, 9, 8, 8, 9, 8, 8};
    km_minibatch_params p;
    km_model *m = NULL;
    void *buf;
    unsigned char *b;

    km_minibatch_params_init(&p);
    p.base.n_clusters = 2;
    p.base.seed = 3;
    assert_int_equal(km_partial_fit_f64(&m, &p, X, 8, 2, NULL, NULL, NULL),
                     KM_OK);
    assert_int_equal(km_model_save_mem(m, &buf, size), KM_OK);
    km_model_free(m);
    b = buf;
    /* canonical form plus one 12-byte header and 84 + 8 k bytes */
    assert_int_equal(*size, 152 + 2 * 2 * 8 + 12 + 84 + 2 * 8);
    for (size_t i = 16; i + 4 <= *size; i++)
        if (memcmp(b + i, "mbct", 4) == 0) {
            *payload = i + 12;
            return b;
        }
    fail_msg("no mbct section");
    return NULL;
}

static void test_mbct_roundtrip(void **state)
{
    size_t size, off, size2;
    unsigned char *b = mbct_buf(&size, &off);
    km_model *m = NULL;
    void *again;
    double counts[2];

    (void)state;
    assert_int_equal(km_model_load_mem(b, size, &m), KM_OK);
    assert_true(km_model_has_counts(m));
    assert_int_equal(km_model_counts(m, counts), KM_OK);
    assert_true(counts[0] + counts[1] == 8.0);
    /* saving the loaded model gives the same bytes */
    assert_int_equal(km_model_save_mem(m, &again, &size2), KM_OK);
    assert_int_equal(size2, size);
    assert_memory_equal(again, b, size);
    free(again);
    km_model_free(m);
    free(b);
}

static void test_mbct_invalid_fields(void **state)
{
    /* offset, bytes to write (little-endian u64 or f64), what it breaks */
    struct {
        size_t off;
        int is_f64;
        uint64_t u;
        double f;
    } bad[] = {
        {0, 0, (uint64_t)1 << 63, 0}, /* n_steps negative */
        {16, 0, 0, 0},                /* batch_size_eff 0 */
        {28, 1, 0, -0.5},             /* reassignment_ratio < 0 */
        {28, 1, 0, NAN},              /* reassignment_ratio NaN */
        {84, 1, 0, -1.0},             /* a negative count */
        {92, 1, 0, INFINITY},         /* an infinite count */
    };
    size_t size, off;
    unsigned char *b = mbct_buf(&size, &off);

    (void)state;
    for (size_t t = 0; t < sizeof bad / sizeof bad[0]; t++) {
        unsigned char *c = malloc(size);
        memcpy(c, b, size);
        if (bad[t].is_f64)
            wr_f64(c + off + bad[t].off, bad[t].f);
        else
            wr_u64(c + off + bad[t].off, bad[t].u);
        fix_crc(c, size);
        assert_int_equal(load_status(c, size), KM_ERR_CORRUPT);
        free(c);
    }
    /* batch_size (i32 at 24) 0, compute_labels (i32 at 48) 2, a zero
       generator state */
    {
        unsigned char *c = malloc(size);
        memcpy(c, b, size);
        wr_u32(c + off + 24, 0);
        fix_crc(c, size);
        assert_int_equal(load_status(c, size), KM_ERR_CORRUPT);
        memcpy(c, b, size);
        wr_u32(c + off + 48, 2);
        fix_crc(c, size);
        assert_int_equal(load_status(c, size), KM_ERR_CORRUPT);
        memcpy(c, b, size);
        memset(c + off + 52, 0, 32);
        fix_crc(c, size);
        assert_int_equal(load_status(c, size), KM_ERR_CORRUPT);
        free(c);
    }
    free(b);
}

/* An mbct whose length is not 84 + 8 k is corrupt (it is a known optional
   section); a second one too; a model without one loads without counts. */
static void test_mbct_length_and_absence(void **state)
{
    size_t size, off, plain_size;
    unsigned char *b = mbct_buf(&size, &off);
    unsigned char *c = malloc(size + 8), *plain;
    km_model *m = NULL;

    (void)state;
    /* shorten by one count: move END + CRC up by 8 bytes */
    memcpy(c, b, size);
    wr_u64(c + off - 8, 84 + 8);
    memmove(c + off + 84 + 8, b + off + 84 + 16, size - (off + 84 + 16));
    fix_crc(c, size - 8);
    assert_int_equal(load_status(c, size - 8), KM_ERR_CORRUPT);

    /* the model without its mbct section: no counts */
    plain_size = size - (12 + 84 + 16);
    plain = malloc(plain_size);
    memcpy(plain, b, off - 12);
    memcpy(plain + off - 12, b + off + 84 + 16, size - (off + 84 + 16));
    fix_crc(plain, plain_size);
    assert_int_equal(km_model_load_mem(plain, plain_size, &m), KM_OK);
    assert_false(km_model_has_counts(m));
    km_model_free(m);
    free(plain);
    free(c);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_mem_f32),
        cmocka_unit_test(test_roundtrip_mem_f64),
        cmocka_unit_test(test_roundtrip_file_f32),
        cmocka_unit_test(test_roundtrip_file_f64),
        cmocka_unit_test(test_default_params_roundtrip),
        cmocka_unit_test(test_layout_golden),
        cmocka_unit_test(test_null_args),
        cmocka_unit_test(test_save_invalid_model),
        cmocka_unit_test(test_not_a_model),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_header_flags),
        cmocka_unit_test(test_flip_every_byte),
        cmocka_unit_test(test_truncate_every_length),
        cmocka_unit_test(test_truncate_with_valid_crc),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_fit_fields),
        cmocka_unit_test(test_param_fields),
        cmocka_unit_test(test_nonfinite_centers),
        cmocka_unit_test(test_section_order_free),
        cmocka_unit_test(test_optional_sections_skipped),
        cmocka_unit_test(test_unknown_required_section),
        cmocka_unit_test(test_bad_tags),
        cmocka_unit_test(test_duplicate_and_missing),
        cmocka_unit_test(test_section_lengths),
        cmocka_unit_test(test_load_io_errors),
        cmocka_unit_test(test_load_bad_files),
        cmocka_unit_test(test_save_missing_dir),
        cmocka_unit_test(test_save_rename_fails),
        cmocka_unit_test(test_save_replaces_whole),
        cmocka_unit_test(test_failed_save_keeps_old),
        cmocka_unit_test(test_save_file_mode),
        cmocka_unit_test(test_save_relative_path),
        cmocka_unit_test(test_fit_save_load_predict),
        cmocka_unit_test(test_mbct_roundtrip),
        cmocka_unit_test(test_mbct_invalid_fields),
        cmocka_unit_test(test_mbct_length_and_absence),
    };

    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
