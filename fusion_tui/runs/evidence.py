"""A run's outcome from what it left behind, for a supervisor that settles a run
(its own, or one it adopted): the exit status, the progress file's last events, the log.

Plain Python over the run directory; the order of trust is: an exit status recorded by
the waiter (or by the supervisor, the simulator's subreaper, when the waiter died first),
then the simulator's final progress event, then nothing (FAILED, saying
what is known). A cancel that was asked for makes the run CANCELLED whatever ended it.

Neither an exit status of 0 nor a final progress event is enough to call a run
COMPLETED: that also needs a result for every load its config plans (`with_results`,
the one rule for both simulators and both executors). A simulator whose worker crashed
and that still exits 0 (FUSION's 5.5 line does) otherwise looks like a success.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.base.documents import EXITED, ExitRecord, StatusRecord
from fusion_tui.base.procs import signal_name
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.safefile import open_binary
from fusion_tui.kinds.registry import kind_of_run
from fusion_tui.monitor.progress import ProgressState, planned_loads
from fusion_tui.store.status import FINISHED_STATUSES

_TAIL_BYTES = 8192
_LOADS_SHOWN = 10


@dataclass(frozen=True)
class Outcome:
    status: str
    exit_code: int | None
    error: str | None
    recovered: str | None = None
    note: str | None = None  # what a bounded copy of the results left in the simulator's folder


FINAL = frozenset(s.value for s in FINISHED_STATUSES)


def supervisor_outcome(paths: RunPaths) -> tuple[Outcome, str | None] | None:
    """The outcome (and completion time) a supervisor wrote to status.json, for a run
    whose supervisor ended before the store heard of it; None when it wrote none."""
    status = StatusRecord.read(paths.status)
    if status.state != EXITED or status.status not in FINAL:
        return None
    return Outcome(status.status, status.exit_code, status.error,
                   recovered="outcome recorded by its supervisor, which ended before the "
                             "store was updated", note=status.results_note), \
        status.completed_at


def recorded_exit(paths: RunPaths) -> tuple[int | None, str | None] | None:
    """(exit code, spawn error) in exit.json (the waiter's, or the supervisor's when it
    collected the simulator's status itself), or None when nothing was written."""
    record = ExitRecord.read(paths.exit)
    return (record.exit_code, record.spawn_error) if record is not None else None


def tail_text(path: Path) -> str:
    """The last few KiB of a log as text ("" when it cannot be read)."""
    try:
        with open_binary(path) as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - _TAIL_BYTES))
            data = fh.read(_TAIL_BYTES)
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def last_line(path: Path) -> str | None:
    """The last non-blank line of a log, read from its tail only."""
    lines = [ln.strip() for ln in tail_text(path).splitlines() if ln.strip()]
    return lines[-1][:300] if lines else None


def _how(code: int) -> str:
    return f"exited with code {code}" if code >= 0 else f"killed by {signal_name(-code)}"


def decide(*, code: int | None, spawn_error: str | None, cancel_requested: bool,
           started: bool, progress: ProgressState, paths: RunPaths) -> Outcome:
    """The outcome of a run whose simulator has ended (or, `started` False, never began)."""
    log = paths.log
    if spawn_error is not None:
        return Outcome("FAILED", None, spawn_error)
    if cancel_requested:
        return Outcome("CANCELLED", code, None)
    if not started and code is None and not progress.finished and progress.error is None \
            and last_line(log) is None:
        # Only what the folder shows: which of our processes ended first (the waiter
        # before it started the simulator, or the supervisor before the waiter) is unknown.
        return Outcome("FAILED", None, "nothing shows that the simulator ever started (no "
                                       "record of its process, no exit status, no progress, "
                                       "an empty log); clone the run to try again",
                       recovered="no trace of a simulator")
    if code == 0:
        return with_results(Outcome("COMPLETED", 0, None), paths, progress)
    if code is not None:
        detail = progress.failure or last_line(log)
        suffix = f": {detail}" if detail else ""
        return Outcome("FAILED", code, f"simulator {_how(code)}{suffix}")
    if progress.finished:
        return with_results(
            Outcome("COMPLETED", progress.exit_code if progress.exit_code is not None else 0,
                    None, recovered="no exit status was recorded; the simulator's final "
                                    "progress event says it completed"), paths, progress)
    if progress.failure:
        return Outcome("FAILED", None, f"simulator ended without a recorded exit status: "
                                       f"{progress.failure}",
                       recovered="no exit status was recorded; taken from its progress file")
    # Say only what is known: which of our processes was alive when it ended, and why
    # none recorded its status, the folder cannot tell.
    detail = last_line(log)
    return Outcome(
        "FAILED", None,
        "lost: the simulator has ended, but no exit status and no final progress event of "
        "it were recorded" + (f"; last log line: {detail}" if detail else "; the log is empty"),
        recovered="no exit status, no final progress event")


def loads_without_results(paths: RunPaths, progress: ProgressState) -> list[float]:
    """The planned loads that have no result file, neither in the run's output/ nor in
    the simulator's own folder (where a bounded copy may have left them; its kind of run
    says where that is). Nothing when the plan cannot be read (then there is nothing to
    hold the run to)."""
    kind = kind_of_run(paths)
    loads = planned_loads(paths.config, kind.loads) or []
    found = {load for load, file in kind.result_files(paths.output).items() if _has_data(file)}
    folder = kind.result_source(paths, progress)
    if folder is not None:
        found |= {load for load, file in kind.result_files(folder).items() if _has_data(file)}
    return [load for load in loads
            if not any(abs(load - have) <= 1e-6 * max(1.0, abs(load)) for have in found)]


def _has_data(file: Path) -> bool:
    try:
        return file.lstat().st_size > 0
    except OSError:
        return False


def load_list(loads: list[float]) -> str:
    shown = ", ".join(f"{load:g}" for load in loads[:_LOADS_SHOWN])
    more = len(loads) - _LOADS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def with_results(outcome: Outcome, paths: RunPaths, progress: ProgressState) -> Outcome:
    """The rule for COMPLETED: every planned load has its result. Otherwise FAILED, in one
    line naming the loads without results; the exit code is kept."""
    if outcome.status != "COMPLETED":
        return outcome
    missing = loads_without_results(paths, progress)
    if not missing:
        return outcome
    planned = planned_loads(paths.config, kind_of_run(paths).loads) or []
    said = "exited 0" if outcome.exit_code == 0 else (
        f"exited with code {outcome.exit_code}" if outcome.exit_code is not None
        else "said it completed")
    detail = progress.failure
    return Outcome(
        "FAILED", outcome.exit_code,
        f"simulator {said} but no results for load{'s' if len(missing) > 1 else ''} "
        f"{load_list(missing)} ({len(planned) - len(missing)} of {len(planned)} planned "
        f"loads have results)" + (f"; it logged: {detail}" if detail else ""),
        recovered=outcome.recovered)
