/*
 * km_kernels_simd_impl.h - the SIMD block kernels, written once over a
 * vector ISA (included by km_kernels_avx2.c and km_kernels_avx512.c with
 * REAL, FN(), LANES, the vector type V, its comparison-mask type M, the
 * V_* macros of that type and these helpers of it:
 * FN(simd_load_rows) (LANES rows of X, row-major, into one vector per
 * feature), FN(simd_put_labels) (store LANES labels, return how many
 * differ from those there before), FN(simd_transpose_rows) (nr rows given
 * by pointers into xt[f * nr + r]) and FN(simd_pp_add) (k-means++ lane
 * sums); and, unless KM_SIMD_ARITH_ONLY is defined, FN(simd_load4) (four
 * values as doubles), FN(simd_row_chunk) (chunk q of a row's accumulation
 * slots as doubles: four features, or the last ones then the weight
 * slot's 1 then zeros; see km_accum_local) and FN(simd_transpose) (m rows
 * into xt[f * KM_ROW_BLOCK + r]).  KM_SIMD_ARITH_ONLY leaves out the
 * accumulation and the block transpose (256-bit double vectors and data
 * movement in any case: the AVX-512 table keeps the AVX2 ones).
 *
 * Assignment: LANES rows are processed at once, one per vector lane: the
 * rows are loaded and transposed in registers, then for each center the
 * squared distance is accumulated feature by feature and compared with the
 * running minimum, entirely in registers; no distance matrix is written and
 * no transposed copy of the data is kept.  Each lane performs exactly the
 * canonical sequence (s = 0; s += (x_f - c_f)^2 in feature order; no FMA),
 * and a strictly smaller distance replaces the best, so labels and
 * distances are bit-for-bit those of the reference kernel, whatever the
 * vector width.  Rows past the last full pair of vectors go through the
 * scalar loop.
 */

/* The vector part for rows [0, m - m % (2 LANES)), d known at each call
   site so that the compiler unrolls the feature loops for small d.  Two
   vectors of rows go together: the compare-and-blend chains of the running
   minima are independent, so their latencies overlap. */
static inline __attribute__((always_inline)) size_t
FN(simd_assign_body)(const REAL *X, size_t m, size_t d, const REAL *C, size_t k,
                     int32_t *labels, REAL *mind, size_t *changed)
{
    V xa[KM_SIMD_ASSIGN_MAX_D], xb[KM_SIMD_ASSIGN_MAX_D];
    size_t i = 0, ch = 0;

    for (; i + 2 * LANES <= m; i += 2 * LANES) {
        V best_a = V_SET1((REAL)INFINITY), best_b = best_a;
        V idx_a = V_SET1(0), idx_b = idx_a, jv = V_SET1(0);
        const V one = V_SET1(1);

        FN(simd_load_rows)(X + i * d, d, xa);
        FN(simd_load_rows)(X + (i + LANES) * d, d, xb);
        for (size_t j = 0; j < k; j++) {
            const REAL *c = C + j * d;
            /* The canonical sum starts at 0, and 0 + t * t is t * t
               exactly (a square is never -0), so it starts at feature 0's
               term: one addition less. */
            const V c0 = V_SET1(c[0]);
            const V ta0 = V_SUB(xa[0], c0), tb0 = V_SUB(xb[0], c0);
            V sa = V_MUL(ta0, ta0), sb = V_MUL(tb0, tb0);

            for (size_t f = 1; f < d; f++) {
                const V cf = V_SET1(c[f]);
                V ta = V_SUB(xa[f], cf), tb = V_SUB(xb[f], cf);

                sa = V_ADD(sa, V_MUL(ta, ta));
                sb = V_ADD(sb, V_MUL(tb, tb));
            }
            {
                /* min(s, best) is s < best ? s : best: the blend by lt,
                   in one instruction (NaN s keeps best, as the blend). */
                const M lta = V_CMPLT(sa, best_a), ltb = V_CMPLT(sb, best_b);

                best_a = V_MIN(sa, best_a);
                best_b = V_MIN(sb, best_b);
                idx_a = V_BLEND(lta, idx_a, jv);
                idx_b = V_BLEND(ltb, idx_b, jv);
            }
            jv = V_ADD(jv, one);
        }
        if (mind != NULL) {
            V_STORE(mind + i, best_a);
            V_STORE(mind + i + LANES, best_b);
        }
        ch += FN(simd_put_labels)(labels + i, idx_a);
        ch += FN(simd_put_labels)(labels + i + LANES, idx_b);
    }
    *changed = ch;
    return i;
}

size_t FN(km_simd_assign)(const REAL *X, size_t m, size_t d, const REAL *C,
                          size_t k, int32_t *labels, REAL *mind)
{
    size_t i, ch;

    switch (d) {
    case 1:
        i = FN(simd_assign_body)(X, m, 1, C, k, labels, mind, &ch);
        break;
    case 2:
        i = FN(simd_assign_body)(X, m, 2, C, k, labels, mind, &ch);
        break;
    case 3:
        i = FN(simd_assign_body)(X, m, 3, C, k, labels, mind, &ch);
        break;
    case 4:
        i = FN(simd_assign_body)(X, m, 4, C, k, labels, mind, &ch);
        break;
    default:
        if (d <= KM_SIMD_ASSIGN_MAX_D) {
            i = FN(simd_assign_body)(X, m, d, C, k, labels, mind, &ch);
        } else {
            i = 0;
            ch = 0;
        }
        break;
    }
    for (; i < m; i++) {
        const REAL *x = X + i * d;
        REAL best = FN(km_sqdist)(x, C, d);
        size_t b = 0;

        for (size_t j = 1; j < k; j++) {
            REAL v = FN(km_sqdist)(x, C + j * d, d);

            if (v < best) {
                best = v;
                b = j;
            }
        }
        ch += labels[i] != (int32_t)b;
        labels[i] = (int32_t)b;
        if (mind != NULL)
            mind[i] = best;
    }
    return ch;
}

#ifndef KM_SIMD_ARITH_ONLY
/*
 * Weighted per-cluster sums of a block of rows, in the order of
 * km_accum_local (km_kernels.h): the reference's additions, four lanes at
 * a time.  A row becomes KM_ACCUM_PAD(d) / 4 double vectors (features,
 * then the weight slot holding 1, then zeros), multiplied by the row's
 * weight when there are weights (1 * w = w, w * x_f as the reference), and
 * added to its cluster's slot in local copy i % 4.  Every lane of the sums
 * sees exactly the reference's sequence of additions.
 */
/* Add rows [i, i + nr) (nr <= 4) to their slots of copies 0 .. nr - 1,
   chunk by chunk: the slots of different copies never overlap, so all
   loads go before the stores. */
static inline __attribute__((always_inline)) void
FN(simd_accum_rows)(const REAL *X, size_t i, size_t nr, size_t d, const REAL *w,
                    const int32_t *labels, size_t k, double *ls)
{
    const size_t dp = KM_ACCUM_PAD(d), nq = dp / 4;
    double *s[4];

    for (size_t c = 0; c < nr; c++)
        s[c] = ls + (c * k + (size_t)labels[i + c]) * dp;
    for (size_t q = 0; q < nq; q++) {
        __m256d a[4];

        for (size_t c = 0; c < nr; c++) {
            a[c] = FN(simd_row_chunk)(X + (i + c) * d, q, d);
            if (w != NULL)
                a[c] = _mm256_mul_pd(a[c], _mm256_set1_pd((double)w[i + c]));
            a[c] = _mm256_add_pd(_mm256_load_pd(s[c] + 4 * q), a[c]);
        }
        for (size_t c = 0; c < nr; c++)
            _mm256_store_pd(s[c] + 4 * q, a[c]);
    }
}

static inline __attribute__((always_inline)) void
FN(simd_accum_local)(const REAL *X, size_t m, size_t d, const REAL *w,
                     const int32_t *labels, size_t k, double *sums,
                     double *wsum)
{
    const size_t dp = KM_ACCUM_PAD(d), nq = dp / 4, cs = k * dp;
    /* The local copies, on the stack (a thread-local array's address was
       computed again in the loop), zeroed as far as used. */
    double ls[4 * KM_ACCUM_LOCAL] __attribute__((aligned(32)));
    double v[4] __attribute__((aligned(32)));
    const size_t m4 = m / 4 * 4;

    for (size_t t = 0; t < 4 * cs; t += 4)
        _mm256_store_pd(ls + t, _mm256_setzero_pd());

    if (w != NULL)
        for (size_t i = 0; i < m4; i += 4)
            FN(simd_accum_rows)(X, i, 4, d, w, labels, k, ls);
    else
        for (size_t i = 0; i < m4; i += 4)
            FN(simd_accum_rows)(X, i, 4, d, NULL, labels, k, ls);
    for (size_t i = m4; i < m; i++) /* row i to copy i % 4 */
        FN(simd_accum_rows)(X, i, 1, d, w, labels, k, ls + (i - m4) * cs);
    for (size_t j = 0; j < k; j++)
        for (size_t q = 0; q < nq; q++) {
            const size_t t = j * dp + 4 * q;

            _mm256_store_pd(
                v,
                _mm256_add_pd(_mm256_add_pd(_mm256_load_pd(ls + t),
                                            _mm256_load_pd(ls + cs + t)),
                              _mm256_add_pd(_mm256_load_pd(ls + 2 * cs + t),
                                            _mm256_load_pd(ls + 3 * cs + t))));
            for (size_t l = 0; l < 4; l++) {
                const size_t f = 4 * q + l;

                if (f < d)
                    sums[j * d + f] += v[l];
                else if (f == d)
                    wsum[j] += v[l];
            }
        }
}

void FN(km_simd_accum)(const REAL *X, size_t m, size_t d, const REAL *w,
                       const int32_t *labels, size_t k, double *sums,
                       double *wsum)
{
    const size_t d4 = d / 4 * 4;

    if (km_accum_local(k, d)) {
        switch (d) {
        case 1:
            FN(simd_accum_local)(X, m, 1, w, labels, k, sums, wsum);
            return;
        case 2:
            FN(simd_accum_local)(X, m, 2, w, labels, k, sums, wsum);
            return;
        case 3:
            FN(simd_accum_local)(X, m, 3, w, labels, k, sums, wsum);
            return;
        case 4:
            FN(simd_accum_local)(X, m, 4, w, labels, k, sums, wsum);
            return;
        default:
            FN(simd_accum_local)(X, m, d, w, labels, k, sums, wsum);
            return;
        }
    }
    /* Straight into sums: whole groups of four features as vectors, the
       rest one by one, each lane the reference's addition. */
    for (size_t i = 0; i < m; i++) {
        const REAL *x = X + i * d;
        const size_t l = (size_t)labels[i];
        const double wi = w != NULL ? (double)w[i] : 1.0;
        const __m256d wv = _mm256_set1_pd(wi);
        double *s = sums + l * d;

        for (size_t f = 0; f < d4; f += 4)
            _mm256_storeu_pd(
                s + f, _mm256_add_pd(_mm256_loadu_pd(s + f),
                                     _mm256_mul_pd(FN(simd_load4)(x + f), wv)));
        for (size_t f = d4; f < d; f++)
            s[f] += wi * (double)x[f];
        wsum[l] += wi;
    }
}

#endif

/*
 * The expanded form, fused: for m rows (m <= KM_ROW_BLOCK), the values
 * v_j = cn[j] - 2 x.c_j (the squared distance less |x|^2) and, per row, the
 * index of the smallest, the smallest and the second smallest, as argmin2
 * gives them after a GEMM, but without writing the m x k values.  The rows
 * come transposed (d x KM_ROW_BLOCK, by km_simd_transpose); 2 LANES rows
 * (two vectors, one row per lane) meet 4 or 5 centers at a time: 8 or 10
 * dot products accumulate with FMA in registers, feature by feature, and
 * each finished value updates the row's running smallest, second smallest
 * and index.
 * Approximate like the GEMM form (the caller re-checks near ties with the
 * canonical distance), with the same error bound.
 */
#ifndef KM_DOT_R
#define KM_DOT_R 2 /* vectors of rows (the includer may set it) */
#endif
#define KM_DOT_J_MAX 5 /* most centers at a time */

/* The rows of xt (transposed, zero-padded to whole vectors) against J
   centers at a time; J is a constant at each call site. */
static inline __attribute__((always_inline)) void
FN(dot_argmin2_body)(const REAL *xt, size_t m, size_t mp, size_t d,
                     const REAL *C, const REAL *cn, size_t k, size_t J,
                     int32_t *best, REAL *b1, REAL *b2)
{
    enum { RL = KM_DOT_R * LANES };
    REAL o1[RL], o2[RL], oi[RL];

    for (size_t r0 = 0; r0 < mp; r0 += RL) {
        V m1[KM_DOT_R], m2[KM_DOT_R], ix[KM_DOT_R];
        const V two = V_SET1(2);

        for (size_t q = 0; q < KM_DOT_R; q++) {
            m1[q] = V_SET1((REAL)INFINITY);
            m2[q] = m1[q];
            ix[q] = V_SET1(0);
        }
        for (size_t j0 = 0; j0 < k; j0 += J) {
            const REAL *c[KM_DOT_J_MAX];
            V acc[KM_DOT_R][KM_DOT_J_MAX];

            /* Past the last center, repeat it (its values are not used). */
            for (size_t jj = 0; jj < J; jj++) {
                c[jj] = C + (j0 + jj < k ? j0 + jj : k - 1) * d;
                for (size_t q = 0; q < KM_DOT_R; q++)
                    acc[q][jj] = V_SET1(0);
            }
            for (size_t f = 0; f < d; f++) {
                V x[KM_DOT_R];

                for (size_t q = 0; q < KM_DOT_R; q++)
                    x[q] = V_LOADU(xt + f * KM_ROW_BLOCK + r0 + q * LANES);
                for (size_t jj = 0; jj < J; jj++) {
                    const V cf = V_SET1(c[jj][f]);

                    for (size_t q = 0; q < KM_DOT_R; q++)
                        acc[q][jj] = V_FMADD(x[q], cf, acc[q][jj]);
                }
            }
            for (size_t jj = 0; jj < J && j0 + jj < k; jj++) {
                const V cj = V_SET1(cn[j0 + jj]);
                const V jv = V_SET1((REAL)(j0 + jj));

                for (size_t q = 0; q < KM_DOT_R; q++) {
                    const V v = V_FNMADD(two, acc[q][jj], cj);
                    const M lt = V_CMPLT(v, m1[q]);

                    m2[q] = V_MIN(m2[q], V_MAX(m1[q], v));
                    m1[q] = V_BLEND(lt, m1[q], v);
                    ix[q] = V_BLEND(lt, ix[q], jv);
                }
            }
        }
        for (size_t q = 0; q < KM_DOT_R; q++) {
            V_STORE(o1 + q * LANES, m1[q]);
            V_STORE(o2 + q * LANES, m2[q]);
            V_STORE(oi + q * LANES, ix[q]);
        }
        for (size_t r = 0; r < RL && r0 + r < m; r++) {
            best[r0 + r] = (int32_t)oi[r];
            b1[r0 + r] = o1[r];
            b2[r0 + r] = o2[r];
        }
    }
}

#ifndef KM_SIMD_ARITH_ONLY
void FN(km_simd_transpose)(const REAL *X, size_t m, size_t d, REAL *xt)
{
    const size_t mp = (m + KM_XT_PAD - 1) / KM_XT_PAD * KM_XT_PAD;

    FN(simd_transpose)(X, m, d, xt);
    for (size_t f = 0; f < d; f++)
        for (size_t r = m; r < mp; r++)
            xt[f * KM_ROW_BLOCK + r] = 0;
}
#endif

void FN(km_simd_dot_argmin2)(const REAL *xt, size_t m, size_t d, const REAL *C,
                             const REAL *cn, size_t k, int32_t *best, REAL *b1,
                             REAL *b2)
{
    enum { RL = KM_DOT_R * LANES };
    _Static_assert(KM_XT_PAD % RL == 0, "whole vectors of rows");
    const size_t mp = (m + RL - 1) / RL * RL;

    /* Five centers at a time beat four for d > 16, not below
       (bench/km_kernel_sweep and a kernel-only loop, this machine). */
    if (d > 16)
        FN(dot_argmin2_body)(xt, m, mp, d, C, cn, k, 5, best, b1, b2);
    else
        FN(dot_argmin2_body)(xt, m, mp, d, C, cn, k, 4, best, b1, b2);
}

/*
 * For each of m rows of D (k values each, plus cn[j]): the index of the
 * smallest value, the smallest and the second smallest (equal to the
 * smallest on a tie).  Lane l of the running minima covers the columns
 * j = l (mod LANES); the lanes are merged at the end.  Used after the GEMM
 * form, whose near ties are re-checked canonically, so which of two equal
 * values wins does not matter here.
 */
void FN(km_simd_argmin2)(const REAL *D, const REAL *cn, size_t m, size_t k,
                         int32_t *best, REAL *b1, REAL *b2)
{
    const size_t kv = k / LANES * LANES;
    REAL l1[LANES], l2[LANES], li[LANES], jinit[LANES];

    for (size_t l = 0; l < LANES; l++)
        jinit[l] = (REAL)l;
    for (size_t r = 0; r < m; r++) {
        const REAL *row = D + r * k;
        V m1 = V_SET1((REAL)INFINITY), m2 = m1, i1 = V_SET1(0);
        V jv = V_LOADU(jinit);
        const V step = V_SET1((REAL)LANES);
        REAL v1 = (REAL)INFINITY, v2 = (REAL)INFINITY;
        size_t bi = 0;

        for (size_t j = 0; j < kv; j += LANES) {
            const V v = V_ADD(V_LOADU(row + j), V_LOADU(cn + j));
            const M lt = V_CMPLT(v, m1);

            m2 = V_MIN(m2, V_MAX(m1, v));
            m1 = V_BLEND(lt, m1, v);
            i1 = V_BLEND(lt, i1, jv);
            jv = V_ADD(jv, step);
        }
        V_STORE(l1, m1);
        V_STORE(l2, m2);
        V_STORE(li, i1);
        for (size_t l = 0; l < LANES && kv > 0; l++) {
            const size_t j = (size_t)li[l];

            if (l1[l] < v1 || (l1[l] == v1 && j < bi)) {
                v2 = v1 < v2 ? v1 : v2;
                v1 = l1[l];
                bi = j;
            } else if (l1[l] < v2) {
                v2 = l1[l];
            }
            if (l2[l] < v2)
                v2 = l2[l];
        }
        for (size_t j = kv; j < k; j++) {
            const REAL v = row[j] + cn[j];

            if (v < v1) {
                v2 = v1;
                v1 = v;
                bi = j;
            } else if (v < v2) {
                v2 = v;
            }
        }
        best[r] = (int32_t)bi;
        b1[r] = v1;
        b2[r] = v2;
    }
}

/*
 * Canonical squared distances from m rows of X (row-major, d features) to
 * k centers given transposed (Ct[f * kp + j], kp >= k a multiple of LANES,
 * padding ignored), into out[r * k + j]: LANES centers per vector, each
 * lane summing its center's terms in feature order, so every value is the
 * canonical distance bit for bit.  Four rows go together so that their
 * four dependent chains of additions overlap.
 */
void FN(km_simd_row_dists)(const REAL *X, size_t m, const REAL *Ct, size_t kp,
                           size_t d, size_t k, REAL *out)
{
    REAL tmp[4][LANES];
    size_t r = 0;

    for (; r + 4 <= m || (r < m && m - r > 1); r += 4) {
        const size_t nr = m - r < 4 ? m - r : 4;
        const REAL *x0 = X + r * d;
        const REAL *x1 = X + (r + (nr > 1 ? 1 : 0)) * d;
        const REAL *x2 = X + (r + (nr > 2 ? 2 : 0)) * d;
        const REAL *x3 = X + (r + (nr > 3 ? 3 : 0)) * d;

        for (size_t j = 0; j < k; j += LANES) {
            V s0 = V_SET1(0), s1 = s0, s2 = s0, s3 = s0;

            for (size_t f = 0; f < d; f++) {
                const V c = V_LOADU(Ct + f * kp + j);
                V t0 = V_SUB(V_SET1(x0[f]), c), t1 = V_SUB(V_SET1(x1[f]), c);
                V t2 = V_SUB(V_SET1(x2[f]), c), t3 = V_SUB(V_SET1(x3[f]), c);

                s0 = V_ADD(s0, V_MUL(t0, t0));
                s1 = V_ADD(s1, V_MUL(t1, t1));
                s2 = V_ADD(s2, V_MUL(t2, t2));
                s3 = V_ADD(s3, V_MUL(t3, t3));
            }
            V_STORE(tmp[0], s0);
            V_STORE(tmp[1], s1);
            V_STORE(tmp[2], s2);
            V_STORE(tmp[3], s3);
            for (size_t q = 0; q < nr; q++)
                for (size_t l = 0; l < LANES && j + l < k; l++)
                    out[(r + q) * k + j + l] = tmp[q][l];
        }
    }
    if (r < m) {
        /* One row left (Hamerly's and the re-checks' single rows): four
           vectors of centers go together instead, for the same overlap. */
        const REAL *x = X + r * d;
        size_t j = 0;

        for (; j + 4 * LANES <= kp; j += 4 * LANES) {
            V s0 = V_SET1(0), s1 = s0, s2 = s0, s3 = s0;

            for (size_t f = 0; f < d; f++) {
                const V xf = V_SET1(x[f]);
                const REAL *c = Ct + f * kp + j;
                V t0 = V_SUB(xf, V_LOADU(c)),
                  t1 = V_SUB(xf, V_LOADU(c + LANES));
                V t2 = V_SUB(xf, V_LOADU(c + 2 * LANES));
                V t3 = V_SUB(xf, V_LOADU(c + 3 * LANES));

                s0 = V_ADD(s0, V_MUL(t0, t0));
                s1 = V_ADD(s1, V_MUL(t1, t1));
                s2 = V_ADD(s2, V_MUL(t2, t2));
                s3 = V_ADD(s3, V_MUL(t3, t3));
            }
            V_STORE(tmp[0], s0);
            V_STORE(tmp[1], s1);
            V_STORE(tmp[2], s2);
            V_STORE(tmp[3], s3);
            for (size_t q = 0; q < 4; q++)
                for (size_t l = 0; l < LANES && j + q * LANES + l < k; l++)
                    out[r * k + j + q * LANES + l] = tmp[q][l];
        }
        for (; j < k; j += LANES) {
            V s0 = V_SET1(0);

            for (size_t f = 0; f < d; f++) {
                V t0 = V_SUB(V_SET1(x[f]), V_LOADU(Ct + f * kp + j));

                s0 = V_ADD(s0, V_MUL(t0, t0));
            }
            V_STORE(tmp[0], s0);
            for (size_t l = 0; l < LANES && j + l < k; l++)
                out[r * k + j + l] = tmp[0][l];
        }
    }
}

/*
 * k-means++ potentials (pp_block in km_kernels.h).  2 LANES rows at a
 * time (consecutive, or gathered through sel) are transposed into
 * scratch; then those rows (one per lane) meet J
 * candidates at a time, each lane summing its distance in feature order
 * with the reference's fused multiply-adds (km_sqdist_fma), so the
 * distances are the reference's bits; the minima with closest go to the
 * lane sums in row order.  The candidates are split into even groups of
 * at most KM_PP_J.  The last rows of a call go through the vectors too,
 * their lanes then added one by one in row order (a lane's sequence is
 * the same wherever it runs; the scalar sequence waits on each
 * operation).
 */
#define KM_PP_J 5

static inline __attribute__((always_inline)) void
FN(simd_pp_rows)(const REAL *xt, size_t r0, size_t rows, size_t d,
                 const REAL *cand, size_t J, V ca, V cb, const REAL *w,
                 double *L, REAL *newmin, size_t ldn)
{
    V sa[KM_PP_J], sb[KM_PP_J];

    for (size_t j = 0; j < J; j++) {
        sa[j] = V_SET1(0);
        sb[j] = sa[j];
    }
#pragma GCC unroll 2
    for (size_t f = 0; f < d; f++) {
        const V xa = V_LOADU(xt + f * 2 * LANES);
        const V xb = V_LOADU(xt + f * 2 * LANES + LANES);

        for (size_t j = 0; j < J; j++) {
            const V cf = V_SET1(cand[j * d + f]);
            const V ta = V_SUB(xa, cf), tb = V_SUB(xb, cf);

            sa[j] = V_FMADD(ta, ta, sa[j]);
            sb[j] = V_FMADD(tb, tb, sb[j]);
        }
    }
    for (size_t j = 0; j < J; j++) {
        /* min(closest, v): closest only when strictly smaller */
        const V va = V_MIN(ca, sa[j]), vb = V_MIN(cb, sb[j]);

        if (rows < 2 * LANES) { /* the call's last rows, one by one */
            REAL v[2 * LANES];

            V_STORE(v, va);
            V_STORE(v + LANES, vb);
            for (size_t l = 0; l < rows; l++) {
                L[j * KM_PP_LANES + l % KM_PP_LANES] +=
                    (w != NULL ? (double)w[l] : 1.0) * (double)v[l];
                if (newmin != NULL)
                    newmin[j * ldn + r0 + l] = v[l];
            }
            continue;
        }
        FN(simd_pp_add)(L + j * KM_PP_LANES, va, vb, w);
        if (newmin != NULL) {
            V_STORE(newmin + j * ldn + r0, va);
            V_STORE(newmin + j * ldn + r0 + LANES, vb);
        }
    }
}

void FN(km_simd_pp_block)(const REAL *X, const uint32_t *sel, size_t m,
                          size_t d, const REAL *cand, size_t t,
                          const REAL *closest, const REAL *w, REAL *newmin,
                          size_t ldn, double *lanes, REAL *scratch)
{
    const size_t groups = (t + KM_PP_J - 1) / KM_PP_J;
    const size_t bytes = d * sizeof(REAL);

    for (size_t r0 = 0; r0 < m; r0 += 2 * LANES) {
        /* the last rows fill their group with copies of their first, whose
           lanes are then left out */
        const size_t rows = m - r0 < 2 * LANES ? m - r0 : 2 * LANES;
        const REAL *rp[2 * LANES];
        REAL cl[2 * LANES], wl[2 * LANES];
        V ca, cb;

        for (size_t l = 0; l < 2 * LANES; l++) {
            const size_t r = r0 + (l < rows ? l : 0);
            const size_t i = sel != NULL ? (size_t)sel[r] : r;

            rp[l] = X + i * d;
            cl[l] = closest != NULL ? closest[i] : (REAL)INFINITY;
            wl[l] = w != NULL ? w[i] : (REAL)1;
        }
        /* The next 2 LANES rows are fetched while these are computed, so
           that memory and arithmetic overlap; contiguous rows, also past
           m (the caller's next call; a prefetch past the data's end is
           harmless: hence an integer address). */
        if (sel == NULL) {
            const uintptr_t nx = (uintptr_t)X + (m + r0) * bytes;

            for (size_t q = 0; q < 2 * LANES * bytes; q += 64)
                __builtin_prefetch((const void *)(nx + q));
        } else {
            for (size_t l = r0 + 2 * LANES; l < r0 + 4 * LANES && l < m; l++)
                for (size_t q = 0; q < bytes; q += 64)
                    __builtin_prefetch((const char *)(X + sel[l] * d) + q);
        }
        /* these rows transposed, feature f at scratch + f * 2 LANES: a
           few contiguous cache lines (a whole block transposed at once,
           KM_ROW_BLOCK values apart, thrashed the L1 cache) */
        FN(simd_transpose_rows)(rp, 2 * LANES, d, scratch);
        ca = V_LOADU(cl);
        cb = V_LOADU(cl + LANES);

        for (size_t g = 0, c0 = 0; g < groups; g++) {
            const size_t left = groups - g;
            const size_t J = (t - c0 + left - 1) / left;
            const REAL *cg = cand + c0 * d;
            const REAL *wr = w != NULL ? wl : NULL;
            double *L = lanes + c0 * KM_PP_LANES;
            REAL *nm = newmin != NULL ? newmin + c0 * ldn : NULL;

            switch (J) {
            case 1:
                FN(simd_pp_rows)
                (scratch, r0, rows, d, cg, 1, ca, cb, wr, L, nm, ldn);
                break;
            case 2:
                FN(simd_pp_rows)
                (scratch, r0, rows, d, cg, 2, ca, cb, wr, L, nm, ldn);
                break;
            case 3:
                FN(simd_pp_rows)
                (scratch, r0, rows, d, cg, 3, ca, cb, wr, L, nm, ldn);
                break;
            case 4:
                FN(simd_pp_rows)
                (scratch, r0, rows, d, cg, 4, ca, cb, wr, L, nm, ldn);
                break;
            default:
                FN(simd_pp_rows)
                (scratch, r0, rows, d, cg, 5, ca, cb, wr, L, nm, ldn);
                break;
            }
            c0 += J;
        }
    }
}
