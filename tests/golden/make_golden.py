#!/usr/bin/python3
"""Generate the golden K-Means cases in tests/golden/cases/.

Each case is a small data set with explicit initial centers.  For each case
and each precision (float64, float32) this script records what
scikit-learn's KMeans finds from those centers, with algorithm "lloyd" and
separately "elkan":

    KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=tol,
           algorithm=algorithm, random_state=0).fit(X, sample_weight=w)

and writes labels_, inertia_, n_iter_ and cluster_centers_ to
cases/<name>_f64.txt and cases/<name>_f32.txt (format: README.md here).

Golden results are only worth having when they are unambiguous, so every
case is also replayed by an independent reference implementation of
scikit-learn's Lloyd iteration (below, in extended precision) which
  - must reproduce scikit-learn's labels, n_iter, centers and inertia, and
  - measures, at every iteration, how far each point is from a tie between
    its two nearest centers, how far the center shift is from tol, and how
    far the point chosen for an empty cluster is from the runner-up.
A case whose margins are too thin for another correct implementation to be
sure of the same result (relative 1e-9 in float64, 1e-5 in float32 for
ties) is rejected, as is one where scikit-learn's lloyd and elkan disagree.
When that happens, change the case's seed.

Run with Debian's interpreter (numpy + scikit-learn):

    /usr/bin/python3 tests/golden/make_golden.py            # (re)write cases/
    /usr/bin/python3 tests/golden/make_golden.py --check    # verify only
"""

import argparse
import gzip
import os
import sys
import warnings

# One thread, so that scikit-learn's partial sums are reduced in a fixed
# order and a rerun rewrites the same bits (with several OpenMP threads the
# last bits of centers and inertia vary from run to run).  Must be set
# before numpy and scikit-learn load their OpenMP and BLAS runtimes.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DIGITS = os.path.join(ROOT, "data", "digits.csv.gz")

# Margins below which a case is rejected (see the module docstring).  "tie"
# is (d2 - d1) / (|x|^2 + |c1|^2 + |c2|^2): the gap between a point's two
# nearest squared distances relative to the size of the numbers a GEMM-form
# distance is computed from (uncentered, so conservative).  "tol" is |shift - tol| / tol at every iteration whose
# labels changed.  "reloc" is the relative gap between the farthest point and
# the next one when a cluster is empty.
MARGINS = {
    "float64": {"tie": 1e-9, "tol": 1e-6, "reloc": 1e-9},
    "float32": {"tie": 1e-5, "tol": 1e-2, "reloc": 1e-4},
}
# How close scikit-learn must be to the reference.
AGREE = {"float64": 1e-9, "float32": 1e-4}


# --------------------------------------------------------------------------
# Case definitions.  Each returns (X float64, w float64 or None, init, params).
# --------------------------------------------------------------------------

BOOK_CENTERS = np.array([[0.2, 2.3], [-1.5, 2.3], [-2.8, 1.8],
                         [-2.8, 2.8], [-2.8, 1.3]])
BOOK_STD = np.array([0.4, 0.3, 0.1, 0.1, 0.1])


def book_blobs(first=0, n=2000):
    """Rows first .. first+n-1 of data/blobs.csv (scripts/make_blobs.py)."""
    X, _ = make_blobs(n_samples=2000, centers=BOOK_CENTERS,
                      cluster_std=BOOK_STD, random_state=7)
    return X[first:first + n].copy()


def rows(rng, X, k):
    """k distinct rows of X chosen at random, in the order drawn."""
    return X[rng.choice(X.shape[0], size=k, replace=False)].copy()


def gaussian_mixture(rng, n, means, scales):
    """n points from equal-weight Gaussians; scales: per-component std or
    d x d linear maps (anisotropic)."""
    k, d = means.shape
    comp = rng.integers(0, k, size=n)
    Z = rng.standard_normal((n, d))
    X = np.empty((n, d))
    for j in range(k):
        m = comp == j
        s = scales[j]
        X[m] = means[j] + (Z[m] @ s if np.ndim(s) == 2 else Z[m] * s)
    return X


def case_blobs5(first=700):
    # Rows 700..999 of the book's blobs (rows 0..299 have a float32 near-tie)
    # with the book's "good init" from Hands-On ML ch. 9.
    init = np.array([[-3.0, 3.0], [-3.0, 2.0], [-3.0, 1.0],
                     [-1.0, 2.0], [0.0, 2.0]])
    return (book_blobs(first, 300), None, init,
            dict(k=5, max_iter=300, tol=1e-4))


def case_aniso3d(seed=11):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-6, 6, size=(4, 3))
    maps = [rng.normal(size=(3, 3)) * rng.uniform(0.3, 1.5, size=3)
            for _ in range(4)]
    X = gaussian_mixture(rng, 240, means, maps)
    return X, None, rows(rng, X, 4), dict(k=4, max_iter=300, tol=1e-4)


def case_gmm20d(seed=21):
    rng = np.random.default_rng(seed)
    d, k = 20, 7
    means = rng.normal(scale=2.0, size=(k, d))
    X = gaussian_mixture(rng, 250, means, rng.uniform(0.8, 2.0, size=k))
    return X, None, rows(rng, X, k), dict(k=k, max_iter=300, tol=1e-4)


def case_weighted(seed=31):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-4, 4, size=(4, 2))
    X = gaussian_mixture(rng, 250, means, rng.uniform(0.6, 1.5, size=4))
    w = rng.uniform(0.1, 5.0, size=X.shape[0])
    return X, w, rows(rng, X, 4), dict(k=4, max_iter=300, tol=1e-4)


def case_intweights(seed=41):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-5, 5, size=(4, 3))
    X = gaussian_mixture(rng, 200, means, rng.uniform(0.8, 1.8, size=4))
    w = rng.integers(1, 6, size=X.shape[0]).astype(np.float64)
    w[rng.choice(X.shape[0], size=8, replace=False)] = 0.0  # zero weights
    return X, w, rows(rng, X, 4), dict(k=4, max_iter=300, tol=1e-4)


def case_tol0(seed=63):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-3, 3, size=(6, 2))
    X = gaussian_mixture(rng, 300, means, rng.uniform(0.5, 1.2, size=6))
    return X, None, rows(rng, X, 6), dict(k=6, max_iter=300, tol=0.0)


def case_maxiter2(seed=61):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-3, 3, size=(5, 2))
    X = gaussian_mixture(rng, 250, means, rng.uniform(0.5, 1.2, size=5))
    return X, None, rows(rng, X, 5), dict(k=5, max_iter=2, tol=1e-4)


def case_tolbig(seed=71):
    rng = np.random.default_rng(seed)
    means = rng.uniform(-3, 3, size=(5, 3))
    X = gaussian_mixture(rng, 250, means, rng.uniform(0.6, 1.2, size=5))
    return X, None, rows(rng, X, 5), dict(k=5, max_iter=300, tol=0.01)


def case_k1(seed=81):
    rng = np.random.default_rng(seed)
    X = rng.normal(loc=[1.0, -2.0, 3.0], scale=[1.0, 0.5, 2.0], size=(100, 3))
    return X, None, rows(rng, X, 1), dict(k=1, max_iter=300, tol=1e-4)


def case_empty(seed=91):
    # One initial center far from every point: its cluster is empty after
    # the first assignment, and scikit-learn moves it onto the point
    # farthest from its own center.
    rng = np.random.default_rng(seed)
    means = rng.uniform(-3, 3, size=(5, 2))
    X = gaussian_mixture(rng, 200, means, rng.uniform(0.4, 0.9, size=5))
    init = rows(rng, X, 5)
    init[2] = [100.0, 100.0]
    return X, None, init, dict(k=5, max_iter=300, tol=1e-4)


def case_dups(seed=101):
    # 40 distinct points, each repeated 1..10 times, shuffled.
    rng = np.random.default_rng(seed)
    means = rng.uniform(-3, 3, size=(5, 2))
    P = gaussian_mixture(rng, 40, means, np.full(5, 0.7))
    X = np.repeat(P, rng.integers(1, 11, size=40), axis=0)
    X = X[rng.permutation(X.shape[0])]
    return X, None, rows(rng, P, 5), dict(k=5, max_iter=300, tol=1e-4)


def case_digits(nrows=500):
    with gzip.open(DIGITS, "rt") as f:
        A = np.loadtxt(f, delimiter=",", dtype=np.float64)
    X = A[:nrows, :64].copy()
    _, first = np.unique(X, axis=0, return_index=True)
    init = X[np.sort(first)[:10]].copy()  # first 10 distinct rows
    return X, None, init, dict(k=10, max_iter=300, tol=1e-4)


CASES = [
    ("blobs5", case_blobs5),
    ("aniso3d", case_aniso3d),
    ("gmm20d", case_gmm20d),
    ("weighted", case_weighted),
    ("intweights", case_intweights),
    ("tol0", case_tol0),
    ("maxiter2", case_maxiter2),
    ("tolbig", case_tolbig),
    ("k1", case_k1),
    ("empty", case_empty),
    ("dups", case_dups),
    ("digits", case_digits),
]

# What each case is meant to exercise; checked against the reference run.
EXPECT_STOP = {"maxiter2": "max_iter", "tolbig": "tol", "tol0": "strict",
               "k1": "strict"}
EXPECT_RELOCATION = {"empty"}


# --------------------------------------------------------------------------
# Reference: scikit-learn's Lloyd iteration (sklearn/cluster/_kmeans.py,
# _kmeans_single_lloyd, and _k_means_common.pyx) in extended precision on
# the uncentered data, with margins.
# --------------------------------------------------------------------------

class Ambiguous(Exception):
    pass


def reference(X, w, init, max_iter, tol_abs):
    L = np.longdouble
    X = X.astype(L)
    w = w.astype(L)
    C = init.astype(L)
    n, k = X.shape[0], C.shape[0]
    xx = (X * X).sum(axis=1)
    m = {"tie": np.inf, "tol": np.inf, "reloc": np.inf, "relocations": 0}

    def assign(C):
        D = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
        lab = np.argmin(D, axis=1)
        if k > 1:
            o = np.argsort(D, axis=1, kind="stable")[:, :2]
            r = np.arange(n)
            cc = (C * C).sum(axis=1)
            scale = xx + cc[o[:, 0]] + cc[o[:, 1]]
            gap = D[r, o[:, 1]] - D[r, o[:, 0]]
            m["tie"] = min(m["tie"], float((gap / scale).min()))
        return lab, D

    labels_old = np.full(n, -1)
    strict = False
    stop = "max_iter"
    for i in range(max_iter):
        labels, D = assign(C)
        wsum = np.zeros(k, dtype=L)
        S = np.zeros_like(C)
        for j in range(k):
            wsum[j] = w[labels == j].sum()
            S[j] = (w[labels == j, None] * X[labels == j]).sum(axis=0)
        empty = np.flatnonzero(wsum == 0)
        if len(empty) > 1:
            raise Ambiguous(f"{len(empty)} empty clusters in one iteration "
                            "(scikit-learn's choice depends on argpartition)")
        if len(empty) == 1:
            m["relocations"] += 1
            dist = D[np.arange(n), labels]
            order = np.argsort(-dist, kind="stable")
            far, second = order[0], order[1]
            m["reloc"] = min(m["reloc"],
                             float((dist[far] - dist[second]) / dist[far]))
            new, old = empty[0], labels[far]
            S[old] -= X[far] * w[far]
            S[new] = X[far] * w[far]
            wsum[new] = w[far]
            wsum[old] -= w[far]
            if wsum[old] == 0:
                raise Ambiguous("relocation emptied another cluster")
        if np.any(wsum == 0):
            raise Ambiguous("a cluster with zero total weight")
        Cn = S / wsum[:, None]
        shift = float(((Cn - C) ** 2).sum())
        C = Cn
        if np.array_equal(labels, labels_old):
            strict = True
            stop = "strict"
            break
        if tol_abs > 0:
            m["tol"] = min(m["tol"], abs(shift - tol_abs) / tol_abs)
        if shift <= tol_abs:
            stop = "tol"
            break
        labels_old = labels
    if not strict:
        labels, D = assign(C)
    inertia = float((w * D[np.arange(n), labels]).sum())
    return dict(labels=labels, centers=C.astype(np.float64), inertia=inertia,
                n_iter=i + 1, stop=stop, margins=m)


# --------------------------------------------------------------------------
# Running scikit-learn and checking
# --------------------------------------------------------------------------

def sk_fit(X, w, init, p, algorithm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning etc. are fine
        km = KMeans(n_clusters=p["k"], init=init, n_init=1,
                    max_iter=p["max_iter"], tol=p["tol"], algorithm=algorithm,
                    random_state=0).fit(X, sample_weight=w)
    return dict(labels=np.asarray(km.labels_), centers=km.cluster_centers_,
                inertia=float(km.inertia_), n_iter=int(km.n_iter_))


def rel_close(a, b, rtol):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    return bool(np.all(np.abs(a - b) <= rtol * scale))


def check_case(name, dtype, X, w, init, p):
    """Run scikit-learn (lloyd, elkan) and the reference; raise on any
    disagreement or thin margin.  Returns (results, reference)."""
    # scikit-learn's tol: relative tol times the mean per-feature variance,
    # computed in the data's precision (sklearn/cluster/_kmeans.py).
    tol_abs = float(np.mean(np.var(X, axis=0)) * p["tol"]) if p["tol"] else 0.0
    wr = np.ones(X.shape[0]) if w is None else w.astype(np.float64)
    ref = reference(X.astype(np.float64), wr, init.astype(np.float64),
                    p["max_iter"], tol_abs)
    res = {a: sk_fit(X, w, init, p, a) for a in ("lloyd", "elkan")}
    tag = f"{name} {dtype}"
    problems = []
    for a, r in res.items():
        if not np.array_equal(r["labels"], ref["labels"]):
            bad = np.flatnonzero(r["labels"] != ref["labels"])
            problems.append(f"{a}: labels differ from the reference at "
                            f"{len(bad)} rows, first {bad[0]}")
        if r["n_iter"] != ref["n_iter"]:
            problems.append(f"{a}: n_iter {r['n_iter']} != reference "
                            f"{ref['n_iter']}")
        if not rel_close(r["centers"], ref["centers"], AGREE[dtype]):
            problems.append(f"{a}: centers differ from the reference")
        if not abs(r["inertia"] - ref["inertia"]) <= AGREE[dtype] * ref["inertia"]:
            problems.append(f"{a}: inertia {r['inertia']!r} vs reference "
                            f"{ref['inertia']!r}")
    if not np.array_equal(res["lloyd"]["labels"], res["elkan"]["labels"]):
        problems.append("scikit-learn lloyd and elkan labels differ")
    mg = ref["margins"]
    for key, lim in MARGINS[dtype].items():
        if mg[key] < lim:
            problems.append(f"{key} margin {mg[key]:.3g} < {lim:g}")
    if name in EXPECT_STOP and ref["stop"] != EXPECT_STOP[name]:
        problems.append(f"stops by {ref['stop']}, meant {EXPECT_STOP[name]}")
    if (name in EXPECT_RELOCATION) != (mg["relocations"] > 0):
        problems.append(f"{mg['relocations']} empty-cluster relocations")
    if problems:
        raise Ambiguous(f"{tag}: " + "; ".join(problems))
    return res, ref


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def fmt(v):
    return repr(float(v))


def write_case(path, name, dtype, X, w, init, p, res, ref):
    out = []
    out.append("# kmeans golden case: generated by tests/golden/make_golden.py,"
               " do not edit")
    out.append(f"# sklearn {sklearn.__version__}")
    out.append(f"# numpy {np.__version__}")
    out.append(f"name {name}")
    out.append(f"dtype {dtype}")
    out.append(f"n {X.shape[0]}")
    out.append(f"d {X.shape[1]}")
    out.append(f"k {p['k']}")
    out.append(f"max_iter {p['max_iter']}")
    out.append(f"tol {fmt(p['tol'])}")
    out.append(f"weights {0 if w is None else 1}")
    out.append("X")
    out.extend(" ".join(fmt(v) for v in row) for row in X)
    if w is not None:
        out.append("W")
        out.extend(fmt(v) for v in w)
    out.append("init")
    out.extend(" ".join(fmt(v) for v in row) for row in init)
    for a in ("lloyd", "elkan"):
        r = res[a]
        out.append(f"expect {a}")
        out.append("labels " + " ".join(str(int(v)) for v in r["labels"]))
        out.append(f"inertia {fmt(r['inertia'])}")
        out.append(f"n_iter {r['n_iter']}")
        out.append(f"stop {ref['stop']}")
        out.append("centers")
        out.extend(" ".join(fmt(v) for v in row) for row in r["centers"])
    out.append("end")
    tmp = path + ".tmp"
    with open(tmp, "w", newline="\n") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "cases"),
                    help="output directory (default: tests/golden/cases)")
    ap.add_argument("--check", action="store_true",
                    help="run and verify every case, write nothing")
    args = ap.parse_args()
    if not args.check:
        os.makedirs(args.out, exist_ok=True)

    failed = 0
    for name, make in CASES:
        X, w, init, p = make()
        for dtype, np_t, suffix in (("float64", np.float64, "f64"),
                                    ("float32", np.float32, "f32")):
            Xt = X.astype(np_t)
            wt = None if w is None else w.astype(np_t)
            it = init.astype(np_t)
            try:
                res, ref = check_case(name, dtype, Xt, wt, it, p)
            except Ambiguous as e:
                print(f"REJECTED {e}", file=sys.stderr)
                failed += 1
                continue
            mg = ref["margins"]
            print(f"{name}_{suffix}: n={Xt.shape[0]} d={Xt.shape[1]} "
                  f"k={p['k']} n_iter={res['lloyd']['n_iter']} "
                  f"stop={ref['stop']} inertia={res['lloyd']['inertia']:.6g} "
                  f"margins tie={mg['tie']:.2g} tol={mg['tol']:.2g} "
                  f"reloc={mg['reloc']:.2g} relocations={mg['relocations']}")
            if not args.check:
                write_case(os.path.join(args.out, f"{name}_{suffix}.txt"),
                           name, dtype, Xt, wt, it, p, res, ref)
    if failed:
        sys.exit(f"make_golden: {failed} case(s) rejected; change their seeds")


if __name__ == "__main__":
    main()
