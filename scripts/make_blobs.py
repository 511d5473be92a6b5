#!/usr/bin/python3
"""Write data/blobs.csv: the five-blob data set of Hands-On Machine Learning
(A. Geron, 3rd ed., chapter 9, "Unsupervised Learning Techniques").

    sklearn.datasets.make_blobs(n_samples=2000, centers=<5 centers>,
                                cluster_std=[0.4, 0.3, 0.1, 0.1, 0.1],
                                random_state=7)

Only X is written (the labels are not): 2000 rows, two comma-separated
columns, no header, each value as Python's repr() (the shortest decimal that
reads back to the same double), lines ending in '\\n'.

Needs Debian's numpy and scikit-learn, hence /usr/bin/python3:

    /usr/bin/python3 scripts/make_blobs.py            # writes data/blobs.csv
    /usr/bin/python3 scripts/make_blobs.py --report   # also prints sklearn's
                                                      # inertia for k = 3, 5, 8
"""

import argparse
import os
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

BLOB_CENTERS = np.array([[0.2, 2.3], [-1.5, 2.3], [-2.8, 1.8],
                         [-2.8, 2.8], [-2.8, 1.3]])
BLOB_STD = np.array([0.4, 0.3, 0.1, 0.1, 0.1])

# Inertia quoted in the book (k -> value), for the report.
BOOK_INERTIA = {3: 653.2, 5: 211.6, 8: 119.1}


def make_book_blobs():
    X, _ = make_blobs(n_samples=2000, centers=BLOB_CENTERS,
                      cluster_std=BLOB_STD, random_state=7)
    return X


def write_csv(path, X):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="\n") as f:
        for row in X:
            f.write(",".join(repr(float(v)) for v in row))
            f.write("\n")
    os.replace(tmp, path)


def check_roundtrip(path, X):
    back = np.loadtxt(path, delimiter=",", dtype=np.float64)
    if back.shape != X.shape or not np.array_equal(back, X):
        sys.exit(f"make_blobs: {path} does not read back bit-exactly")


def report(X):
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    print("KMeans(n_clusters=k, n_init=10, random_state=42).fit(X):")
    for k in (3, 5, 8):
        km = KMeans(n_clusters=k, n_init=10, random_state=42).fit(X)
        print(f"  k={k}: inertia {km.inertia_!r} (rounded {km.inertia_:.1f},"
              f" book {BOOK_INERTIA[k]}), n_iter {km.n_iter_}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "data", "blobs.csv")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=default_out,
                    help="output CSV (default: data/blobs.csv)")
    ap.add_argument("--report", action="store_true",
                    help="print scikit-learn's KMeans inertia for k=3, 5, 8")
    args = ap.parse_args()

    X = make_book_blobs()
    write_csv(args.output, X)
    check_roundtrip(args.output, X)
    print(f"wrote {os.path.normpath(args.output)}: {X.shape[0]} rows, "
          f"{X.shape[1]} columns")
    if args.report:
        report(X)


if __name__ == "__main__":
    main()
