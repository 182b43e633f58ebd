#!/usr/bin/env bash
# Installs dependencies, builds everything with warnings as errors, runs a brief libFuzzer pass
# over the protocol layers (scripts/fuzz.sh; a crash fails the run) and then the whole test suite.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh" "$here/build/test" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCCI_WERROR=ON -DCCI_BUILD_TESTS=ON
# 15 s per target: catches regressions the seed corpora and a short mutation run reach, in about
# two minutes including the instrumented build. Longer runs by hand: scripts/fuzz.sh --seconds 600.
"$here/scripts/fuzz.sh" --seconds 15
cd "$here/build/test"
ctest --output-on-failure -j"$(nproc)" --timeout 600
