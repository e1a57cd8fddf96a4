#!/usr/bin/env bash
# test.sh - quick start, step 2: the whole test suite through ctest, twice:
# a Debug build with -Werror (assertions and validators on; preset "debug",
# build-test/), then the same tests under AddressSanitizer +
# UndefinedBehaviorSanitizer (preset "asan", build-asan/).  Between the two,
# when clang is installed, 20 s of libFuzzer on the trace parser and 15 s on
# the suite file parser (preset "fuzz", build-fuzz/; skipped without clang
# and libclang-rt-14-dev).  The presets are in CMakePresets.json.  Needs the packages scripts/setup.sh
# installs.
#
#   scripts/test.sh            every pass
#   scripts/test.sh --no-asan  the Debug pass only
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# One pass: configure the CMakePresets.json preset, build, ctest.
run_pass() {
  local preset=$1
  echo "== preset $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "== preset $preset: ctest"
  ctest --preset "$preset" -j"$jobs"
}

run_pass debug
if [ "${1:-}" = "--no-asan" ]; then
  exit 0
fi
# Coverage-guided fuzzing of the trace parser (tests/fuzz_trace.c): the
# mutation test in ctest covers it with gcc; this adds libFuzzer's search.
if command -v clang >/dev/null && command -v clang++ >/dev/null; then
  echo "== build-fuzz: libFuzzer on the trace parser, 20 s"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target fuzz_trace -j"$jobs"
  mkdir -p build-fuzz/corpus
  build-fuzz/fuzz_trace -max_total_time=20 -seed=1 -print_final_stats=1 build-fuzz/corpus
  # The suite file parser (tests/fuzz_suitefile.c), seeded with its
  # mutation test's seeds (the mimalloc-bench suite among them).
  echo "== build-fuzz: libFuzzer on the suite file parser, 15 s"
  cmake --build --preset fuzz --target fuzz_suitefile test_fuzz_suitefile -j"$jobs"
  mkdir -p build-fuzz/corpus-suitefile
  build-fuzz/tests/test_fuzz_suitefile --corpus build-fuzz/corpus-suitefile
  build-fuzz/fuzz_suitefile -max_total_time=15 -seed=1 -max_len=16384 -print_final_stats=1 \
    build-fuzz/corpus-suitefile
else
  echo "== build-fuzz: skipped (no clang; apt-get install clang libclang-rt-14-dev)"
fi

# Last, so that ctest's summary closes the output.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_pass asan
