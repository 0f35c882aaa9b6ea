"""Result files read back for the chart, the detail screen, comparisons and exports, as
they are found while a run still writes them."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from fusion_tui.kinds.formats.results import read_point
from fusion_tui.runs.results import read_run


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "300.0_erlang.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("data", [
    # FUSION mid-run: the mean of other iterations than the list it has written so far
    {"blocking_mean": 0.002, "ci_rate_block": 0.0,
     "iter_stats": {"0": {"sim_block_list": [0.0014, 0.0014]}}},
    {"blocking_mean": 0.5, "iter_stats": {"0": {"sim_block_list": [0.01, 0.02, 0.03]}}},
    {"blocking_mean": None, "iter_stats": {"0": {"sim_block_list": [0.1, 0.3]}}},
])
def test_the_mean_shown_lies_in_its_own_interval(tmp_path: Path, data: object) -> None:
    point = read_point(_write(tmp_path, data))
    assert point is not None
    mean, low, high = point
    assert low is not None and high is not None and low <= mean <= high


def test_one_iteration_has_a_mean_and_no_interval(tmp_path: Path) -> None:
    point = read_point(_write(tmp_path, {"blocking_mean": 0.3, "ci_rate_block": 0.1,
                                         "iter_stats": {"0": {"sim_block_list": [0.2]}}}))
    assert point == (0.2, None, None)


def test_a_file_without_iterations_uses_its_own_summary(tmp_path: Path) -> None:
    point = read_point(_write(tmp_path, {"blocking_mean": 0.2, "ci_rate_block": 0.05}))
    assert point is not None and point[0] == 0.2
    assert point[1] == pytest.approx(0.15) and point[2] == pytest.approx(0.25)


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"blocking_mean": "x"}'])
def test_a_half_written_file_is_no_point(tmp_path: Path, text: str) -> None:
    path = tmp_path / "300.0_erlang.json"
    path.write_text(text)
    assert read_point(path) is None


T95_DF2 = 4.302652729911275  # Student's t, two-sided 95%, 2 degrees of freedom


def _interval(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    half = T95_DF2 * statistics.stdev(values) / math.sqrt(len(values))
    return max(0.0, mean - half), mean + half


def test_every_metric_has_its_interval_where_the_files_hold_iterations(tmp_path: Path) -> None:
    """FUSION's files have no interval of ours: both metrics get the 95% interval over
    the file's per-iteration lists; a built-in summary written before it held the
    bit-rate interval takes it from the files, which have the lists."""
    blocking, bit_rate = [0.10, 0.12, 0.17], [0.20, 0.26, 0.29]
    iterations = {str(i): {"sim_block_list": blocking[:i + 1],
                           "sim_br_block_list": bit_rate[:i + 1]} for i in range(3)}
    _write(tmp_path, {"blocking_mean": None, "bit_rate_blocking_mean": None,
                      "iter_stats": iterations})
    (result,) = read_run(tmp_path).values()
    assert result.values == {"blocking": pytest.approx(statistics.fmean(blocking)),
                             "bit_rate_blocking": pytest.approx(statistics.fmean(bit_rate))}
    assert result.intervals["blocking"] == pytest.approx(_interval(blocking))
    assert result.intervals["bit_rate_blocking"] == pytest.approx(_interval(bit_rate))
    (tmp_path / "summary.csv").write_text(  # the built-in's summary before 2026-12-07
        "erlang,blocking_mean,ci95_low,ci95_high,bit_rate_blocking,iterations\n"
        "300,0.13,0.1,0.2,0.25,3\n")
    (again,) = read_run(tmp_path).values()
    assert again.values == {"blocking": 0.13, "bit_rate_blocking": 0.25}
    assert again.intervals == {"blocking": (0.1, 0.2),
                               "bit_rate_blocking": result.intervals["bit_rate_blocking"]}
    (tmp_path / "summary.csv").write_text(
        "erlang,blocking_mean,ci95_low,ci95_high,bit_rate_blocking,iterations,"
        "bit_rate_ci95_low,bit_rate_ci95_high\n300,0.13,0.1,0.2,0.25,3,0.21,0.29\n"
        "600,0.3,,,0.4,1,,\n")
    now = read_run(tmp_path)
    assert now[300.0].intervals == {"blocking": (0.1, 0.2), "bit_rate_blocking": (0.21, 0.29)}
    assert now[600.0].intervals == {} and now[600.0].iterations == 1
