/*
 * km_kernels_impl.h - reference and BLAS kernels, written once for both
 * precisions.  Included by km_kernels.c with REAL, FN(), and for BLAS
 * GEMM the CBLAS routine name.
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

#ifdef KM_HAVE_BLAS
/* D = |x|^2 + |c|^2 - 2 X C^T: one GEMM per block of rows. */
static void FN(blas_dist_block)(const REAL *X, size_t m, size_t d,
                                const REAL *C, size_t k, const REAL *xn,
                                const REAL *cn, REAL *D)
{
    CBLAS_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)k,
               (blasint)d, (REAL)-2, X, (blasint)d, C, (blasint)d, (REAL)0, D,
               (blasint)k);
    for (size_t i = 0; i < m; i++) {
        REAL *row = D + i * k;

        for (size_t j = 0; j < k; j++)
            row[j] += xn[i] + cn[j];
    }
}
#endif

void FN(km_kernels_get)(km_kernel_id id, size_t k, size_t d,
                        FN(km_kernels) * out)
{
    out->name = "reference";
    out->exact = 1;
    out->err_scale = 0;
    out->sq_norms = FN(ref_sq_norms);
    out->dist_block = FN(ref_dist_block);
#ifdef KM_HAVE_BLAS
    /* GEMM pays off once each row meets enough centers and features; below
       that the direct loop is as fast (crossover measured in issue 3). */
    if (id == KM_KERNEL_BLAS || (id == KM_KERNEL_AUTO && d >= 16 && k >= 16)) {
        out->name = "blas";
        out->exact = 0;
        /* Rounding of |x|^2 + |c|^2 - 2 x.c: each of the three terms is a
           sum of d products, so the error is at most about (d + 2) ulps of
           |x|^2 + |c|^2 (the dot product is bounded by their mean);
           doubled for safety. */
        out->err_scale = 2.0 * (double)(d + 4) * (double)REAL_EPS;
        out->dist_block = FN(blas_dist_block);
    }
#else
    (void)id;
    (void)k;
    (void)d;
#endif
}
