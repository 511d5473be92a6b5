/*
 * fuzz_csv.c - libFuzzer target for the CSV reader.  Parses the input with
 * every kmio_want and both nonfinite policies through the same from-memory
 * entry point the file reader uses, and checks the result's invariants.
 */
#include <math.h>
#include <stdint.h>
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
    free(text);
    return 0;
}
