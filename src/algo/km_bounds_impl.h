/*
 * km_bounds_impl.h - what the bound-based exact algorithms (Elkan, Hamerly)
 * share, for one precision (included by km_elkan.c and km_hamerly.c with
 * REAL, REAL_EPS and FN()).
 *
 * Exactness.  Labels must equal Lloyd's: the canonical argmin of the squared
 * distances, ties to the lowest index.  Bounds carry rounding errors, so a
 * center is skipped only when a bound clears it by a slack that covers
 * them: each distance is computed with a relative error of about (d + 2)
 * ulps, each bound update adds one ulp, and no distance exceeds the data's
 * diameter plus the accumulated center shifts.  Skips are strict (an exact
 * tie is always computed) and computed candidates are compared by their
 * canonical squared distances.
 */

/* The slack for a fit whose distances are bounded by scale, whose centers
   have moved by at most `moved` in all, after iter iterations. */
static REAL FN(bound_slack)(double scale, double moved, int iter, size_t d)
{
    const double kappa =
        2.0 * (double)(d + 8 + 2 * (size_t)iter) * (double)REAL_EPS;

    return (REAL)(kappa * (scale + moved));
}

/* Twice the largest distance of a row or initial center from the data's
   mean: no distance in the fit exceeds it (centers are means of rows,
   relocated rows, or the initial ones). */
static double FN(bound_scale)(const FN(km_problem) * p, const REAL *C)
{
    const size_t n = p->n, d = p->d, k = p->k;
    double *mu = calloc(d, sizeof *mu);
    double r = 0.0;

    if (mu == NULL)
        return INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < d; f++)
            mu[f] += (double)p->X[i * d + f];
    for (size_t f = 0; f < d; f++)
        mu[f] /= (double)n;
    for (size_t i = 0; i < n + k; i++) {
        const REAL *x = i < n ? p->X + i * d : C + (i - n) * d;
        double s = 0.0;

        for (size_t f = 0; f < d; f++)
            s += ((double)x[f] - mu[f]) * ((double)x[f] - mu[f]);
        if (s > r)
            r = s;
    }
    free(mu);
    return 2.0 * sqrt(r) * (1.0 + 1e-6);
}

/* Half the distance between every two centers (into half, k x k, when not
   NULL) and, for each center, the smallest to another one (next[a]; +inf
   when k = 1). */
static void FN(center_half_distances)(const FN(km_problem) * p, const REAL *C,
                                      REAL *half, REAL *next)
{
    const size_t k = p->k, d = p->d;

    for (size_t a = 0; a < k; a++)
        next[a] = (REAL)INFINITY;
    for (size_t a = 0; a < k; a++) {
        if (half != NULL)
            half[a * k + a] = 0;
        for (size_t j = a + 1; j < k; j++) {
            REAL h = (REAL)(0.5 * sqrt((double)FN(km_sqdist)(C + a * d,
                                                             C + j * d, d)));
            if (half != NULL) {
                half[a * k + j] = h;
                half[j * k + a] = h;
            }
            if (h < next[a])
                next[a] = h;
            if (h < next[j])
                next[j] = h;
        }
    }
}
