#!/usr/bin/python3
"""Mini-batch K-Means benchmarks (docs/minibatch.md).

  fig96   The book's Figure 9-6: inertia and fit time of full K-Means
          (`kmeans fit`) and mini-batch K-Means (`kmeans minibatch`) for
          k = 1..100 on the book's blobs (data/blobs.csv), and for a sample
          of k on a larger set (200,000 x 2 blobs).  Two-panel PNGs in
          docs/figures/minibatch-fig9-6-*.png.
  big16   2,000,000 x 16 float32, k = 100: `kmeans fit` (one run, for the
          inertia), then `kmeans minibatch` and scikit-learn's
          MiniBatchKMeans interleaved, --repeat times; medians.
  huge    A float32 .npy of at least 4 GiB in /tmp (generated, then
          deleted): `kmeans minibatch --model` and `kmeans predict` under
          /usr/bin/time, peak resident memory reported.

Every time is the fit time reported by the tool itself (fit_seconds; for
scikit-learn the wall time of .fit()).  Run with Debian's interpreter:

    /usr/bin/python3 bench/bench_minibatch.py --kmeans build/kmeans fig96 big16 huge

fig96 runs with --fig-threads (default 1) and takes the median of --repeat
runs per point; big16 with --threads (default 0, all cores, as
scikit-learn).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def km(kmeans, *args):
    out = subprocess.run([kmeans, *args], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def make_blobs(n, d, k, seed, path, std=1.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(k, d))
    m = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, d))
    step = 1 << 20
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        m[lo:hi] = (centers[rng.integers(0, k, hi - lo)] +
                    rng.normal(scale=std, size=(hi - lo, d))).astype(dtype)
    m.flush()
    del m


# ---- Figure 9-6 -------------------------------------------------------------

def fig96_curve(kmeans, data, ks, threads, repeat):
    """Inertia (deterministic for a seed) and the median fit time of
    `repeat` runs, full and mini-batch interleaved."""
    rows = []
    for k in ks:
        ft, mt = [], []
        for _ in range(repeat):
            full = km(kmeans, "fit", data, "-k", str(k), "--seed", "42",
                      "--threads", str(threads), "--json")
            mb = km(kmeans, "minibatch", data, "-k", str(k), "--seed", "42",
                    "--threads", str(threads), "--json")
            ft.append(full["fit_seconds"])
            mt.append(mb["fit_seconds"])
        rows.append(dict(k=k, full_inertia=full["inertia"],
                         full_seconds=statistics.median(ft),
                         mb_inertia=mb["inertia"],
                         mb_seconds=statistics.median(mt),
                         mb_steps=mb["n_steps"]))
        r = rows[-1]
        print(f"  k={k:3d} full {r['full_inertia']:.6g} {r['full_seconds']*1e3:8.2f} ms"
              f"   minibatch {r['mb_inertia']:.6g} {r['mb_seconds']*1e3:8.2f} ms"
              f" ({r['mb_steps']} steps)", flush=True)
    return rows


def plot96(rows, title, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = [r["k"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(ks, [r["mb_inertia"] for r in rows], "r--", label="Mini-batch K-Means")
    a.plot(ks, [r["full_inertia"] for r in rows], "b.-", label="K-Means")
    a.set_xlabel("$k$")
    a.set_ylabel("Inertia")
    a.set_yscale("log")
    a.legend()
    a.grid(True, alpha=0.3)
    b.plot(ks, [r["mb_seconds"] for r in rows], "r--", label="Mini-batch K-Means")
    b.plot(ks, [r["full_seconds"] for r in rows], "b.-", label="K-Means")
    b.set_xlabel("$k$")
    b.set_ylabel("Fit time (seconds)")
    b.legend()
    b.grid(True, alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print("  wrote", path)


def run_fig96(a):
    figs = os.path.join(ROOT, "docs", "figures")
    os.makedirs(figs, exist_ok=True)
    res = {}
    print("Figure 9-6 on the book's blobs (2,000 x 2)")
    res["blobs"] = fig96_curve(a.kmeans, os.path.join(ROOT, "data", "blobs.csv"),
                               list(range(1, 101)), a.fig_threads, a.repeat)
    plot96(res["blobs"], "The book's blobs (2,000 x 2), --seed 42, one thread, "
           "median of %d" % a.repeat,
           os.path.join(figs, "minibatch-fig9-6-blobs.png"))
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = os.path.join(tmp, "large.npy")
        make_blobs(200_000, 2, 10, 7, path, std=1.5, dtype=np.float64)
        print("Figure 9-6 on 200,000 x 2 blobs")
        res["large"] = fig96_curve(a.kmeans, path,
                                   [1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80,
                                    90, 100], a.fig_threads, a.repeat)
    plot96(res["large"], "200,000 x 2 blobs (10 centers), --seed 42, one thread, "
           "median of %d" % a.repeat,
           os.path.join(figs, "minibatch-fig9-6-large.png"))
    return res


# ---- 2,000,000 x 16, k = 100 --------------------------------------------------

def run_big16(a):
    from sklearn.cluster import MiniBatchKMeans

    res = dict(runs=[])
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = os.path.join(tmp, "big16.npy")
        make_blobs(2_000_000, 16, 100, 3, path, std=2.0)
        X = np.load(path)
        print("2,000,000 x 16 float32, k = 100")
        full = km(a.kmeans, "fit", path, "-k", "100", "--seed", "0",
                  "--threads", str(a.threads), "--json")
        res["full"] = dict(inertia=full["inertia"], seconds=full["fit_seconds"],
                           n_iter=full["n_iter"])
        print(f"  kmeans fit: inertia {full['inertia']:.8g} in "
              f"{full['fit_seconds']:.2f} s ({full['n_iter']} iterations)",
              flush=True)
        for r in range(a.repeat):
            ours = km(a.kmeans, "minibatch", path, "-k", "100", "--seed",
                      str(r), "--threads", str(a.threads), "--json")
            t0 = time.perf_counter()
            sk = MiniBatchKMeans(n_clusters=100, batch_size=1024, n_init=1,
                                 random_state=r).fit(X)
            sk_s = time.perf_counter() - t0
            run = dict(ours_inertia=ours["inertia"],
                       ours_seconds=ours["fit_seconds"],
                       ours_steps=ours["n_steps"],
                       sk_inertia=float(sk.inertia_), sk_seconds=sk_s,
                       sk_steps=int(sk.n_steps_))
            res["runs"].append(run)
            print(f"  run {r}: kmeans minibatch {ours['inertia']:.8g} "
                  f"{ours['fit_seconds']:.3f} s ({ours['n_steps']} steps) | "
                  f"sklearn {sk.inertia_:.8g} {sk_s:.3f} s "
                  f"({sk.n_steps_} steps)", flush=True)
    rs = res["runs"]
    med = lambda key: statistics.median(r[key] for r in rs)
    res["median"] = {key: med(key) for key in rs[0]}
    m = res["median"]
    print(f"  medians: ours {m['ours_inertia']:.8g} in {m['ours_seconds']:.3f} s;"
          f" sklearn {m['sk_inertia']:.8g} in {m['sk_seconds']:.3f} s;"
          f" speed ratio {m['sk_seconds'] / m['ours_seconds']:.1f}x;"
          f" ours vs full K-Means inertia "
          f"{100 * (m['ours_inertia'] / res['full']['inertia'] - 1):+.2f}%")
    return res


# ---- >= 4 GiB float32 file ----------------------------------------------------

def timed(cmd):
    """Run cmd under GNU time; returns (stdout, peak RSS KiB, wall s)."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M %e", *cmd], check=True,
                       capture_output=True, text=True)
    last = p.stderr.strip().splitlines()[-1].split()
    return p.stdout, int(last[0]), float(last[1])


def run_huge(a):
    rows = 67_108_864 + 1024          # 16 float32 columns: just over 4 GiB
    res = {}
    tmp = tempfile.mkdtemp(dir="/tmp", prefix="kmeans-huge-")
    path = os.path.join(tmp, "huge.npy")
    try:
        t0 = time.perf_counter()
        make_blobs(rows, 16, 100, 11, path, std=2.0)
        res["bytes"] = os.path.getsize(path)
        print(f"wrote {path}: {res['bytes'] / 2**30:.3f} GiB "
              f"({rows} x 16 float32) in {time.perf_counter() - t0:.0f} s",
              flush=True)
        model = os.path.join(tmp, "huge.kmm")
        cmd = [a.kmeans, "minibatch", path, "-k", "100", "--batch-size",
               "4096", "--seed", "1", "--model", model, "--json"]
        out, kb, wall = timed(cmd)
        j = json.loads(out)
        res["minibatch"] = dict(cmd=" ".join(cmd[1:]), peak_kib=kb, wall=wall,
                                **{k: j[k] for k in ("inertia", "n_steps",
                                                     "passes", "stop_reason",
                                                     "fit_seconds",
                                                     "streamed")})
        print(f"  kmeans minibatch: peak RSS {kb / 1024:.1f} MiB, wall {wall:.1f} s,"
              f" {j['n_steps']} steps, stop {j['stop_reason']}, inertia "
              f"{j['inertia']:.8g}, streamed {j['streamed']}", flush=True)
        labels = os.path.join(tmp, "labels.npy")
        cmd = [a.kmeans, "predict", model, path, "-o", labels]
        _, kb, wall = timed(cmd)
        res["predict"] = dict(cmd=" ".join(cmd[1:]), peak_kib=kb, wall=wall)
        print(f"  kmeans predict: peak RSS {kb / 1024:.1f} MiB, wall {wall:.1f} s",
              flush=True)
    finally:
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kmeans", default=os.path.join(ROOT, "build", "kmeans"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fig-threads", type=int, default=1,
                    help="threads for Figure 9-6 (default 1: on a shared "
                         "machine, waiting OpenMP threads of tiny fits spin)")
    ap.add_argument("--out", default="/tmp/bench_minibatch.json")
    ap.add_argument("parts", nargs="+", choices=["fig96", "big16", "huge"])
    a = ap.parse_args()
    res = {}
    for part in a.parts:
        res[part] = {"fig96": run_fig96, "big16": run_big16,
                     "huge": run_huge}[part](a)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print("results in", a.out)


if __name__ == "__main__":
    sys.exit(main())
