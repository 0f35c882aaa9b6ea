"""Two processes writing the same runs: no 'database is locked', no lost update."""

from __future__ import annotations

import subprocess
import sys

from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.migrate import upgrade_database
from fusion_tui.store.models import Run
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, utcnow

UPDATES = 1000

_WRITER = f"""
import sys
from fusion_tui.store.database import make_engine, make_sessionmaker
from fusion_tui.store.models import EventKind
from fusion_tui.store.runs_repo import RunStore
store = RunStore(make_sessionmaker(make_engine(sys.argv[1])))
ids = sys.argv[2].split(",")
for i in range({UPDATES}):
    run_id = ids[i % len(ids)]
    with store.locked_run(run_id) as run:
        run.current_iteration = (run.current_iteration or 0) + 1
    if i % 10 == 0:
        store.record_event(run_id, EventKind.RECOVERED, sys.argv[3])
"""


def test_two_processes_update_runs_concurrently(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_database(engine)
    store = RunStore(make_sessionmaker(engine))
    ids = ["a00000000001", "a00000000002", "a00000000003"]
    for run_id in ids:
        store.add(Run(id=run_id, status=RunStatus.RUNNING, config_json="{}", template="t",
                      run_dir="/tmp/x", created_at=utcnow(), current_iteration=0))
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, db_url, ",".join(ids), name],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for name in ("one", "two")]
    for w in writers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err.decode()[-2000:]
        assert b"database is locked" not in err
    runs = [store.get(run_id) for run_id in ids]
    total = sum(r.current_iteration or 0 for r in runs if r is not None)
    assert total == 2 * UPDATES
    events = sum(len(store.events(run_id)) for run_id in ids)
    assert events == 2 * (UPDATES // 10) + len(ids)  # + one 'created' each
    engine.dispose()
