#!/usr/bin/env python3
"""churn.py - Python twin of workloads/churn.c.

A ring of `window` slots stands for the value stack and the locals.  Each
iteration makes one value - an int beyond the small-int cache, a float, a
str of 2..str_max bytes, or a 2- or 3-tuple of such values - stores it in the
next slot and so drops the slot's previous value.  One operation = one
object made (a tuple counts 1 + its items), as in the C workload.

The values, their kinds and texts are exactly churn.c's for the same seed
(make_value / make_scalar / draw_int, ported in plan()).  The measured loop
only builds them (twinlib explains how without other allocations) and
compares each dropped value with the value planned for it.
"""
import itertools
import sys

import twinlib as T

PARAMS = [
    T.Param("window", "values alive at once (the value stack and locals)", 64, 64, 1, 1 << 20),
    T.Param("str_max", "longest str made (bytes; at least 2)", 40, 40, 2, 4096),
]

K_INT, K_FLOAT, K_STR, K_TUPLE2, K_TUPLE3 = 0, 1, 2, 3, 4


class Churn:
    def __init__(self, values, seed, iterations):
        self.window = values["window"]
        self.str_max = values["str_max"]
        self.iterations = iterations
        self.plan(seed)

    # -- set-up: churn.c's choices, in its order -------------------------------

    def draw_int(self, rng):
        r = rng.next()
        spans = (1 << 29, 1 << 59, 1 << 62)
        v = 1000 + T.below(r, spans[0 if r & 1 else (1 if (r >> 1) & 1 else 2)])
        return -v if (r >> 2) & 1 else v

    def scalar(self, rng, codes, ints, floats, texts):
        """make_scalar: appends its kind code and value; returns (value, hash)."""
        r = rng.next()
        k = r % 3
        if k == 0:
            v = self.draw_int(rng)
            codes.append(K_INT)
            ints.append(v)
            return v, T.h_int(v)
        if k == 1:
            d = float(r >> 12) / 1024.0 + 0.25
            codes.append(K_FLOAT)
            floats.append(d)
            return d, T.h_float(d)
        length = 2 + rng.below(self.str_max - 1)
        s = T.fill_text(length, r)
        codes.append(K_STR)
        texts.append(s)
        return s, T.h_str(s)

    def plan(self, seed):
        rng = T.SM64(seed)
        codes, ints, floats, texts = [], [], [], []
        expected = []          # the value each iteration makes (for the drop check)
        checksum = 0
        objects = 0
        for _ in range(self.iterations):
            if rng.below(4) != 0:
                v, h = self.scalar(rng, codes, ints, floats, texts)
                objects += 1
            else:
                n = 2 + rng.below(2)
                codes.append(K_TUPLE2 if n == 2 else K_TUPLE3)
                h = T.h_seq_start(T.H_TUPLE, n)
                items = []
                for _ in range(n):
                    x, xh = self.scalar(rng, codes, ints, floats, texts)
                    items.append(x)
                    h = T.mix(h, xh)
                v = tuple(items)
                objects += 1 + n
            expected.append(v)
            checksum = T.mix(checksum, h)
        self.codes = bytes(codes)
        self.ints = ints
        self.floats = floats
        self.texts = T.TextSource(texts)
        self.expected = expected
        self.checksum = checksum
        self.objects = objects
        self.slots = [None] * self.window
        # The slot of iteration i is i % window; the previous value of a slot
        # is the one made `window` iterations earlier (None the first time).
        self.slot_ids = list(range(self.window))
        n, w = len(expected), self.window
        self.previous = [None] * min(w, n) + expected[:max(0, n - w)]

    # -- the measured loop --------------------------------------------------------

    def prepare(self):
        self.src = (T.int_source(self.ints), T.float_source(self.floats), iter(self.texts),
                    iter(self.codes), zip(itertools.cycle(self.slot_ids), self.previous))

    def run(self):
        slots = self.slots
        ints, floats, strs, codes, steps = self.src
        nxt = next
        bad = 0
        for slot, prev in steps:
            c = nxt(codes)
            if c == K_INT:
                v = nxt(ints)
            elif c == K_FLOAT:
                v = nxt(floats)
            elif c == K_STR:
                v = nxt(strs)
            else:
                c1 = nxt(codes)
                a = nxt(ints) if c1 == K_INT else nxt(floats) if c1 == K_FLOAT else nxt(strs)
                c2 = nxt(codes)
                b = nxt(ints) if c2 == K_INT else nxt(floats) if c2 == K_FLOAT else nxt(strs)
                if c == K_TUPLE2:
                    v = (a, b)
                else:
                    c3 = nxt(codes)
                    x = nxt(ints) if c3 == K_INT else nxt(floats) if c3 == K_FLOAT else nxt(strs)
                    v = (a, b, x)
            # the previous occupant dies when its slot is overwritten
            if slots[slot] != prev:
                bad = 1
            slots[slot] = v
        self.bad = bad
        return max(self.objects, self.iterations)

    # -- after the loop ----------------------------------------------------------

    def verify(self):
        if self.bad:
            raise T.Failure("a value changed while alive (dropped value differs from the one made)")
        n = len(self.expected)
        for i in range(max(0, n - self.window), n):
            got = self.slots[i % self.window]
            if got != self.expected[i] or T.content_hash(got, 1) != T.content_hash(self.expected[i], 1):
                raise T.Failure("value %d (a %s) in the window differs from the one made"
                                % (i, type(got).__name__))

    def info(self):
        return {"checksum_metric": T.checksum_metric(self.checksum), "objects_made": self.objects}


if __name__ == "__main__":
    T.main("churn", PARAMS, Churn)
