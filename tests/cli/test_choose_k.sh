#!/bin/sh
# `kmeans silhouette`, `kmeans elbow` and `kmeans choose-k`: scores against
# scikit-learn, the elbow of curves with a known elbow, the figures (valid
# PNG/SVG of the requested size, not blank), determinism, errors.
TEST_NAME=choose_k
. "${KM_SRC:?}/tests/cli/cli_lib.sh"

# png_info FILE: "WIDTH HEIGHT DISTINCT_COLORS" of a PNG (PIL).
png_info() {
    "$PY" -c 'import sys
from PIL import Image
im = Image.open(sys.argv[1]); im.load()
print(im.size[0], im.size[1], len(im.convert("RGB").getcolors(1 << 24)))' "$1"
}

# size_colors INFO "W H": INFO (from png_info) has that size and more than
# 20 colors (axes, text and data drawn, not a blank or solid image).
size_colors() {
    [ "${1% *}" = "$2" ] && [ "${1##* }" -gt 20 ]
}

# ---- silhouette ------------------------------------------------------------------
expect_ok "fit k=5" "$KMEANS" fit "$BLOBS" -k 5 --n-init 10 --seed 42 \
    --labels labels.csv
expect_ok "silhouette" "$KMEANS" silhouette "$BLOBS" --labels labels.csv
out_has "prints the score" "silhouette score:"
expect_ok "silhouette --json --samples" "$KMEANS" silhouette "$BLOBS" \
    --labels labels.csv --json --samples s.npy
cp out sil.json
json_keys "silhouette JSON" sil.json score calinski_harabasz davies_bouldin \
    n_samples n_clusters
check "5 clusters" [ "$(json_get sil.json "j['n_clusters']")" = 5 ]
if [ "$HAVE_NUMPY" = 1 ]; then
    # scikit-learn on the same labeling: every coefficient within 1e-9.
    check "samples and scores = scikit-learn" "$PY" -c 'import json, sys
import numpy as np
from sklearn import metrics
X = np.loadtxt(sys.argv[1], delimiter=",")
lab = np.loadtxt("labels.csv").astype(int)
j = json.load(open("sil.json"))
s = np.load("s.npy")
ok = (s.shape == (len(X),) and
      np.max(np.abs(s - metrics.silhouette_samples(X, lab))) <= 1e-9 and
      abs(j["score"] - metrics.silhouette_score(X, lab)) <= 1e-9 and
      abs(j["calinski_harabasz"] / metrics.calinski_harabasz_score(X, lab) - 1) <= 1e-9 and
      abs(j["davies_bouldin"] / metrics.davies_bouldin_score(X, lab) - 1) <= 1e-9)
sys.exit(0 if ok else 1)' "$BLOBS"
fi
# Labels need not be 0..k-1: shifting and scaling them changes nothing.
awk '{ print $1 * 10 - 7 }' labels.csv >labels_sparse.csv
expect_ok "non-contiguous labels" "$KMEANS" silhouette "$BLOBS" \
    --labels labels_sparse.csv --json
check "same score" [ "$(json_get out "j['score']")" = "$(json_get sil.json "j['score']")" ]
expect_ok "--threads 1" "$KMEANS" silhouette "$BLOBS" --labels labels.csv \
    --json --threads 1
check "same bits on one thread" [ "$(json_get out "j['score']")" = "$(json_get sil.json "j['score']")" ]
expect_ok "--sample-size" "$KMEANS" silhouette "$BLOBS" --labels labels.csv \
    --json --sample-size 500 --seed 3
check "sample score near the full one" "$PY" -c 'import json, sys
a = json.load(open("out"))["score"]; b = json.load(open("sil.json"))["score"]
sys.exit(0 if abs(a - b) < 0.05 and a != b else 1)'

# ---- silhouette errors ---------------------------------------------------------
expect_fail "missing --labels" 2 "--labels" "$KMEANS" silhouette "$BLOBS"
head -n 100 labels.csv >short.csv
expect_fail "wrong label count" 2 "short.csv" "$KMEANS" silhouette "$BLOBS" \
    --labels short.csv
sed '3s/.*/2.5/' labels.csv >frac.csv
expect_fail "fractional label" 2 "not an integer" "$KMEANS" silhouette \
    "$BLOBS" --labels frac.csv
awk '{ print 7 }' labels.csv >one.csv
expect_fail "one cluster" 2 "2 to 1999" "$KMEANS" silhouette "$BLOBS" \
    --labels one.csv
expect_fail "--samples with --sample-size" 2 "--sample-size" "$KMEANS" \
    silhouette "$BLOBS" --labels labels.csv --samples s.csv --sample-size 10

# ---- elbow ---------------------------------------------------------------------
expect_ok "elbow on the blobs" "$KMEANS" elbow "$BLOBS" --k 1:10 --n-init 10 \
    --seed 42 --plot elbow.png --json
cp out elbow.json
json_keys "elbow JSON" elbow.json k inertia elbow
check "elbow at k=4 (as in the book)" [ "$(json_get elbow.json "j['elbow']")" = 4 ]
check "10 inertias" [ "$(json_get elbow.json "len(j['inertia'])")" = 10 ]
check "inertia falls" "$PY" -c 'import json, sys
i = json.load(open("elbow.json"))["inertia"]
sys.exit(0 if all(a > b for a, b in zip(i, i[1:])) else 1)'
check "PNG signature" [ "$(head -c 8 elbow.png | od -An -c | tr -d ' \n')" = '211PNG\r\n032\n' ]
info=$(png_info elbow.png)
check "640 x 400 PNG, not blank" size_colors "$info" "640 400"

# Three tight, far-apart groups: the elbow is at 3 whatever the seed.
awk 'BEGIN { for (i = 0; i < 90; i++) { g = i % 3
    printf "%.3f,%.3f\n", (g == 1) * 20 + (i % 7) * 0.1, (g == 2) * 20 + (i % 5) * 0.1 } }' >three.csv
for seed in 0 1 2; do
    expect_ok "elbow of three groups (seed $seed)" "$KMEANS" elbow three.csv \
        --k 1:8 --seed "$seed" --json
    check "elbow at 3 (seed $seed)" [ "$(json_get out "j['elbow']")" = 3 ]
done
# A straight line has no elbow: the JSON says null.
awk 'BEGIN { for (i = 0; i < 40; i++) printf "%d\n", i }' >line.csv
expect_ok "elbow of a uniform line" "$KMEANS" elbow line.csv --k 1:3 --json
check "k list" [ "$(json_get out "j['k']")" = "[1, 2, 3]" ]
expect_ok "elbow text table" "$KMEANS" elbow three.csv --k 1,4,2,3
out_has "elbow line" "elbow: k=3"
expect_ok "elbow svg" "$KMEANS" elbow three.csv --k 1:5 --plot elbow.svg
check "SVG of the requested size" grep -q 'width="640px" height="400px"' elbow.svg
check "SVG ends" grep -q '</svg>' elbow.svg
expect_fail "elbow needs 3 k" 2 "at least 3" "$KMEANS" elbow three.csv --k 2:3
expect_fail "k above n" 2 "too large" "$KMEANS" elbow three.csv --k 1:100
expect_fail "bad plot name" 2 "not a .png" "$KMEANS" elbow three.csv \
    --plot elbow.jpg
expect_fail "bad range" 2 "--k" "$KMEANS" elbow three.csv --k 5:2
expect_fail "unwritable plot" 1 "nonexistent" "$KMEANS" elbow three.csv \
    --plot nonexistent/elbow.png
check "no partial plot" [ ! -e nonexistent ]

# ---- choose-k ------------------------------------------------------------------
expect_ok "choose-k" "$KMEANS" choose-k "$BLOBS" --k 2:9 --n-init 10 \
    --seed 42 --plot scores.png --diagram diagrams.png --json
cp out ck.json
json_keys "choose-k JSON" ck.json k inertia silhouette calinski_harabasz \
    davies_bouldin recommended_k reason
check "recommends k=4 (as the book)" [ "$(json_get ck.json "j['recommended_k']")" = 4 ]
check "reason names the silhouette" grep -q 'highest silhouette' ck.json
check "k=5 close behind" "$PY" -c 'import json, sys
j = json.load(open("ck.json")); s = dict(zip(j["k"], j["silhouette"]))
sys.exit(0 if max(s, key=s.get) == 4 and s[4] - s[5] < 0.05 else 1)'
if [ "$HAVE_NUMPY" = 1 ]; then
    # The scores of choose-k are those of its own labels: check k=4's.
    expect_ok "fit k=4" "$KMEANS" fit "$BLOBS" -k 4 --n-init 10 --seed 42 \
        --labels l4.csv
    expect_ok "silhouette of k=4" "$KMEANS" silhouette "$BLOBS" --labels l4.csv --json
    check "choose-k k=4 = silhouette of fit k=4" [ "$(json_get out "j['score']")" = "$(json_get ck.json "j['silhouette'][2]")" ]
fi
info=$(png_info scores.png)
check "scores plot 640 x 400, not blank" size_colors "$info" "640 400"
info=$(png_info diagrams.png)
check "diagram: 3 x 3 panels of 330 x 290, +40 title" size_colors "$info" "990 910"
expect_ok "choose-k one thread" "$KMEANS" choose-k "$BLOBS" --k 2:9 \
    --n-init 10 --seed 42 --threads 1 --json
check "same JSON on one thread" [ "$(json_get out "j['silhouette']")" = "$(json_get ck.json "j['silhouette']")" ]
expect_ok "choose-k text" "$KMEANS" choose-k three.csv --k 2:4
out_has "recommendation" "recommended k: 3"
expect_fail "k=1 has no silhouette" 2 "at least 2" "$KMEANS" choose-k three.csv --k 1:4
expect_fail "bad diagram name" 2 "not a .png" "$KMEANS" choose-k three.csv \
    --diagram d.gif
only_files "only the outputs asked for" . labels.csv sil.json s.npy \
    labels_sparse.csv short.csv frac.csv one.csv elbow.png elbow.json \
    three.csv line.csv elbow.svg scores.png diagrams.png ck.json out err \
    $( [ "$HAVE_NUMPY" = 1 ] && echo l4.csv )

finish
