#!/bin/sh
# record-trace.sh - records an allocation trace of a real program with
# libheaplab-trace.so, for the `replay` workload.
#
#   scripts/record-trace.sh [LIB] [OUT] [PROGRAM ARGS...]
#
#   LIB   the recorder (default: build/libheaplab-trace.so)
#   OUT   the trace file (default: build/python.hlt)
#   PROGRAM ARGS  what to trace; default: /usr/bin/python3 running a short
#         script that builds dicts, lists, strings and tuples, with
#         PYTHONMALLOC=malloc so that every object allocation reaches malloc
#         (a few hundred thousand events).
#
# Exit status: 0 ok, 77 no python3 to trace (ctest counts it as skipped),
# 2 bad usage or the recording failed.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
lib=${1:-$here/build/libheaplab-trace.so}
out=${2:-$here/build/python.hlt}
[ $# -ge 2 ] && shift 2 || shift $#

if [ ! -f "$lib" ]; then
    echo "record-trace.sh: no recorder at $lib; build the heaplab-trace target first" >&2
    exit 2
fi

if [ $# -eq 0 ]; then
    py=/usr/bin/python3
    if [ ! -x "$py" ]; then
        echo "record-trace.sh: $py not found; pass a program to trace" >&2
        exit 77
    fi
    # The script: object churn of the kinds a Python program makes.
    set -- "$py" -c '
import json
words = ["w%d" % i for i in range(10000)]
d = {}
for i, w in enumerate(words):
    d[w] = [i, str(i), (i, w)]
for k in list(d)[::3]:
    del d[k]
s = "".join(w.upper() for w in words[:5000])
rows = [{"id": i, "name": "n%d" % i, "tags": ["a", "b", str(i % 7)]} for i in range(1500)]
text = json.dumps(rows)
back = json.loads(text)
acc = sorted(set(x["name"] for x in back))[:10]
print(len(d), len(s), len(text), acc[0])
'
    export PYTHONMALLOC=malloc
fi

rm -f "$out"
LD_PRELOAD="$lib" HEAPLAB_TRACE_OUT="$out" "$@" >/dev/null
if [ ! -s "$out" ]; then
    echo "record-trace.sh: no trace written to $out" >&2
    exit 2
fi
echo "record-trace.sh: $(wc -c < "$out") bytes in $out"
