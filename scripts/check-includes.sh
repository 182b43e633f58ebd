#!/usr/bin/env bash
# Checks the module dependency rules of ARCHITECTURE.md: which src/ modules and which
# third-party headers each module may include. Exits 1 listing every violation.
set -euo pipefail
cd "$(dirname "$0")/../src"

declare -A allowed=(
  [core]="core"
  [scan]="core scan"
  [parse]="core parse"
  [graph]="core graph"
  [store]="core graph store"
  [index]="core scan parse graph store index"
  [watch]="core scan store index watch"
  [search]="core store search"
  [rpc]="core rpc"
  [mcp]="core rpc mcp scan store index watch search"
  [net]="core rpc mcp net"
  [client]="core rpc net client"
  [daemon]="core rpc mcp net watch daemon"
  [proxy]="core rpc mcp net proxy"
  [cli]="core scan store index watch search rpc mcp net client daemon proxy cli"
)
declare -A third_party=(
  ["sqlite3.h"]=store
  ["tree_sitter/"]=parse
  ["CLI/"]=cli
  ["nlohmann/"]=rpc
  ["boost/"]=net
  ["xxhash.h"]=core
)

status=0
for module in "${!allowed[@]}"; do
  [[ -d $module ]] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
    dep=${inc%%/*}
    [[ $inc == */* ]] || continue
    if [[ " ${allowed[$module]} " != *" $dep "* ]]; then
      echo "$file: module '$module' must not include \"$inc\"" >&2
      status=1
    fi
  done < <(grep -rHn '#include "' "$module" || true)
  while IFS= read -r line; do
    file=${line%%:*}
    for header in "${!third_party[@]}"; do
      if [[ $line == *"<$header"* && ${third_party[$header]} != "$module" ]]; then
        echo "$file: <$header> belongs to module '${third_party[$header]}' only" >&2
        status=1
      fi
    done
  done < <(grep -rHn '#include <' "$module" || true)
done
[[ $status == 0 ]] && echo "include rules: ok"
exit $status
