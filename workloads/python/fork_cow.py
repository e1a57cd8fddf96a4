#!/usr/bin/env python3
"""fork_cow.py - Python twin of workloads/fork_cow.c: pre-fork workers that
only read a shared heap, and the private memory they end up with.

Set-up builds a heap of about `objects` objects: a root list of 2-item lists
[int, str] (int 1000 + (h >> 4), str of 8..39 bytes, as fork_cow.c for the
same seed).  Then, by `mode`:
  0  plain:    nothing more;
  1  gc off:   gc.disable() before the heap is built (Instagram 2017);
  2  frozen:   gc.freeze() before the workers are forked (bpo-31558);
  3  immortal: Python code cannot make an object immortal (PEP 683 gives
               no API for it, and before 3.12 there are no immortal objects
               at all).  The closest thing: the heap's strs are interned
               (sys.intern; interned strs are immortal in 3.12, mortal
               again from 3.13) and the heap is frozen as in mode 2.  The
               ints and lists stay mortal on every version.
One round (one iteration) forks `children` workers; each reads its
Private_Dirty (/proc/self/smaps_rollup), reads the first touch_pct% of the
records (every read of an object writes its reference count, as the C
workload's incref + decref), runs gc.collect() when collect=1 and mode != 1,
reads Private_Dirty again, reports through a pipe and leaves with
os._exit (status 3 when what it read was wrong).  One operation = one heap
object touched by one child: children * (1 + 3 * touched) per round.

With --mark the markers are written in every child around its walk and
collection (the parent's own trace then shows only the forks), and the
child leaves through libc exit() instead of os._exit, so that a trace
recorder's destructor runs (record with HEAPLAB_TRACE_OUT=...%p...).
With --verbose the last round's Private_Dirty figures go to stderr.
"""
import gc
import itertools
import os
import struct
import sys

import twinlib as T

PARAMS = [
    T.Param("objects", "objects in the shared heap", 300000, 20000, 30, 50000000),
    T.Param("children", "workers forked per round", 4, 2, 1, 16),
    T.Param("collect", "1: each worker runs a full collection after touching", 1, 1, 0, 1),
    T.Param("mode", "0 plain, 1 GC disabled, 2 frozen heap (gc.freeze), 3 immortal heap "
            "(closest Python equivalent, see the docstring)", 0, 0, 0, 3),
    T.Param("touch_pct", "% of the heap (its first records) each worker reads", 100, 100, 1, 100),
]

REPORT = struct.Struct("<iiqq")   # child, ok, dirty_before_kib, dirty_after_kib


def private_dirty_kib():
    for path in ("/proc/self/smaps_rollup", "/proc/self/smaps"):
        try:
            with open(path, "rb") as f:
                total, found = 0, False
                for line in f:
                    if line.startswith(b"Private_Dirty:"):
                        total += int(line.split()[1])
                        found = True
                if found:
                    return total
        except OSError:
            pass
    return -1


class ForkCow:
    def __init__(self, values, seed, iterations):
        self.seed = seed
        self.children = values["children"]
        self.collect = values["collect"] == 1
        self.mode = values["mode"]
        self.iterations = iterations
        self.marks = "--mark" in sys.argv[1:]
        objects = values["objects"]
        if self.mode == 1:
            gc.disable()
        self.entries = max(1, objects // 3)
        heap = []
        for i in range(self.entries):
            h = T.mix64(seed ^ ((i * T.GOLDEN) & T.MASK))
            text = T.fill_text(8 + h % 32, h)
            if self.mode == 3:
                text = sys.intern(text)
            heap.append([1000 + (h >> 4), text])
        self.heap = heap
        self.touched = max(1, self.entries * values["touch_pct"] // 100)
        self.expected = self.checksum()
        self.exit = os._exit
        if self.marks:
            import ctypes           # before the forks: the children must not import
            self.exit = ctypes.CDLL(None).exit
        if self.mode in (2, 3):
            gc.freeze()
        self.last = []

    def checksum(self):
        h = T.h_seq_start(T.H_LIST, self.touched)
        for t in self.heap[:self.touched]:
            h = T.mix(h, T.content_hash(t, 1))
        return h

    def prepare(self):
        self.rounds = list(range(self.iterations))
        self.ids = list(range(self.children))

    def child(self, index, wfd):
        before = private_dirty_kib()
        records = itertools.islice(self.heap, self.touched)
        if self.marks:
            T.mark(T.MARK_BEGIN)
        ok = 1
        for t in records:               # reading a record writes its refcount
            a, b = t
            if type(a) is not int or type(b) is not str:
                ok = 0
        if self.collect and self.mode != 1:
            gc.collect()
        if self.marks:
            T.mark(T.MARK_END)
        after = private_dirty_kib()
        os.write(wfd, REPORT.pack(index, ok, before, after))
        self.exit(0 if ok else 3)

    def run(self):
        failures = []
        for _ in self.rounds:
            rfd, wfd = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pids = []
            for i in self.ids:
                pid = os.fork()
                if pid == 0:
                    os.close(rfd)
                    try:
                        self.child(i, wfd)
                    finally:
                        os._exit(4)
                pids.append(pid)
            os.close(wfd)
            data = b""
            while True:
                chunk = os.read(rfd, 4096)
                if not chunk:
                    break
                data += chunk
            os.close(rfd)
            for i, pid in enumerate(pids):
                _, status = os.waitpid(pid, 0)
                if os.WIFSIGNALED(status):
                    failures.append("child %d died of signal %d" % (i, os.WTERMSIG(status)))
                elif os.WEXITSTATUS(status) != 0:
                    failures.append("child %d exited with status %d" % (i, os.WEXITSTATUS(status)))
            reports = [REPORT.unpack_from(data, k) for k in range(0, len(data), REPORT.size)]
            if len(reports) != len(pids):
                failures.append("%d of %d children reported" % (len(reports), len(pids)))
            self.last = reports
        self.failures = failures
        ops = self.iterations * self.children * (1 + 3 * self.touched)
        return max(ops, self.iterations)

    def verify(self):
        if self.failures:
            raise T.Failure(self.failures[0])
        if self.checksum() != self.expected:
            raise T.Failure("the parent's heap changed")

    def info(self):
        return {"checksum_metric": T.checksum_metric(self.expected),
                "private_dirty_kib_after": [r[3] for r in self.last],
                "touch_dirty_kib": [r[3] - r[2] for r in self.last]}

    def teardown(self):
        if self.mode in (2, 3):
            gc.unfreeze()
        if self.mode == 1:
            gc.enable()


if __name__ == "__main__":
    T.main("fork_cow", PARAMS, ForkCow, default_iterations=1)
