"""The event-driven core: one iteration of dynamic traffic on an elastic optical network.

Spectrum is held as one integer bitmask per (link, core): bit i set means slot i is in
use. A request needs `slots + guard_slots` contiguous slots on the same core of every
link of its path (continuity and contiguity); the OR of the path's masks gives the
occupied slots, and shifting the free mask onto itself finds every start position of a
free window in a handful of integer operations. Lightpaths are bidirectional: one
spectrum per link serves both directions.

Offered load: arrival rate = erlang / holding_time (FUSION's batch-runner convention,
not multiplied by the number of cores), exponential holding times of mean holding_time.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate, compress, pairwise
from math import log
from typing import NamedTuple

from fusion_tui.sim.modulation import ModulationTable
from fusion_tui.sim.topology import Topology, k_shortest_paths

FIRST_FIT, BEST_FIT, LAST_FIT = "first_fit", "best_fit", "last_fit"


class InvariantError(AssertionError):
    """The spectrum bookkeeping is inconsistent (only raised in invariant mode)."""


def window_shifts(need: int) -> tuple[int, ...]:
    """Shifts that turn a free mask into a mask of starts of `need`-slot free windows."""
    shifts, covered = [], 1
    while covered < need:
        step = min(covered, need - covered)
        shifts.append(step)
        covered += step
    return tuple(shifts)


# An option is one way to carry one bandwidth between one node pair as one lightpath:
# (per-core spectrum indices, window shifts, slots needed, slot mask at position 0, path id,
#  hops, length_km, counter base). Adding to the counter base the first spectrum index of
# the core used (first link x cores + core) gives option number x cores + core: the one
# counter an iteration keeps per lightpath placed, found without a division in the hot
# path (`RoutingTable.option_info` says what it counts: path, bandwidth, format).
Option = tuple[tuple[tuple[int, ...], ...], tuple[int, ...], int, int, int, int, float, int]
# A slicing is the same for `count` lightpaths of a smaller bandwidth: (option, count).
Slicing = tuple[Option, int]
# Spectrum a request holds: (spectrum indices, slot mask) per lightpath.
Taken = list[tuple[tuple[int, ...], int]]
# A departure waiting in the heap: (time, request, spectrum held, path id, Gb/s x holding
# time; 0 for a warm-up request). Segments rolled back by slicing are noted in the same
# shape, with request -1 and their number in place of Gb/s x time.
Departure = tuple[float, int, Taken, int, float]


def _option(per_core: tuple[tuple[int, ...], ...], need: int, pid: int, hops: int,
            length: float, b: int, mod: int, cores: int,
            info: list[tuple[int, int, int]]) -> Option:
    """A new option; its (path, bandwidth, format) goes into `info` under its number."""
    info.append((pid, b, mod))
    return (per_core, window_shifts(need), need, (1 << need) - 1, pid, hops, length,
            (len(info) - 1) * cores - per_core[0][0])


@dataclass(frozen=True)
class RoutingTable:
    """Everything precomputed once per configuration: paths, formats, slot needs.

    For each node pair and bandwidth, `options` lists the lightpaths to try in FUSION's
    order: the k shortest paths in turn and, on each path, the highest-order format that
    reaches, then (fallback formats, FUSION's `pre_calc_mod_selection = False`) every
    lower-order format that reaches too. `slicings` holds, per path, FUSION's static
    slicing for a request that no single lightpath can carry (`max_segments > 1`): each
    smaller bandwidth of the modulation set, largest first, as `count` lightpaths of the
    highest-order format that reaches, until one needs more than `max_segments`.

    What FUSION's result keys need about them, too: per option (by number) its path,
    bandwidth and format; per path its hops, length and rank among its pair's k paths;
    per bandwidth its formats in the modulation file's order; per link FUSION's name of
    each direction and its link number (None when unknown).
    """

    num_links: int
    cores: int
    c_band: int
    pairs: tuple[tuple[int, int], ...]
    options: tuple[tuple[tuple[Option, ...], ...], ...]  # [pair][bandwidth]
    slicings: tuple[tuple[tuple[tuple[Slicing, ...], ...], ...], ...]  # [pair][bw][path]
    path_links: tuple[tuple[int, ...], ...]
    bandwidths: tuple[float, ...]
    cumulative: tuple[float, ...]
    quotas: tuple[int, ...]
    mod_names: tuple[str, ...]
    link_names: tuple[str, ...]
    link_reverse_names: tuple[str, ...] = ()
    link_numbers: tuple[int | None, ...] = ()
    option_info: tuple[tuple[int, int, int], ...] = ()  # (path id, bandwidth, format)
    # (hops, length in km rounded to 2 as FUSION records it, rank among the k paths)
    path_info: tuple[tuple[int, float, int], ...] = ()
    formats: tuple[tuple[str, ...], ...] = ()  # per bandwidth, the file's order
    k_paths: int = 1

    @property
    def offered_bw(self) -> float:
        """Gb/s offered by an iteration's counted requests (its exact quotas)."""
        return sum(q * bw for q, bw in zip(self.quotas, self.bandwidths, strict=True))

    def info(self, opt: Option) -> tuple[int, int, int]:
        """(path id, bandwidth index, format index) of one of this table's options."""
        return self.option_info[(opt[7] + opt[0][0][0]) // self.cores]

    @classmethod
    def build(cls, topology: Topology, modulation: ModulationTable, *, k_paths: int,
              cores: int, c_band: int, guard_slots: int, bandwidths: tuple[float, ...],
              probabilities: tuple[float, ...], num_requests: int, fallback: bool = False,
              max_segments: int = 1) -> RoutingTable:
        adj = topology.adjacency()
        link_of = topology.link_index()
        mod_names = tuple(modulation.names())
        mod_id = {name: i for i, name in enumerate(mod_names)}
        pairs: list[tuple[int, int]] = []
        options: list[tuple[tuple[Option, ...], ...]] = []
        slicings: list[tuple[tuple[tuple[Slicing, ...], ...], ...]] = []
        path_links: list[tuple[int, ...]] = []
        option_info: list[tuple[int, int, int]] = []
        path_info: list[tuple[int, float, int]] = []
        cache: dict[tuple[int, int], list[tuple[float, tuple[int, ...]]]] = {}
        for s in range(topology.num_nodes):
            for d in range(topology.num_nodes):
                if s == d:
                    continue
                key = (min(s, d), max(s, d))
                if key not in cache:
                    cache[key] = k_shortest_paths(adj, key[0], key[1], k_paths)
                paths = cache[key]
                if not paths:
                    continue
                pairs.append((s, d))
                routes = []
                for rank, (length, nodes) in enumerate(paths):
                    links = tuple(link_of[(a, b)] for a, b in pairwise(nodes))
                    per_core = tuple(tuple(link * cores + c for link in links)
                                     for c in range(cores))
                    routes.append((length, per_core, len(path_links), len(links)))
                    path_links.append(links)
                    path_info.append((len(links), round(length, 2), rank))
                per_bw: list[tuple[Option, ...]] = []
                per_bw_sliced: list[tuple[tuple[Slicing, ...], ...]] = []
                for b, bw in enumerate(bandwidths):
                    opts: list[Option] = []
                    sliced: list[tuple[Slicing, ...]] = []
                    for length, per_core, pid, hops in routes:
                        formats = modulation.reaching(bw, length)
                        for name, slots in formats if fallback else formats[:1]:
                            need = slots + guard_slots
                            if need <= c_band:
                                opts.append(_option(per_core, need, pid, hops, length, b,
                                                    mod_id[name], cores, option_info))
                        if max_segments > 1 and bw != SMALLEST_UNSLICED:
                            sliced.append(tuple(_slicings(
                                modulation, bandwidths, bw, length, per_core, pid, hops,
                                guard_slots, max_segments, mod_id, cores, option_info)))
                    per_bw.append(tuple(opts))
                    per_bw_sliced.append(tuple(sliced))
                options.append(tuple(per_bw))
                slicings.append(tuple(per_bw_sliced))
        total = sum(probabilities)
        cumulative = tuple(x / total for x in accumulate(probabilities)) if total else ()
        quotas = tuple(int(p * num_requests) for p in probabilities)
        labels = topology.labels
        return cls(len(topology.links), cores, c_band, tuple(pairs), tuple(options),
                   tuple(slicings), tuple(path_links), bandwidths, cumulative, quotas,
                   mod_names,
                   link_names=tuple(f"{labels[u]}-{labels[v]}" for u, v, _ in topology.links),
                   link_reverse_names=tuple(f"{labels[v]}-{labels[u]}"
                                            for u, v, _ in topology.links),
                   link_numbers=topology.link_numbers or (None,) * len(topology.links),
                   option_info=tuple(option_info), path_info=tuple(path_info),
                   formats=tuple(tuple(modulation.order.get(float(bw), ()))
                                 for bw in bandwidths),
                   k_paths=k_paths)


# FUSION never slices a 25 Gb/s request (it compares the bandwidth with "25").
SMALLEST_UNSLICED = 25.0


def _slicings(modulation: ModulationTable, bandwidths: tuple[float, ...], bw: float,
              length: float, per_core: tuple[tuple[int, ...], ...], pid: int, hops: int,
              guard_slots: int, max_segments: int, mod_id: dict[str, int], cores: int,
              info: list[tuple[int, int, int]]) -> list[Slicing]:
    """FUSION's static slicing of `bw` on one path: tiers largest first; a tier with no
    reaching format is skipped; the first tier needing too many segments ends the list
    (and counts as no try). A tier whose lightpath needs more slots than the band has is
    kept: FUSION tries it and it fails at its first segment, which matters for bit-rate
    blocking (see `_place_sliced`)."""
    out: list[Slicing] = []
    for t, tier in sorted(enumerate(bandwidths), key=lambda e: -e[1]):
        if int(tier) >= int(bw):
            continue
        formats = modulation.reaching(tier, length)
        if not formats:
            continue
        count = int(int(bw) / int(tier))
        if count > max_segments:
            break
        name, slots = formats[0]
        out.append((_option(per_core, slots + guard_slots, pid, hops, length, t,
                            mod_id[name], cores, info), count))
    return out


class EntryText(NamedTuple):
    """An iteration's FUSION keys as JSON text, made in the worker so that the process
    that writes the files only joins text: the entry up to `sim_block_list` (without its
    closing brace), the keys after `sim_br_block_list` (without braces; those two lists
    span iterations and are added by the writer), the link snapshot, and the lightpath
    utilisation (None when no lightpath was set up)."""

    head: str
    tail: str
    link_usage: str
    utilisation: float | None


@dataclass
class IterationResult:
    """What one iteration measured (counted arrivals only, warm-up excluded).

    The counts FUSION's per-iteration keys are made of (`sim/iteration_keys.py`):
    lightpaths (whole requests and slicing segments alike) `per_option` (one option is one
    path, bandwidth and format) and `on_bw_core` (bandwidth x cores + core);
    `routed_paths`, requests served per path id; and the links as
    FUSION's snapshot at the last served arrival has them: `link_usage`, lightpaths set up
    on each link (rolled-back slicing segments included), `link_throughput`, Gb/s x
    holding time of the requests released so far (both empty when nothing was served).
    `fusion` holds those keys once computed (by the runner, in the worker), as JSON text.
    """

    requests: int = 0
    blocked: int = 0
    offered_bw: float = 0.0
    blocked_bw: float = 0.0
    distance_blocked: int = 0
    congestion_blocked: int = 0
    accepted: int = 0
    hops_sum: int = 0
    length_sum: float = 0.0
    sliced: int = 0
    sliced_late: int = 0  # served by slicing after a failed tier: bandwidth counted blocked
    per_option: dict[int, int] = field(default_factory=dict)
    on_bw_core: list[int] = field(default_factory=list)
    routed_paths: dict[int, int] = field(default_factory=dict)
    blocked_by_bw: list[int] = field(default_factory=list)
    link_usage: list[int] = field(default_factory=list)
    link_throughput: list[float] = field(default_factory=list)
    fusion: EntryText | None = None

    @property
    def blocking(self) -> float:
        return self.blocked / self.requests if self.requests else 0.0

    @property
    def bit_rate_blocking(self) -> float:
        return self.blocked_bw / self.offered_bw if self.offered_bw else 0.0

    @property
    def hops_mean(self) -> float:
        return self.hops_sum / self.accepted if self.accepted else 0.0

    @property
    def lengths_mean(self) -> float:
        return self.length_sum / self.accepted if self.accepted else 0.0


def _best_fit(free: int, need: int) -> int:
    """Start of the smallest free block that holds `need` slots, or -1."""
    best_len, best_pos = 0, -1
    starts = free & ~(free << 1)
    while starts:
        low = starts & -starts
        pos = low.bit_length() - 1
        run = free >> pos
        length = (run ^ (run + 1)).bit_length() - 1
        if length >= need and (best_pos < 0 or length < best_len):
            best_len, best_pos = length, pos
            if length == need:
                break
        starts ^= low
    return best_pos


def _check(spec: list[int], active: dict[int, list[tuple[tuple[int, ...], int]]]) -> None:
    expected = [0] * len(spec)
    for taken in active.values():
        for idxs, mask in taken:
            for i in idxs:
                if expected[i] & mask:
                    raise InvariantError(f"slot double-booked on spectrum {i}")
                expected[i] |= mask
    if expected != spec:
        raise InvariantError("spectrum differs from the set of active lightpaths")


def _first_fit(spec: list[int], opt: Option, full: int) -> tuple[int, tuple[int, ...]]:
    """Lowest start of a free window on the first core that has one, or (-1, ())."""
    shifts = opt[1]
    for idxs in opt[0]:
        occ = 0
        for i in idxs:
            occ |= spec[i]
        m = ~occ & full
        for s in shifts:
            m &= m >> s
        if m:
            return (m & -m).bit_length() - 1, idxs
    return -1, ()


def _place_sliced(spec: list[int], slicings: tuple[tuple[Slicing, ...], ...], full: int
                  ) -> tuple[Option | None, Taken, bool, list[tuple[int, int]]]:
    """FUSION's static slicing: the first path and tier whose every segment fits (first
    fit, one after another); a tier that fails is rolled back before the next is tried.

    Returns (the tier's option or None, the spectrum taken, failed, rolled back). `failed`
    says whether a tier failed before the one that succeeded (on this path or an earlier
    one): FUSION 6.1 then leaves the request's full bandwidth in its bit-rate blocking,
    although the request is served (its `remaining_bw` is never reset). `rolled back`
    lists (path id, segments) placed and then released by failed tiers: FUSION counts
    them in its links' `usage_count`."""
    failed = False
    rolled: list[tuple[int, int]] = []
    for per_path in slicings:
        for opt, count in per_path:
            taken: Taken = []
            for _ in range(count):
                pos, idxs = _first_fit(spec, opt, full)
                if pos < 0:
                    break
                mask = opt[3] << pos
                for i in idxs:
                    spec[i] |= mask
                taken.append((idxs, mask))
            if len(taken) == count:
                return opt, taken, failed, rolled
            failed = True
            if taken:
                rolled.append((opt[4], len(taken)))
            for idxs, mask in taken:
                for i in idxs:
                    spec[i] ^= mask
    return None, [], failed, rolled


def simulate_iteration(table: RoutingTable, *, erlang: float, holding_time: float,
                       num_requests: int, allocation: str, seed: str, warmup: int = 0,
                       check: bool = False) -> IterationResult:
    """One iteration as FUSION runs it: an empty network, `num_requests` counted
    arrivals whose bandwidths follow exact quotas (each arrival draws uniformly among the
    bandwidths with quota left). `warmup` uncounted arrivals first is our extension.

    A request placed whole costs one counter increment; slicing and blocking, the rare
    cases, are counted in `_Tally`. FUSION takes its link snapshot at each served arrival,
    so what happens after the last one is left out: each departure's Gb/s x holding time
    is added to its path when it leaves, and `since_served` keeps the departures (and
    rolled-back slicing segments) since the last served arrival, which the result takes
    back."""
    rng = random.Random(seed)
    rnd = rng.random
    mean_gap = holding_time / erlang
    full = (1 << table.c_band) - 1
    ncores = table.cores
    spec = [0] * (table.num_links * ncores)
    heap: list[Departure] = []
    push, pop = heapq.heappush, heapq.heappop
    options, slicings = table.options, table.slicings
    cumulative, bandwidths = table.cumulative, table.bandwidths
    npairs = len(table.pairs)
    last_bw = len(bandwidths) - 1
    left = list(table.quotas)
    open_bws = [b for b, q in enumerate(left) if q > 0]
    first, last = allocation == FIRST_FIT, allocation == LAST_FIT
    total = warmup + num_requests
    whole = [0] * (len(table.option_info) * ncores)  # (option, core) key -> requests
    tally = _Tally(table)
    released = tally.released  # per path id: Gb/s x holding time of departures
    since_served: list[Departure] = []
    note = since_served.append
    active: dict[int, Taken] = {}
    now = 0.0
    for n in range(total):
        now -= log(1.0 - rnd()) * mean_gap
        while heap and heap[0][0] <= now:
            gone = pop(heap)
            for idxs, mask in gone[2]:
                if check and any(spec[i] & mask != mask for i in idxs):
                    raise InvariantError(f"departure {gone[1]} frees slots it did not hold")
                for i in idxs:
                    spec[i] ^= mask
            released[gone[3]] += gone[4]
            note(gone)
            if check:
                del active[gone[1]]
                _check(spec, active)
        counted = n >= warmup
        if counted:
            k = int(rnd() * len(open_bws))
            b = open_bws[k]
            left[b] -= 1
            if not left[b]:
                open_bws[k] = open_bws[-1]
                open_bws.pop()
        else:
            b = bisect_right(cumulative, rnd())
            if b > last_bw:
                b = last_bw
        pair = int(rnd() * npairs)
        opts = options[pair][b]
        for opt in opts:
            if first:  # _first_fit, inlined: this loop is the simulator's hot path
                pos = -1
                for best_idxs in opt[0]:
                    occ = 0
                    for i in best_idxs:
                        occ |= spec[i]
                    m = ~occ & full
                    for sh in opt[1]:
                        m &= m >> sh
                    if m:
                        pos = (m & -m).bit_length() - 1
                        break
            else:
                pos, best_idxs = _fit_other(spec, opt, full, last)
            if pos >= 0:  # placed whole
                mask = opt[3] << pos
                for i in best_idxs:
                    spec[i] |= mask
                hold = -log(1.0 - rnd()) * holding_time
                taken = [(best_idxs, mask)]
                if counted:
                    push(heap, (now + hold, n, taken, opt[4], bandwidths[b] * hold))
                    whole[opt[7] + best_idxs[0]] += 1
                else:
                    push(heap, (now + hold, n, taken, opt[4], 0.0))
                if since_served:
                    since_served.clear()
                if check:
                    active[n] = taken
                    _check(spec, active)
                break
        else:  # not placed whole: slicing, or blocked (the rare cases)
            sliced = None
            if slicings[pair][b]:
                sliced = _place_sliced(spec, slicings[pair][b], full)
                if counted and sliced[3]:
                    for pid, count in tally.rolled_back(sliced[3]):
                        note((now, -1, [], pid, count))
            if sliced is not None and sliced[0] is not None:
                placed, taken = sliced[0], sliced[1]
                hold = -log(1.0 - rnd()) * holding_time
                push(heap, (now + hold, n, taken, placed[4],
                            bandwidths[b] * hold if counted else 0.0))
                since_served.clear()
                if check:
                    active[n] = taken
                    _check(spec, active)
                if counted:
                    tally.sliced_request(b, placed, taken, sliced[2])
            elif counted:
                tally.blocked_request(b, not opts and not _can_slice(slicings[pair][b],
                                                                     table.c_band))
    return tally.result(num_requests, table.offered_bw, whole, since_served)


def tally_result(table: RoutingTable, requests: int, whole: list[int], released: list[float],
                 blocked_by_bw: list[int], blocked: int, blocked_bw: float, distance: int,
                 since_served: list[tuple[int, float]]) -> IterationResult:
    """The result of an iteration counted elsewhere (the compiled engine, no slicing):
    the same `_Tally.result` as `simulate_iteration`'s. `since_served`: (path id, Gb/s x
    holding time) of the departures after the last served arrival, in order."""
    tally = _Tally(table)
    tally.released[:] = released
    tally.blocked, tally.distance, tally.blocked_bw = blocked, distance, blocked_bw
    tally.blocked_by_bw = blocked_by_bw
    return tally.result(requests, table.offered_bw, whole,
                        [(0.0, 0, [], pid, value) for pid, value in since_served])


def _can_slice(slicings: tuple[tuple[Slicing, ...], ...], c_band: int) -> bool:
    """Could slicing ever carry this request (a tier whose lightpath fits the band)?"""
    return any(opt[2] <= c_band for per_path in slicings for opt, _ in per_path)


def _fit_other(spec: list[int], opt: Option, full: int,
               last: bool) -> tuple[int, tuple[int, ...]]:
    """Last fit (highest start on the first core with room) or best fit (the smallest
    free block that holds the lightpath, over all cores): our extensions, since FUSION
    6.1's own best_fit and last_fit crash on their first iteration."""
    shifts = opt[1]
    best_pos, best_len = -1, 0
    best_idxs: tuple[int, ...] = ()
    for idxs in opt[0]:
        occ = 0
        for i in idxs:
            occ |= spec[i]
        free = ~occ & full
        m = free
        for s in shifts:
            m &= m >> s
        if not m:
            continue
        if last:
            return m.bit_length() - 1, idxs
        pos = _best_fit(free, opt[2])
        run = free >> pos
        length = (run ^ (run + 1)).bit_length() - 1
        if best_pos < 0 or length < best_len:
            best_pos, best_len, best_idxs = pos, length, idxs
    return best_pos, best_idxs


class _Tally:
    """An iteration's counts outside its hot path: blocked and sliced requests, and the
    per-path sums of FUSION's link snapshot; `result` turns them into the result."""

    def __init__(self, table: RoutingTable) -> None:
        self.table = table
        self.npaths = len(table.path_links)
        self.released = [0.0] * self.npaths
        self.rolled = [0] * self.npaths
        self.blocked = self.distance = self.sliced = self.late = 0
        self.blocked_bw = 0.0
        self.blocked_by_bw = [0] * len(table.bandwidths)
        self.segments: defaultdict[int, int] = defaultdict(int)
        self.sliced_paths: defaultdict[int, int] = defaultdict(int)

    def blocked_request(self, b: int, distance: bool) -> None:
        self.blocked += 1
        self.blocked_bw += self.table.bandwidths[b]
        self.blocked_by_bw[b] += 1
        self.distance += distance

    def rolled_back(self, rolled: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Segments placed and released again by failed slicing tiers (path id, how
        many): FUSION counts them in `usage_count`, once a snapshot is taken after them."""
        for pid, count in rolled:
            self.rolled[pid] += count
        return rolled

    def sliced_request(self, b: int, opt: Option, taken: Taken, late: bool) -> None:
        self.sliced += 1
        self.sliced_paths[opt[4]] += 1
        for idxs, _mask in taken:
            self.segments[opt[7] + idxs[0]] += 1
        if late:  # served, yet its full bandwidth counts as blocked: FUSION 6.1's rule
            self.late += 1
            self.blocked_bw += self.table.bandwidths[b]

    def result(self, requests: int, offered_bw: float, whole: list[int],
               since_served: list[Departure]) -> IterationResult:
        """The iteration's result; `since_served`: what happened after the last served
        arrival (see simulate_iteration)."""
        table, cores = self.table, self.table.cores
        option_info = table.option_info
        routed: defaultdict[int, int] = defaultdict(int, self.sliced_paths)
        per_path = [0] * self.npaths  # lightpaths set up on each path
        per_option: defaultdict[int, int] = defaultdict(int)
        on_bw_core = [0] * (len(table.bandwidths) * cores)
        for key in compress(range(len(whole)), whole):
            count = whole[key]
            option, core = divmod(key, cores)
            pid, b, _mod = option_info[option]
            per_option[option] += count
            on_bw_core[b * cores + core] += count
            routed[pid] += count
            per_path[pid] += count
        for key, count in self.segments.items():
            option, core = divmod(key, cores)
            pid, b, _mod = option_info[option]
            per_option[option] += count
            on_bw_core[b * cores + core] += count
            per_path[pid] += count
        released, rolled = self.released, self.rolled
        for gone in since_served:  # after FUSION's last snapshot: taken back
            if gone[1] < 0:
                rolled[gone[3]] -= int(gone[4])
            else:
                released[gone[3]] -= gone[4]
        accepted = requests - self.blocked
        usage: list[int] = []
        throughput: list[float] = []
        if accepted:  # FUSION's snapshot exists only once an arrival was served
            usage, throughput = [0] * table.num_links, [0.0] * table.num_links
            for pid, links in enumerate(table.path_links):
                count, gbs = per_path[pid] + rolled[pid], released[pid]
                if count or gbs:
                    for link in links:
                        usage[link] += count
                        throughput[link] += gbs
        info = table.path_info
        return IterationResult(
            requests=requests, blocked=self.blocked, offered_bw=offered_bw,
            blocked_bw=self.blocked_bw, distance_blocked=self.distance,
            congestion_blocked=self.blocked - self.distance, accepted=accepted,
            hops_sum=sum(info[pid][0] * count for pid, count in routed.items()),
            length_sum=sum(info[pid][1] * count for pid, count in routed.items()),
            sliced=self.sliced, sliced_late=self.late, per_option=dict(per_option),
            on_bw_core=on_bw_core, routed_paths=dict(routed),
            blocked_by_bw=self.blocked_by_bw, link_usage=usage, link_throughput=throughput)
