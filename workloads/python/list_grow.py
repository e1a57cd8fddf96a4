#!/usr/bin/env python3
"""list_grow.py - Python twin of workloads/list_grow.c.

One round (one iteration): `lists` lists are built side by side by append,
one append to each in turn, to a length drawn from [length/2, length]; then
each is popped from the end down to a quarter of its length, interleaved
again, and all are dropped.  Items are ints, 3 in 4 of them cached small
ints (-5..256), the rest allocated (1000 + 24 random bits).  One operation
= one append or pop.

The targets and items are list_grow.c's (draw_item, the interleaving) for
the same seed.  The measured loop makes the lists, the allocated ints (one
per next() on an array('q') iterator; cached ones come back from the cache
as in C) and compares: each list after its appends with the planned
contents, each popped item with the appended one (== allocates nothing).
"""
import itertools
import sys

import twinlib as T

PARAMS = [
    T.Param("lists", "lists grown side by side in each round", 8, 8, 1, 4096),
    T.Param("length", "longest list (items); lengths are drawn from [length/2, length]",
            1000, 300, 2, 1 << 22),
]


def draw_item(rng):
    r = rng.next()
    if r & 3:
        return (r >> 8) % 262 - 5
    return 1000 + ((r >> 8) & 0xFFFFFF)


class ListGrow:
    def __init__(self, values, seed, iterations):
        self.lists = values["lists"]
        self.length = values["length"]
        self.iterations = iterations
        rng = T.SM64(seed)
        L, n = self.length, self.lists
        ids = list(range(n))           # list indexes as prepared int objects
        append_order, values_, pop_order, popped = [], [], [], []
        expected_full, quarter = [], []
        checksum = 0
        ops = 0
        for _ in range(iterations):
            targets = [L // 2 + rng.below(L - L // 2 + 1) for _ in range(n)]
            longest = max(targets)
            vals = [[] for _ in range(n)]
            for k in range(longest):
                for i in range(n):
                    if k < targets[i]:
                        v = draw_item(rng)
                        vals[i].append(v)
                        append_order.append(ids[i])
                        values_.append(v)
                        ops += 1
            for i in range(n):
                h = T.h_seq_start(T.H_LIST, targets[i])
                for v in vals[i]:
                    h = T.mix(h, T.h_int(v))
                checksum = T.mix(checksum, h)
            expected_full.append(vals)
            for k in range(longest - 1, -1, -1):
                for i in range(n):
                    if k < targets[i] and k >= targets[i] // 4:
                        pop_order.append(ids[i])
                        popped.append(vals[i][k])
                        ops += 1
            quarter.append([t // 4 for t in targets])
        self.ids = ids
        self.append_order = append_order
        self.values = values_
        self.pop_order = pop_order
        self.popped = popped
        self.expected_full = expected_full
        self.quarter = quarter
        self.checksum = checksum
        self.ops = ops
        # appends per round and pops per round, to cut the flat orders
        self.round_appends = [sum(len(v) for v in r) for r in expected_full]
        self.round_pops = [sum(len(v) - v_q for v, v_q in zip(r, q))
                           for r, q in zip(expected_full, quarter)]

    def prepare(self):
        self.cur = [None] * self.lists
        self.src = (T.int_source(self.values), iter(self.append_order), iter(self.pop_order),
                    iter(self.popped),
                    zip(self.expected_full, self.quarter, self.round_appends, self.round_pops))

    def run(self):
        cur = self.cur
        ids = self.ids
        ints, aorder, porder, popped, rounds = self.src
        nxt = next
        islice = itertools.islice
        bad = 0
        for full, quarter, na, np_ in rounds:
            for i in ids:
                cur[i] = []
            for i in islice(aorder, na):
                cur[i].append(nxt(ints))
            for i in ids:
                if cur[i] != full[i]:
                    bad = 1
            for i in islice(porder, np_):
                if cur[i].pop() != nxt(popped):
                    bad = 1
            for i in ids:
                if len(cur[i]) != quarter[i]:
                    bad = 1
                cur[i] = None
        self.bad = bad
        return max(self.ops, self.iterations)

    def verify(self):
        if self.bad:
            raise T.Failure("a list's contents, a popped item or a length after the pops "
                            "differ from what was appended")

    def info(self):
        return {"checksum_metric": T.checksum_metric(self.checksum), "rounds": self.iterations}


if __name__ == "__main__":
    T.main("list_grow", PARAMS, ListGrow)
