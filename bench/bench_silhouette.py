#!/usr/bin/python3
"""Silhouette speed and memory: `kmeans silhouette` against scikit-learn's
silhouette_score, measured in the same run, interleaved; and the time of
`kmeans choose-k` over k = 2..10 on the book's blobs.

    /usr/bin/python3 bench/bench_silhouette.py [--kmeans build/kmeans] [--runs 3]

Each measurement is a separate process run under GNU time, which gives its
wall and CPU time and peak resident memory.  scikit-learn's time is that of the
silhouette_score call alone (data already loaded; wall and CPU time of the
call, from inside the process); ours is the whole command (reading the .npy
files included).  The "baseline" row is a Python process that imports
scikit-learn and loads the same data without scoring: the memory
scikit-learn's scoring adds is its peak minus that.  Medians of
--runs runs.  The machine is shared: compare the columns of one run, not
runs made at different times.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import sklearn
from sklearn.datasets import make_blobs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SKLEARN_CHILD = r"""
import sys, time, numpy as np
from sklearn.metrics import silhouette_score
X = np.load(sys.argv[1]); y = np.load(sys.argv[2])
if sys.argv[3] == "score":
    t, c = time.perf_counter(), time.process_time()
    s = silhouette_score(X, y)
    print(time.perf_counter() - t, time.process_time() - c, repr(float(s)))
else:
    print(0.0, 0.0, "nan")
"""


def run_child(argv):
    """(wall s, CPU s, peak RSS MiB, stdout) of one child process, measured
    by GNU time: a child forked from this Python process would count the
    parent's memory in its ru_maxrss until it execs."""
    p = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + argv,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed: {p.stderr}")
    wall, user, sys_t, rss = p.stderr.strip().splitlines()[-1].split()
    return (float(wall), float(user) + float(sys_t), float(rss) / 1024.0,
            p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kmeans", default=os.path.join(ROOT, "build", "kmeans"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, {args.runs} runs (medians)")

    cases = [("20000 x 8, 10 clusters", 20000, 8, 10),
             ("50000 x 2, 5 clusters", 50000, 2, 5)]
    with tempfile.TemporaryDirectory() as tmp:
        child = os.path.join(tmp, "sk_child.py")
        with open(child, "w") as f:
            f.write(SKLEARN_CHILD)
        for title, n, d, k in cases:
            X, y = make_blobs(n_samples=n, n_features=d, centers=k,
                              random_state=0)
            xp = os.path.join(tmp, "X.npy")
            yp = os.path.join(tmp, "y.npy")
            np.save(xp, X)
            np.save(yp, y.astype(np.int32))
            sk_t, sk_m, ours_t, ours_m, base_m = [], [], [], [], []
            ours_cpu, sk_cpu = [], []
            scores = set()
            for _ in range(args.runs):
                # Interleaved: anchor, ours, baseline, in each round.
                _, _, m, out = run_child([sys.executable, child, xp, yp,
                                          "score"])
                t, c, s = out.split()
                sk_t.append(float(t))
                sk_cpu.append(float(c))
                sk_m.append(m)
                w, c, m, out = run_child([args.kmeans, "silhouette", xp,
                                          "--labels", yp, "--json"])
                ours_t.append(w)
                ours_cpu.append(c)
                ours_m.append(m)
                ours_score = json.loads(out)["score"]
                scores.add((float(s), ours_score))
                _, _, m, _ = run_child([sys.executable, child, xp, yp, "base"])
                base_m.append(m)
            skt, ot = statistics.median(sk_t), statistics.median(ours_t)
            skm, om = statistics.median(sk_m), statistics.median(ours_m)
            bm = statistics.median(base_m)
            s_sk, s_ours = scores.pop()
            print(f"\n{title}")
            print(f"  {'':28s} {'time (s)':>9s} {'peak RSS (MiB)':>15s}")
            print(f"  {'scikit-learn silhouette_score':28s} {skt:9.3f} "
                  f"{skm:15.1f}   (CPU {statistics.median(sk_cpu):.3f} s)")
            print(f"  {'  (Python + data, no scoring)':28s} {'':9s} "
                  f"{bm:15.1f}")
            print(f"  {'kmeans silhouette':28s} {ot:9.3f} {om:15.1f}"
                  f"   (CPU {statistics.median(ours_cpu):.3f} s)")
            skc, oc = statistics.median(sk_cpu), statistics.median(ours_cpu)
            print(f"  speed-up {skt / ot:.1f}x (CPU time {skc / oc:.1f}x); "
                  f"memory scikit-learn adds "
                  f"{skm - bm:.0f} MiB, kmeans uses {om:.0f} MiB in all")
            print(f"  scores: scikit-learn {s_sk!r}, kmeans {s_ours!r} "
                  f"(difference {abs(s_sk - s_ours):.1e})")

        blobs = os.path.join(ROOT, "data", "blobs.csv")
        times = []
        for _ in range(max(args.runs, 5)):
            w, _, _, _ = run_child([args.kmeans, "choose-k", blobs, "--k",
                                    "2:10", "--json"])
            times.append(w)
        print(f"\nkmeans choose-k data/blobs.csv --k 2:10 (2000 x 2; fits "
              f"and scores for 9 values of k): median {statistics.median(times):.3f} s "
              f"(min {min(times):.3f}, max {max(times):.3f})")


if __name__ == "__main__":
    main()
