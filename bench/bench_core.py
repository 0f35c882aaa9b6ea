"""Core benchmarks (issue 2): prints measured numbers; asserts nothing.

    python bench/bench_core.py [--rounds N] [--rows N] [--pg URL]

1. create -> RUNNING (row) and create -> simulator process alive, median over N runs.
2. cancel -> whole process tree gone, for a simulator that exits on SIGTERM.
3. 100,000 runs in the store (each with a real run's frozen config): one page of 100
   filtered by status and ordered by creation time; the stats query; what the run list
   does every second under a typed filter (a count and a page) by tag and by parameter.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psutil
from sqlalchemy import insert

from fusion_tui.base import procs
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.filter_text import parse_filter
from fusion_tui.store.models import Run, RunTag
from fusion_tui.store.query import RunQuery
from fusion_tui.store.status import RunStatus, utcnow

HERE = Path(__file__).resolve().parent
SLEEPER = (f"{sys.executable} {HERE / 'sleeper_sim.py'} --config_path {{config_path}}"
           " --run_id {run_id} --progress_file {progress_file} --output_dir {output_dir}")


def _services(home: Path, url: str | None) -> Services:
    svc = open_services(Settings.load(overrides={
        "home": home, "database_url": url, "simulator_command": SLEEPER, "cancel_grace": 5.0,
    }))
    svc.store.set_queue(max_concurrent=1000)
    return svc


def _wait(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not met")
        time.sleep(0.001)


def _report(label: str, samples: list[float], target: str) -> None:
    ms = sorted(s * 1000 for s in samples)
    print(f"{label:<46} median {statistics.median(ms):8.2f} ms   "
          f"min {ms[0]:8.2f}   max {ms[-1]:8.2f}   (n={len(ms)}, target {target})")


def _status_has(path: Path, key: str) -> bool:
    try:
        return key in json.loads(path.read_text())
    except (OSError, ValueError):
        return False


def _one_round(svc: Services) -> tuple[float, float, float]:
    """Seconds from create to RUNNING row, to live process, and from cancel to no process."""
    began = time.perf_counter()
    run = svc.manager.create("minimal")
    assert run.status == RunStatus.RUNNING
    to_row = time.perf_counter() - began
    status = RunPaths(Path(run.run_dir)).status
    _wait(lambda: _status_has(status, "pid_started"))
    to_process = time.perf_counter() - began
    _wait(lambda: len(procs.run_processes(run.id)) >= 3)
    # Steady state: the supervisor has recorded the process in the database.
    _wait(lambda: svc.manager.get(run.id).pid is not None)
    began = time.perf_counter()
    svc.manager.cancel(run.id)
    _wait(lambda: not procs.run_processes(run.id))
    to_gone = time.perf_counter() - began
    svc.manager.wait(run.id, timeout=30, poll=0.01)
    return to_row, to_process, to_gone


def bench_lifecycle(svc: Services, rounds: int) -> None:
    to_row, to_process, to_gone = zip(*(_one_round(svc) for _ in range(rounds)), strict=True)
    _report("create -> RUNNING row", list(to_row), "< 100 ms")
    _report("create -> simulator process alive", list(to_process), "(informative)")
    _report("cancel -> process tree gone (3 processes)", list(to_gone), "< 300 ms")


def bench_queries(svc: Services, rows: int) -> None:
    base = utcnow() - timedelta(days=30)
    statuses = [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.COMPLETED]
    config = svc.manager.prepare("minimal").sections  # a real run's frozen config, ~1 KB
    configs = []
    for k in range(1, 5):
        config["routing_settings"]["k_paths"] = str(k)
        configs.append(json.dumps(config))
    batch = []
    for i in range(rows):
        created = base + timedelta(seconds=i)
        status = statuses[i % len(statuses)]
        batch.append({
            "id": f"{i:012x}", "name": f"bench {i}", "status": status.value,
            "config_json": configs[i % len(configs)],
            "template": "default", "simulator": "builtin", "executor": "local",
            "run_dir": f"/nonexistent/{i}", "created_at": created, "started_at": created,
            "completed_at": created + timedelta(seconds=60 + i % 600),
        })
    began = time.perf_counter()
    with svc.store.session(write=True) as s:
        for start in range(0, rows, 10_000):
            s.execute(insert(Run), batch[start:start + 10_000])
        s.execute(insert(RunTag), [{"run_id": f"{i:012x}", "tag": "baseline"}
                                   for i in range(0, rows, 10)])
    print(f"inserted {rows:,} runs (every 10th tagged) in {time.perf_counter() - began:.1f} s")
    query = RunQuery(statuses=frozenset({RunStatus.COMPLETED}), order_by="created_at")
    page, deep, stats = [], [], []
    for _ in range(20):
        began = time.perf_counter()
        assert len(svc.store.list_runs(query, limit=100)) == 100
        page.append(time.perf_counter() - began)
        began = time.perf_counter()
        svc.store.list_runs(query, limit=100, offset=rows // 4)
        deep.append(time.perf_counter() - began)
    for _ in range(5):
        began = time.perf_counter()
        svc.store.stats()
        stats.append(time.perf_counter() - began)
    _report(f"page of 100, status filter, {rows:,} runs", page, "< 20 ms")
    _report(f"  same, deep page (offset {rows // 4:,})", deep, "(informative)")
    _report(f"stats over {rows:,} runs", stats, "< 200 ms")
    # What the run list does every second under a typed filter: count, then one page.
    for label, typed in (("tag:baseline", "tag:baseline"), ("k_paths=3", "k_paths=3"),
                         ("allocation_method=First_Fit", "allocation_method=First_Fit"),
                         ("status, tag and k_paths=3", "status:completed tag:baseline k_paths=3")):
        filtered = RunQuery(filter=parse_filter(typed))
        took = []
        for _ in range(5):
            began = time.perf_counter()
            svc.store.count_runs(filtered)
            svc.store.list_runs(filtered, limit=100)
            took.append(time.perf_counter() - began)
        _report(f"count + page of 100, filter {label}", took, "(informative; the list "
                "reloads every second)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg", help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    print(f"fusion-tui core benchmarks; {psutil.cpu_count()} CPUs; "
          f"database: {'PostgreSQL' if args.pg else 'SQLite'}")
    with tempfile.TemporaryDirectory() as folder:
        svc = _services(Path(folder) / "life", args.pg)
        try:
            bench_lifecycle(svc, args.rounds)
        finally:
            svc.close()
        svc = _services(Path(folder) / "rows", args.pg)
        try:
            bench_queries(svc, args.rows)
        finally:
            svc.close()


if __name__ == "__main__":
    main()
