#!/usr/bin/env python3
"""mimalloc_bench_compare.py - the mimalloc-bench originals against heaplab's
versions of them: rankings side by side (issue 12, item 3).

    scripts/mimalloc_bench_compare.py RUN_DIR [HEAPLAB_RUN_DIR] [--metric cpu|wall]

RUN_DIR is a `heaplab run` result set holding the originals as command cells
(workloads/suites/mimalloc-bench.suite, docs/mimalloc-bench-fidelity.md has
the command); heaplab's cells are read from the same set or from
HEAPLAB_RUN_DIR.  Pairs compared (original cell name -> heaplab workload):

    larsonN -> larson, xmalloc-testN -> xmalloc, mstressN -> mstress,
    glibc-simple -> glibc_simple, glibc-thread -> glibc_thread,
    cache-scratchN -> cache_scratch, cache-scratchN-touch -> cache_scratch

Metrics.  cpu (default): CPU time, robust to preemption on a shared machine.
For heaplab's cells, the process CPU time of the timed pass per operation
(cell.json time.cpu_ns_per_op).  For the originals scored by a throughput
(larson, xmalloc-test, glibc-thread) the process's user+sys time divided by
the operations the throughput implies over the measured seconds (5, 5, 2 s
as bench.sh runs them); for the others (mstress, glibc-simple,
cache-scratch) the process's user+sys seconds.  wall: bench.sh's own score
(ns per operation from the throughput, or the elapsed seconds) and heaplab's
wall ns per operation.

Noise rule: two allocators differ beyond noise when their min..max ranges
over the repetitions do not overlap.  The rankings agree when no pair the
original separates beyond noise is ordered the other way by heaplab's
medians (or separated the other way beyond noise).  Pairs the original does
not separate do not count, as the issue's target says.

Output: a markdown table of the rankings and one of the figures.
"""
import argparse
import glob
import itertools
import json
import os
import statistics
import sys

MEASURED_S = {'larsonN': 5.0, 'xmalloc-testN': 5.0, 'glibc-thread': 2.0}
PAIRS = [('larsonN', 'larson'), ('xmalloc-testN', 'xmalloc'), ('mstressN', 'mstress'),
         ('glibc-simple', 'glibc_simple'), ('glibc-thread', 'glibc_thread'),
         ('cache-scratchN', 'cache_scratch'), ('cache-scratchN-touch', 'cache_scratch')]
BACKENDS = ['system', 'jemalloc', 'mimalloc', 'tcmalloc']
SHORT = {'system': 'sys', 'jemalloc': 'je', 'mimalloc': 'mi', 'tcmalloc': 'tc'}
UNIT = {'cpu': {'heaplab': 'CPU ns/op', 'time': 'CPU s', 'rate': 'CPU ns/op'},
        'wall': {'heaplab': 'ns/op', 'time': 's', 'rate': 'ns/op'}}


def load(run_dir):
    """{cell name: {backend: [(cpu, wall, rss_mib)]}} of the ok repetitions"""
    out = {}
    pattern = os.path.join(run_dir, 'cells', '*', 'rep-*', 'cell.json')
    for path in glob.glob(pattern):
        with open(path) as f:
            c = json.load(f)
        if c.get('status') != 'ok':
            continue
        parts = path.split(os.sep)[-3].split('--')
        name, backend = parts[0], parts[1]
        t, ru, mem = c['time'], c['rusage'], c.get('memory', {})
        cpu_s = ru['user_s'] + ru['sys_s']
        if 'command' in c:
            if name in MEASURED_S:
                ops = t['ops_per_s'] * MEASURED_S[name]
                cpu, wall = cpu_s * 1e9 / ops, 1e9 / t['ops_per_s']
            else:
                cpu, wall = cpu_s, t['wall_s']
        else:
            cpu, wall = t['cpu_ns_per_op'], t['ns_per_op']
        rss = mem.get('peak_rss_kib', ru.get('maxrss_kib', 0)) / 1024.0
        out.setdefault(name, {}).setdefault(backend, []).append((cpu, wall, rss))
    return out


def stats(reps, k):
    xs = sorted(r[k] for r in reps)
    return statistics.median(xs), xs[0], xs[-1]


def beyond_noise(cells, k):
    """the pairs (fast, slow) whose min..max ranges do not overlap"""
    res = set()
    for a, b in itertools.combinations(BACKENDS, 2):
        if a not in cells or b not in cells:
            continue
        _, lo_a, hi_a = stats(cells[a], k)
        _, lo_b, hi_b = stats(cells[b], k)
        if hi_a < lo_b:
            res.add((a, b))
        elif hi_b < lo_a:
            res.add((b, a))
    return res


def order(cells, k):
    return sorted((b for b in BACKENDS if b in cells), key=lambda b: stats(cells[b], k)[0])


def ranking(cells, k):
    o = order(cells, k)
    best = stats(cells[o[0]], k)[0]
    return ' < '.join('%s %.3g' % (SHORT[b], stats(cells[b], k)[0]) for b in o) + \
        ' (x%.2f)' % (stats(cells[o[-1]], k)[0] / best)


def pairs_text(s):
    return ', '.join(sorted('%s<%s' % (SHORT[a], SHORT[b]) for a, b in s)) or 'none'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('run_dir')
    ap.add_argument('heaplab_dir', nargs='?')
    ap.add_argument('--metric', choices=['cpu', 'wall'], default='cpu')
    args = ap.parse_args()
    orig = load(args.run_dir)
    mine = load(args.heaplab_dir) if args.heaplab_dir else orig
    k = 0 if args.metric == 'cpu' else 1
    if not orig:
        print('%s: no finished cells' % args.run_dir, file=sys.stderr)
        return 2
    print('| original | heaplab | original ranking (medians); beyond noise | '
          'heaplab ranking (medians); beyond noise | agree? |')
    print('|---|---|---|---|---|')
    agreed = total = 0
    for on, hn in PAIRS:
        if on not in orig or hn not in mine:
            continue
        so, sh = beyond_noise(orig[on], k), beyond_noise(mine[hn], k)
        rank = {b: i for i, b in enumerate(order(mine[hn], k))}
        bad = {(a, b) for a, b in so if rank[a] > rank[b]}
        bad |= {(b, a) for a, b in sh if (b, a) in so}
        verdict = 'yes' if not bad else 'no: original ' + pairs_text(bad)
        if not so:
            verdict += ' (the original separates no pair)'
        total += 1
        agreed += not bad
        print('| %s | %s | %s; %s | %s; %s | %s |' % (on, hn, ranking(orig[on], k), pairs_text(so),
                                                     ranking(mine[hn], k), pairs_text(sh), verdict))
    print('\n%d of %d agree (metric: %s)\n' % (agreed, total, args.metric))
    print('| original / heaplab | backend | original: median [min..max] | peak RSS MiB | '
          'heaplab: median [min..max] | peak RSS MiB |')
    print('|---|---|---|---|---|---|')
    for on, hn in PAIRS:
        if on not in orig or hn not in mine:
            continue
        for b in BACKENDS:
            o, h = orig[on].get(b), mine[hn].get(b)
            if not o or not h:
                continue
            m, lo, hi = stats(o, k)
            hm, hlo, hhi = stats(h, k)
            print('| %s / %s | %s | %.3g [%.3g..%.3g] (%d) | %.1f | %.3g [%.3g..%.3g] (%d) | %.1f |' % (
                on, hn, b, m, lo, hi, len(o), stats(o, 2)[0], hm, hlo, hhi, len(h), stats(h, 2)[0]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
