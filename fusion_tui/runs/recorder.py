"""`python -m fusion_tui.runs.recorder [--serve]`: write a supervisor's
account of its run to the store.

The supervisor never imports the database layer (it would triple its memory, and a busy
server runs dozens of supervisors); it hands its state, as JSON documents
(`base/documents.RecorderReport`), to this helper. A document is applied in one
transaction and is idempotent, so the supervisor simply sends it again after a failure.
Once the run has an outcome the queued runs that now fit are started, under the limit
stored in the store.

Alone, one document is read from stdin: exit 0 when applied, 75 (try again later) with
one line on stderr otherwise. With `--serve` it stays up and reads one document per
line, answering each with a line, `ok` or `retry <reason>`, so a short run pays for
importing the database layer once rather than at every report (the next run of a queue
then starts without that wait); it ends when its stdin closes or after a minute idle.

A run it starts is served by this helper too, warm (its connection and compiled
statements kept), and its supervisor is forked by the fork server
(`base/recorder_handover.py`): a queue of short runs then pays for those imports once,
not once a run. Alone, it forks a helper that serves the runs it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import sys
from datetime import datetime
from typing import Any, NoReturn

from fusion_tui.base.documents import RecorderReport
from fusion_tui.base.faults import describe
from fusion_tui.base.recorder_handover import Handed, RecorderHandover
from fusion_tui.base.settings import Settings
from fusion_tui.executors.descriptions import TABLES
from fusion_tui.store.sqlite_file import sqlite_path

EXIT_RETRY = 75
SERVE_IDLE_SECONDS = 60.0  # a served recorder nobody talks to leaves

_PROGRESS_KEYS = ("current_erlang", "current_erlang_index", "total_erlangs",
                  "current_iteration", "total_iterations")


def parse_report(report: RecorderReport) -> Any:
    """The store's `SupervisorReport` from the supervisor's report."""
    from fusion_tui.store.runs_repo import ReportedJob, ReportedOutcome, SupervisorReport

    progress = None
    if report.progress is not None:
        progress = {k: report.progress.get(k) for k in _PROGRESS_KEYS}
        if report.last_progress_at:
            progress["last_progress_at"] = datetime.fromisoformat(report.last_progress_at)
    outcome = None
    if (o := report.outcome) is not None:
        outcome = ReportedOutcome(o.status, o.exit_code, o.error,
                                  datetime.fromisoformat(o.completed_at), o.recovered, o.note)
    signals = tuple((datetime.fromisoformat(at), detail) for at, detail in report.signals)
    place = report.job
    job = ReportedJob(place.job_id, place.node, place.attempt, place.scheduler) \
        if place is not None else None
    started = datetime.fromisoformat(report.started_at) if report.started_at else None
    return SupervisorReport(supervisor=report.supervisor, process=report.process,
                            progress=progress, signals=signals, outcome=outcome, job=job,
                            started=started)


class Recorder:
    """Applies documents to the store, keeping its engine between documents (reopened
    after a failure, or when the SQLite file was replaced)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Any = None
        self._store: Any = None
        self._file_id: tuple[int, int] | None = None
        self.handover = RecorderHandover()

    def apply(self, text: bytes | str) -> str | None:
        """None when the document (JSON text) was applied, else one line saying why not."""
        try:
            report = RecorderReport.from_json(json.loads(text))
        except ValueError as exc:
            return f"not a document: {exc}"
        if report is None:
            return "not a document: no run id"
        try:
            store = self._open()
            if store is None:
                return f"the database {sqlite_path(self.settings.database_url)} does not exist"
            store.apply_report(report.run_id, parse_report(report))
            if report.outcome is not None and report.schedule:
                from fusion_tui.runs.manager import RunManager

                RunManager(self.settings, store, recorders=self.handover).schedule(
                    end_blocked=report.outcome.status != "COMPLETED")
        except Exception as exc:
            self.close()
            return describe(exc, self.settings.database_label)
        return None

    def fork_helper(self) -> None:
        """Alone (one document, not serving): fork a helper that serves the supervisors
        just started, with no connection open (one must never cross a fork); if the fork
        fails they find their pipes closed and start helpers of their own."""
        handed = self.handover.take()
        if not handed:
            return
        self.close()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()  # or the child would write our buffered lines again
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            _become_helper(self, handed)
        for each in handed:
            each.close()

    def _open(self) -> Any:
        store_file = sqlite_path(self.settings.database_url)
        file_id = None
        if store_file is not None:
            # Never create an empty store where the real one went missing.
            try:
                st = store_file.stat()
            except FileNotFoundError:
                self.close()
                return None
            file_id = (st.st_dev, st.st_ino)
        if self._store is not None and file_id == self._file_id:
            return self._store
        self.close()
        from fusion_tui.store.database import make_engine, make_sessionmaker
        from fusion_tui.store.runs_repo import RunStore

        self._engine = make_engine(self.settings.database_url,
                                   slow_query_seconds=self.settings.slow_query_seconds,
                                   busy_seconds=self.settings.db_busy_seconds)
        self._store, self._file_id = RunStore(make_sessionmaker(self._engine)), file_id
        return self._store

    def warm_up(self) -> None:
        """Import the database layer (scheduling included) and open the store before the
        first document."""
        import fusion_tui.runs.manager  # noqa: F401

        with contextlib.suppress(Exception):
            store = self._open()
            if store is not None:
                self._engine.connect().close()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = self._store = self._file_id = None


def _become_helper(recorder: Recorder, handed: list[Handed]) -> NoReturn:
    """In the forked child: serve the supervisors just started, and nothing else."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1):
            os.dup2(null, stream)  # the caller's stdin and stdout are not ours to keep
        os.close(null)
        code = serve(recorder, handed, own=False)
    except BaseException:
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:
        os._exit(code)


class _Served:
    """One supervisor served: the documents it writes, the answers it reads, its log."""

    def __init__(self, pipes: Handed) -> None:
        self.pipes = pipes
        self.pending = b""

    def lines(self) -> list[bytes] | None:
        """The whole documents that arrived, or None once its end is closed."""
        try:
            chunk = os.read(self.pipes.documents, 1 << 16)
        except OSError:
            return None
        if not chunk:
            return None
        *whole, self.pending = (self.pending + chunk).split(b"\n")
        return whole

    def answer(self, problem: str | None) -> bool:
        """Say `ok` or `retry <why>`; False when the supervisor is gone (it sends again
        whatever was not answered, to a helper of its own)."""
        line = "ok" if problem is None else "retry " + " ".join(problem.split())
        try:
            os.write(self.pipes.answers, (line + "\n").encode())
        except OSError:
            return False
        return True


def serve(recorder: Recorder, handed: list[Handed] | None = None, *, own: bool = True,
          idle_seconds: float = SERVE_IDLE_SECONDS) -> int:
    """Answer one line per document, for the supervisor that started us (stdin and
    stdout, when `own`) and for every supervisor a document of ours started (`handed`
    and those to come), until all are gone or nothing comes for a while.

    One helper serves a slot of a queue for as long as the queue keeps it busy: a
    supervisor we start is served here, with this connection and these compiled
    statements, rather than by a new process. What we say about a document goes to the
    log of the supervisor that sent it.
    """
    recorder.warm_up()
    served: dict[int, _Served] = {}
    # epoll, not select(): a helper of a long queue may hold descriptors past 1,024.
    waiting = selectors.DefaultSelector()

    def add(pipes: Handed) -> None:
        served[pipes.documents] = _Served(pipes)
        waiting.register(pipes.documents, selectors.EVENT_READ)

    if own:
        sys.stdout.flush()
        # The supervisor's pipes move off 0 and 1, which stay open on /dev/null: a
        # descriptor we open later (a run's lock, handed to a supervisor we start) must
        # never land on a number a new process takes for its standard streams.
        add(Handed(os.dup(0), os.dup(1), os.dup(2)))
        null = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1):
            os.dup2(null, stream)
        os.close(null)
    for pipes in handed or ():
        add(pipes)
    try:
        while served:
            ready = waiting.select(idle_seconds)
            if not ready:
                break
            for key, _ in ready:
                client = served[key.fd]
                lines = client.lines()
                gone = lines is None
                for line in lines or ():
                    with contextlib.suppress(OSError):
                        os.dup2(client.pipes.log, 2)
                    gone = not client.answer(recorder.apply(line)) or gone
                if gone:
                    waiting.unregister(key.fd)
                    served.pop(key.fd).pipes.close()
            _reap_children()
            for pipes in recorder.handover.take():
                if own:
                    with contextlib.suppress(OSError):
                        os.setsid()  # serving others: a signal to our starter's group is not for us
                add(pipes)
    finally:
        for client in served.values():
            client.pipes.close()
        waiting.close()
        recorder.close()
    return 0


def _reap_children() -> None:
    """Collect the supervisors we had to start ourselves (no fork server answered) that
    have ended, and an ended fork server: a helper lives as long as its queue."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.load(tables=TABLES)  # it may schedule runs on any executor
    recorder = Recorder(settings)
    if args == ["--serve"]:
        return serve(recorder)
    try:
        problem = recorder.apply(sys.stdin.buffer.read())
    finally:
        recorder.close()
        recorder.fork_helper()
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_RETRY
    return 0


if __name__ == "__main__":
    sys.exit(main())
