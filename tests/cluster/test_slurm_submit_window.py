"""The command that submits a run killed between sbatch's answer and recording the job id.

A real `fusion-tui new` (or `sweep new`) runs with an sbatch first on PATH that runs the
real sbatch, prints its answer and then SIGKILLs the command that called it: the job is
in Slurm (held, so it stays in the queue), the run row has no job id. Cancel, the watcher
and delete must find the job by its name and settle the run from what Slurm says.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli, eventually
from slurm_cluster import Cluster
from sqlalchemy import update
from test_slurm import finished, watch_until

from fusion_tui.base import procs
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.base.settings import Settings
from fusion_tui.executors.slurm.watch import LOOKUP_AFTER
from fusion_tui.runs.manager import RunManager
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus

TIMEOUT = 120.0


@pytest.fixture
def settings_svc(tmp_path: Path, db_url: str, cluster: Cluster,
                 services_with: Callable[[Settings], Services]) -> tuple[Settings, Services]:
    settings = make_settings(tmp_path, db_url, executor="slurm", slurm_poll_seconds=10.0)
    return settings, services_with(settings)


def shim_path(tmp_path: Path, *, submit: bool = True) -> str:
    """PATH with an sbatch that SIGKILLs its caller right after the real sbatch answered
    (or, with `submit=False`, instead of submitting); `--test-only` checks pass."""
    shim = tmp_path / "shim"
    shim.mkdir(exist_ok=True)
    real = shutil.which("sbatch")
    assert real is not None
    submitting = (f'out=$({real} "$@"); rc=$?; printf "%s\\n" "$out"; '
                  '[ $rc -eq 0 ] && kill -9 $PPID; exit $rc') if submit else "kill -9 $PPID"
    (shim / "sbatch").write_text(
        f'#!/bin/sh\ncase "$*" in *--test-only*) exec {real} "$@" ;; esac\n{submitting}\n')
    (shim / "sbatch").chmod(0o755)
    return f"{shim}:{os.environ['PATH']}"


def queued_named(prefix: str) -> dict[str, str]:
    """Job id -> name of the queued jobs (array tasks one per line) whose name starts so."""
    out = subprocess.run(["squeue", "-h", "-r", "-o", "%i|%j"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    jobs = dict(line.split("|", 1) for line in out.splitlines() if "|" in line)
    return {job: name for job, name in jobs.items() if name.startswith(prefix)}


def accounted_state(job_id: str) -> str:
    out = subprocess.run(["sacct", "-n", "-P", "-X", "-j", job_id, "-o", "State"],
                         capture_output=True, text=True, timeout=60).stdout.split()
    return out[0] if out else ""


def made_earlier(svc: Services, runs: list[Run], by: timedelta) -> None:
    """Date the runs' creation back by `by`, as if their submitter had died that long
    ago (the watcher looks a run's job up by name only after LOOKUP_AFTER)."""
    with svc.store.session(write=True) as s:
        for run in runs:
            s.execute(update(Run).where(Run.id == run.id)
                      .values(created_at=run.created_at - by))


def killed_new(cli: Cli, settings: Settings, tmp_path: Path, services: Services) -> tuple[Run, str]:
    """`fusion-tui new --executor slurm` (held) SIGKILLed after sbatch answered: the run
    as the store has it and the id of its job in the queue."""
    proc = cli(settings, "new", "-t", "fake", "--executor", "slurm",
               "--sbatch-args=--hold", "--name", "window", PATH=shim_path(tmp_path))
    assert proc.returncode == -9, (proc.returncode, proc.stdout, proc.stderr)
    (run,) = services.store.list_runs()
    assert run.status == RunStatus.PENDING and run.job is not None
    assert (run.job.state, run.job.job_id) == ("SUBMITTING", None)
    jobs = queued_named(f"ft-{run.id}")
    assert len(jobs) == 1, jobs
    return run, next(iter(jobs))


def test_cancel_finds_the_job_by_name_and_scancels_it(
        cli: Cli, settings_svc: tuple[Settings, Services], tmp_path: Path) -> None:
    settings, svc = settings_svc
    run, job = killed_new(cli, settings, tmp_path, svc)
    proc = cli(settings, "cancel", run.id)
    assert proc.returncode == 0 and "CANCELLED" in proc.stdout, proc.stderr
    eventually(lambda: job not in queued_named("ft-"), timeout=60)
    eventually(lambda: accounted_state(job) == "CANCELLED", timeout=60)
    done = svc.manager.get(run.id)
    assert done.status == RunStatus.CANCELLED
    assert done.job is not None and done.job.job_id == job
    details = [e.detail or "" for e in svc.store.events(run.id)]
    assert any("found by its name" in d for d in details), details
    assert f"scancel {job}" in details


def test_the_watcher_finds_the_job_by_name_and_tracks_it(
        cli: Cli, settings_svc: tuple[Settings, Services], tmp_path: Path) -> None:
    settings, svc = settings_svc
    m = svc.manager
    run, job = killed_new(cli, settings, tmp_path, svc)
    m.watch(force=True)  # a young run may still be getting sbatch's answer
    assert m.get(run.id).job.job_id is None  # type: ignore[union-attr]
    made_earlier(svc, [run], LOOKUP_AFTER)
    seen = watch_until(m, run.id, lambda r: r.job is not None and r.job.job_id,
                       timeout=60)
    assert seen.job is not None
    assert (seen.job.job_id, seen.job.state, seen.job.reason) == \
        (job, "PENDING", "JobHeldUser")
    assert seen.status == RunStatus.PENDING
    subprocess.run(["scontrol", "release", job], check=True, capture_output=True, timeout=60)
    done = watch_until(m, run.id, finished, timeout=TIMEOUT)
    assert (done.status, done.exit_code, done.error_message) == (RunStatus.COMPLETED, 0, None)
    assert done.job is not None and done.job.state == "COMPLETED"
    assert (done.current_erlang_index, done.current_iteration) == (1, 2)
    assert any(m.paths(done).output.iterdir())
    eventually(lambda: job not in queued_named("ft-"), timeout=60)


def test_a_sweeps_array_is_found_by_its_name(cli: Cli, settings_svc: tuple[Settings, Services],
                                             tmp_path: Path) -> None:
    """`sweep new` killed after sbatch answered for its job array: a run's cancel
    scancels its task only; the watcher records the others' tasks; sweep cancel ends all."""
    settings, svc = settings_svc
    m = svc.manager
    proc = cli(settings, "sweep", "new", "-t", "fake", "--seeds", "1-3", "--name", "arr",
               "--executor", "slurm", "--sbatch-args=--hold", PATH=shim_path(tmp_path))
    assert proc.returncode == -9, (proc.returncode, proc.stdout, proc.stderr)
    runs = sorted(svc.store.list_runs(), key=lambda r: r.created_at)
    assert len(runs) == 3 and all(r.job and r.job.job_id is None for r in runs)
    sweep = runs[0].sweep_id
    jobs = queued_named(f"ft-{sweep}")
    assert len(jobs) == 3, jobs
    array = next(iter(jobs)).split("_")[0]
    first = m.cancel(runs[0].id)
    assert first.status == RunStatus.CANCELLED and first.job is not None
    assert first.job.job_id == f"{array}_0"
    eventually(lambda: set(queued_named(f"ft-{sweep}")) == {f"{array}_1", f"{array}_2"},
               timeout=60)
    made_earlier(svc, runs[1:], LOOKUP_AFTER)
    for i, run in enumerate(runs[1:], start=1):
        seen = watch_until(m, run.id, lambda r: r.job is not None and r.job.job_id,
                           timeout=60)
        assert seen.job is not None and seen.job.job_id == f"{array}_{i}"
    from fusion_tui.sweeps.manager import SweepManager

    assert len(SweepManager(m).cancel(str(sweep))) == 2
    eventually(lambda: not queued_named(f"ft-{sweep}"), timeout=60)
    assert all(m.get(r.id).status == RunStatus.CANCELLED for r in runs)


def test_a_run_slurm_never_got_is_settled_after_a_while(
        cli: Cli, settings_svc: tuple[Settings, Services], tmp_path: Path) -> None:
    """Killed before sbatch reached Slurm: no job has its name. A young run is left to
    its submitter; an old one ends FAILED saying it was never submitted."""
    settings, svc = settings_svc
    m = svc.manager
    proc = cli(settings, "new", "-t", "fake", "--executor", "slurm",
               PATH=shim_path(tmp_path, submit=False))
    assert proc.returncode == -9, (proc.returncode, proc.stdout, proc.stderr)
    (run,) = svc.store.list_runs()
    m.watch(force=True)
    assert m.get(run.id).status == RunStatus.PENDING  # its submitter may still be at it
    made_earlier(svc, [run], timedelta(minutes=10))
    done = watch_until(m, run.id, finished, timeout=60)
    assert done.status == RunStatus.FAILED
    error = done.error_message or ""
    assert "not submitted" in error and f"no job of yours named ft-{run.id} in its" in error


def test_delete_of_a_cancelled_run_cancels_its_unrecorded_job(
        cli: Cli, settings_svc: tuple[Settings, Services], tmp_path: Path) -> None:
    """A run an earlier version cancelled without finding its job (CANCELLED, no job id,
    the job still held in the queue): `rm` scancels the job before the folder goes."""
    settings, svc = settings_svc
    run, job = killed_new(cli, settings, tmp_path, svc)
    svc.store.finish(run.id, RunStatus.CANCELLED, exit_code=None,
                     expected=(RunStatus.PENDING,))
    shim, calls = tmp_path / "logging", tmp_path / "scancel-calls"
    shim.mkdir()
    (shim / "scancel").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n'
                                  f'exec {shutil.which("scancel")} "$@"\n')
    (shim / "scancel").chmod(0o755)
    proc = cli(settings, "rm", run.id, PATH=f"{shim}:{os.environ['PATH']}")
    assert proc.returncode == 0, proc.stderr
    assert not RunPaths(Path(run.run_dir)).root.exists()
    assert calls.exists() and calls.read_text().split() == [job]
    eventually(lambda: job not in queued_named("ft-"), timeout=60)


def test_a_job_sbatch_took_without_answering_in_time_is_cancelled(
        settings_svc: tuple[Settings, Services], tmp_path: Path) -> None:
    """sbatch submits, then gives no answer within the client's timeout: the job it
    took anyway is found by its name and cancelled before the run is removed."""
    settings, svc = settings_svc
    shim = tmp_path / "slow"
    shim.mkdir()
    real = shutil.which("sbatch")
    (shim / "sbatch").write_text(
        f'#!/bin/sh\ncase "$*" in *--test-only*) exec {real} "$@" ;; esac\n'
        f'{real} "$@" > {tmp_path / "answer"}; exec sleep 30\n')
    (shim / "sbatch").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    m = RunManager(settings, svc.store, command_env=env, command_timeout=5)
    with pytest.raises(ConfigError) as refused:
        m.create("fake", executor_options={"extra_args": "--hold"})
    job = (tmp_path / "answer").read_text().strip().split(";")[0]
    eventually(lambda: job not in queued_named("ft-"), timeout=60)
    eventually(lambda: accounted_state(job) == "CANCELLED", timeout=60)
    assert str(refused.value) == ("Slurm refused the run: sbatch did not answer in 5 s (is "
                                  "the Slurm controller up?); the job it took anyway "
                                  f"({job}) was cancelled")
    assert svc.store.count_runs() == 0
    assert [p for p in settings.runs_dir.iterdir() if not p.name.startswith(".")] == []


def failing(folder: Path, command: str, message: str) -> dict[str, str]:
    """An environment whose `command` prints `message` and fails, as a Slurm command
    does when its daemon cannot be reached."""
    folder.mkdir()
    (folder / command).write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    (folder / command).chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}


def test_a_cancel_that_cannot_look_the_job_up_is_finished_by_the_watcher(
        cli: Cli, settings_svc: tuple[Settings, Services], tmp_path: Path) -> None:
    """The cancel's squeue fails (controller unreachable, here an squeue that says so):
    the run stays PENDING with its cancel request, and the watcher's next lookup by name
    scancels the job and settles the run CANCELLED."""
    settings, svc = settings_svc
    run, job = killed_new(cli, settings, tmp_path, svc)
    env = failing(tmp_path / "down", "squeue",
                  "squeue: error: Unable to contact slurm controller (connect failure)")
    asked = RunManager(settings, svc.store, command_env=env).cancel(run.id)
    assert asked.status == RunStatus.PENDING
    assert job in queued_named("ft-")
    details = [e.detail or "" for e in svc.store.events(run.id)]
    assert any("cannot find its Slurm job by name" in d for d in details), details
    made_earlier(svc, [run], LOOKUP_AFTER)
    done = watch_until(svc.manager, run.id, finished, timeout=90)
    assert done.status == RunStatus.CANCELLED and done.job is not None
    assert done.job.job_id == job
    eventually(lambda: job not in queued_named("ft-"), timeout=60)
    eventually(lambda: accounted_state(job) == "CANCELLED", timeout=60)


def test_an_id_the_folder_gives_is_not_looked_up_again(
        cli: Cli, settings_svc: tuple[Settings, Services], tmp_path: Path) -> None:
    """The job of a run without a recorded id started (its status.json names the job),
    then its supervisor was killed; with accounting off, a lookup by name in that same
    cycle could not find the ended job and would call the run never submitted. The id
    from the folder is used instead, and the run is settled from Slurm's account."""
    settings, svc = settings_svc
    proc = cli(settings, "new", "-t", "fake", "--executor", "slurm", "--set",
               "fake.sleep=30", PATH=shim_path(tmp_path))
    assert proc.returncode == -9, (proc.returncode, proc.stdout, proc.stderr)
    (run,) = svc.store.list_runs()
    paths = RunPaths(Path(run.run_dir))
    status = eventually(lambda: (read_json(paths.status) or {}).get("pid") and
                        read_json(paths.status), timeout=60)
    assert isinstance(status, dict)
    job, supervisor = status["slurm_job_id"], status["supervisor_pid"]
    os.kill(supervisor, signal.SIGKILL)
    eventually(lambda: job not in queued_named("ft-"), timeout=60)
    made_earlier(svc, [run], timedelta(minutes=10))
    env = failing(tmp_path / "off", "sacct",
                  "sacct: error: Slurm accounting storage is disabled")
    m = RunManager(settings, svc.store, command_env=env)
    done = watch_until(m, run.id, finished, timeout=90)
    assert done.job is not None and done.job.job_id == job
    assert done.status == RunStatus.FAILED
    assert "supervisor ended without recording" in (done.error_message or ""), \
        done.error_message
    eventually(lambda: not procs.run_processes(run.id), timeout=60)
