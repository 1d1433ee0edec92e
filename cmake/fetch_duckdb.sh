#!/usr/bin/env bash
# Fetch DuckDB 1.4.4 (header + libduckdb.so) from the npm registry, verify checksums,
# and lay it out under third_party/duckdb/{include,lib}. Idempotent; no other downloads.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$here/third_party/duckdb}"
BINDINGS="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
BINDINGS_SHA="732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b"
HEADER_PKG="duckdb@1.4.4"
HEADER_SHA="5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed"

if [ -f "$dest/lib/libduckdb.so" ] && [ -f "$dest/include/duckdb.h" ]; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch() { # pkg sha
  local tgz
  tgz="$(npm pack --silent "$1" 2>/dev/null | tail -n 1)"
  local got
  got="$(sha256sum "$tgz" | cut -d' ' -f1)"
  if [ "$got" != "$2" ]; then
    echo "fetch_duckdb: checksum mismatch for $1: got $got, want $2" >&2
    exit 1
  fi
  echo "$tgz"
}
b="$(fetch "$BINDINGS" "$BINDINGS_SHA")"
h="$(fetch "$HEADER_PKG" "$HEADER_SHA")"
mkdir -p bindings header "$dest/include" "$dest/lib"
tar -xzf "$b" -C bindings
tar -xzf "$h" -C header package/src/duckdb/src/include/duckdb.h
so="$(find bindings -name 'libduckdb.so' | head -n 1)"
[ -n "$so" ] || { echo "fetch_duckdb: libduckdb.so not found in $BINDINGS" >&2; exit 1; }
cp "$so" "$dest/lib/libduckdb.so"
cp header/package/src/duckdb/src/include/duckdb.h "$dest/include/duckdb.h"
echo "fetch_duckdb: DuckDB 1.4.4 installed in $dest"
