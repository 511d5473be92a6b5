/*
 * km_silhouette_avx2_impl.h - the AVX2 block kernel of the silhouette (see
 * km_silhouette_simd.h for its contract), written once for both precisions
 * and included by km_silhouette_avx2.c with REAL, FN() and the V_* macros
 * of one vector type of W lanes.
 *
 * R rows (up to 4) at a time against one vector of W columns: the column
 * vector is loaded once per feature and the rows' features broadcast, so
 * the R distance vectors are computed with no store; their square roots
 * go straight into the rows' running segment sums and the columns' sums.
 * A vector that a segment boundary cuts is added under a lane mask (the
 * masked lanes add zero, which changes no sum: distances are >= 0).
 */

/* The squared distances of R rows xi[f * ld + r] to the W columns col. */
static inline __attribute__((always_inline)) void
FN(sil_squares)(const REAL *col, size_t ld, size_t d, const REAL *xi,
                const int R, V *Q)
{
    {
        const V xj = V_LOADU(col);
        for (int r = 0; r < R; r++) {
            const V t = V_SUB(xj, V_SET1(xi[r]));
            Q[r] = V_MUL(t, t);
        }
    }
    for (size_t f = 1; f < d; f++) {
        const V xj = V_LOADU(col + f * ld);
        for (int r = 0; r < R; r++) {
            const V t = V_SUB(xj, V_SET1(xi[f * ld + (size_t)r]));
            Q[r] = V_ADD(Q[r], V_MUL(t, t));
        }
    }
}

static inline __attribute__((always_inline)) void
FN(sil_rows)(const REAL *Xt, size_t ld, size_t d, size_t i, const int R,
             size_t j0, size_t len, const size_t *bnd, size_t nseg,
             REAL *rowseg, REAL *colpart)
{
    const REAL *xi = Xt + i;
    const V idx = V_IDX;
    V acc[4], D[4], Q[4];
    size_t s = 0, lo = 0, hi = bnd[1];

    for (int r = 0; r < R; r++)
        acc[r] = V_ZERO;
    FN(sil_squares)(Xt + j0, ld, d, xi, R, Q);
    for (size_t v = 0; v < len; v += W) {
        const size_t vend = v + W;
        /* The square roots of this vector are started before the squares
           of the next are computed: the two overlap. */
        for (int r = 0; r < R; r++)
            D[r] = V_SQRT(Q[r]);
        if (vend < len)
            FN(sil_squares)(Xt + j0 + vend, ld, d, xi, R, Q);
        {
            V cs = V_LOADU(colpart + v);
            for (int r = 0; r < R; r++)
                cs = V_ADD(cs, D[r]);
            V_STOREU(colpart + v, cs);
        }
        if (lo <= v && vend < hi) {
            /* The whole vector inside the current segment. */
            for (int r = 0; r < R; r++)
                acc[r] = V_ADD(acc[r], D[r]);
            continue;
        }
        /* Lanes [a, b) of this vector belong to segment s, for each
           segment that ends in or starts in it. */
        for (size_t a = lo > v ? lo : v;;) {
            const size_t b = hi < vend ? hi : vend;
            const V mask = V_AND(V_CMPGE(idx, V_SET1((REAL)(a - v))),
                                 V_CMPLT(idx, V_SET1((REAL)(b - v))));
            for (int r = 0; r < R; r++)
                acc[r] = V_ADD(acc[r], V_AND(D[r], mask));
            if (b < hi)
                break; /* segment s goes on in the next vector */
            for (int r = 0; r < R; r++) {
                rowseg[(size_t)r * nseg + s] = V_HSUM(acc[r]);
                acc[r] = V_ZERO;
            }
            if (++s == nseg)
                break;
            lo = hi;
            hi = bnd[s + 1];
            a = lo;
            if (a >= vend)
                break;
        }
    }
}

void FN(km_sil_block_avx2)(const REAL *Xt, size_t ld, size_t d, size_t i0,
                           size_t nr, size_t j0, size_t len, const size_t *bnd,
                           size_t nseg, REAL *rowseg, REAL *colpart)
{
    size_t r = 0;

    for (size_t j = 0; j < len; j += W)
        V_STOREU(colpart + j, V_ZERO);
    for (; r + 4 <= nr; r += 4)
        FN(sil_rows)
    (Xt, ld, d, i0 + r, 4, j0, len, bnd, nseg, rowseg + r * nseg, colpart);
    switch (nr - r) {
    case 3:
        FN(sil_rows)
        (Xt, ld, d, i0 + r, 3, j0, len, bnd, nseg, rowseg + r * nseg, colpart);
        break;
    case 2:
        FN(sil_rows)
        (Xt, ld, d, i0 + r, 2, j0, len, bnd, nseg, rowseg + r * nseg, colpart);
        break;
    case 1:
        FN(sil_rows)
        (Xt, ld, d, i0 + r, 1, j0, len, bnd, nseg, rowseg + r * nseg, colpart);
        break;
    default:
        break;
    }
}
