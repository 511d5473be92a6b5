/*
 * km_scores_impl.h - the Calinski-Harabasz and Davies-Bouldin scores,
 * written once for both precisions (included by km_silhouette.c with REAL
 * and FN()).  Both follow scikit-learn 1.2's sklearn/metrics/cluster/
 * _unsupervised.py step by step, in double, in one pass over the rows in
 * order (single-threaded: O(n d) is small next to the fits they judge).
 */

/* The k x d cluster means (double) of the clustering c of X. */
static double *FN(cluster_means)(const REAL *X, size_t n, size_t d,
                                 const sil_clusters *c)
{
    double *mean = km_calloc_array(c->k * d, sizeof *mean);

    if (mean == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        double *mc = mean + c->cid[i] * d;
        for (size_t f = 0; f < d; f++)
            mc[f] += (double)X[i * d + f];
    }
    for (size_t j = 0; j < c->k; j++) {
        for (size_t f = 0; f < d; f++)
            mean[j * d + f] /= (double)c->count[j];
    }
    return mean;
}

static int FN(scores_setup)(const REAL *X, size_t n, size_t d,
                            const int32_t *labels, double *score,
                            sil_clusters *c, double **mean)
{
    int status;

    if (score == NULL)
        return KM_ERR_ARG;
    status = FN(check_input)(X, n, d, labels);
    if (status != KM_OK)
        return status;
    status = clusters_build(labels, NULL, n, c);
    if (status != KM_OK)
        return status;
    *mean = FN(cluster_means)(X, n, d, c);
    if (*mean == NULL) {
        clusters_free(c);
        return KM_ERR_NOMEM;
    }
    return KM_OK;
}

int FN(km_calinski_harabasz)(const REAL *X, size_t n, size_t d,
                             const int32_t *labels, double *score)
{
    sil_clusters c;
    double *mean, *all, extra = 0.0, intra = 0.0;
    int status = FN(scores_setup)(X, n, d, labels, score, &c, &mean);

    if (status != KM_OK)
        return status;
    all = km_calloc_array(d, sizeof *all);
    if (all == NULL) {
        km_free(mean);
        clusters_free(&c);
        return KM_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < d; f++)
            all[f] += (double)X[i * d + f];
    }
    for (size_t f = 0; f < d; f++)
        all[f] /= (double)n;
    /* Between-cluster dispersion: sum_c n_c |mean_c - mean|^2. */
    for (size_t j = 0; j < c.k; j++) {
        double s = 0.0;
        for (size_t f = 0; f < d; f++) {
            double t = mean[j * d + f] - all[f];
            s += t * t;
        }
        extra += (double)c.count[j] * s;
    }
    /* Within-cluster dispersion: sum_i |x_i - mean_c(i)|^2. */
    for (size_t i = 0; i < n; i++) {
        const double *mc = mean + c.cid[i] * d;
        for (size_t f = 0; f < d; f++) {
            double t = (double)X[i * d + f] - mc[f];
            intra += t * t;
        }
    }
    *score = intra == 0.0
                 ? 1.0
                 : extra * (double)(n - c.k) / (intra * (double)(c.k - 1));
    km_free(all);
    km_free(mean);
    clusters_free(&c);
    return KM_OK;
}

static double FN(mean_distance)(const double *a, const double *b, size_t d)
{
    double s = 0.0;

    for (size_t f = 0; f < d; f++) {
        double t = a[f] - b[f];
        s += t * t;
    }
    return sqrt(s);
}

int FN(km_davies_bouldin)(const REAL *X, size_t n, size_t d,
                          const int32_t *labels, double *score)
{
    sil_clusters c;
    double *mean, *intra, *x, sum = 0.0;
    bool intra_zero = true, centers_zero = true;
    int status = FN(scores_setup)(X, n, d, labels, score, &c, &mean);

    if (status != KM_OK)
        return status;
    intra = km_calloc_array(c.k, sizeof *intra);
    x = km_malloc_array(d, sizeof *x);
    if (intra == NULL || x == NULL) {
        km_free(intra);
        km_free(x);
        km_free(mean);
        clusters_free(&c);
        return KM_ERR_NOMEM;
    }
    /* S_c: the mean distance of the members of c to its mean. */
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < d; f++)
            x[f] = (double)X[i * d + f];
        intra[c.cid[i]] += FN(mean_distance)(x, mean + c.cid[i] * d, d);
    }
    for (size_t j = 0; j < c.k; j++) {
        intra[j] /= (double)c.count[j];
        if (fabs(intra[j]) > 1e-8)
            intra_zero = false;
    }
    /* scikit-learn returns 0 when np.allclose(S, 0) or when all center
       distances are allclose to 0 (atol 1e-8). */
    for (size_t i = 0; i < c.k && centers_zero; i++) {
        for (size_t j = i + 1; j < c.k; j++) {
            if (FN(mean_distance)(mean + i * d, mean + j * d, d) > 1e-8) {
                centers_zero = false;
                break;
            }
        }
    }
    if (intra_zero || centers_zero) {
        *score = 0.0;
    } else {
        for (size_t i = 0; i < c.k; i++) {
            double worst = 0.0;
            for (size_t j = 0; j < c.k; j++) {
                double dist = FN(mean_distance)(mean + i * d, mean + j * d, d);
                /* Coinciding centers count as infinitely far (ratio 0). */
                if (j != i && dist != 0.0) {
                    double r = (intra[i] + intra[j]) / dist;
                    if (r > worst)
                        worst = r;
                }
            }
            sum += worst;
        }
        *score = sum / (double)c.k;
    }
    km_free(intra);
    km_free(x);
    km_free(mean);
    clusters_free(&c);
    return KM_OK;
}
