#!/usr/bin/env bash
# Build the krew archive (kubectl-mayadiag + LICENSE) and write its sha256 and the crate version
# into plugins/krew/mayadiag.yaml.
#   bash plugins/krew/package.sh [BINARY] [OUT_DIR]
# BINARY defaults to a fresh `cargo build --release --locked` (target/release/mayadiag).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-}"
out="${2:-$root}"
if [[ -z "$bin" ]]; then
    (cd "$root" && cargo build --release --locked --bin mayadiag)
    bin="${CARGO_TARGET_DIR:-$root/target}/release/mayadiag"
fi
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/kubectl-mayadiag"
cp "$root/LICENSE" "$stage/LICENSE"
archive="$out/mayadiag-linux-amd64.tar.gz"
tar -C "$stage" -czf "$archive" kubectl-mayadiag LICENSE
sum="$(sha256sum "$archive" | cut -d' ' -f1)"
manifest="${KREW_MANIFEST:-$root/plugins/krew/mayadiag.yaml}"
sed -i -E "s/^(  version: )v.*/\1v$version/; s/^(      sha256: ).*/\1\"$sum\"/; s#(releases/download/)v[^/]*/#\1v$version/#" "$manifest"
echo "$archive ($sum); $manifest updated"
