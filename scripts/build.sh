#!/usr/bin/env bash
# Configures and builds cci. Usage: scripts/build.sh <build-dir> [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?build directory}
shift
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
