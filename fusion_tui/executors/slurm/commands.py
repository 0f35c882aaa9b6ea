"""Slurm's command-line tools, called with stable `-o`/`--format` output and parsed.

Never `--json`: its schema changes between Slurm releases, while these formats have not.
Every call has a timeout (a controller that is down makes each command wait 9-18 s
before it fails) and turns a failure into `SlurmError` with one line. The tools are
found on PATH at each call, so a cluster's own wrappers (or a test's shim) are used.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fusion_tui.base.textsafe import one_line

TIMEOUT_SECONDS = 60.0
_SEP = "|"
SQUEUE_FORMAT = _SEP.join(("%i", "%T", "%r", "%N", "%M", "%l"))
SACCT_FIELDS = "JobIDRaw,JobID,State,ExitCode,NodeList,ElapsedRaw,Timelimit"
# Looking a job up by its name: the name and working directory last (a folder may hold `|`).
FIND_FORMAT = _SEP.join((SQUEUE_FORMAT, "%j", "%Z"))
FIND_FIELDS = "JobID,State,JobName,WorkDir"
# Every state, so that sacct lists a job that never became eligible (held, then cancelled).
_ANY_STATE = "PD,R,S,CA,CD,F,TO,NF,PR,OOM,BF,DL,RQ"


class SlurmError(RuntimeError):
    """A Slurm command failed; the message is one line naming the command and why."""


class SlurmUnavailable(SlurmError):
    """The command is missing or the controller cannot be reached: try again later."""


@dataclass(frozen=True)
class QueueEntry:
    """One line of `squeue`: a job (or array task) that is still in the queue."""

    job_id: str
    state: str
    reason: str | None
    node: str | None
    elapsed_seconds: int | None
    time_limit: str | None


@dataclass(frozen=True)
class JobRecord:
    """What `sacct` or `scontrol` knows of a job, for one that has left the queue.

    `exit_code`/`signal` are Slurm's `code:signal` pair as the tool reports it.
    """

    job_id: str
    state: str
    exit_code: int | None
    signal: int | None
    node: str | None
    elapsed_seconds: int | None
    time_limit: str | None
    reason: str | None
    source: str
    restarts: int | None = None


@dataclass(frozen=True)
class NamedJob:
    """A job found by its name: its id as squeue/sacct show it (`<array>_<task>` for an
    array task, `<array>_[...]` for an array sacct has not split), its name and working
    directory (to tell it from another's job of the same name), and its state; `entry`
    while it is in the queue."""

    job_id: str
    name: str
    workdir: str
    state: str
    entry: QueueEntry | None


def elapsed_seconds(text: str) -> int | None:
    """Slurm's `[days-][hours:]minutes:seconds` as seconds; None when not a duration."""
    m = re.fullmatch(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)", text.strip())
    if not m:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def base_state(text: str) -> str:
    """`CANCELLED by 1000` -> `CANCELLED`; `COMPLETED+` -> `COMPLETED`."""
    return text.strip().split(" ", 1)[0].rstrip("+").upper()


def _node(text: str) -> str | None:
    text = text.strip()
    return None if text in ("", "(null)", "None assigned", "None") else text


def _limit(text: str) -> str | None:
    text = text.strip()
    return None if text in ("", "Partition_Limit", "INVALID", "N/A") else text


def _rows(text: str, width: int) -> Iterator[list[str]]:
    """The lines of `-o`/`-P` output that have exactly `width` fields."""
    for line in text.splitlines():
        parts = line.split(_SEP)
        if len(parts) == width:
            yield parts


def _code_signal(text: str) -> tuple[int | None, int | None]:
    code, _, sig = text.partition(":")
    try:
        return int(code), int(sig) if sig else 0
    except ValueError:
        return None, None


class SlurmClient:
    """Calls to sbatch, squeue, sacct, scontrol, scancel and sinfo."""

    def __init__(self, env: Mapping[str, str] | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self._env = dict(os.environ if env is None else env)
        self._timeout = timeout

    def _run(self, argv: Sequence[str], *, cwd: Path | None = None,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd,
                                  input=stdin, env=self._env, timeout=self._timeout,
                                  stdin=None if stdin is not None else subprocess.DEVNULL)
        except FileNotFoundError:
            raise SlurmUnavailable(f"{argv[0]} is not installed (or not on PATH): Slurm's "
                                   "commands are needed for the Slurm executor") from None
        except subprocess.TimeoutExpired:
            raise SlurmUnavailable(f"{argv[0]} did not answer in {self._timeout:g} s "
                                   "(is the Slurm controller up?)") from None
        except OSError as exc:
            raise SlurmUnavailable(f"{argv[0]}: {exc.strerror or exc}") from None

    @staticmethod
    def _failure(argv: Sequence[str], proc: subprocess.CompletedProcess[str]) -> SlurmError:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines()
                 if ln.strip()]
        message = lines[0] if lines else f"exit status {proc.returncode}"
        for line in lines:  # sbatch says `error: ...` first, then the controller's reason
            if "error" in line.lower():
                message = line
                break
        message = re.sub(r"^\w+: error: ", "", message)
        text = f"{argv[0]}: {one_line(message, 300)}"
        if "Unable to contact slurm controller" in message or "Socket timed out" in message:
            return SlurmUnavailable(text)
        return SlurmError(text)

    # -- submitting and cancelling -----------------------------------------------------

    def sbatch(self, script: Path, *, test_only: bool = False) -> str:
        """Submit `script` (its options are its `#SBATCH` lines); the job id.

        With `test_only` nothing is submitted: the controller checks the request
        (partition, account, QOS, limits) and says why it would be refused.
        """
        argv = ["sbatch", "--test-only" if test_only else "--parsable", str(script)]
        proc = self._run(argv, cwd=script.parent)
        if proc.returncode != 0:
            raise self._failure(argv, proc)
        if test_only:
            return ""
        job_id = proc.stdout.strip().split(";", 1)[0]
        if not re.fullmatch(r"\d+(_\d+)?", job_id):
            raise SlurmError(f"sbatch: unexpected answer {one_line(proc.stdout, 100)!r}")
        return job_id

    def scancel(self, job_id: str) -> None:
        """Cancel a job. An unknown or finished id is not an error (scancel says nothing)."""
        argv = ["scancel", job_id]
        proc = self._run(argv)
        if proc.returncode != 0:
            raise self._failure(argv, proc)

    # -- looking -----------------------------------------------------------------------

    def squeue(self, job_ids: Sequence[str]) -> dict[str, QueueEntry]:
        """Every one of `job_ids` still in the queue, in ONE call (array tasks one per line).

        A job that has ended is simply absent.
        """
        if not job_ids:
            return {}
        argv = ["squeue", "-h", "-r", "-j", ",".join(job_ids), "-o", SQUEUE_FORMAT]
        proc = self._run(argv)
        if proc.returncode != 0:
            if "Invalid job id specified" in proc.stderr:
                return {}  # none of them is known any more
            raise self._failure(argv, proc)
        out: dict[str, QueueEntry] = {}
        for parts in _rows(proc.stdout, 6):
            job, state, reason, node, elapsed, limit = (p.strip() for p in parts)
            out[job] = QueueEntry(job, base_state(state),
                                  None if reason in ("None", "") else reason, _node(node),
                                  elapsed_seconds(elapsed), _limit(limit))
        return out

    def find(self, names: Sequence[str], user: str) -> list[NamedJob]:
        """The jobs of `user` named one of `names` that are still in the queue (array
        tasks one per line), in ONE call. Only that user's: a name is no one else's key."""
        if not names:
            return []
        argv = ["squeue", "-h", "-r", "-u", user, "-n", ",".join(names), "-o", FIND_FORMAT]
        proc = self._run(argv)
        if proc.returncode != 0:
            raise self._failure(argv, proc)
        out: list[NamedJob] = []
        for line in proc.stdout.splitlines():
            parts = line.split(_SEP, 7)
            if len(parts) != 8:
                continue
            job, state, reason, node, elapsed, limit, name, workdir = (p.strip() for p in parts)
            entry = QueueEntry(job, base_state(state), None if reason in ("None", "") else reason,
                               _node(node), elapsed_seconds(elapsed), _limit(limit))
            out.append(NamedJob(job, name, workdir, entry.state, entry))
        return out

    def find_ended(self, names: Sequence[str], user: str,
                   since: datetime) -> list[NamedJob] | None:
        """The jobs of `user` named one of `names` that accounting knows, submitted after
        `since` (UTC); None when accounting is off."""
        if not names:
            return []
        start = since.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
        argv = ["sacct", "-n", "-P", "-X", "-u", user, "--name", ",".join(names),
                "-S", start, "-E", "now", "-s", _ANY_STATE, "-o", FIND_FIELDS]
        proc = self._run(argv)
        if proc.returncode != 0:
            if "accounting storage is disabled" in (proc.stderr + proc.stdout).lower():
                return None
            raise self._failure(argv, proc)
        out: list[NamedJob] = []
        for line in proc.stdout.splitlines():
            parts = line.split(_SEP, 3)
            if len(parts) == 4:
                job, state, name, workdir = parts
                out.append(NamedJob(job.strip(), name.strip(), workdir.strip(),
                                    base_state(state), None))
        return out

    def sacct(self, job_ids: Sequence[str]) -> dict[str, JobRecord] | None:
        """Accounting records of `job_ids` (the allocation line of each); None when
        accounting is off. A job sacct does not know yet is absent."""
        if not job_ids:
            return {}
        argv = ["sacct", "-n", "-P", "-X", "-j", ",".join(job_ids), "-o", SACCT_FIELDS]
        proc = self._run(argv)
        if proc.returncode != 0:
            if "accounting storage is disabled" in (proc.stderr + proc.stdout).lower():
                return None
            raise self._failure(argv, proc)
        out: dict[str, JobRecord] = {}
        for parts in _rows(proc.stdout, 7):
            raw, shown, state, exit_code, node, elapsed, limit = parts
            code, sig = _code_signal(exit_code)
            record = JobRecord(shown if "_" in shown else raw, base_state(state), code, sig,
                               _node(node), int(elapsed) if elapsed.isdigit() else None,
                               _limit(limit), None, "sacct")
            out[record.job_id] = record
        return out

    def scontrol_job(self, job_id: str) -> JobRecord | None:
        """`scontrol show job` while the controller remembers the job; None after that."""
        argv = ["scontrol", "show", "job", "-o", job_id]
        proc = self._run(argv)
        if proc.returncode != 0:
            if "Invalid job id specified" in proc.stderr:
                return None
            raise self._failure(argv, proc)
        fields = dict(re.findall(r"(\S+?)=(\S*)", proc.stdout))
        if "JobState" not in fields:
            return None
        code, sig = _code_signal(fields.get("ExitCode", ""))
        restarts = fields.get("Restarts", "")
        return JobRecord(job_id, base_state(fields["JobState"]), code, sig,
                         _node(fields.get("NodeList", "")),
                         elapsed_seconds(fields.get("RunTime", "")),
                         _limit(fields.get("TimeLimit", "")),
                         None if fields.get("Reason") in (None, "None") else fields["Reason"],
                         "scontrol", int(restarts) if restarts.isdigit() else None)

    def partitions(self) -> list[str]:
        """The cluster's partition names (`sinfo`)."""
        return self._names(["sinfo", "-h", "-o", "%R"])

    def nodes(self) -> list[str]:
        """The cluster's node names (`sinfo -N`)."""
        return self._names(["sinfo", "-h", "-N", "-o", "%N"])

    def _names(self, argv: list[str]) -> list[str]:
        proc = self._run(argv)
        if proc.returncode != 0:
            raise self._failure(argv, proc)
        return sorted({ln.strip() for ln in proc.stdout.splitlines() if ln.strip()})
