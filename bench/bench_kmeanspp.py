#!/usr/bin/python3
"""k-means++ seeding time: kmeans against scikit-learn, and in Lloyd iterations.

    /usr/bin/python3 bench/bench_kmeanspp.py [--build build] [--workloads W3,W4]
        [--repeats 3] [--threads 1,2]

For each workload of bench/run_bench.py (data cached in $KM_BENCH_DIR or
/tmp/kmeans-bench; run run_bench.py once first to make them), times,
interleaved, each in its own process, which first runs the same thing once
untimed (as run_bench.py --warm: starting thread pools is not timed):
  - kmeans' greedy k-means++ seeding alone (build/km_bench DATA k-means++:K
    seed), K the workload's k, OMP_NUM_THREADS threads;
  - one brute-force Lloyd iteration of kmeans (10 iterations from the
    workload's initial centers, tol 0, divided by 10);
  - scikit-learn's sklearn.cluster.kmeans_plusplus (same number of local
    trials, 2 + ln k), under threadpool_limits;
  - kmeans' k-means|| seeding alone (km_bench DATA k-means++:K seedpar).
Prints the medians, the seedings in kmeans Lloyd iterations and the
speedup over scikit-learn.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
K = {"W1": 5, "W2": 8, "W3": 50, "W4": 100, "W5": 1000, "W6": 100}

SKLEARN = r"""
import sys, time, json
import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.cluster import kmeans_plusplus
X = np.load(sys.argv[1]); k = int(sys.argv[2]); t = int(sys.argv[3])
with threadpool_limits(limits=t):
    kmeans_plusplus(X, k, random_state=0)
    t0 = time.perf_counter()
    kmeans_plusplus(X, k, random_state=0)
    print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def run(cmd, threads):
    time.sleep(0.5)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--workloads", default="W3,W4,W5,W6")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    cache = os.environ.get("KM_BENCH_DIR", "/tmp/kmeans-bench")
    kb = os.path.join(args.build, "km_bench")
    print("| workload | threads | kmeans seeding | kmeans Lloyd iteration "
          "| seeding / iteration | scikit-learn kmeans_plusplus | speedup "
          "| kmeans k-means\\|\\| | k-means\\|\\| / iteration |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w in args.workloads.split(","):
        data = os.path.join(cache, w + ".npy")
        init = os.path.join(cache, w + "_init.npy")
        k = K[w]
        for t in [int(x) for x in args.threads.split(",")]:
            seed, it, sk, par = [], [], [], []
            for _ in range(args.repeats):
                seed.append(run([kb, data, "k-means++:%d" % k, "seed", "1",
                                 "1", "0", "2"], t))
                par.append(run([kb, data, "k-means++:%d" % k, "seedpar", "1",
                                "1", "0", "2"], t))
                it.append(run([kb, data, init, "lloyd", str(t), "10", "0",
                               "2"], t) / 10)
                sk.append(run([sys.executable, "-c", SKLEARN, data, str(k),
                               str(t)], t))
            s, i, q, pl = (statistics.median(v) for v in (seed, it, sk, par))
            print("| %s k=%d | %d | %.3g s | %.3g ms | %.1f | %.3g s | "
                  "%.1fx | %.3g s | %.1f |"
                  % (w, k, t, s, i * 1e3, s / i, q, q / s, pl, pl / i),
                  flush=True)


if __name__ == "__main__":
    main()
