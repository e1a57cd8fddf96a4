#!/usr/bin/env python3
"""fragmentation.py - Python twin of workloads/fragmentation.c.

Set-up: a population of `objects` objects of mixed sizes in a list - strs of
2..max_str bytes (half), tuples of 1..6 cached small ints (a quarter),
floats and large ints (an eighth each) - then a random keep_pct% is kept in
a survivors list and the population list is dropped, freeing the rest.
run(n) then makes n strs of new_str bytes into a ring as large as the
number of objects freed, dropping the oldest once it is full.  One
operation = one new-size str made (and, once the ring is full, one old one
dropped).  Members, survivors and texts are fragmentation.c's for the same
seed.  With --verbose the resident set at each stage is reported on stderr
(rss_baseline / peak / after_free / now, from /proc/self/statm).
"""
import itertools
import os
import sys

import twinlib as T

PARAMS = [
    T.Param("objects", "objects in the initial population", 200000, 20000, 100, 50000000),
    T.Param("keep_pct", "% of the population that survives", 10, 10, 1, 99),
    T.Param("max_str", "longest str in the population (bytes)", 200, 200, 2, 100000),
    T.Param("new_str", "length of the strs made afterwards (bytes)", 300, 300, 2, 100000),
]


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return -1


class Fragmentation:
    def __init__(self, values, seed, iterations):
        self.seed = seed
        self.objects = values["objects"]
        self.keep = values["keep_pct"]
        self.max_str = values["max_str"]
        self.new_str = values["new_str"]
        self.iterations = iterations
        self.rss_baseline = rss_bytes()
        population = [self.member(i) for i in range(self.objects)]
        self.rss_peak = rss_bytes()
        rng = T.SM64(T.mix64(seed + 7))
        keep = [rng.below(100) < self.keep for _ in range(self.objects)]
        self.survivors = [o for o, k in zip(population, keep) if k]
        population = None                    # frees every object not kept
        self.rss_after_free = rss_bytes()
        self.ring_cap = max(1, self.objects - len(self.survivors))
        self.ring = [None] * self.ring_cap
        # the new strs' texts (new_str_text) and their ring slots
        texts = [T.fill_text(self.new_str, T.mix64((~seed & T.MASK) ^ i))
                 for i in range(iterations)]
        self.texts = texts
        self.slot_ids = list(range(self.ring_cap))

    def member(self, i):
        """make_member: population object i."""
        h = T.mix64(self.seed ^ ((i * T.GOLDEN) & T.MASK))
        kind = h & 7
        if kind < 4:
            length = 2 + T.below(T.mix64(h), self.max_str - 1)
            return T.fill_text(length, h)
        if kind < 6:
            n = 1 + (h >> 8) % 6
            return tuple((h >> (16 + 4 * k)) & 0xFF for k in range(n))
        if kind == 6:
            return float(h >> 11) / 3.0
        return 1000 + (h >> 3)

    def prepare(self):
        n, cap = self.iterations, self.ring_cap
        self.previous = previous = [None] * min(cap, n) + self.texts[:max(0, n - cap)]
        self.src = zip(itertools.cycle(self.slot_ids), iter(T.TextSource(self.texts)), previous)

    def run(self):
        ring = self.ring
        bad = 0
        for slot, s, prev in self.src:
            if ring[slot] != prev:      # the oldest str, about to be dropped
                bad = 1
            ring[slot] = s
        self.bad = bad
        return self.iterations

    def verify(self):
        if self.bad:
            raise T.Failure("a new str changed while alive")
        rng = T.SM64(T.mix64(self.seed + 7))
        kept = [self.member(i) for i in range(self.objects) if rng.below(100) < self.keep]
        if kept != self.survivors:
            raise T.Failure("the survivors changed while alive")
        n = self.iterations
        for i in range(max(0, n - self.ring_cap), n):
            if self.ring[i % self.ring_cap] != self.texts[i]:
                raise T.Failure("new str %d changed while alive" % i)
        filled = min(n, self.ring_cap)
        if sum(1 for x in self.ring if x is not None) != filled:
            raise T.Failure("the ring holds the wrong number of strs")

    def info(self):
        h = 0
        for t in self.texts:
            h = T.mix(h, T.h_str(t))
        return {"checksum_metric": T.checksum_metric(h), "survivors": len(self.survivors),
                "rss_baseline": self.rss_baseline, "rss_peak": self.rss_peak,
                "rss_after_free": self.rss_after_free, "rss_now": rss_bytes()}


if __name__ == "__main__":
    T.main("fragmentation", PARAMS, Fragmentation)
