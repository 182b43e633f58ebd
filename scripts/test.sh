#!/usr/bin/env bash
# Installs dependencies, builds everything with warnings as errors and runs the whole test suite.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
"$here/scripts/build.sh" "$here/build/test" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCCI_WERROR=ON -DCCI_BUILD_TESTS=ON
cd "$here/build/test"
ctest --output-on-failure -j"$(nproc)" --timeout 600
