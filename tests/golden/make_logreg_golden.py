#!/usr/bin/python3
"""Golden files for the lbfgs (multinomial) logistic regression of
programs/classify (tests/unit/test_classify.c reads tests/golden/logreg/).

  /usr/bin/python3 tests/golden/make_logreg_golden.py

With Debian's scikit-learn 1.2.1 / scipy 1.10.1.  For each small problem
it stores the data, the objective and gradient of scikit-learn's
LinearModelLoss(HalfMultinomialLoss) at a fixed nonzero point, and:

- "coef"/"intercept": the minimizer, from
  LogisticRegression(solver="newton-cg", multi_class="multinomial",
  tol=1e-8, max_iter=10000), which stops on max |gradient| <= tol, so the
  coefficients are the optimum to about 1e-8 ("opt_gmax" is the gradient's
  max norm there, measured with LinearModelLoss);
- "sk_coef"/"sk_intercept"/"sk_pred"/"sk_query_pred": what the solver we
  reproduce gives, LogisticRegression(solver="lbfgs",
  multi_class="multinomial", tol=1e-10, max_iter=10000).  scipy's L-BFGS-B
  also stops when the objective's relative reduction is below 2.2e-9, which
  here happens long before the gradient reaches 1e-10 ("sk_gmax"), so
  sk_coef is only close to the optimum ("sk_rel_err" = max |sk - opt| /
  max |opt|); the test compares predictions with it, and coefficients
  with the optimum.
- for two classes scikit-learn's coef_ is one row, the second class's
  (the first is its negative), and decision_function is that row's score;
  binary problems also store "bin_coef"/"bin_intercept": scikit-learn's
  default two-class model (multi_class="auto" = binary) at C = 2 C_case,
  newton-cg tol=1e-8, which equals the multinomial model at C_case.

File format: lines "NAME COUNT" followed by COUNT numbers.
"""
import os
import warnings

import numpy as np
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logreg")


def problems():
    rng = np.random.default_rng(20240607)
    # Iris-like: three overlapping classes in 4-D, offset features, labels 3 5 9.
    K, d, n = 3, 4, 150
    centers = rng.normal(0, 1.2, (K, d))
    yi = np.repeat(np.arange(K), n // K)
    X = centers[yi] + rng.normal(0, 1.0, (n, d)) + np.array([5.0, 3.0, 1.5, 0.2])
    yield "three", X, np.array([3, 5, 9])[yi], None, 1.0
    # Two classes -1 / +1 in 3-D, overlapping, one feature often zero.
    n, d = 60, 3
    yi = (rng.random(n) < 0.5).astype(int)
    X = rng.normal(0, 1.0, (n, d)) + np.outer(yi, [1.0, 0.5, -0.7])
    X[rng.random(n) < 0.3, 2] = 0.0
    yield "binary", X, np.array([-1, 1])[yi], None, 1.0
    # Four imbalanced classes (60, 25, 10, 4) in 5-D with sample weights, C = 0.3.
    sizes = [60, 25, 10, 4]
    yi = np.repeat(np.arange(4), sizes)
    centers = rng.normal(0, 1.5, (4, 5))
    X = centers[yi] + rng.normal(0, 1.0, (len(yi), 5))
    w = rng.uniform(0.2, 3.0, len(yi))
    yield "weighted", X, np.array([0, 1, 2, 7])[yi], w, 0.3


def theta_of(coef, intercept):
    """sklearn's (K, d+1) coefficient matrix.  For two classes scikit-learn
    keeps only the second class's row (_logistic.py: multi_w0[1]); the first
    is its negative (the rows sum to zero from the zero start)."""
    T = np.hstack([coef, intercept[:, None]])
    return np.vstack([-T, T]) if T.shape[0] == 1 else T


def main():
    warnings.simplefilter("error")  # a ConvergenceWarning must not pass silently
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(1)
    for name, X, y, w, C in problems():
        n, d = X.shape
        classes = np.unique(y)
        K = len(classes)
        yi = np.searchsorted(classes, y).astype(float)
        sw = np.ones(n) if w is None else w
        loss = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=K),
                               fit_intercept=True)
        opt = LogisticRegression(solver="newton-cg", multi_class="multinomial",
                                 tol=1e-8, max_iter=10000, C=C)
        opt.fit(X, y, sample_weight=w)
        T = theta_of(opt.coef_, opt.intercept_)
        f_opt, g_opt = loss.loss_gradient(T, X, yi, sw, 1.0 / C)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lbfgs stops on ftol: no warning anyway
            sk = LogisticRegression(solver="lbfgs", multi_class="multinomial",
                                    tol=1e-10, max_iter=10000, C=C)
            sk.fit(X, y, sample_weight=w)
        S = theta_of(sk.coef_, sk.intercept_)
        _, g_sk = loss.loss_gradient(S, X, yi, sw, 1.0 / C)
        P = rng.normal(0, 0.5, (K, d + 1))
        f_p, g_p = loss.loss_gradient(P, X, yi, sw, 1.0 / C)
        Q = X[rng.choice(n, 12, replace=False)] + rng.normal(0, 0.7, (12, d))
        out = {
            "C": [C], "n": [n], "d": [d], "K": [K],
            "X": X.ravel(), "y": y, "w": sw if w is not None else [],
            "classes": classes,
            "probe": P.ravel(), "probe_f": [f_p], "probe_grad": g_p.ravel(),
            "coef": opt.coef_.ravel(), "intercept": opt.intercept_,
            "opt_f": [f_opt], "opt_gmax": [np.abs(g_opt).max()],
            "sk_coef": sk.coef_.ravel(), "sk_intercept": sk.intercept_,
            "sk_n_iter": sk.n_iter_, "sk_gmax": [np.abs(g_sk).max()],
            "sk_rel_err": [np.abs(S - T).max() / np.abs(T).max()],
            "sk_pred": sk.predict(X), "query": Q.ravel(),
            "sk_query_pred": sk.predict(Q),
            "opt_query_dec": opt.decision_function(Q).ravel(),
        }
        if K == 2:
            b = LogisticRegression(solver="newton-cg", tol=1e-8, max_iter=10000,
                                   C=2 * C).fit(X, y, sample_weight=w)
            out["bin_coef"] = b.coef_.ravel()
            out["bin_intercept"] = b.intercept_
        path = os.path.join(OUT, name + ".txt")
        with open(path, "w") as fh:
            fh.write("# made by tests/golden/make_logreg_golden.py (scikit-learn 1.2.1)\n")
            for key, v in out.items():
                v = np.asarray(v, dtype=float).ravel()
                fh.write("%s %d\n" % (key, v.size))
                fh.write(" ".join(repr(float(x)) for x in v) + "\n")
        print("%s: n=%d d=%d K=%d C=%g opt_gmax=%.2e sk_gmax=%.2e sk_rel_err=%.2e "
              "sk_n_iter=%d newton-cg n_iter=%d" % (name, n, d, K, C, np.abs(g_opt).max(),
              np.abs(g_sk).max(), out["sk_rel_err"][0], sk.n_iter_[0], opt.n_iter_[0]))


if __name__ == "__main__":
    main()
