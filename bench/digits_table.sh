#!/bin/sh
# The digits table of docs/classification.md: `kmeans classify` and
# `kmeans semisupervised` over ten random 75/25 splits (seeds 0..9), with
# scikit-learn 1.2.1 on the same splits (bench/digits_sklearn.py) run in
# the same loop; then mean and min-max of every figure.
#
#   sh bench/digits_table.sh [BUILD_DIR] [OUT_DIR]
#
# SEEDS (default "0 1 2 3 4 5 6 7 8 9") and GRID_SEEDS (seeds that also run
# the grid search over k = 2..100 with 3-fold CV, both sides; default none,
# it takes minutes per seed) may be set in the environment, and SOLVER
# (liblinear, the default, or lbfgs: multinomial by L-BFGS on both sides)
# with LOGREG_MAX_ITER (lbfgs iterations, default 10000 as in the book);
# SKLEARN=0 runs our side only (scikit-learn's lbfgs takes minutes a seed).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=${2:-bench/out}
KMEANS=$BUILD/kmeans
DATA=data/digits.csv.gz
SEEDS=${SEEDS:-"0 1 2 3 4 5 6 7 8 9"}
GRID_SEEDS=${GRID_SEEDS:-}
SOLVER=${SOLVER:-liblinear}
SKLEARN=${SKLEARN:-1}
LOGREG_MAX_ITER=${LOGREG_MAX_ITER:-10000}
LR="--solver $SOLVER"
SK="--solver $SOLVER"
if [ "$SOLVER" = lbfgs ]; then
    LR="$LR --logreg-max-iter $LOGREG_MAX_ITER"
    SK="$SK --max-iter $LOGREG_MAX_ITER"
fi
mkdir -p "$OUT"
: >"$OUT/digits_ours.jsonl"
: >"$OUT/digits_sklearn.jsonl"

for s in $SEEDS; do
    c=$("$KMEANS" classify "$DATA" --seed "$s" --clusters 50 $LR --json)
    m=$("$KMEANS" semisupervised "$DATA" --seed "$s" --labeled 50 $LR --json)
    g='{}'
    grid=
    case " $GRID_SEEDS " in *" $s "*)
        g=$("$KMEANS" classify "$DATA" --seed "$s" --clusters 2:100 --cv 3 $LR --json)
        grid=--grid ;;
    esac
    /usr/bin/python3 -c 'import json, sys
c, m, g = (json.loads(a) for a in sys.argv[1:4])
g = {k: g[k] for k in ("best_k", "best_cv_score", "test_accuracy", "seconds") if k in g}
if "seconds" in g: g["grid_seconds"] = g.pop("seconds")
r = {"seed": int(sys.argv[4])}
r.update({k: c[k] for k in ("baseline_accuracy", "pipeline_accuracy")})
r.update({k: m[k] for k in ("random", "representative", "propagated",
          "propagated_label_accuracy", "partial", "partial_label_accuracy", "n_partial")})
r.update(g)
r["seconds"] = c["seconds"] + m["seconds"]
r["solver"] = c.get("solver", "liblinear")
r["not_converged"] = c.get("logreg_not_converged", 0) + m.get("logreg_not_converged", 0)
print(json.dumps(r))' "$c" "$m" "$g" "$s" >>"$OUT/digits_ours.jsonl"
    if [ "$SKLEARN" != 0 ]; then
        /usr/bin/python3 bench/digits_sklearn.py --data "$DATA" --seed "$s" $grid $SK \
            >>"$OUT/digits_sklearn.jsonl"
    fi
    echo "seed $s done" >&2
done

/usr/bin/python3 - "$OUT/digits_ours.jsonl" "$OUT/digits_sklearn.jsonl" <<'PY'
import json, sys
rows = [[json.loads(l) for l in open(p)] for p in sys.argv[1:3]]
keys = [("baseline_accuracy", "logistic regression, 64 pixels"),
        ("pipeline_accuracy", "K-Means k=50 distances + logistic regression"),
        ("test_accuracy", "grid search k=2..100 (3-fold CV), test"),
        ("best_k", "grid search: chosen k"),
        ("random", "50 random labels"),
        ("representative", "50 representatives"),
        ("propagated", "full propagation"),
        ("propagated_label_accuracy", "full propagation: labels right"),
        ("partial", "partial propagation (20%)"),
        ("partial_label_accuracy", "partial propagation: labels right"),
        ("seconds", "seconds per seed (classify k=50 + semisupervised)"),
        ("not_converged", "logistic regression fits not converged per seed")]
def cell(rs, k):
    v = [r[k] for r in rs if k in r]
    if not v:
        return "-"
    if k == "best_k":
        return "%s (n=%d)" % (", ".join(str(x) for x in v), len(v))
    if k in ("seconds", "not_converged"):
        v = sorted(v)
        return "%.3g median (%.3g-%.3g, n=%d)" % (v[len(v) // 2], v[0], v[-1], len(v))
    return "%.1f%% (%.1f-%.1f, n=%d)" % (100 * sum(v) / len(v), 100 * min(v), 100 * max(v), len(v))
print("solver: %s" % rows[0][0].get("solver", "liblinear"))
print("| | kmeans: mean (min-max) | scikit-learn 1.2.1: mean (min-max) |")
print("|---|---|---|")
for k, name in keys:
    print("| %s | %s | %s |" % (name, cell(rows[0], k), cell(rows[1], k)))
PY
