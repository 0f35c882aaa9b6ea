"""The built-in simulator means what FUSION means by the same INI: no warm-up, exact
bandwidth quotas, fallback formats, static slicing, FUSION's modulation file sets and
path resolution, its network names; features it lacks are refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_helpers import run_sim, summary, write_config

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.config.templates import load_template
from fusion_tui.kinds.registry import kind_for
from fusion_tui.sim.config import sim_config
from fusion_tui.sim.engine import (
    IterationResult,
    RoutingTable,
    _place_sliced,
    simulate_iteration,
)
from fusion_tui.sim.modulation import DEFAULT_TABLE, ModulationTable
from fusion_tui.sim.topology import load_topology

MIX = (25.0, 50.0, 100.0, 200.0, 400.0)


def nsfnet(**changes: object) -> RoutingTable:
    args: dict[str, object] = dict(k_paths=2, cores=1, c_band=64, guard_slots=1,
                                   bandwidths=MIX, probabilities=(0.1, 0.1, 0.5, 0.2, 0.1),
                                   num_requests=2000)
    args.update(changes)
    return RoutingTable.build(load_topology("NSFNet"), ModulationTable(DEFAULT_TABLE),
                              **args)  # type: ignore[arg-type]


def test_each_iteration_offers_exact_bandwidth_quotas() -> None:
    table = nsfnet()
    for seed in ("a", "b", "c"):
        result = simulate_iteration(table, erlang=80.0, holding_time=1.0, num_requests=2000,
                                    allocation="first_fit", seed=seed)
        assert result.offered_bw == 200 * 25 + 200 * 50 + 1000 * 100 + 400 * 200 + 200 * 400


def test_no_warm_up_by_default_the_network_starts_empty() -> None:
    """16 slots, 16 one-slot requests at a huge load: all fit into an empty link."""
    table = RoutingTable.build(load_topology("single_link"), ModulationTable(DEFAULT_TABLE),
                               k_paths=1, cores=1, c_band=16, guard_slots=0,
                               bandwidths=(25.0,), probabilities=(1.0,), num_requests=16)
    cold = simulate_iteration(table, erlang=1e6, holding_time=1.0, num_requests=16,
                              allocation="first_fit", seed="w")
    warm = simulate_iteration(table, erlang=1e6, holding_time=1.0, num_requests=16,
                              allocation="first_fit", seed="w", warmup=100)
    assert cold.blocked == 0 and warm.blocked == 16


def test_fallback_formats_follow_the_best_one_on_each_path() -> None:
    short = nsfnet(fallback=True)
    best_only = nsfnet(fallback=False)
    pair = short.pairs.index((12, 13))  # 100 km: every format reaches
    b = MIX.index(100.0)
    names = [short.mod_names[short.info(o)[2]] for o in short.options[pair][b]]
    assert names[:3] == ["64-QAM", "16-QAM", "QPSK"]  # path 1, highest order first
    assert [o[4] for o in short.options[pair][b]][:3] == [short.options[pair][b][0][4]] * 3
    assert len(best_only.options[pair][b]) == 2  # one format on each of the 2 paths


def test_slicing_places_what_does_not_fit_whole() -> None:
    """Slots 0 and 2 free, 1 taken: 100 Gb/s needs 2 contiguous slots, two 50 Gb/s
    lightpaths of one slot each fit."""
    table = RoutingTable.build(load_topology("single_link"), ModulationTable(DEFAULT_TABLE),
                               k_paths=1, cores=1, c_band=3, guard_slots=0,
                               bandwidths=(25.0, 50.0, 100.0), probabilities=(0, 0, 1.0),
                               num_requests=10, max_segments=2)
    b = 2
    assert table.options[0][b][0][2] == 2
    slicings = table.slicings[0][b]
    assert [count for _opt, count in slicings[0]] == [2]  # 50 x 2; 25 x 4 > max_segments
    spec = [0b010]
    placed, taken, failed, rolled = _place_sliced(spec, slicings, 0b111)
    assert placed is not None and [mask for _, mask in taken] == [0b001, 0b100]
    assert (failed, rolled) == (False, [])
    assert spec == [0b111]
    assert _place_sliced([0b010], table.slicings[0][b][:0], 0b111)[0] is None
    assert table.slicings[0][0] == ()  # FUSION never slices 25 Gb/s


def test_slicing_lowers_blocking_and_is_counted() -> None:
    kwargs = dict(erlang=60.0, holding_time=1.0, num_requests=2000, allocation="first_fit",
                  seed="s", check=True)
    whole = simulate_iteration(nsfnet(), **kwargs)  # type: ignore[arg-type]
    sliced = simulate_iteration(nsfnet(max_segments=4), **kwargs)  # type: ignore[arg-type]
    assert sliced.sliced > 0 and whole.sliced == 0
    assert sliced.blocked < whole.blocked


def _sections(name: str) -> dict[str, dict[str, str]]:
    return load_template(name, [shipped_templates_dir()])[1]


def test_fusions_own_template_runs_unchanged_in_the_builtin(tmp_path: Path) -> None:
    config = sim_config(_sections("fusion"), tmp_path)
    assert config.max_segments == 4 and config.fallback_formats and config.early_stop
    assert config.bandwidths == MIX and config.warmup_requests == 0
    kind_for("builtin").validate(_sections("fusion"), tmp_path)


def test_modulation_sets_and_paths_resolve_like_fusion(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sections = _sections("fusion")
    shipped = sim_config(sections, tmp_path)
    assert shipped.modulation.formats[100.0][0] == ("64-QAM", 916, 2)
    home = tmp_path / "FUSION"
    mods = home / "data" / "json_input" / "example_mods"
    mods.mkdir(parents=True)
    table = {"DEFAULT": {"100": {"QPSK": {"max_length": 9000, "slots_needed": 7}}},
             "OTHER": {"100": {"QPSK": {"max_length": 100, "slots_needed": 3}}}}
    (mods / "default_mod_formats.json").write_text(json.dumps(table))
    monkeypatch.setenv("FUSION_TUI_FUSION_HOME", str(home))
    sections["general_settings"]["request_distribution"] = '{"100": 1.0}'
    from_checkout = sim_config(sections, tmp_path)
    assert from_checkout.modulation.formats[100.0] == [("QPSK", 9000, 7)]
    sections["general_settings"]["mod_assumption"] = "OTHER"
    assert sim_config(sections, tmp_path).modulation.formats[100.0] == [("QPSK", 100, 3)]
    sections["general_settings"]["mod_assumption"] = "MISSING"
    with pytest.raises(ConfigError, match="has no set 'MISSING'"):
        sim_config(sections, tmp_path)


def test_unsupported_fusion_features_can_be_ignored_by_a_documented_setting(
        tmp_path: Path) -> None:
    config = write_config(tmp_path, **{"general_settings.can_partially_serve": "True",
                                       "general_settings.max_iters": "1",
                                       "builtin_settings.ignore_unsupported": "True"})
    result = run_sim(config, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "general_settings.can_partially_serve" in result.stdout


# Bit-rate blocking with slicing, FUSION 6.1's rule: 200 Gb/s requests on one link, whole
# in 7 slots, or sliced into 2 x 100 Gb/s (`slots_100` slots each) or 4 x 50 Gb/s (1 slot
# each). The first request takes slots 0-6 whole; the second finds the rest free.
def _two_requests(c_band: int, slots_100: int = 3, max_segments: int = 4) -> IterationResult:
    table = RoutingTable.build(
        load_topology("single_link"),
        ModulationTable({50: [("QPSK", 1e5, 1)], 100: [("QPSK", 1e5, slots_100)],
                         200: [("QPSK", 1e5, 7)]}),
        k_paths=1, cores=1, c_band=c_band, guard_slots=0, bandwidths=(50.0, 100.0, 200.0),
        probabilities=(0.0, 0.0, 1.0), num_requests=2, max_segments=max_segments)
    # Arrivals a microsecond apart, holding times of a second: nothing departs.
    return simulate_iteration(table, erlang=1e6, holding_time=1.0, num_requests=2,
                              allocation="first_fit", seed="two", check=True)


def test_slicing_that_succeeds_at_its_first_try_blocks_no_bit_rate() -> None:
    """6 free slots: 2 x 100 Gb/s (3 slots each), the first tier tried, fits."""
    result = _two_requests(c_band=13)
    assert (result.blocked, result.sliced, result.sliced_late) == (0, 1, 0)
    assert result.blocked_bw == 0 and result.bit_rate_blocking == 0.0


def test_slicing_after_a_failed_try_counts_the_full_bandwidth_as_blocked() -> None:
    """4 free slots: 2 x 100 Gb/s fails at its second segment (rolled back), 4 x 50 Gb/s
    fits. FUSION 6.1 serves the request and still counts its 200 Gb/s as blocked."""
    result = _two_requests(c_band=11)
    assert (result.blocked, result.sliced, result.sliced_late) == (0, 1, 1)
    assert result.blocking == 0.0
    assert result.offered_bw == 400 and result.blocked_bw == 200
    assert result.bit_rate_blocking == 0.5


def test_a_tier_wider_than_the_band_is_a_failed_try() -> None:
    """100 Gb/s needs 5 slots, the band has 4: FUSION tries that tier (no window is
    found), then places 4 x 50 Gb/s; the failed try counts, as in FUSION."""
    table_result = _two_requests(c_band=4, slots_100=5)
    # Neither request fits whole (7 > 4): the first is sliced after the failed 100 Gb/s
    # tier, the second finds no room at all and is blocked.
    assert (table_result.blocked, table_result.sliced, table_result.sliced_late) == (1, 1, 1)
    assert table_result.blocked_bw == 400 and table_result.bit_rate_blocking == 1.0


def test_too_many_segments_ends_the_tiers_without_a_try() -> None:
    """max_segments = 2: 4 x 50 Gb/s is never tried. With 6 free slots 2 x 100 Gb/s fits
    at the first try (no bit rate blocked); with 4 it fails and the request is blocked,
    its 200 Gb/s counted once."""
    first_try = _two_requests(c_band=13, max_segments=2)
    assert (first_try.blocked, first_try.sliced, first_try.blocked_bw) == (0, 1, 0)
    no_room = _two_requests(c_band=11, max_segments=2)
    assert (no_room.blocked, no_room.sliced, no_room.sliced_late) == (1, 0, 0)
    assert no_room.blocked_bw == 200 and no_room.bit_rate_blocking == 0.5


def test_the_result_file_carries_fusions_bit_rate_blocking(tmp_path: Path) -> None:
    """The case above through `fusion-tui-sim`: the per-iteration list and the mean
    hold FUSION's numbers; our own count of such requests is under `fusion_tui`."""
    mods = tmp_path / "mods.json"
    mods.write_text(json.dumps({"TWO": {
        "50": {"QPSK": {"max_length": 100000, "slots_needed": 1}},
        "100": {"QPSK": {"max_length": 100000, "slots_needed": 3}},
        "200": {"QPSK": {"max_length": 100000, "slots_needed": 7}}}}))
    config = write_config(tmp_path, **{
        "general_settings.erlang_start": "1000000", "general_settings.erlang_stop": "1000000",
        "general_settings.max_iters": "2", "general_settings.num_requests": "2",
        "general_settings.request_distribution": '{"200": 1.0}',
        "general_settings.mod_assumption": "TWO",
        "general_settings.mod_assumption_path": str(mods), "general_settings.guard_slots": "0",
        "general_settings.max_segments": "4", "topology_settings.network": "single_link",
        "spectrum_settings.c_band": "11", "builtin_settings.early_stop": "False"})
    result = run_sim(config, tmp_path, "--workers", "1")
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "output" / "1000000.0_erlang.json").read_text())
    last = doc["iter_stats"]["1"]
    assert last["sim_block_list"] == [0.0, 0.0]
    assert last["sim_br_block_list"] == [0.5, 0.5]
    assert doc["bit_rate_blocking_mean"] == 0.5 and doc["bit_rate_blocking_variance"] == 0.0
    assert last["fusion_tui"]["sliced_after_failed_try"] == 1


STATISTICS = ("blocking_mean", "blocking_variance", "ci_rate_block", "ci_percent_block",
              "bit_rate_blocking_mean", "bit_rate_blocking_variance", "ci_rate_bit_rate_block",
              "ci_percent_bit_rate_block")


@pytest.mark.parametrize("value", ["True", "true", "yes", "1"])
def test_is_training_runs_every_iteration_and_nulls_fusions_statistics(
        tmp_path: Path, value: str) -> None:
    """FUSION 6.1's `run_sim` without an RL module: no early stop (this configuration
    stops after a few iterations otherwise, see test_sim.py) and its eight statistics
    null; the per-iteration lists are written, our own means stay under `fusion_tui`."""
    config = write_config(tmp_path, **{
        "general_settings.max_iters": "8", "general_settings.erlang_stop": "300",
        "topology_settings.cores_per_link": "1", "spectrum_settings.c_band": "128",
        "rl_settings.is_training": value})
    result = run_sim(config, tmp_path, "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "Confidence interval" not in result.stdout
    assert "rl_settings.is_training" not in result.stdout  # used, so not listed as unused
    doc = json.loads((tmp_path / "output" / "300.0_erlang.json").read_text())
    assert all(doc[key] is None for key in STATISTICS)
    blocking = doc["iter_stats"]["7"]["sim_block_list"]
    assert len(blocking) == 8 and min(blocking) > 0
    assert doc["fusion_tui"]["iterations"] == 8
    assert doc["fusion_tui"]["blocking_mean"] == pytest.approx(sum(blocking) / 8)
    (row,) = summary(tmp_path)
    assert row["iterations"] == "8" and float(row["blocking_mean"]) == pytest.approx(
        sum(blocking) / 8)


def test_spectrum_priority_is_accepted_and_changes_nothing_with_the_c_band(
        tmp_path: Path) -> None:
    """FUSION 6.1 tests only `== "BSC"`, and with one band both of its orders agree."""
    lists = []
    for value in ("BSC", "CSB", "None", "anything"):
        config = write_config(tmp_path / value, **{
            "general_settings.spectrum_priority": value, "general_settings.max_iters": "2",
            "general_settings.erlang_stop": "300", "topology_settings.cores_per_link": "3",
            "spectrum_settings.c_band": "64"})
        result = run_sim(config, tmp_path / value, "--workers", "1")
        assert result.returncode == 0, result.stderr
        assert "spectrum_priority" not in result.stdout  # understood, not "not used"
        doc = json.loads((tmp_path / value / "output" / "300.0_erlang.json").read_text())
        lists.append(doc["iter_stats"]["1"]["sim_block_list"])
    assert lists[0][0] > 0 and all(values == lists[0] for values in lists)
