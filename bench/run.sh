#!/usr/bin/env bash
# Reproducible benchmarks: full index, re-index, one-shot search, against ctags -R and rg on the
# same corpora in the same run. Corpora come from Debian packages:
#   pystdlib  = /usr/lib/python3.11 (libpython3.11-stdlib), copied without __pycache__/dist-packages
#   linux     = linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz), extracted
# Usage: bench/run.sh [--runs N] [--linux-runs N] [--corpus pystdlib|linux|all]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=5
linux_runs=1
corpus=all
while (($#)); do
  case $1 in
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

"$here/scripts/build.sh" "$here/build/bench" -DCCI_BUILD_TESTS=OFF
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

args=(--cci "$here/build/bench/tools/cci/cci" --out "$here/bench/results")
case $corpus in
  pystdlib) args+=(--corpus "pystdlib=$corpora/pystdlib:$runs") ;;
  linux) args+=(--corpus "linux=$corpora/linux:$linux_runs") ;;
  all) args+=(--corpus "pystdlib=$corpora/pystdlib:$runs" --corpus "linux=$corpora/linux:$linux_runs") ;;
esac
python3 "$here/bench/harness.py" "${args[@]}"
