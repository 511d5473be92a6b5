#!/bin/sh
# Bad input and bad usage: exit status 2 (1 for failed writes), one message
# on stderr naming the file (and line:column for parse errors), nothing on
# stdout, no partial or temporary output, existing files untouched.
TEST_NAME=errors
. "${KM_SRC:?}/tests/cli/cli_lib.sh"

printf '%s\n' '1,2' '3,4' '5,6' '7,8' '9,10' >small.csv
printf '%s\n' '1,2' '3,nan' >nan.csv
printf '%s\n' '1,2' '3,4' '5,inf' >inf.csv
printf '%s\n' '1,2' '3,4,5' >ragged.csv
printf '%s\n' '1,2' '3,abc' >text.csv
: >empty.csv
printf '%s\n' 'x,y' >header_only.csv
printf '%s\n' '1,2,3' '4,5,6' >three_cols.csv
expect_ok "fit a model" "$KMEANS" fit small.csv -k 2 --model m.kmm

# ---- data files -----------------------------------------------------------------
expect_fail "NaN value" 2 "nan.csv:2:" "$KMEANS" fit nan.csv -k 1
expect_fail "infinite value" 2 "inf.csv:3:" "$KMEANS" fit inf.csv -k 1
err_has "infinite value is named" "not finite"
expect_fail "ragged rows" 2 "ragged.csv:2" "$KMEANS" fit ragged.csv -k 1
err_has "ragged rows say so" "fields"
expect_fail "non-numeric field" 2 "text.csv:2:" "$KMEANS" fit text.csv -k 1
err_has "non-numeric field quoted" "abc"
expect_fail "empty file" 2 "empty.csv" "$KMEANS" fit empty.csv -k 1
expect_fail "header-only file" 2 "header_only.csv" "$KMEANS" fit header_only.csv -k 1
expect_fail "missing file" 2 "missing.csv" "$KMEANS" fit missing.csv -k 1
err_has "missing file: strerror" "No such file or directory"
expect_fail "directory as data" 2 "kmeans fit: " "$KMEANS" fit . -k 1
expect_fail "NaN in predict data" 2 "nan.csv:2:" "$KMEANS" predict m.kmm nan.csv
expect_fail "missing predict data" 2 "missing.csv" "$KMEANS" predict m.kmm missing.csv
expect_fail "empty stdin" 2 "kmeans fit: " sh -c '"$1" fit - -k 1 </dev/null' sh "$KMEANS"
if [ "$HAVE_NUMPY" = 1 ]; then
    "$PY" -c 'import numpy; numpy.save("nan.npy", numpy.array([[1.0, float("nan")]]))'
    expect_fail "NaN in npy" 2 "nan.npy" "$KMEANS" fit nan.npy -k 1
    printf 'not a numpy file' >bad.npy
    expect_fail "bad npy header" 2 "bad.npy" "$KMEANS" fit bad.npy -k 1
fi

# ---- k ----------------------------------------------------------------------------
expect_fail "k = 0" 2 "-k must be at least 1" "$KMEANS" fit small.csv -k 0
expect_fail "k < 0" 2 "-k must be at least 1" "$KMEANS" fit small.csv -k -3
expect_fail "k > n" 2 "-k 10 is larger than the number of rows (5) in small.csv" \
    "$KMEANS" fit small.csv -k 10
expect_fail "default k=8 > n" 2 "-k 8 (the default) is larger than the number of rows (5)" \
    "$KMEANS" fit small.csv
expect_fail "k not an integer" 2 "-k: '2.5' is not an integer" "$KMEANS" fit small.csv -k 2.5
expect_fail "k overflow" 2 "out of range" "$KMEANS" fit small.csv -k 99999999999999999999

# ---- numbers and names ---------------------------------------------------------------
expect_fail "bad --tol" 2 "--tol: 'abc' is not a number" "$KMEANS" fit small.csv -k 2 --tol abc
expect_fail "negative --tol" 2 "--tol must be non-negative" "$KMEANS" fit small.csv -k 2 --tol -1
expect_fail "--tol with trailing text" 2 "--tol: '1e-3x' is not a number" \
    "$KMEANS" fit small.csv -k 2 --tol 1e-3x
expect_fail "--tol inf" 2 "--tol" "$KMEANS" fit small.csv -k 2 --tol inf
expect_fail "--tol nan" 2 "--tol" "$KMEANS" fit small.csv -k 2 --tol nan
expect_fail "empty --tol" 2 "--tol: '' is not a number" "$KMEANS" fit small.csv -k 2 --tol=
expect_fail "--max-iter 0" 2 "--max-iter must be at least 1" "$KMEANS" fit small.csv -k 2 --max-iter 0
expect_fail "--n-init 0" 2 "--n-init must be at least 1" "$KMEANS" fit small.csv -k 2 --n-init 0
expect_fail "--n-init word" 2 "--n-init: 'many' is not an integer" "$KMEANS" fit small.csv -k 2 --n-init many
expect_fail "negative --seed" 2 "--seed must be a non-negative integer" "$KMEANS" fit small.csv -k 2 --seed -1
expect_fail "--seed too large" 2 "--seed" "$KMEANS" fit small.csv -k 2 --seed 18446744073709551616
expect_fail "negative --threads" 2 "--threads must be at least 0" "$KMEANS" fit small.csv -k 2 --threads -2
expect_fail "bad --algorithm" 2 "--algorithm: 'fast'" "$KMEANS" fit small.csv -k 2 --algorithm fast
expect_fail "bad --dtype" 2 "--dtype: 'float16'" "$KMEANS" fit small.csv -k 2 --dtype float16
expect_fail "predict bad --threads" 2 "--threads: 'x' is not an integer" \
    "$KMEANS" predict m.kmm small.csv --threads x

# ---- usage --------------------------------------------------------------------------------
expect_fail "unknown option" 2 "unknown option '--bogus'" "$KMEANS" fit small.csv --bogus
expect_fail "unknown short option" 2 "unknown option '-z'" "$KMEANS" fit small.csv -z
expect_fail "missing value" 2 "option '--tol' needs a value" "$KMEANS" fit small.csv -k 2 --tol
expect_fail "missing -k value" 2 "option '-k' needs a value" "$KMEANS" fit small.csv -k
expect_fail "flag with a value" 2 "option '--json' takes no value" "$KMEANS" fit small.csv --json=yes
expect_fail "fit without DATA" 2 "missing DATA" "$KMEANS" fit -k 2
expect_fail "fit with two DATA" 2 "unexpected argument 'small.csv'" "$KMEANS" fit small.csv small.csv
expect_fail "predict without DATA" 2 "missing DATA" "$KMEANS" predict m.kmm
expect_fail "predict without MODEL" 2 "missing MODEL" "$KMEANS" predict
expect_fail "predict extra argument" 2 "unexpected argument" "$KMEANS" predict m.kmm small.csv small.csv
expect_fail "info without MODEL" 2 "missing MODEL" "$KMEANS" info
expect_fail "demo with an argument" 2 "unexpected argument" "$KMEANS" demo blobs.csv
expect_fail "unknown command" 2 "unknown command 'fitt'" "$KMEANS" fitt small.csv
expect_fail "unknown top-level option" 2 "unknown option '--frobnicate'" "$KMEANS" --frobnicate
expect_fail "help for unknown command" 2 "unknown command 'nope'" "$KMEANS" help nope
run "$KMEANS"
check "no arguments: exit 2" [ "$RC" -eq 2 ]
check "no arguments: usage on stderr" grep -q "usage: kmeans" err
expect_fail "model to stdout" 2 "--model" "$KMEANS" fit small.csv -k 2 --model -
expect_fail "--json with labels on stdout" 2 "--json" "$KMEANS" fit small.csv -k 2 --json --labels -
expect_fail "two outputs, one file" 2 "same file" "$KMEANS" fit small.csv -k 2 --labels x.csv --centers x.csv
expect_fail "two inputs from stdin" 2 "standard input" "$KMEANS" fit - -k 2 --weights -

# ---- --init file --------------------------------------------------------------------------
printf '%s\n' '1,2' '5,6' >init2.csv
printf '%s\n' '1,2,3' '5,6,7' >init_cols.csv
expect_fail "--init wrong columns" 2 "--init init_cols.csv has 3 columns but small.csv has 2" \
    "$KMEANS" fit small.csv --init init_cols.csv
expect_fail "--init rows differ from -k" 2 "--init init2.csv has 2 rows but -k is 3" \
    "$KMEANS" fit small.csv -k 3 --init init2.csv
expect_fail "--init missing file" 2 "nope.csv" "$KMEANS" fit small.csv --init nope.csv
expect_fail "--init with NaN" 2 "nan.csv:2:" "$KMEANS" fit small.csv --init nan.csv
printf '%s\n' '1,2' '3,4' '5,6' '7,8' '9,10' '11,12' >init6.csv
expect_fail "--init more rows than data" 2 "--init init6.csv has 6 centers, more than the number of rows (5) in small.csv" \
    "$KMEANS" fit small.csv --init init6.csv

# ---- weights -------------------------------------------------------------------------------
printf '%s\n' 1 1 1 1 >w4.csv
printf '%s\n' 1 1 -1 1 1 >wneg.csv
printf '%s\n' 0 0 0 0 0 >wzero.csv
printf '%s\n' '1,1' '1,1' '1,1' '1,1' '1,1' >w2col.csv
printf '%s\n' 1 1 nan 1 1 >wnan.csv
expect_fail "weights too short" 2 "weights w4.csv has 4 values but small.csv has 5 rows" \
    "$KMEANS" fit small.csv -k 2 --weights w4.csv
expect_fail "negative weight" 2 "weights wneg.csv: weight 3 is negative" \
    "$KMEANS" fit small.csv -k 2 --weights wneg.csv
expect_fail "all weights zero" 2 "weights wzero.csv: all weights are zero" \
    "$KMEANS" fit small.csv -k 2 --weights wzero.csv
expect_fail "weights with two columns" 2 "weights w2col.csv has 2 columns" \
    "$KMEANS" fit small.csv -k 2 --weights w2col.csv
expect_fail "NaN weight" 2 "wnan.csv:3:" "$KMEANS" fit small.csv -k 2 --weights wnan.csv
expect_fail "missing weights" 2 "nowt.csv" "$KMEANS" fit small.csv -k 2 --weights nowt.csv
expect_fail "score: weights too short" 2 "weights w4.csv has 4 values" \
    "$KMEANS" score m.kmm small.csv --weights w4.csv
expect_fail "score: negative weight" 2 "weight 3 is negative" \
    "$KMEANS" score m.kmm small.csv --weights wneg.csv

# ---- models ---------------------------------------------------------------------------------
expect_fail "feature mismatch (predict)" 2 "model has 2 features but three_cols.csv has 3 columns" \
    "$KMEANS" predict m.kmm three_cols.csv
expect_fail "feature mismatch (transform)" 2 "model has 2 features but three_cols.csv has 3 columns" \
    "$KMEANS" transform m.kmm three_cols.csv
expect_fail "feature mismatch (score)" 2 "model has 2 features but three_cols.csv has 3 columns" \
    "$KMEANS" score m.kmm three_cols.csv
expect_fail "missing model" 2 "cannot read model nomodel.kmm: No such file or directory" \
    "$KMEANS" predict nomodel.kmm small.csv
expect_fail "missing model (info)" 2 "nomodel.kmm" "$KMEANS" info nomodel.kmm
expect_fail "missing model (centers)" 2 "nomodel.kmm" "$KMEANS" centers nomodel.kmm
size=$(wc -c <m.kmm | tr -d ' ')
for cut in 0 8 30 $((size / 2)) $((size - 1)); do
    head -c "$cut" m.kmm >trunc.kmm
    expect_fail "model truncated to $cut bytes" 2 "model trunc.kmm: " "$KMEANS" info trunc.kmm
done
expect_fail "truncated model (predict)" 2 "trunc.kmm" "$KMEANS" predict trunc.kmm small.csv
expect_fail "a CSV as model" 2 "model small.csv: " "$KMEANS" info small.csv
# One changed byte in the middle: the checksum catches it.
cp m.kmm flip.kmm
mid=$((size / 2))
printf '\377' | dd of=flip.kmm bs=1 seek="$mid" conv=notrunc 2>/dev/null
if cmp -s m.kmm flip.kmm; then printf '\0' | dd of=flip.kmm bs=1 seek="$mid" conv=notrunc 2>/dev/null; fi
expect_fail "corrupted model" 2 "model flip.kmm: " "$KMEANS" info flip.kmm
# Another format version (bytes 8-11 hold it).
cp m.kmm version.kmm
printf '\143' | dd of=version.kmm bs=1 seek=8 conv=notrunc 2>/dev/null
expect_fail "model of another version" 2 "model version.kmm: " "$KMEANS" info version.kmm

# ---- failed runs leave existing files alone and no temporary files ----------------------------
mkdir out_dir
printf 'keep me\n' >out_dir/labels.csv
printf 'keep me too\n' >out_dir/model.kmm
expect_fail "bad input, existing outputs" 2 "nan.csv:2:" "$KMEANS" fit nan.csv -k 1 \
    --labels out_dir/labels.csv --model out_dir/model.kmm --centers out_dir/centers.csv
check "labels file untouched" [ "$(cat out_dir/labels.csv)" = "keep me" ]
check "model file untouched" [ "$(cat out_dir/model.kmm)" = "keep me too" ]
only_files "no new files after bad input" out_dir labels.csv model.kmm

expect_fail "k > n, existing output" 2 "larger than" "$KMEANS" fit small.csv -k 9 \
    --labels out_dir/labels.csv
check "labels file untouched (k > n)" [ "$(cat out_dir/labels.csv)" = "keep me" ]

# A write that fails (the target is a directory): exit 1, the file named, no
# temporary file left beside it.
mkdir out_dir/centers_dir
expect_fail "centers onto a directory" 1 "out_dir/centers_dir" "$KMEANS" fit small.csv -k 2 \
    --centers out_dir/centers_dir
only_files "no temporary file after a failed write" out_dir labels.csv model.kmm centers_dir
check "directory still empty" [ -z "$(ls -A out_dir/centers_dir)" ]
mkdir out_dir/model_dir
expect_fail "model onto a directory" 1 "out_dir/model_dir" "$KMEANS" fit small.csv -k 2 \
    --model out_dir/model_dir
only_files "no temporary model file" out_dir labels.csv model.kmm centers_dir model_dir
expect_fail "model into a missing directory" 1 "no_such_dir/m.kmm" "$KMEANS" fit small.csv -k 2 \
    --model no_such_dir/m.kmm
expect_fail "labels into a missing directory" 1 "no_such_dir/l.csv" "$KMEANS" fit small.csv -k 2 \
    --labels no_such_dir/l.csv
expect_fail "predict -o into a missing directory" 1 "no_such_dir/p.csv" "$KMEANS" predict m.kmm \
    small.csv -o no_such_dir/p.csv
expect_fail "transform -o into a missing directory" 1 "no_such_dir/t.npy" "$KMEANS" transform m.kmm \
    small.csv -o no_such_dir/t.npy
expect_fail "centers -o into a missing directory" 1 "no_such_dir/c.csv" "$KMEANS" centers m.kmm \
    -o no_such_dir/c.csv
printf 'old\n' >out_dir/pred.csv
expect_fail "predict bad data keeps -o file" 2 "nan.csv" "$KMEANS" predict m.kmm nan.csv \
    -o out_dir/pred.csv
check "predict output untouched" [ "$(cat out_dir/pred.csv)" = old ]
only_files "no temporary files in out_dir" out_dir labels.csv model.kmm centers_dir model_dir pred.csv
check "no temporary files here" [ -z "$(ls -A | grep '\.tmp')" ]

# Writing to a closed pipe or a full device is an error, not success.
if [ -w /dev/full ]; then
    run sh -c '"$1" centers m.kmm >/dev/full' sh "$KMEANS"
    check "stdout on a full device: exit 1" [ "$RC" -eq 1 ]
    run sh -c '"$1" info m.kmm >/dev/full' sh "$KMEANS"
    check "info on a full device: exit 1" [ "$RC" -eq 1 ]
fi

finish
