"""The detached supervisor of one run:
`python -m fusion_tui.runs.supervisor --lock-fd N [--adopt] RUN_DIR RUN_ID`.

It holds the run's supervisor lock for its whole life (handed over by whoever started
it), starts the waiter (which starts the simulator and outlives us), follows progress,
carries out a cancel, settles the outcome from the evidence, records it in `status.json`
and, through the recorder helper, in the store, which then starts the queued runs that
fit. It is the child subreaper of what it starts: when the waiter dies before the
simulator, the simulator becomes its child and it collects the exit status itself. With
`--adopt` it takes over a run whose supervisor died: it re-attaches to a
simulator that is still alive, or settles one that has ended. It also adopts, every few
seconds, any other run in the runs folder's register whose supervisor is gone.

No write failure of ours (log, status file, database) ends it: it keeps the outcome in
memory and retries with back-off until it is recorded. It never imports the database
layer, so one costs little memory.

With `--job` it is a batch scheduler's job (`exec`ed by the job script, which describes
the job in the variables of `base/batchjob.py`): it takes the lock itself, starts a new
attempt after a requeue (the previous one's files go to `attempts/N/`), stops the
simulator before the job's time limit (or on the scheduler's warning signal) and records
TIMEOUT, and writes to the store only when the store is a server (never a SQLite file
from a compute node) and only for a while: the outcome always stays in status.json for
the login node to settle. It adopts no other runs.

This module is only the entry: it forks a new run's waiter before it loads the rest
(`runs/supervision/`), so in a queue of short runs the next simulator starts without
waiting for that import; and it imports only what the waiter needs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import NamedTuple

from fusion_tui.base import batchjob, lock, procs, recorder_handover
from fusion_tui.base.rundir import RunPaths
from fusion_tui.runs.background import say
from fusion_tui.runs.waiter import start as start_waiter

USAGE = ("usage: python -m fusion_tui.runs.supervisor "
         f"(--lock-fd N [--adopt] [{recorder_handover.FLAG} R,W] | {batchjob.JOB_FLAG}) "
         "RUN_DIR RUN_ID")


class Arguments(NamedTuple):
    lock_fd: int | None
    adopt: bool
    job: bool
    run_dir: str
    run_id: str
    recorder_fds: tuple[int, int] | None = None  # a warm recorder helper's pipes


def parse(argv: list[str]) -> Arguments | None:
    """The command line, or None when it is not one of ours (by hand: importing argparse
    would cost every run of a queue another 10 ms before its simulator starts)."""
    lock_fd, adopt, job, words = None, False, False, []
    recorder_fds = None
    given = iter(argv)
    for word in given:
        if word == "--lock-fd":
            value = next(given, "")
            if not value.isdigit():
                return None
            lock_fd = int(value)
        elif word == recorder_handover.FLAG:
            recorder_fds = recorder_handover.parse_fds(next(given, ""))
            if recorder_fds is None:
                return None
        elif word in ("--adopt", batchjob.JOB_FLAG):
            adopt, job = adopt or word == "--adopt", job or word == batchjob.JOB_FLAG
        elif word.startswith("-"):
            return None
        else:
            words.append(word)
    if len(words) != 2 or job == (lock_fd is not None) or (job and adopt) \
            or (recorder_fds is not None and (job or lock_fd in recorder_fds)):
        return None
    return Arguments(lock_fd, adopt, job, words[0], words[1], recorder_fds)


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = parse(words)
    if args is None:
        _earlier_job_script(words)
        print(USAGE, file=sys.stderr)
        return 2
    paths = RunPaths(Path(args.run_dir))
    # Before the waiter exists: should it die, the simulator becomes our child and its
    # exit status is still ours to collect (see supervision/processes.py, collect_orphans).
    subreaper = procs.become_subreaper()
    try:
        if args.job:
            return _in_job(paths, args.run_id, subreaper)
        assert args.lock_fd is not None
        return supervise(paths, args.run_id, args.lock_fd, args.recorder_fds,
                         adopt=args.adopt, subreaper=subreaper)
    except Exception:
        import traceback

        say("supervisor", "internal error:\n" + traceback.format_exc())
        return 1


def supervise(paths: RunPaths, run_id: str, lock_fd: int,
              recorder_fds: tuple[int, int] | None, *, adopt: bool, subreaper: bool) -> int:
    """Start the run's waiter at once (unless adopting), then load and run the rest."""
    os.set_inheritable(lock_fd, False)
    try:
        for fd in recorder_fds or ():
            os.set_inheritable(fd, False)
    except OSError:
        recorder_fds = None  # not open: the reporter starts a helper of its own
    waiter = None
    if not adopt and paths.root.is_dir() and not paths.cancel_request.exists():
        try:
            waiter = start_waiter(paths, run_id, in_job=False)
        except OSError:
            waiter = None  # the supervisor tries again and records why it failed
    from fusion_tui.runs.supervision.supervisor import Supervisor

    return Supervisor(paths, run_id, adopt=adopt, waiter=waiter, subreaper=subreaper,
                      recorder_fds=recorder_fds).run()


def _earlier_job_script(words: list[str]) -> None:
    """A job script written by an earlier version starts us with `--<executor>` (a job
    queued or requeued across an upgrade runs the script it was submitted with): that
    executor's `job_env` translates its scheduler's environment and starts us again with
    `--job`. Returns only when no executor of that name has one."""
    name = words[0][2:] if len(words) == 3 and words[0].startswith("--") else ""
    if not name.isidentifier():
        return
    module = f"fusion_tui.executors.{name}.job_env"
    with contextlib.suppress(ImportError):  # checked without importing the executor
        if importlib.util.find_spec(module) is not None:
            os.execv(sys.executable, [sys.executable, "-m", module, *words[1:]])


def _in_job(paths: RunPaths, run_id: str, subreaper: bool) -> int:
    """As a batch scheduler's job: take the lock, begin this attempt, supervise."""
    import socket

    from fusion_tui.runs.attempts import begin_attempt
    from fusion_tui.runs.supervision.supervisor import Supervisor

    if not paths.root.is_dir():
        say("supervisor", f"the run folder {paths.root} is not visible on "
            f"{socket.gethostname()}: the runs folder must be on a filesystem the compute "
            "nodes share")
        return 1
    if lock.take(paths.lock) is None:  # taken, its descriptor stays open while we live
        say("supervisor", "another supervisor holds this run; nothing to do")
        return 1
    job = begin_attempt(paths, os.environ)
    return Supervisor(paths, run_id, adopt=False, job=job, subreaper=subreaper).run()


if __name__ == "__main__":
    sys.exit(main())
