/*
 * km_kernels_impl.h - reference and BLAS kernels, written once for both
 * precisions.  Included by km_kernels.c with REAL, FN(), the CBLAS GEMM
 * routine's name and the kernel signature types ARGMIN2_FN and
 * ROW_DISTS_FN.
 */

static void FN(ref_sq_norms)(const REAL *X, size_t m, size_t d, REAL *out)
{
    for (size_t i = 0; i < m; i++) {
        const REAL *x = X + i * d;
        REAL s = 0;

        for (size_t f = 0; f < d; f++)
            s += x[f] * x[f];
        out[i] = s;
    }
}

static void FN(ref_dist_block)(const REAL *X, size_t m, size_t d, const REAL *C,
                               size_t k, const REAL *xn, const REAL *cn,
                               REAL *D)
{
    (void)xn;
    (void)cn;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++)
            D[i * k + j] = FN(km_sqdist)(X + i * d, C + j * d, d);
}

/* Canonical argmin: the distance to each center in turn, a strictly smaller
   one replacing the best, so ties keep the lowest index. */
static size_t FN(ref_assign_block)(const REAL *X, size_t m, size_t d,
                                   const REAL *C, size_t k, int32_t *labels,
                                   REAL *mind)
{
    size_t changed = 0;

    for (size_t i = 0; i < m; i++) {
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
        changed += labels[i] != (int32_t)b;
        labels[i] = (int32_t)b;
        if (mind != NULL)
            mind[i] = best;
    }
    return changed;
}

/* The local copies of km_accum_local (km_kernels.h), row by row; d is a
   constant at the call sites of small dimensions, so the loops unroll. */
static inline __attribute__((always_inline)) void
FN(accum_local)(const REAL *X, size_t m, size_t d, const REAL *w,
                const int32_t *labels, size_t k, double *sums, double *wsum)
{
    const size_t dp = KM_ACCUM_PAD(d);
    double ls[4 * KM_ACCUM_LOCAL];

    memset(ls, 0, 4 * k * dp * sizeof *ls);
    for (size_t i = 0; i < m; i++) {
        const REAL *x = X + i * d;
        double *s = ls + ((i & 3) * k + (size_t)labels[i]) * dp;
        const double wi = w != NULL ? (double)w[i] : 1.0;

        for (size_t f = 0; f < d; f++)
            s[f] += wi * (double)x[f];
        s[d] += wi;
    }
    for (size_t j = 0; j < k; j++)
        for (size_t f = 0; f <= d; f++) {
            const size_t t = j * dp + f, cs = k * dp;
            const double v =
                (ls[t] + ls[cs + t]) + (ls[2 * cs + t] + ls[3 * cs + t]);

            if (f < d)
                sums[j * d + f] += v;
            else
                wsum[j] += v;
        }
}

static void FN(ref_accum_block)(const REAL *X, size_t m, size_t d,
                                const REAL *w, const int32_t *labels, size_t k,
                                double *sums, double *wsum)
{
    if (km_accum_local(k, d)) {
        switch (d) {
        case 1:
            FN(accum_local)(X, m, 1, w, labels, k, sums, wsum);
            return;
        case 2:
            FN(accum_local)(X, m, 2, w, labels, k, sums, wsum);
            return;
        case 3:
            FN(accum_local)(X, m, 3, w, labels, k, sums, wsum);
            return;
        case 4:
            FN(accum_local)(X, m, 4, w, labels, k, sums, wsum);
            return;
        default:
            FN(accum_local)(X, m, d, w, labels, k, sums, wsum);
            return;
        }
    }
    for (size_t i = 0; i < m; i++) {
        const REAL *x = X + i * d;
        const double wi = w ? (double)w[i] : 1.0;
        double *s = sums + (size_t)labels[i] * d;

        for (size_t f = 0; f < d; f++)
            s[f] += wi * (double)x[f];
        wsum[labels[i]] += wi;
    }
}

/* Smallest, its index and second smallest of D + cn, row by row. */
static void FN(ref_argmin2)(const REAL *D, const REAL *cn, size_t m, size_t k,
                            int32_t *best, REAL *b1, REAL *b2)
{
    for (size_t r = 0; r < m; r++) {
        const REAL *row = D + r * k;
        REAL v1 = row[0] + cn[0], v2 = (REAL)INFINITY;
        size_t bi = 0;

        for (size_t j = 1; j < k; j++) {
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

/* Rows against all centers, from the transposed centers. */
static void FN(ref_row_dists)(const REAL *X, size_t m, const REAL *Ct,
                              size_t kp, size_t d, size_t k, REAL *out)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) {
            REAL s = 0;

            for (size_t f = 0; f < d; f++) {
                REAL t = X[i * d + f] - Ct[f * kp + j];
                s += t * t;
            }
            out[i * k + j] = s;
        }
}

/* k-means++ potentials, candidate by candidate (km_kernels.h). */
static void FN(ref_pp_block)(const REAL *X, const uint32_t *sel, size_t m,
                             size_t d, const REAL *cand, size_t t,
                             const REAL *closest, const REAL *w, REAL *newmin,
                             size_t ldn, double *lanes, REAL *scratch)
{
    (void)scratch;
    FN(km_pp_rows)(X, sel, 0, m, d, cand, t, closest, w, newmin, ldn, lanes);
}

/* Each row's canonical distance to its labelled center. */
static void FN(ref_label_dists)(const REAL *X, size_t m, size_t d,
                                const REAL *C, const int32_t *labels, REAL *out)
{
    for (size_t i = 0; i < m; i++)
        out[i] = FN(km_sqdist)(X + i * d, C + (size_t)labels[i] * d, d);
}

/* Distances from x to some centers: the canonical ones (km_kernels.h). */
static void FN(ref_pair_dists)(const REAL *x, size_t d, const REAL *C,
                               const int32_t *idx, size_t nidx, REAL *out)
{
    for (size_t q = 0; q < nidx; q++)
        out[q] = FN(km_sqdist)(x, C + (size_t)idx[q] * d, d);
}

/* Elkan's scan of one row's lower bounds (km_kernels.h). */
static size_t FN(ref_lb_scan)(REAL *l, const REAL *shift, const REAL *half_a,
                              size_t k, REAL us, int32_t *cand)
{
    size_t nc = 0;

    for (size_t j = 0; j < k; j++) {
        if (shift != NULL) {
            const REAL v = l[j] - shift[j];

            l[j] = v > 0 ? v : 0;
        }
        if (l[j] <= us && half_a[j] <= us)
            cand[nc++] = (int32_t)j;
    }
    return nc;
}

#ifdef KM_HAVE_BLAS
/* D = -2 X C^T: one GEMM per block of rows; the norms are added by the
   caller where needed. */
static void FN(blas_dist_block)(const REAL *X, size_t m, size_t d,
                                const REAL *C, size_t k, const REAL *xn,
                                const REAL *cn, REAL *D)
{
    (void)xn;
    (void)cn;
    CBLAS_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)k,
               (blasint)d, (REAL)-2, X, (blasint)d, C, (blasint)d, (REAL)0, D,
               (blasint)k);
}
#endif

/* The widest vectors this CPU runs: AVX-512F, else AVX2 with FMA (the
   AVX-512 kernels give the AVX2 ones' bits, so the choice changes only
   the speed). */
ARGMIN2_FN *FN(km_kernels_fast_argmin2)(void)
{
    if (km_cpu_has_avx512())
        return FN(km_simd_argmin2_x512);
    return km_cpu_has_avx2(1) ? FN(km_simd_argmin2) : NULL;
}

ROW_DISTS_FN *FN(km_kernels_fast_row_dists)(void)
{
    if (km_cpu_has_avx512())
        return FN(km_simd_row_dists_x512);
    return km_cpu_has_avx2(1) ? FN(km_simd_row_dists) : NULL;
}

int FN(km_kernels_simd)(FN(km_kernels) * t, size_t k, size_t d)
{
    (void)k;
    if (!km_cpu_has_avx2(1) || d > KM_SIMD_ASSIGN_MAX_D)
        return 0;
    if (km_cpu_has_avx512()) {
        t->name = "avx512";
        t->assign_block = FN(km_simd_assign_x512);
    } else {
        t->name = "avx2";
        t->assign_block = FN(km_simd_assign);
    }
    return 1;
}

/* Where AUTO takes the fused expanded form (on a CPU with AVX2 and FMA)
   rather than the canonical SIMD kernel (low d, few centers) or GEMM
   (d > 64 with k >= 16, when built with CBLAS): measured with
   bench/km_kernel_sweep on blobs, one thread (docs/performance.md). */
static int FN(km_use_dot)(size_t k, size_t d)
{
    if (d > 64) {
#ifdef KM_HAVE_BLAS
        return k < 16;
#else
        return 1;
#endif
    }
    if (d > 16)
        return 1;
    if (d == 16)
        return k >= 8;
    if (d >= 12)
        return k >= 32;
    return d >= 8 && k >= 64;
}

void FN(km_kernels_get)(km_kernel_id id, size_t k, size_t d,
                        FN(km_kernels) * out)
{
    out->name = "reference";
    out->exact = 1;
    out->fast_rows = 0;
    out->ct_pad = 1;
    out->err_scale = 0;
    out->sq_norms = FN(ref_sq_norms);
    out->dist_block = FN(ref_dist_block);
    out->assign_block = FN(ref_assign_block);
    out->accum_block = FN(ref_accum_block);
    out->dot_argmin2 = NULL;
    out->transpose = NULL;
    out->argmin2 = FN(ref_argmin2);
    out->row_dists = FN(ref_row_dists);
    out->pp_block = FN(ref_pp_block);
    out->label_dists = FN(ref_label_dists);
    out->pair_dists = FN(ref_pair_dists);
    out->lb_scan = FN(ref_lb_scan);
    if (id == KM_KERNEL_REF)
        return; /* all reference: what the fast kernels are tested against */
    if (FN(km_kernels_fast_argmin2)() != NULL) {
        /* Both give the reference's values bit for bit (argmin2 may pick
           another index among equal minima, which only feed the near-tie
           re-check), so every other table takes them. */
        out->argmin2 = FN(km_kernels_fast_argmin2)();
        out->row_dists = FN(km_kernels_fast_row_dists)();
        out->fast_rows = 1;
        /* the lanes of the vectors row_dists reads (512 or 256 bits) */
        out->ct_pad = (km_cpu_has_avx512() ? 64 : 32) / sizeof(REAL);
        /* Same order of additions as the reference (km_accum_local), so
           the same bits, for any k and d. */
        out->accum_block = FN(km_simd_accum);
        out->pp_block = km_cpu_has_avx512() ? FN(km_simd_pp_block_x512)
                                            : FN(km_simd_pp_block); /* the
                                                 same bits too */
        /* Lanes over rows, each the reference's sum: the same bits. */
        out->sq_norms = FN(km_simd_sq_norms);
        out->label_dists = FN(km_simd_label_dists);
        /* Not the canonical bits (features summed LANES at a time), within
           the canonical bound: only for bounds and candidates. */
        out->pair_dists = FN(km_simd_pair_dists);
        out->lb_scan = FN(km_simd_lb_scan); /* the same values */
    }
    if (id == KM_KERNEL_DOT || (id == KM_KERNEL_AUTO && FN(km_use_dot)(k, d))) {
        if (out->fast_rows) { /* AVX2 and FMA */
            const int x512 = km_cpu_has_avx512();

            out->name = x512 ? "avx512-fma" : "avx2-fma";
            out->exact = 0;
            out->err_scale = 2.0 * (double)(d + 4) * (double)REAL_EPS;
            out->assign_block = NULL;
            out->dot_argmin2 =
                x512 ? FN(km_simd_dot_argmin2_x512) : FN(km_simd_dot_argmin2);
            out->transpose = FN(km_simd_transpose);
#ifdef KM_HAVE_BLAS
            out->dist_block = FN(blas_dist_block);
#endif
            return;
        }
    }
    if (id == KM_KERNEL_SIMD || (id == KM_KERNEL_AUTO && d <= 16)) {
        if (FN(km_kernels_simd)(out, k, d))
            return;
    }
#ifdef KM_HAVE_BLAS
    /* GEMM pays off once each row meets enough centers and features: AUTO
       comes here for d > 64 and k >= 16, or for d >= 16 and k >= 16 on a
       CPU without AVX2 and FMA. */
    if (id == KM_KERNEL_BLAS || (id == KM_KERNEL_AUTO && d >= 16 && k >= 16)) {
        out->name = "blas";
        out->exact = 0;
        /* Rounding of |x|^2 + |c|^2 - 2 x.c: each of the three terms is a
           sum of d products, so the error is at most about (d + 2) ulps of
           |x|^2 + |c|^2 (the dot product is bounded by their mean);
           doubled for safety. */
        out->err_scale = 2.0 * (double)(d + 4) * (double)REAL_EPS;
        out->dist_block = FN(blas_dist_block);
        out->assign_block = NULL;
    }
#else
    (void)id;
    (void)k;
    (void)d;
#endif
}
