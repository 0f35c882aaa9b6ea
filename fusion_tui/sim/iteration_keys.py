"""FUSION 6.1's per-iteration result keys (`iter_stats["<i>"]`), from one iteration's counts.

Every key FUSION 6.1 writes there, in its order, units and meaning, for what this
simulator runs (static slicing, no grooming, no SNR, the C band): statistics are rounded
as FUSION rounds them and are null where FUSION has no value. Where FUSION's value comes
from something we do not model, it is FUSION's value for these configurations, said
where it is written. `sim_block_list` and `sim_br_block_list` span iterations: the point
(`stats.py`) fills them in.

Computed in the worker from counts per (option, core) and per path, so the simulation's
hot path keeps one counter increment per request placed whole.
"""

from __future__ import annotations

import json
import math
from itertools import chain, repeat
from operator import mul, sub
from typing import Any

from fusion_tui.sim.engine import EntryText, IterationResult, RoutingTable

BAND = "c"  # the only band we run; FUSION keys per-band figures by its name
NO_STATS: dict[str, float | None] = {"mean": None, "std": None, "min": None, "max": None}
# Without grooming and dynamic slicing FUSION records every released lightpath as 100%
# used (fusion/core/simulation.py, "100% for non-grooming non-slicing").
FULL_USE: dict[str, float | None] = {"mean": 100.0, "std": 0.0, "min": 100.0, "max": 100.0}
# Routing is a lookup in paths computed once per run: well under the 5 ms that FUSION's
# rounding to 2 decimals keeps, so its wall time in seconds is written as FUSION would.
ROUTE_SECONDS = 0.0

def _summary(values: list[float], counts: list[int]) -> tuple[float, float, float, float]:
    """(mean, sample standard deviation, min, max) of `values`, each occurring `counts`
    times, as `statistics` gives them; in C (`map`, `math.fsum`), as an iteration has
    thousands."""
    n = sum(counts)
    mean = math.fsum(map(mul, values, counts)) / n
    low, high = min(values), max(values)
    if n < 2 or low == high:
        return mean, 0.0, low, high
    deviations = list(map(sub, values, repeat(mean)))
    spread = math.fsum(map(mul, map(mul, deviations, deviations), counts))
    return mean, math.sqrt(spread / (n - 1)), low, high


def _stats(values: list[float], counts: list[int],
           digits: int | None = 2) -> dict[str, float | None]:
    """FUSION's {mean, std, min, max}, rounded (or not, as in its weights_dict); nulls
    when there is nothing."""
    if not values:
        return dict(NO_STATS)
    mean, std, low, high = _summary(values, counts)
    if digits is not None:
        mean, std, low, high = (round(mean, digits), round(std, digits), round(low, digits),
                                round(high, digits))
    return {"mean": mean, "std": std, "min": low, "max": high}


def _mean_min_max(values: list[float],
                  counts: list[int]) -> tuple[float | None, float | None, float | None]:
    """FUSION's `<list>_mean/min/max`: rounded to 2, null when the list is empty."""
    if not values:
        return None, None, None
    mean, _, low, high = _summary(values, counts)
    return round(mean, 2), round(low, 2), round(high, 2)


def iteration_keys(table: RoutingTable, result: IterationResult) -> dict[str, Any]:
    """The iteration's entry of FUSION's `iter_stats`, in FUSION's key order."""
    cores = table.cores
    labels = [f"{bw:g}" for bw in table.bandwidths]
    names = table.mod_names
    nmods = len(names)
    groups = len(labels) * nmods  # bandwidth x formats + format
    option_info, path_info = table.option_info, table.path_info
    # Per lightpath, by (bandwidth, format): the length (km, rounded to 2, as FUSION
    # records it) and hops of its path, with how many lightpaths took it. FUSION counts
    # a slicing segment under its own, smaller, bandwidth.
    per_format = [0] * groups
    km: list[list[float]] = [[] for _ in range(groups)]
    hops_of: list[list[float]] = [[] for _ in range(groups)]
    times: list[list[int]] = [[] for _ in range(groups)]
    for option, count in result.per_option.items():
        pid, b, mod = option_info[option]
        hops, length, _rank = path_info[pid]
        group = b * nmods + mod
        per_format[group] += count
        km[group].append(length)
        hops_of[group].append(hops)
        times[group].append(count)
    on_bw_core = result.on_bw_core
    on_core = [sum(on_bw_core[core::cores]) for core in range(cores)]
    lightpaths = sum(on_core)
    # Per request served (a sliced request once, on the path that carried it).
    request_hops: list[float] = []
    request_km: list[float] = []
    requests: list[int] = []
    path_index = [0] * table.k_paths
    for pid, count in result.routed_paths.items():
        hops, length, rank = path_info[pid]
        request_hops.append(hops)
        request_km.append(length)
        requests.append(count)
        path_index[rank] += count

    mods_used: dict[str, Any] = {}
    weights_dict: dict[str, Any] = {}
    for b, label in enumerate(labels):
        mods_used[label] = {}
        weights_dict[label] = {}
        for name in table.formats[b]:
            mod = names.index(name)
            group = b * nmods + mod
            mods_used[label][name] = per_format[group]
            weights_dict[label][name] = _stats(km[group], times[group], digits=None)
            if name not in mods_used:
                counts = list(chain.from_iterable(times[mod::nmods]))
                length_stats = _stats(list(chain.from_iterable(km[mod::nmods])), counts)
                hop_stats = _stats(list(chain.from_iterable(hops_of[mod::nmods])), counts)
                mods_used[name] = {
                    "length": {"overall": length_stats, BAND: length_stats.copy()},
                    "hop": {"overall": hop_stats, BAND: hop_stats.copy()},
                    # Lists, as FUSION leaves them with `snr_type = None`.
                    "snr": {"overall": [], BAND: []},
                    "xt_cost": {"overall": [], BAND: []},
                    BAND: sum(per_format[mod::nmods]),
                }
    link_usage = _link_usage(table, result)
    trans = round(lightpaths / result.accepted, 2) if result.accepted else 0.0
    hops_mean, hops_min, hops_max = _mean_min_max(request_hops, requests)
    lengths_mean, lengths_min, lengths_max = _mean_min_max(request_km, requests)
    routed = result.accepted > 0
    blocked = result.blocked
    reasons: dict[str, float | int]
    if blocked:  # FUSION's legacy path labels every blocked request "distance"
        reasons = {"distance": 1.0, "congestion": 0.0, "xt_threshold": 0.0}
    else:
        reasons = {"distance": 0, "congestion": 0, "xt_threshold": 0}
    return {
        "snapshots_dict": {},
        "cores_dict": {str(core): count for core, count in enumerate(on_core)},
        "weights_dict": weights_dict,
        "mods_used_dict": mods_used,
        "block_bw_dict": dict(zip(labels, result.blocked_by_bw, strict=True)),
        "link_usage_dict": link_usage,
        "demand_realization_ratio": {"overall": [], **{label: [] for label in labels}},
        "frag_dict": {},
        # Every lightpath set up is released within the iteration (FUSION runs each
        # iteration's departures to the end), each recorded as 100% used.
        "lp_bw_utilization_dict": {
            **{label: {BAND: {str(core): dict(FULL_USE if on_bw_core[b * cores + core]
                                              else NO_STATS)
                              for core in range(cores)}}
               for b, label in enumerate(labels)},
            "overall": dict(FULL_USE if lightpaths else NO_STATS),
        },
        "sim_lp_utilization_list": [100.0] if lightpaths else [],
        "block_reasons_dict": reasons,
        "sim_block_list": [],
        "sim_br_block_list": [],
        "trans_mean": trans,
        "trans_min": trans,
        "trans_max": trans,
        "hops_mean": hops_mean,
        "hops_min": hops_min,
        "hops_max": hops_max,
        "lengths_mean": lengths_mean,
        "lengths_min": lengths_min,
        "lengths_max": lengths_max,
        "route_times_mean": ROUTE_SECONDS if routed else None,
        "route_times_min": ROUTE_SECONDS if routed else None,
        "route_times_max": ROUTE_SECONDS if routed else None,
        "xt_mean": None,
        "xt_min": None,
        "xt_max": None,
        "snr_mean": None,
        "snr_min": None,
        "snr_max": None,
        "bands_list": [],
        "start_slot_list": [],
        "end_slot_list": [],
        "modulation_list": [],
        "bandwidth_list": [],
        "path_index_list": path_index,
        # No protection or failures are modelled: FUSION's values without them.
        "protection_switchovers": 0,
        "protection_failures": 0,
        "failure_induced_blocks": 0,
        "switchover_times": [],
    }


def _link_usage(table: RoutingTable, result: IterationResult) -> dict[str, dict[str, Any]]:
    """FUSION's link snapshot, both directions of each link alike: lightpaths set up
    (rolled-back slicing segments included), Gb/s x holding time of the requests
    released, FUSION's link number; {} when nothing was served (no snapshot was taken)."""
    if not result.link_usage:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for i, (name, reverse) in enumerate(zip(table.link_names, table.link_reverse_names,
                                            strict=True)):
        entry = {"usage_count": result.link_usage[i],
                 "throughput": result.link_throughput[i] or 0,
                 "link_num": table.link_numbers[i]}
        out[name] = entry
        out[reverse] = dict(entry)
    return out


def entry_text(keys: dict[str, Any]) -> EntryText:
    """`keys` (from `iteration_keys`) as the text the writer joins (see EntryText)."""
    names = list(keys)
    cut = names.index("sim_block_list")
    head = json.dumps({name: keys[name] for name in names[:cut]})[:-1]
    tail = json.dumps({name: keys[name] for name in names[cut + 2:]})[1:-1]
    utilisation = keys["sim_lp_utilization_list"]
    return EntryText(head, tail, json.dumps(keys["link_usage_dict"]),
                     utilisation[-1] if utilisation else None)
