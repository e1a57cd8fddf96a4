#!/usr/bin/env python3
"""command_overhead.py - what a command cell adds to a program's wall time.

    scripts/command_overhead.py [--build DIR] [--rounds N] [--seconds S]

Runs one program of about S seconds (tests/cmd_prog.c's `ok N`: malloc/free
pairs, each block filled and checked; N calibrated once) in rounds, each
round three ways one after another so that the machine's drift falls on all
three alike:

  heaplab   `heaplab run --command-name ...` with one repetition and no
            warm-up run under the system allocator; the figure is the
            cell's own wall time (cell.json rusage.wall_s: fork to reap,
            probe preloaded, exec and exit followed by ptrace);
  time      `/usr/bin/time -f %e` around the program (10 ms resolution);
  direct    time.perf_counter() around subprocess.run of the program.

Prints the medians and the overhead of heaplab's figure over each baseline,
median of the per-round ratios and ratio of medians.  Exit status 0, or 2
on bad usage (one line).
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fail(msg):
    print(f"command_overhead.py: {msg}", file=sys.stderr)
    sys.exit(2)


def direct(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description="command-cell overhead against running directly")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=1.0)
    a = ap.parse_args()
    heaplab = os.path.join(a.build, "heaplab")
    prog = os.path.join(a.build, "tests", "hl-cmd-prog")
    for p in (heaplab, prog):
        if not os.access(p, os.X_OK):
            fail(f"{p} is missing: build first (cmake --build {a.build})")
    if not os.access("/usr/bin/time", os.X_OK):
        fail("/usr/bin/time is missing: apt-get install time")
    if a.rounds < 3 or not 0.1 <= a.seconds <= 60:
        fail("--rounds must be at least 3 and --seconds between 0.1 and 60")

    # calibrate twice: the first guess from a short probe, then from a run of
    # about the wanted length
    n = 20000
    for _ in range(2):
        n = max(1000, int(n * a.seconds / direct([prog, "ok", str(n)])))
    argv = [prog, "ok", str(n)]
    tmp = tempfile.mkdtemp(prefix="heaplab-overhead-")
    cell, timed, plain = [], [], []
    try:
        for r in range(a.rounds):
            out = os.path.join(tmp, f"run-{r}")
            subprocess.run([heaplab, "run", "--command-name", "prog=" + " ".join(argv),
                            "--backends", "system", "--repetitions", "1", "--warmup-runs", "0",
                            "--out", out], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            doc = json.load(open(glob.glob(f"{out}/cells/*/rep-0/cell.json")[0]))
            cell.append(doc["rusage"]["wall_s"])
            shutil.rmtree(out)
            p = subprocess.run(["/usr/bin/time", "-f", "%e"] + argv, capture_output=True,
                               text=True, check=True)
            timed.append(float(p.stderr.strip().splitlines()[-1]))
            plain.append(direct(argv))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    med = statistics.median
    print(f"program: hl-cmd-prog ok {n} (about {a.seconds:g} s), {a.rounds} rounds")
    for name, xs in (("heaplab cell", cell), ("/usr/bin/time", timed), ("perf_counter", plain)):
        print(f"  {name:14s} median {med(xs):.4f} s  min {min(xs):.4f}  max {max(xs):.4f}")
    for name, xs in (("/usr/bin/time", timed), ("perf_counter", plain)):
        per_round = med([c / x for c, x in zip(cell, xs)])
        print(f"  overhead over {name:14s}: {100 * (per_round - 1):+.2f}% (median of the rounds' "
              f"ratios), {100 * (med(cell) / med(xs) - 1):+.2f}% (ratio of medians)")


if __name__ == "__main__":
    main()
