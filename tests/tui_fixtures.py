"""Deterministic fixture data for the TUI tests: fixed ids, times, numbers and files."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import EventKind, Run, RunEvent, Sweep
from fusion_tui.store.status import RunStatus
from fusion_tui.store.sweeps_repo import SweepStore

NOW = datetime(2026, 11, 22, 12, 0, 0)
CONFIG = {
    "general_settings": {"erlang_start": "300", "erlang_stop": "500", "erlang_step": "100",
                         "max_iters": "4", "num_requests": "10000",
                         "allocation_method": "first_fit"},
    "topology_settings": {"network": "NSFNet", "cores_per_link": "3"},
    "routing_settings": {"k_paths": "3"},
    "spectrum_settings": {"c_band": "320"},
}


def fixed_now() -> datetime:
    return NOW


def _epoch(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1)).total_seconds()


def _write(path: Path, text: str, moment: datetime) -> None:
    path.write_text(text)
    os.utime(path, (_epoch(moment), _epoch(moment)))


def _progress(points: list[tuple[float, float, float, float]], iters: int,
              done_points: int, partial: int) -> str:
    events: list[dict[str, object]] = [{"type": "start", "config": {"total_erlangs": len(points),
                                           "total_iterations": iters}}]
    for index, (erlang, blocking, low, high) in enumerate(points):
        if index > done_points:
            break
        events.append({"type": "erlang_start", "erlang": erlang, "erlang_index": index,
                       "total_erlangs": len(points)})
        count = iters if index < done_points else partial
        for it in range(1, count + 1):
            events.append({"type": "iteration", "erlang": erlang, "iteration": it,
                           "total_iterations": iters, "metrics": {"blocking_prob": blocking}})
        if index < done_points:
            events.append({"type": "erlang_complete", "erlang": erlang, "metrics": {
                "mean_blocking": blocking, "ci_lower": low, "ci_upper": high}})
    return "".join(json.dumps(e) + "\n" for e in events)


POINTS = [(300.0, 0.0123, 0.0101, 0.0145), (400.0, 0.0456, 0.0410, 0.0502),
          (500.0, 0.0988, 0.0921, 0.1055)]
LOG_LINES = [
    "2026-11-22 11:10:00,000 - fusion_tui.sim - INFO - Starting simulation for 300.0 Erlang "
    "(load 1/3)",
    "2026-11-22 11:10:01,000 - fusion_tui.sim - INFO - Iteration 1 out of 4 completed for "
    "Erlang: 300.0",
    "2026-11-22 11:10:01,000 - fusion_tui.sim - WARNING - Not used by the built-in simulator: x",
    "2026-11-22 11:10:02,000 - fusion_tui.sim - INFO - Mean of blocking: 0.0123",
    "2026-11-22 11:10:03,000 - fusion_tui.sim - ERROR - Simulation error: out of memory",
    "Traceback (most recent call last):",
    '  File "sim.py", line 1, in <module>',
    "MemoryError: out of memory",
]


def build(root: Path, *, empty: bool = False) -> Services:
    """A store with one run in each status, their directories and files, under `root`
    (the test's HOME for the snapshots: the screens show paths under it as `~/...`)."""
    shutil.rmtree(root, ignore_errors=True)
    settings = Settings.load(env={"HOME": str(root)}, overrides={
        "home": root / "home", "database_url": f"sqlite:///{root / 'store.db'}",
        "stall_seconds": 300.0})
    services = open_services(settings)
    if empty:
        return services
    specs = [
        ("0000000000a1", "NSFNet sweep", RunStatus.COMPLETED, 50, 20, 3, 0, None),
        ("0000000000b2", "k=3 [red]not red[/red]", RunStatus.RUNNING, 12, None, 1, 2, None),
        ("0000000000c3", "memory hog", RunStatus.FAILED, 40, 35, 0, 1,
         "simulator exited with code 1: Simulation error: out of memory"),
        ("0000000000d4", "stopped early", RunStatus.CANCELLED, 30, 28, 1, 0, None),
        ("0000000000e5", "next in queue", RunStatus.PENDING, 5, None, 0, 0, None),
        ("0000000000f6", "silent run", RunStatus.RUNNING, 45, None, 0, 1, None),
    ]
    for run_id, name, status, started_ago, ended_ago, done, partial, error in specs:
        paths = RunPaths.for_run(settings.runs_dir, run_id)
        paths.create()
        created = NOW - timedelta(minutes=started_ago + 1)
        started = None if status == RunStatus.PENDING else NOW - timedelta(minutes=started_ago)
        ended = NOW - timedelta(minutes=ended_ago) if ended_ago is not None else None
        activity = ended or (NOW - timedelta(seconds=20) if run_id != "0000000000f6"
                             else NOW - timedelta(minutes=30))
        if status != RunStatus.PENDING:
            _write(paths.progress, _progress(POINTS, 4, done, partial), activity)
            _write(paths.log, "\n".join(LOG_LINES[: 4 if status != RunStatus.FAILED else 8])
                   + "\n", activity)
        if status == RunStatus.COMPLETED:
            (paths.output / "300.0_erlang.json").write_text(json.dumps(
                {"blocking_mean": 0.0123, "ci_rate_block": 0.0022, "iterations": 4,
                 "link_usage": {"0-1": {"usage_count": 87, "throughput": 7350.0,
                                        "link_num": 0}}}))
            (paths.output / "summary.csv").write_text(
                "erlang,blocking_mean,ci_low,ci_high\n300,0.0123,0.0101,0.0145\n"
                "400,0.0456,0.041,0.0502\n500,0.0988,0.0921,0.1055\n")
        fraction_points = done * 4 + partial
        run = Run(
            id=run_id, name=name, status=status.value, config_json=json.dumps(CONFIG),
            template="default", simulator="builtin", executor="local", hostname="lab-server",
            run_dir=str(paths.root), created_at=created, started_at=started,
            completed_at=ended, exit_code={RunStatus.COMPLETED: 0, RunStatus.FAILED: 1,
                                           RunStatus.CANCELLED: -15}.get(status),
            error_message=error, total_erlangs=3, total_iterations=4,
            current_erlang=POINTS[min(done, 2)][0] if status != RunStatus.PENDING else None,
            current_erlang_index=min(done, 2), current_iteration=partial if done < 3 else 4,
            last_progress_at=activity if status == RunStatus.RUNNING else None,
        )
        assert fraction_points >= 0
        with services.store.session(write=True) as s:
            s.add(run)
            for offset, kind in enumerate((EventKind.CREATED, EventKind.STARTED)):
                s.add(RunEvent(run_id=run_id, kind=kind.value,
                               at=created + timedelta(seconds=30 * offset), detail=None))
            if ended is not None:
                s.add(RunEvent(run_id=run_id, kind=status.value.lower(), at=ended,
                               detail=error or "exit code 0"))
    return services


SWEEP_ID = "5eeb00000001"


def build_sweep(root: Path) -> Services:
    """A store with one sweep (k_paths x allocation x 3 seeds, 12 runs in several
    states) whose completed runs have results, for the sweep and comparison screens."""
    services = build(root, empty=True)
    settings = services.settings
    grid = [["routing_settings.k_paths", ["1", "2"]],
            ["general_settings.allocation_method", ["first_fit", "best_fit"]]]
    sweep = Sweep(id=SWEEP_ID, name="fit [b]study[/b]", template="minimal",
                  overrides_json=json.dumps(["general_settings.num_requests=4000"]),
                  grid_json=json.dumps(grid), seeds_json="[1, 2, 3]", split_loads=False,
                  executor="local", owner=None, created_at=NOW - timedelta(hours=1))
    runs = []
    n = 0
    for k in ("1", "2"):
        for method in ("first_fit", "best_fit"):
            for seed in (1, 2, 3):
                n += 1
                run_id = f"5eeb0000{n:04d}"
                status = RunStatus.COMPLETED
                if (k, method, seed) == ("2", "best_fit", 2):
                    status = RunStatus.FAILED
                elif (k, method, seed) == ("2", "best_fit", 3):
                    status = RunStatus.RUNNING
                paths = RunPaths.for_run(settings.runs_dir, run_id)
                paths.create()
                base = {"1": 0.02, "2": 0.012}[k] * {"first_fit": 1.0, "best_fit": 0.9}[method]
                if status != RunStatus.FAILED:
                    rows = ["erlang,blocking_mean,ci95_low,ci95_high,bit_rate_blocking,"
                            "iterations"]
                    loads = (300, 400, 500) if status == RunStatus.COMPLETED else (300,)
                    for i, erlang in enumerate(loads):
                        value = base * (2.2 ** i) * (1 + 0.04 * (seed - 2))
                        rows.append(f"{erlang},{value!r},{value * 0.9!r},{value * 1.1!r},"
                                    f"{value * 1.3!r},4")
                    _write(paths.output / "summary.csv", "\n".join(rows) + "\n", NOW)
                config = json.loads(json.dumps(CONFIG))
                config["routing_settings"]["k_paths"] = k
                config["general_settings"]["allocation_method"] = method
                config["builtin_settings"] = {"seed": str(seed)}
                started = NOW - timedelta(minutes=50 - n)
                runs.append(Run(
                    id=run_id, name=f"fit study k_paths={k} allocation_method={method} "
                    f"seed={seed}", status=status.value, config_json=json.dumps(config),
                    template="minimal", simulator="builtin", executor="local",
                    run_dir=str(paths.root), created_at=NOW - timedelta(hours=1),
                    started_at=started,
                    completed_at=None if status == RunStatus.RUNNING else started
                    + timedelta(minutes=3),
                    exit_code={RunStatus.COMPLETED: 0, RunStatus.FAILED: 1}.get(status),
                    total_erlangs=3, total_iterations=4,
                    current_erlang_index=0 if status == RunStatus.RUNNING else 2,
                    current_iteration=2 if status == RunStatus.RUNNING else 4, seed=seed,
                    provenance_json=json.dumps({"simulator": "builtin",
                                                "simulator_version": "0.1.0"}),
                    sweep_id=SWEEP_ID, point_json=json.dumps({
                        "routing_settings.k_paths": k,
                        "general_settings.allocation_method": method,
                        "builtin_settings.seed": str(seed)})))
    SweepStore(services.store).add(sweep, runs)
    return services
