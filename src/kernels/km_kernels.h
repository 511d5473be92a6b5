/*
 * km_kernels.h - distance kernels behind one table.
 *
 * The algorithms (src/algo) reach distances only through this header: the
 * canonical squared distance km_sqdist_* and a table of block kernels chosen
 * once per fit.  The canonical distance defines the labels: sum over
 * features, in feature order, of (x_f - c_f)^2 in the data's precision.  A
 * fast kernel may compute approximate distances (the BLAS form
 * |x|^2 - 2 x.c + |c|^2), but then it also reports an error bound, and the
 * assignment re-checks every center within that bound with the canonical
 * distance, so labels never depend on which kernel ran.
 */
#ifndef KM_KERNELS_H
#define KM_KERNELS_H

#include <stddef.h>

/* The canonical squared Euclidean distance (see above).  Compiled in ISO
   C mode: no FMA contraction, no reassociation, so it gives the same bits
   wherever it is inlined. */
static inline float km_sqdist_f32(const float *x, const float *c, size_t d)
{
    float s = 0.0f;

    for (size_t f = 0; f < d; f++) {
        float t = x[f] - c[f];
        s += t * t;
    }
    return s;
}

static inline double km_sqdist_f64(const double *x, const double *c, size_t d)
{
    double s = 0.0;

    for (size_t f = 0; f < d; f++) {
        double t = x[f] - c[f];
        s += t * t;
    }
    return s;
}

/*
 * dist_block: D[i * k + j] = squared distance of row i of X (m rows) to
 * center j of C (k rows), for a block of rows.  xn and cn are the squared
 * norms of the rows and centers (from sq_norms); a kernel that is exact may
 * ignore them.  exact != 0 means D holds canonical distances; otherwise
 * |D - canonical| <= err_scale * (xn[i] + cn[j]).
 */
typedef struct km_kernels_f32 {
    const char *name;
    int exact;
    double err_scale;
    void (*sq_norms)(const float *X, size_t m, size_t d, float *out);
    void (*dist_block)(const float *X, size_t m, size_t d, const float *C,
                       size_t k, const float *xn, const float *cn, float *D);
} km_kernels_f32;

typedef struct km_kernels_f64 {
    const char *name;
    int exact;
    double err_scale;
    void (*sq_norms)(const double *X, size_t m, size_t d, double *out);
    void (*dist_block)(const double *X, size_t m, size_t d, const double *C,
                       size_t k, const double *xn, const double *cn, double *D);
} km_kernels_f64;

typedef enum km_kernel_id {
    KM_KERNEL_AUTO = 0,
    KM_KERNEL_REF = 1,
    KM_KERNEL_BLAS = 2
} km_kernel_id;

/* The table for a kernel id and a problem shape.  AUTO chooses by k and d;
   BLAS falls back to the reference kernels when built without CBLAS.
   err_scale of an inexact table depends on d, so it is filled here. */
void km_kernels_get_f32(km_kernel_id id, size_t k, size_t d,
                        km_kernels_f32 *out);
void km_kernels_get_f64(km_kernel_id id, size_t k, size_t d,
                        km_kernels_f64 *out);

/* Rows per kernel call: D blocks are KM_ROW_BLOCK x k. */
#define KM_ROW_BLOCK 256

#endif
