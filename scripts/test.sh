#!/usr/bin/env bash
# test.sh - quick start, step 2: the whole test suite through ctest, twice:
# a Debug build with -Werror (assertions and validators on; preset "debug",
# build-test/), then the same tests under AddressSanitizer +
# UndefinedBehaviorSanitizer (preset "asan", build-asan/).  Between the two,
# when clang is installed, 20 s (FUZZ_SECONDS) of libFuzzer on each of the
# trace parser, the results.json loader, the plan.json loader and the suite
# file parser (preset "fuzz", build-fuzz/; skipped without clang and
# libclang-rt-14-dev).  The presets are in CMakePresets.json.  Needs the packages scripts/setup.sh
# installs.
#
#   scripts/test.sh            every pass, each also running the tests
#                              labelled "long" (the soak test: a suite
#                              SIGKILLed 50 times and resumed; the
#                              collector's property test at 10,000 graphs;
#                              about 1 min in Debug, 2 min in ASan)
#   scripts/test.sh --no-long  the same without the long tests
#   scripts/test.sh --no-asan  the Debug pass only (with its long tests)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
asan=1
long=1
for arg in "$@"; do
  case "$arg" in
    --no-asan) asan=0 ;;
    --no-long) long=0 ;;
    --long) long=1 ;; # the default; accepted for older scripts
    *) echo "test.sh: unknown option '$arg': use --no-asan or --no-long" >&2; exit 2 ;;
  esac
done

# One pass: configure the CMakePresets.json preset, build, ctest, then the
# preset's long tests (unless --no-long).
run_pass() {
  local preset=$1
  echo "== preset $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "== preset $preset: ctest"
  ctest --preset "$preset" -j"$jobs"
  if [ "$long" = 1 ]; then
    echo "== preset $preset-long: ctest, the tests labelled long"
    ctest --preset "$preset-long" -j"$jobs"
  fi
}

run_pass debug
if [ "$asan" = 0 ]; then
  exit 0
fi
# Coverage-guided fuzzing (libFuzzer + ASan + UBSan) of the four loaders of
# untrusted files, FUZZ_SECONDS each (default 20): the trace parser
# (tests/fuzz_trace.c), results.json (tests/fuzz_results.c), plan.json
# (tests/fuzz_plan.c) and suite files (tests/fuzz_suitefile.c).  The
# mutation tests in ctest cover the same entry points with gcc; this adds
# libFuzzer's search.  Each target's output is in
# build-fuzz/<target>.log; its final stats (executions) are printed.
fuzz_seconds=${FUZZ_SECONDS:-20}
run_fuzzer() {
  local target=$1
  shift
  local log=build-fuzz/$target.log
  mkdir -p "build-fuzz/corpus-$target"
  echo "== build-fuzz: libFuzzer on $target, ${fuzz_seconds} s"
  if ! "build-fuzz/$target" -max_total_time="$fuzz_seconds" -seed=1 -timeout=10 \
      -print_final_stats=1 -artifact_prefix=build-fuzz/ "$@" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "== $target found a failure: the input is in build-fuzz/ (crash-*, timeout-*, leak-*); log $log"
    return 1
  fi
  grep '^stat::' "$log" | sed "s/^/   $target /"
}
if command -v clang >/dev/null && command -v clang++ >/dev/null; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target fuzz_trace fuzz_results fuzz_plan test_fuzz_trace -j"$jobs"
  # Seeds: small synthetic traces; the result sets and plans in tests/data
  # (read-only corpora after the first directory, which collects new inputs).
  mkdir -p build-fuzz/corpus-fuzz_trace
  build-fuzz/tests/test_fuzz_trace --corpus build-fuzz/corpus-fuzz_trace
  run_fuzzer fuzz_trace build-fuzz/corpus-fuzz_trace
  run_fuzzer fuzz_results -dict=tests/fuzz_json.dict build-fuzz/corpus-fuzz_results \
    tests/data/fuzz/results tests/data/compare_a tests/data/compare_b tests/data/compare9_a \
    tests/data/compare9_b
  run_fuzzer fuzz_plan -dict=tests/fuzz_json.dict build-fuzz/corpus-fuzz_plan tests/data/fuzz/plan
  # The suite file parser (tests/fuzz_suitefile.c), seeded with its
  # mutation test's seeds (the mimalloc-bench suite among them).
  cmake --build --preset fuzz --target fuzz_suitefile test_fuzz_suitefile -j"$jobs"
  mkdir -p build-fuzz/corpus-fuzz_suitefile
  build-fuzz/tests/test_fuzz_suitefile --corpus build-fuzz/corpus-fuzz_suitefile
  run_fuzzer fuzz_suitefile -max_len=16384 build-fuzz/corpus-fuzz_suitefile
else
  echo "== build-fuzz: skipped (no clang; apt-get install clang libclang-rt-14-dev)"
fi

# Last, so that ctest's summary closes the output.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_pass asan
