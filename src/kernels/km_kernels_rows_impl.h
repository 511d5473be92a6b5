/*
 * km_kernels_rows_impl.h - the SIMD kernels that give one value per row
 * (sq_norms, label_dists in km_kernels.h), pair_dists and lb_scan, written
 * once over a vector ISA:
 * included by km_kernels_avx2.c next to km_kernels_simd_impl.h, with the
 * same REAL, FN(), LANES and V_* macros, and FN(simd_tr) (a[q] = LANES
 * consecutive values of row q, for q < LANES, transposed in place: a[f] =
 * value f of every row).
 *
 * Lanes over rows: each lane sums its row's terms in feature order, as the
 * reference's scalar loops do (s = 0; s += term; no FMA), so every value is
 * the reference's bit for bit.  The terms are formed LANES features of
 * LANES rows at a time from row-major loads (the same operations as the
 * scalar code, value by value), then transposed in registers and added;
 * two groups of LANES rows go together so that their chains of additions
 * overlap.  The features after the last whole vector continue each lane's
 * sum one by one, and the rows after the last pair of groups go through
 * the scalar loop.
 */

/* Rows r .. r + 2 LANES of X: out[i] = sum over f of x_if^2 (diff 0), or
   of (x_if - c_f)^2 with c the row's center C + labels[i] * d (diff 1; a
   constant at each call site). */
static inline __attribute__((always_inline)) void
FN(rows_pair)(const REAL *X, size_t r, size_t d, const REAL *C,
              const int32_t *labels, int diff, REAL *out)
{
    const size_t dv = d / LANES * LANES;
    const REAL *x[2 * LANES], *c[2 * LANES];
    REAL tv[2 * LANES];
    V sa = V_SET1(0), sb = sa;

    for (size_t l = 0; l < 2 * LANES; l++) {
        x[l] = X + (r + l) * d;
        c[l] = diff ? C + (size_t)labels[r + l] * d : NULL;
    }
    for (size_t f = 0; f < dv; f += LANES) {
        V a[LANES], b[LANES];

        for (size_t q = 0; q < LANES; q++) {
            a[q] = V_LOADU(x[q] + f);
            b[q] = V_LOADU(x[LANES + q] + f);
            if (diff) {
                a[q] = V_SUB(a[q], V_LOADU(c[q] + f));
                b[q] = V_SUB(b[q], V_LOADU(c[LANES + q] + f));
            }
            a[q] = V_MUL(a[q], a[q]);
            b[q] = V_MUL(b[q], b[q]);
        }
        FN(simd_tr)(a);
        FN(simd_tr)(b);
        for (size_t q = 0; q < LANES; q++) {
            sa = V_ADD(sa, a[q]);
            sb = V_ADD(sb, b[q]);
        }
    }
    V_STORE(tv, sa);
    V_STORE(tv + LANES, sb);
    for (size_t l = 0; l < 2 * LANES; l++) {
        REAL s = tv[l];

        for (size_t f = dv; f < d; f++) {
            const REAL t = diff ? x[l][f] - c[l][f] : x[l][f];

            s += t * t;
        }
        out[r + l] = s;
    }
}

void FN(km_simd_sq_norms)(const REAL *X, size_t m, size_t d, REAL *out)
{
    size_t r = 0;

    for (; r + 2 * LANES <= m; r += 2 * LANES)
        FN(rows_pair)(X, r, d, NULL, NULL, 0, out);
    for (; r < m; r++) {
        const REAL *x = X + r * d;
        REAL s = 0;

        for (size_t f = 0; f < d; f++)
            s += x[f] * x[f];
        out[r] = s;
    }
}

void FN(km_simd_label_dists)(const REAL *X, size_t m, size_t d, const REAL *C,
                             const int32_t *labels, REAL *out)
{
    size_t r = 0;

    for (; r + 2 * LANES <= m; r += 2 * LANES)
        FN(rows_pair)(X, r, d, C, labels, 1, out);
    for (; r < m; r++)
        out[r] = FN(km_sqdist)(X + r * d, C + (size_t)labels[r] * d, d);
}

/* One row's squared distance to center c, LANES features per vector with
   fused multiply-adds, then the lanes and the features after the last
   whole vector one by one: a term's path has 1 + d / LANES + LANES - 1 +
   d % LANES <= d + 2 roundings (d >= LANES; else it is the canonical
   sum).  Four centers go together so that their chains overlap. */
void FN(km_simd_pair_dists)(const REAL *x, size_t d, const REAL *C,
                            const int32_t *idx, size_t nidx, REAL *out)
{
    const size_t dv = d / LANES * LANES;
    REAL t[4][LANES];
    size_t q = 0;

    for (; q < nidx; q += 4) {
        const size_t nq = nidx - q < 4 ? nidx - q : 4;
        const REAL *c[4];
        V s0 = V_SET1(0), s1 = s0, s2 = s0, s3 = s0;

        for (size_t l = 0; l < 4; l++)
            c[l] = C + (size_t)idx[q + (l < nq ? l : 0)] * d;
        for (size_t f = 0; f < dv; f += LANES) {
            const V xf = V_LOADU(x + f);
            V t0 = V_SUB(xf, V_LOADU(c[0] + f)),
              t1 = V_SUB(xf, V_LOADU(c[1] + f));
            V t2 = V_SUB(xf, V_LOADU(c[2] + f)),
              t3 = V_SUB(xf, V_LOADU(c[3] + f));

            s0 = V_FMADD(t0, t0, s0);
            s1 = V_FMADD(t1, t1, s1);
            s2 = V_FMADD(t2, t2, s2);
            s3 = V_FMADD(t3, t3, s3);
        }
        V_STORE(t[0], s0);
        V_STORE(t[1], s1);
        V_STORE(t[2], s2);
        V_STORE(t[3], s3);
        for (size_t l = 0; l < nq; l++) {
            REAL s = 0;

            for (size_t v = 0; v < LANES; v++)
                s += t[l][v];
            for (size_t f = dv; f < d; f++) {
                REAL e = x[f] - c[l][f];
                s += e * e;
            }
            out[q + l] = s;
        }
    }
}

/* Elkan's row scan (km_kernels.h): LANES centers per vector, the moved
   bounds by the reference's operations (a subtraction and a comparison
   with zero, as max), the candidates from the comparisons' bit masks. */
size_t FN(km_simd_lb_scan)(REAL *l, const REAL *shift, const REAL *half_a,
                           size_t k, REAL us, int32_t *cand)
{
    const V u = V_SET1(us), zero = V_SET1(0);
    size_t nc = 0, j = 0;

    for (; j + LANES <= k; j += LANES) {
        V v = V_LOADU(l + j);
        unsigned bits;

        if (shift != NULL) {
            v = V_MAX(V_SUB(v, V_LOADU(shift + j)), zero);
            V_STORE(l + j, v);
        }
        bits = V_LEBITS(v, u) & V_LEBITS(V_LOADU(half_a + j), u);
        while (bits != 0) {
            cand[nc++] = (int32_t)(j + (size_t)__builtin_ctz(bits));
            bits &= bits - 1;
        }
    }
    for (; j < k; j++) {
        if (shift != NULL) {
            const REAL v = l[j] - shift[j];

            l[j] = v > 0 ? v : 0;
        }
        cand[nc] = (int32_t)j;
        nc += (l[j] <= us) & (half_a[j] <= us);
    }
    return nc;
}
