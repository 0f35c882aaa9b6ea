"""The result file holds every key FUSION 6.1 writes, in FUSION's units and meaning
(facts: /work/infra/fusion61_metrics.md section 4), computed from what the simulation
did: small cases where every number is known, then the file `fusion-tui-sim` writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import run_sim, write_config

from fusion_tui.sim.engine import IterationResult, RoutingTable, simulate_iteration
from fusion_tui.sim.iteration_keys import FULL_USE, NO_STATS, entry_text, iteration_keys
from fusion_tui.sim.modulation import ModulationTable
from fusion_tui.sim.stats import PointStats
from fusion_tui.sim.topology import load_topology, with_fusion_numbers

# Every key FUSION 6.1 writes at the top level and in each iteration, in its order.
TOP_LEVEL = ["iter_stats", "link_usage", "blocking_mean", "blocking_variance",
             "ci_rate_block", "ci_percent_block", "bit_rate_blocking_mean",
             "bit_rate_blocking_variance", "ci_rate_bit_rate_block",
             "ci_percent_bit_rate_block", "lightpath_utilization", "sim_end_time"]
PER_ITERATION = [
    "snapshots_dict", "cores_dict", "weights_dict", "mods_used_dict", "block_bw_dict",
    "link_usage_dict", "demand_realization_ratio", "frag_dict", "lp_bw_utilization_dict",
    "sim_lp_utilization_list", "block_reasons_dict", "sim_block_list", "sim_br_block_list",
    "trans_mean", "trans_min", "trans_max", "hops_mean", "hops_min", "hops_max",
    "lengths_mean", "lengths_min", "lengths_max", "route_times_mean", "route_times_min",
    "route_times_max", "xt_mean", "xt_min", "xt_max", "snr_mean", "snr_min", "snr_max",
    "bands_list", "start_slot_list", "end_slot_list", "modulation_list", "bandwidth_list",
    "path_index_list", "protection_switchovers", "protection_failures",
    "failure_induced_blocks", "switchover_times"]
ONE_VALUE = {"mean": 100.0, "std": 0.0, "min": 100.0, "max": 100.0}


def _table(c_band: int, requests: int, shares: tuple[float, float, float] = (0, 0, 1.0),
           reach_200: float = 1e5, max_segments: int = 4) -> RoutingTable:
    """200 Gb/s whole in 7 slots, or as 2 x 100 Gb/s (3 slots each) or 4 x 50 Gb/s (1
    slot each), on one 100 km link."""
    return RoutingTable.build(
        load_topology("single_link"),
        ModulationTable({50: [("QPSK", 1e5, 1)], 100: [("QPSK", 1e5, 3)],
                         200: [("QPSK", reach_200, 7)]}),
        k_paths=1, cores=1, c_band=c_band, guard_slots=0, bandwidths=(50.0, 100.0, 200.0),
        probabilities=shares, num_requests=requests, max_segments=max_segments)


def _run(table: RoutingTable, requests: int, erlang: float = 1e6,
         seed: str = "keys") -> tuple[IterationResult, dict[str, Any]]:
    result = simulate_iteration(table, erlang=erlang, holding_time=1.0,
                                num_requests=requests, allocation="first_fit", seed=seed,
                                check=True)
    return result, iteration_keys(table, result)


def test_a_request_sliced_after_a_failed_try_in_every_key() -> None:
    """Two 200 Gb/s requests, nothing departs: the first whole, the second as 4 x 50 Gb/s
    after 2 x 100 Gb/s failed at its second segment (one segment placed, rolled back)."""
    result, keys = _run(_table(c_band=11, requests=2), 2)
    assert list(keys) == PER_ITERATION
    assert keys["cores_dict"] == {"0": 5}
    assert keys["mods_used_dict"] == {
        "50": {"QPSK": 4},
        "QPSK": {"length": {"overall": ONE_VALUE, "c": ONE_VALUE},
                 "hop": {"overall": {"mean": 1.0, "std": 0.0, "min": 1.0, "max": 1.0},
                         "c": {"mean": 1.0, "std": 0.0, "min": 1.0, "max": 1.0}},
                 "snr": {"overall": [], "c": []}, "xt_cost": {"overall": [], "c": []},
                 "c": 5},
        "100": {"QPSK": 0},
        "200": {"QPSK": 1}}
    assert keys["weights_dict"] == {"50": {"QPSK": ONE_VALUE}, "100": {"QPSK": NO_STATS},
                                    "200": {"QPSK": ONE_VALUE}}
    assert keys["trans_mean"] == keys["trans_max"] == 2.5  # 5 lightpaths, 2 requests
    assert (keys["hops_mean"], keys["hops_min"], keys["lengths_mean"]) == (1.0, 1.0, 100.0)
    assert keys["path_index_list"] == [2]
    assert keys["block_bw_dict"] == {"50": 0, "100": 0, "200": 0}
    # Nothing blocked (the bit rate is, FUSION 6.1's rule): integer zeros, as FUSION.
    assert keys["block_reasons_dict"] == {"distance": 0, "congestion": 0, "xt_threshold": 0}
    assert keys["lp_bw_utilization_dict"] == {
        "50": {"c": {"0": FULL_USE}}, "100": {"c": {"0": NO_STATS}},
        "200": {"c": {"0": FULL_USE}}, "overall": FULL_USE}
    assert keys["sim_lp_utilization_list"] == [100.0]
    # Lightpaths set up: 1 + 4, and the rolled-back segment; nothing released yet.
    assert keys["link_usage_dict"] == {
        "A-B": {"usage_count": 6, "throughput": 0, "link_num": None},
        "B-A": {"usage_count": 6, "throughput": 0, "link_num": None}}
    assert keys["route_times_mean"] == 0.0 and keys["xt_mean"] is None
    assert keys["demand_realization_ratio"] == {"overall": [], "50": [], "100": [],
                                                "200": []}
    assert result.sliced_late == 1


def test_rollbacks_after_the_last_served_request_are_not_in_the_snapshot() -> None:
    """Three 200 Gb/s requests: two whole, the third blocked after placing (and rolling
    back) 1 + 3 segments. FUSION's snapshot was taken at the second: usage 2."""
    result, keys = _run(_table(c_band=17, requests=3), 3)
    assert (result.blocked, result.accepted) == (1, 2)
    assert keys["link_usage_dict"]["A-B"]["usage_count"] == 2
    assert keys["block_reasons_dict"] == {"distance": 1.0, "congestion": 0.0,
                                          "xt_threshold": 0.0}
    assert keys["block_bw_dict"] == {"50": 0, "100": 0, "200": 1}
    assert keys["trans_mean"] == 1.0


@pytest.mark.parametrize("seed", [str(s) for s in range(24)])
def test_throughput_counts_departures_up_to_the_last_served_arrival(seed: str) -> None:
    """One 50 Gb/s request (served) and one 200 Gb/s that reaches nowhere, far apart: in
    whichever order they come, nothing has departed when the last served one arrives."""
    table = _table(c_band=8, requests=2, shares=(0.5, 0, 0.5), reach_200=1.0, max_segments=1)
    result, keys = _run(table, 2, erlang=1e-4, seed=seed)
    assert (result.blocked, result.accepted) == (1, 1)
    assert keys["link_usage_dict"]["A-B"] == {"usage_count": 1, "throughput": 0,
                                              "link_num": None}


def test_throughput_is_gbps_times_holding_time_of_released_requests() -> None:
    """Low load on one link, everything served and released before the next arrival:
    the throughput over the Gb/s served is the mean holding time (1.0)."""
    table = _table(c_band=64, requests=20_000, shares=(0.5, 0.5, 0.0))
    result, keys = _run(table, 20_000, erlang=0.01)
    served_gbps = 10_000 * 50 + 10_000 * 100
    link = keys["link_usage_dict"]["A-B"]
    assert result.blocked == 0 and link["usage_count"] == 20_000
    assert link["throughput"] / served_gbps == pytest.approx(1.0, abs=0.03)


def test_nothing_served_gives_fusions_nulls_and_empty_snapshot() -> None:
    table = _table(c_band=8, requests=2, reach_200=1.0, max_segments=1)
    result, keys = _run(table, 2)
    assert result.accepted == 0
    assert keys["link_usage_dict"] == {}
    assert keys["hops_mean"] is keys["lengths_max"] is keys["route_times_min"] is None
    assert keys["trans_mean"] == 0.0 and keys["path_index_list"] == [0]
    assert keys["sim_lp_utilization_list"] == [] and keys["cores_dict"] == {"0": 0}
    assert keys["lp_bw_utilization_dict"]["overall"] == NO_STATS
    point = PointStats(1.0)
    result.fusion = entry_text(keys)
    point.add(result)
    doc = json.loads(point.fusion_text("0101_00_00_00_000000", {}))
    assert doc["lightpath_utilization"] is None and doc["link_usage"] == {}


def test_the_file_holds_every_fusion_key(tmp_path: Path) -> None:
    """What `fusion-tui-sim` writes: FUSION's keys in FUSION's order and units, ours
    under `fusion_tui`; the top level's link snapshot and utilisation are the last
    iteration's, its time FUSION's local `MMDD_HH_MM_SS_micro`."""
    config = write_config(tmp_path, **{"general_settings.max_iters": "3",
                                       "general_settings.max_segments": "4",
                                       "topology_settings.cores_per_link": "3",
                                       "routing_settings.k_paths": "3",
                                       "spectrum_settings.c_band": "48",
                                       "builtin_settings.early_stop": "False"})
    result = run_sim(config, tmp_path, "--workers", "2")
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "output" / "600.0_erlang.json").read_text())
    assert list(doc) == [*TOP_LEVEL, "fusion_tui"]
    assert re.fullmatch(r"\d{4}_\d{2}_\d{2}_\d{2}_\d{6}", doc["sim_end_time"])
    assert doc["lightpath_utilization"] == 100.0
    assert list(doc["iter_stats"]) == ["0", "1", "2"]
    for i, entry in doc["iter_stats"].items():
        assert list(entry) == [*PER_ITERATION, "fusion_tui"]
        assert len(entry["sim_block_list"]) == int(i) + 1
        assert len(entry["path_index_list"]) == 3
        assert set(entry["cores_dict"]) == {"0", "1", "2"}
        ours = entry["fusion_tui"]
        assert sum(entry["block_bw_dict"].values()) == ours["blocked"] > 0
        assert entry["block_reasons_dict"]["distance"] == 1.0
        served = ours["requests"] - ours["blocked"]
        assert sum(entry["path_index_list"]) == served
        lightpaths = sum(entry["cores_dict"].values())
        assert entry["trans_mean"] == round(lightpaths / served, 2) > 1.0  # slicing
        assert sum(entry["mods_used_dict"][f]["c"] for f in ("QPSK", "16-QAM", "64-QAM")) \
            == lightpaths
        assert len(entry["link_usage_dict"]) == 44
    assert doc["link_usage"] == doc["iter_stats"]["2"]["link_usage_dict"]
    ours = doc["fusion_tui"]
    assert ours["iterations"] == 3 and ours["blocking_mean"] == doc["blocking_mean"]


def test_link_numbers_of_a_shipped_network_come_from_fusions_own_file(
        tmp_path: Path) -> None:
    """FUSION numbers the lines of its topology file; for a network we ship, the number
    is known when a FUSION checkout holds that file (we do not ship it)."""
    nsfnet = load_topology("NSFNet")
    assert nsfnet.link_numbers == () and nsfnet.fusion_file == "data/raw/nsf_network.txt"
    assert with_fusion_numbers(nsfnet, (tmp_path,)) is nsfnet  # no checkout: unknown
    raw = tmp_path / "data" / "raw" / "nsf_network.txt"
    raw.parent.mkdir(parents=True)
    lines = [f"{nsfnet.labels[u]}\t{nsfnet.labels[v]}\t{km:g}" for u, v, km in nsfnet.links]
    lines += [f"{nsfnet.labels[v]}\t{nsfnet.labels[u]}\t{km:g}"
              for u, v, km in nsfnet.links[:5]]  # five links listed both ways, at the end
    raw.write_text("\n".join(lines) + "\n")
    numbered = with_fusion_numbers(nsfnet, (tmp_path,))
    assert numbered.link_numbers == (*range(23, 28), *range(6, 23))
    raw.write_text("\n".join(lines[:-6]) + "\n")  # a link missing: not FUSION's network
    assert with_fusion_numbers(nsfnet, (tmp_path,)).link_numbers == ()


def test_the_file_is_json_with_one_line_per_key_and_iteration() -> None:
    """The text the writer joins parses as the document it stands for, with or without
    FUSION's keys for an iteration, and under `is_training` FUSION's statistics are null."""
    point = PointStats(300.0)
    point.add(IterationResult(requests=10, blocked=1, offered_bw=100.0, blocked_bw=20.0))
    result, keys = _run(_table(c_band=11, requests=2), 2)
    result.fusion = entry_text(keys)
    point.add(result)
    text = point.fusion_text("1207_11_30_23_177569", {"seed": 3}, statistics=False)
    doc = json.loads(text)
    # braces, iter_stats (its line, one per iteration, its close), the other keys, ours
    assert len(text.splitlines()) == 2 + (1 + 2 + 1) + (len(TOP_LEVEL) - 1) + 1
    assert doc["iter_stats"]["0"] == {
        "sim_block_list": [0.1], "sim_br_block_list": [0.2],
        "fusion_tui": {"requests": 10, "blocked": 1, "blocked_distance": 0,
                       "blocked_congestion": 0, "sliced": 0, "sliced_after_failed_try": 0}}
    assert doc["iter_stats"]["1"] == {**keys, "sim_block_list": [0.1, 0.0],
                                      "sim_br_block_list": [0.2, 0.5],
                                      "fusion_tui": doc["iter_stats"]["1"]["fusion_tui"]}
    assert doc["blocking_mean"] is None and doc["fusion_tui"]["blocking_mean"] == 0.05
    assert doc["link_usage"] == keys["link_usage_dict"] and doc["fusion_tui"]["seed"] == 3
