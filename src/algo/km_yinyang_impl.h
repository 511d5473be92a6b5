/*
 * km_yinyang_impl.h - the Yinyang algorithm (Y. Ding, Y. Zhao, X. Shen,
 * M. Musuvathi, T. Mytkowicz, "Yinyang K-means: a drop-in replacement of the
 * classic K-means with consistent speedup", ICML 2015), written once for
 * both precisions (included by km_exact.c with REAL, REAL_EPS and FN(),
 * after km_bounds_impl.h).
 *
 * The centers are split once, at the start, into t groups (about k / 20) by
 * a few K-Means iterations on the initial centers.  Each row keeps an upper
 * bound u on the distance to its center a, a global lower bound on the
 * distance to every other center and, for every group g, a lower bound l[g]
 * on the distance to every center of g other than a (O(n t) memory).  After
 * the centers move, u grows by a's shift, the global bound shrinks by the
 * largest shift of another center and l[g] by the largest shift in g
 * (lazily: see yinyang_drift).  Filters, in order:
 *   global: no center can take the row while u < max(global bound, s(a)),
 *           with s(a) half the distance from a to its nearest other center
 *           (Hamerly's test); tried again after u is made exact;
 *   group:  a group g with u < l[g] cannot take the row: it is not scanned.
 * The other groups get every distance (the row_dists kernel over the
 * group's own block of transposed centers, padded to whole vectors, four
 * rows at a time), and their bounds become exact again.  The paper's local
 * filter (per center inside a group) is left out: a group is one or two vectors
 * of the kernel.
 *
 * Iterations, stopping, relocation and center sums are Lloyd's
 * (bounds_run in km_bounds_impl.h), with the center sums made by accum_block
 * over the same blocks and reduced in block order, so the result is Lloyd's
 * from the same
 * start, bit for bit and for any thread count.  Exactness: the bounds are
 * tested with the slack of km_bounds_impl.h (every skip is strict by it);
 * the bounds are sqrt of canonical distances or updated by one subtraction
 * or addition per iteration, as Hamerly's; candidates that are computed are
 * compared by their canonical squared distances, ties to the lowest index.
 */

/* Groups of centers and the per-row bounds. */
typedef struct FN(yinyang_state) {
    REAL *ub;          /* n upper bounds */
    REAL *glb;         /* n global lower bounds (every center but the row's) */
    REAL *lb;          /* n x t group lower bounds, as of their row's stamp */
    uint8_t *stamp;    /* n: the drift history index lb was last made current */
    double *cum;       /* (KM_YY_HIST + 1) x t: summed drift of each group */
    REAL *next;        /* k: half the distance to the nearest other center */
    const REAL *shift; /* k: the last shifts, applied to the bounds by the
                          pass (bounds_run's) */
    REAL *gshift;      /* t: largest shift in each group (last update) */
    REAL max_shift, second_shift; /* last update's two largest shifts */
    size_t arg_max;               /* and the center of the largest */
    size_t hist;                  /* drift history index now */
    REAL *Ct;      /* d x kc: centers transposed, group by group */
    REAL *Cg;      /* the same, one d x (its columns) block per group */
    int32_t *col;  /* kc: the center of each column, -1 for padding */
    size_t *goff;  /* t + 1: first column of each group */
    int32_t *gof;  /* k: the group of each center */
    REAL *buf;     /* per block: the REAL part of its scratch */
    int32_t *gidx; /* per block: the int32_t part */
    size_t t, kc;
    /* The first pass through BLAS's GEMM (inexact tables, with BLAS): */
    REAL *gv;    /* per thread: KM_YY_GEMM_ROWS x k values, else NULL */
    REAL *cn;    /* k: the initial centers' squared norms */
    REAL cn_max; /* their largest */
    int cn_set;  /* cn holds them */
} FN(yinyang_state);

/* Iterations of K-Means on the centers that make the groups. */
#define KM_YY_GROUP_ITERS 5
/* Center updates the drift history holds before every row's group bounds
   are brought up to date. */
#define KM_YY_HIST 32
/* Rows ahead whose data the pass prefetches. */
#define KM_YY_AHEAD 8
/* Rows per dist_block call in the first pass through the GEMM. */
#define KM_YY_GEMM_ROWS 64

/*
 * Groups of the k centers C: t seeds chosen farthest first (center 0, then
 * the center farthest from the seeds so far, lowest index on ties), then
 * KM_YY_GROUP_ITERS Lloyd iterations in double (ties to the lowest group).
 * Deterministic.  Empty groups are dropped: gof[j] receives group numbers
 * 0 .. (returned count - 1).  Returns 0 when out of memory.
 */
static size_t FN(yinyang_groups)(const REAL *C, size_t k, size_t d, size_t t,
                                 int32_t *gof)
{
    double *G = km_malloc_array(t, d * sizeof *G);
    double *mind = km_malloc_array(k, sizeof *mind);
    double *cnt = km_malloc_array(t, sizeof *cnt);
    int32_t *renum = km_malloc_array(t, sizeof *renum);
    size_t used = 0;

    if (G == NULL || mind == NULL || cnt == NULL || renum == NULL)
        goto out;
    for (size_t j = 0; j < k; j++)
        mind[j] = INFINITY;
    for (size_t g = 0, s = 0; g < t; g++) {
        double far = -1.0;

        for (size_t f = 0; f < d; f++)
            G[g * d + f] = (double)C[s * d + f];
        for (size_t j = 0; j < k; j++) {
            double q = 0.0;

            for (size_t f = 0; f < d; f++) {
                const double e = (double)C[j * d + f] - G[g * d + f];
                q += e * e;
            }
            if (q < mind[j])
                mind[j] = q;
        }
        for (size_t j = 0; j < k; j++)
            if (mind[j] > far) {
                far = mind[j];
                s = j;
            }
    }
    for (int it = 0; it <= KM_YY_GROUP_ITERS; it++) {
        for (size_t j = 0; j < k; j++) {
            double bq = INFINITY;

            gof[j] = 0;
            for (size_t g = 0; g < t; g++) {
                double q = 0.0;

                for (size_t f = 0; f < d; f++) {
                    const double e = (double)C[j * d + f] - G[g * d + f];
                    q += e * e;
                }
                if (q < bq) {
                    bq = q;
                    gof[j] = (int32_t)g;
                }
            }
        }
        if (it == KM_YY_GROUP_ITERS)
            break;
        /* New group centers; an empty group keeps its own. */
        for (size_t g = 0; g < t; g++)
            cnt[g] = 0.0;
        for (size_t j = 0; j < k; j++)
            cnt[gof[j]] += 1.0;
        for (size_t g = 0; g < t; g++)
            if (cnt[g] > 0.0)
                for (size_t f = 0; f < d; f++)
                    G[g * d + f] = 0.0;
        for (size_t j = 0; j < k; j++)
            for (size_t f = 0; f < d; f++)
                G[(size_t)gof[j] * d + f] += (double)C[j * d + f];
        for (size_t g = 0; g < t; g++)
            if (cnt[g] > 0.0)
                for (size_t f = 0; f < d; f++)
                    G[g * d + f] /= cnt[g];
    }
    for (size_t g = 0; g < t; g++)
        renum[g] = -1;
    for (size_t j = 0; j < k; j++)
        renum[gof[j]] = 0;
    for (size_t g = 0; g < t; g++)
        if (renum[g] == 0)
            renum[g] = (int32_t)used++;
    for (size_t j = 0; j < k; j++)
        gof[j] = renum[gof[j]];
out:
    km_free(G);
    km_free(mind);
    km_free(cnt);
    km_free(renum);
    return used;
}

/* The column layout: group g has columns goff[g] .. goff[g + 1] - 1, its
   centers in increasing index, then +inf padding to a multiple of pad
   (the table's ct_pad: the row_dists kernel reads whole vectors). */
static void FN(yinyang_layout)(FN(yinyang_state) * s, size_t k, size_t pad)
{
    size_t c = 0;

    for (size_t g = 0; g < s->t; g++) {
        s->goff[g] = c;
        for (size_t j = 0; j < k; j++)
            if ((size_t)s->gof[j] == g)
                s->col[c++] = (int32_t)j;
        while (c % pad != 0)
            s->col[c++] = -1;
    }
    s->goff[s->t] = c;
    s->kc = c;
}

/* Columns needed: every group padded to a multiple of pad. */
static size_t FN(yinyang_columns)(const int32_t *gof, size_t k, size_t t,
                                  size_t pad)
{
    size_t c = 0;

    for (size_t g = 0; g < t; g++) {
        size_t m = 0;

        for (size_t j = 0; j < k; j++)
            m += (size_t)gof[j] == g;
        c += (m + pad - 1) / pad * pad;
    }
    return c;
}

static void FN(yinyang_transpose)(const FN(yinyang_state) * s, const REAL *C,
                                  size_t d)
{
    /* Padding columns: +inf distance from every row. */
    const REAL pad = (REAL)INFINITY;

    for (size_t g = 0; g < s->t; g++) {
        const size_t c0 = s->goff[g], wg = s->goff[g + 1] - c0;

        for (size_t c = c0; c < c0 + wg; c++) {
            const int32_t j = s->col[c];

            for (size_t f = 0; f < d; f++) {
                const REAL v = j >= 0 ? C[(size_t)j * d + f] : pad;

                s->Ct[f * s->kc + c] = v;
                s->Cg[d * c0 + f * wg + (c - c0)] = v;
            }
        }
    }
}

/*
 * Groups g0 .. g1 - 1 from their canonical squared distances (dist[c] for
 * column goff[g0] + c): each group's smallest (g1v, index gidx) and second
 * smallest (g2v), by (distance, index); and the best center so far
 * (*best, *sq_best) updated by the same order.  A group's first column is
 * a center, its centers are in increasing index (so a strict < keeps the
 * lowest index on ties), and its padding columns hold +inf distances.
 */
static void FN(yinyang_groups_min)(const FN(yinyang_state) * s,
                                   const REAL *dist, size_t g0, size_t g1,
                                   REAL *g1v, REAL *g2v, int32_t *gidx,
                                   size_t *best, REAL *sq_best)
{
    const size_t base = s->goff[g0];

    for (size_t g = g0; g < g1; g++) {
        const size_t c0 = s->goff[g];
        REAL m1 = dist[c0 - base], m2 = (REAL)INFINITY;
        size_t c1 = c0;
        int32_t i1;

        for (size_t c = c0 + 1; c < s->goff[g + 1]; c++) {
            const REAL q = dist[c - base], hi = q > m1 ? q : m1;

            m2 = hi < m2 ? hi : m2;
            c1 = q < m1 ? c : c1;
            m1 = q < m1 ? q : m1;
        }
        i1 = s->col[c1];
        g1v[g] = m1;
        g2v[g] = m2;
        gidx[g] = i1;
        if (m1 < *sq_best || (m1 == *sq_best && (size_t)i1 < *best)) {
            *best = (size_t)i1;
            *sq_best = m1;
        }
    }
}

/* Row i's group bounds l moved from its stamp's drift to now. */
static void FN(yinyang_catch_up)(FN(yinyang_state) * s, size_t i, REAL *l)
{
    const size_t t = s->t, h0 = s->stamp[i];
    const double *now = s->cum + s->hist * t, *then = s->cum + h0 * t;

    if (h0 != s->hist)
        for (size_t g = 0; g < t; g++) {
            const REAL v = (REAL)((double)l[g] - (now[g] - then[g]));

            l[g] = v > 0 ? v : 0;
        }
    s->stamp[i] = (uint8_t)s->hist;
}

/* Per-block scratch (offsets into the block's REAL and int32_t parts). */
typedef struct FN(yinyang_scratch) {
    REAL *dist;    /* 4 x kc distances */
    REAL *g1v;     /* 4 x t: smallest distance in each group */
    REAL *g2v;     /* 4 x t: second smallest */
    REAL *xb;      /* 4 x d: rows gathered for the kernel */
    REAL *ua;      /* KM_ROW_BLOCK: distance to the row's center */
    REAL *sqa;     /* KM_ROW_BLOCK: its square */
    int32_t *gidx; /* 4 x t: index of the smallest (-1: not computed) */
    int32_t *list; /* KM_ROW_BLOCK: rows that reach the group filter */
} FN(yinyang_scratch);

static size_t FN(yinyang_scratch_reals)(size_t kc, size_t t, size_t d)
{
    return 4 * kc + 8 * t + 4 * d + 2 * (size_t)KM_ROW_BLOCK;
}

static size_t FN(yinyang_scratch_ints)(size_t t)
{
    return 4 * t + (size_t)KM_ROW_BLOCK;
}

static FN(yinyang_scratch)
    FN(yinyang_scratch_at)(const FN(yinyang_state) * s, size_t d, size_t b)
{
    FN(yinyang_scratch) w;
    REAL *r = s->buf + b * FN(yinyang_scratch_reals)(s->kc, s->t, d);
    int32_t *q = s->gidx + b * FN(yinyang_scratch_ints)(s->t);

    w.dist = r;
    w.g1v = w.dist + 4 * s->kc;
    w.g2v = w.g1v + 4 * s->t;
    w.xb = w.g2v + 4 * s->t;
    w.ua = w.xb + 4 * d;
    w.sqa = w.ua + KM_ROW_BLOCK;
    w.gidx = q;
    w.list = q + 4 * s->t;
    return w;
}

/* next[a]: half the distance from center a to its nearest other center
   (the canonical distances, as km_bounds_impl.h's
   center_half_distances), through the
   row_dists kernel with the centers as rows. */
static void FN(yinyang_next)(const FN(km_problem) * p, FN(yinyang_state) * s,
                             const REAL *C, const FN(yinyang_scratch) * w)
{
    const size_t k = p->k, d = p->d, kc = s->kc;

    for (size_t a0 = 0; a0 < k; a0 += 4) {
        const size_t m = k - a0 < 4 ? k - a0 : 4;

        p->kern.row_dists(C + a0 * d, m, s->Ct, kc, d, kc, w->dist);
        for (size_t r = 0; r < m; r++) {
            const REAL *q = w->dist + r * kc;
            REAL v = (REAL)INFINITY;

            for (size_t c = 0; c < kc; c++)
                if (s->col[c] != (int32_t)(a0 + r) && q[c] < v)
                    v = q[c];
            s->next[a0 + r] = (REAL)(0.5 * sqrt((double)v));
        }
    }
#ifndef NDEBUG
    for (size_t a = 0; a < k; a++) { /* the canonical distances' bits */
        REAL v = (REAL)INFINITY;

        for (size_t j = 0; j < k; j++) {
            const REAL e = FN(km_sqdist)(C + a * d, C + j * d, d);

            if (j != a && e < v)
                v = e;
        }
        assert(k == 1 || s->next[a] == (REAL)(0.5 * sqrt((double)v)));
    }
#endif
}

/* First labels and bounds of rows [lo, hi): every distance. */
static void FN(yinyang_tight)(const FN(km_problem) * p, FN(yinyang_state) * s,
                              size_t lo, size_t hi,
                              const FN(yinyang_scratch) * w, int32_t *labels)
{
    const size_t k = p->k, d = p->d, t = s->t, kc = s->kc;

    for (size_t i0 = lo; i0 < hi; i0 += 4) {
        const size_t m = hi - i0 < 4 ? hi - i0 : 4;

        p->kern.row_dists(p->X + i0 * d, m, s->Ct, kc, d, kc, w->dist);
        for (size_t r = 0; r < m; r++) {
            const size_t i = i0 + r;
            REAL *l = s->lb + i * t, sq_best = (REAL)INFINITY;
            REAL glb = (REAL)INFINITY;
            size_t best = k;

            FN(yinyang_groups_min)
            (s, w->dist + r * kc, 0, t, w->g1v, w->g2v, w->gidx, &best,
             &sq_best);
            for (size_t g = 0; g < t; g++) {
                l[g] = (REAL)sqrt((double)((size_t)w->gidx[g] == best
                                               ? w->g2v[g]
                                               : w->g1v[g]));
                glb = l[g] < glb ? l[g] : glb;
            }
            s->glb[i] = glb;
            s->stamp[i] = (uint8_t)s->hist;
            s->ub[i] = (REAL)sqrt((double)sq_best);
            labels[i] = (int32_t)best;
        }
    }
}

/*
 * The first pass through BLAS's GEMM (dist_block, then argmin2), as
 * Elkan's: labels as Lloyd's pass gives them (a near tie re-checked with
 * every canonical distance: yinyang_tight on the row), each group bound
 * the group's smallest value but the label's less the error bound, the
 * upper bound the canonical distance to the label.
 */
static void FN(yinyang_tight_gemm)(const FN(km_problem) * p,
                                   FN(yinyang_state) * s, const REAL *C,
                                   size_t lo, size_t hi,
                                   const FN(yinyang_scratch) * w,
                                   int32_t *labels)
{
    const size_t k = p->k, d = p->d, t = s->t;
    REAL *D = s->gv + (size_t)omp_get_thread_num() * KM_YY_GEMM_ROWS * k;
    int32_t best[KM_YY_GEMM_ROWS];
    REAL v1[KM_YY_GEMM_ROWS], v2[KM_YY_GEMM_ROWS];

    for (size_t r0 = lo; r0 < hi; r0 += KM_YY_GEMM_ROWS) {
        const size_t m = hi - r0 < KM_YY_GEMM_ROWS ? hi - r0 : KM_YY_GEMM_ROWS;

        FN(gemm_argmin2)(p, p->X + r0 * d, m, C, s->cn, D, best, v1, v2);
        for (size_t r = 0; r < m; r++) {
            const size_t i = r0 + r, b = (size_t)best[r];
            const double xn = (double)p->xn[i];
            const double e = FN(gemm_err)(p, i, s->cn_max);
            const REAL *v = D + r * k;
            REAL *l = s->lb + i * t, glb = (REAL)INFINITY;

            if ((double)v2[r] <= (double)v1[r] + 2.0 * e) {
                FN(yinyang_tight)(p, s, i, i + 1, w, labels);
                continue;
            }
            for (size_t g = 0; g < t; g++) {
                double low = INFINITY;

                for (size_t c = s->goff[g]; c < s->goff[g + 1]; c++) {
                    const int32_t j = s->col[c];

                    if (j >= 0 && (size_t)j != b &&
                        (double)v[j] + (double)s->cn[j] < low)
                        low = (double)v[j] + (double)s->cn[j];
                }
                low += xn - e;
                l[g] = low > 0 ? (REAL)sqrt(low) : 0;
                glb = l[g] < glb ? l[g] : glb;
            }
            s->glb[i] = glb;
            s->stamp[i] = (uint8_t)s->hist;
            s->ub[i] =
                (REAL)sqrt((double)FN(km_sqdist)(p->X + i * d, C + b * d, d));
            labels[i] = (int32_t)b;
        }
    }
}

/*
 * Group filter and scans for up to 4 rows (w->list[q0 ..], which failed the
 * global filter with exact u): a group is scanned for all of them when one
 * needs it, so that the kernel runs the rows together (its four chains of
 * additions overlap); a row then gets more exact bounds than it needed.
 * Returns how many labels changed.
 */
static size_t FN(yinyang_groups_4)(const FN(km_problem) * p,
                                   FN(yinyang_state) * s, REAL slack, size_t lo,
                                   size_t q0, size_t m,
                                   const FN(yinyang_scratch) * w,
                                   int32_t *labels)
{
    const size_t d = p->d, t = s->t;
    size_t best[4], ch = 0;
    REAL sqb[4], ua[4], *l[4];

    for (size_t r = 0; r < m; r++) {
        const size_t i = lo + (size_t)w->list[q0 + r];

        memcpy(w->xb + r * d, p->X + i * d, d * sizeof *w->xb);
        best[r] = (size_t)labels[i];
        sqb[r] = w->sqa[q0 + r];
        ua[r] = w->ua[q0 + r];
        l[r] = s->lb + i * t;
    }
    for (size_t g = 0; g < t; g++) {
        const size_t width = s->goff[g + 1] - s->goff[g];
        int need = 0;

        for (size_t r = 0; r < m; r++)
            need |= !(ua[r] + slack < l[r][g]);
        if (need)
            p->kern.row_dists(w->xb, m, s->Cg + d * s->goff[g], width, d, width,
                              w->dist);
        /* Each row takes the groups it needs (more would tighten bounds it
           has no use for now, at the price of a scan). */
        for (size_t r = 0; r < m; r++) {
            if (ua[r] + slack < l[r][g]) {
                w->gidx[r * t + g] = -1;
                continue;
            }
            FN(yinyang_groups_min)
            (s, w->dist + r * width, g, g + 1, w->g1v + r * t, w->g2v + r * t,
             w->gidx + r * t, &best[r], &sqb[r]);
        }
    }
    for (size_t r = 0; r < m; r++) {
        const size_t i = lo + (size_t)w->list[q0 + r];
        const size_t a = (size_t)labels[i];
        const int32_t *gi = w->gidx + r * t;
        const REAL *g1v = w->g1v + r * t, *g2v = w->g2v + r * t;
        REAL glb = (REAL)INFINITY;

        for (size_t g = 0; g < t; g++)
            if (gi[g] >= 0)
                l[r][g] = (REAL)sqrt(
                    (double)((size_t)gi[g] == best[r] ? g2v[g] : g1v[g]));
        if (best[r] != a) {
            /* a is now one of the others of its group. */
            const size_t ga = (size_t)s->gof[a];

            if (gi[ga] < 0 && ua[r] < l[r][ga])
                l[r][ga] = ua[r];
            ch++;
        }
        for (size_t g = 0; g < t; g++)
            glb = l[r][g] < glb ? l[r][g] : glb;
        s->glb[i] = glb;
        s->ub[i] = (REAL)sqrt((double)sqb[r]);
        labels[i] = (int32_t)best[r];
    }
    return ch;
}

/* Labels and bounds of rows [lo, hi) (at most KM_ROW_BLOCK) after a center
   update; returns how many labels changed. */
static size_t FN(yinyang_chunk)(const FN(km_problem) * p, const REAL *C,
                                FN(yinyang_state) * s, REAL slack, size_t lo,
                                size_t hi, const FN(yinyang_scratch) * w,
                                int32_t *labels)
{
    const size_t d = p->d, t = s->t;
    size_t nl = 0, ch = 0;

    for (size_t i = lo; i < hi; i++) {
        const REAL *x = p->X + i * d;
        const size_t a = (size_t)labels[i];
        REAL u = s->ub[i] + s->shift[a], m, sq;
        REAL glb =
            s->glb[i] - (a == s->arg_max ? s->second_shift : s->max_shift);

        /* The rows a few ahead, which the center sums read anyway: their
           loads then do not wait when the bounds need them. */
        if (i + KM_YY_AHEAD < hi) {
            const char *xa = (const char *)(x + KM_YY_AHEAD * d);

            for (size_t o = 0; o < d * sizeof *x; o += 64)
                __builtin_prefetch(xa + o);
            __builtin_prefetch(s->lb + (i + KM_YY_AHEAD) * t);
        }
        /* Global filter (with Hamerly's s(a)), then again with u exact. */
        glb = glb > 0 ? glb : 0;
        m = s->next[a] > glb ? s->next[a] : glb;
        if (!(u + slack < m)) {
            sq = FN(km_sqdist)(x, C + a * d, d);
            u = (REAL)sqrt((double)sq);
            if (!(u + slack < m)) {
                FN(yinyang_catch_up)(s, i, s->lb + i * t);
                w->list[nl] = (int32_t)(i - lo);
                w->ua[nl] = u;
                w->sqa[nl++] = sq;
                continue;
            }
        }
        s->ub[i] = u;
        s->glb[i] = glb;
    }
    for (size_t q0 = 0; q0 < nl; q0 += 4)
        ch += FN(yinyang_groups_4)(p, s, slack, lo, q0,
                                   nl - q0 < 4 ? nl - q0 : 4, w, labels);
    return ch;
}

/* Rows [lo, hi) of block b (bounds_algo.rows; tight: first labels, every
   distance). */
static size_t FN(yinyang_rows)(const FN(km_problem) * p, void *state,
                               const REAL *C, REAL slack, int tight, size_t b,
                               size_t lo, size_t hi, int32_t *labels)
{
    FN(yinyang_state) *s = state;
    const FN(yinyang_scratch) w = FN(yinyang_scratch_at)(s, p->d, b);

    if (tight) {
        if (s->gv != NULL)
            FN(yinyang_tight_gemm)(p, s, C, lo, hi, &w, labels);
        else
            FN(yinyang_tight)(p, s, lo, hi, &w, labels);
        return hi - lo;
    }
    return FN(yinyang_chunk)(p, C, s, slack, lo, hi, &w, labels);
}

/*
 * After a center update: the next pass moves u by its center's shift, the
 * global bound by the largest shift of another center (Hamerly's), and the
 * group bounds by the largest shift in their group.  Group bounds move
 * lazily: the drift of each group is summed (in double) in a history, and
 * a row's bounds catch up from their stamp when the row needs them; when
 * the history is full every row catches up and it starts again
 * (bounds_algo.move).
 */
static double FN(yinyang_drift)(const FN(km_problem) * p, void *state,
                                const int32_t *labels, const REAL *shift)
{
    FN(yinyang_state) *s = state;
    const size_t n = p->n, k = p->k, t = s->t;

    (void)labels;
    s->shift = shift;
    FN(largest_shifts)(shift, k, &s->max_shift, &s->second_shift, &s->arg_max);
    for (size_t g = 0; g < t; g++)
        s->gshift[g] = 0;
    for (size_t j = 0; j < k; j++) {
        const size_t g = (size_t)s->gof[j];

        if (shift[j] > s->gshift[g])
            s->gshift[g] = shift[j];
    }
    if (s->hist == KM_YY_HIST) {
#pragma omp parallel for num_threads(p->n_threads) schedule(static)
        for (size_t i = 0; i < n; i++) {
            FN(yinyang_catch_up)(s, i, s->lb + i * t);
            s->stamp[i] = 0;
        }
        s->hist = 0;
        for (size_t g = 0; g < t; g++)
            s->cum[g] = 0.0;
    }
    s->hist++;
    for (size_t g = 0; g < t; g++)
        s->cum[s->hist * t + g] =
            s->cum[(s->hist - 1) * t + g] + (double)s->gshift[g];
    return (double)s->max_shift;
}

/* The centers transposed and next (bounds_algo.centers). */
static void FN(yinyang_centers)(const FN(km_problem) * p, void *state,
                                const REAL *C)
{
    FN(yinyang_state) *s = state;
    const FN(yinyang_scratch) w0 = FN(yinyang_scratch_at)(s, p->d, 0);

    FN(yinyang_transpose)(s, C, p->d);
    FN(yinyang_next)(p, s, C, &w0);
    if (s->cn != NULL && !s->cn_set) { /* the first pass's centers */
        s->cn_set = 1;
        s->cn_max = FN(km_center_norms)(p, C, s->cn);
    }
}

int FN(km_yinyang)(const FN(km_problem) * p, REAL *C, int max_iter,
                   double tol_abs, const km_progress *prog, int32_t *labels,
                   km_run_result *res)
{
    const size_t n = p->n, k = p->k, d = p->d, nb = p->blk.n_blocks;
    /* About k / 20 groups rather than the paper's k / 10: fewer bounds to
       move and less padding.  Measured with bench/km_bench, one thread, CPU
       seconds to convergence: W4 (k = 100) with t = 3, 5, 7, 10: 0.68,
       0.68, 0.74, 0.74 (medians of 3); W6 (k = 100) with t = 5, 10: 4.46,
       4.92 (medians of 2). */
    const size_t t0 = (k + 10) / 20 > 0 ? (k + 10) / 20 : 1;
    FN(yinyang_state) s = {0};
    const FN(bounds_algo)
        algo = {&s, FN(yinyang_rows), FN(yinyang_drift), FN(yinyang_centers)};
    int status = KM_ERR_NOMEM;

    if (k == 1) /* no other center to bound against: Lloyd */
        return FN(km_lloyd)(p, C, max_iter, tol_abs, prog, labels, res);
    s.gof = km_malloc_array(k, sizeof *s.gof);
    if (s.gof == NULL)
        goto out;
    s.t = FN(yinyang_groups)(C, k, d, t0, s.gof);
    if (s.t == 0)
        goto out;
    s.kc = FN(yinyang_columns)(s.gof, k, s.t, p->kern.ct_pad);
    s.ub = km_malloc_array(n, sizeof *s.ub);
    s.glb = km_malloc_array(n, sizeof *s.glb);
    s.lb = km_malloc_array(n, s.t * sizeof *s.lb);
    s.stamp = km_malloc_array(n, sizeof *s.stamp);
    s.cum = km_calloc_array(KM_YY_HIST + 1, s.t * sizeof *s.cum);
    s.next = km_malloc_array(k, sizeof *s.next);
    s.gshift = km_malloc_array(s.t, sizeof *s.gshift);
    s.Ct = km_malloc_array(d, s.kc * sizeof *s.Ct);
    s.Cg = km_malloc_array(d, s.kc * sizeof *s.Cg);
    s.col = km_malloc_array(s.kc, sizeof *s.col);
    s.goff = km_malloc_array(s.t + 1, sizeof *s.goff);
    s.buf = km_calloc_array(nb, FN(yinyang_scratch_reals)(s.kc, s.t, d) *
                                    sizeof *s.buf);
    s.gidx =
        km_malloc_array(nb, FN(yinyang_scratch_ints)(s.t) * sizeof *s.gidx);
    if (s.ub == NULL || s.glb == NULL || s.lb == NULL || s.stamp == NULL ||
        s.cum == NULL || s.next == NULL || s.gshift == NULL || s.Ct == NULL ||
        s.Cg == NULL || s.col == NULL || s.goff == NULL || s.buf == NULL ||
        s.gidx == NULL)
        goto out;
#ifdef KM_HAVE_BLAS
    if (!p->kern.exact) { /* the inexact tables' dist_block is the GEMM */
        s.cn = km_malloc_array(k, sizeof *s.cn);
        s.gv = km_malloc_array((size_t)p->n_threads * KM_YY_GEMM_ROWS,
                               k * sizeof *s.gv);
        if (s.cn == NULL || s.gv == NULL)
            goto out;
    }
#endif
    FN(yinyang_layout)(&s, k, p->kern.ct_pad);
    status = FN(bounds_run)(p, &algo, C, max_iter, tol_abs, prog, labels, res);
out:
    km_free(s.ub);
    km_free(s.glb);
    km_free(s.lb);
    km_free(s.stamp);
    km_free(s.cum);
    km_free(s.next);
    km_free(s.gshift);
    km_free(s.Ct);
    km_free(s.Cg);
    km_free(s.col);
    km_free(s.goff);
    km_free(s.gof);
    km_free(s.buf);
    km_free(s.gidx);
    km_free(s.cn);
    km_free(s.gv);
    return status;
}

#undef KM_YY_GROUP_ITERS
#undef KM_YY_HIST
#undef KM_YY_AHEAD
#undef KM_YY_GEMM_ROWS
