#!/usr/bin/env bash
# Builds the release binary twice, from two copies of the source in different folders with
# different target folders, and checks both are byte-identical. Prints the SHA-256 a ceremony
# laptop compares with the published one (README "Verifying the binary").
# Usage: scripts/reproducible-build.sh            (uses the committed source: git HEAD)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cargo_home=${CARGO_HOME:-$HOME/.cargo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() {
  local dir=$1
  mkdir -p "$dir"
  git -C "$root" archive HEAD | tar -x -C "$dir"
  (
    cd "$dir"
    # Paths of the source and of the cargo home are remapped, so the folder does not leak
    # into the binary (panic locations embed paths).
    RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$dir=/build" \
      SOURCE_DATE_EPOCH=0 cargo build --release --locked --quiet --target-dir "$dir/target"
  )
  sha256sum "$dir/target/release/breakglass" | cut -d' ' -f1
}

a=$(build "$work/first/breakglass")
b=$(build "$work/second-copy/src/breakglass")
echo "first build:  $a"
echo "second build: $b"
if [ "$a" != "$b" ]; then
  echo "NOT REPRODUCIBLE: the two builds differ" >&2
  exit 1
fi
echo "reproducible: sha256 $a  breakglass ($(git rev-parse --short HEAD), $(rustc --version))"
