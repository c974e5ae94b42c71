#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 30), one after another, on stable Rust
# without a sanitizer (fuzz/README.md). Installs cargo-fuzz if it is missing. Fails on the first
# crash, timeout or out-of-memory; the input is left in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export CARGO_TERM_COLOR=never

seconds="${1:-30}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

targets=$(cargo fuzz list)
cargo fuzz build -s none
for t in $targets; do
  echo "== fuzz $t (${seconds}s)"
  mkdir -p "corpus/$t"
  # New inputs go to a scratch folder: the committed corpus stays small (cmin it deliberately).
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cargo fuzz run -s none "$t" "$scratch" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
  rm -rf "$scratch"
  trap - EXIT
done
echo "== fuzz: no crash in $(echo "$targets" | wc -w) targets"
