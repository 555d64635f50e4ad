#!/usr/bin/env bash
# Installs what is missing, builds neurodl with its tests and runs the whole suite with CTest.
# Tests that need the real recordings in ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DNEURODL_BUILD_TESTS=ON
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir build --output-on-failure -j "$jobs"
