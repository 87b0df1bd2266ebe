#!/usr/bin/env bash
# Starts a throw-away stack (tests/peers/stack.sh), runs the load generator pinned to the second
# core with the server on the first, prints the figures and stops the stack.
#   scripts/bench.sh [--patients N] [--rate R] [--seconds S]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${TRIAGE_BUILD_DIR:-$here/build}
dir=$(mktemp -d /tmp/triage-bench.XXXXXX)
trap 'bash "$here/tests/peers/stack.sh" stop "$dir" >/dev/null; rm -rf "$dir"' EXIT
# The benchmark server logs at info: debug lines (one per turn) would be measured too.
TRIAGE_TEST_LOG_LEVEL=info TRIAGE_BUILD_DIR=$build bash "$here/tests/peers/stack.sh" start "$dir"
# The server runs on core 0 only.
pid=$(cat "$dir/a.pid")
taskset -cp 0 "$pid" >/dev/null 2>&1 || true
base=$(cat "$dir/a.ready")
echo "==> load generator on core 1 against $base"
taskset -c 1 "$build/bench/triage_loadgen" --url "$base" "$@"
