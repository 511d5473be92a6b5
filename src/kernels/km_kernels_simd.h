/*
 * km_kernels_simd.h - the AVX2 + FMA block kernels (km_kernels_avx2.c,
 * compiled with -mavx2 -mfma), installed by km_kernels_get_* after a CPU
 * check.  Same contracts as the table's kernels.
 */
#ifndef KM_KERNELS_SIMD_H
#define KM_KERNELS_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* Most features the SIMD assignment handles (beyond, the reference). */
#define KM_SIMD_ASSIGN_MAX_D 16

size_t km_simd_assign_f32(const float *X, size_t m, size_t d, const float *C,
                          size_t k, int32_t *labels, float *mind);
size_t km_simd_assign_f64(const double *X, size_t m, size_t d, const double *C,
                          size_t k, int32_t *labels, double *mind);
void km_simd_accum_f32(const float *X, size_t m, size_t d, const float *w,
                       const int32_t *labels, size_t k, double *sums,
                       double *wsum);
void km_simd_accum_f64(const double *X, size_t m, size_t d, const double *w,
                       const int32_t *labels, size_t k, double *sums,
                       double *wsum);

void km_simd_dot_argmin2_f32(const float *xt, size_t m, size_t d,
                             const float *C, const float *cn, size_t k,
                             int32_t *best, float *b1, float *b2);
void km_simd_dot_argmin2_f64(const double *xt, size_t m, size_t d,
                             const double *C, const double *cn, size_t k,
                             int32_t *best, double *b1, double *b2);
void km_simd_transpose_f32(const float *X, size_t m, size_t d, float *xt);
void km_simd_transpose_f64(const double *X, size_t m, size_t d, double *xt);

void km_simd_argmin2_f32(const float *D, const float *cn, size_t m, size_t k,
                         int32_t *best, float *b1, float *b2);
void km_simd_argmin2_f64(const double *D, const double *cn, size_t m, size_t k,
                         int32_t *best, double *b1, double *b2);

void km_simd_row_dists_f32(const float *X, size_t m, const float *Ct, size_t kp,
                           size_t d, size_t k, float *out);
void km_simd_row_dists_f64(const double *X, size_t m, const double *Ct,
                           size_t kp, size_t d, size_t k, double *out);

void km_simd_pp_block_f32(const float *X, const uint32_t *sel, size_t m,
                          size_t d, const float *cand, size_t t,
                          const float *closest, const float *w, float *newmin,
                          size_t ldn, double *lanes, float *scratch);
void km_simd_pp_block_f64(const double *X, const uint32_t *sel, size_t m,
                          size_t d, const double *cand, size_t t,
                          const double *closest, const double *w,
                          double *newmin, size_t ldn, double *lanes,
                          double *scratch);

/* sq_norms, label_dists, pair_dists and lb_scan (km_kernels_rows_impl.h). */
void km_simd_sq_norms_f32(const float *X, size_t m, size_t d, float *out);
void km_simd_sq_norms_f64(const double *X, size_t m, size_t d, double *out);
void km_simd_label_dists_f32(const float *X, size_t m, size_t d, const float *C,
                             const int32_t *labels, float *out);
void km_simd_label_dists_f64(const double *X, size_t m, size_t d,
                             const double *C, const int32_t *labels,
                             double *out);
void km_simd_pair_dists_f32(const float *x, size_t d, const float *C,
                            const int32_t *idx, size_t nidx, float *out);
void km_simd_pair_dists_f64(const double *x, size_t d, const double *C,
                            const int32_t *idx, size_t nidx, double *out);
size_t km_simd_lb_scan_f32(float *l, const float *shift, const float *half_a,
                           size_t k, float us, int32_t *cand);
size_t km_simd_lb_scan_f64(double *l, const double *shift, const double *half_a,
                           size_t k, double us, int32_t *cand);

/* The AVX-512F kernels (km_kernels_avx512.c, compiled with -mavx512f):
   the same contracts and the same bits as the AVX2 ones above.  TAG is
   x512_f32 or x512_f64 (x512emu_* for the SIMDe build of the tests). */
#define KM_X512_DECLS(REAL, TAG)                                               \
    size_t km_simd_assign_##TAG(const REAL *X, size_t m, size_t d,             \
                                const REAL *C, size_t k, int32_t *labels,      \
                                REAL *mind);                                   \
    void km_simd_dot_argmin2_##TAG(const REAL *xt, size_t m, size_t d,         \
                                   const REAL *C, const REAL *cn, size_t k,    \
                                   int32_t *best, REAL *b1, REAL *b2);         \
    void km_simd_argmin2_##TAG(const REAL *D, const REAL *cn, size_t m,        \
                               size_t k, int32_t *best, REAL *b1, REAL *b2);   \
    void km_simd_row_dists_##TAG(const REAL *X, size_t m, const REAL *Ct,      \
                                 size_t kp, size_t d, size_t k, REAL *out);    \
    void km_simd_pp_block_##TAG(                                               \
        const REAL *X, const uint32_t *sel, size_t m, size_t d,                \
        const REAL *cand, size_t t, const REAL *closest, const REAL *w,        \
        REAL *newmin, size_t ldn, double *lanes, REAL *scratch);
KM_X512_DECLS(float, x512_f32)
KM_X512_DECLS(double, x512_f64)

#endif
