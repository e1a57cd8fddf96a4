#!/usr/bin/env python3
"""cycles.py - Python twin of workloads/cycles.c.

Each iteration builds one structure of Node instances that only the cycle
collector can free, checks it and drops the last outside reference:

  family:  parent.children = [child_1 .. child_k], child_i.parent = parent;
  ring:    `ring` nodes linked by next/prev in a circle;

every node has an int .value (>= 1000).  Families and rings alternate at
random (the C workload's draws for the same seed); collections are the
automatic ones, plus gc.collect(0) every collect_every structures when
asked.  One operation = one node made and later collected.

verify() runs a full collection; the collector must then have freed
exactly the tracked containers made garbage (gc.get_stats()).  In CPython
those are the nodes and each family's children list: an instance's
attributes live in its values array (3.11, 3.12) or inline (3.13), not in
a dict, unless __dict__ is read, so there is no dict per node as in
heaplab.
"""
import gc
import sys

import twinlib as T

PARAMS = [
    T.Param("ring", "nodes in a doubly linked ring", 16, 8, 2, 1 << 16),
    T.Param("children", "children per parent in a family", 4, 4, 1, 1 << 16),
    T.Param("collect_every", "structures between explicit gen-0 collections (0 = automatic only)",
            0, 0, 0, 1 << 30),
]


class Node:
    pass


def declare_attributes():
    """One throw-away node with every attribute name, in the order the C
    workload first uses them, so that all five are in the class's shared
    keys from the start.  CPython (3.11-3.13) adds a new attribute name to
    a class's shared keys only while they have room, and that room shrinks
    by one with every instance created (dk_usable, init_inline_values /
    _PyObject_InitInlineValues): a name first set after ~30 instances no
    longer fits, and every instance that sets it gets a real dict.  Without
    this, which names fit would depend on whether a ring or a family
    comes first."""
    n = Node()
    n.value = n.children = n.parent = n.next = n.prev = None


class Cycles:
    def __init__(self, values, seed, iterations):
        self.ring = values["ring"]
        self.children = values["children"]
        self.collect_every = values["collect_every"]
        self.iterations = iterations
        rng = T.SM64(seed)
        kinds, vals, flags = [], [], []
        garbage = 0
        nodes = 0
        checksum = 0
        for s in range(1, iterations + 1):
            family = rng.below(2) == 0
            kinds.append(1 if family else 0)
            n = 1 + self.children if family else self.ring
            vs = [1000 + (rng.next() >> 24) for _ in range(n)]
            vals.extend(vs)
            checksum = T.mix(checksum, sum(vs) & T.MASK)
            garbage += n + 1 if family else n   # + the children list
            nodes += n
            flags.append(1 if self.collect_every and s % self.collect_every == 0 else 0)
        self.kinds = bytes(kinds)
        self.flags = bytes(flags)
        self.values = vals
        self.expected = list(vals)            # equal ints, for the checks
        self.garbage = garbage
        self.nodes = nodes
        self.checksum = checksum
        self.child_ids = list(range(self.children))
        self.ring_ids = list(range(self.ring))
        self.scratch = [None] * self.ring
        declare_attributes()
        gc.collect()
        self.collected0 = T.gc_collected_total()

    def prepare(self):
        self.src = (T.int_source(self.values), iter(self.expected), zip(self.kinds, self.flags))

    def run(self):
        ints, exp, steps = self.src
        nxt = next
        child_ids, ring_ids, scratch = self.child_ids, self.ring_ids, self.scratch
        last = self.ring - 1
        collect = gc.collect
        bad = 0
        for family, flag in steps:
            if family:
                parent = Node()
                parent.value = nxt(ints)
                kids = []
                parent.children = kids
                for _ in child_ids:
                    child = Node()
                    child.value = nxt(ints)
                    child.parent = parent
                    kids.append(child)
                child = None
                # check_family: values and back links
                if parent.value != nxt(exp) or parent.children is not kids:
                    bad = 1
                for child in kids:
                    if child.parent is not parent or child.value != nxt(exp):
                        bad = 1
                child = kids = None
                parent = None       # now only the collector can free it
            else:
                for i in ring_ids:
                    n = Node()
                    n.value = nxt(ints)
                    scratch[i] = n
                prev = scratch[last]
                for i in ring_ids:
                    n = scratch[i]
                    n.next = scratch[i + 1] if i != last else scratch[0]
                    n.prev = prev
                    prev = n
                head = scratch[0]
                for i in ring_ids:
                    scratch[i] = None
                n = prev = None
                # check_ring: next/prev inverse, closes after `ring` steps
                n = head
                for _ in ring_ids:
                    nx = n.next
                    if nx.prev is not n or n.value != nxt(exp):
                        bad = 1
                    n = nx
                if n is not head:
                    bad = 1
                n = nx = head = None
            if flag:
                collect(0)
        self.bad = bad
        return max(self.nodes, self.iterations)

    def verify(self):
        if self.bad:
            raise T.Failure("a structure was badly linked or lost a value")
        gc.collect()
        collected = T.gc_collected_total() - self.collected0
        if collected != self.garbage:
            raise T.Failure("the collector freed %d objects, but %d containers were made garbage"
                            % (collected, self.garbage))

    def info(self):
        return {"checksum_metric": T.checksum_metric(self.checksum),
                "garbage_containers": self.garbage}


if __name__ == "__main__":
    T.main("cycles", PARAMS, Cycles)
