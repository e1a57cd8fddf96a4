#!/usr/bin/env bash
# test.sh - quick start, step 2: the whole test suite through ctest, twice:
# a Debug build with -Werror (assertions and validators on) in build-test/,
# then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer in
# build-asan/.  Between the two, when clang is installed, 20 s of libFuzzer
# on the trace parser in build-fuzz/ (skipped without clang and
# libclang-rt-14-dev).  Needs the packages scripts/setup.sh installs.
#
#   scripts/test.sh            every pass
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
if [ "${1:-}" = "--no-asan" ]; then
  exit 0
fi
# Coverage-guided fuzzing of the trace parser (tests/fuzz_trace.c): the
# mutation test in ctest covers it with gcc; this adds libFuzzer's search.
if command -v clang >/dev/null && command -v clang++ >/dev/null; then
  echo "== build-fuzz: libFuzzer on the trace parser, 20 s"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DHL_FUZZ=ON >/dev/null
  cmake --build build-fuzz --target fuzz_trace -j"$jobs"
  mkdir -p build-fuzz/corpus
  build-fuzz/fuzz_trace -max_total_time=20 -seed=1 -print_final_stats=1 build-fuzz/corpus
else
  echo "== build-fuzz: skipped (no clang; apt-get install clang libclang-rt-14-dev)"
fi

# Last, so that ctest's summary closes the output.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_pass build-asan -DHL_SANITIZE=ON
