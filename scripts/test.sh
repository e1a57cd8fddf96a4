#!/usr/bin/env bash
# test.sh - quick start, step 2: the whole test suite through ctest, twice:
# a Debug build with -Werror (assertions and validators on) in build-test/,
# then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer in
# build-asan/.  Needs the packages scripts/setup.sh installs.
#
#   scripts/test.sh            both passes
#   scripts/test.sh --no-asan  the Debug pass only
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

run_pass() {
  local dir=$1; shift
  echo "== $dir: configure and build ($*)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DHL_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $dir: ctest"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
}

run_pass build-test
if [ "${1:-}" != "--no-asan" ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_pass build-asan -DHL_SANITIZE=ON
fi
