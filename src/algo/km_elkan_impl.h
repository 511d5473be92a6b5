/*
 * km_elkan_impl.h - Elkan's algorithm (Elkan, "Using the triangle
 * inequality to accelerate k-means", ICML 2003), written once for both
 * precisions (included by km_exact.c with REAL, REAL_EPS and FN(), after
 * km_bounds_impl.h).
 *
 * Each row keeps an upper bound u on the distance to its center and a lower
 * bound l[j] on the distance to every center j; half[a][j] is half the
 * distance between centers a and j.  A center j cannot take row x from its
 * center a when u <= l[j] or u <= half[a][j] (triangle inequality), so its
 * distance is not computed.  The structure follows scikit-learn's
 * _elkan.pyx; iterations, stopping, relocation and center sums are Lloyd's
 * (bounds_run in km_bounds_impl.h), so the result is Lloyd's from the same
 * start.
 *
 * Exactness: see km_bounds_impl.h.
 */

typedef struct FN(elkan_state) {
    REAL *ub;   /* n upper bounds */
    REAL *lb;   /* n x k lower bounds */
    REAL *half; /* k x k half distances between centers */
    REAL *next; /* k: min over j != a of half[a][j] */
} FN(elkan_state);

/* First labels and bounds of rows [lo, hi) (scikit-learn's init_bounds). */
static void FN(elkan_init_bounds)(const FN(km_problem) * p, const REAL *C,
                                  FN(elkan_state) * s, REAL slack, size_t lo,
                                  size_t hi, int32_t *labels)
{
    const size_t k = p->k, d = p->d;

    for (size_t i = lo; i < hi; i++) {
        const REAL *x = p->X + i * d;
        REAL *l = s->lb + i * k;
        size_t best = 0;
        REAL sq_best = FN(km_sqdist)(x, C, d);
        REAL u = (REAL)sqrt((double)sq_best);

        l[0] = u;
        for (size_t j = 1; j < k; j++)
            l[j] = 0;
        for (size_t j = 1; j < k; j++) {
            REAL sq, dj;

            if (u + slack < s->half[best * k + j])
                continue;
            sq = FN(km_sqdist)(x, C + j * d, d);
            dj = (REAL)sqrt((double)sq);
            l[j] = dj;
            if (sq < sq_best) {
                sq_best = sq;
                u = dj;
                best = j;
            }
        }
        labels[i] = (int32_t)best;
        s->ub[i] = u;
    }
}

/* Rows [lo, hi) (bounds_algo.rows): the first labels and bounds when tight,
   then a relabelling where the bounds allow a change. */
static size_t FN(elkan_rows)(const FN(km_problem) * p, void *state,
                             const REAL *C, REAL slack, int tight, size_t b,
                             size_t lo, size_t hi, int32_t *labels)
{
    FN(elkan_state) *s = state;
    const size_t k = p->k, d = p->d;
    size_t ch = 0;

    (void)b;
    if (tight)
        FN(elkan_init_bounds)(p, C, s, slack, lo, hi, labels);
    for (size_t i = lo; i < hi; i++) {
        const REAL *x = p->X + i * d;
        REAL *l = s->lb + i * k;
        const size_t a0 = (size_t)labels[i];
        size_t a = a0;
        REAL u = s->ub[i], sq_a = 0;
        int exact = 0; /* u is the distance to a */

        if (!(u + slack < s->next[a])) {
            for (size_t j = 0; j < k; j++) {
                REAL sq, dj;

                if (j == a || u + slack < l[j] ||
                    u + slack < s->half[a * k + j])
                    continue;
                if (!exact) {
                    sq_a = FN(km_sqdist)(x, C + a * d, d);
                    u = (REAL)sqrt((double)sq_a);
                    l[a] = u;
                    exact = 1;
                    if (u + slack < l[j] || u + slack < s->half[a * k + j])
                        continue;
                }
                sq = FN(km_sqdist)(x, C + j * d, d);
                dj = (REAL)sqrt((double)sq);
                l[j] = dj;
                if (sq < sq_a || (sq == sq_a && j < a)) {
                    a = j;
                    sq_a = sq;
                    u = dj;
                }
            }
            labels[i] = (int32_t)a;
            s->ub[i] = u;
            ch += a != a0;
        }
    }
    return ch;
}

/* The bounds moved with the centers (bounds_algo.move). */
static double FN(elkan_move)(const FN(km_problem) * p, void *state,
                             const int32_t *labels, const REAL *shift)
{
    FN(elkan_state) *s = state;
    const size_t n = p->n, k = p->k;
    double max_shift = 0.0;

#pragma omp parallel for num_threads(p->n_threads) schedule(static)
    for (size_t i = 0; i < n; i++) {
        REAL *l = s->lb + i * k;

        s->ub[i] += shift[labels[i]];
        for (size_t j = 0; j < k; j++) {
            REAL v = l[j] - shift[j];
            l[j] = v > 0 ? v : 0;
        }
    }
    for (size_t j = 0; j < k; j++)
        if ((double)shift[j] > max_shift)
            max_shift = (double)shift[j];
    return max_shift;
}

/* The half distances between the centers (bounds_algo.centers). */
static void FN(elkan_centers)(const FN(km_problem) * p, void *state,
                              const REAL *C)
{
    FN(elkan_state) *s = state;

    FN(center_half_distances)(p, C, s->half, s->next);
}

int FN(km_elkan)(const FN(km_problem) * p, REAL *C, int max_iter,
                 double tol_abs, const km_progress *prog, int32_t *labels,
                 km_run_result *res)
{
    const size_t n = p->n, k = p->k;
    FN(elkan_state) s = {0};
    const FN(bounds_algo)
        algo = {&s, FN(elkan_rows), FN(elkan_move), FN(elkan_centers)};
    int status = KM_ERR_NOMEM;

    if (k == 1) /* no other center to bound against: Lloyd, as sklearn */
        return FN(km_lloyd)(p, C, max_iter, tol_abs, prog, labels, res);
    s.ub = km_malloc_array(n, sizeof *s.ub);
    s.lb = km_malloc_array(n, k * sizeof *s.lb);
    s.half = km_malloc_array(k, k * sizeof *s.half);
    s.next = km_malloc_array(k, sizeof *s.next);
    if (s.ub != NULL && s.lb != NULL && s.half != NULL && s.next != NULL)
        status =
            FN(bounds_run)(p, &algo, C, max_iter, tol_abs, prog, labels, res);
    km_free(s.ub);
    km_free(s.lb);
    km_free(s.half);
    km_free(s.next);
    return status;
}
