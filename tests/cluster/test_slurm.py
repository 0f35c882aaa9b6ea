"""Runs as Slurm jobs on the real single-node cluster of `.ci/start-slurm`.

Every case submits real jobs with sbatch and reads Slurm's real answers; the simulator
is the fake one (tests/fake_sim.py), run inside the job by our supervisor.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import eventually, poll_until
from slurm_cluster import Cluster, queue

from fusion_tui.base import procs
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import RunPaths, read_json, write_json_atomic
from fusion_tui.base.settings import Settings
from fusion_tui.executors.slurm.commands import SlurmClient
from fusion_tui.executors.slurm.settle import settle
from fusion_tui.executors.slurm.submission import submit_env
from fusion_tui.runs.lending import FolderEvidence, progress_of
from fusion_tui.runs.manager import RunManager
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.sweeps.grid import Grid, parse_axis
from fusion_tui.sweeps.manager import SweepManager

TIMEOUT = 120.0


def _slurm_settings(tmp_path: Path, url: str) -> Settings:
    return make_settings(tmp_path, url, executor="slurm", slurm_poll_seconds=10.0)


@pytest.fixture
def svc(tmp_path: Path, db_url: str, cluster: Cluster,
        services_with: Callable[[Settings], Services]) -> Services:
    """Slurm-executor services on SQLite, then on PostgreSQL."""
    return services_with(_slurm_settings(tmp_path, db_url))


@pytest.fixture
def sqlite_svc(tmp_path: Path, sqlite_url: str, cluster: Cluster,
               services_with: Callable[[Settings], Services]) -> Services:
    """Slurm-executor services on SQLite (where the login node settles every outcome)."""
    return services_with(_slurm_settings(tmp_path, sqlite_url))


def watch_until(manager: RunManager, run_id: str, accept: Callable[[Run], object],
                timeout: float = TIMEOUT) -> Run:
    """Poll Slurm (forced, as often as a test needs) until `accept(run)` holds."""

    def fetch() -> Run:
        manager.watch(force=True)
        return manager.get(run_id)

    return poll_until(fetch, accept, timeout=timeout, interval=0.5)


def finished(run: Run) -> bool:
    return RunStatus(run.status).is_finished


def status_json(manager: RunManager, run: Run) -> dict[str, object]:
    return read_json(manager.paths(run).status) or {}


def test_submit_pending_with_reason_running_completed(svc: Services) -> None:
    """A job that holds a CPU, a second that needs both: PENDING with Slurm's reason,
    then RUNNING on the node, then COMPLETED with its exit code and results."""
    m = svc.manager
    first = m.create("fake", name="holds one CPU", overrides=["fake.sleep=1.5"])
    assert first.status == RunStatus.PENDING and first.job is not None
    assert first.job.job_id and first.executor == "slurm"
    assert (m.paths(first).root / "job.sh").is_file()
    first = watch_until(m, first.id, lambda r: r.status == RunStatus.RUNNING)
    second = m.create("fake", name="needs both", executor_options={"cpus_per_task": "2"})
    second = watch_until(m, second.id, lambda r: r.job is not None and r.job.reason)
    assert second.status == RunStatus.PENDING
    assert second.job is not None and second.job.reason in ("Resources", "Priority")
    assert first.job is not None and first.job.node
    second = watch_until(m, second.id, lambda r: r.status != RunStatus.PENDING)
    for run in (first, second):
        done = watch_until(m, run.id, finished)
        assert (done.status, done.exit_code, done.error_message) == \
            (RunStatus.COMPLETED, 0, None)
        assert done.started_at is not None and done.job is not None
        assert done.job.node and done.job.state == "COMPLETED"
        assert (done.current_erlang_index, done.current_iteration) == (1, 2)
        assert (m.paths(done).output / "result.json").is_file() or \
            any(m.paths(done).output.iterdir())
        kinds = [e.kind for e in svc.store.events(done.id)]
        assert kinds[:2] == ["created", "submitted"] and "started" in kinds
        assert kinds[-1] == "completed"
    eventually(lambda: not queue(), timeout=60)  # a job may outlive its run's outcome a moment


def test_cancel_pending_and_running_leaves_nothing(sqlite_svc: Services) -> None:
    m = sqlite_svc.manager
    running = m.create("fake", overrides=["fake.sleep=30"], executor_options={"cpus_per_task": "2"})
    running = watch_until(m, running.id, lambda r: r.status == RunStatus.RUNNING
                          and status_json(m, r).get("pid"))
    pending = m.create("fake")
    pending = watch_until(m, pending.id, lambda r: r.job is not None and r.job.reason)
    assert pending.job is not None
    job = pending.job.job_id
    cancelled = m.cancel(pending.id)
    assert cancelled.status == RunStatus.CANCELLED
    eventually(lambda: job not in queue(), timeout=60)
    m.cancel(running.id)
    done = watch_until(m, running.id, finished)
    assert done.status == RunStatus.CANCELLED and done.error_message is None
    assert (m.paths(done).root / "progress.jsonl").stat().st_size > 0  # partial results
    eventually(lambda: not queue(), timeout=60)
    eventually(lambda: not procs.run_processes(running.id), timeout=30)


@pytest.mark.parametrize("proctrack", ["cgroup"])
def test_cancel_running_with_proctrack(sqlite_svc: Services, cluster: Cluster,
                                       proctrack: str) -> None:
    """With proctrack/cgroup scancel signals only the batch script (our supervisor),
    which must stop the simulator's group itself."""
    cluster.start("--proctrack", proctrack)
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.sleep=30"])
    run = watch_until(m, run.id, lambda r: r.status == RunStatus.RUNNING
                      and status_json(m, r).get("pid"))
    m.cancel(run.id)
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.CANCELLED
    eventually(lambda: not procs.run_processes(run.id), timeout=30)
    eventually(lambda: not queue(), timeout=60)


def test_time_limit_ends_as_timeout_with_partial_results(sqlite_svc: Services) -> None:
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.sleep=4", "general_settings.max_iters=40"],
                   executor_options={"time": "1"})
    done = watch_until(m, run.id, finished, timeout=150)
    assert done.status == RunStatus.TIMEOUT, done.error_message
    assert "time limit" in (done.error_message or "")
    assert (done.current_iteration or 0) >= 1  # it got somewhere, and that was kept
    assert (m.paths(done).root / "progress.jsonl").stat().st_size > 0
    assert "timeout" in [e.kind for e in sqlite_svc.store.events(done.id)]


def test_simulator_killed_ends_failed_with_the_signal(svc: Services) -> None:
    m = svc.manager
    run = m.create("fake", overrides=["fake.sleep=30"])
    run = watch_until(m, run.id, lambda r: status_json(m, r).get("pid"))
    pid = status_json(m, run)["pid"]
    assert isinstance(pid, int)
    os.kill(pid, signal.SIGKILL)
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.FAILED
    assert "SIGKILL" in (done.error_message or "")


def test_a_killed_waiter_inside_the_job_loses_no_exit_status(sqlite_svc: Services) -> None:
    """kill -9 of the waiter inside a job: the job's supervisor (the batch script, the
    simulator's subreaper) collects the simulator's real exit status."""
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.behaviour=wait_go"])
    run = watch_until(m, run.id, lambda r: (read_json(m.paths(r).process) or {}).get("pid"))
    waiter = read_json(m.paths(run).process) or {}
    pid, started = waiter["waiter_pid"], waiter["waiter_started"]
    assert isinstance(pid, int) and isinstance(started, float)
    assert procs.is_same_process(pid, started)
    os.kill(pid, signal.SIGKILL)
    eventually(lambda: not procs.is_same_process(pid, started))
    (m.paths(run).output / "go").write_text("3\n")
    done = watch_until(m, run.id, finished)
    assert (done.status, done.exit_code, done.error_message) == (
        RunStatus.FAILED, 3, "simulator exited with code 3")


@pytest.mark.parametrize("accounting", ["on", "off"])
def test_supervisor_killed_inside_the_job_is_settled(sqlite_svc: Services, cluster: Cluster,
                                                     accounting: str) -> None:
    """Our supervisor dies with its job: the run folder has no outcome, so sacct (or,
    with accounting off, scontrol) says how the job ended."""
    if accounting == "off":
        cluster.start("--accounting", "off")
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.sleep=30"])
    run = watch_until(m, run.id, lambda r: status_json(m, r).get("pid"))
    supervisor = status_json(m, run)["supervisor_pid"]
    assert isinstance(supervisor, int)
    os.kill(supervisor, signal.SIGKILL)
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.FAILED
    error = done.error_message or ""
    if accounting == "off":
        assert "from scontrol" in error, error
    else:  # sacct, unless slurmdbd had not recorded the end yet: then scontrol, saying so
        recovered = " ".join(e.detail or "" for e in sqlite_svc.store.events(run.id))
        assert "from sacct" in error or (
            "from scontrol" in error and "sacct has no final state for it yet" in recovered), \
            (error, recovered)
    assert "supervisor ended without recording" in (done.error_message or "")
    eventually(lambda: not procs.run_processes(run.id), timeout=60)


def test_accounting_off_settles_what_the_folder_can(sqlite_svc: Services,
                                                    cluster: Cluster) -> None:
    cluster.start("--accounting", "off")
    m = sqlite_svc.manager
    ok = m.create("fake")
    bad = m.create("fake", overrides=["fake.behaviour=fail"])
    assert watch_until(m, ok.id, finished).status == RunStatus.COMPLETED
    failed = watch_until(m, bad.id, finished)
    assert failed.status == RunStatus.FAILED and failed.exit_code not in (None, 0)


def test_controller_restarted_mid_run(sqlite_svc: Services, cluster: Cluster) -> None:
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.sleep=4"])
    watch_until(m, run.id, lambda r: r.status == RunStatus.RUNNING)
    cluster.control("--stop-controller")
    try:
        report = m.watch(force=True)
        assert report.problem is not None and "squeue" in report.problem
        assert m.get(run.id).status == RunStatus.RUNNING
    finally:
        cluster.control("--start-controller")
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.COMPLETED


def test_requeue_is_a_new_attempt_in_the_audit_trail(sqlite_svc: Services,
                                                     cluster: Cluster) -> None:
    """A requeue signals every process of the job at once, and the simulator may end
    before its supervisor handles its own signal (CI saw it). That order is made certain
    here: the simulator alone is stopped, the job ends, and only then is it requeued. The
    run's first attempt is not taken for its outcome: Slurm is asked, and the second
    attempt completes it."""
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.sleep=3"])
    run = watch_until(m, run.id, lambda r: status_json(m, r).get("pid"))
    assert run.job is not None and run.job.job_id
    job_id = run.job.job_id
    pid = status_json(m, run)["pid"]
    assert isinstance(pid, int)
    os.kill(pid, signal.SIGTERM)
    eventually(lambda: status_json(m, run).get("state") == "exited" and job_id not in queue(),
               timeout=TIMEOUT)
    assert status_json(m, run).get("stopped_by_slurm") == "SIGTERM to the simulator"
    cluster.requeue(job_id)
    done = watch_until(m, run.id, finished, timeout=240)
    assert done.status == RunStatus.COMPLETED, done.error_message
    assert done.job is not None and done.job.attempt == 2
    events = sqlite_svc.store.events(done.id)
    assert any(e.kind == "requeued" and "attempt 2" in (e.detail or "") for e in events)
    assert (m.paths(done).root / "attempts" / "1" / "status.json").is_file()


def test_one_squeue_call_per_cycle_for_fifty_jobs(sqlite_svc: Services, tmp_path: Path) -> None:
    """A shim first on PATH counts squeue calls: one per poll cycle, whatever the count."""
    shim = tmp_path / "shim"
    shim.mkdir()
    calls = tmp_path / "squeue-calls"
    real = subprocess.run(["which", "squeue"], capture_output=True, text=True).stdout.strip()
    (shim / "squeue").write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real} "$@"\n')
    (shim / "squeue").chmod(0o755)
    m = sqlite_svc.manager
    runs = [m.create("fake", overrides=["fake.sleep=60"]) for _ in range(50)]
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    watcher = RunManager(m.settings, m.store, command_env=env)
    for _ in range(3):
        watcher.watch(force=True)
    lines = calls.read_text().splitlines()
    assert len(lines) == 3
    job_ids = {r.job.job_id for r in runs if r.job is not None}
    assert len(job_ids) == 50
    for line in lines:
        listed = set(line.split("-j ", 1)[1].split(" ", 1)[0].split(","))
        assert listed == job_ids
    # Without force, clients of one store share one poll per interval.
    assert watcher.watch().polled is False
    assert len(calls.read_text().splitlines()) == 3


def test_bad_slurm_requests_leave_nothing(sqlite_svc: Services) -> None:
    m = sqlite_svc.manager
    for slurm, message in (
        ({"partition": "nosuch"}, "partition 'nosuch' does not exist"),
        ({"time": "abc"}, "--time: time: expected a Slurm time limit"),
        ({"extra_args": "--output=/tmp/x"}, "--output is not allowed"),
        ({"mem": "lots"}, "--mem: mem: expected a memory size"),
    ):
        with pytest.raises(ConfigError, match=message):
            m.create("fake", executor_options=slurm)
    assert sqlite_svc.store.count_runs() == 0
    assert list(m.settings.runs_dir.iterdir()) == []
    assert not queue()


async def test_new_run_form_submits_to_slurm_and_the_screens_show_the_job(
        sqlite_svc: Services) -> None:
    """By keyboard: choose the Slurm executor and a time limit in the form, ctrl+s; the
    list shows where it runs and the detail shows the job."""
    from helpers import open_new_run, screen_text, until

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.widgets.runs.table import RunsTable

    app = create_app(sqlite_svc, watch_notifications=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.connected)
        form = await open_new_run(pilot, "fake")
        form.query_one("#executor").value = "slurm"
        await until(pilot, lambda: form.query_one("#slurm-fields").display)
        form.query_one("#slurm-time").value = "10"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: sqlite_svc.store.count_runs() == 1, timeout=30)
        run = sqlite_svc.store.list_runs()[0]
        assert run.executor == "slurm" and run.job is not None
        assert json.loads(run.job.options_json)["time"] == "10" and run.job.job_id
        await until(pilot, lambda: RunStatus(sqlite_svc.manager.get(run.id).status).is_finished,
                    timeout=90)
        table = app.screen.query_one(RunsTable)
        node = (sqlite_svc.manager.get(run.id).job or run.job).node
        await until(pilot, lambda: table.rows_data.get(run.id) is not None
                    and table.rows_data[run.id].where == f"slurm:{node}", timeout=30)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen)
                    and "Time limit" in screen_text(app))
        text = screen_text(app)
        assert "Slurm job" in text and "Time limit" in text and "Node" in text
        assert re.search(rf"^{run.job.job_id}\s*$", text, re.M), text


def test_preempted_job_ends_preempted_with_partial_results(sqlite_svc: Services) -> None:
    """A job of a higher-priority partition preempts ours (PreemptMode=CANCEL): our
    supervisor gets Slurm's SIGTERM, keeps what was done, and sacct says why."""
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.sleep=2", "general_settings.max_iters=30"],
                   executor_options={"cpus_per_task": "2"})
    run = watch_until(m, run.id, lambda r: (r.current_iteration or 0) >= 1
                      or (status_json(m, r).get("pid") and r.status == RunStatus.RUNNING))
    subprocess.run(["sbatch", "-p", "urgent", "-c", "2", "-o", "/dev/null", "--wrap",
                    "sleep 2"], check=True, capture_output=True)
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.PREEMPTED, done.error_message
    assert "preempted" in (done.error_message or "")
    assert (m.paths(done).root / "progress.jsonl").stat().st_size > 0
    eventually(lambda: not procs.run_processes(run.id), timeout=60)


def test_out_of_memory_ends_out_of_memory(sqlite_svc: Services) -> None:
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.behaviour=hog", "fake.sleep=0.5",
                                      "general_settings.max_iters=40"],
                   executor_options={"mem": "150M"})
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.OUT_OF_MEMORY, done.error_message
    assert "memory" in (done.error_message or "")
    eventually(lambda: not procs.run_processes(run.id), timeout=60)


def test_node_failure_ends_node_fail(sqlite_svc: Services) -> None:
    m = sqlite_svc.manager
    run = m.create("fake", overrides=["fake.sleep=30"],
                   executor_options={"extra_args": "--no-requeue"})
    run = watch_until(m, run.id, lambda r: status_json(m, r).get("pid"))
    node = status_json(m, run)["node"]
    subprocess.run(["scontrol", "update", f"nodename={node}", "state=down",
                    "reason=fusion-tui drill"], check=True, capture_output=True)
    try:
        done = watch_until(m, run.id, finished)
    finally:
        subprocess.run(["scontrol", "update", f"nodename={node}", "state=resume"],
                       capture_output=True)
    assert done.status == RunStatus.NODE_FAIL, done.error_message
    eventually(lambda: not procs.run_processes(run.id), timeout=60)


def test_the_app_killed_and_reopened_shows_the_right_states(tmp_path: Path,
                                                           cluster: Cluster) -> None:
    """In tmux, by keyboard: two Slurm runs (the second PENDING behind the first), the app
    killed with SIGKILL, the jobs finish unwatched, the reopened app shows both settled."""
    from conftest import FAKE_COMMAND, TESTS
    from helpers import alive
    from test_tmux_e2e import _app_pid, _close, _open, create_by_keys

    home = tmp_path / "home"
    (home / "templates").mkdir(parents=True)
    slow = (TESTS / "data" / "templates" / "fake.ini").read_text()
    slow = slow.replace("sleep = 0.05", "sleep = 1.5").replace(
        "simulator = builtin", "simulator = builtin\nexecutor = slurm\ncpus_per_task = 2")
    (home / "templates" / "minimal.ini").write_text(slow)
    env = {"FUSION_TUI_HOME": str(home), "FUSION_TUI_SIMULATOR_COMMAND": FAKE_COMMAND,
           "TERM": "xterm-256color"}
    terminal = _open(env)
    try:
        create_by_keys(terminal, 2, "submitted as",
                       form=r"Executor\s+slurm: a Slurm job[\s\S]*CPUs per task\s+2")
        terminal.wait_for(r"RUNNING[\s\S]*PENDING|PENDING[\s\S]*RUNNING", timeout=60)
        app = _app_pid(terminal)
        os.kill(app, signal.SIGKILL)
        eventually(lambda: not alive(app), timeout=10)
        runs = [p for p in (home / "runs").iterdir() if not p.name.startswith(".")]
        assert len(runs) == 2
        eventually(lambda: all((read_json(RunPaths(r).status) or {}).get("status")
                               == "COMPLETED" for r in runs), timeout=90)
        _close(terminal)
        terminal = _open(env)
        screen = terminal.wait_for(r"COMPLETED[\s\S]*COMPLETED", timeout=30)
        assert "RUNNING" not in screen and "PENDING" not in screen
        terminal.keys("Enter")
        terminal.wait_for(r"Slurm job[\s\S]*Slurm state\s+COMPLETED", timeout=20)
    finally:
        _close(terminal)


def test_a_run_folder_the_node_cannot_see_is_named_as_the_cause(sqlite_svc: Services) -> None:
    """The job starts where the run folder is missing (as on a node that does not share
    it): Slurm fails it before anything runs, and the run says why."""
    m = sqlite_svc.manager
    run = m.create("fake", executor_options={"extra_args": "--hold"})
    root = m.paths(run).root
    aside = root.with_name(root.name + ".aside")
    root.rename(aside)
    try:
        assert run.job is not None and run.job.job_id
        subprocess.run(["scontrol", "release", run.job.job_id], check=True,
                       capture_output=True)
        done = watch_until(m, run.id, finished)
    finally:
        aside.rename(root)
    assert done.status == RunStatus.FAILED
    assert "filesystem the compute nodes share" in (done.error_message or "")


def test_a_job_cancelled_in_slurm_before_it_started_is_cancelled(
        sqlite_svc: Services) -> None:
    """A held job cancelled with scancel outside fusion-tui (by the user or an admin):
    the run is CANCELLED and says so; nothing blames the runs folder's filesystem."""
    m = sqlite_svc.manager
    run = m.create("fake", executor_options={"extra_args": "--hold"})
    assert run.job is not None and run.job.job_id
    subprocess.run(["scancel", run.job.job_id], check=True, capture_output=True)
    done = watch_until(m, run.id, finished)
    assert done.status == RunStatus.CANCELLED, done.error_message
    assert "cancelled outside fusion-tui" in (done.error_message or "")
    assert "filesystem" not in (done.error_message or "")


def test_tmpfs_is_known_as_node_local(tmp_path: Path) -> None:
    from helpers import tmpfs

    from fusion_tui.executors.slurm.submission import filesystem_type

    with tmpfs(tmp_path / "mnt", "1m") as folder:
        assert filesystem_type(folder / "runs") == "tmpfs"
    assert filesystem_type(tmp_path) not in (None, "tmpfs")


def test_a_sweep_is_one_job_array(sqlite_svc: Services, tmp_path: Path) -> None:
    """A 2 x 2 grid x 3 seeds sweep as ONE job array with a `%` limit: every task's
    supervisor runs its own point, its output lands in its run's folder; the failed points
    are retried as a second, smaller array and the completed ones are kept."""
    shim, calls = tmp_path / "shim", tmp_path / "sbatch-calls"
    shim.mkdir()
    real = subprocess.run(["which", "sbatch"], capture_output=True, text=True).stdout.strip()
    (shim / "sbatch").write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real} "$@"\n')
    (shim / "sbatch").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    m = RunManager(sqlite_svc.settings, sqlite_svc.store, command_env=env)
    sweeps = SweepManager(m)
    grid = Grid((parse_axis("fake.behaviour=ok,fail"),
                 parse_axis("routing_settings.k_paths=1,2")), (1, 2, 3))
    detail = sweeps.create("fake", grid, name="array", executor="slurm", array_limit=2)
    assert len(detail.runs) == 12
    submitted = [line for line in calls.read_text().splitlines() if "--test-only" not in line]
    assert len(submitted) == 1  # one sbatch for the whole sweep
    jobs = [str(r.job.job_id) for r in detail.runs if r.job is not None]
    array_id = jobs[0].split("_")[0]
    assert jobs == [f"{array_id}_{i}" for i in range(12)]
    script = (sweeps.folder / detail.sweep.id / "array-1" / "array.sh").read_text()
    assert "#SBATCH --array=0-11%2" in script
    shown = subprocess.run(["scontrol", "show", "job", array_id], capture_output=True,
                           text=True).stdout
    assert "ArrayTaskThrottle=2" in shown

    def settled() -> list[Run]:
        m.watch(force=True)
        return sweeps.detail(detail.sweep.id).runs

    runs = poll_until(settled, lambda rs: all(finished(r) for r in rs), timeout=240,
                      interval=1.0)
    for i, run in enumerate(runs):
        point = json.loads(run.point_json or "{}")
        config = json.loads(run.config_json)
        assert config["fake"]["behaviour"] == point["fake.behaviour"]
        assert config["builtin_settings"]["seed"] == point["builtin_settings.seed"]
        expected = RunStatus.COMPLETED if point["fake.behaviour"] == "ok" else RunStatus.FAILED
        assert run.status == expected, (run.status, run.error_message)
        assert (m.paths(run).logs / f"slurm-{array_id}_{i}.out").is_file()
    kept = {r.id for r in runs if r.status == RunStatus.COMPLETED}
    new = sweeps.retry(detail.sweep.id).ids
    assert len(new) == 6
    submitted = [line for line in calls.read_text().splitlines() if "--test-only" not in line]
    assert len(submitted) == 2 and "array-2" in submitted[1]
    retried = [m.get(rid) for rid in new]
    second = {r.job.job_id.split("_")[0] for r in retried if r.job and r.job.job_id}
    assert len(second) == 1 and array_id not in second
    runs = poll_until(settled, lambda rs: all(finished(r) for r in rs), timeout=240,
                      interval=1.0)
    assert kept <= {r.id for r in runs}
    assert {r.origin_id for r in runs if r.id in new} == \
        {r.id for r in detail.runs if r.id not in kept}
    # Cancelling a sweep of 6 tasks (2 running, 4 pending) is ONE scancel of its array.
    scancel = tmp_path / "scancel-calls"
    real = subprocess.run(["which", "scancel"], capture_output=True, text=True).stdout.strip()
    (shim / "scancel").write_text(f'#!/bin/sh\necho "$@" >> {scancel}\nexec {real} "$@"\n')
    (shim / "scancel").chmod(0o755)
    slow = sweeps.create("fake", Grid((), (1, 2, 3, 4, 5, 6)), overrides=["fake.sleep=30"],
                         executor="slurm")
    poll_until(lambda: (m.watch(force=True), sweeps.detail(slow.sweep.id).runs)[1],
               lambda rs: any(r.status == RunStatus.RUNNING for r in rs), timeout=120)
    assert len(sweeps.cancel(slow.sweep.id)) == 6
    first_job = slow.runs[0].job.job_id if slow.runs[0].job else None
    assert scancel.read_text().split() == [str(first_job).split("_")[0]]
    gone = poll_until(lambda: (m.watch(force=True),
                               sweeps.detail(slow.sweep.id).runs)[1],
                      lambda rs: all(r.status == RunStatus.CANCELLED for r in rs), timeout=120)
    assert len(gone) == 6
    eventually(lambda: not queue(), timeout=60)


def test_slurms_exit_code_is_the_jobs_never_the_simulators(tmp_path: Path,
                                                          slurm_up: None) -> None:
    """A run whose supervisor left nothing in the folder is settled from Slurm's account
    alone; the exit code there is the batch script's (0:9 for a killed one), so the run
    records none and the message names it as the job's. (No queue clearing: this case
    submits one job of its own and leaves every other job alone.)"""
    client = SlurmClient(env=submit_env())
    paths = RunPaths(tmp_path / "0123456789ab")
    paths.create()
    write_json_atomic(paths.status, {"run_id": "0123456789ab", "state": "running"})
    script = paths.root / "job.sh"
    script.write_text(f"#!/bin/sh\n#SBATCH --output={paths.root}/slurm-%j.out\nkill -9 $$\n")
    job = client.sbatch(script)
    left = utcnow()
    settled = poll_until(lambda: settle(paths, job, client, FolderEvidence(),
                                                progress_of, left_queue_at=left),
                         lambda s: s is not None, timeout=TIMEOUT, interval=0.5)
    assert settled is not None
    assert (settled.status, settled.exit_code) == (RunStatus.FAILED, None)
    assert f"Slurm job {job} ended FAILED, exit code 0 signal 9" in (settled.error or "")
