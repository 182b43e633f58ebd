#!/usr/bin/env bash
# The main job: install dependencies, build, index a repository (this one by default) and
# answer a search from the index. Usage: scripts/run.sh [REPO] [SEARCH TERMS...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "${1:-$here}" && pwd)
shift || true
terms=("$@")
((${#terms[@]})) || terms=(index project)

"$here/scripts/install-deps.sh"
"$here/scripts/build.sh" "$here/build/release" -DCCI_BUILD_TESTS=OFF
cci="$here/build/release/tools/cci/cci"
"$cci" index "$repo"
echo
echo "\$ cci search ${terms[*]} --limit 10"
cd "$repo"
"$cci" search "${terms[@]}" --limit 10
