"""The built-in simulator means what FUSION means by the same INI: no warm-up, exact
bandwidth quotas, fallback formats, static slicing, FUSION's modulation file sets and
path resolution, its network names; features it lacks are refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_helpers import run_sim, write_config

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.config.templates import load_template
from fusion_tui.kinds.registry import kind_for
from fusion_tui.sim.config import sim_config
from fusion_tui.sim.engine import RoutingTable, _place_sliced, simulate_iteration
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
    names = [short.mod_names[o[7] % len(short.mod_names)] for o in short.options[pair][b]]
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
    placed = _place_sliced(spec, slicings, 0b111)
    assert placed is not None and [mask for _, mask in placed[1]] == [0b001, 0b100]
    assert spec == [0b111]
    assert _place_sliced([0b010], table.slicings[0][b][:0], 0b111) is None
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
