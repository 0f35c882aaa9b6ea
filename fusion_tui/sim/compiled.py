"""The compiled engine (optional: `pip install 'fusion-tui[fast]'`, numba from wheels): one
iteration exactly as `engine.simulate_iteration` runs it, for what most runs are (first or
last fit, no slicing, no invariant checks), compiled to machine code.

Why a compiler: in CPython the random draws and the event heap alone cost about 0.6 us
per request, so the pure engine stays near 0.5 million requests/s on the peers'
protocol whatever is done to its spectrum search; compiled, the whole loop costs a
fraction of that.

The pure engine stays the reference and this one reproduces it bit for bit: the same
Mersenne Twister stream (CPython's state, taken from `random.Random(seed)` and advanced
here as CPython advances it), the same floating-point operations in the same order, the
same departures in the same order (a heap on the same (time, request) keys), and the
same counts handed to the same `_Tally.result`. Spectrum masks are words of 62 slots
(int64 arithmetic that never overflows). tests/unit/test_sim_compiled.py compares both
engines' results on every supported shape; the pinned result files hold for both.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from math import log
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from numba import njit

from fusion_tui.sim.engine import FIRST_FIT, LAST_FIT, IterationResult, RoutingTable, tally_result

WORD = 62  # slots per int64 word: shifts and masks stay below 2**63
_N, _M = 624, 397
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
_Out = TypeVar("_Out")


def supports(table: RoutingTable, allocation: str, check: bool) -> bool:
    """Whether this engine runs `table` as the pure one would: first or last fit, no
    slicing tier anywhere (`max_segments = 1`), no invariant checks."""
    return (allocation in (FIRST_FIT, LAST_FIT) and not check
            and not any(per_bw for per_pair in table.slicings for per_bw in per_pair))


class _Arrays:
    """A routing table as flat arrays the compiled loop reads (built once per table)."""

    def __init__(self, table: RoutingTable) -> None:
        nbw = len(table.bandwidths)
        ptr, shift_ptr, link_ptr = [0], [0], [0]
        need: list[int] = []
        pid: list[int] = []
        base: list[int] = []
        shifts: list[int] = []
        links: list[int] = []
        for per_pair in table.options:
            for b in range(nbw):
                for opt in per_pair[b]:
                    need.append(opt[2])
                    pid.append(opt[4])
                    base.append(opt[7])
                    shifts.extend(opt[1])
                    shift_ptr.append(len(shifts))
                    links.extend(i // table.cores for i in opt[0][0])
                    link_ptr.append(len(links))
                ptr.append(len(need))
        words = -(-table.c_band // WORD)
        full = [min(WORD, table.c_band - w * WORD) for w in range(words)]
        i64 = np.int64
        self.opt_ptr = np.array(ptr, dtype=i64)
        self.need = np.array(need, dtype=i64)
        self.pid = np.array(pid, dtype=i64)
        self.base = np.array(base, dtype=i64)
        self.shift_ptr = np.array(shift_ptr, dtype=i64)
        self.shifts = np.array(shifts, dtype=i64)
        self.link_ptr = np.array(link_ptr, dtype=i64)
        self.links = np.array(links, dtype=i64)
        self.full = np.array([(1 << f) - 1 for f in full], dtype=i64)
        self.bandwidths = np.array(table.bandwidths, dtype=np.float64)
        self.cumulative = np.array(table.cumulative or (1.0,), dtype=np.float64)
        self.quotas = np.array(table.quotas, dtype=i64)
        self.spectra = table.num_links * table.cores
        self.counters = len(table.option_info) * table.cores
        self.paths = len(table.path_links)
        self.slots = self.spectra * table.c_band  # no more lightpaths than slots are active


_LAST: list[tuple[RoutingTable, _Arrays]] = []  # a run has one table: keep the last


def _arrays(table: RoutingTable) -> _Arrays:
    if not _LAST or _LAST[0][0] is not table:
        _LAST[:] = [(table, _Arrays(table))]
    return _LAST[0][1]


def simulate_iteration(table: RoutingTable, *, erlang: float, holding_time: float,
                       num_requests: int, allocation: str, seed: str,
                       warmup: int = 0) -> IterationResult:
    """`engine.simulate_iteration` for a configuration `supports` accepts."""
    a = _arrays(table)
    state = random.Random(seed).getstate()[1]
    mt = np.array(state[:_N], dtype=np.int64)
    whole = np.zeros(a.counters, dtype=np.int64)
    released = np.zeros(a.paths, dtype=np.float64)
    blocked_by_bw = np.zeros(len(table.bandwidths), dtype=np.int64)
    blocked, distance, blocked_bw, since_pid, since_val, since = _off_main_thread(
        _iterate, mt, int(state[_N]), holding_time / erlang, holding_time, warmup, num_requests,
        len(table.pairs), table.cores, allocation == LAST_FIT, a.opt_ptr, a.need, a.pid,
        a.base, a.shift_ptr, a.shifts, a.link_ptr, a.links, a.full, a.bandwidths,
        a.cumulative, a.quotas, a.spectra, min(a.slots, warmup + num_requests) + 1, whole,
        released, blocked_by_bw)
    return tally_result(table, num_requests, whole.tolist(), released.tolist(),
                        blocked_by_bw.tolist(), blocked, blocked_bw, distance,
                        list(zip(since_pid[:since].tolist(), since_val[:since].tolist(),
                                 strict=True)))


def _off_main_thread(kernel: Callable[..., _Out], *args: object) -> _Out:
    """Run `kernel` (compiled with nogil) in a thread while this one waits: Python runs
    signal handlers in the main thread only, between bytecodes, so a long compiled loop
    on the main thread would hold SIGTERM back until it returned; waiting here, the
    handler runs at once (fusion-tui-sim stops within a second, as with the pure engine)."""
    out: list[_Out] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            out.append(kernel(*args))
        except BaseException as exc:  # handed to the waiting thread
            failed.append(exc)

    thread = threading.Thread(target=work, name="compiled-iteration", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
    if failed:
        raise failed[0]
    return out[0]


def prepare() -> None:
    """Compile (or load from numba's cache) before workers fork, so each inherits it; in
    a thread, as a first compilation spends seconds in LLVM, where no signal handler
    would run."""
    _off_main_thread(
        _iterate, np.zeros(_N, dtype=np.int64), _N, 1.0, 1.0, 0, 0, 1, 1, False,
        np.zeros(2, dtype=np.int64), *(np.zeros(0, dtype=np.int64),) * 3,
        np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64),
        np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64),
        np.ones(1, dtype=np.int64), np.ones(1), np.ones(1), np.ones(1, dtype=np.int64),
        1, 1, np.zeros(1, dtype=np.int64), np.zeros(1), np.zeros(1, dtype=np.int64))


@njit(cache=True, nogil=True)
def _random(mt: Ints, at: Ints) -> float:
    """CPython's random.random(): two tempered MT19937 words, 53 bits."""
    a = _word(mt, at) >> 5
    b = _word(mt, at) >> 6
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def _word(mt: Ints, at: Ints) -> int:
    """CPython's genrand_uint32 (the state regenerated 624 words at a time)."""
    if at[0] >= _N:
        for kk in range(_N):
            y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % _N] & 0x7FFFFFFF)
            nxt = mt[(kk + _M) % _N] ^ (y >> 1)
            if y & 1:
                nxt ^= 0x9908B0DF
            mt[kk] = nxt
        at[0] = 0
    y = mt[at[0]]
    at[0] += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    y ^= y >> 18
    return int(y)


@njit(cache=True, nogil=True)
def _high_bit(x: int) -> int:
    """Index of the highest set bit of a positive int64."""
    n = 0
    if x >= 1 << 32:
        x >>= 32
        n += 32
    if x >= 1 << 16:
        x >>= 16
        n += 16
    if x >= 1 << 8:
        x >>= 8
        n += 8
    if x >= 1 << 4:
        x >>= 4
        n += 4
    if x >= 1 << 2:
        x >>= 2
        n += 2
    if x >= 2:
        n += 1
    return n


@njit(cache=True, nogil=True)
def _low_bit(x: int) -> int:
    """Index of the lowest set bit of a positive int64: the only bit of x & -x."""
    return _high_bit(x & -x)


@njit(cache=True, nogil=True)
def _apply(spec: Ints, links: Ints, first: int, last: int,
           cores: int, core: int, pos: int, need: int) -> None:
    """Toggle slots pos..pos+need-1 on the core of every link of a path (take or free)."""
    for j in range(first, last):
        row = links[j] * cores + core
        slot, left = pos, need
        while left > 0:
            w, bit = slot // WORD, slot % WORD
            take = min(left, WORD - bit)
            spec[row, w] ^= ((1 << take) - 1) << bit
            slot += take
            left -= take


@njit(cache=True, nogil=True)
def _less_c(t1: float, n1: int, t2: float, n2: int) -> bool:
    """Heap order: Python's, comparing (time, request) tuples."""
    return t1 < t2 or (t1 == t2 and n1 < n2)


@njit(cache=True, nogil=True)
def _iterate(mt: Ints, at0: int, mean_gap: float, holding_time: float, warmup: int,
             num_requests: int, npairs: int, cores: int, last_fit: bool, opt_ptr: Ints,
             need: Ints, pid: Ints, base: Ints, shift_ptr: Ints, shifts: Ints, link_ptr: Ints,
             links: Ints, full: Ints, bandwidths: Floats, cumulative: Floats, quotas: Ints,
             spectra: int, capacity: int, whole: Ints, released: Floats, blocked_by_bw: Ints
             ) -> tuple[int, int, float, Ints, Floats, int]:
    """The event loop of `engine.simulate_iteration` (first or last fit, no slicing)."""
    at = np.full(1, at0, dtype=np.int64)
    words = full.shape[0]
    spec = np.zeros((spectra, words), dtype=np.int64)
    m = np.zeros(words, dtype=np.int64)
    nbw = bandwidths.shape[0]
    last_bw = nbw - 1
    left = quotas.copy()
    open_bws = np.zeros(nbw, dtype=np.int64)
    nopen = 0
    for b in range(nbw):
        if left[b] > 0:
            open_bws[nopen] = b
            nopen += 1
    size = 0  # the departure heap, ordered by (time, request)
    h_time = np.zeros(capacity)
    h_n = np.zeros(capacity, dtype=np.int64)
    h_opt = np.zeros(capacity, dtype=np.int64)
    h_core = np.zeros(capacity, dtype=np.int64)
    h_pos = np.zeros(capacity, dtype=np.int64)
    h_val = np.zeros(capacity)
    # Departures since the last served arrival: each freed a lightpath active at that
    # arrival, so there are never more of them than lightpaths can be active.
    since_pid = np.zeros(capacity, dtype=np.int64)
    since_val = np.zeros(capacity)
    since = 0
    blocked = distance = 0
    blocked_bw = 0.0
    now = 0.0
    for n in range(warmup + num_requests):
        now -= log(1.0 - _random(mt, at)) * mean_gap
        while size > 0 and h_time[0] <= now:
            o, core, pos, val = h_opt[0], h_core[0], h_pos[0], h_val[0]
            size -= 1  # pop: the last entry sifts down from the root
            t, k = h_time[size], h_n[size]
            lo, lc, lp, lv = h_opt[size], h_core[size], h_pos[size], h_val[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and _less_c(h_time[c + 1], h_n[c + 1], h_time[c], h_n[c]):
                    c += 1
                if not _less_c(h_time[c], h_n[c], t, k):
                    break
                h_time[i], h_n[i], h_opt[i] = h_time[c], h_n[c], h_opt[c]
                h_core[i], h_pos[i], h_val[i] = h_core[c], h_pos[c], h_val[c]
                i = c
            if size > 0:
                h_time[i], h_n[i], h_opt[i], h_core[i], h_pos[i], h_val[i] = t, k, lo, lc, lp, lv
            _apply(spec, links, link_ptr[o], link_ptr[o + 1], cores, core, pos, need[o])
            released[pid[o]] += val
            since_pid[since] = pid[o]
            since_val[since] = val
            since += 1
        counted = n >= warmup
        if counted:
            k = int(_random(mt, at) * nopen)
            b = open_bws[k]
            left[b] -= 1
            if left[b] == 0:
                open_bws[k] = open_bws[nopen - 1]
                nopen -= 1
        else:
            r = _random(mt, at)
            b = 0
            while b < cumulative.shape[0] and cumulative[b] <= r:
                b += 1
            if b > last_bw:
                b = last_bw
        pair = int(_random(mt, at) * npairs)
        first, stop = opt_ptr[pair * nbw + b], opt_ptr[pair * nbw + b + 1]
        placed = False
        for o in range(first, stop):
            for core in range(cores):
                for w in range(words):
                    occ = 0
                    for j in range(link_ptr[o], link_ptr[o + 1]):
                        occ |= spec[links[j] * cores + core, w]
                    m[w] = ~occ & full[w]
                for s in range(shift_ptr[o], shift_ptr[o + 1]):
                    q, r_ = shifts[s] // WORD, shifts[s] % WORD
                    for w in range(words):  # m &= m >> shift, across words
                        moved = 0
                        if w + q < words:
                            moved = m[w + q] >> r_
                            if r_ and w + q + 1 < words:
                                moved |= (m[w + q + 1] & ((1 << r_) - 1)) << (WORD - r_)
                        m[w] &= moved
                pos = -1
                if last_fit:
                    for w in range(words - 1, -1, -1):
                        if m[w]:
                            pos = w * WORD + _high_bit(m[w])
                            break
                else:
                    for w in range(words):
                        if m[w]:
                            pos = w * WORD + _low_bit(m[w])
                            break
                if pos >= 0:
                    placed = True
                    break
            if placed:
                _apply(spec, links, link_ptr[o], link_ptr[o + 1], cores, core, pos, need[o])
                hold = -log(1.0 - _random(mt, at)) * holding_time
                t = now + hold
                val = bandwidths[b] * hold if counted else 0.0
                i = size  # push: sift up from the new leaf
                size += 1
                while i > 0:
                    parent = (i - 1) >> 1
                    if not _less_c(t, n, h_time[parent], h_n[parent]):
                        break
                    h_time[i], h_n[i], h_opt[i] = h_time[parent], h_n[parent], h_opt[parent]
                    h_core[i], h_pos[i], h_val[i] = h_core[parent], h_pos[parent], h_val[parent]
                    i = parent
                h_time[i], h_n[i], h_opt[i], h_core[i], h_pos[i], h_val[i] = t, n, o, core, pos, val
                if counted:
                    whole[base[o] + links[link_ptr[o]] * cores + core] += 1
                since = 0
                break
        if not placed and counted:
            blocked += 1
            blocked_bw += bandwidths[b]
            blocked_by_bw[b] += 1
            if first == stop:
                distance += 1
    return blocked, distance, blocked_bw, since_pid, since_val, since
