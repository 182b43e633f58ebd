#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) into build/fuzz and runs each
# for N seconds on a copy of its seed corpus. Exits non-zero on a crash, leak, timeout or UB and
# prints the reproducer; reproduce with `build/fuzz/<target> <reproducer>`.
# Usage: scripts/fuzz.sh [--seconds N] [target...]   (default: 15 s, every target that was built)
#        scripts/fuzz.sh --seconds 600                (a longer run by hand)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=15
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

# libstdc++ 12's std::expected needs clang >= 16 (conditionally trivial special members);
# scripts/install-deps.sh installs clang-16 and its libFuzzer runtime.
cc=${CCI_FUZZ_CC:-clang-16}
cxx=${CCI_FUZZ_CXX:-clang++-16}
build=$here/build/fuzz
cmake -S "$here/fuzz" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

if ((${#targets[@]} == 0)); then
  for t in fuzz_jsonrpc fuzz_mcp_session fuzz_http_entry; do
    [[ -x $build/$t ]] && targets+=("$t")
  done
  [[ -x $build/fuzz_http_entry ]] || echo "fuzz.sh: fuzz_http_entry not built (src/net/network_server.cpp absent)" >&2
fi

declare -A max_len=([fuzz_jsonrpc]=4096 [fuzz_mcp_session]=8192 [fuzz_http_entry]=8192)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:allocator_may_return_null=1}
# Symbolised stacks in the report (clang-16 ships no llvm-symbolizer of its own; any version works).
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} ]] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for t in "${targets[@]}"; do
  bin=$build/$t
  if [[ ! -x $bin ]]; then
    echo "fuzz.sh: no such target: $t" >&2
    status=2
    continue
  fi
  corpus=$work/$t
  mkdir -p "$corpus"
  cp "$here/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  artifacts=$build/artifacts/$t
  mkdir -p "$artifacts"
  log=$build/$t.log
  # -timeout: one input taking this long is a hang; -rss_limit_mb bounds a leak or blow-up.
  if "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -timeout=10 -rss_limit_mb=2048 \
      -dict="$here/fuzz/jsonrpc.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log" | tail -1)
    read -r n s <<<"${runs:-0 0}"
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz.sh: $t ok: $n runs in ${s}s ($((s > 0 ? n / s : n)) exec/s), ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l)"
  else
    status=1
    echo "fuzz.sh: $t FAILED (log: $log)" >&2
    grep -E '^==[0-9]+==ERROR|runtime error|SUMMARY|fuzz_[a-z_]+:' "$log" | head -5 >&2 || true
    for r in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
      echo "fuzz.sh: reproducer: $r (run: $bin $r)" >&2
    done
  fi
done
exit $status
