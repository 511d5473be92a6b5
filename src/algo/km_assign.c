/*
 * km_assign.c - instantiates the shared algorithm pieces for float and
 * double, and the row blocking.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "algo/km_algo.h"
#include "common/km_common.h"

km_blocking km_blocking_for(size_t n, size_t k, size_t d)
{
    /* At most KM_MAX_BLOCKS blocks of whole kernel row blocks, and few
       enough that the per-block center sums (k x d doubles each) stay
       under 32 MiB in all. */
    const size_t budget = (size_t)32 << 20;
    size_t per = k * d * sizeof(double);
    size_t chunks = (n + KM_ROW_BLOCK - 1) / KM_ROW_BLOCK;
    size_t nb = chunks < KM_MAX_BLOCKS ? chunks : KM_MAX_BLOCKS;
    size_t cap = per > 0 ? budget / per : nb;
    km_blocking b;

    if (cap < 2)
        cap = 2;
    if (nb > cap)
        nb = cap;
    if (nb < 1)
        nb = 1;
    /* Rows per block rounded up to whole kernel blocks. */
    b.rows = (chunks + nb - 1) / nb * KM_ROW_BLOCK;
    if (b.rows == 0)
        b.rows = KM_ROW_BLOCK;
    b.n_blocks = (n + b.rows - 1) / b.rows;
    if (b.n_blocks == 0)
        b.n_blocks = 1;
    return b;
}

void *km_ws_get(km_workspace *ws, int slot, size_t size, int zero)
{
    if (size == 0)
        size = 1;
    if (ws->size[slot] < size) {
        km_free(ws->buf[slot]);
        ws->buf[slot] = km_malloc_array(size, 1);
        ws->size[slot] = ws->buf[slot] != NULL ? size : 0;
        if (ws->buf[slot] == NULL)
            return NULL;
    }
    if (zero)
        memset(ws->buf[slot], 0, size);
    return ws->buf[slot];
}

void km_ws_free(km_workspace *ws)
{
    if (ws == NULL)
        return;
    for (int i = 0; i < KM_WS_SLOTS; i++)
        km_free(ws->buf[i]);
    km_free(ws);
}

/* One block's step of km_reduce_blocks: sums += bsums, wsum += bw. */
void km_reduce_blocks_add(const double *bsums, const double *bw, size_t k,
                          size_t d, double *sums, double *wsum)
{
    const size_t kd = k * d;

    for (size_t t = 0; t < kd; t++)
        sums[t] += bsums[t];
    for (size_t j = 0; j < k; j++)
        wsum[j] += bw[j];
}

void km_reduce_blocks(const double *bsums, const double *bw, size_t nb,
                      size_t k, size_t d, double *sums, double *wsum)
{
    const size_t kd = k * d;

    memset(sums, 0, kd * sizeof *sums);
    memset(wsum, 0, k * sizeof *wsum);
    for (size_t b = 0; b < nb; b++)
        km_reduce_blocks_add(bsums + b * kd, bw + b * k, k, d, sums, wsum);
}

km_algorithm km_choose_algorithm(km_algorithm requested, size_t n, size_t k,
                                 int form)
{
    if (requested != KM_ALGO_AUTO)
        return requested;
    if (n >= 10000 && ((form == KM_FORM_FUSED && k >= 50) ||
                       (form == KM_FORM_BLAS && k >= 100)))
        return KM_ALGO_HAMERLY;
    return KM_ALGO_LLOYD;
}

/* Rows per piece of a pass's labels when they are shared out apart from
   the blocks (a divisor of KM_ROW_BLOCK and a multiple of KM_XT_PAD), and
   fewest blocks per thread that do without. */
#define KM_PIECE        64
#define KM_SPLIT_BLOCKS 8

_Static_assert(KM_ROW_BLOCK % KM_PIECE == 0 && KM_PIECE % KM_XT_PAD == 0,
               "pieces within kernel row blocks, whole transposed vectors");

#define REAL     float
#define FN(name) name##_f32
#include "algo/km_assign_impl.h"
#undef REAL
#undef FN

#define REAL     double
#define FN(name) name##_f64
#include "algo/km_assign_impl.h"
#undef REAL
#undef FN
