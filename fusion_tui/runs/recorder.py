"""`python -m fusion_tui.runs.recorder`: write a supervisor's account of its run to the store.

The supervisor never imports the database layer (it would triple its memory, and a busy
server runs dozens of supervisors); it hands its state, as one JSON document on stdin,
to this short-lived process. The document is applied in one transaction and is
idempotent, so the supervisor simply sends it again after a failure. Once the run has an
outcome the queued runs that now fit are started, under the limit stored in the store.

Exit 0 when applied; 75 (try again later) with one line on stderr otherwise.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from fusion_tui.faults import describe
from fusion_tui.settings import Settings
from fusion_tui.store.first_page import sqlite_path

EXIT_RETRY = 75

_PROGRESS_KEYS = ("current_erlang", "current_erlang_index", "total_erlangs",
                  "current_iteration", "total_iterations")


def _pair(value: Any) -> tuple[int, float] | None:
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]), float(value[1])
    return None


def parse_report(doc: dict[str, Any]) -> Any:
    """The store's `SupervisorReport` from the supervisor's JSON document."""
    from fusion_tui.store.runs_repo import ReportedOutcome, SupervisorReport

    progress = None
    if isinstance(doc.get("progress"), dict):
        progress = {k: doc["progress"].get(k) for k in _PROGRESS_KEYS}
        if doc.get("last_progress_at"):
            progress["last_progress_at"] = datetime.fromisoformat(doc["last_progress_at"])
    outcome = None
    if isinstance(doc.get("outcome"), dict):
        o = doc["outcome"]
        outcome = ReportedOutcome(o["status"], o.get("exit_code"), o.get("error"),
                                  datetime.fromisoformat(o["completed_at"]), o.get("recovered"))
    signals = tuple((datetime.fromisoformat(at), str(detail))
                    for at, detail in doc.get("signals") or ())
    slurm = None
    if isinstance(doc.get("slurm"), dict):
        j = doc["slurm"]
        slurm = (str(j["job_id"]), str(j["node"]), int(j["attempt"]))
    return SupervisorReport(supervisor=_pair(doc.get("supervisor")),
                            process=_pair(doc.get("process")), progress=progress,
                            signals=signals, outcome=outcome, slurm=slurm)


def main() -> int:
    settings = Settings.load()
    try:
        doc = json.loads(sys.stdin.read())
        store_file = sqlite_path(settings.database_url)
        if store_file is not None and not store_file.is_file():
            # Never create an empty store where the real one went missing.
            print(f"the database {store_file} does not exist", file=sys.stderr)
            return EXIT_RETRY
        from fusion_tui.runs.manager import RunManager
        from fusion_tui.store.database import make_engine, make_sessionmaker
        from fusion_tui.store.runs_repo import RunStore

        engine = make_engine(settings.database_url,
                             slow_query_seconds=settings.slow_query_seconds,
                             busy_seconds=settings.db_busy_seconds)
        try:
            store = RunStore(make_sessionmaker(engine))
            store.apply_report(doc["run_id"], parse_report(doc))
            if doc.get("outcome") is not None and doc.get("schedule", True):
                RunManager(settings, store).schedule()
        finally:
            engine.dispose()
    except Exception as exc:
        print(describe(exc, settings.database_label), file=sys.stderr)
        return EXIT_RETRY
    return 0


if __name__ == "__main__":
    sys.exit(main())
