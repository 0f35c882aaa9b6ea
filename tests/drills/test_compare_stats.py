"""`compare` and `convergence` on a real common-random-numbers sweep of the built-in
simulator (k paths x allocation x seeds, a small C band so that blocking is congestion, not
distance): the paired test over seeds and its interval equal SciPy's on the result
files' values, Holm over each load's tests, the baseline's differences and ratios, pooled
settings said, Welch when seeds only partly match, the spreads, the table, the seeds a
target width needs, FUSION's stop rule over iterations; bad input is one line, exit 2."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from helpers import Cli, poll_until

from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.comparison.table import percent_text
from fusion_tui.services import open_services

scipy_stats = pytest.importorskip("scipy.stats")

pytestmark = pytest.mark.xdist_group("compare_stats")  # one sweep for the whole file

SEEDS = (1, 2, 3)
CONGESTED = ["--set", "general_settings.num_requests=400", "--set", "spectrum_settings.c_band=48",
             "--set", 'general_settings.request_distribution={"50": 0.5, "100": 0.5}',
             "--set", "general_settings.erlang_start=100", "--set",
             "general_settings.erlang_stop=300", "--set", "general_settings.erlang_step=200",
             "--set", "general_settings.max_iters=4"]
K, ALLOC = "routing_settings.k_paths", "general_settings.allocation_method"


def _json(cli: Cli, settings: Settings, *args: str) -> Any:
    out = cli(settings, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, Any]]]:
    """A finished sweep: k_paths=1,3 x first_fit,best_fit x seeds 1-3, and its runs."""
    tmp = tmp_path_factory.mktemp("crn")
    settings = make_settings(tmp, f"sqlite:///{tmp / 'store.db'}",
                             simulator_command=DEFAULT_BUILTIN_COMMAND)
    svc = open_services(settings)
    try:
        svc.store.set_queue(max_concurrent=2)
        cli = Cli()
        made = _json(cli, settings, "sweep", "new", "-t", "minimal", "-n", "crn", "--grid",
                     f"{K}=1,3", "--grid", f"{ALLOC}=first_fit,best_fit", "--seeds", "1-3",
                     *CONGESTED)
        poll_until(lambda: _json(cli, settings, "sweep", "show", made["id"]),
                   lambda d: d["finished"] == d["total"], timeout=240, interval=0.5)
        made["runs"] = {r.id: r for r in svc.sweeps.store.runs(made["id"])}
        yield settings, made
    finally:
        svc.close()


def _value(run: Any, erlang: float) -> float:
    data = json.loads((Path(run.run_dir) / "output" / f"{erlang}_erlang.json").read_text())
    return float(data["blocking_mean"])


def _by_seed(made: dict[str, Any], group: dict[str, Any], erlang: float) -> dict[int, float]:
    """A group's mean per seed from the result files (its runs of one seed averaged)."""
    per: dict[int, list[float]] = {}
    for rid in group["runs"]:
        run = made["runs"][rid]
        per.setdefault(run.seed, []).append(_value(run, erlang))
    return {seed: statistics.fmean(vs) for seed, vs in per.items()}


def _holm(p: list[float]) -> list[float]:
    """Holm's adjusted p-values by their definition: max over the smaller ones of
    (m - rank) x p, capped at 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out = [0.0] * len(p)
    for rank, i in enumerate(order):
        out[i] = min(1.0, max((len(p) - r) * p[order[r]] for r in range(rank + 1)))
    return out


def test_groups_on_common_seeds_are_paired_and_holm_corrected(
        cli: Cli, sweep: tuple[Settings, dict[str, Any]]) -> None:
    settings, made = sweep
    compared = _json(cli, settings, "compare", made["id"])
    groups = {g["label"]: g for g in compared["groups"]}
    assert len(groups) == 4 and compared["baseline"] is None
    assert len(compared["tests"]) == 6 * 2  # all pairs of four groups, at two loads
    for erlang in (100.0, 300.0):
        tests = [t for t in compared["tests"] if t["erlang"] == erlang]
        for t in tests:
            a, b = _by_seed(made, groups[t["a"]], erlang), _by_seed(made, groups[t["b"]], erlang)
            assert sorted(a) == sorted(b) == list(SEEDS)
            ref = scipy_stats.ttest_rel([a[s] for s in SEEDS], [b[s] for s in SEEDS])
            low, high = ref.confidence_interval(0.95)
            assert t["test"] == "paired" and t["pairing"] == "paired (3 seeds)"
            assert t["effect_name"] == "d_z" and t["n"] == 3
            assert t["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
            assert t["ci95_low"] == pytest.approx(low, rel=1e-9)
            assert t["ci95_high"] == pytest.approx(high, rel=1e-9)
        assert [t["p_holm"] for t in tests] == pytest.approx(_holm([t["p_value"]
                                                                    for t in tests]))
    text = cli(settings, "compare", made["id"])
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "crn: blocking by k_paths, allocation_method"
    assert lines[1].startswith("Load (Erlang)  k_paths=1 allocation_method=first_fit")
    assert [line.split()[0] for line in lines[2:4]] == ["100", "300"]
    assert any("Holm-adjusted over all pairs" in line and "paired (3 seeds)" in line
               for line in lines)


def test_a_baseline_gives_differences_and_ratios_and_pooling_is_said(
        cli: Cli, sweep: tuple[Settings, dict[str, Any]]) -> None:
    settings, made = sweep
    compared = _json(cli, settings, "compare", made["id"], "--by", "k_paths",
                     "--baseline", "k_paths=1")
    assert compared["baseline"] == "k_paths=1"
    base, other = compared["groups"]
    assert base["pools"] == other["pools"] == {ALLOC: ["best_fit", "first_fit"]}
    for t in compared["tests"]:  # only against the baseline, one per load
        assert (t["a"], t["b"]) == ("k_paths=3", "k_paths=1")
        a, b = _by_seed(made, other, t["erlang"]), _by_seed(made, base, t["erlang"])
        ref = scipy_stats.ttest_rel([a[s] for s in SEEDS], [b[s] for s in SEEDS])
        assert t["p_value"] == pytest.approx(ref.pvalue, rel=1e-9) == t["p_holm"]
        base_mean = next(p["mean"] for p in base["points"] if p["erlang"] == t["erlang"])
        assert t["relative"] == pytest.approx([t["difference"] / base_mean,
                                               t["ci95_low"] / base_mean,
                                               t["ci95_high"] / base_mean])
        assert t["difference"] < 0  # three paths block less than one on this network
    text = cli(settings, "compare", made["id"], "--by", "k_paths", "--baseline", "k_paths=1")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "baseline; pools allocation_method=best_fit,first_fit" in lines[2]
    for t in compared["tests"]:
        row = lines.index(next(line for line in lines if line.startswith(f"{t['erlang']:g} ")))
        assert lines[row + 1].startswith("  vs baseline")
        assert lines[row + 1].endswith(percent_text(*t["relative"]))
    assert any(line.startswith("G1  k_paths=1  (6 runs)  [baseline]  pools allocation_method="
                               "best_fit,first_fit") for line in lines)


def test_partly_shared_seeds_fall_back_to_welch_and_say_so(
        cli: Cli, sweep: tuple[Settings, dict[str, Any]]) -> None:
    settings, made = sweep
    runs = made["runs"].values()

    def pick(k: str, seeds: tuple[int, ...]) -> list[Any]:
        return [r for r in runs if json.loads(r.point_json)[K] == k
                and json.loads(r.point_json)[ALLOC] == "first_fit" and r.seed in seeds]
    one, three = pick("1", SEEDS), pick("3", (1, 2))
    compared = _json(cli, settings, "compare", *(r.id for r in one + three))
    assert compared["group_by"] == [K]
    for t in compared["tests"]:
        ref = scipy_stats.ttest_ind([_value(r, t["erlang"]) for r in one],
                                    [_value(r, t["erlang"]) for r in three], equal_var=False)
        low, high = ref.confidence_interval(0.95)
        assert t["test"] == "welch" and t["pairing"] == "Welch (seeds overlap partly: 2 of 3)"
        assert t["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
        assert (t["ci95_low"], t["ci95_high"]) == (pytest.approx(low, rel=1e-9),
                                                   pytest.approx(high, rel=1e-9))
        assert t["effect_name"] == "d"


def test_spreads_are_sd_and_min_max_of_the_runs(
        cli: Cli, sweep: tuple[Settings, dict[str, Any]]) -> None:
    settings, made = sweep
    for spread in ("sd", "minmax"):
        compared = _json(cli, settings, "compare", made["id"], "--spread", spread)
        assert compared["spread"] == spread
        for group in compared["groups"]:
            for p in group["points"]:
                values = [_value(made["runs"][rid], p["erlang"]) for rid in group["runs"]]
                mean, sd = statistics.fmean(values), statistics.stdev(values)
                want = (max(0.0, mean - sd), mean + sd) if spread == "sd" else \
                    (min(values), max(values))
                assert (p["spread_low"], p["spread_high"]) == pytest.approx(want)
        long = cli(settings, "compare", made["id"], "--spread", spread, "--long")
        assert ("MIN-MAX" if spread == "minmax" else "MEAN +- 1 SD") in long.stdout


def test_target_width_says_how_many_more_seeds(
        cli: Cli, sweep: tuple[Settings, dict[str, Any]]) -> None:
    settings, made = sweep
    compared = _json(cli, settings, "compare", made["id"], "--target-width", "0.05")
    groups = {g["label"]: g for g in compared["groups"]}
    assert len(compared["seeds_for_width"]) == 4 * 2
    for row in compared["seeds_for_width"]:
        values = [_value(made["runs"][rid], row["erlang"]) for rid in groups[row["group"]]["runs"]]
        mean, sd = statistics.fmean(values), statistics.stdev(values)

        def width(n: int, mean: float = mean, sd: float = sd) -> float:
            return float(2 * scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) / mean)
        assert row["seeds"] == 3 and row["relative_width"] == pytest.approx(width(3))
        n = row["seeds_needed"]
        assert width(n) <= 0.05 < width(n - 1) and row["more_seeds"] == max(0, n - 3)
    text = cli(settings, "compare", made["id"], "--target-width", "0.05")
    assert "seeds for a 95% interval under 0.05 x the mean" in text.stdout


def test_convergence_of_a_run_follows_its_iterations_and_fusions_stop_rule(
        cli: Cli, sweep: tuple[Settings, dict[str, Any]]) -> None:
    settings, made = sweep
    run = next(iter(made["runs"].values()))
    shown = _json(cli, settings, "convergence", run.id)
    assert shown["stop_percent"] == 5.0 and len(shown["series"]) == 2
    for series in shown["series"]:
        data = json.loads((Path(run.run_dir) / "output" /
                           f"{series['erlang']}_erlang.json").read_text())
        last = data["iter_stats"][str(len(data["iter_stats"]) - 1)]
        values = last["sim_block_list"]
        assert series["over"] == "iterations" and len(series["steps"]) == len(values)
        stop = None
        for k, step in enumerate(series["steps"], 1):
            head = values[:k]
            assert step["mean"] == pytest.approx(statistics.fmean(head))
            if k >= 2:
                percent = 2 * 1.645 * statistics.stdev(head) / math.sqrt(k) / \
                    statistics.fmean(head) * 100
                assert step["fusion_ci_percent"] == pytest.approx(percent)
                if stop is None and percent <= 5:
                    stop = k
        assert series["fusion_stop_iteration"] == stop
        # The built-in simulator stops a load by the same rule: where it stopped early,
        # that is the first iteration the rule holds.
        if len(values) < 4:
            assert stop == len(values)
    text = cli(settings, "convergence", made["id"], "--by", "k_paths")
    assert text.returncode == 0 and "k_paths=1  at 100 Erlang  (over runs;" in text.stdout
    same = cli(settings, "compare", made["id"], "--by", "k_paths", "--convergence")
    assert same.stdout == text.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "no_such_key"], "--by 'no_such_key': not a setting of these runs"),
    (["--baseline", "k_paths=7"], "--baseline 'k_paths=7': matches no group (groups: "),
    (["--baseline", "allocation_method=first_fit"],
     "--baseline 'allocation_method=first_fit': matches 2 groups"),
    (["--by", "k_paths", "--baseline", "c_band=48"],
     "--baseline 'c_band=48': 'c_band' is not a grouping key (grouped by k_paths)"),
    (["--baseline", "first_fit"], "--baseline 'first_fit': expected key=value"),
    (["--target-width", "0"], "--target-width 0: expected a relative width above 0"),
])
def test_bad_compare_input_is_one_line_and_exit_2(
        cli: Cli, sweep: tuple[Settings, dict[str, Any]], args: list[str], message: str) -> None:
    settings, made = sweep
    out = cli(settings, "compare", made["id"], *args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(f"fusion-tui: {message}") and out.stderr.count("\n") == 1
