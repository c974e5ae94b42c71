#!/usr/bin/env bash
# Times the paper side of the release binary: a 2-of-3 ceremony (PDF sheets included; the PDF
# work cannot be timed apart from the rest), the size of each sheet, and scanning 300-dpi page
# images with `breakglass recover`, against the time just to decode the PNG, and the same pages
# saved as JPEG (quality 85, as a phone or a scanner's "photo" mode saves them). Then runs the
# compare_decoders example on the same pages and on ../shared/qr-blackbox.
# Recovery from the two 300-dpi pages has two targets, timed in the same run:
#   - at most 1.5x the decode floor (the decode_floor example: the same two PNGs decoded to
#     grey with the png crate and an integer grey conversion, one process, nothing scanned);
#   - at most 0.25x zbarimg's time on the same two files (when zbarimg is installed).
# A missed target is printed as MISSED and the script exits with status 1.
# Needs pdftoppm (poppler-utils). Usage: scripts/bench_paper.sh [RUNS]   (default 5; medians)
# BREAKGLASS=path/to/breakglass times that binary instead (e.g. an older build, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pdftoppm >/dev/null || { echo "needs pdftoppm: apt-get install poppler-utils" >&2; exit 1; }
if [ -z "${BREAKGLASS:-}" ]; then
  cargo build --release --locked --quiet
fi
cargo build --release --locked --quiet -p breakglass-paper --example compare_decoders --example decode_floor
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$runs" "$work" <<'PY'
import glob, os, re, shutil, statistics, struct, subprocess, sys, time, zlib
runs, work = int(sys.argv[1]), sys.argv[2]
target = os.path.abspath(os.environ.get("CARGO_TARGET_DIR", "target"))
bg = os.path.abspath(os.environ.get("BREAKGLASS") or f"{target}/release/breakglass")
floor_bin = f"{target}/release/examples/decode_floor"

def timed(args, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"failed: {' '.join(args)}\n{r.stderr.decode()}")
    return statistics.median(times), r

# 1. Ceremonies: 2 accounts, 2 of 3, a FIDO2 PIN (the vault then takes two QR parts).
base = [bg, "ceremony", "--allow-online", "--print-credentials", "--tenant", "contoso", "-k", "2",
        "--share", "Safe A", "--share", "Safe B", "--share", "Safe C",
        "--fido2", "YubiKey 5 NFC #1234"]
times = []
for i in range(runs):
    t = time.perf_counter()
    r = subprocess.run(base + ["--out", f"{work}/c{i}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    times.append(time.perf_counter() - t)
    if r.returncode != 0:
        sys.exit(f"ceremony failed: {r.stderr.decode()}")
ceremony = statistics.median(times)
sheets = f"{work}/c0"
pdfs = sorted(glob.glob(f"{sheets}/share-*.pdf"))
txts = sorted(glob.glob(f"{sheets}/share-[0-9].txt"))
pdf_sizes = [os.path.getsize(p) for p in pdfs]
txt_sizes = [os.path.getsize(p) for p in txts]

# 2. Page 1 of sheets 1 and 3 at 300 dpi, as a scanner gives them (RGB PNG).
pages = []
render = []
for n in (1, 3):
    pdf = next(p for p in pdfs if os.path.basename(p).startswith(f"share-{n}-"))
    out = f"{work}/page{n}"
    t = time.perf_counter()
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", "-singlefile", pdf, out], check=True)
    render.append(time.perf_counter() - t)
    pages.append(out + ".png")
# The same pages as JPEG (a phone's or a scanner's photo mode).
jpegs = []
for n in (1, 3):
    pdf = next(p for p in pdfs if os.path.basename(p).startswith(f"share-{n}-"))
    out = f"{work}/jpage{n}"
    subprocess.run(["pdftoppm", "-r", "300", "-jpeg", "-jpegopt", "quality=85", "-f", "1", "-l", "1",
                    "-singlefile", pdf, out], check=True)
    jpegs.append(out + ".jpg")

def png_info(path):
    data = open(path, "rb").read()
    w, h = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    return w, h, idat, len(data)

# 3. Scanning: recover from the two page images vs from the two text files.
txt_pair = [t for t in txts if re.search(r"share-[13]\.txt$", t)]
rec_png, out = timed([bg, "recover", *pages], runs)
if "Password:" not in out.stdout.decode():
    sys.exit("recover from the page images printed no password")
rec_txt, _ = timed([bg, "recover", *txt_pair], runs)
rec_jpg, out = timed([bg, "recover", *jpegs], runs)
if "Password:" not in out.stdout.decode():
    sys.exit("recover from the JPEG page images printed no password")
# Interleaved with recover's runs' conditions as far as one script can: right after them.
floor, _ = timed([floor_bin, *pages], runs)
zbar = None
if shutil.which("zbarimg"):
    zbar, _ = timed(["zbarimg", "--nodbus", "-q", *pages], runs)
    zbar_jpg, _ = timed(["zbarimg", "--nodbus", "-q", *jpegs], runs)

# 4. Just decoding the PNG: zlib inflate of the pixel data (Python's zlib is C; the PNG row
# filters are not undone, so this is a lower bound), and ImageMagick's full decode if installed.
inflate = []
for pg in pages:
    w, h, idat, size = png_info(pg)
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        raw = zlib.decompress(idat)
        ts.append(time.perf_counter() - t)
    inflate.append(statistics.median(ts))
w, h, _, _ = png_info(pages[0])
magick = None
im = "/usr/bin/convert"
if os.path.exists(im) and b"ImageMagick" in subprocess.run([im, "-version"], capture_output=True).stdout:
    ts = []
    for pg in pages:
        m, _ = timed([im, pg, "-colorspace", "Gray", "-depth", "8", "gray:/dev/null"], runs)
        ts.append(m)
    magick = statistics.mean(ts)

print()
print(f"breakglass release binary, {runs} runs each, medians")
print()
print("| what | time / size |")
print("| --- | --- |")
print(f"| ceremony 2-of-3, 2 accounts + 1 FIDO2 PIN, 3 PDF + 3 text sheets (wall) | {ceremony*1000:.0f} ms |")
for p, s in zip(pdfs, pdf_sizes):
    print(f"| PDF size, {os.path.basename(p)} | {s/1024:.1f} KiB |")
print(f"| text sheet size (share-N.txt) | {min(txt_sizes)}-{max(txt_sizes)} bytes |")
print(f"| pdftoppm page 1 at 300 dpi ({w} x {h}, PNG {os.path.getsize(pages[0])/1e6:.2f} MB) | {statistics.mean(render)*1000:.0f} ms / page |")
print(f"| recover from 2 text sheets (process, parse, decrypt) | {rec_txt*1000:.0f} ms |")
print(f"| recover from 2 page images, 300 dpi | {rec_png*1000:.0f} ms |")
print(f"| = scan time per 300-dpi page (recover on 2 images / 2) | {rec_png/2*1000:.0f} ms |")
print(f"| = scan time per page beyond text recovery ((images - text) / 2) | {(rec_png-rec_txt)/2*1000:.0f} ms |")
print(f"| recover from the same 2 pages as JPEG (quality 85, {sum(map(os.path.getsize, jpegs))/2e6:.2f} MB each) | {rec_jpg*1000:.0f} ms |")
print(f"| PNG inflate only (Python zlib, lower bound of a decode) | {statistics.mean(inflate)*1000:.0f} ms / page |")
if magick is not None:
    print(f"| PNG decode to grey, ImageMagick convert (process included) | {magick*1000:.0f} ms / page |")
else:
    print("| PNG decode to grey, ImageMagick convert | (not installed) |")
print(f"| decode floor: both PNGs to grey, png crate, one process (decode_floor) | {floor*1000:.0f} ms |")
if zbar is not None:
    print(f"| zbarimg on both PNGs | {zbar*1000:.0f} ms |")
    print(f"| zbarimg on both JPEGs | {zbar_jpg*1000:.0f} ms |")
print()
print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
targets = [("recover from 2 page images at most 1.5x the decode floor", rec_png <= 1.5 * floor,
            f"{rec_png*1000:.0f} ms = {rec_png/floor:.2f}x {floor*1000:.0f} ms")]
if zbar is not None:
    targets.append(("recover from 2 page images at most 0.25x zbarimg", rec_png <= 0.25 * zbar,
                    f"{rec_png*1000:.0f} ms = {rec_png/zbar:.2f}x {zbar*1000:.0f} ms"))
missed = False
for what, ok, got in targets:
    print(f"{'met   ' if ok else 'MISSED'}  {what}: {got}")
    missed |= not ok
open(f"{work}/missed", "w").write("1" if missed else "0")
sys.stdout.flush()

# 5. compare_decoders on these two pages (its folder layout: qrcode-1/N.png + N.txt, the text
# being one code's payload; the share code's is rebuilt from the text sheet, FORMAT.md 6.4).
root = f"{work}/pages"
os.makedirs(f"{root}/qrcode-1")
for i, (pg, txt) in enumerate(zip(pages, txt_pair), start=1):
    lines = open(txt).read().splitlines()
    start = next(k for k, l in enumerate(lines) if l.startswith("BG1-S-"))
    header = lines[start]
    count = int(header.split("-")[2])
    body = ["".join(l.split()) for l in lines[start + 1:start + 1 + count]]
    open(f"{root}/qrcode-1/{i}.txt", "w").write(" ".join([header] + body))
    shutil.copy(pg, f"{root}/qrcode-1/{i}.png")
print()
print("compare_decoders on the two 300-dpi pages (qrcode-1 = these pages; 'decoded' = the share code read;")
print("its zbarimg row compares zbarimg's whole output with one payload, so a page of 3 codes counts as a miss):")
sys.stdout.flush()
subprocess.run([f"{target}/release/examples/compare_decoders", root], check=True)
PY
echo
if [ -d ../shared/qr-blackbox ]; then
  echo "compare_decoders on ../shared/qr-blackbox (ZXing black-box photos):"
  "${CARGO_TARGET_DIR:-target}/release/examples/compare_decoders" ../shared/qr-blackbox
else
  echo "(../shared/qr-blackbox not found: compare_decoders on the black-box photos skipped)"
fi
if [ "$(cat "$work/missed")" = 1 ]; then
  exit 1
fi
