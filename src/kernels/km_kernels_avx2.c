/*
 * km_kernels_avx2.c - AVX2 kernels (this file alone is compiled with
 * -mavx2; km_kernels.c calls into it only after checking the CPU).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <immintrin.h>

#include "kernels/km_kernels.h"

#include "kernels/km_kernels_simd.h"

#define REAL                float
#define FN(name)            name##_f32
#define LANES               8
#define V                   __m256
#define V_SET1(x)           _mm256_set1_ps(x)
#define V_SUB(a, b)         _mm256_sub_ps((a), (b))
#define V_MUL(a, b)         _mm256_mul_ps((a), (b))
#define V_ADD(a, b)         _mm256_add_ps((a), (b))
#define V_CMPLT(a, b)       _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define V_BLEND(mask, a, b) _mm256_blendv_ps((a), (b), (mask))
#define V_STORE(p, v)       _mm256_storeu_ps((p), (v))
#define V_LOADU(p)          _mm256_loadu_ps(p)
#define V_MIN(a, b)         _mm256_min_ps((a), (b))
#define V_MAX(a, b)         _mm256_max_ps((a), (b))
#define DH                  2 /* double vectors per float vector */
#define V_TO_D(v, h)                                                           \
    ((h) == 0 ? _mm256_cvtps_pd(_mm256_castps256_ps128(v))                     \
              : _mm256_cvtps_pd(_mm256_extractf128_ps((v), 1)))
#define V_AND(a, b)   _mm256_and_ps((a), (b))
#define V_CMPEQ(a, b) _mm256_cmp_ps((a), (b), _CMP_EQ_OQ)
#define V_LOAD_LABELS(p)                                                       \
    _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define V_STORE_LABELS(p, v)                                                   \
    _mm256_storeu_si256((__m256i *)(void *)(p), _mm256_cvttps_epi32(v))
#include "kernels/km_kernels_simd_impl.h"
#undef REAL
#undef FN
#undef LANES
#undef V
#undef V_SET1
#undef V_SUB
#undef V_MUL
#undef V_ADD
#undef V_CMPLT
#undef V_BLEND
#undef V_STORE
#undef V_STORE_LABELS
#undef V_LOADU
#undef V_MIN
#undef V_MAX
#undef DH
#undef V_TO_D
#undef V_AND
#undef V_CMPEQ
#undef V_LOAD_LABELS
#undef KM_SIMD_MAX_D

#define REAL                double
#define FN(name)            name##_f64
#define LANES               4
#define V                   __m256d
#define V_SET1(x)           _mm256_set1_pd(x)
#define V_SUB(a, b)         _mm256_sub_pd((a), (b))
#define V_MUL(a, b)         _mm256_mul_pd((a), (b))
#define V_ADD(a, b)         _mm256_add_pd((a), (b))
#define V_CMPLT(a, b)       _mm256_cmp_pd((a), (b), _CMP_LT_OQ)
#define V_BLEND(mask, a, b) _mm256_blendv_pd((a), (b), (mask))
#define V_STORE(p, v)       _mm256_storeu_pd((p), (v))
#define V_LOADU(p)          _mm256_loadu_pd(p)
#define V_MIN(a, b)         _mm256_min_pd((a), (b))
#define V_MAX(a, b)         _mm256_max_pd((a), (b))
#define DH                  1
#define V_TO_D(v, h)        (v)
#define V_AND(a, b)         _mm256_and_pd((a), (b))
#define V_CMPEQ(a, b)       _mm256_cmp_pd((a), (b), _CMP_EQ_OQ)
#define V_LOAD_LABELS(p)                                                       \
    _mm256_cvtepi32_pd(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define V_STORE_LABELS(p, v)                                                   \
    _mm_storeu_si128((__m128i *)(void *)(p), _mm256_cvttpd_epi32(v))
#include "kernels/km_kernels_simd_impl.h"
