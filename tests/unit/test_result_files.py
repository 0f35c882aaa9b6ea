"""Result files read back for the chart and the detail screen, as they are found while a
run still writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fusion_tui.kinds.formats.results import read_point


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
