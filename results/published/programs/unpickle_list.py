"""unpickle_list.py - the shape of perf.py's / pyperformance's unpickle_list
benchmark, as a program heaplab runs as a command cell: pickle.loads of a
list of 10 pairs of 10-int lists, many times (pyperformance
pyperformance/data-files/benchmarks/bm_pickle/run_benchmark.py describes the
benchmark; this is heaplab's own program with the same data shape).  Each
loads builds 31 lists, which is what makes it allocation-bound: bpo-26249
reported it 22% faster once PyMem_Malloc went to pymalloc.

    python3 unpickle_list.py [--loops N]

prints one line, as heaplab's Python twins do (workloads/python/README.md):

    unpickle_list operations=N seconds=T ops_per_s=R

operations = the loads made, seconds = the measured loop only.  Exit status
0 when every result equals the original list, 3 otherwise, 2 on bad usage.
"""
import pickle
import sys
import time


def main(argv):
    loops = 30000
    if len(argv) == 2 and argv[0] == "--loops" and argv[1].isdigit() and int(argv[1]) > 0:
        loops = int(argv[1])
    elif argv:
        sys.stderr.write("usage: unpickle_list.py [--loops N] (N > 0)\n")
        return 2
    data = [[list(range(10)), list(range(10))] for _ in range(10)]
    blob = pickle.dumps(data, pickle.HIGHEST_PROTOCOL)
    loads = pickle.loads
    last = None
    t0 = time.perf_counter()
    for _ in range(loops):
        last = loads(blob)
    t1 = time.perf_counter()
    if last != data:
        sys.stderr.write("unpickle_list: the last result differs from the pickled list\n")
        return 3
    seconds = t1 - t0
    rate = loops / seconds if seconds > 0 else 0.0
    sys.stdout.write("unpickle_list operations=%d seconds=%.6f ops_per_s=%.1f\n"
                     % (loops, seconds, rate))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
