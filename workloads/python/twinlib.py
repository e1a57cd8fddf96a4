"""twinlib.py - what the Python twins of heaplab's object workloads share.

How it works
------------
A twin is the Python program that a C workload in workloads/*.c models:
the same object shapes, counts, sizes and lifetimes, and the same random
choices for the same seed.  It is run by real CPython so that its allocator
calls can be compared with heaplab's (see README.md beside this file).

Two rules keep the twin's allocator traffic the workload's own:

  * Every random choice and every value is computed at set-up, with an exact
    port of workloads/rng.h (splitmix64, Lemire's multiply-shift) and of the
    content hashes and text filler of workloads/objwl_util.[ch].  Computing
    them inside the measured loop would allocate Python ints (anything beyond
    the small-int cache -5..256 is a new object), which the C workload does
    not do.
  * The measured loop makes only the workload's objects.  Values come from
    iterators that create exactly one object per step: ints from an
    array('q') iterator, floats from an array('d') iterator, strs from
    slicing one pooled str with prepared slice objects (TextSource).
    Loop control and indexes use objects made at set-up (iterating a list
    of prepared ints or a bytes object allocates nothing).  Checks inside the
    loop only compare (==, is), which allocate nothing; checks that need
    arithmetic run in verify(), after the measured loop.

The command line is the same for every twin (README.md): --param NAME=V,
--seed S, --iterations N, --quick (the C workload's quick parameter values),
--mark (trace markers around the measured loop), --verbose (diagnostics on
stderr).  stdout gets exactly one line:

    heaplab-twin: <name> operations=<n> seconds=<t> ops_per_s=<r>

Exit status: 0 verified, 2 bad usage (one line on stderr), 3 verification
failed (one line on stderr).
"""
import array
import gc
import itertools
import operator
import struct
import sys
import time

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15

# Trace markers: a bytes(n) object is one calloc(1, n + 33) under
# PYTHONMALLOC=malloc (PyBytesObject header 33 bytes, 3.11-3.13), freed at
# once.  scripts/trace_stats.py finds them by size (payload .. payload+64).
MARK_BEGIN = 3141592
MARK_END = 2718281


# ---- workloads/rng.h --------------------------------------------------------

def mix64(z):
    """hl_mix64: splitmix64's output function."""
    z &= MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class SM64:
    """hl_sm64: a splitmix64 generator; .state is the C uint64_t state."""
    __slots__ = ("state",)

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + GOLDEN) & MASK
        return mix64(self.state)

    def below(self, n):
        """hl_rand_below(state, n)."""
        return below(self.next(), n)


def below(r, n):
    """hl_below: r in [0, 2^64) onto [0, n) by a 64x64->128 multiply."""
    return (r * n) >> 64


def to_i64(u):
    u &= MASK
    return u - (1 << 64) if u >> 63 else u


# ---- workloads/objwl_util.[ch] ----------------------------------------------

_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."


def fill_text(length, value):
    """hl_objwl_fill_text: `length` printable bytes derived from value."""
    out = bytearray(length)
    for i in range(0, length, 8):
        x = mix64(value + i * GOLDEN)
        for j in range(min(8, length - i)):
            out[i + j] = _ALPHABET[(x >> (8 * j)) & 63]
    return out.decode("ascii")


def fnv(h, data):
    """hl_objwl_fnv: FNV-1a over 8-byte little-endian words, then the tail."""
    if h == 0:
        h = 0xCBF29CE484222325
    n = len(data)
    i = 0
    while i + 8 <= n:
        (w,) = struct.unpack_from("<Q", data, i)
        h = ((h ^ w) * 0x100000001B3) & MASK
        i += 8
    while i < n:
        h = ((h ^ data[i]) * 0x100000001B3) & MASK
        i += 1
    return h ^ (h >> 29)


def mix(h, v):
    """hl_objwl_mix."""
    return (h ^ ((v + GOLDEN + (h << 6) + (h >> 2)) & MASK)) & MASK


H_INT, H_FLOAT, H_STR, H_NONE, H_TUPLE, H_LIST, H_DICT, H_INST = (
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88)


def h_int(v):
    return mix(H_INT, v & MASK)


def h_float(d):
    (bits,) = struct.unpack("<Q", struct.pack("<d", d))
    return mix(H_FLOAT, bits)


def h_str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return mix(H_STR, fnv(0, b) ^ len(b))


def h_seq_start(tag, n):
    return mix(tag, n)


def content_hash(o, max_depth):
    """hl_objwl_content_hash for the kinds the twins make."""
    if o is None:
        return H_NONE
    t = type(o)
    if t is int:
        return h_int(o)
    if t is float:
        return h_float(o)
    if t is str:
        return h_str(o)
    if t is tuple or t is list:
        h = h_seq_start(H_TUPLE if t is tuple else H_LIST, len(o))
        if max_depth > 0:
            for x in o:
                h = mix(h, content_hash(x, max_depth - 1))
        return h
    if t is dict:
        h = h_seq_start(H_DICT, len(o))
        if max_depth > 0:
            for k, v in o.items():
                h = mix(h, content_hash(k, max_depth - 1))
                h = mix(h, content_hash(v, max_depth - 1))
        return h
    return mix(H_INST, 0)


def checksum_metric(h):
    """hl_objwl_checksum_metric: the top 53 bits."""
    return h >> 11


# ---- value sources for the measured loop ------------------------------------

# What the sources iterate over stays referenced here until the process
# ends: an exhausted iterator drops its reference to its sequence, and if
# that were the last one, freeing the plan (every slice object of a
# TextSource, say) would land in the measured loop.  The twins keep their
# own plan lists on their context objects for the same reason.
KEEP = []


def int_source(values):
    """Iterator making one new int object per next() (array('q'))."""
    a = array.array("q", values)
    KEEP.append(a)
    return iter(a)


def float_source(values):
    """Iterator making one new float object per next() (array('d'))."""
    a = array.array("d", values)
    KEEP.append(a)
    return iter(a)


class TextSource:
    """Strs made one per next(): each is pool[slice], a new str object of
    exactly the text's length (lengths of at least 2; CPython returns its
    cached one-character strs, as heaplab does).  The pool and the slice
    objects are made at set-up."""

    def __init__(self, texts):
        self.pool = "".join(texts)
        slices = []
        pos = 0
        for t in texts:
            slices.append(slice(pos, pos + len(t)))
            pos += len(t)
        self.slices = slices

    def __iter__(self):
        KEEP.append(self)
        # operator.getitem is a vectorcall builtin: no argument tuple per call
        return map(operator.getitem, itertools.repeat(self.pool), self.slices)


def gc_collected_total():
    return sum(s["collected"] for s in gc.get_stats())


# ---- command line and the run contract ---------------------------------------

class Param:
    __slots__ = ("name", "help", "default", "quick", "lo", "hi")

    def __init__(self, name, help, default, quick, lo, hi):
        self.name, self.help = name, help
        self.default, self.quick, self.lo, self.hi = default, quick, lo, hi


class Failure(Exception):
    """Verification failed: one line for stderr, exit status 3."""


def usage_error(name, msg):
    sys.stderr.write("%s: %s\n" % (name, msg))
    sys.exit(2)


def parse_args(name, params, argv, default_iterations=100):
    values = {p.name: p.default for p in params}
    quick = False
    seed = 1
    iterations = default_iterations
    mark = False
    verbose = False
    given = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--param", "--seed", "--iterations"):
            if i + 1 >= len(argv):
                usage_error(name, "%s needs a value" % a)
            v = argv[i + 1]
            i += 2
        elif a.startswith(("--param=", "--seed=", "--iterations=")):
            a, v = a.split("=", 1)
            i += 1
        elif a == "--quick":
            quick = True
            i += 1
            continue
        elif a == "--mark":
            mark = True
            i += 1
            continue
        elif a == "--verbose":
            verbose = True
            i += 1
            continue
        elif a in ("-h", "--help"):
            sys.stderr.write(help_text(name, params, default_iterations))
            sys.exit(0)
        else:
            usage_error(name, "unknown argument '%s' (see --help)" % a)
        if a == "--param":
            if "=" not in v:
                usage_error(name, "--param wants NAME=VALUE, got '%s'" % v)
            k, val = v.split("=", 1)
            if k not in values:
                usage_error(name, "unknown parameter '%s'; parameters: %s"
                            % (k, ", ".join(p.name for p in params)))
            given[k] = _int_arg(name, "--param " + k, val)
        elif a == "--seed":
            seed = _int_arg(name, "--seed", v)
            if seed < 0 or seed > MASK:
                usage_error(name, "--seed must be in [0, 2^64)")
        else:
            iterations = _int_arg(name, "--iterations", v)
            if iterations < 0:
                usage_error(name, "--iterations must be >= 0")
    if quick:
        values = {p.name: p.quick for p in params}
    values.update(given)
    for p in params:
        if not p.lo <= values[p.name] <= p.hi:
            usage_error(name, "parameter %s=%d is outside [%d, %d]"
                        % (p.name, values[p.name], p.lo, p.hi))
    return values, seed, iterations, mark, verbose


def _int_arg(name, what, v):
    try:
        return int(v, 0)
    except ValueError:
        usage_error(name, "%s: '%s' is not an integer" % (what, v))


def help_text(name, params, default_iterations):
    lines = ["usage: %s.py [--param NAME=V]... [--seed S] [--iterations N] "
             "[--quick] [--mark] [--verbose]" % name,
             "  --seed S        default 1", 
             "  --iterations N  run(N); default %d" % default_iterations,
             "  --quick         the C workload's quick parameter values",
             "  --mark          trace markers (bytes(%d), bytes(%d)) around the "
             "measured loop" % (MARK_BEGIN, MARK_END),
             "parameters (default / quick):"]
    for p in params:
        lines.append("  %-14s %s (%d / %d, %d..%d)"
                     % (p.name, p.help, p.default, p.quick, p.lo, p.hi))
    return "\n".join(lines) + "\n"


def mark(size):
    """One allocation of a recognisable size, freed at once."""
    bytes(size)


def main(name, params, setup, default_iterations=100, argv=None):
    """Runs a twin: setup(values, seed, iterations) returns an object with
    prepare() (makes the value iterators: nothing may be allocated for the
    loop inside run()), run() -> operations, verify() (raises Failure) and
    optionally teardown() and info() -> dict for --verbose."""
    values, seed, iterations, marks, verbose = parse_args(
        name, params, sys.argv[1:] if argv is None else argv, default_iterations)
    try:
        ctx = setup(values, seed, iterations)
        ctx.prepare()
        gc0 = [st["collections"] for st in gc.get_stats()]
        if marks:
            mark(MARK_BEGIN)
        t0 = time.perf_counter()
        ops = ctx.run()
        t1 = time.perf_counter()
        if marks:
            mark(MARK_END)
        gc1 = [st["collections"] for st in gc.get_stats()]
        ctx.verify()
    except Failure as e:
        sys.stderr.write("%s: %s\n" % (name, e))
        sys.exit(3)
    if verbose:
        info = ctx.info() if hasattr(ctx, "info") else {}
        info["run_gc_collections"] = [b - a for a, b in zip(gc0, gc1)]
        sys.stderr.write("%s: params %s seed %d iterations %d %s\n"
                         % (name, values, seed, iterations, info))
    if hasattr(ctx, "teardown"):
        ctx.teardown()
    seconds = t1 - t0
    # ops_per_s: the loop's own rate, for `heaplab run --throughput
    # 'ops_per_s=([0-9.]+)'` (heaplab reproduce measures the twins by it).
    sys.stdout.write("heaplab-twin: %s operations=%d seconds=%.6f ops_per_s=%.1f\n"
                     % (name, ops, seconds, ops / seconds if seconds > 0 else 0.0))
    sys.stdout.flush()
