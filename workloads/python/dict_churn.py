#!/usr/bin/env python3
"""dict_churn.py - Python twin of workloads/dict_churn.c.

`dicts` str-keyed dicts live at once.  Each operation picks a dict and one
of `keys` keys ("k17_Xa9...", 6..29 bytes) and then, as in the C workload,
45% sets it to a new int (>= 1000, so always an allocated int), 25% deletes
it, 30% looks it up; every `replace_every` operations one dict is checked
in full and replaced by a new empty one.  One operation = one set, delete
or lookup.

The choices and values are dict_churn.c's for the same seed.  The key strs
are made once at set-up and reused, as a Python program holding its keys
does (heaplab's hl_dict_set_str makes a new key str for every insertion of
an absent key instead: a difference of the model, see the README).  Every
delete and lookup result is compared with the planned one, and each dict
is compared with the planned contents before it is replaced (== and
dict.pop(key, default) allocate nothing).
"""
import sys

import twinlib as T

PARAMS = [
    T.Param("dicts", "dicts alive at once", 64, 16, 1, 65536),
    T.Param("keys", "distinct str keys a dict may hold", 512, 128, 1, 1 << 20),
    T.Param("replace_every",
            "operations between two full checks + replacements of a dict (0 = never)",
            2000, 500, 0, 1 << 30),
]

VALUE_BASE = 1000
SET, DEL, GET, REPLACE = 0, 1, 2, 3
MISSING = object()


class DictChurn:
    def __init__(self, values, seed, iterations):
        self.ndicts = values["dicts"]
        self.nkeys = values["keys"]
        self.replace_every = values["replace_every"]
        self.iterations = iterations
        rng = T.SM64(seed)
        keys = []
        for k in range(self.nkeys):
            tail = 4 + rng.below(16)
            keys.append("k%d_" % k + T.fill_text(tail, rng.next()))
        self.keys = keys
        ids = list(range(self.ndicts))
        model = [dict() for _ in range(self.ndicts)]   # key -> planned value
        codes, dict_ids, key_objs, expect, set_values = [], [], [], [], []
        checksum = 0
        for op in range(1, iterations + 1):
            r = rng.next()
            i = T.below(r, self.ndicts)
            k = rng.below(self.nkeys)
            what = (r & 0xFFFF) % 100
            key = keys[k]
            m = model[i]
            dict_ids.append(ids[i])
            key_objs.append(key)
            if what < 45:
                v = VALUE_BASE + (rng.next() >> 20)
                m[key] = v
                codes.append(SET)
                set_values.append(v)
                expect.append(None)
            elif what < 70:
                codes.append(DEL)
                expect.append(m.pop(key, MISSING))
            else:
                got = m.get(key)
                codes.append(GET)
                expect.append(got)
                checksum = T.mix(checksum, got if got is not None else 1)
            if self.replace_every and op % self.replace_every == 0:
                j = rng.below(self.ndicts)
                codes.append(REPLACE)
                dict_ids.append(ids[j])
                key_objs.append(None)
                expect.append(dict(model[j]))      # the contents it must have
                checksum = T.mix(checksum, self.dict_hash(model[j]))
                model[j] = {}
        self.codes = bytes(codes)
        self.dict_ids = dict_ids
        self.key_objs = key_objs
        self.expect = expect
        self.set_values = set_values
        self.model = model
        self.checksum = checksum
        self.dicts = [{} for _ in range(self.ndicts)]

    @staticmethod
    def dict_hash(d):
        h = T.h_seq_start(T.H_DICT, len(d))
        for k, v in d.items():
            h = T.mix(h, T.h_str(k))
            h = T.mix(h, T.h_int(v))
        return h

    def prepare(self):
        self.src = (T.int_source(self.set_values),
                    zip(self.codes, self.dict_ids, self.key_objs, self.expect))

    def run(self):
        dicts = self.dicts
        ints, steps = self.src
        nxt = next
        bad = 0
        for code, i, key, exp in steps:
            if code == SET:
                dicts[i][key] = nxt(ints)
            elif code == DEL:
                if dicts[i].pop(key, MISSING) != exp:
                    bad = 1
            elif code == GET:
                if dicts[i].get(key) != exp:
                    bad = 1
            else:
                if dicts[i] != exp:
                    bad = 1
                dicts[i] = {}
        self.bad = bad
        return self.iterations

    def verify(self):
        if self.bad:
            raise T.Failure("a delete, lookup or full check disagreed with the model")
        for i, (d, m) in enumerate(zip(self.dicts, self.model)):
            if d != m or list(d) != list(m):
                raise T.Failure("dict %d differs from the model (%d keys, model %d)"
                                % (i, len(d), len(m)))

    def info(self):
        return {"checksum_metric": T.checksum_metric(self.checksum),
                "keys_present": sum(len(m) for m in self.model)}


if __name__ == "__main__":
    T.main("dict_churn", PARAMS, DictChurn)
