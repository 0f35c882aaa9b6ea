"""bench/fusion_fixtures.py: FUSION's comparator rules, and the script run on fixture
folders made here (FUSION's own need a checkout: see the script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.sim.modulation import DEFAULT_TABLE

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
from fusion_fixtures import Mismatch, compare, values_match  # noqa: E402


@pytest.mark.parametrize("expected,actual,same", [
    (None, None, True), (None, 0, False), (0, None, False),
    (1.0, 1.019, True), (1.0, 1.021, False), (100, 100.01, True), (True, 1, True),
    ([0.1, 0.2], [0.11, 0.2], True), ([0.1], [0.1, 0.2], False),
    ([{"a": 1}], [{"a": 1.001}], False),  # a dict inside a list must be equal
    ("c", "c", True), ("c", "l", False),
])
def test_values_match_as_fusions_comparator(expected: object, actual: object,
                                            same: bool) -> None:
    assert values_match(expected, actual) is same


def test_keys_are_compared_both_ways_and_fusions_skips_apply() -> None:
    expected = {
        "blocking_mean": None, "sim_end_time": "1117_19_09_22_357794", "ci_rate_block": 0.1,
        "link_usage": {"0-1": {"usage_count": 3}},
        "iter_stats": {"0": {"hops_mean": 2.0, "gone": 1, "route_times_mean": 0.0,
                             "sim_block_list": [0.0, 0.0],
                             "link_usage_dict": {"0-1": {"usage_count": 3}},
                             "frag_dict": {"x": 1}}}}
    actual = {
        "blocking_mean": None, "sim_end_time": "0101_00_00_00_000000", "ci_rate_block": 0.5,
        "iter_stats": {"0": {"hops_mean": 2.5, "sim_block_list": [0.0], "new": 1,
                             "link_usage_dict": {}, "frag_dict": {}, "fusion_tui": {}}},
        "fusion_tui": {}}
    found = {(m.path, m.kind) for m in compare(expected, actual)}
    assert found == {("iter_stats.0.hops_mean", "value"), ("iter_stats.0.gone", "missing"),
                     ("iter_stats.0.sim_block_list", "length"),
                     ("iter_stats.0.new", "extra"), ("iter_stats.0.fusion_tui", "extra"),
                     ("fusion_tui", "extra")}
    # `link_usage` is skipped only when expected; an actual one FUSION lacks is extra.
    assert compare({}, {"link_usage": {}}) == [Mismatch("link_usage", "extra")]


def _fixture(root: Path, name: str, ini: str, expected: dict[str, str] | None = None) -> Path:
    case = root / "tests" / "fixtures" / "expected_results" / name
    case.mkdir(parents=True)
    (case / f"{name}_config.ini").write_text(ini)
    table = {f"{bw:g}": {fmt: {"max_length": reach, "slots_needed": slots}
                         for fmt, reach, slots in formats}
             for bw, formats in DEFAULT_TABLE.items()}
    (case / "mod_formats.json").write_text(json.dumps({"DEFAULT": table}))
    for file, text in (expected or {}).items():
        (case / file).write_text(text)
    return case


def test_the_script_reports_loads_refusals_and_mismatches_by_key(tmp_path: Path) -> None:
    """A case whose expected files are our own (made at 3 x the load, as FUSION's legacy
    runner offers it with 3 cores) differs only in our `fusion_tui` key and in what is
    changed by hand; a case we do not run is listed with our one-line reason."""
    ini = (shipped_templates_dir() / "minimal.ini").read_text().replace(
        "cores_per_link = 1", "cores_per_link = 3").replace(
        "erlang_stop = 600", "erlang_stop = 300")
    made = tmp_path / "made"
    made.mkdir()
    (made / "config.ini").write_text(ini.replace("erlang_start = 300", "erlang_start = 900")
                                     .replace("erlang_stop = 300", "erlang_stop = 900"))
    done = subprocess.run([sys.executable, "-m", "fusion_tui.sim", "--config_path",
                           str(made / "config.ini"), "--output_dir", str(made)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    ours = json.loads((made / "900.0_erlang.json").read_text())
    for entry in (ours, *ours["iter_stats"].values()):
        del entry["fusion_tui"]  # FUSION's files have no such key
    ours["iter_stats"]["1"]["hops_mean"] += 1.0
    del ours["iter_stats"]["0"]["cores_dict"]
    home = tmp_path / "FUSION"
    _fixture(home, "ours", ini, {"300.0_erlang.json": json.dumps(ours)})
    _fixture(home, "snr", ini + "\n[snr_settings]\nsnr_type = snr_calc_nli\n")
    shown = subprocess.run([sys.executable, str(BENCH / "fusion_fixtures.py")],
                           capture_output=True, text=True, check=False,
                           env={**os.environ, "FUSION_HOME": str(home)})
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("ours: loaded (loads x 3 (FUSION's legacy runner")
    assert lines[0].endswith("300.0_erlang.json 5 mismatches (5 in all)")
    assert lines[1] == "  by kind: extra 1, value 1; our own key fusion_tui: 3 extra"
    assert lines[2].split() == ["1", "extra", "iter_stats.<i>.cores_dict"]
    assert lines[3].split() == ["1", "value", "iter_stats.<i>.hops_mean"]
    assert lines[4] == ("snr: refused: [snr_settings] snr_type: the built-in simulator does "
                        "not implement SNR checks, which changes FUSION's results; run it "
                        "with FUSION, or set [builtin_settings] ignore_unsupported = True")
    assert lines[5] == "1 loaded, 1 refused"
    alone = subprocess.run([sys.executable, str(BENCH / "fusion_fixtures.py")],
                           capture_output=True, text=True, check=False,
                           env={k: v for k, v in os.environ.items() if k != "FUSION_HOME"})
    assert alone.returncode == 0 and alone.stdout.startswith("skipped: set FUSION_HOME")
