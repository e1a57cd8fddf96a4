#!/bin/sh
# record-twin-traces.sh - records every Python twin (workloads/python/)
# under a real CPython with PYTHONMALLOC=malloc through libheaplab-trace.so,
# and writes each trace's calls per operation and size-class histogram
# (scripts/trace_stats.py, between the twin's --mark markers).
#
#   scripts/record-twin-traces.sh [OUTDIR] [PYTHON] [LIB]
#
#   OUTDIR  where NAME.hlt, NAME.out (the twin's line) and NAME.stats.json go
#           (default build/twin-traces)
#   PYTHON  the interpreter binary itself, not a wrapper (pyenv's shims are
#           shell scripts) (default /usr/bin/python3)
#   LIB     the recorder (default build/libheaplab-trace.so)
#
# The twins run at their quick parameters; the iteration counts below give
# 50k-100k operations each.  fork_cow records one trace per process (%p):
# the children's traces hold the walk between the markers.
# Exit status: 0, or 2 when something is missing or a twin failed.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/twin-traces}
py=${2:-/usr/bin/python3}
lib=${3:-$here/build/libheaplab-trace.so}

[ -f "$lib" ] || { echo "record-twin-traces.sh: no recorder at $lib; build heaplab-trace" >&2; exit 2; }
[ -x "$py" ] || { echo "record-twin-traces.sh: $py is not an executable" >&2; exit 2; }
mkdir -p "$out"

record() {
    name=$1; twin=$2; shift 2
    rm -f "$out/$name.hlt"
    if ! PYTHONMALLOC=malloc LD_PRELOAD="$lib" HEAPLAB_TRACE_OUT="$out/$name.hlt" \
        "$py" "$here/workloads/python/$twin.py" --quick --mark "$@" > "$out/$name.out"; then
        echo "record-twin-traces.sh: twin $twin failed" >&2
        exit 2
    fi
    python3 "$here/scripts/trace_stats.py" "$out/$name.hlt" --twin-output "$out/$name.out" \
        --json > "$out/$name.stats.json"
    echo "$name: $(cat "$out/$name.out")"
}

record churn churn --iterations 50000
record binary_trees binary_trees --iterations 100
record binary_trees_node1 binary_trees --iterations 100 --param node=1
record list_grow list_grow --iterations 20
record dict_churn dict_churn --iterations 100000
record cycles cycles --iterations 10000
record gen_mix gen_mix --iterations 50000
record fragmentation fragmentation --iterations 50000

rm -f "$out"/fork_cow.*.hlt
PYTHONMALLOC=malloc LD_PRELOAD="$lib" HEAPLAB_TRACE_OUT="$out/fork_cow.%p.hlt" \
    "$py" "$here/workloads/python/fork_cow.py" --quick --mark --iterations 1 > "$out/fork_cow.out"
echo "fork_cow: $(cat "$out/fork_cow.out")"
