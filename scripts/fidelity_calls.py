#!/usr/bin/env python3
"""fidelity_calls.py - heaplab's allocator call stream against real CPython's,
per object workload and CPython version (issue 11, item 2).

    scripts/fidelity_calls.py [--build DIR] [--out DIR] [--model V=PYTHON]...
                              [--cpython-stats V=DIR]... [--model-option K=V]...
                              [--json FILE]

For each object-layer workload and each CPython version V (3.11, 3.12,
3.13):

  heaplab   the cell (DIR/heaplab-cell-system, backend system) runs the
            workload's set-up and one counted run(N) with --python-model V
            and --call-histogram: every call the object layer makes to its
            allocator, by kind and size class (objects/callstats.c);
  CPython   the workload's Python twin (workloads/python/) runs under
            interpreter PYTHON with PYTHONMALLOC=malloc through
            libheaplab-trace.so (scripts/record-twin-traces.sh), and
            scripts/trace_stats.py counts the calls between the twin's
            markers: the same run(N) after the same set-up;

both at the quick parameters, seed 1, with the iteration counts
record-twin-traces.sh uses.  Printed: calls per operation of each, their
ratio, and the total-variation distance of the size-class histograms,
with the targets of issue 11 for the 3.11 profile (ratio within 10%, TVD
at most 0.1).  Recorded traces can be reused with --cpython-stats V=DIR
(a directory of NAME.stats.json as record-twin-traces.sh writes).

Defaults: --build build, --out build/fidelity, --model
3.11=/usr/bin/python3, and 3.12 / 3.13 from pyenv
(~/.pyenv/versions/3.12.*/bin/python3.12, 3.13.*) when installed.
--model-option passes a what-if option to every heaplab cell (e.g.
freelists=off, to see what a rule is worth).

Exit status: 0 (whether or not targets are met), 2 bad usage or a run
that failed (one line on stderr).
"""
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name, workload, iterations, params: the same as scripts/record-twin-traces.sh
CASES = [
    ("churn", "churn", 50000, []),
    ("binary_trees", "binary_trees", 100, []),
    ("binary_trees_node1", "binary_trees", 100, ["node=1"]),
    ("list_grow", "list_grow", 20, []),
    ("dict_churn", "dict_churn", 100000, []),
    ("cycles", "cycles", 10000, []),
    ("gen_mix", "gen_mix", 50000, []),
    ("fragmentation", "fragmentation", 50000, []),
]
TARGET_RATIO = 0.10
TARGET_TVD = 0.10


def fail(msg):
    sys.stderr.write("fidelity_calls.py: %s\n" % msg)
    sys.exit(2)


def default_models():
    models = {"3.11": "/usr/bin/python3"}
    home = os.path.expanduser("~/.pyenv/versions")
    for v in ("3.12", "3.13"):
        found = sorted(glob.glob(os.path.join(home, v + ".*", "bin", "python" + v)))
        if found:
            models[v] = found[0]
    return models


def interpreter_version(py):
    out = subprocess.run([py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail("%s does not run" % py)
    return out.stdout.strip()


def load(path):
    with open(path) as f:
        return json.load(f)


def tvd(a, b):
    return 0.5 * sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b))


def heaplab_stats(build, out, name, workload, iterations, params, model, options):
    path = os.path.join(out, "heaplab-%s" % model, name + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cell = os.path.join(build, "heaplab-cell-system")
    cmd = [cell, "--backend", "system", "--workload", workload, "--suite-size", "quick",
           "--iterations", str(iterations), "--call-histogram", path, "--python-model", model,
           "--min-time", "0.001", "--timeline-ms", "0", "--quiet",
           "--out", os.path.join(out, "cells", model, name)]
    for p in params:
        cmd += ["--param", p]
    for o in options:
        cmd += ["--model-option", o]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return load(path), cmd


def cpython_stats(out, model, py, stats_dirs, build):
    d = stats_dirs.get(model)
    if d is None:
        d = os.path.join(out, "cpython-%s" % model)
        if not all(os.path.exists(os.path.join(d, c[0] + ".stats.json")) for c in CASES):
            lib = os.path.join(build, "libheaplab-trace.so")
            r = subprocess.run([os.path.join(HERE, "record-twin-traces.sh"), d, py, lib],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail("record-twin-traces.sh %s %s failed: %s" % (d, py, r.stderr.strip()))
            for t in glob.glob(os.path.join(d, "*.hlt")):
                os.remove(t)  # large; the stats are what is kept
    stats = {}
    for name, *_ in CASES:
        p = os.path.join(d, name + ".stats.json")
        if not os.path.exists(p):
            fail("no %s (record with scripts/record-twin-traces.sh)" % p)
        stats[name] = load(p)
    return stats, d


def main(argv):
    build = os.path.join(ROOT, "build")
    out = None
    models = default_models()
    stats_dirs = {}
    options = []
    json_out = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        if a not in ("--build", "--out", "--model", "--cpython-stats", "--model-option", "--json"):
            fail("unknown argument '%s' (see --help)" % a)
        if i + 1 >= len(argv):
            fail("%s needs a value" % a)
        v = argv[i + 1]
        i += 2
        if a == "--build":
            build = v
        elif a == "--out":
            out = v
        elif a == "--json":
            json_out = v
        elif a == "--model-option":
            options.append(v)
        else:
            if "=" not in v:
                fail("%s wants V=PATH, got '%s'" % (a, v))
            k, p = v.split("=", 1)
            if k not in ("3.11", "3.12", "3.13"):
                fail("%s: model %s is not 3.11, 3.12 or 3.13" % (a, k))
            (models if a == "--model" else stats_dirs)[k] = p
    out = out or os.path.join(build, "fidelity")
    if not os.path.exists(os.path.join(build, "heaplab-cell-system")):
        fail("no %s/heaplab-cell-system: build heaplab first (cmake --build %s)" % (build, build))
    rows = []
    for model in sorted(models):
        py = models[model]
        version = interpreter_version(py) if model not in stats_dirs else "(recorded)"
        cp, where = cpython_stats(out, model, py, stats_dirs, build)
        for name, workload, iterations, params in CASES:
            hl, cmd = heaplab_stats(build, out, name, workload, iterations, params, model, options)
            c = cp[name]
            ratio = hl["calls_total_per_op"] / c["calls_total_per_op"]
            d = tvd(hl["histogram"], c["histogram"])
            rows.append({"model": model, "cpython": version, "workload": name,
                         "operations": hl["operations"], "cpython_operations": c["operations"],
                         "heaplab_calls_per_op": hl["calls_total_per_op"],
                         "cpython_calls_per_op": c["calls_total_per_op"],
                         "ratio": round(ratio, 3), "tvd": round(d, 3),
                         "meets": abs(ratio - 1) <= TARGET_RATIO and d <= TARGET_TVD,
                         "heaplab_calls": hl["calls_per_op"], "cpython_calls": c["calls_per_op"],
                         "heaplab_histogram": hl["histogram"], "cpython_histogram": c["histogram"],
                         "cell_command": " ".join(cmd), "cpython_stats": where})
    print("| model | CPython | workload | ops | heaplab calls/op | CPython calls/op | ratio | TVD |"
          " targets |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %s |"
              % (r["model"], r["cpython"], r["workload"], r["operations"],
                 r["heaplab_calls_per_op"], r["cpython_calls_per_op"], r["ratio"], r["tvd"],
                 "met" if r["meets"] else "missed"))
    if options:
        print("(heaplab model options: %s)" % " ".join(options))
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"targets": {"ratio_within": TARGET_RATIO, "tvd_at_most": TARGET_TVD},
                       "model_options": options, "rows": rows}, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
