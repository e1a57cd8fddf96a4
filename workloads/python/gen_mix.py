#!/usr/bin/env python3
"""gen_mix.py - Python twin of workloads/gen_mix.c: a large long-lived heap
plus steady churn, the generational collector's case.

Set-up builds a root list of records, record i being, by i mod 4,
    0  a tuple (id, name)              1  a list [id, score]
    2  a dict {"id": id, "name": name} 3  a Record instance with .id
until the heap holds `objects` objects as heaplab counts them (3, 3, 5 and 4
objects per record of each kind: heaplab's dict record also allocates its
two key strs and its instance a dict and a key str), so both programs have
the same number of records; then a full collection.  One iteration (one
operation) makes a record of a random kind; survive_pct of them replace an
occupant of a ring of `medium` slots, the rest die at once; cycle_pct of
the iterations also make a two-list cycle; mutate_pct replace a random
long-lived record by a new version.  Contents, kinds and every choice are
gen_mix.c's for the same seed (fields_of and the run loop, ported).

Written as a Python program writes them: the list record is the literal
[id, score] (an exact 2-slot item array, where heaplab's list grows to 4
slots by appends), the dict record the literal {"id": id, "name": name}
(keys are interned constants, not new strs), the instance keeps .id in its
values array (no dict).
"""
import gc
import sys

import twinlib as T

PARAMS = [
    T.Param("objects", "objects in the long-lived heap", 1000000, 50000, 100, 100000000),
    T.Param("medium", "slots of medium-lived records", 10000, 2000, 1, 10000000),
    T.Param("survive_pct", "% of new records kept in the medium ring", 10, 10, 0, 100),
    T.Param("cycle_pct", "% of iterations that also make a garbage cycle", 2, 2, 0, 100),
    T.Param("mutate_pct", "% of iterations that replace a long-lived record", 1, 1, 0, 100),
]

KINDS = 4
NAME_MAX = 24
# objects per record kind as heaplab's runtime counts them (hl_rt_live_objects)
HEAPLAB_KIND_OBJECTS = (3, 3, 5, 4)


class Record:
    pass


def make_record(kind, ids, names, scores):
    if kind == 0:
        return (next(ids), next(names))
    if kind == 1:
        return [next(ids), next(scores)]
    if kind == 2:
        return {"id": next(ids), "name": next(names)}
    r = Record()
    r.id = next(ids)
    return r


def record_differs(rec, e):
    """e = (kind, id, name or score) as planned."""
    kind = e[0]
    if kind == 0:
        return type(rec) is not tuple or rec[0] != e[1] or rec[1] != e[2]
    if kind == 1:
        return type(rec) is not list or rec[0] != e[1] or rec[1] != e[2]
    if kind == 2:
        return type(rec) is not dict or rec["id"] != e[1] or rec["name"] != e[2]
    return type(rec) is not Record or rec.id != e[1]


class GenMix:
    def __init__(self, values, seed, iterations):
        self.seed = seed
        self.medium = values["medium"]
        survive, cyc, mutate = values["survive_pct"], values["cycle_pct"], values["mutate_pct"]
        self.iterations = iterations
        objects = values["objects"]
        cap = objects // 2 + 1
        total = n = 0
        while n < cap and total < objects:
            total += HEAPLAB_KIND_OBJECTS[n % KINDS]
            n += 1
        if n < KINDS:
            raise T.Failure("objects=%d makes fewer than %d records" % (objects, KINDS))
        self.n_records = n
        self.versions = [0] * n
        # the long-lived heap
        fs = [self.fields(i, 0, cap) for i in range(n)]
        self.heap = self.build(fs)
        gc.collect()
        self.collected0 = T.gc_collected_total()
        # the run's plan
        rng = T.SM64(T.mix64(seed + 1))
        made = []                       # fields of every record run() makes, in order
        codes, slots, mut_idx, exps = [], [], [], []
        slot_objs = list(range(self.medium))
        idx_objs = list(range(n))
        checksum = 0
        garbage = 0
        for j in range(iterations):
            f = self.fields(n + j, 0, n)
            made.append(f)
            exps.append(f[:3])
            checksum = T.mix(checksum, self.expected_hash(f))
            r = rng.next()
            code = f[0]
            slot = None
            if T.below(r, 100) < survive:
                code |= 4
                slot = slot_objs[T.below(T.mix64(r), self.medium)]
            if T.below(T.mix64(r ^ 1), 100) < cyc:
                code |= 8
                garbage += 2
            mi = None
            if T.below(T.mix64(r ^ 2), 100) < mutate:
                i = T.below(T.mix64(r ^ 3), n)
                self.versions[i] += 1
                g = self.fields(i, self.versions[i], n)
                made.append(g)
                code |= 16 | (g[0] << 5)
                mi = idx_objs[i]
            codes.append(code)
            slots.append(slot)
            mut_idx.append(mi)
        self.codes = bytes(codes)
        self.slots = slots
        self.mut_idx = mut_idx
        self.exps = exps
        self.made = made
        self.checksum = checksum
        self.garbage = garbage
        self.ring = [None] * self.medium
        self.ring_e = [None] * self.medium

    def fields(self, rid, version, n_records):
        """gen_mix.c fields_of: (kind, id, name, score)."""
        h = T.mix64(self.seed ^ T.mix64((rid * T.GOLDEN + version) & T.MASK))
        kind = rid % KINDS if rid < n_records else h >> 62
        fid = 1000 + (h & 0xFFFFFFFFFF)
        score = float((h >> 20) & 0xFFFFF) / 64.0 + 0.5
        name = T.fill_text(4 + ((h >> 40) % (NAME_MAX - 4)), h)
        second = score if kind == 1 else name
        return (kind, fid, second, name, score)

    @staticmethod
    def expected_hash(f):
        kind, fid, _, name, score = f
        if kind == 0:
            h = T.h_seq_start(T.H_TUPLE, 2)
            return T.mix(T.mix(h, T.h_int(fid)), T.h_str(name))
        if kind == 1:
            h = T.h_seq_start(T.H_LIST, 2)
            return T.mix(T.mix(h, T.h_int(fid)), T.h_float(score))
        if kind == 2:
            h = T.h_seq_start(T.H_DICT, 2)
            h = T.mix(T.mix(h, T.h_str("id")), T.h_int(fid))
            return T.mix(T.mix(h, T.h_str("name")), T.h_str(name))
        return T.mix(T.H_INST, T.h_int(fid))

    @staticmethod
    def sources(fs):
        ids = T.int_source([f[1] for f in fs])
        names = iter(T.TextSource([f[3] for f in fs if f[0] in (0, 2)]))
        scores = T.float_source([f[4] for f in fs if f[0] == 1])
        return ids, names, scores

    def build(self, fs):
        ids, names, scores = self.sources(fs)
        return [make_record(f[0], ids, names, scores) for f in fs]

    def prepare(self):
        self.src = self.sources(self.made) + (
            zip(self.codes, self.slots, self.mut_idx, self.exps),)

    def run(self):
        ids, names, scores, steps = self.src
        ring, ring_e, heap = self.ring, self.ring_e, self.heap
        make, differs = make_record, record_differs
        bad = 0
        for code, slot, mi, e in steps:
            rec = make(code & 3, ids, names, scores)
            if code & 4:
                old = ring[slot]
                if old is not None and differs(old, ring_e[slot]):
                    bad = 1
                ring[slot] = rec
                ring_e[slot] = e
                old = None
            elif differs(rec, e):
                bad = 1
            rec = None
            if code & 8:
                a = []
                b = []
                a.append(b)
                b.append(a)
                a = b = None
            if code & 16:
                heap[mi] = make((code >> 5) & 3, ids, names, scores)
        self.bad = bad
        return self.iterations

    def verify(self):
        if self.bad:
            raise T.Failure("a record changed while alive")
        n = self.n_records
        if len(self.heap) != n:
            raise T.Failure("the heap list has %d records, expected %d" % (len(self.heap), n))
        for i, rec in enumerate(self.heap):
            f = self.fields(i, self.versions[i], n)
            if record_differs(rec, f[:3]):
                raise T.Failure("long-lived record %d (version %d) changed" % (i, self.versions[i]))
        for rec, e in zip(self.ring, self.ring_e):
            if rec is not None and record_differs(rec, e):
                raise T.Failure("a medium-lived record changed")
        gc.collect()
        collected = T.gc_collected_total() - self.collected0
        if collected != self.garbage:
            raise T.Failure("the collector freed %d objects, but %d cycle containers were "
                            "made garbage" % (collected, self.garbage))

    def info(self):
        return {"checksum_metric": T.checksum_metric(self.checksum), "records": self.n_records}


if __name__ == "__main__":
    T.main("gen_mix", PARAMS, GenMix)
