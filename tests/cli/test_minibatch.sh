#!/bin/sh
# `kmeans minibatch`, `kmeans partial-fit`, and streamed predict/transform/
# score on .npy and raw files.
TEST_NAME=minibatch
. "${KM_SRC:?}/tests/cli/cli_lib.sh"

# ---- minibatch on a CSV (in memory) ----------------------------------------
expect_ok "minibatch --json" "$KMEANS" minibatch "$BLOBS" -k 5 --seed 7 \
    --model mb.kmm --labels mb_labels.csv --centers mb_centers.csv --json
cp out mb.json
json_keys "minibatch JSON keys" mb.json inertia inertia_exact n_steps \
    max_steps passes n_iter stop_reason fit_seconds batch_size init_size \
    n_init streamed
check "exact inertia" [ "$(json_get mb.json "j['inertia_exact']")" = true ]
check "n_steps <= max_steps" [ "$(json_get mb.json "j['n_steps'] <= j['max_steps']")" = true ]
check "max_steps = 100 x 2000 / 1024" [ "$(json_get mb.json "j['max_steps']")" = 195 ]
check "stop reason named" [ "$(json_get mb.json "j['stop_reason'] in ('max_iter', 'no_improvement', 'tol')")" = true ]
expect_ok "predict with the mini-batch model" "$KMEANS" predict mb.kmm "$BLOBS"
check "final-pass labels = predict" cmp -s out mb_labels.csv
expect_ok "score" "$KMEANS" score mb.kmm "$BLOBS" --json
close "inertia = -score" "$(json_get mb.json "j['inertia']")" "$(json_get out "-j['score']")" 1e-12
expect_ok "info on a mini-batch model" "$KMEANS" info mb.kmm

expect_ok "minibatch --threads 1" "$KMEANS" minibatch "$BLOBS" -k 5 --seed 7 \
    --centers mb_centers_t1.csv --threads 1
check "1 thread = all threads" cmp -s mb_centers.csv mb_centers_t1.csv
expect_ok "minibatch other seed" "$KMEANS" minibatch "$BLOBS" -k 5 --seed 8 \
    --centers mb_centers_s8.csv
check "another seed, other centers" sh -c '! cmp -s mb_centers.csv mb_centers_s8.csv'

expect_ok "minibatch --no-labels" "$KMEANS" minibatch "$BLOBS" -k 5 --seed 7 --no-labels --json
check "estimated inertia" [ "$(json_get out "j['inertia_exact']")" = false ]
close "estimate = ewa x n" "$(json_get out "j['inertia']")" "$(json_get out "j['ewa_inertia'] * 2000")" 1e-12
expect_ok "tol stops early" "$KMEANS" minibatch "$BLOBS" -k 5 --seed 7 --tol 1e9 \
    --max-no-improvement 0 --json
check "stop_reason tol after 2 steps" [ "$(json_get out "(j['stop_reason'], j['n_steps'])")" = "('tol', 2)" ]
expect_ok "rules off: every step" "$KMEANS" minibatch "$BLOBS" -k 5 \
    --max-no-improvement 0 --max-iter 3 --batch-size 500 --json
check "12 steps" [ "$(json_get out "(j['stop_reason'], j['n_steps'], j['n_iter'])")" = "('max_iter', 12, 3)" ]

# ---- streamed .npy and raw files give the same bits ----------------------------
if [ "$HAVE_NUMPY" = 1 ]; then
    csv_to_npy "$BLOBS" blobs.npy float64
    csv_to_npy "$BLOBS" blobs32.npy float32
    "$PY" -c 'import numpy; numpy.load("blobs.npy").tofile("blobs.raw")'
    expect_ok "minibatch .npy in memory" "$KMEANS" minibatch blobs.npy -k 5 --seed 3 \
        --centers c_mem.csv --labels l_mem.npy --json
    check "small .npy read whole" [ "$(json_get out "j['streamed']")" = false ]
    expect_ok "minibatch .npy --stream" "$KMEANS" minibatch blobs.npy -k 5 --seed 3 --stream \
        --centers c_str.csv --labels l_str.npy --json
    check "--stream streams" [ "$(json_get out "j['streamed']")" = true ]
    check "streamed centers = in memory" cmp -s c_mem.csv c_str.csv
    check "streamed labels = in memory" cmp -s l_mem.npy l_str.npy
    check "labels .npy int32" [ "$(npy_info l_str.npy)" = "int32 (2000,)" ]
    expect_ok "minibatch raw --shape" "$KMEANS" minibatch blobs.raw --shape 0,2 \
        --dtype float64 -k 5 --seed 3 --centers c_raw.csv
    check "raw = npy" cmp -s c_mem.csv c_raw.csv
    expect_fail "raw: partial rows" 2 "whole number of rows" \
        "$KMEANS" minibatch blobs.raw --shape 0,3 --dtype float64 -k 5
    expect_fail "raw: truncated" 2 "truncated" \
        "$KMEANS" minibatch blobs.raw --shape 5000,2 --dtype float64 -k 5
    expect_ok "float32 streamed" "$KMEANS" minibatch blobs32.npy -k 5 --seed 3 --stream --json
    check "float32 kept" [ "$(json_get out "j['dtype']")" = "'float32'" ]

    # predict / transform / score stream a .npy; same results as the CSV
    expect_ok "fit for apply" "$KMEANS" fit "$BLOBS" -k 5 --seed 1 --model full.kmm
    expect_ok "predict csv" "$KMEANS" predict full.kmm "$BLOBS" -o p_csv.npy
    expect_ok "predict npy (streamed)" "$KMEANS" predict full.kmm blobs.npy -o p_npy.npy
    check "streamed predict = csv" cmp -s p_csv.npy p_npy.npy
    expect_ok "predict raw (streamed)" "$KMEANS" predict full.kmm blobs.raw --shape 2000,2 --dtype float64
    cp out p_raw.txt
    expect_ok "predict csv to stdout" "$KMEANS" predict full.kmm "$BLOBS"
    check "raw predict = csv" cmp -s out p_raw.txt
    expect_ok "predict npy --json" "$KMEANS" predict full.kmm blobs.npy --json
    json_keys "predict json" out n_samples counts labels
    expect_ok "transform csv" "$KMEANS" transform full.kmm "$BLOBS" -o t_csv.npy
    expect_ok "transform npy" "$KMEANS" transform full.kmm blobs.npy -o t_npy.npy
    check "streamed transform = csv" cmp -s t_csv.npy t_npy.npy
    expect_ok "transform npy csv-out" "$KMEANS" transform full.kmm blobs.npy -o t_npy.csv
    expect_ok "transform csv csv-out" "$KMEANS" transform full.kmm "$BLOBS" -o t_csv.csv
    check "streamed transform CSV = csv" cmp -s t_csv.csv t_npy.csv
    expect_ok "score csv" "$KMEANS" score full.kmm "$BLOBS"
    cp out s_csv.txt
    expect_ok "score npy" "$KMEANS" score full.kmm blobs.npy
    check "streamed score = csv" cmp -s out s_csv.txt
    "$PY" -c 'import numpy; numpy.save("w.npy", numpy.arange(2000) % 3 * 1.0)'
    "$PY" -c 'import numpy; numpy.savetxt("w.csv", numpy.arange(2000) % 3 * 1.0)'
    expect_ok "score weighted csv" "$KMEANS" score full.kmm "$BLOBS" --weights w.csv
    cp out sw_csv.txt
    expect_ok "score weighted npy (both streamed)" "$KMEANS" score full.kmm blobs.npy --weights w.npy
    check "weighted streamed score = csv" cmp -s out sw_csv.txt
    "$PY" -c 'import numpy; a = numpy.load("blobs.npy"); a[1234, 1] = numpy.nan; numpy.save("nan.npy", a)'
    expect_fail "streamed NaN named" 2 "nan.npy: row 1235, column 2" \
        "$KMEANS" predict full.kmm nan.npy -o x.npy
    check "no output left by a failed predict" [ ! -e x.npy ]
    expect_fail "minibatch streamed NaN" 2 "row 1235, column 2" \
        "$KMEANS" minibatch nan.npy -k 5 --stream
else
    echo "cli minibatch: .npy tests skipped (no numpy)"
fi

# ---- partial-fit -------------------------------------------------------------
head -n 700 "$BLOBS" >b1.csv
sed -n '701,1400p' "$BLOBS" >b2.csv
sed -n '1401,2000p' "$BLOBS" >b3.csv
expect_ok "partial-fit creates" "$KMEANS" partial-fit --model pf.kmm -k 5 --seed 4 b1.csv --json
json_keys "partial-fit JSON" out created n_steps n_samples_seen batch_inertia inertia n_reassigned
check "created" [ "$(json_get out "(j['created'], j['n_steps'])")" = "(True, 1)" ]
expect_ok "partial-fit continues" "$KMEANS" partial-fit --model pf.kmm b2.csv --json
check "continued" [ "$(json_get out "(j['created'], j['n_steps'], j['n_samples_seen'])")" = "(False, 2, 1400)" ]
cp pf.kmm pf_before.kmm
printf '1,2,3\n4,5,6\n' >three.csv
expect_fail "feature count differs" 2 "model has 2 features but three.csv has 3 columns" \
    "$KMEANS" partial-fit --model pf.kmm three.csv
check "failed step leaves the model" cmp -s pf.kmm pf_before.kmm
printf '1,2\nnan,1\n' >bad.csv
run "$KMEANS" partial-fit --model pf.kmm b3.csv bad.csv
check "bad second batch: exit 2" [ "$RC" = 2 ]
check "bad batch leaves the model" cmp -s pf.kmm pf_before.kmm
expect_fail "-k differs" 2 "-k 4 but model pf.kmm has 5 clusters" \
    "$KMEANS" partial-fit --model pf.kmm -k 4 b3.csv
expect_ok "partial-fit third" "$KMEANS" partial-fit --model pf.kmm b3.csv --labels pf_labels.csv
check "one step line" [ "$(wc -l <out | tr -d ' ')" = 1 ]
check "labels of the last batch" [ "$(wc -l <pf_labels.csv | tr -d ' ')" = 600 ]
# The same calls in one invocation give the same model file, bit for bit.
expect_ok "three batches in one call" "$KMEANS" partial-fit --model pf_all.kmm -k 5 --seed 4 b1.csv b2.csv b3.csv
check "one call = three calls" cmp -s pf.kmm pf_all.kmm
expect_ok "minibatch model continues" "$KMEANS" partial-fit --model mb.kmm b1.csv
"$KMEANS" fit "$BLOBS" -k 5 --model full_fit.kmm >/dev/null
expect_fail "full K-Means model refused" 2 "no mini-batch state" \
    "$KMEANS" partial-fit --model full_fit.kmm b1.csv
head -n 3 "$BLOBS" >tiny.csv
expect_fail "first batch smaller than k" 2 "fewer than k = 5" \
    "$KMEANS" partial-fit --model new.kmm -k 5 tiny.csv
check "no model created" [ ! -e new.kmm ]
printf '%s\n' '-2.8,1.8' '0.2,2.3' '-2.8,2.8' '-1.5,2.3' '-2.8,1.3' >init.csv
expect_ok "explicit init" "$KMEANS" partial-fit --model pi.kmm --init init.csv --reassignment-ratio 0 b1.csv
expect_ok "centers" "$KMEANS" centers pi.kmm
check "5 centers" [ "$(wc -l <out | tr -d ' ')" = 5 ]

# ---- usage errors and help ---------------------------------------------------------
expect_fail "k > n" 2 "larger than the number of rows" "$KMEANS" minibatch tiny.csv -k 5
expect_fail "batch size 0" 2 "batch-size" "$KMEANS" minibatch "$BLOBS" --batch-size 0
expect_fail "negative ratio" 2 "reassignment-ratio" "$KMEANS" minibatch "$BLOBS" --reassignment-ratio -1
expect_fail "missing data file" 2 "nope.npy" "$KMEANS" minibatch nope.npy
expect_fail "--labels with --no-labels" 2 "no-labels" "$KMEANS" minibatch "$BLOBS" --labels l.csv --no-labels
expect_fail "partial-fit needs --model" 2 "--model" "$KMEANS" partial-fit b1.csv
expect_ok "help minibatch" "$KMEANS" help minibatch
for opt in batch-size reassignment-ratio max-no-improvement init-size no-labels shape stream; do
    out_has "help lists --$opt" "--$opt"
done
out_has "help shows batch default" "(default 1024)"
expect_ok "help partial-fit" "$KMEANS" help partial-fit
out_has "partial-fit help: --model" "--model"

finish
