"""The built-in simulator: statistics against Erlang-B, load behaviour, invariants,
determinism, bad configurations, signals and output formats. Real processes."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import alive, poll_until
from sim_helpers import events, run_sim, summary, write_config

from fusion_tui.sim.engine import InvariantError, RoutingTable, _check, simulate_iteration
from fusion_tui.sim.modulation import DEFAULT_TABLE, ModulationTable
from fusion_tui.sim.stats import ci_half_width, mean_variance
from fusion_tui.sim.topology import load_topology


def erlang_b(load: float, channels: int) -> float:
    """Erlang-B blocking by the stable recursion B(A,c) = A B(A,c-1) / (c + A B(A,c-1))."""
    b = 1.0
    for c in range(1, channels + 1):
        b = load * b / (c + load * b)
    return b


def single_link_table(slots: int, requests: int = 20_000) -> RoutingTable:
    return RoutingTable.build(load_topology("single_link"), ModulationTable(DEFAULT_TABLE),
                              k_paths=1, cores=1, c_band=slots, guard_slots=0,
                              bandwidths=(25.0,), probabilities=(1.0,), num_requests=requests)


@pytest.mark.parametrize("load", [8.0, 12.0, 16.0])
def test_single_link_matches_erlang_b(load: float) -> None:
    table = single_link_table(16)
    # Erlang-B is the steady state: this test opts into our warm-up (FUSION has none).
    blocking = [simulate_iteration(table, erlang=load, holding_time=1.0, num_requests=20_000,
                                   allocation="first_fit", seed=f"erlang-b:{load}:{i}",
                                   warmup=20_000).blocking
                for i in range(20)]
    mean, _ = mean_variance(blocking)
    ci = ci_half_width(blocking)
    assert ci is not None
    expected = erlang_b(load, 16)
    assert abs(mean - expected) <= ci, (mean, ci, expected)
    assert ci / mean < 0.1, "the interval must be tight enough to mean something"


def test_erlang_b_recursion() -> None:
    assert erlang_b(1.0, 1) == pytest.approx(0.5)
    assert erlang_b(2.0, 2) == pytest.approx(0.4)


def _nsfnet_blocking(tmp: Path, k: int, loads: list[int], seed: int = 7) -> list[float]:
    config = write_config(tmp, **{
        "general_settings.erlang_start": str(loads[0]),
        "general_settings.erlang_stop": str(loads[-1]),
        "general_settings.erlang_step": str(loads[1] - loads[0]),
        "general_settings.max_iters": "3", "general_settings.num_requests": "4000",
        "general_settings.request_distribution": '{"50": 0.3, "100": 0.5, "200": 0.2}',
        "routing_settings.k_paths": str(k), "topology_settings.cores_per_link": "1",
    })
    result = run_sim(config, tmp, "--seed", str(seed), "--workers", "2")
    assert result.returncode == 0, result.stderr
    return [float(row["blocking_mean"]) for row in summary(tmp)]


def test_blocking_rises_with_load_and_more_paths_help(tmp_path: Path) -> None:
    loads = [300, 450, 600, 750, 900]
    one = _nsfnet_blocking(tmp_path / "k1", 1, loads)
    three = _nsfnet_blocking(tmp_path / "k3", 3, loads)
    assert all(b > a for a, b in itertools.pairwise(one)), one
    assert all(b > a for a, b in itertools.pairwise(three)), three
    assert one[0] > 0
    assert sum(three) / len(three) <= sum(one) / len(one)


@pytest.mark.parametrize("allocation", ["first_fit", "best_fit", "last_fit"])
def test_invariants_hold_after_every_event(allocation: str) -> None:
    table = RoutingTable.build(load_topology("NSFNet"), ModulationTable(DEFAULT_TABLE),
                               k_paths=2, cores=2, c_band=48, guard_slots=1,
                               bandwidths=(25.0, 100.0, 400.0), probabilities=(0.3, 0.5, 0.2),
                               num_requests=1500, fallback=True, max_segments=4)
    result = simulate_iteration(table, erlang=60.0, holding_time=1.0, num_requests=1500,
                                allocation=allocation, seed="inv", check=True)
    assert 0 < result.blocked < result.requests


def test_invariant_check_detects_double_booking() -> None:
    with pytest.raises(InvariantError, match="double-booked"):
        _check([0b11], {1: [((0,), 0b01)], 2: [((0,), 0b11)]})
    with pytest.raises(InvariantError, match="differs"):
        _check([0b10], {1: [((0,), 0b01)]})


def test_allocation_methods_place_where_they_say() -> None:
    table = single_link_table(8, requests=50)
    for allocation in ("first_fit", "last_fit", "best_fit"):
        result = simulate_iteration(table, erlang=0.01, holding_time=1.0, num_requests=50,
                                    allocation=allocation, seed="x", check=True)
        assert result.blocked == 0


def test_same_seed_same_results_with_one_or_two_workers(tmp_path: Path) -> None:
    config = write_config(tmp_path, **{"general_settings.max_iters": "4",
                                       "general_settings.erlang_stop": "900"})
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        result = run_sim(config, out, "--workers", workers, "--seed", "11")
        assert result.returncode == 0, result.stderr
        doc = json.loads((out / "output" / "600.0_erlang.json").read_text())
        outputs.append(((out / "output" / "summary.csv").read_text(),
                        doc["iter_stats"]["3"]["sim_block_list"], doc["link_usage"]))
    assert outputs[0] == outputs[1]
    other = run_sim(config, tmp_path / "other", "--seed", "12")
    assert other.returncode == 0
    assert (tmp_path / "other" / "output" / "summary.csv").read_text() != outputs[0][0]


BAD = [
    ({"general_settings.erlang_stop": "100"},
     "[general_settings] erlang_stop: must not be below erlang_start"),
    ({"general_settings.erlang_step": "0"}, "[general_settings] erlang_step: must be greater"),
    ({"general_settings.max_iters": "-2"}, "[general_settings] max_iters: must be at least 1"),
    ({"general_settings.num_requests": "many"},
     "[general_settings] num_requests: expected an integer"),
    ({"general_settings.allocation_method": "worst_fit"},
     "[general_settings] allocation_method: expected one of"),
    ({"topology_settings.network": "Atlantis"},
     "[topology_settings] network: unknown network 'Atlantis'"),
    ({"general_settings.request_distribution": '{"300": 1.0}'},
     "[general_settings] request_distribution: 300 Gb/s is not in the modulation set"),
    ({"general_settings.num_requests": "999"},
     "[general_settings] request_distribution: the shares give 997 of 999 requests"),
    ({"snr_settings.snr_type": "xt_calculation"},
     "[snr_settings] snr_type: the built-in simulator does not implement SNR checks"),
    ({"general_settings.is_grooming_enabled": "True"},
     "[general_settings] is_grooming_enabled: the built-in simulator does not implement"),
    ({"topology_settings.is_only_core_node": "False"},
     "[topology_settings] is_only_core_node: the built-in simulator does not implement"),
    ({"general_settings.seed": "3"},
     "[general_settings] seed: a fusion-tui key, not FUSION's: it is now [builtin_settings]"),
    ({"general_settings.mod_assumption_path": "data/no/such.json"},
     "[general_settings] mod_assumption_path: 'data/no/such.json' not found"),
    ({"general_settings.route_method": "least_congested"},
     "[general_settings] route_method: only k_shortest_path"),
    ({"spectrum_settings.c_band": "None"}, "[spectrum_settings] c_band: missing required key"),
]


@pytest.mark.parametrize("changes,message", BAD, ids=[m[:45] for _, m in BAD])
def test_bad_configs_exit_2_with_one_line(
        tmp_path: Path, changes: dict[str, str], message: str) -> None:
    result = run_sim(write_config(tmp_path, **changes), tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"fusion-tui-sim: {message}" + result.stderr.split(message, 1)[1]
    assert result.stderr.count("\n") == 1
    assert events(tmp_path)[-1]["type"] == "error"


def test_unparsable_config_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("[general_settings\n")
    result = run_sim(bad, tmp_path)
    assert result.returncode == 2 and "cannot parse INI" in result.stderr


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_within_a_second_and_keeps_results(
        tmp_path: Path, sig: int, code: int) -> None:
    config = write_config(tmp_path, **{"general_settings.max_iters": "500",
                                       "general_settings.num_requests": "20000",
                                       "builtin_settings.early_stop": "False"})
    out = tmp_path / "output"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
         "--progress_file", str(tmp_path / "progress.jsonl"), "--output_dir", str(out),
         "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    poll_until(lambda: (out / "300.0_erlang.json").exists(), bool, timeout=60)
    os.kill(proc.pid, sig)
    began = time.monotonic()
    proc.wait(timeout=10)
    assert time.monotonic() - began < 1.0
    assert proc.returncode == code
    doc = json.loads((out / "300.0_erlang.json").read_text())
    assert doc["fusion_tui"]["iterations"] >= 1 and "blocking_mean" in doc
    assert events(tmp_path)[-1]["type"] == "error"
    assert events(tmp_path)[-1]["message"] == "cancelled"

    def leftovers() -> list[int]:
        group = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True)
        return [int(p) for p in group.stdout.split() if alive(int(p))]

    poll_until(leftovers, lambda pids: not pids, timeout=1.0)


def test_sigterm_stops_a_long_compiled_iteration_within_a_second(tmp_path: Path) -> None:
    """One worker, the compiled engine, one iteration of 50 million requests (seconds of
    machine code): SIGTERM is handled at once, not when the iteration ends."""
    pytest.importorskip("numba")
    config = write_config(tmp_path, **{"general_settings.max_iters": "1",
                                       "general_settings.num_requests": "50000000",
                                       "builtin_settings.engine": "compiled"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
         "--progress_file", str(tmp_path / "progress.jsonl"), "--output_dir",
         str(tmp_path / "output"), "--workers", "1"], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True)
    # In the iteration: its load has started, and since then the process has spent
    # half a second of CPU (the iteration needs many).
    poll_until(lambda: (tmp_path / "progress.jsonl").exists()
               and any(e["type"] == "erlang_start" for e in events(tmp_path)), bool,
               timeout=120)
    simulator = psutil.Process(proc.pid)
    started = simulator.cpu_times().user
    poll_until(lambda: simulator.cpu_times().user - started, lambda cpu: cpu >= 0.5,
               timeout=60)
    os.kill(proc.pid, signal.SIGTERM)
    began = time.monotonic()
    proc.wait(timeout=60)
    assert time.monotonic() - began < 1.0
    assert proc.returncode == 143
    assert events(tmp_path)[-1] == {**events(tmp_path)[-1], "type": "error",
                                    "message": "cancelled"}


def test_sigterm_stops_a_first_compilation_within_a_second(tmp_path: Path) -> None:
    """The compiled engine's first compilation (an empty numba cache) takes seconds, much
    of them in LLVM: SIGTERM during it is handled at once, at any of several moments
    (then the iteration, of 50 million requests, is still running at the last ones)."""
    pytest.importorskip("numba")
    config = write_config(tmp_path, **{"builtin_settings.engine": "compiled",
                                       "general_settings.max_iters": "1",
                                       "general_settings.num_requests": "50000000"})
    slow = []
    for cpu_seconds in (0.5, 1.0, 1.5, 2.0, 2.5):
        out = tmp_path / f"at-{cpu_seconds}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
             "--output_dir", str(out), "--workers", "1"], stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True,
            env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / f"cache-{cpu_seconds}")})
        simulator = psutil.Process(proc.pid)
        while sum(simulator.cpu_times()[:2]) < cpu_seconds:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGTERM)
        began = time.monotonic()
        proc.wait(timeout=60)
        if time.monotonic() - began >= 1.0:
            slow.append(cpu_seconds)
        assert proc.returncode == 143, (cpu_seconds, proc.stderr.read() if proc.stderr else "")
    assert slow == [], f"still running 1 s after SIGTERM at {slow} s of CPU"


def test_outputs_and_progress_events(tmp_path: Path) -> None:
    config = write_config(tmp_path, **{"general_settings.max_iters": "3",
                                       "topology_settings.cores_per_link": "2",
                                       "routing_settings.k_paths": "2",
                                       "builtin_settings.early_stop": "False"})
    result = run_sim(config, tmp_path, "--workers", "1")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "output"
    assert sorted(p.name for p in out.iterdir()) == [
        "300.0_erlang.json", "600.0_erlang.json", "summary.csv"]
    doc = json.loads((out / "300.0_erlang.json").read_text())
    for key in ("blocking_mean", "blocking_variance", "ci_rate_block", "ci_percent_block",
                "bit_rate_blocking_mean", "bit_rate_blocking_variance", "link_usage",
                "iter_stats", "lightpath_utilization", "sim_end_time"):
        assert key in doc
    assert len(doc["link_usage"]) == 44  # FUSION's: both directions of the 22 links
    assert set(doc["link_usage"]["0-1"]) == {"usage_count", "throughput", "link_num"}
    assert doc["link_usage"]["0-1"] == doc["link_usage"]["1-0"]
    last = doc["iter_stats"]["2"]
    assert len(last["sim_block_list"]) == 3 and len(last["sim_br_block_list"]) == 3
    reasons = last["block_reasons_dict"]
    assert set(reasons) == {"distance", "congestion", "xt_threshold"}
    assert sum(reasons.values()) == pytest.approx(1.0)  # fractions, as FUSION writes them
    assert last["fusion_tui"]["blocked"] == round(last["sim_block_list"][-1] * 1000)
    assert doc["blocking_mean"] == pytest.approx(sum(last["sim_block_list"]) / 3)
    rows = summary(tmp_path)
    assert [r["erlang"] for r in rows] == ["300", "600"]
    assert float(rows[0]["ci95_low"]) <= float(rows[0]["blocking_mean"]) \
        <= float(rows[0]["ci95_high"])
    blocking = last["sim_block_list"]
    mean = sum(blocking) / 3
    sd = (sum((b - mean) ** 2 for b in blocking) / 2) ** 0.5
    assert doc["ci_rate_block"] == pytest.approx(1.645 * sd / 3 ** 0.5)  # FUSION's 90%
    assert doc["ci_percent_block"] == pytest.approx(2 * doc["ci_rate_block"] / mean * 100)
    assert doc["fusion_tui"]["ci95_half_width"] > doc["ci_rate_block"]
    evs = events(tmp_path)
    assert [e["type"] for e in evs][:2] == ["start", "erlang_start"]
    assert evs[-1] == {**evs[-1], "type": "complete", "exit_code": 0}
    assert evs[0]["config"]["total_erlangs"] == 2 and evs[0]["config"]["total_iterations"] == 3
    its = [e for e in evs if e["type"] == "iteration"]
    assert [(e["erlang"], e["iteration"]) for e in its] == [
        (300.0, 1), (300.0, 2), (300.0, 3), (600.0, 1), (600.0, 2), (600.0, 3)]
    assert all("blocking_prob" in e["metrics"] and e["total_iterations"] == 3 for e in its)
    completes = [e for e in evs if e["type"] == "erlang_complete"]
    assert all({"mean_blocking", "ci_lower", "ci_upper"} <= set(e["metrics"]) for e in completes)
    assert "Iteration 3 out of 3 completed for Erlang: 600.0" in result.stdout
    assert "Starting simulation for 600.0 Erlang (load 2/2)" in result.stdout


@pytest.mark.parametrize("warmup", [0, 250])
def test_requests_simulated_are_counted_once(tmp_path: Path, warmup: int) -> None:
    """The log's count, the complete event's `requests` and its rate are the arrivals that
    were simulated: loads x iterations x (counted + warm-up), not twice the counted ones."""
    config = write_config(tmp_path, **{"general_settings.max_iters": "3",
                                       "general_settings.num_requests": "400",
                                       "builtin_settings.warmup_requests": str(warmup),
                                       "builtin_settings.early_stop": "False"})
    result = run_sim(config, tmp_path, "--workers", "1")
    assert result.returncode == 0, result.stderr
    expected = 2 * 3 * (400 + warmup)  # minimal.ini plans two loads
    assert [r["erlang"] for r in summary(tmp_path)] == ["300", "600"]
    done = events(tmp_path)[-1]
    assert done["type"] == "complete"
    assert done["summary"]["requests"] == expected
    rate, seconds = done["summary"]["requests_per_second"], done["summary"]["total_time_seconds"]
    assert rate * seconds == pytest.approx(expected, rel=0.05)
    assert f"Simulated {expected} requests in " in result.stdout


def test_early_stop_follows_fusions_rule(tmp_path: Path) -> None:
    """FUSION ends a load once its 90% interval is at most 5% of the mean; so do we,
    unless [builtin_settings] early_stop = False."""
    config = write_config(tmp_path, **{"general_settings.max_iters": "40",
                                       "general_settings.erlang_stop": "300",
                                       "topology_settings.cores_per_link": "1",
                                       "spectrum_settings.c_band": "128"})
    result = run_sim(config, tmp_path)
    assert result.returncode == 0, result.stderr
    iterations = int(summary(tmp_path)[0]["iterations"])
    assert 2 <= iterations < 40
    assert f"reached. {iterations}, ending for Erlang: 300.0" in result.stdout
    doc = json.loads((tmp_path / "output" / "300.0_erlang.json").read_text())
    assert doc["ci_percent_block"] <= 5.0
    blocking = doc["iter_stats"][str(iterations - 2)]["sim_block_list"]
    mean = sum(blocking) / len(blocking)
    sd = (sum((b - mean) ** 2 for b in blocking) / (len(blocking) - 1)) ** 0.5 \
        if len(blocking) > 1 else 0.0
    assert len(blocking) < 2 or 2 * 1.645 * sd / len(blocking) ** 0.5 / mean * 100 > 5.0
    off = write_config(tmp_path / "off", **{
        "general_settings.max_iters": "6", "general_settings.erlang_stop": "300",
        "topology_settings.cores_per_link": "1", "spectrum_settings.c_band": "128",
        "builtin_settings.early_stop": "False"})
    assert run_sim(off, tmp_path / "off").returncode == 0
    assert summary(tmp_path / "off")[0]["iterations"] == "6"


def test_fusion_topology_file(tmp_path: Path) -> None:
    topo = tmp_path / "ring.txt"
    topo.write_text("A\tB\t100\nB\tA\t100\nB\tC\t200\nC\tB\t200\nC\tA\t300\nA\tC\t300\n")
    config = write_config(tmp_path, **{"topology_settings.network": str(topo),
                                       "general_settings.max_iters": "1"})
    result = run_sim(config, tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "output" / "300.0_erlang.json").read_text())
    # Both directions; FUSION numbers its file's lines, a link taking its later line's.
    assert {name: entry["link_num"] for name, entry in doc["link_usage"].items()} == {
        "A-B": 2, "B-A": 2, "B-C": 4, "C-B": 4, "A-C": 6, "C-A": 6}
