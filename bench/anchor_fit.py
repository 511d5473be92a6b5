#!/usr/bin/python3
"""One timed K-Means fit by an anchor implementation, for bench/run_bench.py.

    anchor_fit.py IMPL DATA.npy INIT.npy THREADS MAX_ITER TOL [warm]

IMPL is sklearn-lloyd, sklearn-elkan or faiss.  The fit starts from the
centers in INIT; the time covers the fit alone (data already loaded).
Prints one JSON line: seconds, n_iter, inertia (recomputed exactly in
float64 from the final centers and labels, the same way for every
implementation), and the BLAS kernel in use.  With "warm", the same fit
runs once untimed first (thread pools started, code paths warmed), and
the second fit is timed.
"""
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits


def exact_inertia(X, centers):
    X64 = X.astype(np.float64)
    C64 = centers.astype(np.float64)
    best = np.full(X.shape[0], np.inf)
    for j in range(C64.shape[0]):
        d = ((X64 - C64[j]) ** 2).sum(axis=1)
        np.minimum(best, d, out=best)
    return float(best.sum())


def main():
    impl, data, init, threads, max_iter, tol = sys.argv[1:7]
    warm = len(sys.argv) > 7 and sys.argv[7] == "warm"
    threads, max_iter, tol = int(threads), int(max_iter), float(tol)
    X = np.load(data)
    C0 = np.load(init).astype(X.dtype)
    blas = [i.get("internal_api") + ":" + str(i.get("architecture"))
            for i in threadpool_info() if i.get("user_api") == "blas"]
    if impl.startswith("sklearn"):
        from sklearn.cluster import KMeans
        algo = impl.split("-", 1)[1]
        km = KMeans(n_clusters=C0.shape[0], init=C0, n_init=1,
                    max_iter=max_iter, tol=tol, algorithm=algo)
        with threadpool_limits(limits=threads):
            if warm:
                km.fit(X)
            t0 = time.perf_counter()
            km.fit(X)
            seconds = time.perf_counter() - t0
        centers, n_iter = km.cluster_centers_, int(km.n_iter_)
    elif impl == "faiss":
        import faiss
        faiss.omp_set_num_threads(threads)
        k, d = C0.shape
        Xf = np.ascontiguousarray(X, dtype=np.float32)

        def make():
            # No subsampling, no early stop: plain Lloyd iterations from C0.
            return faiss.Kmeans(d, k, niter=max_iter, verbose=False,
                                max_points_per_centroid=X.shape[0] + 1,
                                min_points_per_centroid=1, seed=1)
        if warm:
            make().train(Xf, init_centroids=np.ascontiguousarray(
                C0, np.float32))
        km = make()
        t0 = time.perf_counter()
        km.train(Xf, init_centroids=np.ascontiguousarray(C0, np.float32))
        seconds = time.perf_counter() - t0
        centers, n_iter = km.centroids, max_iter
    else:
        sys.exit("unknown implementation " + impl)
    rss = peak_rss_kb()  # before exact_inertia's temporaries
    print(json.dumps({"seconds": seconds, "n_iter": n_iter,
                      "inertia": exact_inertia(X, centers), "blas": blas,
                      "max_rss_kb": rss}))


def peak_rss_kb():
    """Peak resident memory of this process (VmHWM), in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


if __name__ == "__main__":
    main()
