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


# An option is one way to carry one bandwidth between one node pair:
# (per-core spectrum indices, window shifts, slots needed, slot mask at position 0, path id,
#  hops, length_km, counter slot of (bandwidth, modulation)).
Option = tuple[tuple[tuple[int, ...], ...], tuple[int, ...], int, int, int, int, float, int]


@dataclass(frozen=True)
class RoutingTable:
    """Everything precomputed once per configuration: paths, formats, slot needs."""

    num_links: int
    cores: int
    c_band: int
    pairs: tuple[tuple[int, int], ...]
    options: tuple[tuple[tuple[Option, ...], ...], ...]  # [pair][bandwidth]
    path_links: tuple[tuple[int, ...], ...]
    bandwidths: tuple[float, ...]
    cumulative: tuple[float, ...]
    mod_names: tuple[str, ...]
    link_names: tuple[str, ...]

    @classmethod
    def build(cls, topology: Topology, modulation: ModulationTable, *, k_paths: int,
              cores: int, c_band: int, guard_slots: int, bandwidths: tuple[float, ...],
              probabilities: tuple[float, ...]) -> RoutingTable:
        adj = topology.adjacency()
        link_of = topology.link_index()
        mod_names = tuple(modulation.names())
        mod_id = {name: i for i, name in enumerate(mod_names)}
        pairs: list[tuple[int, int]] = []
        options: list[tuple[tuple[Option, ...], ...]] = []
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
                per_bw = []
                path_ids = []
                for _, nodes in paths:
                    links = tuple(link_of[(a, b)] for a, b in pairwise(nodes))
                    path_ids.append(len(path_links))
                    path_links.append(links)
                for b, bw in enumerate(bandwidths):
                    opts: list[Option] = []
                    for (length, _nodes), pid in zip(paths, path_ids, strict=True):
                        choice = modulation.choose(bw, length)
                        if choice is None:
                            continue
                        name, slots = choice
                        need = slots + guard_slots
                        if need > c_band:
                            continue
                        links = path_links[pid]
                        per_core = tuple(tuple(link * cores + c for link in links)
                                         for c in range(cores))
                        opts.append((per_core, window_shifts(need), need, (1 << need) - 1, pid,
                                     len(links), length, b * len(mod_names) + mod_id[name]))
                    per_bw.append(tuple(opts))
                options.append(tuple(per_bw))
        total = sum(probabilities)
        cumulative = tuple(x / total for x in accumulate(probabilities))
        link_names = tuple(f"{topology.labels[u]}-{topology.labels[v]}"
                           for u, v, _ in topology.links)
        return cls(len(topology.links), cores, c_band, tuple(pairs), tuple(options),
                   tuple(path_links), bandwidths, cumulative, mod_names, link_names)


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


def _check(spec: list[int], active: dict[int, tuple[tuple[int, ...], int]]) -> None:
    expected = [0] * len(spec)
    for idxs, mask in active.values():
        for i in idxs:
            if expected[i] & mask:
                raise InvariantError(f"slot double-booked on spectrum {i}")
            expected[i] |= mask
    if expected != spec:
        raise InvariantError("spectrum differs from the set of active lightpaths")


def simulate_iteration(table: RoutingTable, *, erlang: float, holding_time: float,
                       num_requests: int, allocation: str, seed: str,
                       check: bool = False) -> IterationResult:
    """Run `num_requests` warm-up arrivals, then `num_requests` counted ones."""
    rng = random.Random(seed)
    rnd = rng.random
    mean_gap = holding_time / erlang
    full = (1 << table.c_band) - 1
    spec = [0] * (table.num_links * table.cores)
    heap: list[tuple[float, int, tuple[int, ...], int]] = []
    push, pop = heapq.heappush, heapq.heappop
    options, cumulative, bandwidths = table.options, table.cumulative, table.bandwidths
    npairs = len(table.pairs)
    last_bw = len(bandwidths) - 1
    first, last = allocation == FIRST_FIT, allocation == LAST_FIT
    warmup = num_requests
    total = warmup + num_requests
    mod_counts = [0] * (len(bandwidths) * len(table.mod_names))
    path_count = [0] * len(table.path_links)
    path_bw = [0.0] * len(table.path_links)
    active: dict[int, tuple[tuple[int, ...], int]] = {}
    blocked = distance = 0
    offered_bw = blocked_bw = length_sum = 0.0
    hops_sum = 0
    now = 0.0
    for n in range(total):
        now -= log(1.0 - rnd()) * mean_gap
        while heap and heap[0][0] <= now:
            _, rid, idxs, mask = pop(heap)
            if check:
                if any(spec[i] & mask != mask for i in idxs):
                    raise InvariantError(f"departure {rid} frees slots it did not hold")
                del active[rid]
            for i in idxs:
                spec[i] ^= mask
            if check:
                _check(spec, active)
        b = bisect_right(cumulative, rnd())
        if b > last_bw:
            b = last_bw
        opts = options[int(rnd() * npairs)][b]
        placed = None
        for opt in opts:
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
                if first:
                    best_pos, best_idxs = (m & -m).bit_length() - 1, idxs
                    break
                if last:
                    best_pos, best_idxs = m.bit_length() - 1, idxs
                    break
                pos = _best_fit(free, opt[2])
                run = free >> pos
                length = (run ^ (run + 1)).bit_length() - 1
                if best_pos < 0 or length < best_len:
                    best_pos, best_len, best_idxs = pos, length, idxs
            if best_pos >= 0:
                mask = opt[3] << best_pos
                for i in best_idxs:
                    spec[i] |= mask
                push(heap, (now - log(1.0 - rnd()) * holding_time, n, best_idxs, mask))
                if check:
                    active[n] = (best_idxs, mask)
                    _check(spec, active)
                placed = opt
                break
        if n < warmup:
            continue
        bw = bandwidths[b]
        offered_bw += bw
        if placed is None:
            blocked += 1
            blocked_bw += bw
            if not opts:
                distance += 1
        else:
            hops_sum += placed[5]
            length_sum += placed[6]
            mod_counts[placed[7]] += 1
            path_count[placed[4]] += 1
            path_bw[placed[4]] += bw
    return _summarise(table, num_requests, blocked, distance, offered_bw, blocked_bw,
                      hops_sum, length_sum, mod_counts, path_count, path_bw)


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
