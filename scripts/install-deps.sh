#!/usr/bin/env bash
# Installs everything cci needs to build and test on Debian 12: Debian packages, then the pinned
# tree-sitter sources, the MCP TypeScript SDK of the e2e tests and the MCP conformance suite (with
# the Node 22 it runs on) from the npm registry (lock files, no install scripts run).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates
  libsqlite3-dev libfmt-dev libcli11-dev nlohmann-json3-dev libxxhash-dev libmimalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev
  # scripts/fuzz.sh: libFuzzer. clang-16, not the default clang-14: libstdc++ 12's std::expected
  # needs conditionally trivial special members, which clang implements from 16 on.
  clang-16 libclang-rt-16-dev llvm
)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 2
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.cci-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "install-deps: npm ci (tree-sitter sources)" >&2
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" >"$stamp"
fi

# The official MCP TypeScript SDK for the end-to-end tests of `cci mcp-server` (tests/e2e/sdk),
# pinned by its own lock file; same stamp as above.
sdk=tests/e2e/sdk
stamp=$sdk/node_modules/.cci-lock-hash
want=$(sha256sum "$sdk/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "install-deps: npm ci in $sdk (MCP TypeScript SDK for the e2e tests)" >&2
  (cd "$sdk" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi

# The official MCP conformance suite and the Node 22 it needs (tests/conformance), pinned by its
# own lock file; same stamp as above.
conformance=tests/conformance
stamp=$conformance/node_modules/.cci-lock-hash
want=$(sha256sum "$conformance/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "install-deps: npm ci in $conformance (MCP conformance suite, Node 22)" >&2
  (cd "$conformance" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
