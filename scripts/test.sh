#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, then ctest runs the unit tests,
# starts the real services (tests/peers/stack.sh: PostgreSQL, Redis, triaged on free ports in a
# temporary folder), runs the integration, end-to-end and browser tests, and stops the services.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/install-deps.sh
bash scripts/build.sh
# Tests run one at a time: the outage drills stop and start the shared services.
exec ctest --test-dir "${TRIAGE_BUILD_DIR:-$here/build}" --output-on-failure --timeout 600 "$@"
