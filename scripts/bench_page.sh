#!/usr/bin/env bash
# Benchmarks recover.html in a headless browser (PAGE_BROWSER=chromium, the default, firefox or
# webkit: tests/page/launch.mjs) against the breakglass binary, in the same run: opening from two
# share files, from two 300-dpi scans (pdftoppm of page 1 of the sheets), and Argon2id at the
# default cost (512 MiB, 3 passes); plus the page's size. Medians of 3 runs, in ms: the page's
# column is the driver's time (choosing the files to the credentials shown), the part after
# pressing Open, and the page's own time measured inside it (files read + opening, without the
# driver's round trips). With DEGRADED=DIR (degraded scans kept by
# `BREAKGLASS_DEGRADATION_KEEP=DIR cargo test --test e2e degradation`), also the page's and the
# binary's decode rate on them. Needs node, the browser, pdftoppm and `scripts/build-page.sh`
# run once (node_modules).
#   scripts/bench_page.sh [BINARY]    (default target/release/breakglass, else target/debug)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${1:-}"
if [ -z "$bin" ]; then
  bin="$target/release/breakglass"
  [ -x "$bin" ] || bin="$target/debug/breakglass"
fi
page="$root/crates/paper/kit/recover.html"
modules="$root/crates/paper/kit/page"
degraded="${DEGRADED:+$(cd "$DEGRADED" && pwd)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

median_ms() { # runs "$@" 3 times, prints the median wall time in ms
  local t=()
  for _ in 1 2 3; do
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    e=$(date +%s%N)
    t+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n 2p
}
page_ms() { node "$root/tests/page/bench.mjs" --page "$page" --modules "$modules" "$@"; }

echo "binary: $bin; browser: ${PAGE_BROWSER:-chromium}; load: $(uptime | sed 's/.*load average: //')"
echo "page size: $(wc -c <"$page") bytes ($(gzip -9 -c "$page" | wc -c) gzipped)"

"$bin" ceremony --allow-online --print-credentials --tenant contoso --threshold 2 \
  --share A --share B --share C --out "$work/plain" >/dev/null 2>&1
printf 'bench passphrase\n' >"$work/pw"
"$bin" ceremony --allow-online --print-credentials --tenant contoso --threshold 2 \
  --share A --share B --share C --passphrase-file "$work/pw" --out "$work/pass" >/dev/null 2>&1
for n in 1 2; do
  pdf=$(ls "$work/plain/share-$n-"*.pdf)
  pdftoppm -r 300 -png -f 1 -l 1 -singlefile "$pdf" "$work/scan-$n"
done

cd "$work"
printf "%-40s %10s %48s\n" "" "binary ms" "page ms"
printf "%-40s %10s %48s\n" "two share files" \
  "$(median_ms "$bin" recover --json plain/share-1.txt plain/share-2.txt)" \
  "$(page_ms plain/share-1.txt plain/share-2.txt)"
printf "%-40s %10s %48s\n" "two 300-dpi scans (PNG)" \
  "$(median_ms "$bin" recover --json scan-1.png scan-2.png)" \
  "$(page_ms scan-1.png scan-2.png)"
printf "%-40s %10s %48s\n" "two share files, Argon2id 512 MiB t=3" \
  "$(median_ms "$bin" recover --json --passphrase-file pw pass/share-1.txt pass/share-2.txt)" \
  "$(page_ms --passphrase 'bench passphrase' pass/share-1.txt pass/share-2.txt)"

if [ -n "$degraded" ]; then
  node "$root/tests/page/degraded_rate.mjs" --page "$page" --modules "$modules" --binary "$bin" "$degraded"
fi

# Decode rate of the page's QR decoder on the ZXing black-box sets, when they are beside the repo.
blackbox="$root/../shared/qr-blackbox"
if [ -d "$blackbox" ]; then
  node "$root/tests/page/decode_rate.mjs" --modules "$modules" "$blackbox"/qrcode-{1,2,3}
fi
