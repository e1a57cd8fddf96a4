#!/usr/bin/env python3
"""gc_vs_cpython.py - compare heaplab's cycle collector with CPython's.

Builds the heap shape of objects/gcbench.c in a fresh CPython interpreter
(/usr/bin/python3 by default), times gc.collect() on it the same way
(median of --reps full collections that free nothing, then dropping the
root and collecting everything), runs hl-gcbench with the same parameters,
and prints both and the ratio heaplab / CPython per tracked object.

    scripts/gc_vs_cpython.py --gcbench build/hl-gcbench [--backend pool]
                             [--groups 200000] [--reps 5] [--rounds 3]

Rounds alternate CPython and heaplab runs; the reported figure per side is
the median over rounds (the machine may be shared: interleaving spreads the
noise over both sides).  Exit status 2 on bad options.
"""
import argparse
import os
import statistics
import subprocess
import sys

CHILD = r'''
import gc, sys, time
groups, reps = int(sys.argv[1]), int(sys.argv[2])
class Rec: pass
def build(groups):
    root = []; prev = None
    for i in range(groups):
        r = Rec(); r.__dict__
        t = (i, root)
        meta = {"id": i, "pair": t}
        kids = [t, meta]
        r.kids = kids; r.meta = meta; r.prev = prev
        root.append(r); prev = r
    return root
base = len(gc.get_objects())
t0 = time.perf_counter_ns()
root = build(groups)
t_build = time.perf_counter_ns() - t0
gc.collect()
tracked = len(gc.get_objects())
ns = []
for _ in range(reps):
    s = time.perf_counter_ns()
    freed = gc.collect()
    ns.append(time.perf_counter_ns() - s)
    assert freed == 0, freed
ns.sort()
t0 = time.perf_counter_ns()
del root
freed = gc.collect()
t_destroy = time.perf_counter_ns() - t0
print("python", sys.version.split()[0])
print("groups", groups)
print("tracked_objects", tracked)
print("interpreter_objects", base)
print("full_collect_median_ns", ns[reps // 2])
print("full_collect_min_ns", ns[0])
print("full_collect_ns_per_object %.2f" % (ns[reps // 2] / tracked))
print("build_ns_per_object %.2f" % (t_build / tracked))
print("destroy_ns_per_object %.2f" % (t_destroy / tracked))
print("churn_objects_per_second %.0f" % (tracked / ((t_build + t_destroy) * 1e-9)))
'''


def parse(text):
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        out[key] = value
    return out


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write("gc_vs_cpython: %s failed (status %d): %s\n"
                         % (cmd[0], p.returncode, p.stderr.strip()))
        sys.exit(1)
    return parse(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--gcbench", default=os.path.join(here, "..", "build", "hl-gcbench"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--backend", default="system")
    ap.add_argument("--groups", type=int, default=200000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if a.groups < 1 or a.reps < 1 or a.rounds < 1:
        ap.error("--groups, --reps and --rounds must be positive")
    if not os.access(a.gcbench, os.X_OK):
        ap.error("hl-gcbench not found at %s: build it (target hl-gcbench) or pass --gcbench"
                 % a.gcbench)
    keys = ["full_collect_ns_per_object", "build_ns_per_object", "destroy_ns_per_object"]
    cp, hl = {k: [] for k in keys}, {k: [] for k in keys}
    for _ in range(a.rounds):
        c = run([a.python, "-c", CHILD, str(a.groups), str(a.reps)])
        h = run([a.gcbench, "--backend", a.backend, "--groups", str(a.groups),
                 "--reps", str(a.reps)])
        for k in keys:
            cp[k].append(float(c[k]))
            hl[k].append(float(h[k]))
    print("shape: %d groups x (instance, its dict, tuple, dict, list)" % a.groups)
    print("CPython %s: %s tracked objects (%s before building)"
          % (c["python"], c["tracked_objects"], c["interpreter_objects"]))
    print("heaplab (%s): %s tracked objects" % (a.backend, h["tracked_objects"]))
    print("%-28s %12s %12s %8s" % ("ns per tracked object", "CPython", "heaplab", "ratio"))
    for k in keys:
        cm, hm = statistics.median(cp[k]), statistics.median(hl[k])
        print("%-28s %12.1f %12.1f %8.2f" % (k.replace("_ns_per_object", ""), cm, hm, hm / cm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
