#!/usr/bin/env python3
"""gc_vs_cpython.py - compare heaplab's cycle collector with CPython's,
per CPython version modelled.

Builds the heap shape of objects/gcbench.c in a fresh CPython interpreter,
times gc.collect() on it the same way (median of --reps full collections
that free nothing, then dropping the root and collecting everything), runs
hl-gcbench with the same parameters and --python-model of the same
version, and prints both and the ratio heaplab / CPython per tracked
object.

    scripts/gc_vs_cpython.py --gcbench build/hl-gcbench [--backend pool]
                             [--model 3.11=/usr/bin/python3]...
                             [--model-option K=V]... [--groups 200000]
                             [--reps 5] [--rounds 3]

--model V=PYTHON (repeatable) names the interpreter for each version;
default: 3.11 = /usr/bin/python3, and 3.12 / 3.13 from pyenv
(~/.pyenv/versions/3.12.*/bin/python3.12, ...) when installed.
--model-option passes a what-if option to hl-gcbench (gc_passes=fused:
heaplab's older two-walk collection).  The allocator lays the heap out, and
the collector's walks are bound by how densely they find their objects, so
compare like with like: --backend pool (heaplab's pymalloc) against
CPython's default allocator, or --backend system against CPython run with
--pythonmalloc malloc (PYTHONMALLOC=malloc: glibc for every object).

Rounds alternate CPython and heaplab runs, model after model; the reported
figure per side is the median over rounds, and the ratio column the
median of the rounds' own ratios (each heaplab run against the CPython run
just before it) with their range, which a drifting load disturbs less (the
machine may be shared: interleaving spreads the noise over both sides).
Exit status 2 on bad options.
"""
import argparse
import glob
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


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.stderr.write("gc_vs_cpython: %s failed (status %d): %s\n"
                         % (cmd[0], p.returncode, p.stderr.strip()))
        sys.exit(1)
    return parse(p.stdout)


def default_models():
    models = {"3.11": "/usr/bin/python3"}
    home = os.path.expanduser("~/.pyenv/versions")
    for v in ("3.12", "3.13"):
        found = sorted(glob.glob(os.path.join(home, v + ".*", "bin", "python" + v)))
        if found:
            models[v] = found[0]
    return models


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--gcbench", default=os.path.join(here, "..", "build", "hl-gcbench"))
    ap.add_argument("--model", action="append", default=[],
                    help="V=PYTHON: the interpreter of CPython version V (3.11, 3.12, 3.13)")
    ap.add_argument("--model-option", action="append", default=[])
    ap.add_argument("--backend", default="system")
    ap.add_argument("--pythonmalloc", default=None,
                    help="PYTHONMALLOC for CPython (malloc: glibc, as --backend system)")
    ap.add_argument("--groups", type=int, default=200000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if a.groups < 1 or a.reps < 1 or a.rounds < 1:
        ap.error("--groups, --reps and --rounds must be positive")
    if not os.access(a.gcbench, os.X_OK):
        ap.error("hl-gcbench not found at %s: build it (target hl-gcbench) or pass --gcbench"
                 % a.gcbench)
    models = default_models() if not a.model else {}
    for m in a.model:
        v, sep, py = m.partition("=")
        if not sep or v not in ("3.11", "3.12", "3.13"):
            ap.error("--model wants V=PYTHON with V 3.11, 3.12 or 3.13, got '%s'" % m)
        models[v] = py
    opts = []
    for o in a.model_option:
        opts += ["--model-option", o]
    keys = ["full_collect_ns_per_object", "build_ns_per_object", "destroy_ns_per_object"]
    cp = {v: {k: [] for k in keys} for v in models}
    hl = {v: {k: [] for k in keys} for v in models}
    info = {}
    env = dict(os.environ)
    if a.pythonmalloc:
        env["PYTHONMALLOC"] = a.pythonmalloc
    for _ in range(a.rounds):
        for v in sorted(models):
            c = run([models[v], "-c", CHILD, str(a.groups), str(a.reps)], env)
            h = run([a.gcbench, "--backend", a.backend, "--groups", str(a.groups),
                     "--reps", str(a.reps), "--python-model", v] + opts)
            info[v] = (c, h)
            for k in keys:
                cp[v][k].append(float(c[k]))
                hl[v][k].append(float(h[k]))
    print("shape: %d groups x (instance, its dict, tuple, dict, list); heaplab backend %s, "
          "CPython PYTHONMALLOC=%s; %d rounds, %d collections each; medians"
          % (a.groups, a.backend, a.pythonmalloc or "(default)", a.rounds, a.reps))
    if a.model_option:
        print("heaplab model options: %s" % " ".join(a.model_option))
    print("%-6s %-8s %-20s %10s %10s %8s %s" % ("model", "CPython", "ns per tracked object",
                                                "CPython", "heaplab", "ratio", "(rounds)"))
    for v in sorted(models):
        c, h = info[v]
        for k in keys:
            cm, hm = statistics.median(cp[v][k]), statistics.median(hl[v][k])
            ratios = [x / y for x, y in zip(hl[v][k], cp[v][k])]
            print("%-6s %-8s %-20s %10.1f %10.1f %8.2f (%.2f..%.2f)"
                  % (v, c["python"], k.replace("_ns_per_object", ""), cm, hm,
                     statistics.median(ratios), min(ratios), max(ratios)))
        print("%-6s tracked objects: CPython %s (%s before building), heaplab %s"
              % (v, c["tracked_objects"], c["interpreter_objects"], h["tracked_objects"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
