#!/usr/bin/python3
"""bench_segment.py - `kmeans segment` against scikit-learn's KMeans on the
colors of the flower photograph (data/flower.jpg, 427 x 640 = 273,280
pixels of 3 channels), k = 8, both on all cores of this machine.

The pixels scikit-learn clusters are exactly ours: `kmeans segment --pixels`
writes the float32 matrix it fits (sample / 255), so both sides see the same
data (Pillow is not installed here to decode the JPEG independently).

Runs are interleaved (ours, then scikit-learn's, in every round) so that
the noise of a shared machine hits both alike; medians are reported.

    /usr/bin/python3 bench/bench_segment.py --kmeans build/kmeans [--rounds 7]
        [--threads N]    # both sides on N threads (threadpoolctl); 0 = all

Measured:
  sklearn default   KMeans(n_clusters=8, random_state=42).fit(X): in
                    scikit-learn 1.2.1 that is n_init=10 (k-means++ runs)
  sklearn n_init=1  the same with n_init=1 (one k-means++ run)
  ours              kmeans segment flower.jpg -k 8 --seed 42 (n_init auto =
                    1 for k-means++, as scikit-learn >= 1.4): fit_seconds
                    from --json, and the whole command's wall time
                    (process start, JPEG decode, fit, repaint, PNG write)
  ours n_init=10    the same with --n-init 10, the work of sklearn's default
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits
from sklearn.cluster import KMeans

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWER = os.path.join(HERE, "..", "data", "flower.jpg")


def ours(kmeans, out_png, extra):
    cmd = [kmeans, "segment", FLOWER, "-k", "8", "--seed", "42", "--json",
           "-o", out_png] + extra
    t0 = time.perf_counter()
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    j = json.loads(res.stdout)
    return j["fit_seconds"], wall, j["inertia"], j["n_iter"]


def theirs(X, n_init):
    km = KMeans(n_clusters=8, random_state=42, n_init=n_init)
    t0 = time.perf_counter()
    km.fit(X)
    return time.perf_counter() - t0, km.inertia_, km.n_iter_


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kmeans", default=os.path.join(HERE, "..", "build",
                                                     "kmeans"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    threads = ["--threads", str(args.threads)]
    if args.threads > 0:
        threadpool_limits(args.threads)

    tmp = tempfile.mkdtemp(prefix="bench_segment.")
    pixels = os.path.join(tmp, "pixels.npy")
    out_png = os.path.join(tmp, "out.png")
    subprocess.run([args.kmeans, "segment", FLOWER, "-k", "1", "--max-iter",
                    "1", "--pixels", pixels], check=True,
                   capture_output=True)
    X = np.load(pixels)
    assert X.dtype == np.float32 and X.shape == (273280, 3), X.shape

    rows = {"ours fit": [], "ours command": [], "ours n_init=10 fit": [],
            "sklearn default (n_init=10)": [], "sklearn n_init=1": []}
    quality = {}
    warnings.simplefilter("ignore", FutureWarning)  # 1.2.1's n_init notice
    theirs(X, 1)  # warm up imports and OpenMP
    for _ in range(args.rounds):
        f, w, inertia, it = ours(args.kmeans, out_png, threads)
        rows["ours fit"].append(f)
        rows["ours command"].append(w)
        quality["ours"] = (inertia, it)
        t, inertia, it = theirs(X, 10)
        rows["sklearn default (n_init=10)"].append(t)
        quality["sklearn default (n_init=10)"] = (inertia, it)
        f, w, inertia, it = ours(args.kmeans, out_png, threads + ["--n-init", "10"])
        rows["ours n_init=10 fit"].append(f)
        quality["ours n_init=10"] = (inertia, it)
        t, inertia, it = theirs(X, 1)
        rows["sklearn n_init=1"].append(t)
        quality["sklearn n_init=1"] = (inertia, it)

    med = {k: statistics.median(v) for k, v in rows.items()}
    print("flower.jpg colors: %d x %d float32, k = 8, %d rounds, threads %s "
          "of %d cores, scikit-learn %s" %
          (X.shape[0], X.shape[1], args.rounds, args.threads or "all",
           os.cpu_count(), sklearn.__version__))
    print("%-30s %10s %10s %10s" % ("", "median s", "min s", "max s"))
    for k, v in rows.items():
        print("%-30s %10.4f %10.4f %10.4f" % (k, med[k], min(v), max(v)))
    print("inertia (iterations of the best run):")
    for k, (inertia, it) in quality.items():
        print("  %-28s %.2f (%d)" % (k, inertia, it))
    print("ratios of medians:")
    print("  ours fit / sklearn default          %.3f" %
          (med["ours fit"] / med["sklearn default (n_init=10)"]))
    print("  ours whole command / sklearn default %.3f" %
          (med["ours command"] / med["sklearn default (n_init=10)"]))
    print("  ours n_init=10 / sklearn n_init=10  %.3f" %
          (med["ours n_init=10 fit"] / med["sklearn default (n_init=10)"]))
    print("  ours fit / sklearn n_init=1         %.3f" %
          (med["ours fit"] / med["sklearn n_init=1"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
