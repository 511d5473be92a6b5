/*
 * km_fit_impl.h - the fit driver and k-means++ entry point, written once for
 * both precisions (included by km_fit.c with REAL, MODEL_DTYPE, CENTERS
 * (the model's center array of this precision) and FN()).
 */

/* scikit-learn's _tolerance: tol times the mean over features of the
   (unweighted) variance of X; 0 stays 0.  Two passes, in double, summed by
   blocks in block order. */
static int FN(abs_tolerance)(const FN(km_problem) * p, double tol, double *out)
{
    const size_t n = p->n, d = p->d, nb = p->blk.n_blocks;
    double *part = km_calloc_array(nb, d * sizeof *part);
    double *mean = km_calloc_array(d, sizeof *mean);
    double var = 0.0;

    if (part == NULL || mean == NULL) {
        km_free(part);
        km_free(mean);
        return KM_ERR_NOMEM;
    }
    if (tol == 0.0) {
        *out = 0.0;
        km_free(part);
        km_free(mean);
        return KM_OK;
    }
    for (int pass = 0; pass < 2; pass++) {
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
        for (size_t b = 0; b < nb; b++) {
            const size_t lo = b * p->blk.rows;
            const size_t hi = lo + p->blk.rows < n ? lo + p->blk.rows : n;
            double *acc = part + b * d;

            for (size_t f = 0; f < d; f++)
                acc[f] = 0.0;
            for (size_t i = lo; i < hi; i++) {
                for (size_t f = 0; f < d; f++) {
                    double v = (double)p->X[i * d + f];

                    if (pass == 0) {
                        acc[f] += v;
                    } else {
                        v -= mean[f];
                        acc[f] += v * v;
                    }
                }
            }
        }
        for (size_t f = 0; f < d; f++) {
            double s = 0.0;

            for (size_t b = 0; b < nb; b++)
                s += part[b * d + f];
            if (pass == 0)
                mean[f] = s / (double)n;
            else
                var += s / (double)n;
        }
    }
    *out = tol * (var / (double)d);
    km_free(part);
    km_free(mean);
    return KM_OK;
}

static void FN(warn)(const km_params *params, int run, const char *msg)
{
    if (params->log != NULL) {
        km_log_event ev = {KM_LOG_WARNING, run, 0, 0.0, 0.0, msg};
        params->log(params->log_user, &ev);
    }
}

int FN(km_fit)(const km_params *params, const REAL *X, size_t n, size_t d,
               const REAL *sample_weight, km_model **model, int32_t *labels)
{
    FN(km_problem) prob;
    km_params par;
    km_rng rng;
    km_model *m = NULL;
    REAL *C = NULL, *best_C = NULL;
    int32_t *lab = NULL, *best_lab = NULL;
    km_run_result res, best = {0.0, 0, 0};
    double tol_abs;
    size_t k, kd;
    int status, nt, n_init, have_best = 0;
    km_algorithm algo;

    if (model != NULL)
        *model = NULL;
    if (params == NULL || X == NULL || model == NULL ||
        km_params_check(params) != NULL)
        return KM_ERR_ARG;
    par = *params;
    k = (size_t)par.n_clusters;
    if (n == 0 || d == 0 || k > n || km_mul_overflow(k, d, &kd) ||
        km_mul_overflow(n, d, &kd))
        return KM_ERR_SHAPE;
    kd = k * d;
    nt = km_thread_count(par.n_threads);
    status = FN(km_check_finite)(X, n, d, nt);
    if (status == KM_OK)
        status = FN(km_check_weights)(sample_weight, n);
    if (status == KM_OK && par.init == KM_INIT_ARRAY)
        status = km_check_finite_f64(par.init_centers, k, d, 1);
    if (status != KM_OK)
        return status;

    n_init = par.n_init;
    if (n_init == 0)
        n_init = par.init == KM_INIT_RANDOM ? 10 : 1;
    if (par.init == KM_INIT_ARRAY && n_init > 1) {
        FN(warn)
        (&par, 0,
         "explicit initial centers given: performing only one "
         "initialization instead of n_init");
        n_init = 1;
    }

    status = FN(km_problem_setup)(&prob, X, n, d, sample_weight, k, nt,
                                  KM_KERNEL_AUTO);
    if (status != KM_OK)
        return status;
    algo = km_choose_algorithm(par.algorithm, n, k, KM_FORM_OF(prob.kern));
    status = FN(abs_tolerance)(&prob, par.tol, &tol_abs);
    C = km_malloc_array(kd, sizeof *C);
    best_C = km_malloc_array(kd, sizeof *best_C);
    lab = km_malloc_array(n, sizeof *lab);
    best_lab = km_malloc_array(n, sizeof *best_lab);
    if (status == KM_OK &&
        (C == NULL || best_C == NULL || lab == NULL || best_lab == NULL))
        status = KM_ERR_NOMEM;
    km_rng_seed(&rng, par.seed);

    for (int run = 0; status == KM_OK && run < n_init; run++) {
        km_progress prog = {par.log, par.log_user, run};

        if (par.init == KM_INIT_KMEANSPP) {
            int trials = 2 + (int)floor(log((double)k));
            status = FN(km_init_kmeanspp)(&prob, &rng, trials, C, NULL);
        } else if (par.init == KM_INIT_RANDOM) {
            status = FN(km_init_random)(&prob, &rng, C, NULL);
        } else if (par.init == KM_INIT_KMEANS_PARALLEL) {
            status = FN(km_init_kmeans_par)(&prob, &rng, C, NULL);
        } else {
            for (size_t t = 0; t < kd; t++)
                C[t] = (REAL)par.init_centers[t];
        }
        if (status != KM_OK)
            break;
        if (algo == KM_ALGO_ELKAN)
            status =
                FN(km_elkan)(&prob, C, par.max_iter, tol_abs, &prog, lab, &res);
        else if (algo == KM_ALGO_HAMERLY)
            status = FN(km_hamerly)(&prob, C, par.max_iter, tol_abs, &prog, lab,
                                    &res);
        else if (algo == KM_ALGO_YINYANG)
            status = FN(km_yinyang)(&prob, C, par.max_iter, tol_abs, &prog, lab,
                                    &res);
        else
            status =
                FN(km_lloyd)(&prob, C, par.max_iter, tol_abs, &prog, lab, &res);
        if (status != KM_OK)
            break;
        if (par.log != NULL) {
            km_log_event ev = {KM_LOG_RUN,  run, res.n_iter,
                               res.inertia, 0.0, NULL};
            par.log(par.log_user, &ev);
        }
        /* The lowest inertia wins; the first run on ties. */
        if (!have_best || res.inertia < best.inertia) {
            REAL *tc = best_C;
            int32_t *tl = best_lab;

            best_C = C;
            C = tc;
            best_lab = lab;
            lab = tl;
            best = res;
            have_best = 1;
        }
    }

    if (status == KM_OK) {
        m = km_model_alloc((int)k, d);
        if (m == NULL)
            status = KM_ERR_NOMEM;
    }
    if (status == KM_OK) {
        size_t distinct = 0;
        unsigned char *seen = calloc(k, 1);

        if (seen == NULL) {
            status = KM_ERR_NOMEM;
        } else {
            for (size_t i = 0; i < n; i++) {
                distinct += !seen[best_lab[i]];
                seen[best_lab[i]] = 1;
            }
            free(seen);
        }
        m->dtype = MODEL_DTYPE;
        memcpy(m->CENTERS, best_C, kd * sizeof *best_C);
        km_model_sync(m);
        m->n_samples = n;
        m->inertia = best.inertia;
        m->n_iter = best.n_iter;
        m->flags = best.converged ? KM_FLAG_CONVERGED : 0u;
        m->params = par;
        m->params.n_init = par.n_init;
        m->params.init_centers = NULL;
        m->params.log = NULL;
        m->params.log_user = NULL;
        if (status == KM_OK && distinct < k) {
            char msg[160];

            m->flags |= KM_FLAG_FEWER_CLUSTERS;
            snprintf(msg, sizeof msg,
                     "number of distinct clusters (%zu) found smaller than "
                     "n_clusters (%zu); possibly due to duplicate points",
                     distinct, k);
            FN(warn)(&par, 0, msg);
        }
    }
    if (status == KM_OK && labels != NULL)
        memcpy(labels, best_lab, n * sizeof *labels);

    FN(km_problem_release)(&prob);
    km_free(C);
    km_free(best_C);
    km_free(lab);
    km_free(best_lab);
    if (status != KM_OK) {
        km_model_free(m);
        return status;
    }
    *model = m;
    return KM_OK;
}

/* The seeding alone: k-means++ (par = 0) or k-means|| (par = 1). */
static int FN(seeding)(const REAL *X, size_t n, size_t d,
                       const REAL *sample_weight, int k, int n_local_trials,
                       uint64_t seed, int par, REAL *centers, int64_t *indices)
{
    FN(km_problem) prob;
    km_rng rng;
    size_t nd;
    int status, nt = km_thread_count(0);

    if (X == NULL || centers == NULL || k < 1)
        return KM_ERR_ARG;
    if (n == 0 || d == 0 || (size_t)k > n || km_mul_overflow(n, d, &nd))
        return KM_ERR_SHAPE;
    status = FN(km_check_finite)(X, n, d, nt);
    if (status == KM_OK)
        status = FN(km_check_weights)(sample_weight, n);
    if (status != KM_OK)
        return status;
    if (n_local_trials <= 0)
        n_local_trials = 2 + (int)floor(log((double)k));
    status = FN(km_problem_setup)(&prob, X, n, d, sample_weight, (size_t)k, nt,
                                  KM_KERNEL_AUTO);
    if (status != KM_OK)
        return status;
    km_rng_seed(&rng, seed);
    status = par ? FN(km_init_kmeans_par)(&prob, &rng, centers, indices)
                 : FN(km_init_kmeanspp)(&prob, &rng, n_local_trials, centers,
                                        indices);
    FN(km_problem_release)(&prob);
    return status;
}

int FN(km_kmeanspp)(const REAL *X, size_t n, size_t d,
                    const REAL *sample_weight, int k, int n_local_trials,
                    uint64_t seed, REAL *centers, int64_t *indices)
{
    return FN(seeding)(X, n, d, sample_weight, k, n_local_trials, seed, 0,
                       centers, indices);
}

int FN(km_kmeans_parallel)(const REAL *X, size_t n, size_t d,
                           const REAL *sample_weight, int k, uint64_t seed,
                           REAL *centers, int64_t *indices)
{
    return FN(seeding)(X, n, d, sample_weight, k, 0, seed, 1, centers, indices);
}
