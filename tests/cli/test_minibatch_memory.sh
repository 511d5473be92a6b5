#!/bin/sh
# Bounded memory: `kmeans minibatch --stream` and `kmeans predict` on a
# 128 MiB float32 .npy keep their peak resident memory (getrusage
# ru_maxrss of the child) under 48 MiB, so they do not hold the file.
# Reading the file whole (or mapping it and touching every page, as the
# final pass does) would put the peak above 128 MiB.
TEST_NAME=minibatch_memory
. "${KM_SRC:?}/tests/cli/cli_lib.sh"

if [ "$HAVE_NUMPY" != 1 ]; then
    echo "cli minibatch_memory: skipped (needs numpy to write the file)"
    finish
fi

ROWS=2097152
LIMIT_KB=49152
# AddressSanitizer's shadow memory and quarantine of freed blocks make the
# resident size meaningless: a sanitized binary runs the same commands (on
# a smaller file) without the limit.
SANITIZED=0
if command -v ldd >/dev/null 2>&1 && ldd "$KMEANS" 2>/dev/null | grep -q libasan; then
    SANITIZED=1
    ROWS=262144
    echo "cli minibatch_memory: sanitized build, RSS limit not checked"
fi
# Blobs around 20 centers, written 64 Ki rows at a time.
"$PY" -c '
import numpy as np, sys
n, d = int(sys.argv[1]), 16
rng = np.random.default_rng(0)
centers = rng.uniform(-10, 10, size=(20, d)).astype(np.float32)
m = np.lib.format.open_memmap("big.npy", mode="w+", dtype=np.float32, shape=(n, d))
for lo in range(0, n, 65536):
    hi = min(n, lo + 65536)
    m[lo:hi] = centers[rng.integers(0, 20, hi - lo)] + rng.normal(size=(hi - lo, d)).astype(np.float32)
m.flush()
' "$ROWS" || { fail; echo "FAIL: cannot write big.npy"; finish; }
check "big.npy holds the rows" [ "$(wc -c <big.npy | tr -d ' ')" -ge $((ROWS * 64)) ]

# under_limit KB: the limit holds (always, in a sanitized build)
under_limit() { [ "$SANITIZED" = 1 ] || [ "$1" -lt "$LIMIT_KB" ]; }

# peak KMEANS ARGS...: run, then print the child's peak RSS in KiB on fd 3.
peak() {
    "$PY" -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdout=open("out", "w"), stderr=open("err", "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$@"
}

KB=$(peak "$KMEANS" minibatch big.npy -k 20 --stream --seed 1 --max-iter 1 \
    --model big.kmm --json)
RC=$?
check "minibatch exits 0" [ "$RC" = 0 ]
check "streamed" [ "$(json_get out "j['streamed']")" = true ]
check "exact inertia from the streamed final pass" [ "$(json_get out "j['inertia_exact']")" = true ]
echo "cli minibatch_memory: minibatch peak RSS ${KB} KiB"
check "minibatch peak RSS ${KB} KiB < ${LIMIT_KB} KiB" under_limit "$KB"

KB=$(peak "$KMEANS" predict big.kmm big.npy -o labels.npy)
RC=$?
check "predict exits 0" [ "$RC" = 0 ]
check "labels written" [ "$(npy_info labels.npy)" = "int32 ($ROWS,)" ]
echo "cli minibatch_memory: predict peak RSS ${KB} KiB"
check "predict peak RSS ${KB} KiB < ${LIMIT_KB} KiB" under_limit "$KB"

KB=$(peak "$KMEANS" score big.kmm big.npy)
check "score peak RSS ${KB} KiB < ${LIMIT_KB} KiB" under_limit "$KB"

rm -f big.npy labels.npy
finish
