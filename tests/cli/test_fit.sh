#!/bin/sh
# `kmeans fit`: inputs (CSV, .npy, stdin), outputs, JSON keys, options.
TEST_NAME=fit
. "${KM_SRC:?}/tests/cli/cli_lib.sh"

# ---- CSV in, every output ---------------------------------------------------
expect_ok "fit csv with model, labels, centers" \
    "$KMEANS" fit "$BLOBS" -k 5 --seed 42 --model blobs.kmm \
    --labels labels.csv --centers centers.csv
out_has "summary" "fitted k=5 on 2000 x 2 (float64): inertia"
out_has "summary names the model" "blobs.kmm"
check "model written" [ -s blobs.kmm ]
check "labels: 2000 lines" [ "$(wc -l <labels.csv | tr -d ' ')" = 2000 ]
check "labels in 0..4" [ -z "$(grep -v '^[0-4]$' labels.csv)" ]
check "centers: 5 x 2" [ "$(csv_shape centers.csv)" = "5 2" ]

# Summary without any output file.
expect_ok "fit without outputs" "$KMEANS" fit "$BLOBS" -k 3
out_has "summary k=3" "fitted k=3 on 2000 x 2"

# ---- JSON ---------------------------------------------------------------------
expect_ok "fit --json" "$KMEANS" fit "$BLOBS" -k 5 --seed 42 --n-init 10 --json
cp out fit.json
check "--json prints one line" [ "$(wc -l <fit.json | tr -d ' ')" = 1 ]
json_keys "fit --json keys" fit.json inertia n_iter n_clusters n_samples \
    n_features converged warnings fit_seconds algorithm dtype seed n_init \
    init max_iter tol
if [ -x "$PY" ]; then
    check "n_samples 2000" [ "$(json_get fit.json "j['n_samples']")" = 2000 ]
    check "n_clusters 5" [ "$(json_get fit.json "j['n_clusters']")" = 5 ]
    check "n_features 2" [ "$(json_get fit.json "j['n_features']")" = 2 ]
    check "converged is a bool" [ "$(json_get fit.json "j['converged']")" = true ]
    check "warnings is an empty list" [ "$(json_get fit.json "j['warnings']")" = "[]" ]
    check "n_init 10" [ "$(json_get fit.json "j['n_init']")" = 10 ]
    check "seed 42" [ "$(json_get fit.json "j['seed']")" = 42 ]
    check "dtype float64" [ "$(json_get fit.json "j['dtype']")" = "'float64'" ]
    check "init k-means++" [ "$(json_get fit.json "j['init']")" = "'k-means++'" ]
    check "fit_seconds >= 0" [ "$(json_get fit.json "j['fit_seconds'] >= 0")" = true ]
    # The book's value for this data (Hands-On ML, chapter 9).
    close "inertia is the book's 211.598..." \
        "$(json_get fit.json "j['inertia']")" 211.59853725816836 1e-9
fi

# n_init auto: 1 for k-means++, 10 for random.
if [ -x "$PY" ]; then
    run "$KMEANS" fit "$BLOBS" -k 5 --json
    check "n_init auto = 1 for k-means++" [ "$(json_get out "j['n_init']")" = 1 ]
    run "$KMEANS" fit "$BLOBS" -k 5 --init random --json
    check "n_init auto = 10 for random" [ "$(json_get out "j['n_init']")" = 10 ]
    check "init random" [ "$(json_get out "j['init']")" = "'random'" ]
fi

# ---- option spellings -----------------------------------------------------------
run "$KMEANS" fit "$BLOBS" -k 4 --seed 7 --tol 1e-3 --max-iter 50 --labels a.csv
run "$KMEANS" fit "$BLOBS" --clusters=4 --seed=7 --tol=1e-3 --max-iter=50 --labels=b.csv
check "--opt=value equals --opt value" cmp -s a.csv b.csv
run "$KMEANS" fit "$BLOBS" -k4 --seed 7 --tol 0.001 --max-iter 50 --labels c.csv
check "-k4 equals -k 4" cmp -s a.csv c.csv
run "$KMEANS" fit --seed 7 -k 4 --tol 1e-3 --max-iter 50 --labels d.csv -- "$BLOBS"
check "options before DATA and --" cmp -s a.csv d.csv

# ---- determinism ------------------------------------------------------------------
run "$KMEANS" fit "$BLOBS" -k 8 --seed 3 --n-init 4 --threads 1 --labels t1.csv --centers t1.csv.c.csv
run "$KMEANS" fit "$BLOBS" -k 8 --seed 3 --n-init 4 --threads 2 --labels t2.csv --centers t2.csv.c.csv
check "same labels for 1 and 2 threads" cmp -s t1.csv t2.csv
check "same centers for 1 and 2 threads" cmp -s t1.csv.c.csv t2.csv.c.csv
run "$KMEANS" fit "$BLOBS" -k 8 --seed 4 --n-init 4 --labels t3.csv
check "another seed, another start" [ -s t3.csv ]

# ---- standard input ------------------------------------------------------------------
expect_ok "fit from stdin" sh -c '"$1" fit - -k 5 --seed 42 --labels stdin.csv <"$2"' \
    sh "$KMEANS" "$BLOBS"
check "stdin gives the same labels" cmp -s stdin.csv labels.csv

# ---- labels to stdout: the summary moves to stderr ------------------------------------
run "$KMEANS" fit "$BLOBS" -k 5 --seed 42 --labels -
check "labels on stdout" cmp -s out labels.csv
err_has "summary on stderr" "fitted k=5"

# ---- .npy input and output -----------------------------------------------------------
if [ "$HAVE_NUMPY" = 1 ]; then
    csv_to_npy "$BLOBS" blobs.npy float64
    csv_to_npy "$BLOBS" blobs32.npy float32
    expect_ok "fit npy" "$KMEANS" fit blobs.npy -k 5 --seed 42 \
        --labels npy_labels.npy --centers npy_centers.npy
    check "labels.npy is int32 (2000,)" [ "$(npy_info npy_labels.npy)" = "int32 (2000,)" ]
    check "centers.npy is float64 (5, 2)" [ "$(npy_info npy_centers.npy)" = "float64 (5, 2)" ]
    "$PY" -c 'import numpy, sys
a = numpy.load("npy_labels.npy"); b = numpy.loadtxt("labels.csv", dtype=int)
sys.exit(0 if (a == b).all() else 1)'
    check "npy and csv input give the same labels" [ $? -eq 0 ]

    expect_ok "fit float32 npy" "$KMEANS" fit blobs32.npy -k 5 --seed 42 --json \
        --centers c32.npy --model m32.kmm
    check "float32 file fits in float32" [ "$(json_get out "j['dtype']")" = "'float32'" ]
    check "float32 centers" [ "$(npy_info c32.npy)" = "float32 (5, 2)" ]
    expect_ok "float32 npy, --dtype float64" "$KMEANS" fit blobs32.npy -k 5 \
        --seed 42 --dtype float64 --json
    check "--dtype float64 overrides" [ "$(json_get out "j['dtype']")" = "'float64'" ]
fi

# ---- --dtype float32 on CSV ------------------------------------------------------------
expect_ok "fit --dtype float32" "$KMEANS" fit "$BLOBS" -k 5 --seed 42 \
    --dtype float32 --model f32.kmm --centers f32_centers.csv
out_has "summary says float32" "(float32)"
expect_ok "info on float32 model" "$KMEANS" info f32.kmm
out_has "info says float32" "float32"
if [ "$HAVE_NUMPY" = 1 ]; then
    expect_ok "centers of a float32 model as npy" "$KMEANS" centers f32.kmm -o f32c.npy
    check "exported float32" [ "$(npy_info f32c.npy)" = "float32 (5, 2)" ]
fi

# ---- --init FILE, Elkan = Lloyd ------------------------------------------------------------
printf '%s\n' '0,2' '-1.5,2.3' '-2.8,1.8' '-2.8,2.8' '-2.8,1.3' >init.csv
expect_ok "fit --init file (lloyd)" "$KMEANS" fit "$BLOBS" --init init.csv \
    --algorithm lloyd --tol 0 --max-iter 300 --labels lloyd.csv --json
cp out lloyd.json
expect_ok "fit --init file (elkan)" "$KMEANS" fit "$BLOBS" --init init.csv \
    --algorithm elkan --tol 0 --max-iter 300 --labels elkan.csv --json
cp out elkan.json
check "elkan labels equal lloyd labels" cmp -s lloyd.csv elkan.csv
expect_ok "fit --init file (hamerly)" "$KMEANS" fit "$BLOBS" --init init.csv \
    --algorithm hamerly --tol 0 --max-iter 300 --labels hamerly.csv --json
cp out hamerly.json
check "hamerly labels equal lloyd labels" cmp -s lloyd.csv hamerly.csv
expect_ok "fit --init file (yinyang)" "$KMEANS" fit "$BLOBS" --init init.csv \
    --algorithm yinyang --tol 0 --max-iter 300 --labels yinyang.csv --json
check "yinyang labels equal lloyd labels" cmp -s lloyd.csv yinyang.csv
expect_fail "unknown algorithm" 2 "not one of lloyd, elkan, hamerly, yinyang, auto" \
    "$KMEANS" fit "$BLOBS" --algorithm exponion
if [ -x "$PY" ]; then
    check "k taken from the init file" [ "$(json_get lloyd.json "j['n_clusters']")" = 5 ]
    check "init reported as array" [ "$(json_get lloyd.json "j['init']")" = "'array'" ]
    check "init_file reported" [ "$(json_get lloyd.json "j['init_file']")" = "'init.csv'" ]
    check "algorithm reported" [ "$(json_get elkan.json "j['algorithm']")" = "'elkan'" ]
    close "elkan inertia equals lloyd" "$(json_get lloyd.json "j['inertia']")" \
        "$(json_get elkan.json "j['inertia']")" 1e-12
fi
expect_ok "-k agreeing with --init" "$KMEANS" fit "$BLOBS" -k 5 --init init.csv
if [ "$HAVE_NUMPY" = 1 ]; then
    csv_to_npy init.csv init.npy
    expect_ok "fit --init npy" "$KMEANS" fit "$BLOBS" --init init.npy \
        --algorithm lloyd --tol 0 --labels lloyd_npy.csv
    check "--init npy equals --init csv" cmp -s lloyd.csv lloyd_npy.csv
fi
run "$KMEANS" fit "$BLOBS" --init init.csv --n-init 5
check "explicit init with --n-init 5 still succeeds" [ "$RC" -eq 0 ]
err_has "warns that --n-init is ignored" "kmeans: warning:"

# ---- --weights ---------------------------------------------------------------------------
awk 'END { for (i = 0; i < NR; i++) print 2 }' "$BLOBS" >w2.csv
run "$KMEANS" fit "$BLOBS" --init init.csv --tol 0 --json
cp out unweighted.json
expect_ok "fit --weights" "$KMEANS" fit "$BLOBS" --init init.csv --tol 0 \
    --weights w2.csv --json --model w.kmm
cp out weighted.json
if [ -x "$PY" ]; then
    close "weights of 2 double the inertia" \
        "$(json_get weighted.json "j['inertia'] / 2")" \
        "$(json_get unweighted.json "j['inertia']")" 1e-12
fi
if [ "$HAVE_NUMPY" = 1 ]; then
    "$PY" -c 'import numpy; numpy.save("w2.npy", numpy.full(2000, 2.0))'
    expect_ok "fit --weights npy" "$KMEANS" fit "$BLOBS" --init init.csv --tol 0 \
        --weights w2.npy --json
    close "npy weights equal csv weights" "$(json_get out "j['inertia']")" \
        "$(json_get weighted.json "j['inertia']")" 0
fi
# Zero weights leave a row out: its weight does not count.
awk 'END { for (i = 0; i < NR; i++) print (i % 2) }' "$BLOBS" >w01.csv
expect_ok "fit with some zero weights" "$KMEANS" fit "$BLOBS" -k 5 --weights w01.csv

# ---- --init k-means|| -----------------------------------------------------------------------
expect_ok "fit --init k-means||" "$KMEANS" fit "$BLOBS" -k 5 --init 'k-means||' --seed 4 \
    --json --model par.kmm
if [ -x "$PY" ]; then
    check "init reported as k-means||" [ "$(json_get out "j['init']")" = "'k-means||'" ]
fi
expect_ok "info on a k-means|| model" "$KMEANS" info par.kmm
out_has "info names k-means||" "k-means||"
run "$KMEANS" fit "$BLOBS" -k 5 --init 'k-means||' --seed 4 --json
cp out par2.json
run "$KMEANS" fit "$BLOBS" -k 5 --init 'k-means||' --seed 4 --json --threads 1
check "k-means||: the same fit on one thread" \
    [ "$(grep -o '"inertia": *[^,]*' out)" = "$(grep -o '"inertia": *[^,]*' par2.json)" ]
expect_fail "unknown init names k-means||" 2 "k-means||" \
    "$KMEANS" choose-k "$BLOBS" --init kmeans

# ---- KMEANS_SIMD: the same results with every instruction set -------------------------------
# Low d (the canonical SIMD kernel), 16 < d <= 64 (the fused dot kernel)
# and d > 64 (GEMM with re-checks), in both precisions: labels, centers and
# inertia identical with the portable kernels, AVX2 and the CPU's best.
simd_cases="blobs"
if [ "$HAVE_NUMPY" = 1 ]; then
    "$PY" -c 'import numpy as np
r = np.random.default_rng(7)
for d, k in ((20, 12), (80, 20)):
    c = r.normal(0, 4, (k, d))
    X = c[r.integers(0, k, 3000)] + r.normal(0, 1, (3000, d))
    np.save("simd%d.npy" % d, X)' && simd_cases="blobs simd20 simd80"
fi
for c in $simd_cases; do
    case $c in blobs) data=$BLOBS k=5 ;; simd20) data=simd20.npy k=12 ;; *) data=simd80.npy k=20 ;; esac
    for dt in float64 float32; do
        for isa in none avx2 best; do
            if [ "$isa" = best ]; then
                run env -u KMEANS_SIMD "$KMEANS" fit "$data" -k $k --seed 3 --dtype $dt \
                    --labels "${c}_${dt}_$isa.csv" --centers "${c}_${dt}_${isa}_c.csv" --json
            else
                run env KMEANS_SIMD=$isa "$KMEANS" fit "$data" -k $k --seed 3 --dtype $dt \
                    --labels "${c}_${dt}_$isa.csv" --centers "${c}_${dt}_${isa}_c.csv" --json
            fi
            check "KMEANS_SIMD=$isa $c $dt: exit 0" [ "$RC" -eq 0 ]
            grep -o '"inertia": *[^,]*' out >"${c}_${dt}_${isa}_i.txt"
        done
        for isa in avx2 best; do
            check "KMEANS_SIMD=$isa $c $dt: labels as portable" \
                cmp -s "${c}_${dt}_none.csv" "${c}_${dt}_$isa.csv"
            check "KMEANS_SIMD=$isa $c $dt: centers as portable" \
                cmp -s "${c}_${dt}_none_c.csv" "${c}_${dt}_${isa}_c.csv"
            check "KMEANS_SIMD=$isa $c $dt: inertia as portable" \
                cmp -s "${c}_${dt}_none_i.txt" "${c}_${dt}_${isa}_i.txt"
        done
    done
done
check "KMEANS_SIMD: inertia found in the JSON" [ -s blobs_float64_none_i.txt ]

# ---- verbose -------------------------------------------------------------------------------
run "$KMEANS" fit "$BLOBS" -k 5 --seed 1 --verbose
check "verbose exits 0" [ "$RC" -eq 0 ]
err_has "per-iteration inertia on stderr" "iteration 1: inertia"
err_has "center shift on stderr" "center shift"
out_has "summary still on stdout" "fitted k=5"
run "$KMEANS" fit "$BLOBS" -k 5 --seed 1 -v --json
check "-v with --json: JSON only on stdout" [ "$(head -c 1 out)" = "{" ]

# ---- k = n, k = 1, tiny files --------------------------------------------------------------
printf '1,2\n3,4\n5,6\n' >three.csv
expect_ok "k = n" "$KMEANS" fit three.csv -k 3 --labels three_labels.csv
check "k = n: three distinct labels" [ "$(sort -u three_labels.csv | wc -l | tr -d ' ')" = 3 ]
expect_ok "k = 1" "$KMEANS" fit three.csv -k 1 --centers one.csv
check "k = 1: the mean" [ "$(cat one.csv)" = "3,4" ]
printf 'x,y\n1,2\n3,4\n' >header.csv
expect_ok "CSV with a header" "$KMEANS" fit header.csv -k 2
out_has "header row skipped" "on 2 x 2"

# Duplicate points: fewer distinct clusters than k is a warning, not an error.
printf '1,1\n1,1\n1,1\n2,2\n' >dups.csv
run "$KMEANS" fit dups.csv -k 3 --json
check "duplicates: exit 0" [ "$RC" -eq 0 ]
if [ "$RC" -eq 0 ] && [ -x "$PY" ]; then
    check "duplicates: a warning in JSON" [ "$(json_get out "len(j['warnings']) > 0")" = true ]
    err_has "duplicates: warning on stderr" "kmeans: warning: "
fi

finish
