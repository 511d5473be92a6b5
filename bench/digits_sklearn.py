#!/usr/bin/python3
"""scikit-learn's side of the digits table (docs/classification.md).

Runs what `kmeans classify` and `kmeans semisupervised` run, with
scikit-learn 1.2.1 (Debian's /usr/bin/python3), on the same splits: the
split permutation is ours (SplitMix64 Fisher-Yates, programs/classify/
kmc_splits.c), repeated here bit for bit, so only the K-Means and
logistic-regression implementations differ.

  /usr/bin/python3 bench/digits_sklearn.py --seed 3 [--grid]   one JSON line
  /usr/bin/python3 bench/digits_sklearn.py --book              the book's split

--book uses train_test_split(random_state=42), the book's split, and prints
the figures the demo quotes.  --solver lbfgs (with --max-iter, default 100)
uses LogisticRegression(solver="lbfgs", multi_class="multinomial"), what
`kmeans --solver lbfgs --logreg-max-iter N` runs; the default is liblinear.
ConvergenceWarnings are counted in "not_converged".
"""
import argparse
import json
import math
import sys
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

M64 = (1 << 64) - 1


def permutation(n, seed):
    """kmc_permutation: Fisher-Yates driven by SplitMix64, rejection-bounded."""
    state = seed & M64
    perm = list(range(n))

    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    for i in range(n, 1, -1):
        threshold = ((1 << 64) - i) % i
        while True:
            r = nxt()
            if r >= threshold:
                j = r % i
                break
        perm[i - 1], perm[j] = perm[j], perm[i - 1]
    return np.array(perm, dtype=np.int64)


def our_split(n, test_size, seed):
    n_test = math.ceil(test_size * n)
    p = permutation(n, seed)
    return p[n_test:], p[:n_test]


SOLVER = {"solver": "liblinear"}


def logreg():
    return LogisticRegression(**SOLVER)


def semisupervised(Xtr, ytr, Xte, yte, n_labeled, percentile, seed, random_idx):
    out = {}
    out["random"] = logreg().fit(Xtr[random_idx], ytr[random_idx]).score(Xte, yte)
    km = KMeans(n_clusters=n_labeled, n_init=10, random_state=seed)
    dist = km.fit_transform(Xtr)
    rep = np.argmin(dist, axis=0)
    out["representative"] = logreg().fit(Xtr[rep], ytr[rep]).score(Xte, yte)
    prop = ytr[rep][km.labels_]
    out["propagated_label_accuracy"] = float(np.mean(prop == ytr))
    out["propagated"] = logreg().fit(Xtr, prop).score(Xte, yte)
    own = dist[np.arange(len(Xtr)), km.labels_].copy()
    for i in range(n_labeled):
        in_cluster = km.labels_ == i
        cutoff = np.percentile(own[in_cluster], percentile)
        own[in_cluster & (own > cutoff)] = -1
    kept = own != -1
    out["partial"] = logreg().fit(Xtr[kept], prop[kept]).score(Xte, yte)
    out["partial_label_accuracy"] = float(np.mean(prop[kept] == ytr[kept]))
    out["n_partial"] = int(kept.sum())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/digits.csv.gz")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--book", action="store_true")
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--labeled", type=int, default=50)
    ap.add_argument("--percentile", type=float, default=20)
    ap.add_argument("--solver", choices=("liblinear", "lbfgs"), default="liblinear")
    ap.add_argument("--max-iter", type=int, default=100)
    a = ap.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    if a.solver == "lbfgs":
        SOLVER.update(solver="lbfgs", multi_class="multinomial", max_iter=a.max_iter)
    caught = []
    warnings.simplefilter("always", ConvergenceWarning)
    warnings.showwarning = lambda msg, cat, *rest: caught.append(cat.__name__)

    d = np.loadtxt(a.data, delimiter=",")
    X, y = d[:, :-1], d[:, -1].astype(int)
    t0 = time.monotonic()
    if a.book:
        Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=42)
        seed = 42
        random_idx = np.arange(a.labeled)  # the book's X_train[:50]
    else:
        tr, te = our_split(len(X), 0.25, a.seed)
        Xtr, Xte, ytr, yte = X[tr], X[te], y[tr], y[te]
        seed = a.seed
        random_idx = permutation(len(Xtr), seed)[: a.labeled]
    res = {"seed": seed, "n_train": len(Xtr), "n_test": len(Xte)}
    res["baseline_accuracy"] = logreg().fit(Xtr, ytr).score(Xte, yte)
    pipe = Pipeline([("kmeans", KMeans(n_clusters=a.k, n_init=10, random_state=seed)),
                     ("log_reg", logreg())])
    res["pipeline_accuracy"] = pipe.fit(Xtr, ytr).score(Xte, yte)
    res.update(semisupervised(Xtr, ytr, Xte, yte, a.labeled, a.percentile, seed,
                              random_idx))
    if a.grid:
        t1 = time.monotonic()
        grid = GridSearchCV(pipe, {"kmeans__n_clusters": range(2, 101)},
                            cv=StratifiedKFold(3), n_jobs=2)
        grid.fit(Xtr, ytr)
        res["best_k"] = int(grid.best_params_["kmeans__n_clusters"])
        res["best_cv_score"] = float(grid.best_score_)
        res["test_accuracy"] = float(grid.score(Xte, yte))
        res["grid_seconds"] = time.monotonic() - t1
    res["seconds"] = time.monotonic() - t0
    res["solver"] = a.solver
    res["not_converged"] = caught.count("ConvergenceWarning")
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    main()
