#!/usr/bin/env bash
# Configures and builds (Release) into build/. Incremental: a second run only rebuilds changes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${TRIAGE_BUILD_DIR:-$here/build}
jobs=${TRIAGE_JOBS:-$(nproc)}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${TRIAGE_CMAKE_ARGS:-} >/dev/null
fi
echo "==> building in $build ($jobs jobs)"
cmake --build "$build" -j "$jobs"
