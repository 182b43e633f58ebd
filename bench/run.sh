#!/usr/bin/env bash
# Reproducible benchmarks: full index, re-index, one-shot search, against ctags -R and rg on the
# same corpora in the same run. Corpora come from Debian packages:
#   pystdlib  = /usr/lib/python3.11 (libpython3.11-stdlib), copied without __pycache__/dist-packages
#   linux     = linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz), extracted
# Usage: bench/run.sh [--runs N] [--linux-runs N] [--corpus pystdlib|linux|all]
#        bench/run.sh --mcp [--requests N] [--corpus ...]
#   --mcp: MCP round trips instead (bench/mcp_bench.cpp): `tools/call search_code` over stdio,
#   WebSocket and Streamable HTTP with 1 and 16 clients, beside a fresh `cci search` process.
#   The indexes live in $CCI_BENCH_HOME (default build/bench-home/<corpus>) and are reused, so
#   the kernel is indexed once. Results: bench/results/mcp-<timestamp>.json.
#        bench/run.sh --daemon [--requests N] [--corpus ...]
#   --daemon: every path to the persistent daemon side by side (fresh mcp-server per request,
#   proxy over WebSocket and Unix socket, direct WebSocket, client library, fresh `cci search`
#   with and without the daemon, rg, proxy spawn → first answer, daemon RSS), once with the
#   result cache off and once on. Results: bench/results/daemon-<timestamp>.json.
#        bench/run.sh --watch [--edits N] [--branch-files N] [--corpus ...]
#   --watch: freshness (bench/watch_bench.cpp) against the daemon watching the corpus: save →
#   searchable latency of N edits (default 50; a new function appended to an indexed .py or .c
#   file, polled with search_code every 1 ms) and a branch switch of N files (default 1,000;
#   pystdlib has fewer, so all of its indexed candidates) until every new name is searchable and
#   nothing is pending, then back. Corpus files are restored exactly (contents and mtimes).
#   Results: bench/results/watch-<timestamp>.json.
#        bench/run.sh --search [--corpus ...]
#   --search: search_code's query alone (bench/search_bench.cpp), SQL (FTS5) against the daemon's
#   in-memory SymbolIndex on the same index in one process, plus the SymbolIndex's build time and
#   size; every page is compared between the two. Results: bench/results/search-<timestamp>.json.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=5
linux_runs=1
corpus=all
mcp=0
daemon=0
watch=0
search=0
requests=2000
edits=50
branch_files=1000
while (($#)); do
  case $1 in
    --mcp) mcp=1; shift ;;
    --daemon) daemon=1; shift ;;
    --watch) watch=1; shift ;;
    --search) search=1; shift ;;
    --edits) edits=$2; shift 2 ;;
    --branch-files) branch_files=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --linux-runs) linux_runs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

"$here/scripts/install-deps.sh"
need=()
for p in universal-ctags ripgrep time python3 libpython3.11-stdlib; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [[ $corpus != pystdlib ]]; then
  dpkg-query -W -f='${Status}' linux-source-6.1 2>/dev/null | grep -q "install ok installed" || need+=(linux-source-6.1)
fi
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

"$here/scripts/build.sh" "$here/build/bench" -DCCI_BUILD_TESTS=OFF -DCCI_BUILD_BENCH=ON
corpora=${CCI_BENCH_CORPORA:-$here/bench/corpora}
mkdir -p "$corpora"
if [[ ! -d $corpora/pystdlib ]]; then
  mkdir -p "$corpora/pystdlib.tmp"
  (cd /usr/lib/python3.11 && tar cf - --exclude=__pycache__ --exclude=dist-packages --exclude=site-packages .) |
    tar xf - -C "$corpora/pystdlib.tmp"
  mv "$corpora/pystdlib.tmp" "$corpora/pystdlib"
fi
if [[ $corpus != pystdlib && ! -d $corpora/linux ]]; then
  mkdir -p "$corpora/linux.tmp"
  tar xf /usr/src/linux-source-6.1.tar.xz -C "$corpora/linux.tmp" --strip-components=1
fi
if [[ -d $corpora/linux.tmp || ( -d $corpora/linux && ! -f $corpora/linux/.cci-bench-ready ) ]]; then
  tree=$corpora/linux.tmp
  [[ -d $tree ]] || tree=$corpora/linux
  # Debian appends "/*" and "!/debian/" to the kernel's top-level .gitignore (its packaging
  # repository tracks only debian/); drop them so the corpus has upstream's ignore rules.
  sed -i -e '/^\/\*$/d' -e '/^!\/debian\/$/d' "$tree/.gitignore"
  touch "$tree/.cci-bench-ready"
  [[ $tree == "$corpora/linux" ]] || mv "$tree" "$corpora/linux"
fi

if ((mcp)); then
  cci=$here/build/bench/tools/cci/cci
  homes=${CCI_BENCH_HOME:-$here/build/bench-home}
  declare -A terms=(
    [pystdlib]=parse,HTTPConnection,urlopen,read,write,open,close,socket,thread,lock,json,decode,encode,path,request,format
    [linux]=kmalloc,spin_lock_irqsave,ext4_readdir,mutex_lock,kfree,copy_from_user,schedule,irq,pci,usb,alloc,free,init,read,write,lock
  )
  names=(pystdlib linux)
  [[ $corpus == all ]] || names=("$corpus")
  stamp=$(date +%Y%m%d-%H%M%S)
  parts=()
  for name in "${names[@]}"; do
    export CCI_HOME=$homes/$name
    mkdir -p "$CCI_HOME"
    # Incremental: a no-op when the index is current (seconds for the kernel).
    "$cci" index "$corpora/$name" --quiet >/dev/null
    part=$(mktemp)
    "$here/build/bench/bench/mcp_bench" --cci "$cci" --project "$corpora/$name" --name "$name" \
      --terms "${terms[$name]}" --requests "$requests" --json "$part"
    parts+=("$part")
  done
  mkdir -p "$here/bench/results"
  out=$here/bench/results/mcp-$stamp.json
  python3 - "$out" "$cci" "${parts[@]}" <<'PY'
import json, os, subprocess, sys
out, cci, parts = sys.argv[1], sys.argv[2], sys.argv[3:]
meta = {"cpus": os.cpu_count(), "uname": " ".join(os.uname()),
        "cci_version": subprocess.run([cci, "--version"], capture_output=True, text=True).stdout.strip()}
results = [json.load(open(p)) for p in parts]
json.dump({"machine": meta, "results": results}, open(out, "w"), indent=2)
print(f"\n{'corpus':<9} {'transport':<10} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>9}")
for r in results:
    for run in r["runs"]:
        print(f"{r['corpus']:<9} {run['transport']:<10} {run['clients']:>7} {run['p50_ms']:>8.3f} "
              f"{run['p99_ms']:>8.3f} {run['requests_per_s']:>9.0f}")
    print(f"{r['corpus']:<9} {'cci search':<10} {'(fresh process, median)':>27} {r['cli_search']['median_ms']:.2f} ms")
print(f"\nwrote {out}")
PY
  rm -f "${parts[@]}"
  exit 0
fi

if ((daemon)); then
  cci=$here/build/bench/tools/cci/cci
  homes=${CCI_BENCH_HOME:-$here/build/bench-home}
  # Distinct identifiers: with the result cache off every call runs its query.
  declare -A terms=(
    [pystdlib]=parse,HTTPConnection,urlopen,read,write,socket,thread,lock,json,decode,encode,path,request,format,open,close
    [linux]=kmalloc,spin_lock_irqsave,ext4_readdir,mutex_lock,kfree,copy_from_user,schedule_timeout,pci_enable_device
  )
  names=(pystdlib linux)
  [[ $corpus == all ]] || names=("$corpus")
  stamp=$(date +%Y%m%d-%H%M%S)
  parts=()
  for name in "${names[@]}"; do
    export CCI_HOME=$homes/$name
    mkdir -p "$CCI_HOME"
    "$cci" mcp-daemon stop >/dev/null 2>&1 || true
    "$cci" index "$corpora/$name" --quiet >/dev/null
    # Uncached kernel searches take milliseconds to tens of milliseconds: a tenth of the calls.
    n=$requests
    [[ $name == linux ]] && n=$((requests / 10))
    for cache in 0 64; do
      part=$(mktemp)
      "$here/build/bench/bench/mcp_bench" --cci "$cci" --project "$corpora/$name" --name "$name" --daemon \
        --cache-mb "$cache" --terms "${terms[$name]}" --requests "$n" --warmup 20 --clients 1,16 \
        --transports stdio-per-request,proxy-ws,proxy-unix,daemon-ws,client-lib --json "$part"
      parts+=("$part")
    done
  done
  mkdir -p "$here/bench/results"
  out=$here/bench/results/daemon-$stamp.json
  python3 - "$out" "$cci" "${parts[@]}" <<'PY'
import json, os, subprocess, sys
out, cci, parts = sys.argv[1], sys.argv[2], sys.argv[3:]
meta = {"cpus": os.cpu_count(), "uname": " ".join(os.uname()),
        "cci_version": subprocess.run([cci, "--version"], capture_output=True, text=True).stdout.strip()}
results = [json.load(open(p)) for p in parts]
json.dump({"machine": meta, "results": results}, open(out, "w"), indent=2)
print(f"\n{'corpus':<9} {'cache':>5} {'path':<18} {'clients':>7} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>9}")
for r in results:
    cache = r["daemon"]["cache_mb"]
    for run in r["runs"]:
        print(f"{r['corpus']:<9} {cache:>5} {run['transport']:<18} {run['clients']:>7} {run['p50_ms']:>9.3f} "
              f"{run['p99_ms']:>9.3f} {run['requests_per_s']:>9.0f}")
    print(f"{r['corpus']:<9} {cache:>5} cci search direct / via daemon (fresh process, median): "
          f"{r['cli_search']['median_ms']:.2f} / {r['cli_search_via_daemon']['median_ms']:.2f} ms")
    ps = r["proxy_spawn"]
    print(f"{r['corpus']:<9} {cache:>5} proxy spawn -> first answer p50 {ps['first_answer_p50_ms']:.2f} ms "
          f"(initialize {ps['initialize_p50_ms']:.2f} ms); rg -w p50 {r['ripgrep']['p50_ms']:.1f} ms; "
          f"daemon RSS {r['daemon']['rss_bytes'] / 2**20:.1f} MiB")
print(f"\nwrote {out}")
PY
  rm -f "${parts[@]}"
  exit 0
fi

if ((search)); then
  cci=$here/build/bench/tools/cci/cci
  homes=${CCI_BENCH_HOME:-$here/build/bench-home}
  declare -A search_terms=(
    [pystdlib]=parse,HTTPConnection,urlopen,read,write,socket,thread,lock,json,decode,encode,path,request,format,open,close,get_all,a
    [linux]=kmalloc,spin_lock_irqsave,ext4_readdir,mutex_lock,kfree,copy_from_user,schedule_timeout,pci_enable_device,read,init,lock,alloc
  )
  names=(pystdlib linux)
  [[ $corpus == all ]] || names=("$corpus")
  stamp=$(date +%Y%m%d-%H%M%S)
  mkdir -p "$here/bench/results"
  out=$here/bench/results/search-$stamp.json
  echo "{" >"$out"
  first=1
  for name in "${names[@]}"; do
    export CCI_HOME=$homes/$name
    mkdir -p "$CCI_HOME"
    "$cci" index "$corpora/$name" --quiet >/dev/null
    db=$("$cci" projects list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["projects"][0]["database"])')
    part=$(mktemp)
    echo "== $name"
    "$here/build/bench/bench/search_bench" --db "$db" --terms "${search_terms[$name]}" --rounds 20 --json "$part"
    ((first)) || echo "," >>"$out"
    first=0
    printf '"%s": ' "$name" >>"$out"
    cat "$part" >>"$out"
    rm -f "$part"
  done
  echo "}" >>"$out"
  echo "wrote $out"
  exit 0
fi

if ((watch)); then
  cci=$here/build/bench/tools/cci/cci
  homes=${CCI_BENCH_HOME:-$here/build/bench-home}
  names=(pystdlib linux)
  [[ $corpus == all ]] || names=("$corpus")
  stamp=$(date +%Y%m%d-%H%M%S)
  parts=()
  for name in "${names[@]}"; do
    export CCI_HOME=$homes/$name
    mkdir -p "$CCI_HOME"
    "$cci" mcp-daemon stop >/dev/null 2>&1 || true
    # Watching starts with a reconcile pass; a current index keeps it short.
    "$cci" index "$corpora/$name" --quiet >/dev/null
    part=$(mktemp)
    "$here/build/bench/bench/watch_bench" --cci "$cci" --project "$corpora/$name" --name "$name" \
      --edits "$edits" --branch-files "$branch_files" --json "$part"
    parts+=("$part")
  done
  mkdir -p "$here/bench/results"
  out=$here/bench/results/watch-$stamp.json
  python3 - "$out" "$cci" "${parts[@]}" <<'PY'
import json, os, subprocess, sys
out, cci, parts = sys.argv[1], sys.argv[2], sys.argv[3:]
meta = {"cpus": os.cpu_count(), "uname": " ".join(os.uname()),
        "cci_version": subprocess.run([cci, "--version"], capture_output=True, text=True).stdout.strip()}
results = [json.load(open(p)) for p in parts]
json.dump({"machine": meta, "results": results}, open(out, "w"), indent=2)
print(f"\n{'corpus':<9} {'edits':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   {'branch files':>12} {'searchable s':>12} "
      f"{'updates':>7} {'back s':>7}")
for r in results:
    e, b = r["edits"], r.get("branch", {})
    print(f"{r['corpus']:<9} {e['count']:>5} {e.get('p50_ms', -1):>8.1f} {e.get('p95_ms', -1):>8.1f} {e.get('max_ms', -1):>8.1f}   "
          f"{b.get('files', 0):>12} {b.get('all_searchable_s', 0):>12.2f} {b.get('updates_applied', 0):>7} "
          f"{b.get('restore_all_gone_s', 0):>7.2f}")
print(f"\nwrote {out}")
PY
  rm -f "${parts[@]}"
  exit 0
fi

args=(--cci "$here/build/bench/tools/cci/cci" --out "$here/bench/results")
case $corpus in
  pystdlib) args+=(--corpus "pystdlib=$corpora/pystdlib:$runs") ;;
  linux) args+=(--corpus "linux=$corpora/linux:$linux_runs") ;;
  all) args+=(--corpus "pystdlib=$corpora/pystdlib:$runs" --corpus "linux=$corpora/linux:$linux_runs") ;;
esac
python3 "$here/bench/harness.py" "${args[@]}"
