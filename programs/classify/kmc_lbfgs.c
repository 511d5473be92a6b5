/*
 * kmc_lbfgs.c - limited-memory BFGS for smooth unconstrained problems.
 *
 * The direction is -H g with H the L-BFGS inverse Hessian of the last m
 * pairs s = x_k+1 - x_k, y = g_k+1 - g_k (the two-loop recursion, Nocedal
 * 1980; the initial matrix gamma I with gamma = s.y / y.y of the newest
 * pair, Liu and Nocedal 1989).  The step length satisfies the strong Wolfe
 * conditions
 *     f(a) <= f(0) + c1 a f'(0),   |f'(a)| <= c2 |f'(0)|
 * found by Nocedal and Wright's line search (Numerical Optimization, 2nd
 * ed., algorithms 3.5 and 3.6): widen the step until it brackets an
 * acceptable one, then shrink the bracket with the minimizer of the cubic
 * through both ends, bisecting when that falls outside the middle 80%.
 * Close to the minimum f changes less than its rounding error: where f is
 * within 1e-12 |f(0)| of f(0) a step counts as not increasing it and the
 * bracket is kept by the sign of the slope alone, with secant steps on the
 * slope (the idea of Hager and Zhang's approximate Wolfe conditions, SIAM
 * J. Optim. 16, 2005), so the gradient test can still be reached.
 *
 * The stopping tests are scipy's L-BFGS-B ones without bounds (the
 * projected gradient is the gradient): max |g_i| <= gtol, or the relative
 * reduction (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) <= ftol, or the
 * iteration / evaluation budget.  As in L-BFGS-B, a failed line search
 * first drops the memory and retries along -g; a second failure in a row
 * ends the minimization.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kmclassify.h"

void kmc_lbfgs_params_init(kmc_lbfgs_params *p)
{
    p->m = 10;
    p->max_iter = 100;
    p->max_eval = 15000;
    p->gtol = 1e-5;
    p->ftol = 2.220446049250313e-09;
    p->c1 = 1e-4;
    p->c2 = 0.9;
    p->max_linesearch = 20;
}

bool kmc_lbfgs_converged(kmc_lbfgs_status status)
{
    return status == KMC_LBFGS_GTOL || status == KMC_LBFGS_FTOL;
}

const char *kmc_lbfgs_status_text(kmc_lbfgs_status status)
{
    switch (status) {
    case KMC_LBFGS_GTOL:
        return "converged: max |gradient| <= tol";
    case KMC_LBFGS_FTOL:
        return "converged: relative reduction of the objective <= ftol";
    case KMC_LBFGS_MAX_ITER:
        return "stopped at max_iter before converging";
    case KMC_LBFGS_MAX_EVAL:
        return "stopped at max_eval before converging";
    case KMC_LBFGS_LINESEARCH:
        return "stopped: the line search found no decrease (rounding)";
    case KMC_LBFGS_ABORTED:
        return "aborted by the objective (NaN, or an error)";
    case KMC_LBFGS_NOMEM:
        return "out of memory";
    }
    return "unknown status";
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double max_abs(const double *g, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(g[i]));
    return m;
}

/* The line x0 + a dir: the trial point and its gradient live in xt, gt. */
typedef struct line {
    kmc_objective fn;
    void *ctx;
    size_t n;
    const double *x0, *dir;
    double *xt, *gt;
    double f0, d0;       /* f and its slope at a = 0 */
    double c1, c2, epsf; /* epsf: what counts as "f unchanged" */
    int evals_left;      /* in this line search */
    int *n_eval;
    int max_eval;
    bool aborted;
} line;

/* f(a) and f'(a) = g(a).dir; false when the budget is spent or the
   objective failed (ln->aborted). */
static bool eval_at(line *ln, double a, double *fa, double *da)
{
    if (ln->evals_left <= 0 || *ln->n_eval >= ln->max_eval)
        return false;
    ln->evals_left--;
    (*ln->n_eval)++;
    for (size_t i = 0; i < ln->n; i++)
        ln->xt[i] = ln->x0[i] + a * ln->dir[i];
    if (ln->fn(ln->ctx, ln->xt, fa, ln->gt) != 0 || isnan(*fa)) {
        ln->aborted = true;
        return false;
    }
    *da = dot(ln->gt, ln->dir, ln->n);
    if (!isfinite(*da))
        *fa = INFINITY; /* treat an overflowing slope as a step too long */
    return true;
}

/* The sufficient decrease (Armijo) condition, or, when f is flat to
   rounding, no increase beyond it (the slope then decides, below). */
static bool decrease_ok(const line *ln, double a, double fa)
{
    if (!isfinite(fa))
        return false;
    return fa <= ln->f0 + ln->c1 * a * ln->d0 || fa <= ln->f0 + ln->epsf;
}

static bool curvature_ok(const line *ln, double da)
{
    return fabs(da) <= -ln->c2 * ln->d0;
}

typedef struct point {
    double a, f, d;
} point;

/* t and ref differ in f by rounding only: compare slopes, not values. */
static bool flat(const line *ln, const point *t, const point *ref)
{
    return isfinite(t->f) && t->f <= ln->f0 + ln->epsf &&
           fabs(t->f - ref->f) <= ln->epsf;
}

/* The minimizer of the cubic with values fa, fb and slopes da, db at a and
   b (Nocedal and Wright eq. 3.59), or NaN. */
static double cubic_min(double a, double fa, double da, double b, double fb,
                        double db)
{
    double d1 = da + db - 3.0 * (fa - fb) / (a - b), r = d1 * d1 - da * db, d2;

    if (!(r >= 0.0) || !isfinite(r))
        return NAN;
    d2 = (b > a ? 1.0 : -1.0) * sqrt(r);
    return b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
}

/* Algorithm 3.6: lo satisfies the decrease condition with the lower f, and
   f decreases from lo towards hi (lo.d (hi.a - lo.a) < 0), so the interval
   holds acceptable steps.  Where f is flat to rounding, the slope alone
   keeps that bracket (and the trial is the secant root of the slope).
   Returns 1 with the accepted step in *out (xt, gt hold it), 0 when the
   budget ran out first (*out = lo, xt and gt not at lo). */
static int zoom(line *ln, point lo, point hi, point *out)
{
    for (;;) {
        double lo_a = fmin(lo.a, hi.a), w = fabs(hi.a - lo.a), a = NAN;
        point t;

        if (w <= DBL_EPSILON * fmax(lo.a, hi.a))
            break;
        if (flat(ln, &hi, &lo) && hi.d != lo.d)
            a = lo.a - lo.d * (hi.a - lo.a) / (hi.d - lo.d);
        else if (isfinite(hi.f) && isfinite(hi.d))
            a = cubic_min(lo.a, lo.f, lo.d, hi.a, hi.f, hi.d);
        if (!(a >= lo_a + 0.1 * w && a <= lo_a + 0.9 * w))
            a = lo.a + 0.5 * (hi.a - lo.a);
        t.a = a;
        if (!eval_at(ln, a, &t.f, &t.d))
            break;
        if (decrease_ok(ln, t.a, t.f) && curvature_ok(ln, t.d)) {
            *out = t;
            return 1;
        }
        if (flat(ln, &t, &lo)) {
            if (t.d * (hi.a - lo.a) >= 0.0)
                hi = t;
            else
                lo = t;
        } else if (!decrease_ok(ln, t.a, t.f) || t.f >= lo.f) {
            hi = t;
        } else {
            if (t.d * (hi.a - lo.a) >= 0.0)
                hi = lo;
            lo = t;
        }
    }
    *out = lo;
    return 0;
}

/*
 * Algorithm 3.5 from step a1.  Returns 1 with a strong Wolfe step, 2 with
 * a step that only decreases f (the budget ran out inside the bracket), 0
 * with no step (or an aborted objective: ln->aborted).  On 1 and 2, xt and
 * gt hold the point and *fa its value.
 */
static int line_search(line *ln, double a1, double *step, double *fa)
{
    point prev = {0.0, ln->f0, ln->d0}, t, got;
    int rc;

    t.a = a1;
    for (int i = 0;; i++) {
        if (!eval_at(ln, t.a, &t.f, &t.d))
            return 0;
        if (decrease_ok(ln, t.a, t.f) && curvature_ok(ln, t.d)) {
            *step = t.a;
            *fa = t.f;
            return 1;
        }
        if (flat(ln, &t, &prev)
                ? t.d >= 0.0
                : !decrease_ok(ln, t.a, t.f) || (i > 0 && t.f >= prev.f)) {
            rc = zoom(ln, prev, t, &got);
            break;
        }
        if (t.d >= 0.0) {
            rc = zoom(ln, t, prev, &got);
            break;
        }
        {
            /* Still going down: extrapolate, 1.1 to 4 times as far. */
            double span = t.a - prev.a,
                   c = cubic_min(prev.a, prev.f, prev.d, t.a, t.f, t.d);
            if (!(c >= t.a + 1.1 * span && c <= t.a + 4.0 * span))
                c = t.a + 2.0 * span;
            prev = t;
            t.a = c;
        }
    }
    if (rc == 1) {
        *step = got.a;
        *fa = got.f;
        return 1;
    }
    if (ln->aborted || got.a == 0.0)
        return 0;
    /* Out of budget with a step that decreases f: take it (one more
       evaluation to have its gradient), as a curvature-less step. */
    ln->evals_left = 1;
    if (!eval_at(ln, got.a, &t.f, &t.d))
        return 0;
    *step = got.a;
    *fa = t.f;
    return 2;
}

/* d = -H g by the two-loop recursion over the stored pairs, newest last. */
static void direction(size_t n, int m, int count, int newest, const double *S,
                      const double *Y, const double *rho, double *alpha,
                      const double *g, double *d)
{
    for (size_t i = 0; i < n; i++)
        d[i] = -g[i];
    for (int t = 0; t < count; t++) {
        int j = (newest - t + m) % m;
        const double *s = S + (size_t)j * n, *y = Y + (size_t)j * n;
        alpha[j] = rho[j] * dot(s, d, n);
        for (size_t i = 0; i < n; i++)
            d[i] -= alpha[j] * y[i];
    }
    if (count > 0) {
        const double *y = Y + (size_t)newest * n;
        double gamma = 1.0 / (rho[newest] * dot(y, y, n));
        for (size_t i = 0; i < n; i++)
            d[i] *= gamma;
    }
    for (int t = count - 1; t >= 0; t--) {
        int j = (newest - t + m) % m;
        const double *s = S + (size_t)j * n, *y = Y + (size_t)j * n;
        double beta = rho[j] * dot(y, d, n);
        for (size_t i = 0; i < n; i++)
            d[i] += (alpha[j] - beta) * s[i];
    }
}

int kmc_lbfgs_minimize(kmc_objective fn, void *ctx, size_t n, double *x,
                       const kmc_lbfgs_params *p, kmc_lbfgs_result *res)
{
    int m = p->m > 0 ? p->m : 1, count = 0, newest = m - 1;
    double *buf, *g, *d, *xt, *gt, *S, *Y, *rho, *alpha, f;
    bool retried = false;
    line ln;

    memset(res, 0, sizeof *res);
    buf = malloc((4 * n + 2 * (size_t)m * n + 2 * (size_t)m) * sizeof *buf);
    if (buf == NULL) {
        res->status = KMC_LBFGS_NOMEM;
        return -1;
    }
    g = buf;
    d = g + n;
    xt = d + n;
    gt = xt + n;
    S = gt + n;
    Y = S + (size_t)m * n;
    rho = Y + (size_t)m * n;
    alpha = rho + m;

    res->n_eval = 1;
    if (fn(ctx, x, &f, g) != 0 || !isfinite(f)) {
        res->status = KMC_LBFGS_ABORTED;
        free(buf);
        return -1;
    }
    res->f = f;
    res->gmax = max_abs(g, n);
    if (res->gmax <= p->gtol) {
        res->status = KMC_LBFGS_GTOL;
        free(buf);
        return 0;
    }

    memset(&ln, 0, sizeof ln);
    ln.fn = fn;
    ln.ctx = ctx;
    ln.n = n;
    ln.x0 = x;
    ln.dir = d;
    ln.xt = xt;
    ln.gt = gt;
    ln.c1 = p->c1;
    ln.c2 = p->c2;
    ln.n_eval = &res->n_eval;
    ln.max_eval = p->max_eval;

    for (;;) {
        double step = 0.0, f_new = f, a1, sy, yy;
        int found;

        if (res->n_iter >= p->max_iter) {
            res->status = KMC_LBFGS_MAX_ITER;
            break;
        }
        direction(n, m, count, newest, S, Y, rho, alpha, g, d);
        ln.d0 = dot(g, d, n);
        if (!(ln.d0 < 0.0)) { /* not a descent direction: start afresh */
            count = 0;
            direction(n, m, 0, newest, S, Y, rho, alpha, g, d);
            ln.d0 = dot(g, d, n);
        }
        /* L-BFGS-B's first step is 1 / |d|; later ones 1 (the quasi-Newton
           step, which is scaled after the first pair). */
        a1 = count == 0 ? fmin(1.0, 1.0 / sqrt(dot(d, d, n))) : 1.0;
        ln.f0 = f;
        ln.epsf = 1e-12 * fabs(f);
        ln.evals_left = p->max_linesearch;
        found = line_search(&ln, a1, &step, &f_new);
        if (ln.aborted) {
            res->status = KMC_LBFGS_ABORTED;
            break;
        }
        if (found == 0) {
            if (res->n_eval >= p->max_eval) {
                res->status = KMC_LBFGS_MAX_EVAL;
                break;
            }
            if (count > 0 && !retried) {
                count = 0;
                retried = true;
                continue;
            }
            res->status = KMC_LBFGS_LINESEARCH;
            break;
        }
        retried = false;
        res->n_iter++;

        /* The new pair s = xt - x, y = gt - g, kept when s.y > eps y.y
           (the curvature condition holds in exact arithmetic after a Wolfe
           step; rounding or a curvature-less step can break it). */
        sy = 0.0;
        yy = 0.0;
        for (size_t i = 0; i < n; i++) {
            double si = xt[i] - x[i], yi = gt[i] - g[i];
            sy += si * yi;
            yy += yi * yi;
        }
        if (sy > DBL_EPSILON * yy) {
            double *s, *y;
            newest = (newest + 1) % m;
            s = S + (size_t)newest * n;
            y = Y + (size_t)newest * n;
            for (size_t i = 0; i < n; i++) {
                s[i] = xt[i] - x[i];
                y[i] = gt[i] - g[i];
            }
            rho[newest] = 1.0 / sy;
            if (count < m)
                count++;
        }
        memcpy(x, xt, n * sizeof *x);
        memcpy(g, gt, n * sizeof *g);
        {
            double f_old = f;
            f = f_new;
            res->f = f;
            res->gmax = max_abs(g, n);
            if (res->gmax <= p->gtol) {
                res->status = KMC_LBFGS_GTOL;
                break;
            }
            if (p->ftol > 0.0 &&
                f_old - f <= p->ftol * fmax(fmax(fabs(f_old), fabs(f)), 1.0)) {
                res->status = KMC_LBFGS_FTOL;
                break;
            }
        }
        if (res->n_eval >= p->max_eval) {
            res->status = KMC_LBFGS_MAX_EVAL;
            break;
        }
    }
    free(buf);
    return res->status == KMC_LBFGS_ABORTED ? -1 : 0;
}
