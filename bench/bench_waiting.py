"""The queue's pass with runs that wait (issue 21): prints measured numbers; asserts
nothing.

    python bench/bench_waiting.py [--rows N] [--rounds N] [--pg URL]

One queue pass (as `Scheduler.schedule` makes it: end the runs that can never start, then
claim) over a store holding N PENDING runs of which all but the last wait (half for a run
that is still running, half for a start time tomorrow), against the same pass over N
PENDING runs that wait for nothing (the baseline: the pass before runs could wait). Each
pass claims one run, which is put back before the next. Medians of --rounds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, update

from fusion_tui.base.owner import current_user
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run, RunDependency
from fusion_tui.store.status import RunStatus, utcnow


def _store(home: Path, url: str | None, rows: int, waiting: bool) -> Services:
    svc = open_services(Settings.load(overrides={"home": home, "database_url": url}))
    now, me = utcnow(), current_user()
    base = {"config_json": "{}", "template": "t", "owner": me, "executor": "local",
            "run_dir": "/nonexistent"}
    values = [{**base, "id": f"{i:012x}", "status": RunStatus.PENDING.value,
               "created_at": now + timedelta(microseconds=i),
               "start_after": now + timedelta(days=1) if waiting and i % 2 and i < rows - 1
               else None} for i in range(rows)]
    values.append({**base, "id": "f" * 12, "status": RunStatus.RUNNING.value,
                   "created_at": now})
    with svc.store.session(write=True) as s:
        s.execute(insert(Run), values)
        if waiting:
            s.execute(insert(RunDependency), [{"run_id": f"{i:012x}", "needs_id": "f" * 12}
                                              for i in range(0, rows - 1, 2)])
    svc.store.set_queue(max_concurrent=2)  # the running run, and one more
    return svc


def _pass(svc: Services, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        ended = svc.store.cancel_blocked(["local"])
        claimed = svc.store.claim_pending("local", "bench", current_user())
        samples.append(time.perf_counter() - start)
        assert not ended and len(claimed) == 1
        with svc.store.session(write=True) as s:  # back in the queue for the next round
            s.execute(update(Run).where(Run.id == claimed[0].id)
                      .values(status=RunStatus.PENDING.value, started_at=None))
    return samples


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--pg", help="a PostgreSQL URL (a database of its own: it is filled)")
    a = p.parse_args()
    results = {}
    for waiting in (False, True):
        with tempfile.TemporaryDirectory() as home:
            url = a.pg or f"sqlite:///{home}/bench.db"
            svc = _store(Path(home), url, a.rows, waiting)
            try:
                results[waiting] = statistics.median(_pass(svc, a.rounds)) * 1000
            finally:
                if a.pg:
                    with svc.store.session(write=True) as s:
                        s.execute(delete(RunDependency))
                        s.execute(delete(Run))
                svc.close()
    print(f"queue pass, {a.rows} PENDING runs waiting for nothing     "
          f"median {results[False]:8.2f} ms")
    print(f"queue pass, {a.rows} PENDING runs, all but one waiting    "
          f"median {results[True]:8.2f} ms   ratio {results[True] / results[False]:.2f}")


if __name__ == "__main__":
    main()
