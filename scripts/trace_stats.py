#!/usr/bin/env python3
"""trace_stats.py - allocator calls per operation and the size-class
histogram of a heaplab allocation trace (.hlt, docs/trace-format.md).

    scripts/trace_stats.py TRACE [TRACE...] [--ops N | --twin-output FILE]
                           [--baseline TRACE --baseline-ops N] [--whole] [--json]

The measured region.  A Python twin run with --mark (workloads/python/)
brackets its measured loop with two allocations of recognisable sizes:
bytes(3141592) before and bytes(2718281) after (each a calloc of that many
bytes plus the bytes object's 33-byte header, freed at once).  The region is
every record after the begin marker's block is freed and before the end
marker's allocation, so interpreter start-up, set-up, verification and
shutdown are all left out.  Without markers (or with --whole) the whole
trace counts; --baseline subtracts the calls of a second trace (the same
program with --iterations 0, say) from the first, and the operations of
that run (--baseline-ops) from --ops.  Several TRACE files are added up
(the per-child traces of a forking program recorded with %p).

Operations: --ops N, or --twin-output FILE holding the twin's line
"heaplab-twin: NAME operations=N seconds=T".

Size classes of the histogram (allocation requests: malloc, calloc
count*size, realloc's new size, the memalign family): 16-byte classes up to
512 bytes (1-16, 17-32, ..., 497-512), then powers of two (513-1024,
1025-2048, ...); a request of 0 bytes is its own class.

Output: a short text table, or with --json one JSON object (calls and
calls_per_op per kind, histogram as fractions of the allocations, region).

    scripts/trace_stats.py --compare A.json B.json

compares two such JSON results (say real CPython's and heaplab's for the
same workload): calls per operation of each and B/A, and the total-variation
distance of the two histograms, 1/2 sum |a_c - b_c| over the size classes.
Exit status: 0, or 2 with one line on stderr for bad input.
"""
import json
import re
import struct
import zlib
import sys

MAGIC = b"HLTRACE\0"
KINDS = {1: "malloc", 2: "calloc", 3: "realloc", 4: "free", 5: "memalign",
         6: "posix_memalign", 7: "aligned_alloc", 8: "valloc", 9: "pvalloc"}
ALIGNED = (5, 6, 7)
MARK_BEGIN = 3141592
MARK_END = 2718281
MARK_SLACK = 64          # header bytes a marker's request may add
MASK = (1 << 64) - 1


class BadInput(Exception):
    pass


def read_trace(path):
    """The file's bytes, checked against the header (version 1 or 2,
    complete; version 2's CRC-32s of header and payload, docs/trace-format.md
    and workloads/crc32.h: the CRC of zlib.crc32)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 64 or data[:8] != MAGIC:
        raise BadInput("%s: not a heaplab trace (bad magic or too short)" % path)
    version, header_size, flags, count = struct.unpack_from("<HHIQ", data, 8)
    payload = struct.unpack_from("<Q", data, 40)[0]
    if version not in (1, 2) or header_size != 64:
        raise BadInput("%s: trace version %d / header %d, this reader knows 1 or 2 / 64"
                       % (path, version, header_size))
    if version == 2:
        payload_crc, header_crc = struct.unpack_from("<I", data, 52)[0], \
            struct.unpack_from("<I", data, 60)[0]
        if zlib.crc32(data[:60]) != header_crc:
            raise BadInput("%s: header checksum does not match (a damaged trace)" % path)
        if flags & 1 and zlib.crc32(data[64:]) != payload_crc:
            raise BadInput("%s: payload checksum does not match (a damaged trace)" % path)
    if not flags & 1:
        raise BadInput("%s: trace is incomplete (the recorded process did not exit normally)"
                       % path)
    if payload != len(data) - 64:
        raise BadInput("%s: payload is %d bytes, the header says %d"
                       % (path, len(data) - 64, payload))
    return data, count


def records(path, data, start=64, count=None):
    """Yields (kind, arg_addr, size, result_addr) per record from byte
    offset `start` (count records, or to the end of the data).  Addresses
    are delta-coded: when decoding starts in the middle of a trace they are
    offsets from an unknown base, which is all that matching a free with
    its allocation needs."""
    pos = start
    prev = 0
    n = len(data)

    def varint():
        nonlocal pos
        shift = 0
        v = 0
        while True:
            if pos >= n:
                raise BadInput("%s: truncated record" % path)
            b = data[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
            if shift > 63:
                raise BadInput("%s: varint longer than 64 bits" % path)

    def addr():
        nonlocal prev
        z = varint()
        d = (z >> 1) ^ (-(z & 1) & MASK)
        prev = (prev + d) & MASK
        return prev

    left = count
    while pos < n if left is None else left > 0:
        if left is not None:
            left -= 1
            if pos >= n:
                raise BadInput("%s: fewer records than the header announces" % path)
        tag = data[pos]
        pos += 1
        kind = tag & 0x0F
        if kind not in KINDS or tag & 0x80:
            raise BadInput("%s: bad tag byte 0x%02x at offset %d" % (path, tag, pos - 1))
        if tag & 0x10:
            varint()                              # thread id
        null_result = tag & 0x20
        null_arg = tag & 0x40
        arg = res = None
        size = 0
        if kind in (3, 4) and not null_arg:
            arg = addr()
        if kind == 2:
            nmemb = varint()
        if kind in ALIGNED:
            varint()                              # alignment
        if kind != 4:
            size = varint()
            if kind == 2:
                size *= nmemb
            if not null_result:
                res = addr()
        yield kind, arg, size, res


def _varint_bytes(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def find_begin_marker(data):
    """Byte offset of the begin marker's record, calloc(1, MARK_BEGIN + k)
    for k < MARK_SLACK on the traced thread (tag 0x02, count 1), found by
    searching its encoding instead of decoding every record before it (the
    twins' set-up makes tens of millions of calls).  None when absent."""
    pats = b"|".join(re.escape(b"\x02\x01" + _varint_bytes(MARK_BEGIN + k))
                     for k in range(MARK_SLACK))
    m = re.search(pats, data, re.S)
    return m.start() if m else None


def size_class(n):
    if n <= 0:
        return "0"
    if n <= 512:
        hi = (n + 15) // 16 * 16
        return "%d-%d" % (hi - 15, hi)
    p = 1024
    while p < n:
        p *= 2
    return "%d-%d" % (p // 2 + 1, p)


def class_order(label):
    return int(label.split("-")[-1])


def is_mark(size, payload):
    return payload <= size < payload + MARK_SLACK


def stats(paths, whole=False):
    """Calls by kind and the histogram over the measured region of each
    trace (or the whole trace), added up over the traces."""
    calls = {"malloc": 0, "calloc": 0, "realloc": 0, "free": 0, "free_null": 0,
             "aligned": 0}
    hist = {}
    marked = 0
    for path in paths:
        data, count = read_trace(path)
        recs = None
        lo = 0
        if not whole:
            at = find_begin_marker(data)
            if at is not None:
                recs = []
                for r in records(path, data, at):
                    recs.append(r)
                    if r[0] in (1, 2) and is_mark(r[2], MARK_END):
                        break
                else:
                    raise BadInput("%s: a begin marker but no end marker" % path)
                block = recs[0][3]
                if len(recs) < 2 or recs[1][0] != 4 or recs[1][1] != block:
                    raise BadInput("%s: the begin marker is not freed right away" % path)
                lo = 2
                marked += 1
        if recs is None:
            recs = list(records(path, data, 64, count))
        hi = len(recs) - 1 if lo else len(recs)
        for kind, arg, size, res in recs[lo:hi]:
            if kind == 4:
                if arg is None:
                    calls["free_null"] += 1
                else:
                    calls["free"] += 1
                continue
            if kind == 3:
                calls["realloc"] += 1
                if arg is not None and res is None and size == 0:
                    continue                      # realloc(p, 0): a free
            elif kind == 1:
                calls["malloc"] += 1
            elif kind == 2:
                calls["calloc"] += 1
            else:
                calls["aligned"] += 1
            c = size_class(size)
            hist[c] = hist.get(c, 0) + 1
    return calls, hist, marked


def twin_ops(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"heaplab-twin: (\S+) operations=(\d+) seconds=", line)
            if m:
                return int(m.group(2))
    raise BadInput("%s: no 'heaplab-twin: NAME operations=N seconds=T' line" % path)


def total_variation(a, b):
    return 0.5 * sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b))


def compare(pa, pb):
    with open(pa) as f:
        a = json.load(f)
    with open(pb) as f:
        b = json.load(f)
    ca, cb = a["calls_total_per_op"], b["calls_total_per_op"]
    print("calls/op  A %s  B %s  B/A %s" % (ca, cb, round(cb / ca, 3) if ca and cb else "n/a"))
    for k in ("malloc", "calloc", "realloc", "free"):
        print("  %-8s A %.4f  B %.4f" % (k, (a["calls_per_op"] or {}).get(k, 0),
                                        (b["calls_per_op"] or {}).get(k, 0)))
    print("histogram total-variation distance %.4f" % total_variation(a["histogram"], b["histogram"]))
    return 0


def main(argv):
    if argv[:1] == ["--compare"]:
        if len(argv) != 3:
            sys.stderr.write("trace_stats.py: --compare wants two JSON files\n")
            return 2
        try:
            return compare(argv[1], argv[2])
        except (OSError, ValueError, KeyError) as e:
            sys.stderr.write("trace_stats.py: %s\n" % e)
            return 2
    paths, ops, baseline, base_ops, as_json, whole = [], None, None, 0, False, False
    i = 0
    try:
        while i < len(argv):
            a = argv[i]
            if a in ("--ops", "--twin-output", "--baseline", "--baseline-ops"):
                if i + 1 >= len(argv):
                    raise BadInput("%s needs a value" % a)
                v = argv[i + 1]
                i += 2
                if a == "--ops":
                    ops = int(v)
                elif a == "--twin-output":
                    ops = twin_ops(v)
                elif a == "--baseline":
                    baseline = v
                else:
                    base_ops = int(v)
                continue
            if a == "--json":
                as_json = True
            elif a == "--whole":
                whole = True
            elif a in ("-h", "--help"):
                sys.stdout.write(__doc__)
                return 0
            elif a.startswith("-"):
                raise BadInput("unknown option '%s' (see --help)" % a)
            else:
                paths.append(a)
            i += 1
        if not paths:
            raise BadInput("no trace given (see --help)")
        calls, hist, marked = stats(paths, whole)
        region = "between the twin's markers" if marked else "whole trace"
        if baseline is not None:
            bcalls, bhist, _ = stats([baseline], True)
            calls = {k: calls[k] - bcalls.get(k, 0) for k in calls}
            hist = {k: hist.get(k, 0) - bhist.get(k, 0) for k in set(hist) | set(bhist)}
            hist = {k: v for k, v in hist.items() if v != 0}
            region = "whole trace minus baseline %s" % baseline
            if ops is not None:
                ops -= base_ops
    except (BadInput, OSError, ValueError) as e:
        sys.stderr.write("trace_stats.py: %s\n" % e)
        return 2
    allocs = sum(v for v in hist.values() if v > 0)
    total = sum(v for k, v in calls.items() if k != "free_null")
    out = {
        "traces": paths,
        "region": region,
        "operations": ops,
        "calls": calls,
        "calls_total": total,
        "calls_per_op": ({k: round(v / ops, 4) for k, v in calls.items()} if ops else None),
        "calls_total_per_op": round(total / ops, 4) if ops else None,
        "histogram": {k: round(hist[k] / allocs, 5) if allocs else 0
                      for k in sorted(hist, key=class_order)},
        "histogram_counts": {k: hist[k] for k in sorted(hist, key=class_order)},
    }
    if as_json:
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    print("region: %s; operations: %s" % (region, ops if ops is not None else "unknown"))
    for k, v in calls.items():
        per = " (%.4f/op)" % (v / ops) if ops else ""
        print("  %-10s %10d%s" % (k, v, per))
    per = " (%.4f/op)" % (total / ops) if ops else ""
    print("  %-10s %10d%s" % ("total", total, per))
    print("size classes (share of %d allocation requests):" % allocs)
    for k in sorted(hist, key=class_order):
        print("  %-12s %8.4f  (%d)" % (k, hist[k] / allocs if allocs else 0, hist[k]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
