#!/usr/bin/env python3
"""cpython_sizes.py - what objects really cost in the interpreter running it.

Prints one JSON document on stdout: the interpreter's version and build, and
for the object kinds heaplab models (int, float, str, tuple, list, dict,
instances of a plain class, set):

  getsizeof      sys.getsizeof of representative values;
  cost           blocks and bytes one object really costs, measured with
                 tracemalloc over 10000 objects kept alive at once (free
                 lists emptied first by a full collection, so every object
                 is a real allocation), the sizes of those blocks, and the
                 sys.getallocatedblocks() delta per object (pymalloc only;
                 0 under PYTHONMALLOC=malloc);
  freelists      whether freeing objects keeps their blocks (a free list)
                 and whether re-creating them then needs new blocks;
  gc             thresholds, which containers are tracked when, and when
                 tuples and dicts are untracked;
  instances      whether an instance has a materialised __dict__ before
                 __dict__ is read, and what reading it costs;
  interning      whether identifiers and identifier-like literals are
                 interned, and whether interned strs / None / small ints
                 are immortal (PEP 683, 3.12+).

Run it under each interpreter to compare:

    python3 scripts/cpython_sizes.py > sizes.json

No dependencies beyond the standard library; Python 3.8 or newer.
The measurements are of this process only and take about a second.
"""
import gc
import json
import platform
import sys
import sysconfig
import tracemalloc

N = 10000
HERE = __file__


# ---- measurement helpers -----------------------------------------------------

def _blocks_here():
    """(blocks, bytes, {size: count}) of the live traced blocks allocated
    from this file: the objects the factories made (tracemalloc's own
    snapshot objects are allocated in tracemalloc.py and left out)."""
    snap = tracemalloc.take_snapshot()
    count = 0
    size = 0
    hist = {}
    for t in snap.traces:
        if t.traceback[0].filename != HERE:
            continue
        count += 1
        size += t.size
        hist[t.size] = hist.get(t.size, 0) + 1
    del snap
    return count, size, hist


def _cost(factory, n=N, warm=64):
    """Blocks, bytes and block sizes per object of n objects made by
    factory(i) and kept alive together.  `warm` objects are made and dropped
    first (a class's shared keys shrink their values arrays over its first
    instances; see the notes), then a full collection empties the free
    lists so that every object below is a real allocation."""
    idx = list(range(n))
    out = [None] * n
    for i in range(warm):
        out[i] = factory(idx[i])
    out = [None] * n
    gc.collect()
    gc.disable()
    try:
        b0, s0, h0 = _blocks_here()
        # freeing the snapshot refilled the tuple free lists: empty them again
        gc.collect()
        ab0 = sys.getallocatedblocks()
        for i in idx:
            out[i] = factory(i)
        ab1 = sys.getallocatedblocks()
        b1, s1, h1 = _blocks_here()
    finally:
        gc.enable()
    hist = {}
    for k, v in h1.items():
        d = v - h0.get(k, 0)
        if d * 20 >= n:  # sizes that at least 1 object in 20 has
            hist[str(k)] = round(d / n, 3)
    del out
    return {
        "blocks_per_object": round((b1 - b0) / n, 3),
        "bytes_per_object": round((s1 - s0) / n, 2),
        "block_sizes": dict(sorted(hist.items(), key=lambda kv: int(kv[0]))),
        "allocatedblocks_per_object": round((ab1 - ab0 - 2) / n, 3),
    }


def _freelist(factory, n):
    """Make n objects, free them, make n again (free lists emptied first).
    retained: blocks still allocated after the n were freed (a free list
    holds them); new_on_recreate: blocks the second n needed beyond that.
    Counted with sys.getallocatedblocks() (pymalloc's live blocks: creates
    no objects, unlike a tracemalloc snapshot whose own tuples would refill
    the tuple free lists), or with tracemalloc when pymalloc is not in use.
    The list holding the objects is made before the first count."""
    idx = list(range(n))
    slots = [None] * n
    count = sys.getallocatedblocks
    if count() == 0:
        count = lambda: _blocks_here()[0]
    gc.collect()
    gc.disable()
    try:
        b0 = count()
        for i in idx:
            slots[i] = factory(i)
        b1 = count()
        for i in idx:
            slots[i] = None
        b2 = count()
        for i in idx:
            slots[i] = factory(i)
        b3 = count()
        for i in idx:
            slots[i] = None
    finally:
        gc.enable()
    return {
        "n": n,
        "blocks_made": b1 - b0,
        "retained_after_free": b2 - b0,
        "new_on_recreate": b3 - b2,
    }


# ---- the objects ------------------------------------------------------------

class Plain:
    pass


class Three:
    def __init__(self, a, b, c):
        self.a = a
        self.b = b
        self.c = c


def _mk_str(k, ch="x"):
    # a + b of two existing strs is a new str of exactly len(a) + len(b)
    a = ch * (k // 2)
    b = "y" * (k - k // 2)
    return a, b


def measure():
    res = {}
    impl = sys.implementation
    res["interpreter"] = {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": impl.name,
        "build": " ".join(platform.python_build()),
        "compiler": platform.python_compiler(),
        "pointer_bytes": 8 if sys.maxsize > 2**32 else 4,
        "py_debug": bool(sysconfig.get_config_var("Py_DEBUG")),
        "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "with_pymalloc": bool(sysconfig.get_config_var("WITH_PYMALLOC")),
        "pymalloc_in_use": sys.getallocatedblocks() > 0,
    }

    gs = sys.getsizeof
    a2, b2 = _mk_str(2)
    res["getsizeof"] = {
        "None": gs(None),
        "int 0": gs(0), "int 1": gs(1), "int 2**30": gs(2**30), "int 2**60": gs(2**60),
        "float": gs(1.5),
        "str ''": gs(""), "str ascii 1": gs("a"),
        "str ascii 2": gs(a2 + b2),
        "str ascii 8": gs("x" * 8), "str ascii 16": gs("x" * 16),
        "str ascii 40": gs("x" * 40), "str ascii 100": gs("x" * 100),
        "str latin1 8": gs("\xe9" * 8), "str ucs2 8": gs("\u03a9" * 8),
        "str ucs4 8": gs("\U0001F600" * 8),
        "tuple 0": gs(()), "tuple 1": gs((1,)), "tuple 2": gs((1, 2)),
        "tuple 3": gs((1, 2, 3)),
        "list []": gs([]), "list [1,2,3] literal": gs([1, 2, 3]),
        "dict {}": gs({}), "dict 1 str key": gs({"a": 1}),
        "dict 6 str keys": gs({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}),
        "dict 1 int key": gs({1: 1}),
        "set()": gs(set()), "set 3": gs({1, 2, 3}),
        "instance 0 attrs": gs(Plain()),
        "instance 3 attrs": gs(Three(1, 2, 3)),
    }
    appended = []
    sizes = []
    for i in range(20):
        appended.append(None)
        sizes.append(gs(appended))
    res["getsizeof"]["list after 1..20 appends"] = sizes

    # -- cost per object (tracemalloc) --
    s_pairs = {k: _mk_str(k) for k in (2, 8, 16, 40, 100)}
    lat = _mk_str(8, "\xe9")
    ucs2 = _mk_str(8, "\u03a9")
    none = None
    costs = {
        "int (2**20 + i)": lambda i: i + 1048576,
        "int (2**40 + i)": lambda i: i + 1099511627776,
        "float": lambda i: i * 0.5,
        "str ascii 2": lambda i, p=s_pairs[2]: p[0] + p[1],
        "str ascii 8": lambda i, p=s_pairs[8]: p[0] + p[1],
        "str ascii 16": lambda i, p=s_pairs[16]: p[0] + p[1],
        "str ascii 40": lambda i, p=s_pairs[40]: p[0] + p[1],
        "str ascii 100": lambda i, p=s_pairs[100]: p[0] + p[1],
        "str latin1 8": lambda i, p=lat: p[0] + p[1],
        "str ucs2 8": lambda i, p=ucs2: p[0] + p[1],
        "tuple 1": lambda i, x=none: (x,),
        "tuple 2": lambda i, x=none: (x, x),
        "tuple 3": lambda i, x=none: (x, x, x),
        "list []": lambda i: [],
        "list [x, x] literal": lambda i, x=none: [x, x],
        "list [] + 1 append": lambda i, x=none: _append1(x),
        "dict {}": lambda i: {},
        "dict 1 str key (literal)": lambda i, x=none: {"k": x},
        "dict 2 str keys (literal)": lambda i, x=none: {"id": x, "name": x},
        "dict 6 str keys (literal)": lambda i, x=none: {
            "a": x, "b": x, "c": x, "d": x, "e": x, "f": x},
        "dict 1 str key (d = {}; d[k] = v)": lambda i, x=none: _dict1(x),
        "instance 0 attrs": lambda i: Plain(),
        "instance 3 attrs": lambda i, x=none: Three(x, x, x),
        "set()": lambda i: set(),
    }
    res["cost"] = {name: _cost(f) for name, f in costs.items()}
    res["cost_note"] = ("tracemalloc over %d objects alive at once after a full "
                        "collection; instances after %d warm-up instances" % (N, 64))

    # first instances of a fresh class (shared keys still large)
    class Fresh:
        def __init__(self, a, b, c):
            self.a = a
            self.b = b
            self.c = c
    res["cost"]["instance 3 attrs, first 8 of a new class"] = _cost(
        lambda i, x=none: Fresh(x, x, x), n=8, warm=0)

    # -- free lists --
    fl = {}
    for n in (50, 3000):
        fl["float n=%d" % n] = _freelist(lambda i: i * 0.5, n)
        fl["tuple 2 n=%d" % n] = _freelist(lambda i, x=none: (x, x), n)
        fl["tuple 3 n=%d" % n] = _freelist(lambda i, x=none: (x, x, x), n)
        fl["tuple 20 n=%d" % n] = _freelist(lambda i, x=none: (x,) * 20, n)
        fl["tuple 21 n=%d" % n] = _freelist(lambda i, x=none: (x,) * 21, n)
        fl["list [] n=%d" % n] = _freelist(lambda i: [], n)
        fl["dict {} n=%d" % n] = _freelist(lambda i: {}, n)
        fl["dict 1 str key n=%d" % n] = _freelist(lambda i, x=none: {"k": x}, n)
        fl["int n=%d" % n] = _freelist(lambda i: i + 1048576, n)
    res["freelists"] = fl
    res["freelists_note"] = (
        "retained_after_free ~ min(n, free list size) when a free list exists; "
        "counts are pymalloc blocks (sys.getallocatedblocks), +-3 for the ints "
        "the counting itself makes")
    # Which collections empty them: free 50 floats (they go to the float
    # free list), then collect.
    count = sys.getallocatedblocks if sys.getallocatedblocks() else (
        lambda: _blocks_here()[0])
    slots = [None] * 50
    gc.collect()
    base = count()
    for i in range(50):
        slots[i] = i * 0.5
    for i in range(50):
        slots[i] = None
    held = {"after freeing 50 floats": count() - base}
    for g in (0, 1, 2):
        gc.collect(g)
        held["after gc.collect(%d)" % g] = count() - base
    res["freelists_cleared_by"] = held
    res["freelists_cleared_note"] = ("blocks still held after freeing 50 floats, "
                                     "then after each collection")

    # -- GC --
    f15, sab = float("1.5"), "ab" * 3
    t_atomic = (f15, sab)  # built at run time, not a folded constant
    t_cont = ([], f15)
    d_atomic = {"a": 1}
    d_cont = {"a": []}
    d_empty = {}
    inst = Three(1, 2, 3)
    trk = {
        "{} at creation": gc.is_tracked(d_empty),
        "{'a': 1} (atomic values)": gc.is_tracked(d_atomic),
        "{'a': []} (a container value)": gc.is_tracked(d_cont),
        "(1.5, str) at creation": gc.is_tracked(t_atomic),
        "([], 1) at creation": gc.is_tracked(t_cont),
        "instance": gc.is_tracked(inst),
        "[]": gc.is_tracked([]),
    }
    d_was = {"b": []}
    d_was["b"] = 1  # a container once stored: tracked, stays tracked until a full collection
    trk["{'b': 1} after holding a list"] = gc.is_tracked(d_was)
    gc.collect(0)
    trk["(1.5, str) after gc.collect(0)"] = gc.is_tracked(t_atomic)
    trk["{'b': 1} after gc.collect(0)"] = gc.is_tracked(d_was)
    gc.collect(2)
    trk["{'b': 1} after gc.collect(2)"] = gc.is_tracked(d_was)
    res["gc"] = {
        "threshold": list(gc.get_threshold()),
        "is_tracked": trk,
        "freeze_available": hasattr(gc, "freeze"),
    }

    # -- instances: materialised __dict__? --
    m = 1000
    insts = [Three(1, 2, 3) for _ in range(m)]
    dicts = [None] * m
    gc.collect()
    b0, s0, _ = _blocks_here()
    for i in range(m):
        dicts[i] = insts[i].__dict__
    b1, s1, _ = _blocks_here()
    res["instances"] = {
        "blocks per instance allocated by the first __dict__ read":
            round((b1 - b0) / m, 3),
        "bytes per instance allocated by the first __dict__ read":
            round((s1 - s0) / m, 1),
        "dict materialised before the read": (b1 - b0) < m / 2,
        "__dict__ tracked after the read (int values)": gc.is_tracked(dicts[0]),
        "getsizeof(instance) after the read": gs(insts[0]),
        "getsizeof(__dict__)": gs(dicts[0]),
    }
    del insts, dicts

    # -- interning and immortality --
    name = "some_identifier_like_literal"
    spaced = "not an identifier!"
    # An equal str built at run time: sys.intern returns the literal only
    # when the literal was already interned (by the compiler).
    res["interning"] = {
        "identifier-like literal is interned":
            sys.intern("".join(["some_identifier", "_like_literal"])) is name,
        "other literal is interned":
            sys.intern("".join(["not an ", "identifier!"])) is spaced,
        "attribute name key is interned": all(
            sys.intern(k) is k for k in Three(1, 2, 3).__dict__),
        "refcount None": sys.getrefcount(None),
        "refcount 100 (small int)": sys.getrefcount(100),
        "refcount interned literal": sys.getrefcount(name),
        "refcount ()": sys.getrefcount(()),
    }
    res["interning_note"] = ("a refcount around 2**32 - 1 (or larger) means immortal "
                             "(PEP 683, 3.12+)")
    return res


def _append1(x):
    l = []
    l.append(x)
    return l


def _dict1(x):
    d = {}
    d["k"] = x
    return d


def main():
    tracemalloc.start(1)
    try:
        res = measure()
    finally:
        tracemalloc.stop()
    json.dump(res, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
