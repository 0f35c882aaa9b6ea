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
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from math import log

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
#  hops, length_km, counter slot of (bandwidth, modulation)).
Option = tuple[tuple[tuple[int, ...], ...], tuple[int, ...], int, int, int, int, float, int]
# A slicing is the same for `count` lightpaths of a smaller bandwidth: (option, count).
Slicing = tuple[Option, int]


def _option(per_core: tuple[tuple[int, ...], ...], need: int, pid: int, hops: int,
            length: float, counter: int) -> Option:
    return (per_core, window_shifts(need), need, (1 << need) - 1, pid, hops, length, counter)


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

    @classmethod
    def build(cls, topology: Topology, modulation: ModulationTable, *, k_paths: int,
              cores: int, c_band: int, guard_slots: int, bandwidths: tuple[float, ...],
              probabilities: tuple[float, ...], num_requests: int, fallback: bool = False,
              max_segments: int = 1) -> RoutingTable:
        adj = topology.adjacency()
        link_of = topology.link_index()
        mod_names = tuple(modulation.names())
        mod_id = {name: i for i, name in enumerate(mod_names)}
        nmods = len(mod_names)
        pairs: list[tuple[int, int]] = []
        options: list[tuple[tuple[Option, ...], ...]] = []
        slicings: list[tuple[tuple[tuple[Slicing, ...], ...], ...]] = []
        path_links: list[tuple[int, ...]] = []
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
                for length, nodes in paths:
                    links = tuple(link_of[(a, b)] for a, b in pairwise(nodes))
                    per_core = tuple(tuple(link * cores + c for link in links)
                                     for c in range(cores))
                    routes.append((length, per_core, len(path_links), len(links)))
                    path_links.append(links)
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
                                opts.append(_option(per_core, need, pid, hops, length,
                                                    b * nmods + mod_id[name]))
                        if max_segments > 1 and bw != SMALLEST_UNSLICED:
                            sliced.append(tuple(_slicings(
                                modulation, bandwidths, bw, length, per_core, pid, hops,
                                guard_slots, c_band, max_segments, mod_id, nmods)))
                    per_bw.append(tuple(opts))
                    per_bw_sliced.append(tuple(sliced))
                options.append(tuple(per_bw))
                slicings.append(tuple(per_bw_sliced))
        total = sum(probabilities)
        cumulative = tuple(x / total for x in accumulate(probabilities)) if total else ()
        quotas = tuple(int(p * num_requests) for p in probabilities)
        link_names = tuple(f"{topology.labels[u]}-{topology.labels[v]}"
                           for u, v, _ in topology.links)
        return cls(len(topology.links), cores, c_band, tuple(pairs), tuple(options),
                   tuple(slicings), tuple(path_links), bandwidths, cumulative, quotas,
                   mod_names, link_names)


# FUSION never slices a 25 Gb/s request (it compares the bandwidth with "25").
SMALLEST_UNSLICED = 25.0


def _slicings(modulation: ModulationTable, bandwidths: tuple[float, ...], bw: float,
              length: float, per_core: tuple[tuple[int, ...], ...], pid: int, hops: int,
              guard_slots: int, c_band: int, max_segments: int, mod_id: dict[str, int],
              nmods: int) -> list[Slicing]:
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
        out.append((_option(per_core, slots + guard_slots, pid, hops, length,
                            t * nmods + mod_id[name]), count))
    return out


@dataclass
class IterationResult:
    """What one iteration measured (counted arrivals only, warm-up excluded)."""

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
    mods_used: dict[str, dict[str, int]] = field(default_factory=dict)
    link_usage: list[int] = field(default_factory=list)
    link_throughput: list[float] = field(default_factory=list)

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
                  ) -> tuple[Option, list[tuple[tuple[int, ...], int]], bool] | None:
    """FUSION's static slicing: the first path and tier whose every segment fits (first
    fit, one after another); a tier that fails is rolled back before the next is tried.

    Also says whether a tier failed before the one that succeeded (on this path or an
    earlier one): FUSION 6.1 then leaves the request's full bandwidth in its bit-rate
    blocking, although the request is served (its `remaining_bw` is never reset)."""
    failed = False
    for per_path in slicings:
        for opt, count in per_path:
            taken: list[tuple[tuple[int, ...], int]] = []
            for _ in range(count):
                pos, idxs = _first_fit(spec, opt, full)
                if pos < 0:
                    break
                mask = opt[3] << pos
                for i in idxs:
                    spec[i] |= mask
                taken.append((idxs, mask))
            if len(taken) == count:
                return opt, taken, failed
            failed = True
            for idxs, mask in taken:
                for i in idxs:
                    spec[i] ^= mask
    return None


def simulate_iteration(table: RoutingTable, *, erlang: float, holding_time: float,
                       num_requests: int, allocation: str, seed: str, warmup: int = 0,
                       check: bool = False) -> IterationResult:
    """One iteration as FUSION runs it: an empty network, `num_requests` counted
    arrivals whose bandwidths follow exact quotas (each arrival draws uniformly among the
    bandwidths with quota left). `warmup` uncounted arrivals first is our extension."""
    rng = random.Random(seed)
    rnd = rng.random
    mean_gap = holding_time / erlang
    full = (1 << table.c_band) - 1
    spec = [0] * (table.num_links * table.cores)
    heap: list[tuple[float, int, list[tuple[tuple[int, ...], int]]]] = []
    push, pop = heapq.heappush, heapq.heappop
    options, slicings = table.options, table.slicings
    cumulative, bandwidths = table.cumulative, table.bandwidths
    npairs = len(table.pairs)
    last_bw = len(bandwidths) - 1
    left = list(table.quotas)
    open_bws = [b for b, q in enumerate(left) if q > 0]
    first, last = allocation == FIRST_FIT, allocation == LAST_FIT
    total = warmup + num_requests
    mod_counts = [0] * (len(bandwidths) * len(table.mod_names))
    path_count = [0] * len(table.path_links)
    path_bw = [0.0] * len(table.path_links)
    active: dict[int, list[tuple[tuple[int, ...], int]]] = {}
    blocked = distance = sliced_count = sliced_late = 0
    offered_bw = blocked_bw = length_sum = 0.0
    hops_sum = 0
    now = 0.0
    for n in range(total):
        now -= log(1.0 - rnd()) * mean_gap
        while heap and heap[0][0] <= now:
            _, rid, freed = pop(heap)
            for idxs, mask in freed:
                if check and any(spec[i] & mask != mask for i in idxs):
                    raise InvariantError(f"departure {rid} frees slots it did not hold")
                for i in idxs:
                    spec[i] ^= mask
            if check:
                del active[rid]
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
        placed: Option | None = None
        taken: list[tuple[tuple[int, ...], int]] = []
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
            if pos >= 0:
                mask = opt[3] << pos
                for i in best_idxs:
                    spec[i] |= mask
                taken = [(best_idxs, mask)]
                placed = opt
                break
        late = False
        if placed is None and slicings[pair][b]:
            found = _place_sliced(spec, slicings[pair][b], full)
            if found is not None:
                placed, taken, late = found
                if counted:
                    sliced_count += 1
        if placed is not None:
            push(heap, (now - log(1.0 - rnd()) * holding_time, n, taken))
            if check:
                active[n] = taken
                _check(spec, active)
        if not counted:
            continue
        bw = bandwidths[b]
        offered_bw += bw
        if placed is None:
            blocked += 1
            blocked_bw += bw
            if not opts and not _can_slice(slicings[pair][b], table.c_band):
                distance += 1
        else:
            if late:  # served, yet its full bandwidth counts as blocked: FUSION 6.1's rule
                blocked_bw += bw
                sliced_late += 1
            hops_sum += placed[5]
            length_sum += placed[6]
            mod_counts[placed[7]] += 1 if len(taken) == 1 else len(taken)
            path_count[placed[4]] += 1
            path_bw[placed[4]] += bw
    result = _summarise(table, num_requests, blocked, distance, offered_bw, blocked_bw,
                        hops_sum, length_sum, mod_counts, path_count, path_bw)
    result.sliced = sliced_count
    result.sliced_late = sliced_late
    return result


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


def _summarise(table: RoutingTable, requests: int, blocked: int, distance: int,
               offered_bw: float, blocked_bw: float, hops_sum: int, length_sum: float,
               mod_counts: list[int], path_count: list[int],
               path_bw: list[float]) -> IterationResult:
    nmods = len(table.mod_names)
    mods: dict[str, dict[str, int]] = {}
    for slot, count in enumerate(mod_counts):
        if count:
            bw = f"{table.bandwidths[slot // nmods]:g}"
            mods.setdefault(bw, {})[table.mod_names[slot % nmods]] = count
    usage = [0] * table.num_links
    throughput = [0.0] * table.num_links
    for pid, count in enumerate(path_count):
        if count:
            for link in table.path_links[pid]:
                usage[link] += count
                throughput[link] += path_bw[pid]
    accepted = requests - blocked
    return IterationResult(
        requests=requests, blocked=blocked, offered_bw=offered_bw, blocked_bw=blocked_bw,
        distance_blocked=distance, congestion_blocked=blocked - distance, accepted=accepted,
        hops_sum=hops_sum, length_sum=length_sum, mods_used=mods, link_usage=usage,
        link_throughput=throughput,
    )
