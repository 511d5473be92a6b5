#!/usr/bin/python3
"""Golden files for libkmeans' silhouette, Calinski-Harabasz and
Davies-Bouldin scores, made with scikit-learn.

Run from the repository root with Debian's interpreter (it has numpy and
scikit-learn; the python3 on PATH may not):

    /usr/bin/python3 tests/golden/silhouette/make_silhouette_golden.py
    /usr/bin/python3 tests/golden/silhouette/make_silhouette_golden.py --check

For each case NAME it writes, beside this script:
    NAME.X.csv        the data, n x d (float64, shortest round-trip text)
    NAME.labels.csv   one integer label per line
    NAME.samples.csv  silhouette_samples, one line per row
    NAME.scores.csv   one line: silhouette_score, calinski_harabasz_score,
                      davies_bouldin_score
Values are repr() of float64, so they read back bit-exact.

scikit-learn computes distances as sqrt(|x|^2 - 2 x.y + |y|^2), which
cancels badly for near points; libkmeans uses direct differences.  So that
the golden values are scikit-learn's *and* exact, the script also computes
the silhouette by direct differences in numpy and refuses to write a case
where the two differ by more than 1e-12 (the C test allows 1e-9).
"""
import os
import sys

import numpy as np
import sklearn
from sklearn.metrics import (calinski_harabasz_score, davies_bouldin_score,
                             silhouette_samples, silhouette_score)

HERE = os.path.dirname(os.path.abspath(__file__))


def direct_silhouette(X, labels):
    """Silhouette by direct differences, O(n^2) memory: a reference only."""
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    values = np.unique(labels)
    s = np.zeros(len(X))
    for i in range(len(X)):
        own = labels[i]
        n_own = np.sum(labels == own)
        if n_own == 1:
            continue
        a = D[i, labels == own].sum() / (n_own - 1)
        b = min(D[i, labels == v].mean() for v in values if v != own)
        m = max(a, b)
        s[i] = 0.0 if m == 0 else (b - a) / m
    return s


def blobs(rng, n, d, k, spread=0.6, scale=4.0):
    centers = rng.uniform(-scale, scale, size=(k, d))
    lab = rng.integers(0, k, size=n)
    return centers[lab] + spread * rng.standard_normal((n, d)), lab


def cases():
    rng = np.random.default_rng(20240905)

    # Three blobs in 3-D with their own labels (0..k-1, contiguous).
    X, lab = blobs(rng, 60, 3, 3)
    yield "blobs3", X, lab

    # Overlapping clusters labeled at random: many negative silhouettes.
    X, _ = blobs(rng, 50, 2, 2, spread=1.5, scale=1.0)
    yield "random_labels", X, rng.integers(0, 4, size=50)

    # A cluster of one row (its silhouette is 0) beside two others.
    X, lab = blobs(rng, 40, 2, 2)
    X = np.vstack([X, [[9.0, 9.0]]])
    lab = np.append(lab, 2)
    yield "singleton", X, lab

    # Duplicate rows on a dyadic grid (exact in both formulas): repeated
    # points inside a cluster, the same point in two clusters, and a
    # cluster whose members all coincide (a = 0).
    base = np.array([[0.0, 0.0], [0.5, 0.25], [1.0, 1.0], [4.0, 4.0],
                     [4.5, 3.75], [-2.0, 3.0]])
    X = base[[0, 0, 1, 2, 2, 2, 3, 3, 4, 5, 5, 5, 1, 4]]
    lab = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 1, 0])
    yield "duplicates", X, lab

    # Arbitrary, non-contiguous and negative labels, in no order.
    X, lab = blobs(rng, 45, 4, 4)
    names = np.array([-7, 3, 1000, 42])
    yield "sparse_labels", X, names[lab]

    # Many small clusters, d = 5 (k close to n / 3).
    X, lab = blobs(rng, 36, 5, 12, spread=0.3)
    yield "many_clusters", X, lab


def text(v):
    return repr(float(v))


def write_or_check(path, content, check):
    if check:
        with open(path) as f:
            if f.read() != content:
                sys.exit(f"{path}: differs from what the script makes")
    else:
        with open(path, "w") as f:
            f.write(content)


def main():
    check = "--check" in sys.argv[1:]
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    for name, X, lab in cases():
        X = np.asarray(X, dtype=np.float64)
        lab = np.asarray(lab, dtype=np.int64)
        s = silhouette_samples(X, lab)
        ref = direct_silhouette(X, lab)
        gap = np.max(np.abs(s - ref))
        if gap > 1e-12:
            sys.exit(f"{name}: scikit-learn and direct differences differ "
                     f"by {gap:.3g}")
        score = silhouette_score(X, lab)
        ch = calinski_harabasz_score(X, lab)
        db = davies_bouldin_score(X, lab)
        write_or_check(os.path.join(HERE, f"{name}.X.csv"),
                       "".join(",".join(text(v) for v in row) + "\n"
                               for row in X), check)
        write_or_check(os.path.join(HERE, f"{name}.labels.csv"),
                       "".join(f"{int(v)}\n" for v in lab), check)
        write_or_check(os.path.join(HERE, f"{name}.samples.csv"),
                       "".join(text(v) + "\n" for v in s), check)
        write_or_check(os.path.join(HERE, f"{name}.scores.csv"),
                       f"{text(score)},{text(ch)},{text(db)}\n", check)
        print(f"{name}: n={len(X)} d={X.shape[1]} k={len(np.unique(lab))} "
              f"score={score:.6f} (sklearn vs direct: {gap:.2g})")


if __name__ == "__main__":
    main()
