#!/bin/sh
# Help, version and the demo.
TEST_NAME=help
. "${KM_SRC:?}/tests/cli/cli_lib.sh"

# ---- version ----------------------------------------------------------------------
expect_ok "--version" "$KMEANS" --version
check "--version format" grep -q '^kmeans [0-9][0-9.]* (libkmeans [0-9][0-9.]*)$' out

# ---- overview -------------------------------------------------------------------------
expect_ok "help" "$KMEANS" help
for cmd in fit predict transform score info centers demo help; do
    check "overview lists $cmd" grep -q "^  $cmd " out
done
cp out overview.txt
expect_ok "--help" "$KMEANS" --help
check "--help = help" cmp -s out overview.txt

# ---- every option of every command, with its default ------------------------------------
# check_help CMD OPTION...: `kmeans help CMD` and `kmeans CMD --help` agree and
# list every OPTION.
check_help() {
    cmd=$1
    shift
    expect_ok "help $cmd" "$KMEANS" help "$cmd"
    cp out "help_$cmd.txt"
    out_has "help $cmd usage line" "usage: kmeans $cmd"
    for opt in "$@" --help; do
        check "help $cmd lists $opt" grep -qe "$opt\\b" "help_$cmd.txt"
    done
    expect_ok "$cmd --help" "$KMEANS" "$cmd" --help
    check "$cmd --help = help $cmd" cmp -s out "help_$cmd.txt"
    expect_ok "$cmd -h" "$KMEANS" "$cmd" -h
    check "$cmd -h = help $cmd" cmp -s out "help_$cmd.txt"
}
check_help fit -k --clusters --init --n-init --max-iter --tol --algorithm \
    --seed --threads --weights --dtype --model --labels --centers --json \
    --verbose
check_help predict -o --output --threads --json
check_help transform -o --output --threads --json
check_help score --weights --threads --json
check_help info --json
check_help centers -o --output
check_help demo --threads

# Defaults are stated in the help.
for text in "default 8" "default k-means++" "default auto" "default 300" \
    "default 1e-4" "default 0" "float32 or float64" "k-means++, k-means||, random"; do
    check "help fit states '$text'" grep -qF "$text" help_fit.txt
done
# --help wins over other arguments and needs no input.
expect_ok "fit --help with other options" "$KMEANS" fit missing.csv -k 0 --help
check "fit --help prints help" grep -q "usage: kmeans fit" out

# ---- demo -------------------------------------------------------------------------------
expect_ok "demo" "$KMEANS" demo
cp out demo.txt
for text in "inertia    211.6     211.6" "score     -211.6    -211.6" \
    "k=3    653.2     653.2" "Same labels for every point." "book"; do
    check "demo shows '$text'" grep -qF -- "$text" demo.txt
done
# The book's centers appear in our list (in some order).
for c in "(-2.80,  1.80)" "( 0.21,  2.26)" "(-2.79,  2.80)" "(-1.47,  2.29)" "(-2.80,  1.30)"; do
    check "demo center $c" grep -qF -- "$c" demo.txt
done
# The book's predictions for X_new: two pairs of clusters.
check "demo predicts (0, 2) and (3, 2) alike" [ "$(grep -F '( 0.0,  2.0)   ' demo.txt | head -n 1 | awk '{ print $3 }')" = \
    "$(grep -F '( 3.0,  2.0)   ' demo.txt | head -n 1 | awk '{ print $3 }')" ]
expect_ok "demo --threads 1" "$KMEANS" demo --threads 1
check "demo is deterministic across thread counts" cmp -s out demo.txt

finish
