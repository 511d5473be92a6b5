/*
 * km_kernels_simd_impl.h - the fused distance + argmin kernel for low
 * dimensions, written once over a vector ISA (included by
 * km_kernels_avx2.c with REAL, FN() and the V_* macros of one vector type).
 *
 * LANES rows are processed at once, one per vector lane: each feature of
 * the rows is loaded into a vector from the block's feature-major copy Xt, then
 * for each center the squared distance is accumulated feature by feature and
 * compared with the running minimum, entirely in registers; no distance matrix
 * is written.  Each lane performs exactly the canonical sequence (s = 0; s +=
 * (x_f - c_f)^2 in feature order; no FMA), and a strictly smaller distance
 * replaces the best, so labels and distances are bit-for-bit those of the
 * reference kernel.  Rows past the last full vector go through the scalar loop.
 */

#define KM_SIMD_MAX_D 16

/* The vector part for rows [0, m - m % (2 LANES)), d known at each call
   site so that the compiler unrolls the feature loops for small d.  Two
   vectors of rows go together: the compare-and-blend chains of the running
   minima are independent, so their latencies overlap. */
static inline __attribute__((always_inline)) size_t
FN(simd_assign_body)(const REAL *Xt, size_t m, size_t d, const REAL *C,
                     size_t k, int32_t *labels, REAL *mind)
{
    V xa[KM_SIMD_MAX_D], xb[KM_SIMD_MAX_D];
    size_t i = 0;

    for (; i + 2 * LANES <= m; i += 2 * LANES) {
        V best_a = V_SET1((REAL)INFINITY), best_b = best_a;
        V idx_a = V_SET1(0), idx_b = idx_a, jv = V_SET1(0);
        const V one = V_SET1(1);

        for (size_t f = 0; f < d; f++) {
            xa[f] = V_LOADU(Xt + f * KM_ROW_BLOCK + i);
            xb[f] = V_LOADU(Xt + f * KM_ROW_BLOCK + i + LANES);
        }
        for (size_t j = 0; j < k; j++) {
            const REAL *c = C + j * d;
            V sa = V_SET1(0), sb = sa;

            for (size_t f = 0; f < d; f++) {
                const V cf = V_SET1(c[f]);
                V ta = V_SUB(xa[f], cf), tb = V_SUB(xb[f], cf);

                sa = V_ADD(sa, V_MUL(ta, ta));
                sb = V_ADD(sb, V_MUL(tb, tb));
            }
            {
                const V lta = V_CMPLT(sa, best_a), ltb = V_CMPLT(sb, best_b);

                best_a = V_BLEND(lta, best_a, sa);
                best_b = V_BLEND(ltb, best_b, sb);
                idx_a = V_BLEND(lta, idx_a, jv);
                idx_b = V_BLEND(ltb, idx_b, jv);
            }
            jv = V_ADD(jv, one);
        }
        V_STORE(mind + i, best_a);
        V_STORE(mind + i + LANES, best_b);
        V_STORE_LABELS(labels + i, idx_a);
        V_STORE_LABELS(labels + i + LANES, idx_b);
    }
    return i;
}

void FN(km_simd_assign)(const REAL *X, const REAL *Xt, size_t m, size_t d,
                        const REAL *C, size_t k, int32_t *labels, REAL *mind)
{
    size_t i;

    switch (d) {
    case 1:
        i = FN(simd_assign_body)(Xt, m, 1, C, k, labels, mind);
        break;
    case 2:
        i = FN(simd_assign_body)(Xt, m, 2, C, k, labels, mind);
        break;
    case 3:
        i = FN(simd_assign_body)(Xt, m, 3, C, k, labels, mind);
        break;
    case 4:
        i = FN(simd_assign_body)(Xt, m, 4, C, k, labels, mind);
        break;
    default:
        i = d <= KM_SIMD_MAX_D
                ? FN(simd_assign_body)(Xt, m, d, C, k, labels, mind)
                : 0;
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
        labels[i] = (int32_t)b;
        mind[i] = best;
    }
}

/*
 * Weighted per-cluster sums of a block of rows (at most KM_ROW_BLOCK), for
 * few centers (see km_kernels.c) and d <= KM_SIMD_MAX_D.  For each cluster j
 * in turn, each vector of rows is masked by (label == j), widened to double
 * (DH double vectors per row vector) and added into two sets of double
 * accumulators, even vectors into one and odd into the other (independent
 * chains); at the end the accumulators are added lane by lane in a fixed
 * order.  Sums are in double, as everywhere: products by weights too.  The
 * order depends only on m, d and k, so every algorithm using this kernel
 * gets the same bits from the same labels.
 */
static inline __attribute__((always_inline)) size_t
FN(simd_accum_body)(const REAL *Xt, size_t m, size_t d, const REAL *w,
                    const int32_t *labels, size_t k, double *sums, double *wsum)
{
    V lab[KM_ROW_BLOCK / LANES];
    double lanes[4];
    const size_t nv = m / (2 * LANES) * 2;
    const V one = V_SET1(1);

    for (size_t v = 0; v < nv; v++)
        lab[v] = V_LOAD_LABELS(labels + v * LANES);
    for (size_t j = 0; j < k; j++) {
        const V jv = V_SET1((REAL)j);
        __m256d acc[2][KM_SIMD_MAX_D][DH], cnt[2][DH];

        for (size_t c = 0; c < 2; c++)
            for (size_t h = 0; h < DH; h++) {
                cnt[c][h] = _mm256_setzero_pd();
                for (size_t f = 0; f < d; f++)
                    acc[c][f][h] = _mm256_setzero_pd();
            }
        for (size_t v = 0; v < nv; v++) {
            const size_t c = v & 1;
            const V mask = V_CMPEQ(lab[v], jv);

            if (w != NULL) {
                const V mw = V_AND(mask, V_LOADU(w + v * LANES));

                for (size_t h = 0; h < DH; h++) {
                    const __m256d wd = V_TO_D(mw, h);

                    cnt[c][h] = _mm256_add_pd(cnt[c][h], wd);
                    for (size_t f = 0; f < d; f++) {
                        const V x = V_LOADU(Xt + f * KM_ROW_BLOCK + v * LANES);

                        acc[c][f][h] = _mm256_add_pd(
                            acc[c][f][h], _mm256_mul_pd(V_TO_D(x, h), wd));
                    }
                }
            } else {
                const V mc = V_AND(mask, one);

                for (size_t h = 0; h < DH; h++) {
                    cnt[c][h] = _mm256_add_pd(cnt[c][h], V_TO_D(mc, h));
                    for (size_t f = 0; f < d; f++) {
                        const V x = V_AND(
                            mask, V_LOADU(Xt + f * KM_ROW_BLOCK + v * LANES));

                        acc[c][f][h] =
                            _mm256_add_pd(acc[c][f][h], V_TO_D(x, h));
                    }
                }
            }
        }
        for (size_t f = 0; f <= d; f++) {
            double s = 0.0;

            for (size_t c = 0; c < 2; c++)
                for (size_t h = 0; h < DH; h++) {
                    _mm256_storeu_pd(lanes, f < d ? acc[c][f][h] : cnt[c][h]);
                    s += (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
                }
            if (f < d)
                sums[j * d + f] += s;
            else
                wsum[j] += s;
        }
    }
    return nv * LANES;
}

void FN(km_simd_accum)(const REAL *X, const REAL *Xt, size_t m, size_t d,
                       const REAL *w, const int32_t *labels, size_t k,
                       double *sums, double *wsum)
{
    size_t i;

    switch (d) {
    case 1:
        i = FN(simd_accum_body)(Xt, m, 1, w, labels, k, sums, wsum);
        break;
    case 2:
        i = FN(simd_accum_body)(Xt, m, 2, w, labels, k, sums, wsum);
        break;
    case 3:
        i = FN(simd_accum_body)(Xt, m, 3, w, labels, k, sums, wsum);
        break;
    case 4:
        i = FN(simd_accum_body)(Xt, m, 4, w, labels, k, sums, wsum);
        break;
    default:
        i = FN(simd_accum_body)(Xt, m, d, w, labels, k, sums, wsum);
        break;
    }
    for (; i < m; i++) {
        const REAL *x = X + i * d;
        const double wi = w ? (double)w[i] : 1.0;
        double *s = sums + (size_t)labels[i] * d;

        for (size_t f = 0; f < d; f++)
            s[f] += wi * (double)x[f];
        wsum[labels[i]] += wi;
    }
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
            const V lt = V_CMPLT(v, m1);

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

    for (; r < m; r += 4) {
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
}
