/*
 * fuzz_csv.c - libFuzzer target for the CSV reader.  Parses the input with
 * every kmio_want and both nonfinite policies through the same from-memory
 * entry point the file reader uses, and checks the result's invariants.
 * It also checks the number conversions against libc: kmio_parse_double
 * against strtod at the first few field starts, and the writer's
 * formatting of the input's first 8 bytes taken as a double against
 * snprintf and for an exact round trip.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmio_internal.h"

static void check(int rc, const kmio_matrix *m, const kmio_error *err,
                  kmio_want want, int allow_nonfinite)
{
    if (rc != 0) {
        if (rc != -1 || err->msg[0] == '\0' || m->data != NULL)
            abort();
        return;
    }
    if (m->n == 0 || m->d == 0 || !m->data || m->owned_ != m->data)
        abort();
    if ((want == KMIO_WANT_F32) != (m->dtype == KM_FLOAT32))
        abort();
    size_t count = m->n * m->d;
    for (size_t i = 0; i < count; i++) {
        double v = m->dtype == KM_FLOAT32 ? (double)((const float *)m->data)[i]
                                          : ((const double *)m->data)[i];
        if (!allow_nonfinite && !isfinite(v))
            abort();
    }
}

static void check_parse(const char *text, size_t size)
{
    int tried = 0;
    for (size_t i = 0; i < size && tried < 16; i++) {
        if (i > 0 && text[i - 1] != ',' && text[i - 1] != '\n' &&
            text[i - 1] != ' ')
            continue;
        tried++;
        double a = 0;
        const char *ea = NULL;
        if (!kmio_parse_double(text + i, text + size, &a, &ea))
            continue;
        char *eb;
        double b = strtod(text + i, &eb);
        if (ea != eb || (memcmp(&a, &b, sizeof a) != 0 && !isnan(a)))
            abort();
    }
}

static void check_format(const uint8_t *data, size_t size)
{
    if (size < 9)
        return;
    double v;
    memcpy(&v, data, sizeof v);
    if (!isfinite(v))
        return;
    char a[64], b[64];
    int prec = data[8] % 17 + 1;
    kmio_format_g(a, v, prec);
    snprintf(b, sizeof b, "%.*g", prec, v);
    if (strcmp(a, b) != 0)
        abort();
    size_t len = kmio_format_f64(a, v);
    double r;
    const char *end;
    if (!kmio_parse_double(a, a + len, &r, &end) || end != a + len ||
        memcmp(&r, &v, sizeof v) != 0)
        abort();
    float f;
    memcpy(&f, data, sizeof f);
    if (isfinite(f)) {
        len = kmio_format_f32(a, f);
        if (!kmio_parse_double(a, a + len, &r, &end) || (float)r != f)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The parser relies on a terminating NUL, as the file reader provides. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    static const kmio_want wants[] = {KMIO_WANT_NATIVE, KMIO_WANT_F32,
                                      KMIO_WANT_F64};
    for (size_t w = 0; w < sizeof wants / sizeof wants[0]; w++) {
        for (int allow = 0; allow <= 1; allow++) {
            kmio_matrix m;
            kmio_error err;
            err.msg[0] = '\0';
            int rc = kmio_csv_read_mem("fuzz.csv", text, size, wants[w], allow,
                                       &m, &err);
            check(rc, &m, &err, wants[w], allow);
            kmio_matrix_free(&m);
        }
    }
    check_parse(text, size);
    check_format(data, size);
    free(text);
    return 0;
}
