#!/usr/bin/env bash
# Runs every cargo-fuzz target (or the TARGETs named) for SECONDS each (default 30), one after
# another, on stable Rust without a sanitizer (fuzz/README.md); FUZZ_SANITIZER=address builds with
# AddressSanitizer instead (through RUSTC_BOOTSTRAP=1). Installs cargo-fuzz if it is missing.
# Fails on the first crash, timeout or out-of-memory; the input is left in
# fuzz/artifacts/<target>/. Ends with the executions and speed of each target.
# FUZZ_RUNS=N runs each target for N executions instead of for SECONDS (the assurance run in
# SECURITY.md: FUZZ_RUNS=10000000).
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export CARGO_TERM_COLOR=never

seconds="${1:-30}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS [TARGET...]]" >&2; exit 2 ;;
esac
shift || true
sanitizer="${FUZZ_SANITIZER:-none}"
dir=(--target-dir target)
if [ "$sanitizer" != none ]; then
  # Sanitizers need -Zsanitizer: nightly, or stable with RUSTC_BOOTSTRAP. Their own folder: other
  # flags, and sharing one would rebuild everything at each switch.
  export RUSTC_BOOTSTRAP=1
  dir=(--target-dir "target-$sanitizer")
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

if [ $# -gt 0 ]; then targets="$*"; else targets=$(cargo fuzz list); fi
for t in $targets; do cargo fuzz build "${dir[@]}" -s "$sanitizer" "$t"; done
summary=""
if [ -n "${FUZZ_RUNS:-}" ]; then
  budget=(-runs="$FUZZ_RUNS"); what="$FUZZ_RUNS runs"
else
  budget=(-max_total_time="$seconds"); what="${seconds}s"
fi
for t in $targets; do
  echo "== fuzz $t ($what)"
  mkdir -p "corpus/$t"
  # New inputs go to a scratch folder: the committed corpus stays small (cmin it deliberately).
  scratch=$(mktemp -d)
  log="$scratch.log"
  trap 'rm -rf "$scratch" "$log"' EXIT
  cargo fuzz run "${dir[@]}" -s "$sanitizer" "$t" "$scratch" "corpus/$t" -- \
    "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tee "$log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  summary="$summary$(printf '%-16s %12s runs %8s/s' "$t" "$runs" "$speed")"$'\n'
  rm -rf "$scratch" "$log"
  trap - EXIT
done
echo "== fuzz: no crash in $(echo "$targets" | wc -w) targets ($sanitizer sanitizer, $what each)"
printf '%s' "$summary"
