"""What the app does to runs, sweeps and the queue on the user's word, each in a thread
worker of the app (so it outlives the screen that asked) that ends in one toast."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError, describe
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.safefile import read_text
from fusion_tui.runs.errors import RunError
from fusion_tui.tui.session import SessionApp

SweepAction = Literal["cancel", "retry", "delete"]
ScheduleAction = Literal["pause", "resume", "delete"]


def cancel_runs(app: SessionApp, run_ids: list[str]) -> None:
    """Cancel each run; one that cannot be cancelled is one warning."""
    def cancel() -> None:
        for run_id in run_ids:
            try:
                app.services.manager.cancel(run_id)
            except (RunError, FaultError) as exc:
                app.call_from_thread(app.say, str(exc), severity="warning")

    app.run_worker(cancel, thread=True, exit_on_error=False, group="actions")


def delete_runs(app: SessionApp, run_ids: list[str]) -> None:
    """Delete each finished run with its folder; one that cannot go is one warning."""
    def delete() -> None:
        for run_id in run_ids:
            try:
                app.services.manager.delete(run_id)
            except (RunError, FaultError) as exc:
                app.call_from_thread(app.say, str(exc), severity="warning")
            except OSError as exc:
                app.call_from_thread(app.say, describe(exc), severity="warning")
        app.call_from_thread(app.say, f"Deleted {len(run_ids)} run(s)")

    app.run_worker(delete, thread=True, exit_on_error=False, group="actions")


def sweep_action(app: SessionApp, action: SweepAction, sweep_id: str,
                 done: Callable[[], object] | None = None) -> None:
    """Cancel a sweep's unfinished runs, retry its failed points, or delete it."""
    def act() -> None:
        sweeps = app.services.sweeps
        if action == "cancel":
            message = f"sweep {sweep_id}: cancel requested for " \
                      f"{len(sweeps.cancel(sweep_id))} run(s)"
        elif action == "retry":
            message = sweeps.retry(sweep_id).text(sweep_id)
        else:
            message = sweeps.delete(sweep_id).text(sweep_id)
        app.call_from_thread(app.say, message)
        if done is not None:
            app.call_from_thread(done)

    app.run_worker(act, thread=True, exit_on_error=False, group="actions")


def schedule_action(app: SessionApp, action: ScheduleAction, schedule_id: str,
                    done: Callable[[], object] | None = None) -> None:
    """Pause, resume or delete a schedule (what it started stays)."""
    def act() -> None:
        schedules = app.services.schedules
        try:
            if action == "pause":
                schedules.pause(schedule_id)
            elif action == "resume":
                schedules.resume(schedule_id)
            else:
                schedules.remove(schedule_id)
        except RunError as exc:
            app.call_from_thread(app.say, str(exc), severity="warning")
            return
        past = {"pause": "paused", "resume": "resumed", "delete": "deleted"}[action]
        app.call_from_thread(app.say, f"schedule {schedule_id} {past}")
        if done is not None:
            app.call_from_thread(done)

    app.run_worker(act, thread=True, exit_on_error=False, group="actions")


def change_queue(app: SessionApp, *, paused: bool | None = None, delta: int = 0,
                 done: Callable[[], object] | None = None) -> None:
    """Pause or resume our queue, or move its limit by `delta` (kept in the store;
    another user's queue is theirs)."""
    def change() -> None:
        # Imported here for start-up speed: the run manager loads the database layer,
        # and this module is on the run list's first-frame path.
        from fusion_tui.runs.queue import change_queue as change_in_store

        queue = change_in_store(app.services.manager, paused=paused, delta=delta)
        state = (f"paused: queued runs wait (up to {queue.max_concurrent} at once when "
                 "resumed)" if queue.paused else f"running, up to {queue.max_concurrent} at once")
        app.call_from_thread(app.say, f"Your queue {state}")
        if done is not None:
            app.call_from_thread(done)

    app.run_worker(change, thread=True, exit_on_error=False, group="actions")


def check_fusion_setup(app: SessionApp, run_dir: str, template: str) -> None:
    """After a FUSION run is created: is FUSION set up for it? One line either way."""
    def check() -> None:
        # Imported here for start-up speed: this module is on the first frame's path
        # (the run list's keys), and these are needed only after a FUSION run is made.
        from fusion_tui.config.templates import TEMPLATE_LIMIT, parse_ini
        from fusion_tui.kinds.registry import kind_of_run

        try:
            sections, _ = parse_ini(read_text(RunPaths(Path(run_dir)).config, TEMPLATE_LIMIT),
                                    "config")
        except (OSError, UnicodeDecodeError, ConfigError):
            sections = None
        checks = kind_of_run(RunPaths(Path(run_dir))).doctor(app.settings, sections, template)
        problems = [c.problem for c in checks if c.problem]
        if problems:
            more = f" (and {len(problems) - 1} more: run fusion-tui doctor)" \
                if len(problems) > 1 else ""
            app.call_from_thread(app.say, problems[0] + more, severity="warning",
                                 title="FUSION set-up")
        else:
            app.call_from_thread(app.say, "checkout, Python, command and files are fine",
                                 title="FUSION set-up")

    app.run_worker(check, thread=True, exit_on_error=False, exclusive=True, group="doctor")


def write_report(app: SessionApp, sweep_id: str, *, metric: str = "blocking",
                 by: Sequence[str] = (), baseline: Mapping[str, str] | None = None,
                 spread: str = "interval") -> None:
    """`fusion-tui report` of a sweep into a new folder `<home>/reports/sweep-<id>-<local
    time>[-n]`: the same files, said in a toast (and what was left out, e.g. the figures
    without matplotlib)."""
    def write() -> None:
        # The report layer reads through SQLAlchemy (and draws with matplotlib): imported
        # when asked for, not on the app's first frame.
        from fusion_tui.report import folder
        from fusion_tui.report.build import Options, build
        from fusion_tui.report.sizes import SIZES

        stem = f"sweep-{sweep_id}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        reports = Path(app.settings.home) / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        out, n = reports / stem, 1
        while os.path.lexists(out):  # two reports in one second: the second gets -2
            n += 1
            out = reports / f"{stem}-{n}"
        report = build(app.services.sweeps, [sweep_id],
                       Options(SIZES["column"], metric=metric, by=list(by),
                               baseline=baseline, spread=spread))
        folder.write(out, report.files, force=False)
        app.call_from_thread(app.say, "; ".join([f"report written to {out}", *report.notes]),
                             title="Report")

    app.run_worker(write, thread=True, exit_on_error=False, group="actions")
