"""The Slurm executor without a cluster: Slurm's commands are stand-ins on PATH
(tests/fake_slurm.py) that answer from a state each test sets. Covered here: the state
mapping, SlurmClient's parsing of each tool's output, the watcher's one batched squeue
per cycle, a job found by its name when its submitter died, and how a job that left the
queue is settled from sacct, scontrol or nothing; and the job script's translation of
Slurm's environment into the batch job the supervisor reads.
The same paths against a real cluster are tests/cluster/test_slurm.py.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_settings
from fake_slurm import FakeSlurm
from helpers import Cli
from sqlalchemy import update

from fusion_tui.base.documents import StatusRecord
from fusion_tui.base.rundir import RunPaths, write_json_atomic
from fusion_tui.base.settings import Settings
from fusion_tui.executors.slurm import states
from fusion_tui.executors.slurm.commands import SlurmClient, SlurmError, SlurmUnavailable
from fusion_tui.executors.slurm.job_env import job_variables
from fusion_tui.executors.slurm.jobscript import render, render_array
from fusion_tui.executors.slurm.options import SlurmOptions
from fusion_tui.executors.slurm.settle import PATIENCE, settle
from fusion_tui.executors.slurm.watch import LOOKUP_AFTER
from fusion_tui.runs.attempts import JobInfo, job_from
from fusion_tui.runs.lending import FolderEvidence, progress_of
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow


@pytest.fixture
def svc(tmp_path: Path, sqlite_url: str, fake_slurm: FakeSlurm,
        services_with: Callable[[Settings], Services]) -> Services:
    """Slurm-executor services whose every Slurm command is a stand-in."""
    return services_with(make_settings(tmp_path, sqlite_url, executor="slurm"))


def submit(svc: Services) -> tuple[Run, str]:
    """A run submitted through the real executor to the fake sbatch; it and its job id."""
    run = svc.manager.create("fake")
    assert run.job is not None and run.job.job_id is not None
    return run, run.job.job_id


def error(run: Run) -> str:
    assert run.error_message is not None
    return run.error_message


def cycle(svc: Services, run: Run) -> Run:
    svc.manager.watch(force=True)
    return svc.manager.get(run.id)


# -- the state mapping -------------------------------------------------------------------

@pytest.mark.parametrize(("state", "status"), [
    ("PENDING", RunStatus.PENDING), ("REQUEUED", RunStatus.PENDING),
    ("REQUEUE_HOLD", RunStatus.PENDING), ("RUNNING", RunStatus.RUNNING),
    ("CONFIGURING", RunStatus.RUNNING), ("COMPLETING", RunStatus.RUNNING),
    ("SUSPENDED", RunStatus.RUNNING),
])
def test_a_queued_job_is_pending_or_running(state: str, status: RunStatus) -> None:
    assert states.queued_status(state) == status
    assert not states.is_final(state)
    assert states.final_status(state) is None


@pytest.mark.parametrize(("state", "status"), [
    ("COMPLETED", RunStatus.COMPLETED), ("FAILED", RunStatus.FAILED),
    ("CANCELLED", RunStatus.CANCELLED), ("TIMEOUT", RunStatus.TIMEOUT),
    ("DEADLINE", RunStatus.TIMEOUT), ("OUT_OF_MEMORY", RunStatus.OUT_OF_MEMORY),
    ("NODE_FAIL", RunStatus.NODE_FAIL), ("PREEMPTED", RunStatus.PREEMPTED),
    ("BOOT_FAIL", RunStatus.FAILED), ("SPECIAL_EXIT", RunStatus.FAILED),
    ("REVOKED", RunStatus.CANCELLED),
])
def test_an_ended_job_has_the_run_status_of_its_final_state(state: str,
                                                             status: RunStatus) -> None:
    assert states.is_final(state)
    assert states.final_status(state) == status


def test_each_way_slurm_ends_a_job_has_its_own_words() -> None:
    for status in (RunStatus.TIMEOUT, RunStatus.OUT_OF_MEMORY, RunStatus.NODE_FAIL,
                   RunStatus.PREEMPTED):
        assert states.ENDING_TEXT[status]


# -- SlurmClient against the stand-ins -------------------------------------------------

def test_client_reads_each_tools_format(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    client = SlurmClient()
    script = tmp_path / "job.sh"
    script.write_text(f"#!/bin/bash\n#SBATCH --job-name=ft-x\n#SBATCH --chdir={tmp_path}\n")
    first, second = client.sbatch(script), client.sbatch(script)
    fake_slurm.job(first, state="RUNNING", reason=None, elapsed="1-02:03:04")
    queue = client.squeue([first, second])
    assert queue[first].state == "RUNNING" and queue[first].node == "node1"
    assert queue[first].elapsed_seconds == 93784 and queue[first].reason is None
    assert queue[second].state == "PENDING" and queue[second].reason == "Priority"
    assert queue[second].node is None and queue[second].time_limit == "1:00:00"
    assert [j.job_id for j in client.find(["ft-x"], "me")] == [first, second]
    fake_slurm.job(first, state="CANCELLED by 0", queued=False, exit_code="0:15",
                   elapsed="0:07")
    record = client.sacct([first])
    assert record is not None
    assert record[first].state == "CANCELLED" and record[first].signal == 15
    assert record[first].elapsed_seconds == 7 and record[first].source == "sacct"
    control = client.scontrol_job(first)
    assert control is not None and control.state == "CANCELLED"
    assert control.elapsed_seconds == 7 and control.restarts == 0
    assert client.squeue(["99999"]) == {}
    assert client.scontrol_job("99999") is None


def test_client_failures_are_one_line(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    client = SlurmClient()
    fake_slurm.set(accounting=False)
    assert client.sacct(["1"]) is None  # accounting off is an answer, not a failure
    fake_slurm.set(refuse="Batch job submission failed: Invalid partition name specified")
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n")
    with pytest.raises(SlurmError, match=r"^sbatch: Batch job submission failed: Invalid "
                                         r"partition name specified$"):
        client.sbatch(script)
    fake_slurm.set(down=True)
    with pytest.raises(SlurmUnavailable, match="Unable to contact slurm controller"):
        client.squeue(["1"])


# -- the watcher -----------------------------------------------------------------------

def test_the_watcher_follows_a_job_through_the_queue_to_its_end(svc: Services,
                                                                 fake_slurm: FakeSlurm) -> None:
    run, job = submit(svc)
    # sbatch --test-only checks the request, then sbatch submits it.
    assert [c[1] for c in fake_slurm.calls("sbatch")] == ["--test-only", "--parsable"]
    assert run.status == RunStatus.PENDING
    run = cycle(svc, run)
    assert run.status == RunStatus.PENDING and run.job is not None
    assert run.job.state == "PENDING" and run.job.reason == "Priority"
    fake_slurm.job(job, state="RUNNING", reason=None, elapsed="0:42")
    run = cycle(svc, run)
    assert run.status == RunStatus.RUNNING and run.job is not None
    assert run.job.node == "node1" and run.job.elapsed_seconds == 42
    fake_slurm.job(job, state="TIMEOUT", queued=False, exit_code="0:15")
    run = cycle(svc, run)
    assert run.status == RunStatus.TIMEOUT
    assert error(run).startswith(states.ENDING_TEXT[RunStatus.TIMEOUT])
    assert run.job is not None and run.job.state == "TIMEOUT"


def test_one_squeue_call_per_cycle_whatever_the_number_of_jobs(svc: Services,
                                                               fake_slurm: FakeSlurm) -> None:
    jobs = {submit(svc)[1] for _ in range(5)}
    svc.manager.watch(force=True)
    svc.manager.watch(force=True)
    calls = fake_slurm.calls("squeue")
    assert len(calls) == 2
    assert all(set(c[c.index("-j") + 1].split(",")) == jobs for c in calls)


@pytest.mark.parametrize("state", ["OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED"])
def test_a_job_slurm_ended_is_settled_with_slurms_reason(svc: Services, fake_slurm: FakeSlurm,
                                                         state: str) -> None:
    run, job = submit(svc)
    fake_slurm.job(job, state=state, queued=False, elapsed="0:30", exit_code="0:9")
    run = cycle(svc, run)
    status = states.final_status(state)
    assert status is not None and run.status == status
    assert error(run).startswith(states.ENDING_TEXT[status])


def test_a_job_cancelled_outside_before_it_started_is_cancelled(svc: Services,
                                                                 fake_slurm: FakeSlurm) -> None:
    run, job = submit(svc)
    fake_slurm.job(job, state="CANCELLED by 0", queued=False)
    run = cycle(svc, run)
    assert run.status == RunStatus.CANCELLED
    assert "before it started" in error(run)


def test_a_job_that_ran_but_wrote_nothing_blames_the_filesystem(svc: Services,
                                                                fake_slurm: FakeSlurm) -> None:
    run, job = submit(svc)
    fake_slurm.job(job, state="FAILED", queued=False, elapsed="0:05", exit_code="1:0")
    run = cycle(svc, run)
    assert run.status == RunStatus.FAILED
    assert "nothing of it reached the run folder" in error(run)


def test_with_accounting_off_scontrol_settles_it(svc: Services, fake_slurm: FakeSlurm) -> None:
    run, job = submit(svc)
    fake_slurm.set(accounting=False)
    fake_slurm.job(job, state="TIMEOUT", queued=False, elapsed="1:00")
    run = cycle(svc, run)
    assert run.status == RunStatus.TIMEOUT
    assert fake_slurm.calls("scontrol")


def test_a_controller_that_does_not_answer_changes_nothing(svc: Services,
                                                           fake_slurm: FakeSlurm) -> None:
    run, job = submit(svc)
    fake_slurm.set(down=True)
    svc.manager.watch(force=True)
    assert svc.manager.last_watch.problem is not None
    assert "Unable to contact slurm controller" in svc.manager.last_watch.problem
    assert svc.manager.get(run.id).status == RunStatus.PENDING
    fake_slurm.set(down=False)
    fake_slurm.job(job, state="RUNNING", reason=None)
    assert cycle(svc, run).status == RunStatus.RUNNING


def test_cancel_scancels_the_job_and_the_watcher_settles_it(svc: Services,
                                                            fake_slurm: FakeSlurm) -> None:
    run, job = submit(svc)
    svc.manager.cancel(run.id)
    assert fake_slurm.calls("scancel") == [["scancel", job]]
    assert not fake_slurm.jobs()[job]["queued"]
    assert svc.manager.wait(run.id, timeout=30).status == RunStatus.CANCELLED


def _killed_submitter(cli: Cli, svc: Services, fake_slurm: FakeSlurm) -> tuple[Run, str]:
    """`fusion-tui new` SIGKILLed right after sbatch answered, the run made long enough ago
    to be looked up by its job's name: the run and its job's id."""
    fake_slurm.set(kill_caller=True)
    done = cli(svc.settings, "new", "-t", "fake", "--executor", "slurm")
    assert done.returncode == -9, (done.stdout, done.stderr)
    fake_slurm.set(kill_caller=False)
    (run,) = svc.store.list_runs()
    assert run.job is not None and run.job.job_id is None
    with svc.store.session(write=True) as s:
        s.execute(update(Run).where(Run.id == run.id)
                  .values(created_at=run.created_at - LOOKUP_AFTER))
    (job,) = fake_slurm.jobs()
    return run, job


def test_the_watcher_finds_a_job_by_its_name_and_follows_it(
        cli: Cli, svc: Services, fake_slurm: FakeSlurm) -> None:
    run, job = _killed_submitter(cli, svc, fake_slurm)
    run = cycle(svc, run)
    assert run.job is not None and (run.job.job_id, run.status) == (job, RunStatus.PENDING)
    assert any(c[0] == "squeue" and "-n" in c for c in fake_slurm.calls())
    fake_slurm.job(job, state="PREEMPTED", queued=False)
    assert cycle(svc, run).status == RunStatus.PREEMPTED


def test_a_job_that_left_the_queue_is_found_by_name_in_accounting(
        cli: Cli, svc: Services, fake_slurm: FakeSlurm) -> None:
    run, job = _killed_submitter(cli, svc, fake_slurm)
    fake_slurm.job(job, state="NODE_FAIL", queued=False, elapsed="0:10")
    run = cycle(svc, run)
    assert run.status == RunStatus.NODE_FAIL
    assert run.job is not None and run.job.job_id == job
    assert any(c[0] == "sacct" and "--name" in c for c in fake_slurm.calls())


# -- settlement ------------------------------------------------------------------------

def test_a_job_no_one_knows_is_lost_only_after_patience(svc: Services,
                                                        fake_slurm: FakeSlurm) -> None:
    run, job = submit(svc)
    fake_slurm.job(job, queued=False, accounted=False, remembered=False)
    paths = RunPaths(Path(run.run_dir))
    left = utcnow()
    client = SlurmClient()
    assert settle(paths, job, client, FolderEvidence(), progress_of, left_queue_at=left) is None
    assert settle(paths, job, client, FolderEvidence(), progress_of, left_queue_at=left,
                  now=left + PATIENCE - timedelta(seconds=1)) is None
    lost = settle(paths, job, client, FolderEvidence(), progress_of, left_queue_at=left,
                  now=left + PATIENCE)
    assert lost is not None and lost.status == RunStatus.FAILED
    assert lost.error is not None and lost.error.startswith(f"lost: Slurm job {job} left")
    assert "the controller no longer remembers it" in lost.error


def _job_seen(tmp_path: Path, script: str, slurm_env: dict[str, str]) -> tuple[JobInfo, str]:
    """Run a job script whose "python" records its environment and arguments; the job
    the supervisor would read from them, and its command line."""
    out = tmp_path / "seen"
    (tmp_path / "job.sh").write_text(script)
    result = subprocess.run(["bash", str(tmp_path / "job.sh")], capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "OUT": str(out),
                                            **slurm_env}, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = out.read_text().split("\n")
    env = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    return job_from(env, 1000.0), lines[0]


@pytest.fixture
def recorder(tmp_path: Path) -> str:
    python = tmp_path / "python"
    python.write_text('#!/bin/sh\n{ echo "$*"; env; } > "$OUT"\n')
    python.chmod(0o755)
    return str(python)


def test_the_job_script_gives_the_supervisor_a_batch_job_not_slurm(
        tmp_path: Path, recorder: str) -> None:
    """A requeued single job: its id, its attempt (restarts + 1), the time limit asked
    and the stop before it; the scheduler's name and causes only for messages."""
    paths = RunPaths(tmp_path / "0123456789ab")
    script = render("0123456789ab", None, paths, SlurmOptions(time="10"), warning_seconds=60,
                    env={}, python=recorder, package_parent="/opt/ft")
    job, argv = _job_seen(tmp_path, script, {"SLURM_JOB_ID": "42", "SLURM_RESTART_COUNT": "2"})
    assert argv == f"-m fusion_tui.runs.supervisor --job {paths.root} 0123456789ab"
    assert (job.scheduler, job.job_id, job.attempt, job.time_limit, job.stop_at) == \
        ("Slurm", "42", 3, "10", 1000.0 + 600 - 60)
    assert job.stop_causes == "scancel, preemption, a requeue or the time limit"


def test_an_array_task_is_the_job_squeue_shows(tmp_path: Path, recorder: str) -> None:
    """Task 1 of array 7 is job `7_1`, on its first attempt, with no time limit of ours."""
    runs = [("a" * 12, tmp_path / "a"), ("b" * 12, tmp_path / "b")]
    for _, root in runs:
        root.mkdir()
    script = render_array("s" * 12, None, tmp_path, runs, SlurmOptions(), limit=None,
                          warning_seconds=120, env={}, marker="MARK", python=recorder,
                          package_parent="/opt/ft")
    job, argv = _job_seen(tmp_path, script, {"SLURM_JOB_ID": "9", "SLURM_ARRAY_JOB_ID": "7",
                                             "SLURM_ARRAY_TASK_ID": "1"})
    assert argv == f"-m fusion_tui.runs.supervisor --job {runs[1][1]} {'b' * 12}"
    assert (job.job_id, job.attempt, job.time_limit, job.stop_at) == ("7_1", 1, None, None)


def test_an_earlier_versions_job_script_is_translated_as_todays(
        tmp_path: Path, recorder: str) -> None:
    """Job scripts written before `--job` start the supervisor with `--slurm`; the
    translation they then get (`executors/slurm/job_env.py`) is today's job script's."""
    paths = RunPaths(tmp_path / "0123456789ab")
    script = render("0123456789ab", None, paths, SlurmOptions(time="10"), warning_seconds=60,
                    env={}, python=recorder, package_parent="/opt/ft")
    request = {"options": {"time": "10"}, "time_limit_seconds": 600, "warning_seconds": 60}
    for slurm_env in ({"SLURM_JOB_ID": "42", "SLURM_RESTART_COUNT": "2"},
                      {"SLURM_JOB_ID": "42"}):
        today, _ = _job_seen(tmp_path, script, slurm_env)
        assert job_from(job_variables(slurm_env, request), 1000.0) == today
    runs = [("a" * 12, tmp_path / "a"), ("b" * 12, tmp_path / "b")]
    for _, root in runs:
        root.mkdir()
    array = render_array("s" * 12, None, tmp_path, runs, SlurmOptions(), limit=None,
                         warning_seconds=120, env={}, marker="MARK", python=recorder,
                         package_parent="/opt/ft")
    task = {"SLURM_JOB_ID": "9", "SLURM_ARRAY_JOB_ID": "7", "SLURM_ARRAY_TASK_ID": "1"}
    today, _ = _job_seen(tmp_path, array, task)
    assert job_from(job_variables(task, {"options": {}, "time_limit_seconds": None,
                                         "warning_seconds": 120}), 1000.0) == today


def test_a_job_queued_before_an_upgrade_still_runs(svc: Services,
                                                   fake_slurm: FakeSlurm) -> None:
    """A job submitted by an earlier version runs its old script after an upgrade: the
    supervisor, started with `--slurm`, becomes today's batch-job supervisor, runs the
    simulator and records the outcome with the job's id and attempt, which the login node
    then takes (SQLite: from the run folder)."""
    run, job = submit(svc)
    paths = RunPaths(Path(run.run_dir))
    exported = dict(shlex.split(line)[1].split("=", 1)
                    for line in paths.job_script.read_text().splitlines()
                    if line.startswith("export ") and "$" not in line
                    and not line.startswith("export FUSION_TUI_JOB_"))
    done = subprocess.run(
        [sys.executable, "-m", "fusion_tui.runs.supervisor", "--slurm", str(paths.root),
         run.id], capture_output=True, text=True, timeout=120,
        env={**exported, "PATH": os.environ["PATH"], "HOME": os.environ["HOME"],
             "SLURM_JOB_ID": job, "SLURM_RESTART_COUNT": "0"})
    assert done.returncode == 0, done.stderr
    status = StatusRecord.read(paths.status)
    assert (status.state, status.status, status.job_id, status.attempt) == \
        ("exited", RunStatus.COMPLETED, job, 1)
    fake_slurm.job(job, state="COMPLETED", queued=False, exit_code="0:0")
    assert cycle(svc, run).status == RunStatus.COMPLETED


def test_a_job_sacct_has_not_caught_up_with_is_settled_by_scontrol_saying_so(
        svc: Services, fake_slurm: FakeSlurm) -> None:
    """The supervisor died with its job and slurmdbd has not recorded the end yet: the
    controller's word is taken, and the audit trail says why it was not sacct's."""
    run, job = submit(svc)
    paths = RunPaths(Path(run.run_dir))
    write_json_atomic(paths.status, {"run_id": run.id, "state": "running"})
    fake_slurm.job(job, state="FAILED", queued=False, accounted=False, exit_code="0:9")
    settled = settle(paths, job, SlurmClient(), FolderEvidence(), progress_of,
                     left_queue_at=utcnow())
    assert settled is not None and settled.status == RunStatus.FAILED
    assert settled.error is not None and "(from scontrol)" in settled.error
    assert settled.recovered == ("settled from Slurm's account "
                                 "(sacct has no final state for it yet)")
