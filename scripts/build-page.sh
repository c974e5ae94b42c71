#!/usr/bin/env bash
# Builds crates/paper/kit/recover.html, the offline recovery page, from its source in
# crates/paper/kit/page: installs the locked dependencies (npm ci) and bundles everything into
# one self-contained file (scripts/build-page.sh [OUT], default the committed file). The build
# is reproducible: CI rebuilds the page and checks it is byte-identical to the committed one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
page="$root/crates/paper/kit/page"
out="${1:-$root/crates/paper/kit/recover.html}"
cd "$page"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
node build.mjs "$out"
