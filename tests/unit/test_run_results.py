"""A run's result for the run list, read from its real result files once; how a sweep's
point is written compactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings

from fusion_tui.base.rundir import RunPaths
from fusion_tui.comparison.compare import compare, load_runs
from fusion_tui.comparison.run_result import ResultFiller, last_load_result
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run
from fusion_tui.store.result_cache import NONE_FOUND, CachedResult
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.sweeps.labels import compact_label, name_without_point, point_label


@pytest.fixture
def services(tmp_path: Path, sqlite_url: str) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path, sqlite_url))
    yield svc
    svc.close()


def _finished(services: Services, run_id: str, status: RunStatus = RunStatus.COMPLETED,
              files: dict[str, str] | None = None) -> Run:
    paths = RunPaths.for_run(services.settings.runs_dir, run_id)
    paths.create()
    for name, text in (files or {}).items():
        (paths.output / name).write_text(text)
    return services.store.add(Run(id=run_id, name="r", status=status.value, config_json="{}",
                                  template="default", run_dir=str(paths.root),
                                  created_at=utcnow(), completed_at=utcnow()))


def _iterations(values: list[float]) -> str:
    return json.dumps({"blocking_mean": sum(values) / len(values),
                       "iter_stats": {"0": {"sim_block_list": values}}})


def test_the_last_load_with_the_comparisons_interval(services: Services) -> None:
    run = _finished(services, "00000000aaa1", files={
        "300.0_erlang.json": _iterations([0.01, 0.02]),
        "600.0_erlang.json": _iterations([0.11, 0.12, 0.125, 0.115])})
    point = compare(load_runs([run])).groups[0].points[-1]
    assert point.basis == "iterations" and point.erlang == 600.0
    assert last_load_result(run) == CachedResult(600.0, point.summary.mean, point.summary.low,
                                                 point.summary.high)


def test_partial_results_and_the_simulators_own_interval(services: Services) -> None:
    """A failed run shows what it has; without per-iteration values, the interval the
    simulator wrote in its summary."""
    run = _finished(services, "00000000aaa2", RunStatus.FAILED, files={
        "summary.csv": "erlang,blocking_mean,ci95_low,ci95_high,iterations\n"
                       "300,0.0123,0.0101,0.0145,4\n"})
    assert last_load_result(run) == CachedResult(300.0, 0.0123, 0.0101, 0.0145)


def test_a_run_without_results_is_marked_and_not_read_again(services: Services) -> None:
    empty = _finished(services, "00000000aaa3", RunStatus.CANCELLED)
    full = _finished(services, "00000000aaa4", files={"summary.csv": "erlang,blocking_mean\n"
                                                                      "300,0.5\n"})
    filler = ResultFiller(services.store)
    assert filler.fill([empty.id, full.id]) == 2
    marked, found = services.store.get(empty.id), services.store.get(full.id)
    assert marked is not None and marked.result_load == NONE_FOUND
    assert found is not None and (found.result_load, found.result_blocking) == (300.0, 0.5)
    # Results that turn up later are not looked for: the run was read once.
    (Path(empty.run_dir) / "output" / "summary.csv").write_text("erlang,blocking_mean\n1,0.2\n")
    assert ResultFiller(services.store).fill([empty.id, full.id]) == 0
    assert services.store.get(empty.id).result_load == NONE_FOUND  # type: ignore[union-attr]


def test_a_batch_is_bounded(services: Services) -> None:
    runs = [_finished(services, f"00000000bb{i:02d}") for i in range(5)]
    filler = ResultFiller(services.store)
    assert filler.fill([r.id for r in runs], limit=2) == 2
    assert filler.fill([r.id for r in runs], limit=2) == 2
    assert filler.fill([r.id for r in runs], limit=2) == 1
    assert filler.fill([r.id for r in runs], limit=2) == 0


def test_compact_label() -> None:
    point = {"routing_settings.k_paths": "2", "general_settings.allocation_method": "first_fit",
             "builtin_settings.seed": "3"}
    assert compact_label(point) == "k=2 ff s=3"
    assert compact_label({"a.k_paths": "1", "b.kappa": "2", "c.network": "USbackbone60",
                          "d.is_training": "True", "e.request_distribution":
                          '{"100": 0.5, "400": 0.5}', "erlang": "300"}) == \
        'kp=1 ka=2 USbackb… i=True r={"100": 0… e=300'
    assert compact_label({"a.cores_per_link": "3", "b.cores_per_node": "4"}) == "cpl=3 cpn=4"
    name = f"fits {point_label(point)}"
    assert name_without_point(name, point) == "fits"
    assert name_without_point("renamed", point) == "renamed"
