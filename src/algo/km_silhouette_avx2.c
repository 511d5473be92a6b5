/*
 * km_silhouette_avx2.c - the silhouette's AVX2 block kernel (this file
 * alone of src/algo/ is compiled with -mavx2; km_silhouette.c calls into it
 * only after checking the CPU).  No fused multiply-add: the bits are those
 * of the portable kernel (km_silhouette_simd.h).
 */
#include <stddef.h>
#include <stdint.h>

#include <immintrin.h>

#include "algo/km_silhouette_simd.h"

/* (l0 + l2) + (l1 + l3) */
static inline double hsum_f64(__m256d v)
{
    const __m128d h =
        _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/* h_l = l_l + l_(l+4); (h0 + h2) + (h1 + h3) */
static inline float hsum_f32(__m256 v)
{
    const __m128 h =
        _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 h2 = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h2, _mm_shuffle_ps(h2, h2, 1)));
}

#define REAL           float
#define FN(name)       name##_f32
#define W              SIL_LANES_F32
#define V              __m256
#define V_ZERO         _mm256_setzero_ps()
#define V_IDX          _mm256_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f)
#define V_LOADU(p)     _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define V_SET1(x)      _mm256_set1_ps(x)
#define V_SUB(a, b)    _mm256_sub_ps((a), (b))
#define V_MUL(a, b)    _mm256_mul_ps((a), (b))
#define V_ADD(a, b)    _mm256_add_ps((a), (b))
#define V_AND(a, b)    _mm256_and_ps((a), (b))
#define V_SQRT(a)      _mm256_sqrt_ps(a)
#define V_CMPGE(a, b)  _mm256_cmp_ps((a), (b), _CMP_GE_OQ)
#define V_CMPLT(a, b)  _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define V_HSUM(v)      hsum_f32(v)
#include "algo/km_silhouette_avx2_impl.h"
#undef REAL
#undef FN
#undef W
#undef V
#undef V_ZERO
#undef V_IDX
#undef V_LOADU
#undef V_STOREU
#undef V_SET1
#undef V_SUB
#undef V_MUL
#undef V_ADD
#undef V_AND
#undef V_SQRT
#undef V_CMPGE
#undef V_CMPLT
#undef V_HSUM

#define REAL           double
#define FN(name)       name##_f64
#define W              SIL_LANES_F64
#define V              __m256d
#define V_ZERO         _mm256_setzero_pd()
#define V_IDX          _mm256_setr_pd(0.0, 1.0, 2.0, 3.0)
#define V_LOADU(p)     _mm256_loadu_pd(p)
#define V_STOREU(p, v) _mm256_storeu_pd((p), (v))
#define V_SET1(x)      _mm256_set1_pd(x)
#define V_SUB(a, b)    _mm256_sub_pd((a), (b))
#define V_MUL(a, b)    _mm256_mul_pd((a), (b))
#define V_ADD(a, b)    _mm256_add_pd((a), (b))
#define V_AND(a, b)    _mm256_and_pd((a), (b))
#define V_SQRT(a)      _mm256_sqrt_pd(a)
#define V_CMPGE(a, b)  _mm256_cmp_pd((a), (b), _CMP_GE_OQ)
#define V_CMPLT(a, b)  _mm256_cmp_pd((a), (b), _CMP_LT_OQ)
#define V_HSUM(v)      hsum_f64(v)
#include "algo/km_silhouette_avx2_impl.h"
