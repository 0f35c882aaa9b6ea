"""Runs that wait, through the real command line and real runs (the fake simulator):
`new --after` starts a run only once the runs it names have COMPLETED and ends it, saying
why, when one of them ends otherwise; `--delay` and `--at` make a queued run that the
queue refuses to start before its time and that starts at its time with no command, app
or run of ours going on (its timer); bad input is one line, exit 2, nothing made."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import psutil
from helpers import Cli, poll_until

from fusion_tui.base import procs
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus, utcnow


def _status(services: Services, run_id: str, *statuses: RunStatus) -> Run:
    """The run once its status is one of `statuses`, read from the store (reading never
    starts a queued run)."""
    run = poll_until(lambda: services.store.get(run_id),
                     lambda r: r is not None and r.status in statuses, timeout=60)
    assert run is not None
    return run


def _new(cli: Cli, settings: Settings, *args: str) -> dict[str, object]:
    return cli.json(settings, "new", "-t", "fake", *args)  # type: ignore[no-any-return]


def _folders(settings: Settings) -> set[str]:
    return {p.name for p in settings.runs_dir.iterdir()} if settings.runs_dir.is_dir() else set()


def test_after_starts_a_run_once_the_first_has_completed(
        cli: Cli, settings: Settings, services: Services, tmp_path: Path) -> None:
    services.store.set_queue(max_concurrent=3)  # only the dependency holds it back
    go = tmp_path / "go"
    first = _new(cli, settings, "-n", "first", "--set", "fake.behaviour=hold",
                 "--set", f"fake.go={go}")
    assert first["status"] == RunStatus.RUNNING
    second = _new(cli, settings, "-n", "second", "--after", str(first["id"]))
    assert second["status"] == RunStatus.PENDING and second["after"] == [first["id"]]
    shown = cli.json(settings, "show", str(second["id"]))
    assert shown["waiting"] == f"waiting for run {first['id']}"
    listed = cli(settings, "runs").stdout
    assert f"after {str(first['id'])[:6]}" in listed
    queued = [e for e in shown["events"] if e["kind"] == "queued"]
    assert queued[-1]["detail"] == f"waiting for run {first['id']}"
    go.write_text("")
    done_first = _status(services, str(first["id"]), RunStatus.COMPLETED)
    done_second = _status(services, str(second["id"]), RunStatus.COMPLETED)
    assert done_first.completed_at is not None and done_second.started_at is not None
    assert done_second.started_at >= done_first.completed_at
    # After a run that has COMPLETED already: nothing to wait for.
    third = _new(cli, settings, "--after", str(first["id"]))
    assert third["status"] == RunStatus.RUNNING and third["after"] == []


def test_a_failed_first_run_ends_the_chain_after_it_saying_why(
        cli: Cli, settings: Settings, services: Services) -> None:
    services.store.set_queue(max_concurrent=3)
    first = _new(cli, settings, "--set", "fake.behaviour=wait_go")
    second = _new(cli, settings, "--after", str(first["id"]))
    third = _new(cli, settings, "--after", f"{second['id']}")
    run_dir = Path(str(first["run_dir"]))
    poll_until(lambda: (run_dir / "output" / "pids.json").exists(), bool)
    (run_dir / "output" / "go.tmp").write_text("3")
    os.replace(run_dir / "output" / "go.tmp", run_dir / "output" / "go")
    assert _status(services, str(first["id"]), RunStatus.FAILED).exit_code == 3
    ended = _status(services, str(second["id"]), RunStatus.CANCELLED)
    assert ended.error_message == (f"not started: run {first['id']}, which it was to run "
                                   "after, ended FAILED")
    assert ended.started_at is None and ended.pid is None
    after = _status(services, str(third["id"]), RunStatus.CANCELLED)
    assert after.error_message == (f"not started: run {second['id']}, which it was to run "
                                   "after, ended CANCELLED")
    waited = cli(settings, "wait", str(second["id"]))
    assert waited.returncode == 130
    shown = cli(settings, "show", str(second["id"])).stdout
    assert f"error            not started: run {first['id']}" in shown
    # A run after one that has already failed would never start: refused, nothing made.
    runs, folders = services.store.count_runs(), _folders(settings)
    refused = cli(settings, "new", "-t", "fake", "--after", str(first["id"]))
    assert refused.returncode == 2
    assert refused.stderr == (f"fusion-tui: --after: run {first['id']} ended FAILED, so a run "
                              "after it would never start\n")
    assert services.store.count_runs() == runs and _folders(settings) == folders


def test_cancelling_the_first_run_ends_the_runs_after_it(
        cli: Cli, settings: Settings, services: Services) -> None:
    services.store.set_queue(paused=True)
    first = _new(cli, settings)
    second = _new(cli, settings, "--after", str(first["id"]))
    assert cli(settings, "cancel", str(first["id"])).returncode == 0
    ended = services.store.get(str(second["id"]))  # at once, by the cancel itself
    assert ended is not None and ended.status == RunStatus.CANCELLED
    assert ended.error_message == (f"not started: run {first['id']}, which it was to run "
                                   "after, ended CANCELLED")


def test_deleting_the_run_a_queued_run_needs_ends_it_at_once(
        cli: Cli, settings: Settings, services: Services, tmp_path: Path) -> None:
    go = tmp_path / "go"
    first = _new(cli, settings, "--set", "fake.behaviour=hold", "--set", f"fake.go={go}")
    second = _new(cli, settings, "--after", str(first["id"]), "--delay", "1d")
    assert second["status"] == RunStatus.PENDING and second["after"] == [first["id"]]
    go.write_text("")
    _status(services, str(first["id"]), RunStatus.COMPLETED)
    assert services.store.get(str(second["id"])).status == RunStatus.PENDING  # type: ignore[union-attr]
    assert cli(settings, "rm", str(first["id"])).returncode == 0
    ended = services.store.get(str(second["id"]))  # at once, by the delete itself
    assert ended is not None and ended.status == RunStatus.CANCELLED
    assert ended.error_message == (f"not started: run {first['id']}, which it was to run "
                                   "after, was deleted")


def test_bad_after_and_times_are_one_line_and_make_nothing(
        cli: Cli, settings: Settings, services: Services) -> None:
    services.store.set_queue(paused=True)
    kept = _new(cli, settings)
    runs, folders = services.store.count_runs(), _folders(settings)
    past = (datetime.now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    for args, message in (
            (["--after", "ffffffffffff"], "--after: no run or sweep with id 'ffffffffffff'"),
            (["--after", "zz"], "--after: no run or sweep with id 'zz' (invalid run id 'zz': "
                                "expected 12 hex characters)"),
            (["--after", f"{kept['id']},"], "--after: an empty id"),
            (["--at", past], f"--at {past}: that time has passed"),
            (["--at", "25:61"], "--at 25:61: not a clock time (HH:MM)"),
            (["--delay", "soon"], "--delay soon: expected a duration such as 30s, 5m, 2h or "
                                  "1d, got 'soon'"),
            (["--delay", "0s"], "--delay 0s: expected a duration of more than 0"),
            (["--delay", "1000000d"], "--delay 1000000d: too far ahead (a run waits at most "
                                      "366 days)"),
            (["--delay", "9" * 20 + "d"], f"--delay {'9' * 20}d: too far ahead"),
            (["--at", "9999-12-31T23:59-05:00"], "--at 9999-12-31T23:59-05:00: too far ahead"),
            (["--at", "9999-12-31T23:59+14:00"], "--at 9999-12-31T23:59+14:00: too far ahead"),
            (["--at", "02:00", "--delay", "5m"], "argument --delay: not allowed with argument "
                                                 "--at")):
        done = cli(settings, "new", "-t", "fake", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.startswith(f"fusion-tui: {message}"), (args, done.stderr)
        assert done.stderr.count("\n") == 1
        sweep = cli(settings, "sweep", "new", "-t", "fake", "--seeds", "1-2", *args)
        assert sweep.returncode == 2 and sweep.stderr.startswith(f"fusion-tui: {message}")
    assert services.store.count_runs() == runs and _folders(settings) == folders


def _timers(run_id: str) -> list[psutil.Process]:
    return [psutil.Process(pid) for pid, _ in
            procs.processes_with(procs.marker(procs.TIMER_MARKER, run_id))]


def test_a_delayed_run_waits_for_its_time_then_starts_by_its_timer(
        cli: Cli, settings: Settings, services: Services) -> None:
    made = _new(cli, settings, "--delay", "3s", "-n", "later")
    assert made["status"] == RunStatus.PENDING
    run_id = str(made["id"])
    run = services.store.get(run_id)
    assert run is not None and run.start_after is not None and run.start_after > utcnow()
    shown = cli.json(settings, "show", run_id)
    assert str(shown["waiting"]).startswith("starts at ")
    # Before its time the queue does not claim it (the claim at a `now` before it)...
    early = run.start_after - timedelta(seconds=1)
    assert services.manager.schedule(now=early) == []
    # ...and with nothing else of ours going on its timer, a detached process of its own
    # session, starts it at its time.
    [timer] = _timers(run_id)
    assert os.getsid(timer.pid) == timer.pid  # its own session: no terminal reaches it
    done = _status(services, run_id, RunStatus.COMPLETED)
    assert done.started_at is not None and done.started_at >= run.start_after
    log = (Path(done.run_dir) / "logs" / "supervisor.log").read_text()
    assert f"runs {run_id} are due at" in log and f"started 1 run(s): {run_id}" in log


def test_a_sweep_after_a_run_at_a_time_waits_for_both(
        cli: Cli, settings: Settings, services: Services, tmp_path: Path) -> None:
    services.store.set_queue(max_concurrent=4)
    go = tmp_path / "go"
    first = _new(cli, settings, "--set", "fake.behaviour=hold", "--set", f"fake.go={go}")
    later = datetime.now() + timedelta(hours=1)
    at = later.strftime("%H:%M")
    # `--at` names the next such time; `show` dates it when that is another day.
    when = at if later.date() == datetime.now().date() else later.strftime("%Y-%m-%d %H:%M")
    made = json.loads(cli(settings, "sweep", "new", "-t", "fake", "--seeds", "1-2", "--after",
                          str(first["id"]), "--at", at, "--json").stdout)
    ids = [r["id"] for r in made["runs"]]
    for run_id in ids:
        run = services.store.get(run_id)
        assert run is not None and run.status == RunStatus.PENDING
        assert [n.needs_id for n in run.needs] == [first["id"]]
        assert run.start_after is not None and run.start_after > utcnow()
    shown = cli.json(settings, "show", ids[0])
    assert shown["waiting"] == f"waiting for run {first['id']}; starts at {when}"
    go.write_text("")
    _status(services, str(first["id"]), RunStatus.COMPLETED)
    # Its need met, it still waits for its time: the claim at a `now` just after it does.
    assert services.manager.schedule(now=utcnow()) == []
    due = services.store.get(ids[0]).start_after  # type: ignore[union-attr]
    assert due is not None
    assert sorted(r.id for r in services.manager.schedule(now=due)) == sorted(ids)
    assert _timers(ids[0])  # an hour away: the test's fixture ends it


def test_cancelling_all_of_a_timers_runs_ends_the_timer(
        cli: Cli, settings: Settings, services: Services) -> None:
    """A timer whose runs are no longer queued would sleep until their time (up to a
    year) for nothing: cancelling the last of them ends it; one with a run still queued
    stays."""
    services.store.set_queue(max_concurrent=3)
    sweep = cli.json(settings, "sweep", "new", "-t", "fake", "--seeds", "1-2",
                     "--delay", "1h")
    run_ids = [str(r["id"]) for r in sweep["runs"]]
    lone = _new(cli, settings, "--delay", "1h")
    [sweep_timer] = _timers(run_ids[0])
    [lone_timer] = _timers(str(lone["id"]))
    assert cli(settings, "cancel", run_ids[0]).returncode == 0  # the other still waits
    assert sweep_timer.is_running() and sweep_timer.status() != psutil.STATUS_ZOMBIE
    assert cli(settings, "cancel", run_ids[1]).returncode == 0
    assert poll_until(lambda: not sweep_timer.is_running()
                      or sweep_timer.status() == psutil.STATUS_ZOMBIE, bool, timeout=30)
    assert lone_timer.is_running() and lone_timer.status() != psutil.STATUS_ZOMBIE
    assert cli(settings, "cancel", str(lone["id"])).returncode == 0
    assert poll_until(lambda: not lone_timer.is_running()
                      or lone_timer.status() == psutil.STATUS_ZOMBIE, bool, timeout=30)


def test_db_check_repair_ends_the_runs_after_a_queued_run_it_marks_failed(
        cli: Cli, settings: Settings, services: Services) -> None:
    services.store.set_queue(paused=True)
    first = _new(cli, settings)
    second = _new(cli, settings, "--after", str(first["id"]))
    shutil.rmtree(str(first["run_dir"]))
    repaired = cli(settings, "db", "check", "--repair")
    # (it still says the failed run's row has no folder: that row is the user's to delete)
    assert repaired.returncode == 1 and "whose folder is gone" in repaired.stderr
    assert services.store.get(str(first["id"])).status == RunStatus.FAILED  # type: ignore[union-attr]
    ended = services.store.get(str(second["id"]))
    assert ended is not None and ended.status == RunStatus.CANCELLED
    assert ended.error_message == (f"not started: run {first['id']}, which it was to run "
                                   "after, ended FAILED")
    assert f"ended queued run {second['id']}" in repaired.stdout


def test_a_running_run_found_lost_ends_the_runs_after_it_even_when_only_looking(
        cli: Cli, settings: Settings, services: Services, tmp_path: Path) -> None:
    go = tmp_path / "go"
    first = _new(cli, settings, "--set", "fake.behaviour=hold", "--set", f"fake.go={go}")
    services.store.set_queue(paused=True)
    second = _new(cli, settings, "--after", str(first["id"]))
    _status(services, str(first["id"]), RunStatus.RUNNING)
    # Its supervisor, waiter and simulator all killed, and its folder gone:
    run_id = str(first["id"])
    ours = [procs.marker(name, run_id) for name in (procs.SUPERVISOR_MARKER, procs.RUN_MARKER)]
    poll_until(lambda: [p for m in ours for p, _ in procs.processes_with(m)],
               lambda found: len(found) >= 3, timeout=30)
    while found := [p for m in ours for p, _ in procs.processes_with(m)]:
        for pid in found:
            os.kill(pid, 9)
        time.sleep(0.05)
    shutil.rmtree(str(first["run_dir"]))
    assert cli(settings, "runs").returncode == 0  # a listing reconciles, starts nothing
    lost = _status(services, str(first["id"]), RunStatus.FAILED)
    assert (lost.error_message or "").startswith("lost: its run directory")
    ended = _status(services, str(second["id"]), RunStatus.CANCELLED)
    assert ended.error_message == (f"not started: run {first['id']}, which it was to run "
                                   "after, ended FAILED")
