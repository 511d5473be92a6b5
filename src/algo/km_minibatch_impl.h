/*
 * km_minibatch_impl.h - mini-batch K-Means and partial fits, written once
 * for both precisions (included by km_minibatch.c with REAL, FN(),
 * MODEL_DTYPE and CENTERS, the model's center array of this precision).
 *
 * The step is scikit-learn's _mini_batch_step (1.2): assign the batch to
 * the current centers, then for every center j that got rows of total
 * weight W_j,
 *     c_j <- (c_j * N_j + sum of w x over its rows) / (N_j + W_j),
 *     N_j <- N_j + W_j,
 * so that c_j is the weighted mean of every row it has absorbed (its
 * learning rate is w / N_j).  Sums and counts are kept in double.  Rows are
 * drawn with replacement from the library's generator; everything that
 * depends on the thread count (the assignment) is reduced in block order.
 */

/* Where the rows come from: an array in memory, or the caller's callback. */
typedef struct FN(mb_src) {
    const REAL *X; /* in memory, or NULL */
    const REAL *w; /* in memory: weights or NULL */
    int (*rows)(void *user, const size_t *idx, size_t count, REAL *X_out,
                REAL *w_out);
    void *user;
    int weighted; /* the source has weights */
    size_t n, d;
} FN(mb_src);

/* Weights of a batch: finite and non-negative (a batch may weigh 0). */
static int FN(mb_check_batch_weights)(const REAL *w, size_t m)
{
    if (w == NULL)
        return KM_OK;
    for (size_t i = 0; i < m; i++) {
        if (!isfinite(w[i]))
            return KM_ERR_NONFINITE;
        if (w[i] < 0)
            return KM_ERR_WEIGHTS;
    }
    return KM_OK;
}

/* Rows idx[0..m) into Xo (and their weights into wo when the source has
   weights).  Rows from the caller are checked as they arrive. */
static int FN(mb_gather)(const FN(mb_src) * s, const size_t *idx, size_t m,
                         REAL *Xo, REAL *wo)
{
    const size_t d = s->d;
    int st;

    if (s->X != NULL) {
        for (size_t i = 0; i < m; i++) {
            memcpy(Xo + i * d, s->X + idx[i] * d, d * sizeof *Xo);
            if (wo != NULL)
                wo[i] = s->w[idx[i]];
        }
        return KM_OK;
    }
    if (s->rows(s->user, idx, m, Xo, s->weighted ? wo : NULL) != 0)
        return KM_ERR_IO;
    st = FN(km_check_finite)(Xo, m, d, 1);
    if (st == KM_OK && s->weighted)
        st = FN(mb_check_batch_weights)(wo, m);
    return st;
}

/* Consecutive rows [lo, lo + m): a pointer into the array, or gathered
   into buf (idx is scratch of m entries). */
static int FN(mb_range)(const FN(mb_src) * s, size_t lo, size_t m, size_t *idx,
                        REAL *buf, REAL *wbuf, const REAL **Xr, const REAL **wr)
{
    if (s->X != NULL) {
        *Xr = s->X + lo * s->d;
        *wr = s->w != NULL ? s->w + lo : NULL;
        return KM_OK;
    }
    for (size_t i = 0; i < m; i++)
        idx[i] = lo + i;
    *Xr = buf;
    *wr = s->weighted ? wbuf : NULL;
    return FN(mb_gather)(s, idx, m, buf, wbuf);
}

/* Scratch of one step, sized for batches of up to cap rows. */
typedef struct FN(mb_work) {
    size_t k, d;
    int32_t *lab;        /* cap */
    size_t *perm;        /* cap */
    double *sums;        /* k x d */
    double *wsum;        /* k */
    size_t *order;       /* k */
    unsigned char *flag; /* k */
} FN(mb_work);

static void FN(mb_work_free)(FN(mb_work) * wk)
{
    km_free(wk->lab);
    km_free(wk->perm);
    km_free(wk->sums);
    km_free(wk->wsum);
    km_free(wk->order);
    km_free(wk->flag);
}

static int FN(mb_work_init)(FN(mb_work) * wk, size_t k, size_t d, size_t cap)
{
    memset(wk, 0, sizeof *wk);
    wk->k = k;
    wk->d = d;
    wk->lab = km_malloc_array(cap, sizeof *wk->lab);
    wk->perm = km_malloc_array(cap, sizeof *wk->perm);
    wk->sums = km_malloc_array(k * d, sizeof *wk->sums);
    wk->wsum = km_malloc_array(k, sizeof *wk->wsum);
    wk->order = km_malloc_array(k, sizeof *wk->order);
    wk->flag = km_malloc_array(k, sizeof *wk->flag);
    if (wk->lab == NULL || wk->perm == NULL || wk->sums == NULL ||
        wk->wsum == NULL || wk->order == NULL || wk->flag == NULL) {
        FN(mb_work_free)(wk);
        return KM_ERR_NOMEM;
    }
    return KM_OK;
}

/* Labels (and optionally the weighted inertia and per-cluster sums) of m
   rows against C, through a problem set up over those rows. */
static int FN(mb_assign)(const REAL *B, const REAL *wb, size_t m, size_t d,
                         size_t k, int nt, const REAL *C, int32_t *lab,
                         double *sums, double *wsum, double *inertia)
{
    FN(km_problem) p;
    int st = FN(km_problem_setup)(&p, B, m, d, wb, k, nt, KM_KERNEL_AUTO);

    if (st != KM_OK)
        return st;
    st = FN(km_assign)(&p, C, lab, NULL, NULL, sums, wsum, inertia);
    FN(km_problem_release)(&p);
    return st;
}

/*
 * One step on batch B (m x d, weights wb or NULL): C and counts are
 * updated in place; *batch_inertia is the batch's weighted inertia against
 * the centers before the step.  With reassign, the centers picked by the
 * reassignment rule move to distinct rows of the batch drawn uniformly
 * (NumPy's choice without replacement: a partial Fisher-Yates shuffle), in
 * increasing center order.
 */
static int FN(mb_step)(FN(mb_work) * wk, const REAL *B, const REAL *wb,
                       size_t m, int nt, REAL *C, double *counts, km_rng *rng,
                       int reassign, double ratio, double *batch_inertia,
                       int *n_reassigned)
{
    const size_t k = wk->k, d = wk->d;
    int st = FN(mb_assign)(B, wb, m, d, k, mb_step_threads(nt, m, k, d), C,
                           wk->lab, wk->sums, wk->wsum, batch_inertia);

    *n_reassigned = 0;
    if (st != KM_OK)
        return st;
    for (size_t j = 0; j < k; j++) {
        if (wk->wsum[j] > 0.0) {
            const double old = counts[j], tot = old + wk->wsum[j];
            /* scikit-learn multiplies by the reciprocal; so do we. */
            const double alpha = 1.0 / tot;
            REAL *c = C + j * d;

            for (size_t f = 0; f < d; f++)
                c[f] =
                    (REAL)(((double)c[f] * old + wk->sums[j * d + f]) * alpha);
            counts[j] = tot;
        }
    }
    if (reassign && ratio > 0.0) {
        size_t nr = mb_pick_reassign(counts, k, m, ratio, wk->flag, wk->order);

        if (nr > 0) {
            size_t t = 0;

            for (size_t i = 0; i < m; i++)
                wk->perm[i] = i;
            for (size_t i = 0; i < nr; i++) {
                size_t r = i + (size_t)km_rng_below(rng, (uint64_t)(m - i));
                size_t tmp = wk->perm[i];

                wk->perm[i] = wk->perm[r];
                wk->perm[r] = tmp;
            }
            for (size_t j = 0; j < k; j++)
                if (wk->flag[j])
                    memcpy(C + j * d, B + wk->perm[t++] * d, d * sizeof *C);
            assert(t == nr);
        }
        mb_reset_counts(counts, k, wk->flag);
        *n_reassigned = (int)nr;
    }
    return KM_OK;
}

/*
 * scikit-learn's _tolerance for mini-batch: tol times the mean over
 * features of the (unweighted) variance, in one pass over the source in
 * chunks: each chunk's mean and sum of squared deviations, combined with
 * Chan et al.'s pairwise update (exact in exact arithmetic, and stable).
 */
static int FN(mb_tolerance)(const FN(mb_src) * s, double tol, size_t *idx,
                            REAL *buf, REAL *wbuf, double *tol_abs)
{
    const size_t n = s->n, d = s->d;
    double *mean = km_calloc_array(d, sizeof *mean);
    double *m2 = km_calloc_array(d, sizeof *m2);
    double *cm = km_calloc_array(d, sizeof *cm);
    double var = 0.0;
    int st = KM_OK;

    *tol_abs = 0.0;
    if (mean == NULL || m2 == NULL || cm == NULL)
        st = KM_ERR_NOMEM;
    for (size_t lo = 0; st == KM_OK && lo < n && tol > 0.0; lo += KM_MB_CHUNK) {
        const size_t m = n - lo < KM_MB_CHUNK ? n - lo : KM_MB_CHUNK;
        const REAL *Xr, *wr;
        const double na = (double)lo, nb = (double)m, nt = na + nb;

        st = FN(mb_range)(s, lo, m, idx, buf, wbuf, &Xr, &wr);
        if (st != KM_OK)
            break;
        for (size_t f = 0; f < d; f++)
            cm[f] = 0.0;
        for (size_t i = 0; i < m; i++)
            for (size_t f = 0; f < d; f++)
                cm[f] += (double)Xr[i * d + f];
        for (size_t f = 0; f < d; f++) {
            double mu = cm[f] / nb, ss = 0.0, delta;

            for (size_t i = 0; i < m; i++) {
                double v = (double)Xr[i * d + f] - mu;
                ss += v * v;
            }
            delta = mu - mean[f];
            mean[f] += delta * nb / nt;
            m2[f] += ss + delta * delta * na * nb / nt;
        }
    }
    if (st == KM_OK && tol > 0.0) {
        for (size_t f = 0; f < d; f++)
            var += m2[f] / (double)n;
        *tol_abs = tol * (var / (double)d);
    }
    km_free(mean);
    km_free(m2);
    km_free(cm);
    return st;
}

static void FN(mb_log)(const km_params *p, km_log_kind kind, int run,
                       int64_t iter, double inertia, double shift,
                       const char *msg)
{
    if (p->log != NULL) {
        km_log_event ev = {
            kind,    run,   iter > INT32_MAX ? INT32_MAX : (int)iter,
            inertia, shift, msg};
        p->log(p->log_user, &ev);
    }
}

/* Initial centers from rows B (m x d) by the method of par: k-means++ or
   random through the shared init code, or the caller's centers. */
static int FN(mb_init_centers)(const km_params *par, const REAL *B,
                               const REAL *wb, size_t m, size_t d, size_t k,
                               int nt, km_rng *rng, REAL *C)
{
    FN(km_problem) p;
    int st;

    if (par->init == KM_INIT_ARRAY) {
        for (size_t t = 0; t < k * d; t++)
            C[t] = (REAL)par->init_centers[t];
        return KM_OK;
    }
    st = FN(km_problem_setup)(&p, B, m, d, wb, k, nt, KM_KERNEL_AUTO);
    if (st != KM_OK)
        return st;
    if (par->init == KM_INIT_KMEANSPP)
        st = FN(km_init_kmeanspp)(&p, rng, 2 + (int)floor(log((double)k)), C,
                                  NULL);
    else if (par->init == KM_INIT_KMEANS_PARALLEL)
        st = FN(km_init_kmeans_par)(&p, rng, C, NULL);
    else
        st = FN(km_init_random)(&p, rng, C, NULL);
    FN(km_problem_release)(&p);
    return st;
}

/* The fit, over any source. */
static int FN(mb_fit)(const km_minibatch_params *params, const FN(mb_src) * s,
                      km_model **model, int32_t *labels,
                      km_minibatch_result *out)
{
    const size_t n = s->n, d = s->d;
    const int has_w = s->X != NULL ? s->w != NULL : s->weighted;
    km_minibatch_params par;
    km_minibatch_result res;
    FN(mb_work) wk;
    mb_monitor mon;
    km_mb_state mb;
    km_rng rng;
    km_model *m = NULL;
    size_t k, kd, bs, isz, cap, *idx = NULL;
    REAL *C = NULL, *Cbest = NULL, *Cprev = NULL, *B = NULL, *Xv = NULL,
         *Xi = NULL, *chunk = NULL;
    REAL *wB = NULL, *wv = NULL, *wi = NULL, *wchunk = NULL;
    double *counts = NULL, tol_abs = 0.0, best_inertia = 0.0;
    unsigned char *seen = NULL;
    int32_t *lab_chunk = NULL;
    int st, nt, n_init;
    int64_t step;

    memset(&res, 0, sizeof res);
    memset(&mon, 0, sizeof mon);
    memset(&mb, 0, sizeof mb);
    memset(&wk, 0, sizeof wk);
    if (model == NULL || params == NULL ||
        km_minibatch_params_check(params) != NULL)
        return KM_ERR_ARG;
    *model = NULL;
    par = *params;
    k = (size_t)par.base.n_clusters;
    if (n == 0 || d == 0 || k > n || km_mul_overflow(k, d, &kd) ||
        km_mul_overflow(n, d, &kd))
        return KM_ERR_SHAPE;
    kd = k * d;
    nt = km_thread_count(par.base.n_threads);
    if (par.base.init == KM_INIT_ARRAY) {
        st = km_check_finite_f64(par.base.init_centers, k, d, 1);
        if (st != KM_OK)
            return st;
    }
    if (s->X != NULL) {
        st = FN(km_check_finite)(s->X, n, d, nt);
        if (st == KM_OK)
            st = FN(km_check_weights)(s->w, n);
        if (st != KM_OK)
            return st;
    }

    bs = (size_t)par.batch_size < n ? (size_t)par.batch_size : n;
    isz = mb_init_size(par.init_size, bs, k, n);
    n_init = par.base.n_init;
    if (n_init == 0)
        n_init = par.base.init == KM_INIT_RANDOM ? 3 : 1;
    if (par.base.init == KM_INIT_ARRAY && n_init > 1) {
        FN(mb_log)
        (&par.base, KM_LOG_WARNING, 0, 0, 0.0, 0.0,
         "explicit initial centers given: performing only one "
         "initialization instead of n_init");
        n_init = 1;
    }
    if (par.init_size != 0 && (uint64_t)par.init_size < (uint64_t)k)
        FN(mb_log)
    (&par.base, KM_LOG_WARNING, 0, 0, 0.0, 0.0,
     "init_size is smaller than n_clusters: using "
     "min(3 * n_clusters, n_samples) rows");
    cap = bs > isz ? bs : isz;
    if (cap < KM_MB_CHUNK)
        cap = KM_MB_CHUNK;

    st = FN(mb_work_init)(&wk, k, d, bs > isz ? bs : isz);
    C = km_malloc_array(kd, sizeof *C);
    Cbest = km_malloc_array(kd, sizeof *Cbest);
    Cprev = km_malloc_array(kd, sizeof *Cprev);
    counts = km_calloc_array(k, sizeof *counts);
    idx = km_malloc_array(cap, sizeof *idx);
    B = km_malloc_array(bs * d, sizeof *B);
    Xv = km_malloc_array(isz * d, sizeof *Xv);
    Xi = km_malloc_array(isz * d, sizeof *Xi);
    seen = km_calloc_array(k, sizeof *seen);
    if (has_w) {
        wB = km_malloc_array(bs, sizeof *wB);
        wv = km_malloc_array(isz, sizeof *wv);
        wi = km_malloc_array(isz, sizeof *wi);
    }
    if (s->X == NULL) {
        const size_t cm = KM_MB_CHUNK < n ? KM_MB_CHUNK : n;

        chunk = km_malloc_array(cm * d, sizeof *chunk);
        if (has_w)
            wchunk = km_malloc_array(cm, sizeof *wchunk);
        if (chunk == NULL || (has_w && wchunk == NULL))
            st = KM_ERR_NOMEM;
    }
    if (labels == NULL)
        lab_chunk = km_malloc_array(KM_MB_CHUNK < n ? KM_MB_CHUNK : n,
                                    sizeof *lab_chunk);
    if (st == KM_OK &&
        (C == NULL || Cbest == NULL || Cprev == NULL || counts == NULL ||
         idx == NULL || B == NULL || Xv == NULL || Xi == NULL || seen == NULL ||
         (labels == NULL && lab_chunk == NULL) ||
         (has_w && (wB == NULL || wv == NULL || wi == NULL))))
        st = KM_ERR_NOMEM;
    if (st == KM_OK)
        st = FN(mb_tolerance)(s, par.base.tol, idx, chunk, wchunk, &tol_abs);
    if (st != KM_OK)
        goto out;
    km_rng_seed(&rng, par.base.seed);

    /* Candidates, each on its own random rows, scored on shared ones. */
    for (size_t i = 0; i < isz; i++)
        idx[i] = (size_t)km_rng_below(&rng, n);
    st = FN(mb_gather)(s, idx, isz, Xv, wv);
    for (int run = 0; st == KM_OK && run < n_init; run++) {
        double inertia;

        if (isz < n) {
            for (size_t i = 0; i < isz; i++)
                idx[i] = (size_t)km_rng_below(&rng, n);
        } else {
            for (size_t i = 0; i < isz; i++)
                idx[i] = i;
        }
        if (par.base.init != KM_INIT_ARRAY)
            st = FN(mb_gather)(s, idx, isz, Xi, wi);
        if (st == KM_OK)
            st = FN(mb_init_centers)(&par.base, Xi, wi, isz, d, k, nt, &rng, C);
        if (st == KM_OK)
            st = FN(mb_assign)(Xv, wv, isz, d, k, nt, C, wk.lab, NULL, NULL,
                               &inertia);
        if (st != KM_OK)
            break;
        FN(mb_log)(&par.base, KM_LOG_RUN, run, 0, inertia, 0.0, NULL);
        if (run == 0 || inertia < best_inertia) {
            REAL *t = Cbest;

            Cbest = C;
            C = t;
            best_inertia = inertia;
        }
    }
    if (st != KM_OK)
        goto out;
    memcpy(C, Cbest, kd * sizeof *C);

    /* The steps. */
    mb.batch_size_eff = (int64_t)bs;
    res.stop_reason = KM_MB_STOP_MAX_ITER;
    {
        size_t prod;

        res.max_steps =
            km_mul_overflow((size_t)par.base.max_iter, n, &prod)
                ? INT64_MAX
                : (int64_t)(prod / bs > (size_t)INT64_MAX ? (size_t)INT64_MAX
                                                          : prod / bs);
    }
    for (step = 0; step < res.max_steps; step++) {
        double bin, shift = 0.0;
        int reassign, nre;

        for (size_t i = 0; i < bs; i++)
            idx[i] = (size_t)km_rng_below(&rng, n);
        st = FN(mb_gather)(s, idx, bs, B, wB);
        if (st != KM_OK)
            goto out;
        reassign = mb_should_reassign(&mb, counts, k);
        if (tol_abs > 0.0)
            memcpy(Cprev, C, kd * sizeof *C);
        st = FN(mb_step)(&wk, B, wB, bs, nt, C, counts, &rng, reassign,
                         par.reassignment_ratio, &bin, &nre);
        if (st != KM_OK)
            goto out;
        if (tol_abs > 0.0)
            for (size_t t = 0; t < kd; t++) {
                double v = (double)C[t] - (double)Cprev[t];
                shift += v * v;
            }
        if (mb_converged(&mon, step, n, bs, bin, shift, tol_abs,
                         par.max_no_improvement, &res.stop_reason)) {
            FN(mb_log)
            (&par.base, KM_LOG_ITER, 0, step + 1, mon.ewa, shift, NULL);
            step++;
            break;
        }
        FN(mb_log)(&par.base, KM_LOG_ITER, 0, step + 1, mon.ewa, shift, NULL);
    }
    res.n_steps = step;
    res.passes = (double)step * (double)bs / (double)n;
    res.n_iter = (int)ceil(res.passes);
    res.ewa_inertia = mon.ewa;
    res.inertia = mon.ewa * (double)n;
    res.init_size = (int64_t)isz;
    res.n_init = n_init;

    /* The final pass: labels and the exact inertia, chunk by chunk (the
       same chunks in memory and from a callback, so the same bits). */
    if (par.compute_labels) {
        double total = 0.0;

        for (size_t lo = 0; lo < n; lo += KM_MB_CHUNK) {
            const size_t cm = n - lo < KM_MB_CHUNK ? n - lo : KM_MB_CHUNK;
            int32_t *lab = labels != NULL ? labels + lo : lab_chunk;
            const REAL *Xr, *wr;
            double part;

            st = FN(mb_range)(s, lo, cm, idx, chunk, wchunk, &Xr, &wr);
            if (st == KM_OK)
                st = FN(mb_assign)(Xr, wr, cm, d, k, nt, C, lab, NULL, NULL,
                                   &part);
            if (st != KM_OK)
                goto out;
            total += part;
            for (size_t i = 0; i < cm; i++)
                seen[lab[i]] = 1;
        }
        res.inertia = total;
        res.inertia_exact = 1;
    }

    m = km_model_alloc((int)k, d);
    if (m == NULL || km_model_alloc_counts(m) != KM_OK) {
        st = KM_ERR_NOMEM;
        goto out;
    }
    m->dtype = MODEL_DTYPE;
    memcpy(m->CENTERS, C, kd * sizeof *C);
    km_model_sync(m);
    memcpy(m->counts, counts, k * sizeof *counts);
    mb.n_steps = res.n_steps;
    memcpy(mb.rng, rng.s, sizeof mb.rng);
    mb_store_params(&mb, &par);
    m->mb = mb;
    m->n_samples = n;
    m->inertia = res.inertia;
    m->n_iter = res.n_iter;
    m->flags = res.stop_reason != KM_MB_STOP_MAX_ITER ? KM_FLAG_CONVERGED : 0u;
    m->params = par.base;
    m->params.init_centers = NULL;
    m->params.log = NULL;
    m->params.log_user = NULL;
    if (par.compute_labels) {
        size_t distinct = 0;

        for (size_t j = 0; j < k; j++)
            distinct += seen[j];
        if (distinct < k) {
            char msg[160];

            m->flags |= KM_FLAG_FEWER_CLUSTERS;
            snprintf(msg, sizeof msg,
                     "number of distinct clusters (%zu) found smaller than "
                     "n_clusters (%zu); possibly due to duplicate points",
                     distinct, k);
            FN(mb_log)(&par.base, KM_LOG_WARNING, 0, 0, 0.0, 0.0, msg);
        }
    }
    *model = m;
    m = NULL;
    if (out != NULL)
        *out = res;
    st = KM_OK;

out:
    km_model_free(m);
    FN(mb_work_free)(&wk);
    km_free(C);
    km_free(Cbest);
    km_free(Cprev);
    km_free(counts);
    km_free(idx);
    km_free(B);
    km_free(Xv);
    km_free(Xi);
    km_free(chunk);
    km_free(wB);
    km_free(wv);
    km_free(wi);
    km_free(wchunk);
    km_free(seen);
    km_free(lab_chunk);
    return st;
}

int FN(km_minibatch_fit)(const km_minibatch_params *params, const REAL *X,
                         size_t n, size_t d, const REAL *sample_weight,
                         km_model **model, int32_t *labels,
                         km_minibatch_result *res)
{
    FN(mb_src) s;

    if (model != NULL)
        *model = NULL;
    if (X == NULL)
        return KM_ERR_ARG;
    memset(&s, 0, sizeof s);
    s.X = X;
    s.w = sample_weight;
    s.n = n;
    s.d = d;
    return FN(mb_fit)(params, &s, model, labels, res);
}

int FN(km_minibatch_fit_rows)(
    const km_minibatch_params *params, size_t n, size_t d,
    int (*rows)(void *, const size_t *, size_t, REAL *, REAL *), void *user,
    int weighted, km_model **model, int32_t *labels, km_minibatch_result *res)
{
    FN(mb_src) s;

    if (model != NULL)
        *model = NULL;
    if (rows == NULL)
        return KM_ERR_ARG;
    memset(&s, 0, sizeof s);
    s.rows = rows;
    s.user = user;
    s.weighted = weighted != 0;
    s.n = n;
    s.d = d;
    return FN(mb_fit)(params, &s, model, labels, res);
}

int FN(km_partial_fit)(km_model **model, const km_minibatch_params *params,
                       const REAL *X, size_t n, size_t d,
                       const REAL *sample_weight, int32_t *labels,
                       km_partial_info *info)
{
    km_model *m;
    km_minibatch_params par;
    km_mb_state mb;
    km_rng rng;
    FN(mb_work) wk;
    REAL *C = NULL, *Xi = NULL, *wi = NULL;
    double *counts = NULL, bin = 0.0, inertia = -1.0;
    int32_t *lab = NULL;
    size_t k, kd, *idx = NULL;
    int st, nt, nre = 0, creating, want_labels;

    if (model == NULL || X == NULL)
        return KM_ERR_ARG;
    m = *model;
    creating = m == NULL;
    memset(&wk, 0, sizeof wk);
    if (creating) {
        if (params == NULL || km_minibatch_params_check(params) != NULL)
            return KM_ERR_ARG;
        par = *params;
        k = (size_t)par.base.n_clusters;
        if (n == 0 || d == 0 || n < k || km_mul_overflow(k, d, &kd) ||
            km_mul_overflow(n, d, &kd))
            return KM_ERR_SHAPE;
        if (par.base.init == KM_INIT_ARRAY) {
            st = km_check_finite_f64(par.base.init_centers, k, d, 1);
            if (st != KM_OK)
                return st;
        }
        memset(&mb, 0, sizeof mb);
        mb_store_params(&mb, &par);
        mb.batch_size_eff =
            (int64_t)((size_t)par.batch_size < n ? (size_t)par.batch_size : n);
        km_rng_seed(&rng, par.base.seed);
    } else {
        if (m->counts == NULL || m->dtype != MODEL_DTYPE)
            return KM_ERR_ARG;
        if (n == 0 || d != m->d || km_mul_overflow(n, d, &kd))
            return KM_ERR_SHAPE;
        km_model_minibatch_params(m, &par, NULL);
        if (params != NULL)
            par.base.n_threads = params->base.n_threads;
        k = (size_t)m->k;
        mb = m->mb;
        memcpy(rng.s, mb.rng, sizeof rng.s);
    }
    kd = k * d;
    nt = km_thread_count(par.base.n_threads);
    st = FN(km_check_finite)(X, n, d, nt);
    if (st == KM_OK)
        st = FN(mb_check_batch_weights)(sample_weight, n);
    if (st != KM_OK)
        return st;

    want_labels = labels != NULL || par.compute_labels;
    st = FN(mb_work_init)(&wk, k, d, n);
    C = km_malloc_array(kd, sizeof *C);
    counts = km_calloc_array(k, sizeof *counts);
    if (want_labels && labels == NULL)
        lab = km_malloc_array(n, sizeof *lab);
    if (st == KM_OK && (C == NULL || counts == NULL ||
                        (want_labels && labels == NULL && lab == NULL)))
        st = KM_ERR_NOMEM;
    if (st != KM_OK)
        goto out;

    if (creating) {
        /* scikit-learn's _init_centroids on this batch: a random subset of
           init_size rows when that is fewer than the batch. */
        size_t isz =
            mb_init_size(par.init_size, (size_t)mb.batch_size_eff, k, n);
        const REAL *Bi = X, *wbi = sample_weight;

        if (isz < n && par.base.init != KM_INIT_ARRAY) {
            idx = km_malloc_array(isz, sizeof *idx);
            Xi = km_malloc_array(isz * d, sizeof *Xi);
            if (sample_weight != NULL)
                wi = km_malloc_array(isz, sizeof *wi);
            if (idx == NULL || Xi == NULL ||
                (sample_weight != NULL && wi == NULL)) {
                st = KM_ERR_NOMEM;
                goto out;
            }
            for (size_t i = 0; i < isz; i++) {
                idx[i] = (size_t)km_rng_below(&rng, n);
                memcpy(Xi + i * d, X + idx[i] * d, d * sizeof *Xi);
                if (wi != NULL)
                    wi[i] = sample_weight[idx[i]];
            }
            Bi = Xi;
            wbi = wi;
        } else {
            isz = n;
        }
        st = FN(mb_init_centers)(&par.base, Bi, wbi, isz, d, k, nt, &rng, C);
        if (st != KM_OK)
            goto out;
    } else {
        memcpy(C, m->CENTERS, kd * sizeof *C);
        memcpy(counts, m->counts, k * sizeof *counts);
    }

    st = FN(mb_step)(&wk, X, sample_weight, n, nt, C, counts, &rng,
                     mb_should_reassign(&mb, counts, k), par.reassignment_ratio,
                     &bin, &nre);
    if (st == KM_OK && want_labels)
        st = FN(mb_assign)(X, sample_weight, n, d, k, nt, C,
                           labels != NULL ? labels : lab, NULL, NULL, &inertia);
    if (st != KM_OK)
        goto out;

    /* Commit: nothing below can fail once the model exists. */
    if (creating) {
        m = km_model_alloc((int)k, d);
        if (m == NULL || km_model_alloc_counts(m) != KM_OK) {
            km_model_free(m);
            st = KM_ERR_NOMEM;
            goto out;
        }
        m->dtype = MODEL_DTYPE;
        m->params = par.base;
        m->params.init_centers = NULL;
        m->params.log = NULL;
        m->params.log_user = NULL;
        m->n_samples = 0;
    }
    memcpy(m->CENTERS, C, kd * sizeof *C);
    km_model_sync(m);
    memcpy(m->counts, counts, k * sizeof *counts);
    mb.n_steps++;
    memcpy(mb.rng, rng.s, sizeof mb.rng);
    m->mb = mb;
    m->n_samples += n;
    m->inertia = inertia >= 0.0 ? inertia : bin;
    m->n_iter = mb.n_steps > INT32_MAX ? INT32_MAX : (int)mb.n_steps;
    m->flags = 0u;
    *model = m;
    if (info != NULL) {
        info->batch_inertia = bin;
        info->inertia = inertia;
        info->n_reassigned = nre;
        info->n_steps = mb.n_steps;
    }
    st = KM_OK;

out:
    FN(mb_work_free)(&wk);
    km_free(C);
    km_free(counts);
    km_free(lab);
    km_free(idx);
    km_free(Xi);
    km_free(wi);
    return st;
}
