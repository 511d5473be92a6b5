#!/bin/sh
# `kmeans predict`, `transform`, `score`, `info`, `centers` on a saved model.
TEST_NAME=apply
. "${KM_SRC:?}/tests/cli/cli_lib.sh"

expect_ok "fit the model" "$KMEANS" fit "$BLOBS" -k 5 --seed 42 --n-init 10 \
    --model blobs.kmm --labels fit_labels.csv --centers fit_centers.csv --json
cp out fit.json
printf '%s\n' '0,2' '3,2' '-3,3' '-3,2.5' >new.csv

# ---- predict -------------------------------------------------------------------
expect_ok "predict to stdout" "$KMEANS" predict blobs.kmm "$BLOBS"
check "round trip: predict = fit labels" cmp -s out fit_labels.csv
expect_ok "predict -o csv" "$KMEANS" predict blobs.kmm "$BLOBS" -o pred.csv
check "predict -o prints nothing" [ ! -s out ]
check "predict -o csv = fit labels" cmp -s pred.csv fit_labels.csv
expect_ok "predict --output=FILE" "$KMEANS" predict blobs.kmm "$BLOBS" --output=pred2.csv
check "--output= spelling" cmp -s pred2.csv fit_labels.csv
expect_ok "predict new points" "$KMEANS" predict blobs.kmm new.csv
cp out new_labels.txt
check "4 labels" [ "$(wc -l <new_labels.txt | tr -d ' ')" = 4 ]
# The book: the first two points share a cluster, and so do the last two.
check "book's grouping of X_new (1, 2)" \
    [ "$(sed -n 1p new_labels.txt)" = "$(sed -n 2p new_labels.txt)" ]
check "book's grouping of X_new (3, 4)" \
    [ "$(sed -n 3p new_labels.txt)" = "$(sed -n 4p new_labels.txt)" ]
expect_ok "predict from stdin" sh -c '"$1" predict blobs.kmm - <new.csv' sh "$KMEANS"
check "stdin = file" cmp -s out new_labels.txt
expect_ok "predict --threads 1" "$KMEANS" predict blobs.kmm "$BLOBS" --threads 1
check "--threads 1 = default" cmp -s out fit_labels.csv

expect_ok "predict --json" "$KMEANS" predict blobs.kmm new.csv --json
cp out pred.json
json_keys "predict --json keys" pred.json n_samples n_clusters counts labels
if [ -x "$PY" ]; then
    check "predict json n_samples" [ "$(json_get pred.json "j['n_samples']")" = 4 ]
    check "predict json counts sum" [ "$(json_get pred.json "sum(j['counts'])")" = 4 ]
    check "predict json labels = text labels" \
        [ "$(json_get pred.json "' '.join(map(str, j['labels']))")" = "'$(tr '\n' ' ' <new_labels.txt | sed 's/ $//')'" ]
fi
expect_ok "predict --json -o" "$KMEANS" predict blobs.kmm "$BLOBS" --json -o pred3.csv
json_keys "predict --json -o keys" out n_samples n_clusters counts
check "predict --json -o writes the file" cmp -s pred3.csv fit_labels.csv

# ---- transform ---------------------------------------------------------------------
expect_ok "transform to stdout" "$KMEANS" transform blobs.kmm new.csv
cp out dist.csv
check "transform: 4 x 5" [ "$(csv_shape dist.csv)" = "4 5" ]
# The book's distances from (0, 2) and (3, 2) to their nearest center.
min1=$(sed -n 1p dist.csv | tr ',' '\n' | sort -g | head -n 1)
min2=$(sed -n 2p dist.csv | tr ',' '\n' | sort -g | head -n 1)
close "nearest distance of (0, 2) is the book's 0.33" "$min1" 0.33 0.02
close "nearest distance of (3, 2) is the book's 2.80" "$min2" 2.80 0.01
# The nearest center in transform is the predicted one.
awk -F, '{ m = 1; for (i = 2; i <= NF; i++) if ($i < $m) m = i; print m - 1 }' dist.csv >argmin.txt
check "argmin of transform = predict" cmp -s argmin.txt new_labels.txt
expect_ok "transform -o csv" "$KMEANS" transform blobs.kmm "$BLOBS" -o dist_all.csv
check "transform: 2000 x 5" [ "$(csv_shape dist_all.csv)" = "2000 5" ]
expect_ok "transform --json" "$KMEANS" transform blobs.kmm new.csv --json
json_keys "transform --json keys" out n_samples n_clusters dtype distances
if [ "$HAVE_NUMPY" = 1 ]; then
    expect_ok "transform -o npy" "$KMEANS" transform blobs.kmm "$BLOBS" -o dist.npy
    check "transform npy: float64 (2000, 5)" [ "$(npy_info dist.npy)" = "float64 (2000, 5)" ]
    csv_to_npy new.csv new.npy
    expect_ok "transform npy input" "$KMEANS" transform blobs.kmm new.npy
    check "npy input = csv input" cmp -s out dist.csv
    expect_ok "predict npy -o npy" "$KMEANS" predict blobs.kmm new.npy -o new_labels.npy
    check "labels npy int32" [ "$(npy_info new_labels.npy)" = "int32 (4,)" ]
fi

# ---- score ----------------------------------------------------------------------------
expect_ok "score" "$KMEANS" score blobs.kmm "$BLOBS"
score_text=$(cat out)
expect_ok "score --json" "$KMEANS" score blobs.kmm "$BLOBS" --json
cp out score.json
json_keys "score --json keys" score.json score n_samples
if [ -x "$PY" ]; then
    close "score = -inertia" "$(json_get score.json "-j['score']")" \
        "$(json_get fit.json "j['inertia']")" 1e-12
    close "text score = JSON score" "$score_text" "$(json_get score.json "j['score']")" 0
    close "score is the book's -211.598..." "$score_text" -211.59853725816836 1e-9
fi
awk 'END { for (i = 0; i < NR; i++) print 3 }' "$BLOBS" >w3.csv
expect_ok "score --weights" "$KMEANS" score blobs.kmm "$BLOBS" --weights w3.csv
close "weights of 3 triple the score" "$(cat out)" "$(awk "BEGIN { printf \"%.17g\", 3 * ($score_text) }")" 1e-12
printf '%s\n' '0,0' >origin.csv
expect_ok "score one point" "$KMEANS" score blobs.kmm origin.csv
check "score is negative" [ "$(cut -c1 out)" = "-" ]

# ---- info ---------------------------------------------------------------------------------
expect_ok "info" "$KMEANS" info blobs.kmm
for word in float64 "clusters   5" "features   2" "samples    2000" inertia \
    converged k-means++ "n_init=10" "seed=42" centers; do
    out_has "info shows $word" "$word"
done
expect_ok "info --json" "$KMEANS" info blobs.kmm --json
cp out info.json
json_keys "info --json keys" info.json dtype n_clusters n_features n_samples \
    inertia n_iter converged params centers
if [ -x "$PY" ]; then
    check "info params keys" [ "$(json_get info.json "sorted(j['params'])")" = \
        '["algorithm", "init", "max_iter", "n_init", "seed", "tol"]' ]
    check "info centers 5 x 2" [ "$(json_get info.json "[len(j['centers']), len(j['centers'][0])]")" = "[5, 2]" ]
    close "info inertia = fit inertia" "$(json_get info.json "j['inertia']")" \
        "$(json_get fit.json "j['inertia']")" 0
    check "info n_iter = fit n_iter" [ "$(json_get info.json "j['n_iter']")" = "$(json_get fit.json "j['n_iter']")" ]
    check "info params seed" [ "$(json_get info.json "j['params']['seed']")" = 42 ]
    check "info params tol" [ "$(json_get info.json "j['params']['tol']")" = 0.0001 ]
    # The JSON centers are exact: equal to the CSV export digit for digit.
    "$PY" -c 'import json, sys
j = json.load(open("info.json"))
rows = [list(map(float, l.split(","))) for l in open("fit_centers.csv")]
sys.exit(0 if rows == j["centers"] else 1)'
    check "info centers equal fit --centers exactly" [ $? -eq 0 ]
fi

# ---- centers --------------------------------------------------------------------------------
expect_ok "centers to stdout" "$KMEANS" centers blobs.kmm
check "centers = fit --centers" cmp -s out fit_centers.csv
expect_ok "centers -o csv" "$KMEANS" centers blobs.kmm -o c.csv
check "centers -o prints nothing" [ ! -s out ]
check "centers -o = fit --centers" cmp -s c.csv fit_centers.csv
# .npy written by the tool reads back into it (no NumPy needed): the exported
# centers seed a new fit that stays where it is.
expect_ok "centers -o npy" "$KMEANS" centers blobs.kmm -o c.npy
expect_ok "refit from exported npy centers" "$KMEANS" fit "$BLOBS" --init c.npy \
    --labels refit.csv
check "refit labels = fit labels" cmp -s refit.csv fit_labels.csv
expect_ok "transform -o npy for reuse" "$KMEANS" transform blobs.kmm new.csv -o new_dist.npy
expect_ok "fit on an npy the tool wrote" "$KMEANS" fit new_dist.npy -k 2 --json
json_keys "fit npy json" out n_samples n_features
if [ -x "$PY" ]; then
    check "npy of 4 x 5 read back" [ "$(json_get out "[j['n_samples'], j['n_features']]")" = "[4, 5]" ]
fi
if [ "$HAVE_NUMPY" = 1 ]; then
    check "centers npy float64 (5, 2)" [ "$(npy_info c.npy)" = "float64 (5, 2)" ]
fi

# ---- a float32 model reads data as float32 ------------------------------------------------------
expect_ok "fit float32 model" "$KMEANS" fit "$BLOBS" -k 5 --seed 42 --dtype float32 \
    --model m32.kmm --labels l32.csv
expect_ok "predict with float32 model" "$KMEANS" predict m32.kmm "$BLOBS"
check "float32 round trip" cmp -s out l32.csv
if [ "$HAVE_NUMPY" = 1 ]; then
    expect_ok "transform float32 model" "$KMEANS" transform m32.kmm new.csv -o d32.npy
    check "float32 distances" [ "$(npy_info d32.npy)" = "float32 (4, 5)" ]
fi

check "no temporary files left" [ -z "$(ls -A | grep '\.tmp')" ]

finish
