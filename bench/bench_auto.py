#!/usr/bin/python3
"""The measurements behind `--algorithm auto` (docs/library.md).

    /usr/bin/python3 bench/bench_auto.py --build build [--threads 1]
        [--repeats 2] [--tags b,c,h] [--out FILE]

Generates float32 blobs (scikit-learn's make_blobs: 2k/3 centers with
spreads drawn in 0.5-3, in a box of side 40; initial centers k random rows;
seeded, cached in $KM_BENCH_DIR/auto or /tmp/kmeans-bench/auto) for n in
5000, 20000, 100000, d in 8, 16, 32, 64 and k in 16, 50, 100, 300 (tag b),
shapes at the edges of the rule (low d, k = 32, a million rows; tag c) and
high-dimensional ones, where AUTO picks the BLAS kernel (d = 128 and 256,
k up to 1000; tag h), and times
build/km_bench to convergence (tol 1e-4, max_iter 300) with Lloyd, Hamerly,
Yinyang and Elkan from the same centers, interleaved; each time is the
second fit of its process, the best over the repetitions.  Prints one line
per shape (times in seconds, the kernel AUTO picks, what `auto` runs) and
a summary of Hamerly against Lloyd and Yinyang.
"""
import argparse
import itertools
import json
import os
import subprocess
import sys

import numpy as np

ALGOS = ("lloyd", "hamerly", "yinyang", "elkan")


def shapes():
    grid = [("b", n, d, k) for n, d, k in itertools.product(
        (5000, 20000, 100000), (8, 16, 32, 64), (16, 50, 100, 300))]
    edge = [("c", n, d, k) for n, d, k in (
        (100000, 2, 50), (100000, 2, 100), (100000, 4, 100), (100000, 8, 64),
        (100000, 12, 32), (100000, 16, 32), (20000, 32, 32), (100000, 64, 32),
        (1000000, 2, 100), (20000, 4, 300))]
    high = [("h", n, d, k) for n, d, k in (
        (5000, 128, 100), (20000, 128, 16), (20000, 128, 50),
        (20000, 128, 300), (100000, 128, 16), (100000, 128, 50),
        (100000, 128, 100), (100000, 128, 300), (100000, 128, 1000),
        (20000, 256, 100), (20000, 256, 1000), (50000, 256, 300))]
    return grid + edge + high


def generate(where, tag, n, d, k):
    from sklearn.datasets import make_blobs
    name = os.path.join(where, "%s_%d_%d_%d" % (tag, n, d, k))
    if os.path.exists(name + "_init.npy"):
        return name
    rng = np.random.default_rng((n, d, k, tag == "c"))
    c = max(2 * k // 3, 2)
    X, _ = make_blobs(n_samples=n, n_features=d, centers=c,
                      cluster_std=rng.uniform(0.5, 3.0, size=c),
                      center_box=(-20, 20), random_state=n + d + k)
    X = X.astype(np.float32)
    np.save(name + ".npy", X)
    np.save(name + "_init.npy", X[rng.choice(n, k, replace=False)])
    return name


def fit(build, name, algo, threads):
    out = subprocess.run(
        [os.path.join(build, "km_bench"), name + ".npy", name + "_init.npy",
         algo, str(threads), "300", "1e-4", "2"],
        capture_output=True, text=True, check=True).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    return rows[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--tags", default="b,c,h",
                    help="which shapes (b grid, c edges, h high d)")
    ap.add_argument("--out")
    args = ap.parse_args()
    tags = args.tags.split(",")
    where = os.path.join(os.environ.get("KM_BENCH_DIR", "/tmp/kmeans-bench"),
                         "auto")
    os.makedirs(where, exist_ok=True)
    out = open(args.out, "w") if args.out else sys.stdout
    print("# bench/bench_auto.py --threads %d --repeats %d: km_bench to "
          "convergence, seconds, best of %d" % (args.threads, args.repeats,
                                               args.repeats), file=out)
    print("%-18s %4s %-9s %-8s %8s %8s %8s %8s %7s %7s" % (
        "shape n_d_k", "iter", "kernel", "auto", *ALGOS, "ham/ll",
        "ham/yy"), file=out, flush=True)
    summary = []
    for tag, n, d, k in shapes():
        if tag not in tags:
            continue
        name = generate(where, tag, n, d, k)
        best = {}
        for _ in range(args.repeats):
            for algo in ALGOS + ("auto",):
                row = fit(args.build, name, algo, args.threads)
                if algo == "auto":
                    chosen = row["algorithm"]
                    continue
                best[algo] = min(best.get(algo, 1e300), row["seconds"])
                iters, kernel = row["n_iter"], row["kernel"]
        hl = best["hamerly"] / best["lloyd"]
        hy = best["hamerly"] / best["yinyang"]
        summary.append((n, d, k, kernel, chosen, best, hl, hy))
        print("%-18s %4d %-9s %-8s %8.4f %8.4f %8.4f %8.4f %7.2f %7.2f" % (
            "%d_%d_%d" % (n, d, k), iters, kernel, chosen,
            *(best[a] for a in ALGOS), hl, hy), file=out, flush=True)
    fused = [s for s in summary if s[3] != "avx2" and s[3] != "blas"]
    print("\nHamerly / Lloyd where auto runs Hamerly (the fused kernel, "
          "k >= 50, n >= 10000): %s" % " ".join(
              "%.2f" % s[6] for s in fused if s[2] >= 50 and s[0] >= 10000),
          file=out)
    print("Hamerly / Lloyd, fused kernel, k = 32, n >= 10000: %s" % " ".join(
        "%.2f" % s[6] for s in fused if s[2] == 32 and s[0] >= 10000),
        file=out)
    blas = [s for s in summary if s[3] == "blas"]
    print("Hamerly / Lloyd where auto runs Hamerly (BLAS, k >= 100, "
          "n >= 10000): %s" % " ".join(
              "%.2f" % s[6] for s in blas if s[2] >= 100 and s[0] >= 10000),
          file=out)
    print("Hamerly / Lloyd, BLAS, k < 100: %s" % " ".join(
        "%.2f" % s[6] for s in blas if s[2] < 100), file=out)
    print("Hamerly / Lloyd, the canonical kernels: %s" % " ".join(
        "%.2f" % s[6] for s in summary if s not in fused and s not in blas),
        file=out)
    print("Hamerly / Lloyd, n = 5000: %s" % " ".join(
        "%.2f" % s[6] for s in summary if s[0] == 5000), file=out)
    print("Hamerly faster than Yinyang in %d of %d shapes" % (
        sum(s[7] < 1 for s in summary), len(summary)), file=out)
    print("auto's choice the fastest of Lloyd and Hamerly in %d of %d" % (
        sum(min(("lloyd", "hamerly"), key=lambda a: s[5][a]) == s[4]
            for s in summary), len(summary)), file=out)


if __name__ == "__main__":
    main()
