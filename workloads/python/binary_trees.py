#!/usr/bin/env python3
"""binary_trees.py - Python twin of workloads/binary_trees.c (GCBench /
the benchmarks game's binary-trees).

A long-lived tree of depth long_depth is built at set-up and kept; each
iteration builds a tree of depth `depth` bottom-up, walks it and drops it.
A node is a tuple (left, right, item) (node=0; a leaf is (None, None, item))
or an instance of class Node with attributes left, right, item (node=1).
The root of tree t has item next_item + t and a node with item k has
children 2k-1 and 2k; the root items come from the seed as in the C
workload (1 + below(2^20), then 1 + below(2^30)).  One operation = one
node built (and walked and freed).

The items of every tree are planned at set-up in the order the C workload
makes them (post-order: children first, the node's int just before the node
itself), so the measured loop makes exactly one int and one node per node.
The walk checks each node's shape and compares its item with the planned
one (an == that allocates nothing); the item sums against the closed form
S(i, d) = a_d i + b_d are checked in verify() for the long-lived tree.
"""
import gc
import sys

import twinlib as T

PARAMS = [
    T.Param("depth", "depth of each short-lived tree (2^(depth+1)-1 nodes)", 12, 8, 1, 22),
    T.Param("long_depth", "depth of the long-lived tree built at set-up", 16, 12, 0, 22),
    T.Param("node", "node representation: 0 = tuple (left, right, item), 1 = instance", 0, 0, 0, 1),
]

sys.setrecursionlimit(10000)


class Node:
    def __init__(self, left, right, item):
        self.left = left
        self.right = right
        self.item = item


def post_order_items(item, depth, out):
    if depth:
        post_order_items(2 * item - 1, depth - 1, out)
        post_order_items(2 * item, depth - 1, out)
    out.append(item)


# Plain recursive functions (a recursive closure would be a reference cycle
# that the collector then has to free).  `items` yields the planned ints,
# `expected` equal ones for the walk.

def build_tuple(depth, items):
    if depth == 0:
        return (None, None, next(items))
    left = build_tuple(depth - 1, items)
    right = build_tuple(depth - 1, items)
    return (left, right, next(items))


def build_node(depth, items):
    if depth == 0:
        return Node(None, None, next(items))
    left = build_node(depth - 1, items)
    right = build_node(depth - 1, items)
    return Node(left, right, next(items))


def walk_tuple(node, depth, expected):
    """True when the tree is full, of exactly this depth, and every item is
    the planned one (post-order, as built)."""
    left, right, item = node
    if depth == 0:
        ok = left is None and right is None
    else:
        ok = left is not None and right is not None and \
            walk_tuple(left, depth - 1, expected) and walk_tuple(right, depth - 1, expected)
    return ok and item == next(expected)


def walk_node(node, depth, expected):
    left, right = node.left, node.right
    if depth == 0:
        ok = left is None and right is None
    else:
        ok = left is not None and right is not None and \
            walk_node(left, depth - 1, expected) and walk_node(right, depth - 1, expected)
    return ok and node.item == next(expected)


class BinaryTrees:
    def __init__(self, values, seed, iterations):
        self.depth = values["depth"]
        self.long_depth = values["long_depth"]
        self.instances = values["node"] == 1
        self.iterations = iterations
        rng = T.SM64(seed)
        self.long_root_item = 1 + rng.below(1 << 20)
        self.first_item = 1 + rng.below(1 << 30)
        self.build = build_node if self.instances else build_tuple
        self.walk = walk_node if self.instances else walk_tuple
        # the short trees' items, all trees one after the other
        items = []
        for t in range(iterations):
            post_order_items(self.first_item + t, self.depth, items)
        self.items = items
        self.expected = list(items)  # equal int objects, for the walk
        # binary_trees.c's checksum: (nodes, item sum) of every tree, mixed
        sa, sb = 1, 0
        for _ in range(self.depth):
            sa, sb = (1 + 4 * sa) & T.MASK, (2 * sb - sa) & T.MASK
        cs = 0
        for t in range(iterations):
            cs = T.mix(T.mix(cs, (2 << self.depth) - 1), (sa * (self.first_item + t) + sb) & T.MASK)
        self.checksum = cs
        long_items = []
        post_order_items(self.long_root_item, self.long_depth, long_items)
        gc.collect()
        self.collected0 = T.gc_collected_total()
        self.long_tree = self.build(self.long_depth, T.int_source(long_items))

    def prepare(self):
        self.src = (T.int_source(self.items), iter(self.expected))

    def run(self):
        build, walk = self.build, self.walk
        items, expected = self.src
        depth = self.depth
        bad = 0
        for _ in range(self.iterations):
            tree = build(depth, items)
            if not walk(tree, depth, expected):
                bad = 1
            tree = None
        self.bad = bad
        return max(self.iterations * ((2 << self.depth) - 1), self.iterations)

    def sums(self, node, depth):
        """(nodes, item sum mod 2^64) of a tree, or None when malformed."""
        if self.instances:
            left, right, item = node.left, node.right, node.item
        else:
            left, right, item = node
        if type(item) is not int:
            return None
        if depth == 0:
            return (1, item) if left is None and right is None else None
        a = self.sums(left, depth - 1)
        b = self.sums(right, depth - 1)
        if a is None or b is None:
            return None
        return a[0] + b[0] + 1, (a[1] + b[1] + item) & T.MASK

    def verify(self):
        if self.bad:
            raise T.Failure("a short-lived tree is malformed or holds a wrong item")
        a, b = [1], [0]
        for d in range(1, 23):
            a.append((1 + 4 * a[-1]) & T.MASK)
            b.append((2 * b[-1] - a[-2]) & T.MASK)
        got = self.sums(self.long_tree, self.long_depth)
        want = ((2 << self.long_depth) - 1,
                (a[self.long_depth] * self.long_root_item + b[self.long_depth]) & T.MASK)
        if got != want:
            raise T.Failure("long-lived tree of depth %d: %s, expected %s" % (self.long_depth, got, want))
        collected = T.gc_collected_total() - self.collected0
        if collected:
            raise T.Failure("the collector freed %d objects, but trees have no cycles" % collected)

    def info(self):
        return {"checksum_metric": T.checksum_metric(self.checksum), "trees": self.iterations,
                "long_lived_nodes": (2 << self.long_depth) - 1}


if __name__ == "__main__":
    T.main("binary_trees", PARAMS, BinaryTrees)
