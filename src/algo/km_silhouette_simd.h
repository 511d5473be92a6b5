/*
 * km_silhouette_simd.h - the silhouette's block kernel: its contract, the
 * AVX2 versions (km_silhouette_avx2.c, compiled with -mavx2 and called only
 * after a CPU check), and an internal entry that picks the kernel, so that
 * tests can compare the portable and AVX2 paths bit for bit.
 *
 * The block kernel.  Xt is the data sorted by cluster and transposed:
 * feature f of sorted row p at Xt[f * ld + p], ld a multiple of
 * SIL_LANES_F64 and SIL_LANES_F32, columns m..ld-1 zero.  For the nr rows
 * i0 .. i0 + nr - 1 and the len columns j0 .. j0 + len - 1 (j0 a multiple
 * of the lanes W), cut into nseg segments [bnd[s], bnd[s + 1]) relative to
 * j0 (0 = bnd[0] < bnd[1] < ... < bnd[nseg] = len):
 *
 *   dist(i, j)  = sqrt(q), q summed over f in order from the first term,
 *                 each term (Xt[f][j] - Xt[f][i])^2 one subtraction and one
 *                 multiplication (never a fused multiply-add), all in REAL
 *                 (float or double), the square root correctly rounded;
 *   rowseg[r * nseg + s] = the sum of dist(i0 + r, j0 + j) over segment s,
 *                 taken in W lanes: lane l sums the j with j = l (mod W) in
 *                 increasing j from 0, and the lanes are combined as
 *                 (l0 + l2) + (l1 + l3) for W = 4, and for W = 8 with
 *                 h_l = l_l + l_(l+4) as (h0 + h2) + (h1 + h3);
 *   colpart[j]  = the sum of dist(i0 + r, j0 + j) over r = 0, 1, ..., nr - 1
 *                 in that order, from 0 (colpart holds len rounded up to W
 *                 values; those past len are scratch).
 *
 * Every implementation gives these bits.
 */
#ifndef KM_SILHOUETTE_SIMD_H
#define KM_SILHOUETTE_SIMD_H

#include <stddef.h>
#include <stdint.h>

#define SIL_LANES_F32 8
#define SIL_LANES_F64 4

void km_sil_block_avx2_f32(const float *Xt, size_t ld, size_t d, size_t i0,
                           size_t nr, size_t j0, size_t len, const size_t *bnd,
                           size_t nseg, float *rowseg, float *colpart);
void km_sil_block_avx2_f64(const double *Xt, size_t ld, size_t d, size_t i0,
                           size_t nr, size_t j0, size_t len, const size_t *bnd,
                           size_t nseg, double *rowseg, double *colpart);

/* Which block kernel the silhouette uses: the AVX2 one when the CPU has
   AVX2 (AUTO, the public functions' choice), the portable C one, or the
   AVX2 one (KM_ERR_ARG on a CPU without AVX2). */
enum { KM_SIL_AUTO = 0, KM_SIL_PORTABLE = 1, KM_SIL_AVX2 = 2 };

/* km_silhouette_samples_* with the kernel chosen by path (KM_SIL_*). */
int km_silhouette_samples_path_f32(const float *X, size_t n, size_t d,
                                   const int32_t *labels, int n_threads,
                                   int path, double *silhouette);
int km_silhouette_samples_path_f64(const double *X, size_t n, size_t d,
                                   const int32_t *labels, int n_threads,
                                   int path, double *silhouette);

#endif
