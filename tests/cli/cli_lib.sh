# cli_lib.sh - helpers shared by the tests/cli/test_*.sh scripts (POSIX sh).
#
# Set TEST_NAME, then source it:  TEST_NAME=fit; . "$KM_SRC/tests/cli/cli_lib.sh"
# The environment (set by CTest) gives KMEANS (the binary), KM_SRC (the
# source root) and KM_TEST_TMP (a scratch directory).  Each script works in
# its own empty directory $T and ends with `finish`.

set -u

if [ -z "${KMEANS:-}" ] || [ -z "${KM_SRC:-}" ] || [ -z "${KM_TEST_TMP:-}" ]; then
    echo "set KMEANS, KM_SRC and KM_TEST_TMP (CTest does)" >&2
    exit 2
fi
case $KMEANS in /*) ;; *) KMEANS=$(pwd)/$KMEANS ;; esac

: "${TEST_NAME:?set TEST_NAME before sourcing cli_lib.sh}"
T=$KM_TEST_TMP/$TEST_NAME
rm -rf "$T"
mkdir -p "$T" || exit 2
cd "$T" || exit 2

BLOBS=$KM_SRC/data/blobs.csv
PASS=0
FAIL=0

# Debian's Python with NumPy, for writing .npy inputs and reading JSON;
# tests that need it are skipped when it is missing.
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then
    HAVE_NUMPY=1
else
    HAVE_NUMPY=0
fi

pass() { PASS=$((PASS + 1)); }
fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL: $*"
}
show() { sed 's/^/    | /' "$1" | head -n 20; }

# check DESC COMMAND...: COMMAND (a test such as [ ... ]) succeeds.
check() {
    desc=$1
    shift
    if "$@"; then pass; else fail "$desc"; fi
}

# run COMMAND...: stdout in ./out, stderr in ./err, exit status in $RC.
run() {
    "$@" >out 2>err
    RC=$?
}

# expect_ok DESC COMMAND...: exits 0 with nothing on stderr.
expect_ok() {
    desc=$1
    shift
    run "$@"
    if [ "$RC" -ne 0 ]; then
        fail "$desc: exit $RC, expected 0"
        show err
    elif [ -s err ]; then
        fail "$desc: unexpected stderr"
        show err
    else
        pass
    fi
}

# expect_fail DESC CODE TEXT COMMAND...: exits CODE, prints nothing on
# stdout, and stderr is one "kmeans ..." message containing TEXT.
expect_fail() {
    desc=$1 code=$2 text=$3
    shift 3
    run "$@"
    if [ "$RC" -ne "$code" ]; then
        fail "$desc: exit $RC, expected $code"
        show err
    elif ! head -n 1 err | grep -q '^kmeans[ :]'; then
        fail "$desc: message does not start with 'kmeans'"
        show err
    elif ! grep -qF -- "$text" err; then
        fail "$desc: stderr lacks '$text'"
        show err
    elif [ -s out ]; then
        fail "$desc: printed on stdout"
        show out
    else
        pass
    fi
}

# out_has DESC TEXT / err_has DESC TEXT: the last run's output contains TEXT.
out_has() {
    if grep -qF -- "$2" out; then pass; else
        fail "$1: stdout lacks '$2'"
        show out
    fi
}
err_has() {
    if grep -qF -- "$2" err; then pass; else
        fail "$1: stderr lacks '$2'"
        show err
    fi
}

# json_get FILE EXPR: print a value of the JSON object in FILE, EXPR being a
# Python expression on it named j (e.g. "j['inertia']", "len(j['centers'])").
json_get() {
    "$PY" -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (bool, list, dict)) or v is None else repr(v))' "$1" "$2"
}

# json_keys DESC FILE KEY...: FILE holds one JSON object with every KEY.
json_keys() {
    desc=$1 file=$2
    shift 2
    if [ -x "$PY" ]; then
        missing=$("$PY" -c 'import json, sys
try:
    j = json.loads(open(sys.argv[1]).read())
except ValueError as e:
    print("not JSON: %s" % e); sys.exit(0)
if not isinstance(j, dict):
    print("not an object"); sys.exit(0)
print(" ".join(k for k in sys.argv[2:] if k not in j))' "$file" "$@")
    else
        missing=
        for k in "$@"; do grep -q "\"$k\":" "$file" || missing="$missing $k"; done
    fi
    if [ -z "$missing" ]; then pass; else
        fail "$desc: JSON lacks: $missing"
        show "$file"
    fi
}

# close DESC A B [RTOL]: numbers A and B agree to a relative tolerance.
close() {
    if awk -v a="$2" -v b="$3" -v t="${4:-1e-12}" 'BEGIN {
        d = a - b; if (d < 0) d = -d
        m = a < 0 ? -a : a; if ((b < 0 ? -b : b) > m) m = (b < 0 ? -b : b)
        exit !(d <= t * m)
    }'; then pass; else fail "$1: $2 and $3 differ"; fi
}

# csv_shape FILE: "ROWS COLS" of a comma-separated file.
csv_shape() {
    awk -F, 'NF { n++; c = NF } END { print n + 0, c + 0 }' "$1"
}

# npy_info FILE: "dtype shape" of a .npy file, e.g. "float32 (5, 2)".
npy_info() {
    "$PY" -c 'import numpy, sys
a = numpy.load(sys.argv[1])
print(a.dtype, a.shape)' "$1"
}

# csv_to_npy CSV NPY [DTYPE]: write CSV's numbers as a 2-D .npy.
csv_to_npy() {
    "$PY" -c 'import numpy, sys
a = numpy.loadtxt(sys.argv[1], delimiter=",", ndmin=2).astype(sys.argv[3])
numpy.save(sys.argv[2], a)' "$1" "$2" "${3:-float64}"
}

# no_temp_files DESC DIR: nothing but the named files is left in DIR.
only_files() {
    desc=$1 dir=$2
    shift 2
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    got=$(ls -A "$dir" | sort | tr '\n' ' ')
    if [ "$want" = "$got" ]; then pass; else
        fail "$desc: $dir holds '$got', expected '$want'"
    fi
}

finish() {
    echo "cli $TEST_NAME: $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit $?
}
