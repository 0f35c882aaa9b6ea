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

A run it starts gets a helper forked from this one, warm, once the transaction that
started it is over, and a supervisor forked by the fork server
(`base/recorder_handover.py`): a queue of short runs then pays for those imports once,
not once a run.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
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

                RunManager(self.settings, store, recorders=self.handover).schedule()
        except Exception as exc:
            self.close()
            return describe(exc, self.settings.database_label)
        finally:
            self._hand_over()
        return None

    def _hand_over(self) -> None:
        """Fork a helper for each supervisor just started, with no connection open (one
        must never cross a fork); a supervisor whose fork failed finds its pipes closed
        and starts a helper of its own."""
        handed = self.handover.take()
        if not handed:
            return
        if self._engine is not None:
            # Its connections close; the engine, and the statements it has compiled,
            # stay for the helpers (a new engine would compile every statement again).
            self._engine.dispose()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()  # or the child would write our buffered lines again
        # Out of the collector's way: a collection in the helper would otherwise copy
        # every page of the heap it shares with us (SQLAlchemy's, tens of megabytes).
        gc.freeze()
        for each in handed:
            try:
                pid = os.fork()
            except OSError:
                pid = -1
            if pid == 0:
                _become_handed(self, each, handed)
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


def _become_handed(recorder: Recorder, mine: Handed, handed: list[Handed]) -> NoReturn:
    """In the forked child: leave the recorder's session (a signal to its supervisor's
    group is not for us), serve the new supervisor's pipes, log to its log."""
    code = 1
    try:
        os.setsid()
        os.dup2(mine.documents, 0)
        os.dup2(mine.answers, 1)
        os.dup2(mine.log, 2)
        for each in handed:
            each.close()
        code = serve(recorder)
    except BaseException:
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:
        os._exit(code)


def serve(recorder: Recorder, idle_seconds: float = SERVE_IDLE_SECONDS) -> int:
    """Answer one line per document until stdin closes or nothing comes for a while."""
    recorder.warm_up()
    fd = sys.stdin.fileno()
    pending = b""
    try:
        while b"\n" in pending or select.select([fd], [], [], idle_seconds)[0]:
            if b"\n" not in pending:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                pending += chunk
                continue
            line, pending = pending.split(b"\n", 1)
            problem = recorder.apply(line)
            answer = "ok" if problem is None else "retry " + " ".join(problem.split())
            sys.stdout.write(answer + "\n")
            sys.stdout.flush()
    except BrokenPipeError:
        pass  # the supervisor is gone; it sends again whatever was not answered
    finally:
        recorder.close()
    return 0


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
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_RETRY
    return 0


if __name__ == "__main__":
    sys.exit(main())
