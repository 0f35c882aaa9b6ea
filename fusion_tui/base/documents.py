"""The documents of a run folder, typed: `status.json` (the supervisor's), `exit.json` and
`process.json` (the waiter's), `launch.json` (frozen at creation), and the report a
supervisor hands its recorder helper (one JSON line).

Each has one `to_json` and one tolerant `from_json`: a field that is missing or of the
wrong type reads as unset, unknown fields are ignored, so a folder written by another
version of fusion-tui (or damaged) is read for what it holds. Named tuples, not
dataclasses: the waiter reads and writes these before the simulator starts, and
importing `dataclasses` (with `inspect`) would cost every run of a queue that time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from fusion_tui.base.rundir import read_json

Identity = tuple[int, float]  # a process: pid and start time (epoch seconds)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _identity(value: Any) -> Identity | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        pid, started = _int(value[0]), _float(value[1])
        if pid is not None and started is not None:
            return pid, started
    return None


def _pair(pid: int | None, started: float | None) -> Identity | None:
    return (pid, started) if pid is not None and started is not None else None


STARTING, ADOPTING, RUNNING, EXITED = "starting", "adopting", "running", "exited"
# Written whenever the run has ended, null or not: they are its outcome.
_OUTCOME_KEYS = ("status", "exit_code", "error", "completed_at", "results_note")
# The keys these fields have had on disk since the first scheduler, Slurm, and keep: a
# login node reads the status of jobs started by another version during an upgrade.
_STATUS_KEYS = {"stopped_by_scheduler": "stopped_by_slurm", "job_id": "slurm_job_id"}


class StatusRecord(NamedTuple):
    """`status.json`: the supervisor's identity, the simulator's, then the outcome."""

    run_id: str | None = None
    state: str | None = None  # starting, adopting, running, exited
    supervisor_pid: int | None = None
    supervisor_started: float | None = None
    pid: int | None = None
    pgid: int | None = None
    pid_started: float | None = None
    started_at: str | None = None
    cancel_seen_at: str | None = None  # the supervisor's answer to a cancel
    status: str | None = None
    exit_code: int | None = None
    error: str | None = None
    completed_at: str | None = None
    results_note: str | None = None
    stopped_by_scheduler: str | None = None  # the signal a batch scheduler stopped it with
    job_id: str | None = None  # the batch scheduler's job it runs in
    node: str | None = None
    attempt: int | None = None

    @property
    def supervisor(self) -> Identity | None:
        return _pair(self.supervisor_pid, self.supervisor_started)

    @property
    def written(self) -> bool:
        """Whether a supervisor has written anything here yet (no file reads as nothing)."""
        return self != StatusRecord()

    @property
    def live(self) -> bool:
        """Its supervisor is following a simulator (not an ended attempt's record)."""
        return self.state in (STARTING, RUNNING)

    def to_json(self) -> dict[str, Any]:
        return {_STATUS_KEYS.get(k, k): v for k, v in self._asdict().items()
                if v is not None or (self.state == EXITED and k in _OUTCOME_KEYS)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> StatusRecord:
        d = data or {}
        return cls(
            _str(d.get("run_id")), _str(d.get("state")), _int(d.get("supervisor_pid")),
            _float(d.get("supervisor_started")), _int(d.get("pid")), _int(d.get("pgid")),
            _float(d.get("pid_started")), _str(d.get("started_at")),
            _str(d.get("cancel_seen_at")), _str(d.get("status")), _int(d.get("exit_code")),
            _str(d.get("error")), _str(d.get("completed_at")), _str(d.get("results_note")),
            _str(d.get(_STATUS_KEYS["stopped_by_scheduler"])),
            _str(d.get(_STATUS_KEYS["job_id"])), _str(d.get("node")),
            _int(d.get("attempt")))

    @classmethod
    def read(cls, path: Path) -> StatusRecord:
        """The record at `path`; all unset when it is missing or unreadable."""
        return cls.from_json(read_json(path))


class ExitRecord(NamedTuple):
    """`exit.json`: how the simulator ended (its exit status), or why it never started."""

    exit_code: int | None = None
    spawn_error: str | None = None
    at: str | None = None

    def to_json(self) -> dict[str, Any]:
        said: dict[str, Any] = {"spawn_error": self.spawn_error} \
            if self.spawn_error is not None else {"exit_code": self.exit_code}
        return {**said, "at": self.at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ExitRecord | None:
        """None when it records neither an exit status nor a spawn error."""
        if data is None:
            return None
        at = _str(data.get("at"))
        error = _str(data.get("spawn_error"))
        if error is not None:
            return cls(None, error, at)
        code = _int(data.get("exit_code"))
        return cls(code, None, at) if code is not None else None

    @classmethod
    def read(cls, path: Path) -> ExitRecord | None:
        return cls.from_json(read_json(path))


class ProcessRecord(NamedTuple):
    """`process.json` (and the waiter's `started` report): the simulator's identity and
    the waiter's."""

    pid: int | None = None
    pid_started: float | None = None
    waiter_pid: int | None = None
    waiter_started: float | None = None

    @property
    def simulator(self) -> Identity | None:
        return _pair(self.pid, self.pid_started)

    @property
    def waiter(self) -> Identity | None:
        return _pair(self.waiter_pid, self.waiter_started)

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ProcessRecord:
        d = data or {}
        return cls(_int(d.get("pid")), _float(d.get("pid_started")), _int(d.get("waiter_pid")),
                   _float(d.get("waiter_started")))

    @classmethod
    def read(cls, path: Path) -> ProcessRecord:
        return cls.from_json(read_json(path))


class LaunchRecord(NamedTuple):
    """`launch.json`, frozen at creation: what the waiter starts, where, and which kind
    of run it is."""

    argv: tuple[str, ...]
    cwd: str | None = None
    simulator: str | None = None
    env: tuple[tuple[str, str], ...] = ()  # added to the simulator's environment

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"argv": list(self.argv), "cwd": self.cwd,
                               "simulator": self.simulator}
        if self.env:
            doc["env"] = dict(self.env)
        return doc

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> LaunchRecord | None:
        """None when it names no command to start."""
        if data is None or not isinstance(data.get("argv"), list):
            return None
        env = data.get("env")
        return cls(tuple(str(a) for a in data["argv"]), _str(data.get("cwd")) or None,
                   _str(data.get("simulator")),
                   tuple((str(k), str(v)) for k, v in env.items())
                   if isinstance(env, dict) else ())

    @classmethod
    def read(cls, path: Path) -> LaunchRecord | None:
        return cls.from_json(read_json(path))


class OutcomeRecord(NamedTuple):
    """A run's outcome as a supervisor reports it."""

    status: str
    exit_code: int | None
    error: str | None
    completed_at: str
    recovered: str | None = None
    note: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> OutcomeRecord | None:
        if not isinstance(data, dict):
            return None
        status, completed = _str(data.get("status")), _str(data.get("completed_at"))
        if status is None or completed is None:
            return None
        return cls(status, _int(data.get("exit_code")), _str(data.get("error")), completed,
                   _str(data.get("recovered")), _str(data.get("note")))


class JobPlace(NamedTuple):
    """Where a batch scheduler's job's attempt at a run runs, and which scheduler it is.

    `scheduler` (its name as messages say it) came later than the rest: a reader that
    does not know it ignores it, and a report without it (from an older supervisor)
    reads as None.
    """

    job_id: str
    node: str
    attempt: int
    scheduler: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> JobPlace | None:
        if not isinstance(data, dict):
            return None
        attempt = _int(data.get("attempt"))
        if attempt is None or data.get("job_id") is None or data.get("node") is None:
            return None
        return cls(str(data["job_id"]), str(data["node"]), attempt, _str(data.get("scheduler")))


# The report's key for the job, kept from the first scheduler, Slurm, whatever the
# scheduler: during an upgrade a supervisor of one version may hand its report to a
# recorder helper of the other.
_JOB_KEY = "slurm"


class RecorderReport(NamedTuple):
    """What a supervisor hands its recorder helper (one JSON line): identities, new
    signals, progress, and at the end the outcome. Applying it is idempotent."""

    run_id: str
    supervisor: Identity | None = None
    process: Identity | None = None
    signals: tuple[tuple[str, str], ...] = ()  # (ISO time, what was sent)
    progress: Mapping[str, Any] | None = None  # ProgressState.cache()
    last_progress_at: str | None = None
    outcome: OutcomeRecord | None = None
    job: JobPlace | None = None
    schedule: bool = True  # start the queued runs that fit (not from inside a batch job)
    started_at: str | None = None  # ISO, naive UTC: when the supervisor saw the process start

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "run_id": self.run_id,
            "supervisor": list(self.supervisor) if self.supervisor else None,
            "process": list(self.process) if self.process else None,
            "signals": [list(s) for s in self.signals], "schedule": self.schedule,
            "started_at": self.started_at}
        if self.progress is not None:
            doc["progress"] = dict(self.progress)
            doc["last_progress_at"] = self.last_progress_at
        if self.outcome is not None:
            doc["outcome"] = self.outcome._asdict()
        if self.job is not None:
            doc[_JOB_KEY] = self.job._asdict()
        return doc

    @classmethod
    def from_json(cls, data: Any) -> RecorderReport | None:
        """None when it is not a report (no run id)."""
        if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
            return None
        signals = tuple((str(s[0]), str(s[1])) for s in data.get("signals") or ()
                        if isinstance(s, list | tuple) and len(s) == 2)
        progress = data.get("progress")
        return cls(data["run_id"], _identity(data.get("supervisor")),
                   _identity(data.get("process")), signals,
                   progress if isinstance(progress, dict) else None,
                   _str(data.get("last_progress_at")),
                   OutcomeRecord.from_json(data.get("outcome")),
                   JobPlace.from_json(data.get(_JOB_KEY)), data.get("schedule", True) is not False,
                   _str(data.get("started_at")))
