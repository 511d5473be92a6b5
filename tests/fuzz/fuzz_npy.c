/*
 * fuzz_npy.c - libFuzzer target for the .npy reader.  Parses the input with
 * every kmio_want, both nonfinite policies, and both with and without
 * borrowing the input (the zero-copy path the memory-mapped file reader
 * takes), and checks the result's invariants.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmio_internal.h"

static void check(int rc, const kmio_matrix *m, const kmio_error *err,
                  const uint8_t *data, size_t size, int allow_nonfinite)
{
    if (rc != 0) {
        if (rc != -1 || err->msg[0] == '\0' || m->data != NULL)
            abort();
        return;
    }
    if (m->n == 0 || m->d == 0 || !m->data)
        abort();
    size_t elem = m->dtype == KM_FLOAT32 ? sizeof(float) : sizeof(double);
    size_t count = m->n * m->d;
    if (!m->owned_) {
        /* Borrowed: the whole matrix must lie inside the input. */
        const uint8_t *p = m->data;
        if (p < data || (size_t)(p - data) > size ||
            count * elem > size - (size_t)(p - data))
            abort();
    }
    for (size_t i = 0; i < count; i++) {
        double v = m->dtype == KM_FLOAT32 ? (double)((const float *)m->data)[i]
                                          : ((const double *)m->data)[i];
        if (!allow_nonfinite && !isfinite(v))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const kmio_want wants[] = {KMIO_WANT_NATIVE, KMIO_WANT_F32,
                                      KMIO_WANT_F64};
    for (size_t w = 0; w < sizeof wants / sizeof wants[0]; w++) {
        for (int allow = 0; allow <= 1; allow++) {
            for (int borrow = 0; borrow <= 1; borrow++) {
                kmio_matrix m;
                kmio_error err;
                err.msg[0] = '\0';
                int rc = kmio_npy_read_mem("fuzz.npy", data, size, wants[w],
                                           allow, borrow, &m, &err);
                check(rc, &m, &err, data, size, allow);
                kmio_matrix_free(&m);
            }
        }
    }
    return 0;
}
