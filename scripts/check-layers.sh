#!/usr/bin/env bash
# The layering, proved from the manifests: the core's normal dependency tree holds no CLI,
# process, JSON, PDF or image crate, and the paper layer holds no CLI crate. Exits 1 naming any.
# It also prints how many crates the release binary is built from: what the tree may hold is
# the policy in deny.toml (licences, sources, duplicate versions), not a cap on this number.
#
# One exception is pruned, not hidden: blahaj turns on rand's `thread_rng` feature
# unconditionally, which brings getrandom (and libc below it on Linux) into the core's tree.
# The core never calls it: every RNG is a parameter (blahaj's `dealer_rng` takes ours).
#
#   scripts/check-layers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

tree() {
  cargo tree --locked -p "$1" -e normal --prune getrandom --prefix none --format '{p}' \
    | awk '{print $1}' | sort -u
}

check() {
  local package=$1 forbidden=$2 found
  found=$(tree "$package" | grep -Ex "$forbidden" || true)
  if [ -n "$found" ]; then
    echo "layering broken: $package depends on $(echo "$found" | tr '\n' ' ')" >&2
    exit 1
  fi
  echo "$package: $(tree "$package" | wc -l) crates, none of: ${forbidden//|/ }"
}

check breakglass-core 'clap|clap_builder|anyhow|rpassword|libc|serde_json|printpdf|lopdf|image|rxing|rqrr|qrcode|breakglass-paper|breakglass'
check breakglass-paper 'clap|clap_builder|anyhow|rpassword|breakglass'

# The test kits (sample ceremonies, hand-made scans) are dev-only: no feature path from the
# release binary turns one on.
if cargo tree --locked -p breakglass -e normal,features --prefix none | grep -q '"testkit"'; then
  echo "a testkit feature reaches the release binary: turn it on in [dev-dependencies] only" >&2
  exit 1
fi
echo "breakglass: no testkit feature in the release build"

# Inside the core, an arrow only points down (crates/core/src/lib.rs): primitives use neither
# formats, protocol nor policy; formats use no protocol or policy module. The modules are
# re-exported flat (`crate::vault`), so name them one by one. Unit tests (from a file's
# `#[cfg(test)]` on) may seal and recover to test a format.
core_uses() {
  local folder=$1 modules=$2 found
  found=$(for f in "crates/core/src/$folder"/*.rs; do
    awk -v f="$f" '/^#\[cfg\(test\)\]/ { exit } { print f ":" FNR ": " $0 }' "$f"
  done | grep -E "crate::($modules)\b" || true)
  if [ -n "$found" ]; then
    echo "layering broken inside the core: $folder/ uses a module above it:" >&2
    echo "$found" >&2
    exit 1
  fi
}
protocol='protocol|seal|recover'
policy='policy|credentials|entra|password|phonetic|placement|plan|tenant|totp'
formats='format|contents|document|share|text|untrusted|vault|vault_id'
core_uses primitives "$formats|$protocol|$policy"
core_uses format "$protocol|$policy"
echo "breakglass-core: primitives < formats < protocol, policy (no arrow points up)"

# The release binary's whole tree, the workspace's own crates included (README, "Dependencies").
# `cargo tree` marks repeats with "(*)": strip it, or a crate reached twice counts twice.
crates=$(cargo tree --locked -p breakglass -e normal --prefix none --format '{p}' \
  | sed 's/ (\*)$//' | sort -u | wc -l)
echo "breakglass: $crates crates in the release build"
