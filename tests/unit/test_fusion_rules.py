"""FUSION's rules without running it: the shipped template, the keys FUSION requires and
the values it would refuse, its log lines as progress, and the result mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fusion_checkout import fusion_sections

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.config.templates import build_config, parse_ini
from fusion_tui.kinds.formats import keys as fusion_keys
from fusion_tui.kinds.formats.loglines import FusionLogParser
from fusion_tui.kinds.fusion import schema as fusion_schema
from fusion_tui.kinds.registry import kind_for
from fusion_tui.monitor.progress import ProgressState


def test_shipped_template_holds_every_key_fusion_requires() -> None:
    sections = fusion_sections()
    fusion_schema.validate(sections)
    for table in (fusion_keys.REQUIRED, fusion_keys.ALSO_NEEDED):
        for section, keys in table.items():
            assert set(keys) <= set(sections[section]), section
    mods = sections["general_settings"]["mod_assumption_path"]
    assert mods == "data/json_input/example_mods/default_mod_formats.json"


@pytest.mark.parametrize("key", ["thread_erlangs", "save_step", "is_grooming_enabled"])
def test_a_missing_required_key_is_named(key: str) -> None:
    sections = fusion_sections()
    del sections["general_settings"][key]
    with pytest.raises(ConfigError, match=rf"\[general_settings\] {key}: missing"):
        fusion_schema.validate(sections)


def test_fusion_rules_not_ours(tmp_path: Path) -> None:
    """Values FUSION accepts are accepted for FUSION templates, refused for the built-in."""
    dirs = [shipped_templates_dir()]
    config = build_config("fusion", [
        *parse_overrides("general_settings.blocking_type_ci='request'",
                         "general_settings.allocation_method=priority_first",
                         "rl_settings.gamma=0.5", "routing_settings.precompute_paths=True")],
        dirs, tmp_path, kind_for)
    assert config.sections["general_settings"]["allocation_method"] == "priority_first"
    assert config.sections["rl_settings"]["gamma"] == "0.5"
    with pytest.raises(ConfigError, match="allocation_method"):
        kind_for("builtin").validate({**fusion_sections("minimal"), "general_settings": {
            **fusion_sections("minimal")["general_settings"],
            "allocation_method": "priority_first"}}, tmp_path)


def parse_overrides(*texts: str) -> list:  # type: ignore[type-arg]
    from fusion_tui.config.overrides import parse_overrides as parse
    return parse(list(texts))


@pytest.mark.parametrize(("override", "message"), [
    ("general_settings.max_iters=4.0", r"max_iters: FUSION expects an integer"),
    ("general_settings.no_such_key=1", r"unknown key: not in template 'fusion' and FUSION 6.1"),
    ("snr_settings.phi=not a dict", r"phi: FUSION expects a dictionary"),
    ("general_settings.num_requests=333", r"request_distribution: the shares give"),
    ("general_settings.erlang_step=0", r"erlang_step: must be greater than 0"),
])
def test_what_fusion_would_refuse_is_refused_first(tmp_path: Path, override: str,
                                                   message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config("fusion", parse_overrides(override), [shipped_templates_dir()], tmp_path,
                     kind_for)


def test_error_and_traceback_are_parsed() -> None:
    parser, state = FusionLogParser(), ProgressState()
    for line in [
        "2026-11-23 16:02:50,360 - fusion.cli.config_setup - ERROR - Configuration error: "
        "Missing required option 'x' in section [general_settings]",
        "2026-11-23 16:02:50,390 - __main__ - ERROR - Simulation error: 'mod_assumption'",
        "Traceback (most recent call last):",
        '  File "/f/run_sim.py", line 38, in main',
        "    run_simulation_pipeline(args, stop_flag)",
        "KeyError: 'mod_assumption'",
    ]:
        event = parser.parse(line)
        if event is not None:
            state.apply(event)
    assert state.failure == ("Configuration error: Missing required option 'x' in section "
                             "[general_settings] | KeyError: 'mod_assumption'")


def test_seconds_per_iteration_come_from_log_times() -> None:
    parser, state = FusionLogParser(), ProgressState.planned((1, 10))
    for second, line in enumerate([
        "Starting simulation for 300.0 Erlang (load 1/1)",
        "CHILD=s1 iteration=0, done_units=1", "CHILD=s1 iteration=1, done_units=2",
        "CHILD=s1 iteration=2, done_units=3"]):
        event = parser.parse(f"2026-11-23 10:00:{second * 2:02d},000 - x - INFO - {line}")
        assert event is not None
        state.apply(event)
    assert state.seconds_per_iteration == 2.0
    assert state.current_iteration == 3


def test_template_paths_are_parsed_with_the_ini_reader() -> None:
    text = (shipped_templates_dir() / "fusion.ini").read_text()
    sections, meta = parse_ini(text, "fusion.ini")
    assert meta["simulator"] == "fusion" and "fusion_tui" not in sections


def test_result_mirror_copies_only_regular_files_inside_the_checkout(tmp_path: Path) -> None:
    from fusion_tui.kinds.formats.mirror import ResultMirror, allowed_source

    home = tmp_path / "FUSION"
    folder = home / "data" / "output" / "NSFNet" / "1123" / "10_00_00_000001" / "s1"
    folder.mkdir(parents=True)
    (folder / "300.0_erlang.json").write_text('{"blocking_mean": 0.1}')
    import os
    os.mkfifo(folder / "600.0_erlang.json")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the run folder")
    (folder / "900.0_erlang.json").symlink_to(secret)
    (folder / "sub").mkdir()
    (folder / ".tmp.json").write_text('{"blocking_')  # being written, renamed when done
    assert allowed_source(str(folder), home) == folder
    assert allowed_source(str(home / "data" / "output" / ".." / ".."), home) is None
    assert allowed_source("/etc", home) is None
    link = home / "data" / "output" / "escape"
    link.symlink_to(tmp_path)
    assert allowed_source(str(link), home) is None
    dest = tmp_path / "run" / "output"
    mirror = ResultMirror(dest, limit=1 << 30)
    assert mirror.sync(folder) == 1
    assert sorted(p.name for p in dest.iterdir()) == ["300.0_erlang.json"]
    assert mirror.sync(folder) == 0  # unchanged: nothing copied again
    (folder / "300.0_erlang.json").write_text('{"blocking_mean": 0.25}')
    assert mirror.sync(folder) == 1
    assert json.loads((dest / "300.0_erlang.json").read_text()) == {"blocking_mean": 0.25}


# -- settings FUSION 6.1 crashes on (kinds/fusion/crashes.py) --------------------------------

_G, _T = "general_settings", "topology_settings"


@pytest.mark.parametrize(("changes", "said"), [
    ({(_G, "guard_slots"): "2"}, "guard_slots = 2 with first_fit: FUSION 6.1 crashes once "
                                 "the spectrum fragments"),
    ({(_G, "guard_slots"): "3", (_G, "allocation_method"): "priority_first",
      (_T, "cores_per_link"): "7"}, "guard_slots = 3 with priority_first"),
    ({(_G, "guard_slots"): "1", (_G, "allocation_method"): "best_fit"},
     "guard_slots = 1 with best_fit: FUSION 6.1 crashes at its first one-slot lightpath"),
    ({(_G, "allocation_method"): "last_fit"}, "ValueError: Spectrum set cannot be empty"),
    ({(_G, "allocation_method"): "priority_first"}, "with cores_per_link = 3"),
    ({(_G, "allocation_method"): "priority_last", (_T, "cores_per_link"): "7"},
     "blocks every request"),
    ({(_G, "route_method"): "foo"}, "route_method = foo: FUSION 6.1 crashes"),
    ({(_G, "allocation_method"): "worst_fit"}, "Expected first_fit or best_fit"),
    ({("snr_settings", "snr_type"): "none"}, "case-sensitive"),
    ({(_G, "dynamic_lps"): "True"}, "dynamic_lps = True with snr_type = None"),
    ({("file_settings", "file_type"): "csv"}, "it writes json only"),
    ({(_G, "request_distribution"): '{"100": 1.0}'}, "without 25, 50, 200, 400 Gb/s"),
])
def test_each_setting_fusion_crashes_on_is_one_warning(changes: dict[tuple[str, str], str],
                                                      said: str) -> None:
    sections = fusion_sections()
    for (section, key), value in changes.items():
        sections[section][key] = value
    warnings = kind_for("fusion").warnings(sections)
    assert len(warnings) == 1 and said in warnings[0], warnings
    assert "\n" not in warnings[0]


@pytest.mark.parametrize("changes", [
    {}, {(_G, "guard_slots"): "0"},
    {(_G, "allocation_method"): "best_fit", (_G, "guard_slots"): "0"},
    {(_G, "allocation_method"): "best_fit", (_G, "guard_slots"): "2"},
    {(_G, "allocation_method"): "priority_first", (_T, "cores_per_link"): "7"},
    {("snr_settings", "snr_type"): "gsnr"},
    {(_G, "request_distribution"): '{"25": 0, "50": 0, "100": 1.0, "200": 0, "400": 0}'},
])
def test_settings_fusion_runs_bring_no_warning(changes: dict[tuple[str, str], str]) -> None:
    sections = fusion_sections()
    for (section, key), value in changes.items():
        sections[section][key] = value
    assert kind_for("fusion").warnings(sections) == []
    assert kind_for("builtin").warnings(sections) == []
