#!/usr/bin/python3
"""The K-Means benchmark: kmeans against scikit-learn and FAISS.

    /usr/bin/python3 bench/run_bench.py [--build build] [--workloads W1,W3]
        [--repeats 3] [--iters 10] [--threads 1,2] [--no-converge]
        [--converge W3,W4] [--converge-threads 1,2] [--no-fixed]
        [--report docs/performance.md] [--json R.json --chart R.png]

For each workload (W1-W6 of the speed issue) it generates the data and one
set of initial centers (seeded, cached in $KM_BENCH_DIR or /tmp/kmeans-bench),
then times, interleaved and in the same run, kmeans (build/km_bench), and
scikit-learn and FAISS (bench/anchor_fit.py) from those centers:
  - a fixed number of Lloyd iterations (tol 0): time per iteration;
  - to convergence (tol 1e-4): kmeans' `auto` against scikit-learn's
    default (lloyd), time and final inertia, on the last of --threads or
    on each of --converge-threads.
Each measurement runs in its own process (so peak resident memory is the
fit's), `--repeats` times; medians are reported.  It also measures this
machine's single-thread sgemm rate and memory bandwidth (numpy) and gives
each time as a multiple of the hardware bound
max(2 n k d / sgemm rate, n d 4 bytes / bandwidth).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (description, n, d, k)
WORKLOADS = {
    "W1": ("blobs", 1_000_000, 2, 5),
    "W2": ("photo colors", 273_280, 3, 8),
    "W3": ("digits", 1_797, 64, 50),
    "W4": ("mid", 200_000, 32, 100),
    "W5": ("vector quantization", 100_000, 128, 1000),
    "W6": ("large", 2_000_000, 16, 100),
}


def cache_dir():
    d = os.environ.get("KM_BENCH_DIR", "/tmp/kmeans-bench")
    os.makedirs(d, exist_ok=True)
    return d


def make_data(name):
    """DATA.npy (float32) and INIT.npy for a workload, made once."""
    desc, n, d, k = WORKLOADS[name]
    base = os.path.join(cache_dir(), name)
    data, init = base + ".npy", base + "_init.npy"
    if os.path.exists(data) and os.path.exists(init):
        return data, init
    rng = np.random.default_rng(int(name[1:]))
    if name == "W2":
        from PIL import Image
        img = np.asarray(Image.open(os.path.join(ROOT, "data", "flower.jpg")))
        X = (img.reshape(-1, 3).astype(np.float32) / np.float32(255))
    elif name == "W3":
        raw = np.loadtxt(os.path.join(ROOT, "data", "digits.csv.gz"),
                         delimiter=",")
        X = raw[:, :64].astype(np.float32)
    else:
        from sklearn.datasets import make_blobs
        X, _ = make_blobs(n_samples=n, n_features=d,
                          centers=k if name != "W1" else 5,
                          cluster_std=1.0 if name != "W5" else 3.0,
                          random_state=int(name[1:]))
        X = X.astype(np.float32)
    assert X.shape == (n, d), (name, X.shape)
    C0 = X[rng.choice(X.shape[0], size=k, replace=False)]
    np.save(data, np.ascontiguousarray(X))
    np.save(init, np.ascontiguousarray(C0))
    return data, init


def run(cmd):
    """Run one measurement process: its last JSON line (which includes the
    process's own peak resident memory, max_rss_kb, read from VmHWM)."""
    # Let the previous process's teardown (freeing hundreds of MiB on the
    # other core) finish first: it stalls two-thread runs of small problems.
    time.sleep(SETTLE)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("failed (%d): %s" % (proc.returncode,
                                                " ".join(cmd)))
    rows = [json.loads(line) for line in proc.stdout.splitlines()
            if line.strip()]
    return rows[-1]


SETTLE = 0.5
WARM = False


def measure(impl, data, init, threads, iters, tol, build):
    """One timed fit in a fresh process; with WARM, the process first runs
    the same fit untimed (every implementation alike), so that starting
    its thread pool is not in the time."""
    if impl == "kmeans":
        algo = "lloyd" if tol == 0 else "auto"
        cmd = [os.path.join(build, "km_bench"), data, init, algo,
               str(threads), str(iters), repr(tol), "2" if WARM else "1"]
    else:
        cmd = [sys.executable, os.path.join(HERE, "anchor_fit.py"), impl,
               data, init, str(threads), str(iters), repr(tol)]
        if WARM:
            cmd.append("warm")
    return run(cmd)


def sgemm_rate():
    from threadpoolctl import threadpool_limits
    a = np.random.default_rng(0).standard_normal((2048, 2048), np.float32)
    with threadpool_limits(limits=1):
        a @ a
        best = min(timed(lambda: a @ a) for _ in range(3))
    return 2 * 2048 ** 3 / best


def bandwidth():
    a = np.ones(64 << 20, np.float32)  # 256 MiB
    b = np.empty_like(a)
    best = min(timed(lambda: np.copyto(b, a)) for _ in range(3))
    return 2 * a.nbytes / best  # read + write


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def blas_kernel():
    from threadpoolctl import threadpool_info
    return ", ".join("%s %s (%s)" % (i.get("internal_api"), i.get("version"),
                                     i.get("architecture"))
                     for i in threadpool_info() if i.get("user_api") == "blas")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-converge", action="store_true")
    ap.add_argument("--settle", type=float, default=0.5,
                    help="seconds of pause before each measurement")
    ap.add_argument("--warm", action="store_true",
                    help="time each implementation's second fit in its "
                    "process (the first, identical, untimed)")
    ap.add_argument("--bind", action="store_true",
                    help="set OMP_PROC_BIND=true for every implementation")
    ap.add_argument("--converge", default="W1,W2,W3,W4",
                    help="workloads also timed to convergence")
    ap.add_argument("--converge-threads", default=None,
                    help="thread counts of the convergence runs (default: "
                    "the last of --threads)")
    ap.add_argument("--no-fixed", action="store_true",
                    help="skip the fixed-iteration runs")
    ap.add_argument("--anchors", default="sklearn-lloyd,sklearn-elkan,faiss")
    ap.add_argument("--report", default=None,
                    help="write the Markdown report here")
    ap.add_argument("--json", default=None, help="write all raw results here")
    ap.add_argument("--chart", default=None,
                    help="draw the speedups into this PNG (bench_chart.py; "
                    "needs --json)")
    args = ap.parse_args()
    global SETTLE, WARM
    SETTLE = args.settle
    WARM = args.warm
    if args.bind:
        os.environ["OMP_PROC_BIND"] = "true"

    names = args.workloads.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    conv_threads = ([int(t) for t in args.converge_threads.split(",")]
                    if args.converge_threads else threads[-1:])
    anchors = [a for a in args.anchors.split(",") if a]
    impls = ["kmeans"] + anchors
    peak, bw = sgemm_rate(), bandwidth()
    env = {"date": datetime.date.today().isoformat(),
           "cpu": cpu_name(), "cores": os.cpu_count(),
           "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
           "OMP_PROC_BIND": os.environ.get("OMP_PROC_BIND"),
           "warm": args.warm,
           "blas": blas_kernel(), "sgemm_gflops_1thread": peak / 1e9,
           "bandwidth_gbs_1thread": bw / 1e9}
    print("# machine:", json.dumps(env), flush=True)

    results = []
    for name in names:
        desc, n, d, k = WORKLOADS[name]
        data, init = make_data(name)
        bound = max(2.0 * n * k * d / peak, 4.0 * n * d / bw)
        runs = {}
        # Fixed iterations, interleaved: every implementation and thread
        # count once per repetition.
        for rep in range(0 if args.no_fixed else args.repeats):
            for t in threads:
                for impl in impls:
                    row = measure(impl, data, init, t, args.iters, 0.0,
                                  args.build)
                    runs.setdefault((impl, t), []).append(row)
        for (impl, t), rows in runs.items():
            per_iter = statistics.median(r["seconds"] / r["n_iter"]
                                         for r in rows)
            results.append({"workload": name, "mode": "fixed", "impl": impl,
                            "threads": t, "per_iter": per_iter,
                            "n_iter": rows[0]["n_iter"],
                            "inertia": rows[0]["inertia"],
                            "max_rss_kb": rows[0].get("max_rss_kb"),
                            "kernel": rows[0].get("kernel"),
                            "bound": bound})
            print("%s fixed %-14s t=%d  %9.3f ms/iter  %.1fx bound  "
                  "inertia %.10g" % (name, impl, t, per_iter * 1e3,
                                     per_iter / bound, rows[0]["inertia"]),
                  flush=True)
        if (args.no_converge or "sklearn-lloyd" not in anchors
                or name not in args.converge.split(",")):
            continue
        conv = {}
        for rep in range(args.repeats):
            for t in conv_threads:
                for impl in ("kmeans", "sklearn-lloyd"):
                    row = measure(impl, data, init, t, 300, 1e-4,
                                  args.build)
                    conv.setdefault((impl, t), []).append(row)
        for (impl, t), rows in conv.items():
            secs = statistics.median(r["seconds"] for r in rows)
            results.append({"workload": name, "mode": "converge",
                            "impl": impl, "threads": t,
                            "seconds": secs, "n_iter": rows[0]["n_iter"],
                            "inertia": rows[0]["inertia"],
                            "algorithm": rows[0].get("algorithm")})
            print("%s converge %-14s t=%d %9.3f s  %d iters  inertia %.10g"
                  % (name, impl, t, secs, rows[0]["n_iter"],
                     rows[0]["inertia"]), flush=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": env, "results": results}, f, indent=1)
    report = render(env, results, names, threads, anchors, args)
    print(report)
    if args.report:
        with open(args.report, "w") as f:
            f.write(report)
    if args.chart and args.json:
        subprocess.run([sys.executable, os.path.join(HERE, "bench_chart.py"),
                        args.json, args.chart], check=True)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def render(env, results, names, threads, anchors, args):
    out = []
    out.append("Measured %s on %s (%d cores), %s; sgemm %.0f GFLOP/s and "
               "copy bandwidth %.1f GB/s on one thread (numpy); "
               "OPENBLAS_CORETYPE=%s.\n" % (
                   env["date"], env["cpu"], env["cores"], env["blas"],
                   env["sgemm_gflops_1thread"], env["bandwidth_gbs_1thread"],
                   env["OPENBLAS_CORETYPE"]))
    flags = "".join(f for f, on in ((" --warm", args.warm),
                                      (" --bind", args.bind)) if on)
    if args.settle != 0.5:
        flags += " --settle %g" % args.settle
    out.append("Command: `/usr/bin/python3 bench/run_bench.py --repeats %d "
               "--iters %d --threads %s --workloads %s --converge %s%s`; "
               "float32; medians of %d runs, each in its own process%s.\n" % (
                   args.repeats, args.iters, args.threads, args.workloads,
                   args.converge, flags, args.repeats,
                   " (its second fit timed, the first untimed)"
                   if args.warm else ""))
    out.append("### Time per Lloyd iteration (tol 0, %d iterations, same "
               "initial centers)\n" % args.iters)
    head = "| workload | threads | kmeans (kernel) | " + " | ".join(anchors) + \
        " | fastest anchor / kmeans | kmeans / bound | peak RSS kmeans / anchors |"
    out.append(head)
    out.append("|" + "---|" * (head.count("|") - 1))
    for name in names:
        desc, n, d, k = WORKLOADS[name]
        for t in threads:
            row = {r["impl"]: r for r in results if r["workload"] == name
                   and r["mode"] == "fixed" and r["threads"] == t}
            if "kmeans" not in row:
                continue
            ours = row["kmeans"]["per_iter"]
            kern = row["kmeans"].get("kernel")
            cells = ["%.3g ms" % (row[a]["per_iter"] * 1e3) if a in row
                     else "-" for a in anchors]
            fastest = min((row[a]["per_iter"] for a in anchors if a in row),
                          default=None)
            rss_all = " / ".join("%.0f" % (row[i]["max_rss_kb"] / 1024)
                                 for i in ["kmeans"] + anchors if i in row)
            out.append("| %s %s %dx%d k=%d | %d | %.3g ms%s | %s | %s | %.1fx | "
                       "%s MiB |" % (name, desc, n, d, k, t, ours * 1e3,
                                     " (%s)" % kern if kern else "",
                                     " | ".join(cells),
                                     "%.1fx" % (fastest / ours)
                                     if fastest else "-",
                                     ours / row["kmeans"]["bound"], rss_all))
    conv = [r for r in results if r["mode"] == "converge"]
    if conv:
        out.append("\n### To convergence (tol 1e-4, max_iter 300): kmeans "
                   "`auto` against scikit-learn's default (lloyd)\n")
        out.append("| workload | threads | kmeans | iters | scikit-learn | "
                   "iters | speedup | inertia (kmeans / scikit-learn - 1) |")
        out.append("|---|---|---|---|---|---|---|---|")
        for name in names:
            for t in sorted({r["threads"] for r in conv}):
                row = {r["impl"]: r for r in conv
                       if r["workload"] == name and r["threads"] == t}
                if len(row) < 2:
                    continue
                a, b = row["kmeans"], row["sklearn-lloyd"]
                out.append("| %s | %d | %.3g s | %d | %.3g s | %d | %.1fx | "
                           "%.1e |" % (
                               name + (" (%s)" % a["algorithm"]
                                       if a.get("algorithm") else ""), t,
                               a["seconds"], a["n_iter"], b["seconds"],
                               b["n_iter"], b["seconds"] / a["seconds"],
                               a["inertia"] / b["inertia"] - 1))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
