#!/usr/bin/env bash
# setup.sh - quick start, step 1: install what is missing on Debian 12, build
# heaplab in build/ (Release), and run the default suite with its charts.
#
#   scripts/setup.sh              install + build + `heaplab run quick --plot`
#   scripts/setup.sh --deps-only  install the Debian packages and stop
#   scripts/setup.sh --build-only install + build, no suite
#
# Extra arguments after the options go to `heaplab run`.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
case "${1:-}" in
  --deps-only) mode=deps; shift ;;
  --build-only) mode=build; shift ;;
esac

# The tools, then every backend's packages from the table of backends
# (allocators/backends.def: the 2nd quoted field of each row).  graphviz
# draws heaplab inspect's reference graphs.
packages=(build-essential cmake pkg-config git libbenchmark-dev gnuplot-nox graphviz valgrind)
read -r -a backend_packages <<< "$(awk -F'"' '/^HL_BACKEND\(/ { printf "%s ", $4 }' allocators/backends.def)"
packages+=("${backend_packages[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ "$mode" = deps ] && exit 0

cmake --preset release
cmake --build --preset release
# The default suites replay a malloc trace recorded from this machine's
# python3 (workloads/CMakeLists.txt, target hl-python-trace); without one
# they leave the replay workload out.
if [ -x /usr/bin/python3 ]; then
  cmake --build --preset release --target hl-python-trace
fi
[ "$mode" = build ] && exit 0

build/heaplab list backends
build/heaplab run quick --plot "$@"
