# test_segment.sh - `kmeans segment`: images with known colors segment to
# known palettes and labels, k distinct colors at k reproduce the image
# exactly, alpha and depth are preserved, the output PNG decodes back to the
# expected samples, --grid and --sample work, and every bad file fails
# cleanly.  Input PNGs are written (and outputs read) by a small pure-Python
# PNG codec below, independent of libpng.
TEST_NAME=segment
. "$KM_SRC/tests/cli/cli_lib.sh"

FLOWER=$KM_SRC/data/flower.jpg

if [ "$HAVE_NUMPY" -ne 1 ]; then
    echo "cli segment: skipped (needs $PY with numpy)"
    exit 0
fi

cat >pngcodec.py <<'EOF'
"""A minimal PNG codec for the tests: writes any color type (8/16-bit,
palette with tRNS) without filters, reads non-interlaced 8/16-bit files."""
import struct, sys, zlib
import numpy as np

def chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body +
            struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))

def write(path, a, color, depth=8, plte=None, trns=None):
    a = np.asarray(a)
    h, w = a.shape[:2]
    raw = a.astype(">u2" if depth == 16 else "u1").reshape(h, -1).tobytes()
    stride = len(raw) // h
    rows = b"".join(b"\0" + raw[y * stride:(y + 1) * stride] for y in range(h))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))
    if plte is not None:
        out += chunk(b"PLTE", bytes(np.asarray(plte, "u1").ravel()))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    out += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    open(path, "wb").write(out)

def read(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat = 8, b""
    while at < len(data):
        n, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color, _, _, inter = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += n + 12
    assert inter == 0
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    bpp = ch * depth // 8
    stride = w * bpp
    raw = zlib.decompress(idat)
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: row[i] = (row[i] + a) & 255
            elif f == 2: row[i] = (row[i] + b) & 255
            elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out[y * stride:(y + 1) * stride] = row
        prev = row
    a = np.frombuffer(bytes(out), ">u2" if depth == 16 else "u1")
    return a.reshape(h, w, ch).astype(int), depth
EOF

# py CODE: run Python with numpy, the codec and json; prints what CODE prints.
py() {
    "$PY" -c "import sys, json; sys.path.insert(0, '.'); import numpy as np, pngcodec as pc
$1"
}
# pycheck DESC CODE: CODE (Python) exits 0.
pycheck() {
    if py "$2" >pyout 2>&1; then pass; else
        fail "$1"
        show pyout
    fi
}

# ---- four known colors in blocks, RGB 8-bit ----
py "
colors = np.array([[200, 30, 40], [10, 220, 60], [90, 90, 250], [255, 255, 0]])
lab = (np.arange(24)[:, None] // 6 + 2 * (np.arange(20)[None, :] // 10)) % 4
pc.write('four.png', colors[lab], 2)
np.save('four_truth.npy', lab)"

expect_ok "4 colors at k=4" "$KMEANS" segment four.png -k 4 --seed 1 \
    -o four_out.png --palette four_pal.csv --labels four_lab.npy --json
cp out four.json
json_keys "segment json" four.json width height channels k inertia n_iter \
    palette share fit_seconds sampled
pycheck "k distinct colors at k reproduce the image exactly" "
a, d = pc.read('four.png'); b, db = pc.read('four_out.png')
assert d == db == 8 and a.shape == b.shape == (24, 20, 3), (a.shape, b.shape)
assert (a == b).all()"
pycheck "palette holds the known colors and labels index it" "
a, _ = pc.read('four.png')
pal = np.loadtxt('four_pal.csv', delimiter=',', ndmin=2)
lab = np.load('four_lab.npy')
assert lab.dtype == np.int32 and lab.shape == (480,), (lab.dtype, lab.shape)
assert sorted(map(tuple, pal.astype(int))) == sorted([(200, 30, 40), (10, 220, 60), (90, 90, 250), (255, 255, 0)])
assert (pal[lab].astype(int) == a.reshape(-1, 3)).all()
truth = np.load('four_truth.npy').ravel()
assert len(set(zip(truth, lab))) == 4"
pycheck "json: palette, share, inertia 0" "
j = json.load(open('four.json'))
assert (j['width'], j['height'], j['channels'], j['k']) == (20, 24, 3, 4)
assert 0 <= j['inertia'] < 1e-9, j['inertia']
pal = np.array(j['palette']); lab = np.load('four_lab.npy')
share = np.bincount(lab, minlength=4) / 480.0
assert np.allclose(j['share'], share, rtol=0, atol=1e-15)
assert (pal == np.loadtxt('four_pal.csv', delimiter=',')).all()
assert j['sampled'] is False"

# ---- fewer clusters: two known groups of colors, k=2 ----
py "
rng = np.random.RandomState(0)
lab = (np.arange(30 * 30) % 7 < 3).astype(int).reshape(30, 30)
base = np.array([[40, 50, 60], [200, 190, 180]])
img = base[lab] + rng.randint(-3, 4, size=(30, 30, 3))
pc.write('two.png', img, 2); np.save('two_truth.npy', lab.ravel())"
expect_ok "2 noisy colors at k=2" "$KMEANS" segment two.png -k 2 \
    -o two_out.png --palette two_pal.npy --labels two_lab.csv
pycheck "palette is the mean color of each group" "
a, _ = pc.read('two.png'); b, _ = pc.read('two_out.png')
X = a.reshape(-1, 3) / np.float32(255); truth = np.load('two_truth.npy')
pal = np.load('two_pal.npy'); lab = np.loadtxt('two_lab.csv', dtype=int)
assert len(set(zip(truth, lab))) == 2
for j in range(2):
    mean = X[lab == j].astype(np.float64).mean(axis=0)
    want = np.floor(mean * 255 + 0.5)
    assert (pal[j] == want).all(), (pal[j], want)
    assert (b.reshape(-1, 3)[lab == j] == want).all()"

# ---- gray + alpha: alpha kept, transparent pixels do not vote ----
py "
g = np.array([20, 120, 220])[np.arange(16 * 12).reshape(16, 12) % 3]
alpha = np.where(np.arange(16 * 12).reshape(16, 12) % 5 == 0, 0, 255)
alpha[1, 1] = 77
g[alpha == 0] = 170   # a fourth gray, only under transparent pixels
pc.write('ga.png', np.dstack([g, alpha]), 4)"
expect_ok "gray+alpha at k=3" "$KMEANS" segment ga.png -k 3 -o ga_out.png \
    --labels ga_lab.npy --json
cp out ga.json
pycheck "gray+alpha: alpha and transparent pixels kept, opaque exact" "
a, _ = pc.read('ga.png'); b, _ = pc.read('ga_out.png')
assert b.shape == (16, 12, 2)
assert (a == b).all()
lab = np.load('ga_lab.npy').reshape(16, 12)
assert ((lab == -1) == (a[:, :, 1] == 0)).all()
j = json.load(open('ga.json'))
assert j['channels'] == 2 and len(j['palette'][0]) == 1
assert sorted(c[0] for c in j['palette']) == [20, 120, 220]
assert j['n_clustered'] == int((a[:, :, 1] > 0).sum()) and 0 <= j['inertia'] < 1e-9"

# ---- palette PNG with tRNS -> RGBA; 16-bit RGB stays 16-bit ----
py "
idx = (np.arange(10 * 9).reshape(10, 9) * 7) % 3
pc.write('pal.png', idx, 3, plte=[[255, 0, 0], [0, 0, 255], [9, 9, 9]], trns=[255, 128])
v = np.array([[1000, 2000, 65535], [60000, 30000, 5]])
pc.write('rgb16.png', v[(np.arange(8 * 8).reshape(8, 8) // 5) % 2], 2, depth=16)"
expect_ok "palette PNG with tRNS" "$KMEANS" segment pal.png -k 3 -o pal_out.png
pycheck "palette PNG decodes to RGBA, reproduced exactly" "
b, d = pc.read('pal_out.png')
idx = (np.arange(10 * 9).reshape(10, 9) * 7) % 3
want = np.array([[255, 0, 0, 255], [0, 0, 255, 128], [9, 9, 9, 255]])[idx]
assert d == 8 and (b == want).all()"
expect_ok "16-bit RGB" "$KMEANS" segment rgb16.png -k 2 -o rgb16_out.png \
    --palette rgb16_pal.csv
pycheck "16-bit output holds the 16-bit colors exactly" "
a, da = pc.read('rgb16.png'); b, db = pc.read('rgb16_out.png')
assert da == db == 16 and (a == b).all()
pal = np.loadtxt('rgb16_pal.csv', delimiter=',')
assert sorted(map(tuple, pal.astype(int))) == [(4, 8, 255), (233, 117, 0)], pal"

# ---- gray 8-bit and k larger than the pixels ----
py "pc.write('gray.png', np.arange(12).reshape(3, 4) * 20, 0)"
expect_ok "gray image" "$KMEANS" segment gray.png -k 12 -o gray_out.png
pycheck "gray with one cluster per pixel is exact" "
a, _ = pc.read('gray.png'); b, _ = pc.read('gray_out.png'); assert (a == b).all()"
expect_fail "k above the pixel count" 2 "larger than the number" \
    "$KMEANS" segment gray.png -k 13

# ---- the photograph ----
expect_ok "flower grid" "$KMEANS" segment "$FLOWER" --grid 10,8,6,4,2 \
    -o grid.png --seed 42 --json
cp out grid.json
pycheck "grid figure and json" "
j = json.load(open('grid.json'))
assert [g['k'] for g in j['grid']] == [10, 8, 6, 4, 2]
assert all(len(g['palette']) == g['k'] for g in j['grid'])
assert (j['width'], j['height']) == (640, 427)
data = open('grid.png', 'rb').read(); import struct
w, h = struct.unpack('>II', data[16:24]); assert w >= 900 and h >= 400, (w, h)"
expect_ok "flower 1 thread" "$KMEANS" segment "$FLOWER" -k 8 --seed 42 \
    --threads 1 -o f1.png --json
cp out f1.json
expect_ok "flower 2 threads" "$KMEANS" segment "$FLOWER" -k 8 --seed 42 \
    --threads 2 -o f2.png
check "same image for 1 and 2 threads" cmp -s f1.png f2.png
expect_ok "flower --sample" "$KMEANS" segment "$FLOWER" -k 8 --seed 42 \
    --sample 20000 --json
cp out fs.json
pycheck "sampled fit reports it; inertia over all pixels is close" "
a = json.load(open('f1.json')); s = json.load(open('fs.json'))
assert s['sampled'] is True and s['sample_size'] == 20000 and a['sampled'] is False
assert sum(s['counts']) == 273280
assert abs(s['inertia'] - a['inertia']) < 0.1 * a['inertia'], (s['inertia'], a['inertia'])"
run sh -c "cat '$FLOWER' | '$KMEANS' segment - -k 2 --json"
check "standard input" [ "$RC" -eq 0 ]

# ---- JPEG samples identical to Pillow's (when python3-pil is installed) ----
if "$PY" -c 'import PIL' 2>/dev/null; then
    for f in "$FLOWER" "$KM_SRC"/tests/fuzz/corpus/fuzz_jpeg/baseline_444.jpg \
        "$KM_SRC"/tests/fuzz/corpus/fuzz_jpeg/progressive_rgb.jpg \
        "$KM_SRC"/tests/fuzz/corpus/fuzz_jpeg/progressive_gray.jpg \
        "$KM_SRC"/tests/fuzz/corpus/fuzz_jpeg/restart.jpg; do
        expect_ok "pixels of $f" "$KMEANS" segment "$f" -k 1 --max-iter 1 \
            --pixels px.npy
        pycheck "$f decodes as Pillow decodes it" "
from PIL import Image
a = np.asarray(Image.open('$f')).astype(int)
x = np.load('px.npy')
assert x.dtype == np.float32 and x.shape[0] == a.shape[0] * a.shape[1]
assert (x == (a.reshape(len(x), -1) / np.float32(255)).astype(np.float32)).all()"
    done
else
    echo "cli segment: Pillow comparison skipped (no python3-pil)"
fi

# ---- bad files ----
: >empty.png
printf 'x,y\n1,2\n' >text.png
head -c $(($(wc -c <four.png) / 2)) four.png >trunc.png
head -c 30000 "$FLOWER" >trunc.jpg
py "
d = bytearray(open('$FLOWER', 'rb').read())
sos = d.index(b'\xff\xda'); m = sos + (len(d) - sos) // 2
d[m:m + 2] = b'\xff\xd9'
open('corrupt.jpg', 'wb').write(bytes(d))
import struct, zlib
def chunk(k, b): return struct.pack('>I', len(b)) + k + b + struct.pack('>I', zlib.crc32(k + b))
hdr = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 100000, 100000, 8, 2, 0, 0, 0))
open('huge.png', 'wb').write(hdr + chunk(b'IDAT', b'') + chunk(b'IEND', b''))
zero = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 0, 5, 8, 2, 0, 0, 0))
open('zero.png', 'wb').write(zero + chunk(b'IEND', b''))"
printf 'keep' >existing.png
expect_fail "empty file" 2 "empty.png: empty file" \
    "$KMEANS" segment empty.png -o existing.png
check "failed run leaves the output untouched" [ "$(cat existing.png)" = keep ]
expect_fail "not an image" 2 "text.png: not a PNG or JPEG" \
    "$KMEANS" segment text.png
expect_fail "truncated PNG" 2 "trunc.png: truncated PNG" \
    "$KMEANS" segment trunc.png
expect_fail "truncated JPEG" 2 "trunc.jpg: corrupt JPEG data: Premature end" \
    "$KMEANS" segment trunc.jpg
expect_fail "corrupt JPEG" 2 "corrupt.jpg: corrupt JPEG data" \
    "$KMEANS" segment corrupt.jpg
expect_fail "absurd dimensions" 2 \
    "huge.png: image is 100000 x 100000 = 10000000000 pixels" \
    "$KMEANS" segment huge.png
expect_fail "zero-size image" 2 "zero.png: empty image (0 x 5 pixels)" \
    "$KMEANS" segment zero.png
expect_fail "pixel limit" 2 "more than the limit of 100000 pixels" \
    "$KMEANS" segment "$FLOWER" --max-pixels 100000
expect_fail "missing file" 2 "nothere.png: cannot open" \
    "$KMEANS" segment nothere.png
expect_fail "transparent only" 2 "fully transparent" sh -c \
    "'$PY' -c \"import sys; sys.path.insert(0, '.'); import numpy as np, pngcodec as pc; pc.write('clear.png', np.zeros((2, 2, 4), int), 6)\" && '$KMEANS' segment clear.png"

# ---- usage ----
expect_fail "bad --grid" 2 "--grid: '10,,2' is not" \
    "$KMEANS" segment four.png --grid 10,,2 -o g.png
expect_fail "--grid needs -o" 2 "give -o FILE" "$KMEANS" segment four.png --grid 2
expect_fail "-k and --grid" 2 "either -k or --grid" \
    "$KMEANS" segment four.png -k 2 --grid 2 -o g.png
expect_fail "output must be PNG" 2 "name it .png" \
    "$KMEANS" segment four.png -o out.jpg
expect_fail "json and stdout" 2 "--json prints on standard output" \
    "$KMEANS" segment four.png -o - --json
expect_fail "bad --sample" 2 "--sample" "$KMEANS" segment four.png --sample 0
expect_ok "help" "$KMEANS" help segment
out_has "help lists --max-pixels with its default" "89478485"
out_has "help lists --n-init" "--n-init"

finish
