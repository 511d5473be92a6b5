/*
 * test_io.c - unit tests of the data-file layer (programs/io/kmio.h): the
 * CSV and .npy readers with every error message, the writers, and atomic
 * replacement.  Files go to a fresh directory under $KM_TEST_TMP (or /tmp).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <zlib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmio.h"
#include "kmio_internal.h"

/* ---- fixtures ------------------------------------------------------------ */

static char g_dir[4096]; /* this run's scratch directory */

static int setup_dir(void **state)
{
    (void)state;
    const char *base = getenv("KM_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/test_io.XXXXXX", base);
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    DIR *dir = opendir(g_dir);
    if (!dir)
        return 0;
    const struct dirent *ent;
    while ((ent = readdir(dir)) != NULL) {
        char path[8192];
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", g_dir, ent->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(g_dir);
    return 0;
}

/* Path of name inside the scratch directory (a new static slot each call,
   a few of them live at once). */
static const char *tmp_path(const char *name)
{
    static char slots[8][8192];
    static unsigned next;
    char *p = slots[next++ % 8];
    snprintf(p, sizeof slots[0], "%s/%s", g_dir, name);
    return p;
}

static const char *write_bytes(const char *name, const void *bytes, size_t len)
{
    const char *path = tmp_path(name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_bytes(name, text, strlen(text));
}

/* Whole file as a NUL-terminated malloc'ed string; *len its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of leftover temporary files ("*.tmp??????") in the directory. */
static int count_temp_files(void)
{
    DIR *dir = opendir(g_dir);
    assert_non_null(dir);
    int count = 0;
    const struct dirent *ent;
    while ((ent = readdir(dir)) != NULL)
        if (strstr(ent->d_name, ".tmp"))
            count++;
    closedir(dir);
    return count;
}

#define assert_contains(haystack, needle)                                      \
    do {                                                                       \
        if (!strstr((haystack), (needle)))                                     \
            fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));  \
    } while (0)

/* Read a CSV given as text; the file is named after the test. */
static int read_csv(const char *name, const char *text, kmio_want want,
                    int allow_nonfinite, kmio_matrix *m, kmio_error *err)
{
    const char *path = write_text(name, text);
    err->msg[0] = '\0';
    return kmio_read_matrix(path, want, allow_nonfinite, m, err);
}

/* Expect reading text to fail with a message containing every given
   fragment (a NULL ends the list). */
static void expect_csv_error(const char *name, const char *text, ...)
{
    kmio_matrix m;
    kmio_error err;
    int rc = read_csv(name, text, KMIO_WANT_NATIVE, 0, &m, &err);
    assert_int_equal(rc, -1);
    assert_null(m.data);
    va_list ap;
    va_start(ap, text);
    const char *frag;
    while ((frag = va_arg(ap, const char *)) != NULL)
        assert_contains(err.msg, frag);
    va_end(ap);
}

static const double *f64(const kmio_matrix *m)
{
    assert_int_equal(m->dtype, KM_FLOAT64);
    return m->data;
}

static const float *f32(const kmio_matrix *m)
{
    assert_int_equal(m->dtype, KM_FLOAT32);
    return m->data;
}

/* ---- CSV ----------------------------------------------------------------- */

static void test_csv_comma(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    assert_int_equal(read_csv("comma.csv", "1,2\n3.5,-4e2\n5,6\n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 3);
    assert_int_equal(m.d, 2);
    const double want[] = {1, 2, 3.5, -400, 5, 6};
    assert_memory_equal(f64(&m), want, sizeof want);
    kmio_matrix_free(&m);
    assert_null(m.data);
}

static void test_csv_header(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    assert_int_equal(read_csv("header.csv",
                              "sepal length,sepal width\n1,2\n3,4\n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.d, 2);
    assert_true(f64(&m)[0] == 1 && f64(&m)[3] == 4);
    kmio_matrix_free(&m);

    /* One non-numeric field is enough to make the first line a header. */
    assert_int_equal(
        read_csv("header2.csv", "1,x\n1,2\n", KMIO_WANT_NATIVE, 0, &m, &err),
        0);
    assert_int_equal(m.n, 1);
    kmio_matrix_free(&m);

    /* Only the first line may be a header. */
    expect_csv_error("header3.csv", "1,2\nx,y\n",
                     "header3.csv:2:1: ", "field 1 is not a number", NULL);
    expect_csv_error("header4.csv", "a,b\nc,d\n", "header4.csv:2:1: field 1",
                     NULL);
}

static void test_csv_tab_and_spaces(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    assert_int_equal(read_csv("tab.csv", "x\ty\n1\t2\n 3 \t 4 \n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.d, 2);
    const double want[] = {1, 2, 3, 4};
    assert_memory_equal(f64(&m), want, sizeof want);
    kmio_matrix_free(&m);

    assert_int_equal(read_csv("spaces.txt", "  1   2  3\n4 5    6   \n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.d, 3);
    assert_true(f64(&m)[2] == 3 && f64(&m)[5] == 6);
    kmio_matrix_free(&m);

    /* Spaces around comma-separated fields are allowed. */
    assert_int_equal(read_csv("padded.csv", " 1 ,  2\n3 , 4 \n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_memory_equal(f64(&m), want, sizeof want);
    kmio_matrix_free(&m);

    /* A single column. */
    assert_int_equal(
        read_csv("column.csv", "value\n1\n2\n3", KMIO_WANT_NATIVE, 0, &m, &err),
        0);
    assert_int_equal(m.n, 3);
    assert_int_equal(m.d, 1);
    kmio_matrix_free(&m);
}

static void test_csv_crlf_bom_comments(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    const double want[] = {1, 2, 3, 4};
    assert_int_equal(read_csv("crlf.csv", "a,b\r\n1,2\r\n3,4\r\n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 2);
    assert_memory_equal(f64(&m), want, sizeof want);
    kmio_matrix_free(&m);

    assert_int_equal(read_csv("bom.csv", "\xEF\xBB\xBFx,y\n1,2\n3,4",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 2);
    assert_memory_equal(f64(&m), want, sizeof want);
    kmio_matrix_free(&m);

    /* Without a header the BOM must not spoil the first number. */
    assert_int_equal(read_csv("bom2.csv",
                              "\xEF\xBB\xBF"
                              "1,2\r\n3,4\r\n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 2);
    assert_memory_equal(f64(&m), want, sizeof want);
    kmio_matrix_free(&m);

    assert_int_equal(read_csv("comments.csv",
                              "# made by hand\n\n  # indented\nx,y\n\n1,2\n"
                              "   \n# between\n3,4\n\n",
                              KMIO_WANT_NATIVE, 0, &m, &err),
                     0);
    assert_int_equal(m.n, 2);
    assert_memory_equal(f64(&m), want, sizeof want);
    kmio_matrix_free(&m);

    /* Line numbers count blank and comment lines. */
    expect_csv_error("lines.csv", "# c\n\n1,2\n\n3,y\n",
                     "lines.csv:5:3: ", NULL);
}

static void test_csv_nonfinite(void **state)
{
    (void)state;
    expect_csv_error("data.csv", "x,y\n1,2\n3,4\n1.00000,nan\n",
                     "data.csv:4:9: field 2 is not finite (nan)", NULL);
    expect_csv_error("inf.csv", "1, -inf\n", "inf.csv:1:4: field 2",
                     "not finite (-inf)", NULL);
    expect_csv_error("huge.csv", "1e999\n", "huge.csv:1:1: field 1",
                     "not finite (1e999)", NULL);

    kmio_matrix m;
    kmio_error err;
    assert_int_equal(
        read_csv("allow.csv", "1,nan\ninf,2\n", KMIO_WANT_NATIVE, 1, &m, &err),
        0);
    assert_true(isnan(f64(&m)[1]));
    assert_true(isinf(f64(&m)[2]));
    kmio_matrix_free(&m);

    /* Finite as a double but not as a float. */
    assert_int_equal(
        read_csv("f32range.csv", "1,2\n3,1e39\n", KMIO_WANT_F32, 0, &m, &err),
        -1);
    assert_contains(err.msg, "f32range.csv:2:3: field 2 is out of range for "
                             "float32 (1e39)");
}

static void test_csv_ragged(void **state)
{
    (void)state;
    expect_csv_error("data.csv", "1,2\n3,4\n5,6\n\n5,6,7\n",
                     "data.csv:5: row has 3 fields, expected 2 (as line 1)",
                     NULL);
    expect_csv_error("short.csv", "x,y\n1,2\n3\n",
                     "short.csv:3: row has 1 fields, expected 2 (as line 2)",
                     NULL);
    expect_csv_error("ragged.txt", "1 2\n3 4 5\n",
                     "ragged.txt:2: row has 3 fields, expected 2", NULL);
}

static void test_csv_non_numeric(void **state)
{
    (void)state;
    expect_csv_error("nn.csv", "1,2\n3,abc\n",
                     "nn.csv:2:3: field 2 is not a number (\"abc\")", NULL);
    expect_csv_error("nn2.csv", "1,2\n3,4x\n", "nn2.csv:2:3: field 2", "\"4x\"",
                     NULL);
    expect_csv_error("nn3.csv", "1,2\n3 ,  4 5\n", "nn3.csv:2:6: field 2",
                     "\"4 5\"", NULL);
    expect_csv_error("nn4.tsv", "1\t2\n3\t\xff\n", "nn4.tsv:2:3: field 2",
                     "\\xff", NULL);
    expect_csv_error("empty_field.csv", "1,2\n3,\n",
                     "empty_field.csv:2:3: field 2 is empty", NULL);
    expect_csv_error("trailing.csv", "1,2\n3,4,\n",
                     "trailing.csv:2:5: field 3 is empty", NULL);
    /* strtod would skip a newline: an empty last field must not swallow the
       next line's number. */
    expect_csv_error("swallow.csv", "1,2\n3,\n4,5\n", "swallow.csv:2:3",
                     "empty", NULL);
    expect_csv_error("gz.csv", "\x1f\x8b\x08\x00junk", "gz.csv: ", "gzip",
                     NULL);
}

static void test_csv_empty_and_missing(void **state)
{
    (void)state;
    expect_csv_error("empty.csv", "", "empty.csv: no data rows", NULL);
    expect_csv_error("headeronly.csv", "a,b\n", "headeronly.csv: no data rows",
                     NULL);
    expect_csv_error("blank.csv", "\n\n  \n# only a comment\n",
                     "blank.csv: no data rows", NULL);

    kmio_matrix m;
    kmio_error err;
    const char *path = tmp_path("missing.csv");
    assert_int_equal(kmio_read_matrix(path, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    char want[9000];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory",
             path);
    assert_string_equal(err.msg, want);

    assert_int_equal(kmio_read_matrix(g_dir, KMIO_WANT_NATIVE, 0, &m, &err),
                     -1);
    assert_contains(err.msg, g_dir);
    assert_contains(err.msg, "Is a directory");

    assert_int_equal(kmio_read_matrix(NULL, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_int_equal(kmio_read_matrix(path, (kmio_want)7, 0, &m, &err), -1);
}

static void test_csv_want_f32(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    assert_int_equal(
        read_csv("f32.csv", "0.1,2\n3,4\n", KMIO_WANT_F32, 0, &m, &err), 0);
    assert_int_equal(m.n, 2);
    assert_true(f32(&m)[0] == 0.1f);
    assert_true(f32(&m)[3] == 4.0f);
    kmio_matrix_free(&m);

    assert_int_equal(read_csv("f64.csv", "0.1\n", KMIO_WANT_F64, 0, &m, &err),
                     0);
    assert_true(f64(&m)[0] == 0.1);
    kmio_matrix_free(&m);
}

static void test_csv_stdin(void **state)
{
    (void)state;
    const char *path = write_text("stdin.csv", "x y\n1 2\n3 4\n");
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    kmio_matrix m;
    kmio_error err;
    int rc = kmio_read_matrix("-", KMIO_WANT_NATIVE, 0, &m, &err);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.d, 2);
    kmio_matrix_free(&m);

    /* Errors name "<stdin>". */
    path = write_text("stdin2.csv", "1,2\n3,zz\n");
    fd = open(path, O_RDONLY);
    saved = dup(STDIN_FILENO);
    dup2(fd, STDIN_FILENO);
    close(fd);
    rc = kmio_read_matrix("-", KMIO_WANT_NATIVE, 0, &m, &err);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_int_equal(rc, -1);
    assert_contains(err.msg, "<stdin>:2:3: field 2 is not a number");
}

static void test_csv_larger(void **state)
{
    (void)state;
    /* Enough rows to grow the value array several times. */
    const size_t n = 100000;
    char *text = malloc(n * 32);
    assert_non_null(text);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%zu,%zu.5,-%zu\n", i, i, i);
    const char *path = write_bytes("larger.csv", text, len);
    free(text);
    kmio_matrix m;
    kmio_error err;
    assert_int_equal(kmio_read_matrix(path, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_int_equal(m.n, n);
    assert_int_equal(m.d, 3);
    for (size_t i = 0; i < n; i += 997) {
        assert_true(f64(&m)[3 * i] == (double)i);
        assert_true(f64(&m)[3 * i + 1] == (double)i + 0.5);
        assert_true(f64(&m)[3 * i + 2] == -(double)i);
    }
    kmio_matrix_free(&m);
}

/* ---- .npy ---------------------------------------------------------------- */

/*
 * Write a .npy file by hand: version major, header dict, then data.  The
 * header is padded so the data start at an offset that is misalign past a
 * multiple of 64.
 */
static const char *make_npy(const char *name, int major, const char *dict,
                            size_t misalign, const void *data, size_t nbytes)
{
    size_t pre = major == 1 ? 10 : 12;
    size_t dlen = strlen(dict);
    size_t used = pre + dlen + 1;
    size_t pad = (64 - used % 64) % 64 + misalign;
    size_t hlen = dlen + pad + 1;
    size_t total = pre + hlen + nbytes;
    unsigned char *buf = malloc(total);
    assert_non_null(buf);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    buf[8] = (unsigned char)(hlen & 0xFF);
    buf[9] = (unsigned char)(hlen >> 8);
    if (major != 1) {
        buf[10] = (unsigned char)(hlen >> 16);
        buf[11] = (unsigned char)(hlen >> 24);
    }
    memcpy(buf + pre, dict, dlen);
    memset(buf + pre + dlen, ' ', pad);
    buf[pre + dlen + pad] = '\n';
    if (nbytes)
        memcpy(buf + pre + hlen, data, nbytes);
    const char *path = write_bytes(name, buf, total);
    free(buf);
    return path;
}

static int in_map(const kmio_matrix *m)
{
    const char *p = m->data;
    const char *map = m->map_;
    return map && p >= map && p < map + m->map_len_;
}

static void test_npy_float_zero_copy(void **state)
{
    (void)state;
    const float xf[6] = {1, 2, 3, 4, 5, 6.5f};
    const double xd[6] = {1, 2, 3, 4, 5, 6.5};
    const char *pf =
        make_npy("f4.npy", 1,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                 0, xf, sizeof xf);
    const char *pd =
        make_npy("f8.npy", 1,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
                 0, xd, sizeof xd);
    kmio_matrix m;
    kmio_error err;

    assert_int_equal(kmio_read_matrix(pf, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_int_equal(m.n, 3);
    assert_int_equal(m.d, 2);
    assert_memory_equal(f32(&m), xf, sizeof xf);
    assert_true(in_map(&m));
    assert_null(m.owned_);
    kmio_matrix_free(&m);

    assert_int_equal(kmio_read_matrix(pf, KMIO_WANT_F32, 0, &m, &err), 0);
    assert_true(in_map(&m));
    kmio_matrix_free(&m);

    assert_int_equal(kmio_read_matrix(pd, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_memory_equal(f64(&m), xd, sizeof xd);
    assert_true(in_map(&m));
    /* Copied out of the read-only map on request, then writable. */
    assert_int_equal(kmio_matrix_make_writable(&m, &err), 0);
    assert_false(in_map(&m));
    assert_non_null(m.owned_);
    ((double *)m.data)[5] = 42;
    assert_memory_equal(f64(&m), xd, 5 * sizeof *xd);
    assert_int_equal(kmio_matrix_make_writable(&m, &err), 0); /* no-op */
    kmio_matrix_free(&m);

    /* Conversions copy. */
    assert_int_equal(kmio_read_matrix(pf, KMIO_WANT_F64, 0, &m, &err), 0);
    assert_memory_equal(f64(&m), xd, sizeof xd);
    assert_false(in_map(&m));
    assert_non_null(m.owned_);
    kmio_matrix_free(&m);

    assert_int_equal(kmio_read_matrix(pd, KMIO_WANT_F32, 0, &m, &err), 0);
    assert_memory_equal(f32(&m), xf, sizeof xf);
    assert_false(in_map(&m));
    kmio_matrix_free(&m);

    /* A double too large for float. */
    const double big[2] = {1, 1e300};
    const char *pb =
        make_npy("big.npy", 1,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 0,
                 big, sizeof big);
    assert_int_equal(kmio_read_matrix(pb, KMIO_WANT_F32, 0, &m, &err), -1);
    assert_contains(err.msg, "big.npy: row 2, column 1: value is out of "
                             "range for float32");
}

static void test_npy_misaligned(void **state)
{
    (void)state;
    const double xd[4] = {0.5, -1, 2, 1e-300};
    const char *p =
        make_npy("odd.npy", 1,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                 3, xd, sizeof xd);
    kmio_matrix m;
    kmio_error err;
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_memory_equal(f64(&m), xd, sizeof xd);
    assert_non_null(m.owned_);
    assert_true(((uintptr_t)m.data % sizeof(double)) == 0);
    kmio_matrix_free(&m);
}

static void test_npy_integers(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    const int8_t i1[3] = {-128, 0, 127};
    const int16_t i2[3] = {-32768, 1, 32767};
    const int32_t i4[3] = {INT32_MIN, 2, INT32_MAX};
    const int64_t i8[3] = {-((int64_t)1 << 53), 3, (int64_t)1 << 53};
    const uint8_t u1[3] = {0, 1, 255};
    const uint16_t u2[3] = {0, 1, 65535};
    const uint32_t u4[3] = {0, 1, UINT32_MAX};
    const uint64_t u8[3] = {0, 1, (uint64_t)1 << 63};
    const uint8_t b1[3] = {0, 1, 7}; /* any nonzero byte is True */
    struct {
        const char *descr;
        const void *data;
        size_t size;
        double want[3];
    } cases[] = {
        {"|i1", i1, sizeof i1, {-128, 0, 127}},
        {"<i2", i2, sizeof i2, {-32768, 1, 32767}},
        {"<i4", i4, sizeof i4, {INT32_MIN, 2, INT32_MAX}},
        {"<i8", i8, sizeof i8, {-9007199254740992.0, 3, 9007199254740992.0}},
        {"|u1", u1, sizeof u1, {0, 1, 255}},
        {"<u2", u2, sizeof u2, {0, 1, 65535}},
        {"<u4", u4, sizeof u4, {0, 1, UINT32_MAX}},
        {"<u8", u8, sizeof u8, {0, 1, 9223372036854775808.0}},
        {"|b1", b1, sizeof b1, {0, 1, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char dict[128], name[32];
        snprintf(dict, sizeof dict,
                 "{'descr': '%s', 'fortran_order': False, 'shape': (3,), }",
                 cases[c].descr);
        snprintf(name, sizeof name, "int%zu.npy", c);
        const char *p =
            make_npy(name, 1, dict, 0, cases[c].data, cases[c].size);
        assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
        assert_int_equal(m.n, 3);
        assert_int_equal(m.d, 1);
        assert_memory_equal(f64(&m), cases[c].want, sizeof cases[c].want);
        kmio_matrix_free(&m);

        assert_int_equal(kmio_read_matrix(p, KMIO_WANT_F32, 0, &m, &err), 0);
        for (int i = 0; i < 3; i++)
            assert_true(f32(&m)[i] == (float)cases[c].want[i]);
        kmio_matrix_free(&m);
    }
}

static void test_npy_big_endian_and_versions(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    /* 1.5 and -2 as big-endian float64, 258 as big-endian int32. */
    const unsigned char be8[16] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
                                   0xc0, 0x00, 0, 0, 0, 0, 0, 0};
    const unsigned char be4[4] = {0, 0, 1, 2};
    const char *p =
        make_npy("be8.npy", 1,
                 "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }",
                 0, be8, sizeof be8);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.d, 2);
    assert_true(f64(&m)[0] == 1.5 && f64(&m)[1] == -2);
    kmio_matrix_free(&m);

    p = make_npy("be4.npy", 1,
                 "{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", 0,
                 be4, sizeof be4);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_true(f64(&m)[0] == 258);
    kmio_matrix_free(&m);

    const double xd[2] = {7, 8};
    for (int major = 2; major <= 3; major++) {
        char name[32];
        snprintf(name, sizeof name, "v%d.npy", major);
        /* Double quotes and no trailing comma are valid Python too. */
        p = make_npy(name, major,
                     "{\"descr\": \"<f8\", \"fortran_order\": False, "
                     "\"shape\": (2, 1)}",
                     0, xd, sizeof xd);
        assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
        assert_int_equal(m.n, 2);
        assert_int_equal(m.d, 1);
        assert_memory_equal(f64(&m), xd, sizeof xd);
        kmio_matrix_free(&m);
    }

    /* Fortran order means nothing for a vector. */
    p = make_npy("fvec.npy", 1,
                 "{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", 0,
                 xd, sizeof xd);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    kmio_matrix_free(&m);
}

static void expect_npy_error(const char *name, int major, const char *dict,
                             const void *data, size_t nbytes,
                             const char *fragment)
{
    const char *p = make_npy(name, major, dict, 0, data, nbytes);
    kmio_matrix m;
    kmio_error err;
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_null(m.data);
    assert_contains(err.msg, name);
    assert_contains(err.msg, fragment);
}

static void test_npy_errors(void **state)
{
    (void)state;
    const double x[6] = {1, 2, 3, 4, 5, 6};
    kmio_matrix m;
    kmio_error err;

    const char *p = write_text("magic.npy", "x,y\n1,2\n");
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_contains(err.msg, "magic.npy: not a .npy file (bad magic)");

    p = write_bytes("short.npy", "\x93NUMPY\x01", 7);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_contains(err.msg, "short.npy: truncated .npy header");

    p = write_bytes("empty.npy", "", 0);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_contains(err.msg, "empty.npy: empty file");

    p = tmp_path("nonexistent.npy");
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_contains(err.msg, "nonexistent.npy: cannot open: No such file");

    expect_npy_error(
        "c16.npy", 1,
        "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }", x,
        sizeof x, "unsupported dtype '<c16'");
    expect_npy_error("obj.npy", 1,
                     "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }",
                     x, sizeof x, "unsupported dtype '|O'");
    expect_npy_error(
        "half.npy", 1,
        "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", x,
        sizeof x, "unsupported dtype '<f2'");
    expect_npy_error("struct.npy", 1,
                     "{'descr': [('a', '<f8')], 'fortran_order': False, "
                     "'shape': (3,), }",
                     x, sizeof x, "structured");
    expect_npy_error(
        "fortran.npy", 1,
        "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", x,
        sizeof x, "fortran_order True is not supported");
    expect_npy_error(
        "trunc.npy", 1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }", x,
        sizeof x,
        "truncated: shape (4, 2) needs 64 bytes of data, the file "
        "has 48");
    expect_npy_error(
        "3d.npy", 1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3), }", x,
        sizeof x, "shape (1, 2, 3) is not 1-D or 2-D");
    expect_npy_error("0d.npy", 1,
                     "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                     x, sizeof x, "shape () is not 1-D or 2-D");
    expect_npy_error(
        "zero.npy", 1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", NULL, 0,
        "zero.npy: no data rows (shape (0, 3))");
    expect_npy_error(
        "zerocols.npy", 1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 0), }", NULL, 0,
        "zerocols.npy: no columns");
    expect_npy_error(
        "v9.npy", 9,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", x,
        sizeof x, "unsupported .npy format version 9.0");
    expect_npy_error("nokey.npy", 1, "{'descr': '<f8', 'shape': (3,), }", x,
                     sizeof x, "bad .npy header: no 'fortran_order'");
    expect_npy_error("extrakey.npy", 1,
                     "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), "
                     "'x': 1}",
                     x, sizeof x, "unexpected key 'x'");
    expect_npy_error("notdict.npy", 1, "[1, 2]", x, sizeof x,
                     "bad .npy header");
    expect_npy_error("overflow.npy", 1,
                     "{'descr': '<f8', 'fortran_order': False, 'shape': "
                     "(4611686018427387904, 4), }",
                     x, sizeof x, "too large");

    /* A header length pointing past the end of the file. */
    unsigned char hdr[16] = {0x93, 'N',  'U', 'M', 'P', 'Y', 1,   0,
                             0xff, 0x00, '{', '}', ' ', ' ', ' ', '\n'};
    p = write_bytes("hlen.npy", hdr, sizeof hdr);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_contains(err.msg, "hlen.npy: truncated .npy header");
}

static void test_npy_nonfinite(void **state)
{
    (void)state;
    const double x[4] = {1, 2, NAN, 4};
    const char *p =
        make_npy("nan.npy", 1,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                 0, x, sizeof x);
    kmio_matrix m;
    kmio_error err;
    /* Both the zero-copy and the converting path check. */
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), -1);
    assert_contains(err.msg, "nan.npy: row 2, column 1: value is not finite");
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_F32, 0, &m, &err), -1);
    assert_contains(err.msg, "nan.npy: row 2, column 1: value is not finite");

    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 1, &m, &err), 0);
    assert_true(isnan(f64(&m)[2]));
    kmio_matrix_free(&m);
}

/* ---- writers ------------------------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
    *s += 0x9E3779B97F4A7C15u;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Doubles of every kind: random bit patterns (finite ones), and the edge
   cases. */
static void fill_doubles(double *x, size_t n)
{
    static const double edge[] = {0.0,
                                  -0.0,
                                  0.1,
                                  1.0 / 3.0,
                                  DBL_MAX,
                                  -DBL_MAX,
                                  DBL_MIN,
                                  4.9406564584124654e-324,
                                  123456789012345678.0,
                                  1e22,
                                  1e23,
                                  -2.5};
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        if (i < sizeof edge / sizeof edge[0]) {
            x[i] = edge[i];
            continue;
        }
        double v;
        do {
            uint64_t bits = next_rand(&s);
            memcpy(&v, &bits, sizeof v);
        } while (!isfinite(v));
        x[i] = (i % 3 == 0) ? v : (double)(next_rand(&s) >> 11) / 1e6;
    }
}

static void test_write_csv_roundtrip(void **state)
{
    (void)state;
    enum { N = 400, D = 3 };
    double *x = malloc(N * D * sizeof *x);
    float *xf = malloc(N * D * sizeof *xf);
    assert_non_null(x);
    assert_non_null(xf);
    fill_doubles(x, N * D);
    for (size_t i = 0; i < N * D; i++) {
        xf[i] = (float)(x[i] / 1e10);
        if (!isfinite(xf[i]))
            xf[i] = 0.25f;
    }
    xf[0] = FLT_MAX;
    xf[1] = FLT_MIN;
    xf[2] = 1.4e-45f;
    xf[3] = -0.0f;

    kmio_matrix m;
    kmio_error err;
    const char *p = tmp_path("rt.csv");
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT64, x, N, D, 0, &err), 0);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_F64, 0, &m, &err), 0);
    assert_int_equal(m.n, N);
    assert_int_equal(m.d, D);
    assert_memory_equal(m.data, x, N * D * sizeof *x);
    kmio_matrix_free(&m);

    p = tmp_path("rtf.csv");
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT32, xf, N, D, 0, &err), 0);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_F32, 0, &m, &err), 0);
    assert_memory_equal(m.data, xf, N * D * sizeof *xf);
    kmio_matrix_free(&m);
    free(x);
    free(xf);

    /* Shortest round-trip form, comma separated, '\n' line ends. */
    const double small[6] = {0.1, 1.0 / 3.0, 100, -0.0, 0.1 + 0.2, 1e300};
    p = tmp_path("short.csv");
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT64, small, 3, 2, 0, &err), 0);
    char *text = slurp(p, NULL);
    assert_string_equal(text, "0.1,0.3333333333333333\n100,-0\n"
                              "0.30000000000000004,1e+300\n");
    free(text);
    const float smallf[3] = {0.1f, 1.0f / 3.0f, 16777216.0f};
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT32, smallf, 3, 1, 1, &err),
                     0);
    text = slurp(p, NULL);
    assert_string_equal(text, "0.1\n0.33333334\n16777216\n");
    free(text);
}

static void test_write_npy_roundtrip(void **state)
{
    (void)state;
    enum { N = 50, D = 4 };
    double x[N * D];
    float xf[N * D];
    fill_doubles(x, N * D);
    for (size_t i = 0; i < N * D; i++)
        xf[i] = (float)i / 7.0f;
    kmio_matrix m;
    kmio_error err;

    const char *p = tmp_path("rt.npy");
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT64, x, N, D, 0, &err), 0);
    size_t len;
    char *raw = slurp(p, &len);
    assert_memory_equal(raw, "\x93NUMPY\x01\x00", 8);
    size_t hlen = (size_t)(unsigned char)raw[8] | (size_t)(unsigned char)raw[9]
                                                      << 8;
    assert_int_equal((10 + hlen) % 64, 0);
    assert_int_equal(raw[10 + hlen - 1], '\n');
    assert_contains(raw + 10, "{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (50, 4), }");
    assert_int_equal(len, 10 + hlen + sizeof x);
    free(raw);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_int_equal(m.n, N);
    assert_int_equal(m.d, D);
    assert_memory_equal(f64(&m), x, sizeof x);
    kmio_matrix_free(&m);

    p = tmp_path("rtf.NPY");
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT32, xf, N, D, 0, &err), 0);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_memory_equal(f32(&m), xf, sizeof xf);
    assert_true(in_map(&m));
    kmio_matrix_free(&m);

    /* A vector is written 1-D only when asked and d == 1. */
    p = tmp_path("vec.npy");
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT64, x, N, 1, 1, &err), 0);
    raw = slurp(p, NULL);
    assert_contains(raw + 10, "'shape': (50,), }");
    free(raw);
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT64, x, N, 1, 0, &err), 0);
    raw = slurp(p, NULL);
    assert_contains(raw + 10, "'shape': (50, 1), }");
    free(raw);
}

static void test_write_labels(void **state)
{
    (void)state;
    const int32_t labels[5] = {0, 3, -1, 2147483647, 1};
    kmio_matrix m;
    kmio_error err;
    const char *p = tmp_path("labels.csv");
    assert_int_equal(kmio_write_labels(p, labels, 5, &err), 0);
    char *text = slurp(p, NULL);
    assert_string_equal(text, "0\n3\n-1\n2147483647\n1\n");
    free(text);

    p = tmp_path("labels.npy");
    assert_int_equal(kmio_write_labels(p, labels, 5, &err), 0);
    text = slurp(p, NULL);
    assert_contains(text + 10, "{'descr': '<i4', 'fortran_order': False, "
                               "'shape': (5,), }");
    free(text);
    assert_int_equal(kmio_read_matrix(p, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_int_equal(m.n, 5);
    assert_int_equal(m.d, 1);
    for (int i = 0; i < 5; i++)
        assert_true(f64(&m)[i] == labels[i]);
    kmio_matrix_free(&m);
}

static void test_write_stdout(void **state)
{
    (void)state;
    const char *p = tmp_path("stdout.txt");
    fflush(stdout);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    const double x[2] = {1.5, 2};
    kmio_error err;
    int rc = kmio_write_matrix("-", KM_FLOAT64, x, 1, 2, 0, &err);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(rc, 0);
    char *text = slurp(p, NULL);
    assert_string_equal(text, "1.5,2\n");
    free(text);
}

static void test_write_errors_keep_files(void **state)
{
    (void)state;
    const double x[4] = {1, 2, 3, 4};
    kmio_error err;

    /* A directory that does not exist. */
    char p[8192];
    snprintf(p, sizeof p, "%s/no/such/dir/out.csv", g_dir);
    assert_int_equal(kmio_write_matrix(p, KM_FLOAT64, x, 2, 2, 0, &err), -1);
    assert_contains(err.msg, p);
    assert_contains(err.msg, "No such file or directory");

    /* The path is a directory. */
    assert_int_equal(kmio_write_matrix(g_dir, KM_FLOAT64, x, 2, 2, 0, &err),
                     -1);
    assert_contains(err.msg, "Is a directory");

    /* Invalid arguments. */
    assert_int_equal(
        kmio_write_matrix(tmp_path("bad.csv"), (km_dtype)9, x, 2, 2, 0, &err),
        -1);
    assert_int_equal(
        kmio_write_matrix(tmp_path("bad.csv"), KM_FLOAT64, NULL, 2, 2, 0, &err),
        -1);
    assert_int_equal(kmio_write_matrix(tmp_path("bad.csv"), KM_FLOAT64, x,
                                       SIZE_MAX / 2, 4, 0, &err),
                     -1);
    assert_false(file_exists(tmp_path("bad.csv")));

    /* A write that fails half-way (file size limit) leaves the existing
       file as it was and no temporary file behind. */
    const char *keep = write_text("keep.csv", "old contents\n");
    const char *keepn = write_text("keep.npy", "old npy\n");
    enum { BIG = 20000 };
    double *big = calloc(BIG * 4, sizeof *big);
    assert_non_null(big);
    struct rlimit old_lim, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
    lim = old_lim;
    lim.rlim_cur = 4096;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc_csv = kmio_write_matrix(keep, KM_FLOAT64, big, BIG, 4, 0, &err);
    kmio_error err_npy;
    int rc_npy = kmio_write_matrix(keepn, KM_FLOAT64, big, BIG, 4, 0, &err_npy);
    setrlimit(RLIMIT_FSIZE, &old_lim);
    signal(SIGXFSZ, old_sig);
    free(big);
    assert_int_equal(rc_csv, -1);
    assert_contains(err.msg, keep);
    assert_contains(err.msg, "cannot write: File too large");
    assert_int_equal(rc_npy, -1);
    assert_contains(err_npy.msg, "File too large");
    char *text = slurp(keep, NULL);
    assert_string_equal(text, "old contents\n");
    free(text);
    text = slurp(keepn, NULL);
    assert_string_equal(text, "old npy\n");
    free(text);
    assert_int_equal(count_temp_files(), 0);

    /* A successful write replaces the file whole and keeps its mode. */
    assert_int_equal(chmod(keep, 0640), 0);
    assert_int_equal(kmio_write_matrix(keep, KM_FLOAT64, x, 2, 2, 0, &err), 0);
    text = slurp(keep, NULL);
    assert_string_equal(text, "1,2\n3,4\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(keep, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);

    /* A new file gets 0666 less the umask, not mkstemp's 0600. */
    mode_t old_mask = umask(022);
    const char *fresh = tmp_path("fresh.csv");
    int rc = kmio_write_matrix(fresh, KM_FLOAT64, x, 2, 2, 0, &err);
    umask(old_mask);
    assert_int_equal(rc, 0);
    assert_int_equal(stat(fresh, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_temp_files(), 0);
}

static void test_atomic_api(void **state)
{
    (void)state;
    kmio_error err;
    kmio_atomic a;
    const char *p = write_text("atomic.json", "{\"old\": true}\n");

    /* Abort: the old file stays, the temporary file goes. */
    assert_int_equal(kmio_atomic_open(&a, p, &err), 0);
    assert_non_null(a.fp);
    fputs("{\"new\": ", a.fp);
    assert_int_equal(count_temp_files(), 1);
    kmio_atomic_abort(&a);
    kmio_atomic_abort(&a); /* twice is harmless */
    assert_int_equal(count_temp_files(), 0);
    char *text = slurp(p, NULL);
    assert_string_equal(text, "{\"old\": true}\n");
    free(text);

    /* Nothing is visible at path until commit. */
    assert_int_equal(kmio_atomic_open(&a, p, &err), 0);
    fputs("{\"new\": true}\n", a.fp);
    fflush(a.fp);
    text = slurp(p, NULL);
    assert_string_equal(text, "{\"old\": true}\n");
    free(text);
    assert_int_equal(kmio_atomic_commit(&a, &err), 0);
    text = slurp(p, NULL);
    assert_string_equal(text, "{\"new\": true}\n");
    free(text);
    assert_int_equal(count_temp_files(), 0);
    kmio_atomic_abort(&a); /* after commit: no-op */
    assert_true(file_exists(p));

    /* Commit without open fails cleanly. */
    assert_int_equal(kmio_atomic_commit(&a, &err), -1);
}

/* A FIFO (like /dev/null or a pipe) is written into, never renamed over. */
static void test_write_fifo(void **state)
{
    (void)state;
    const char *fifo = tmp_path("fifo.csv");
    const char *sink = tmp_path("fifo_sink.txt");
    char sink_copy[8192];
    snprintf(sink_copy, sizeof sink_copy, "%s", sink);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(fifo, O_RDONLY);
        int out = open(sink_copy, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char buf[256];
        ssize_t got;
        while (in >= 0 && out >= 0 && (got = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)got) != got)
                _exit(1);
        _exit(in >= 0 && out >= 0 ? 0 : 1);
    }
    const double x[2] = {1, 2};
    kmio_error err;
    int rc = kmio_write_matrix(fifo, KM_FLOAT64, x, 2, 1, 0, &err);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_int_equal(rc, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    char *text = slurp(sink, NULL);
    assert_string_equal(text, "1\n2\n");
    free(text);
    assert_int_equal(count_temp_files(), 0);
}

/* ---- number conversion against libc -------------------------------------- */

/* The reader's own decimal conversion must agree with strtod bit for bit
   (value and end), and the writer's %g with printf, on random inputs of
   every shape: short and long mantissas, leading zeros, exponents. */
static void test_numbers_match_libc(void **state)
{
    (void)state;
    uint64_t s = 7;
    for (int i = 0; i < 200000; i++) {
        char t[64];
        int pos = 0;
        if (next_rand(&s) & 1)
            t[pos++] = (next_rand(&s) & 1) ? '-' : '+';
        int nd = (int)(next_rand(&s) % 24) + 1;
        int dot = (int)(next_rand(&s) % (uint64_t)(nd + 2));
        int zeros = (int)(next_rand(&s) % 4);
        for (int k = 0; k < zeros; k++)
            t[pos++] = '0';
        for (int k = 0; k < nd; k++) {
            if (k == dot)
                t[pos++] = '.';
            t[pos++] = (char)('0' + next_rand(&s) % 10);
        }
        if (next_rand(&s) % 3 == 0)
            pos += sprintf(t + pos, "e%d", (int)(next_rand(&s) % 80) - 40);
        if (next_rand(&s) % 5 == 0)
            t[pos++] = 'x';
        t[pos] = '\0';
        double a = 0, b;
        const char *ea = NULL;
        char *eb;
        int ok = kmio_parse_double(t, t + pos, &a, &ea);
        b = strtod(t, &eb);
        assert_true(ok);
        if (ea != eb || memcmp(&a, &b, sizeof a) != 0)
            fail_msg("\"%s\": %.17g (%td) vs strtod %.17g (%td)", t, a, ea - t,
                     b, eb - t);
    }

    double x[64];
    fill_doubles(x, 64);
    for (int i = 0; i < 200000; i++) {
        double v;
        uint64_t bits = next_rand(&s);
        switch (i % 4) {
        case 0:
            memcpy(&v, &bits, sizeof v);
            break;
        case 1:
            v = (double)(bits >> 11) / 9007199254740992.0 *
                pow(10, (double)(next_rand(&s) % 40) - 20);
            break;
        case 2:
            v = ldexp(1.0, (int)(next_rand(&s) % 300) - 150);
            v = (bits & 1) ? nextafter(v, 0) : v;
            break;
        default:
            v = x[i % 64];
        }
        if (!isfinite(v))
            continue;
        int prec = (int)(next_rand(&s) % 17) + 1;
        char a[64], b[64];
        kmio_format_g(a, v, prec);
        snprintf(b, sizeof b, "%.*g", prec, v);
        assert_string_equal(a, b);
        /* Shortest round trip: the first of 15..17 digits that works. */
        kmio_format_f64(a, v);
        for (prec = 15; prec <= 17; prec++) {
            snprintf(b, sizeof b, "%.*g", prec, v);
            if (strtod(b, NULL) == v)
                break;
        }
        assert_string_equal(a, b);
        float f = (float)v;
        if (isfinite(f)) {
            kmio_format_f32(a, f);
            assert_true((float)strtod(a, NULL) == f);
            assert_true(strlen(a) <= 15);
        }
    }
}

/* gzip-compress a file in place of src (as name), with zlib's gzip writer. */
static const char *gzip_file(const char *src, const char *name, int members)
{
    size_t len;
    char *text = slurp(src, &len);
    const char *path = tmp_path(name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fclose(fp);
    for (int m = 0; m < members; m++) {
        size_t lo = len * (size_t)m / (size_t)members;
        size_t hi = len * (size_t)(m + 1) / (size_t)members;
        gzFile gz = gzopen(path, "ab");
        assert_non_null(gz);
        assert_int_equal(gzwrite(gz, text + lo, (unsigned)(hi - lo)),
                         (int)(hi - lo));
        assert_int_equal(gzclose(gz), Z_OK);
    }
    free(text);
    return path;
}

static void test_gzip_inputs(void **state)
{
    (void)state;
    kmio_matrix m;
    kmio_error err;
    const double vals[6] = {1.5, -2, 3, 4.25, 5, 6};
    const char *csv = write_text("g.csv", "a,b\n1.5,-2\n3,4.25\n5,6\n");
    const char *gz = gzip_file(csv, "g.csv.gz", 1);
    assert_int_equal(kmio_read_matrix(gz, KMIO_WANT_NATIVE, 0, &m, &err), 0);
    assert_int_equal(m.n, 3);
    assert_int_equal(m.d, 2);
    assert_memory_equal(m.data, vals, sizeof vals);
    kmio_matrix_free(&m);
    /* Several members, as concatenated gzip files. */
    gz = gzip_file(csv, "g3.csv.gz", 3);
    assert_int_equal(kmio_read_matrix(gz, KMIO_WANT_F64, 0, &m, &err), 0);
    assert_memory_equal(m.data, vals, sizeof vals);
    kmio_matrix_free(&m);
    /* x.npy.gz is read as .npy. */
    const char *npy = make_npy("g.npy", 1,
                               "{'descr': '<f8', 'fortran_order': False, "
                               "'shape': (3, 2), }",
                               0, vals, sizeof vals);
    gz = gzip_file(npy, "g.npy.gz", 1);
    assert_int_equal(kmio_read_matrix(gz, KMIO_WANT_F64, 0, &m, &err), 0);
    assert_int_equal(m.n, 3);
    assert_memory_equal(m.data, vals, sizeof vals);
    kmio_matrix_free(&m);
    /* A truncated stream is an error naming the file. */
    size_t len;
    char *bytes = slurp(gz, &len);
    const char *cut = write_bytes("cut.csv.gz", bytes, len / 2);
    free(bytes);
    assert_int_equal(kmio_read_matrix(cut, KMIO_WANT_F64, 0, &m, &err), -1);
    assert_non_null(strstr(err.msg, "cut.csv.gz: corrupt or truncated gzip"));
}

static void test_matrix_free_null(void **state)
{
    (void)state;
    kmio_matrix_free(NULL);
    kmio_matrix m;
    memset(&m, 0, sizeof m);
    kmio_matrix_free(&m);
    kmio_matrix_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_comma),
        cmocka_unit_test(test_gzip_inputs),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_tab_and_spaces),
        cmocka_unit_test(test_csv_crlf_bom_comments),
        cmocka_unit_test(test_csv_nonfinite),
        cmocka_unit_test(test_csv_ragged),
        cmocka_unit_test(test_csv_non_numeric),
        cmocka_unit_test(test_csv_empty_and_missing),
        cmocka_unit_test(test_csv_want_f32),
        cmocka_unit_test(test_csv_stdin),
        cmocka_unit_test(test_csv_larger),
        cmocka_unit_test(test_npy_float_zero_copy),
        cmocka_unit_test(test_npy_misaligned),
        cmocka_unit_test(test_npy_integers),
        cmocka_unit_test(test_npy_big_endian_and_versions),
        cmocka_unit_test(test_npy_errors),
        cmocka_unit_test(test_npy_nonfinite),
        cmocka_unit_test(test_write_csv_roundtrip),
        cmocka_unit_test(test_write_npy_roundtrip),
        cmocka_unit_test(test_write_labels),
        cmocka_unit_test(test_write_stdout),
        cmocka_unit_test(test_write_errors_keep_files),
        cmocka_unit_test(test_atomic_api),
        cmocka_unit_test(test_write_fifo),
        cmocka_unit_test(test_numbers_match_libc),
        cmocka_unit_test(test_matrix_free_null),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
