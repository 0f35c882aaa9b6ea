"""Runs that wait, on the real single-node cluster: `--after` becomes Slurm's
`--dependency=afterok`, `--at`/`--delay` its `--begin`, and a job whose dependency can
never be satisfied (Slurm's reason DependencyNeverSatisfied: Slurm would keep it pending
for ever) is cancelled and its run ends saying which run it waited for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_settings
from slurm_cluster import Cluster
from test_slurm import finished, watch_until

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.sweeps.grid import Grid, parse_axis


@pytest.fixture
def svc(tmp_path: Path, sqlite_url: str, cluster: Cluster,
        services_with: Callable[[Settings], Services]) -> Services:
    return services_with(make_settings(tmp_path, sqlite_url, executor="slurm",
                                       slurm_poll_seconds=10.0))


def test_an_afterok_chain_runs_in_order(svc: Services) -> None:
    m = svc.manager
    first = m.create("fake", name="first", overrides=["fake.sleep=1"])
    second = m.create("fake", name="second", after=[first])
    assert first.job is not None and second.job is not None
    script = (m.paths(second).root / "job.sh").read_text()
    assert f"#SBATCH --dependency=afterok:{first.job.job_id}\n" in script
    assert [n.needs_id for n in second.needs] == [first.id]
    held = watch_until(m, second.id, lambda r: r.job is not None and r.job.reason)
    assert held.status == RunStatus.PENDING and held.job is not None
    assert held.job.reason == "Dependency"
    done_first = watch_until(m, first.id, finished)
    done_second = watch_until(m, second.id, finished)
    assert (done_first.status, done_second.status) == (RunStatus.COMPLETED, RunStatus.COMPLETED)
    assert done_first.completed_at is not None and done_second.started_at is not None
    assert done_second.started_at >= done_first.completed_at - timedelta(seconds=1)


def test_a_failed_first_job_ends_the_second_with_the_reason(svc: Services) -> None:
    m = svc.manager
    first = m.create("fake", name="fails", overrides=["fake.behaviour=fail"])
    second = m.create("fake", name="after it", after=[first])
    third = svc.sweeps.create("fake", Grid((parse_axis("routing_settings.k_paths=1,2"),)),
                              after=[second])
    script = next((Path(svc.settings.runs_dir) / ".sweeps").glob("*/array-1/array.sh"))
    assert second.job is not None and f"afterok:{second.job.job_id}" in script.read_text()
    assert watch_until(m, first.id, finished).status == RunStatus.FAILED
    ended = watch_until(m, second.id, finished)
    assert ended.status == RunStatus.CANCELLED
    assert ended.error_message == (f"not started: run {first.id}, which it was to run after, "
                                   "ended FAILED (Slurm: DependencyNeverSatisfied)")
    assert ended.job is not None and ended.job.state == "CANCELLED"
    for run in third.runs:  # the chain goes on: the sweep waited for the second
        gone = watch_until(m, run.id, finished)
        assert gone.status == RunStatus.CANCELLED
        assert f"run {second.id}, which it was to run after, ended CANCELLED" in \
            (gone.error_message or "")


def test_begin_holds_the_job_until_its_time(svc: Services) -> None:
    m = svc.manager
    at = utcnow().replace(microsecond=0) + timedelta(seconds=12)
    run = m.create("fake", start_after=at)
    assert "#SBATCH --begin=" in (m.paths(run).root / "job.sh").read_text()
    held = watch_until(m, run.id, lambda r: r.job is not None and r.job.reason)
    assert held.status == RunStatus.PENDING and held.job is not None
    assert held.job.reason == "BeginTime"
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.COMPLETED
    assert done.started_at is not None and done.started_at >= at - timedelta(seconds=1)


def test_a_slurm_run_cannot_wait_for_a_local_one(svc: Services) -> None:
    svc.store.set_queue(paused=True)
    local = svc.manager.create("fake", executor="local")
    before = svc.store.count_runs()
    with pytest.raises(ConfigError, match=f"run {local.id} runs on local; a Slurm run can "
                                          "wait only for Slurm runs"):
        svc.manager.create("fake", after=[local])
    assert svc.store.count_runs() == before
