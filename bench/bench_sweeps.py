"""Sweep and comparison benchmark (SQLite store, local executor):

    .venv/bin/python bench/bench_sweeps.py [--rounds 3] [--queue-runs 200] [--skip-queue]

1. Creating a sweep of 1,000 points (10 x 10 grid x 10 seeds of the `minimal` template,
   every point validated, folders written, rows stored; the queue paused so nothing
   runs): wall time, median of `--rounds`. Target: under 5 s.
2. `compare` over a sweep of 1,000 finished runs with 10 loads each (runs and their
   `summary.csv` made directly in the store and on disk): in-process (load + compare),
   and the whole `fusion-tui compare ID --json` command; medians. Target: under 1 s.
3. The comparison screen's first paint for that sweep: the real app (Pilot, headless,
   120x40) opened on the comparison, until its chart holds the sweep's groups; median.
   Target: under 0.5 s.
4. Queue overhead: a sweep of `--queue-runs` runs of about one second each (a shell
   stand-in, `timed_sim.sh`, that sleeps 1 s) on 2 slots, from creation until the last
   one is COMPLETED, against the ideal runs x 1 s / 2; one round (it takes minutes), with
   the gaps between one run's end and the next one's start on the stand-in's own clock.
   Target: within 1.15x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.comparison.compare import compare, default_keys, load_runs
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run, Sweep
from fusion_tui.store.status import RunStatus, utcnow
from fusion_tui.store.sweeps_repo import SweepStore
from fusion_tui.sweeps.grid import Grid, parse_axis

BENCH = Path(__file__).resolve().parent
LOADS = [100.0 * (i + 1) for i in range(10)]


def _services(root: Path, **changes: object) -> Services:
    settings = Settings.load(env={"HOME": str(root)}, overrides={"home": root / "home"},
                             config="none")
    return open_services(settings.with_overrides(**changes) if changes else settings)


def create_1000(rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="ft-bench-sweep-") as folder:
            svc = _services(Path(folder))
            svc.store.set_queue(paused=True)
            grid = Grid((parse_axis("routing_settings.k_paths=" + ",".join(map(str, range(1, 11)))),
                         parse_axis("general_settings.num_requests=" + ",".join(
                             str(1000 + 100 * i) for i in range(10)))), tuple(range(10)))
            start = time.perf_counter()
            detail = svc.sweeps.create("minimal", grid, name="bench")
            times.append(time.perf_counter() - start)
            assert len(detail.runs) == 1000
            svc.close()
    return times


def folder_floor(count: int = 1000) -> float:
    """The file system's own cost of what a run folder needs (3 folders, 3 files), for
    `count` runs, written the plainest way: no sweep can be faster than this here."""
    with tempfile.TemporaryDirectory(prefix="ft-bench-floor-") as folder:
        start = time.perf_counter()
        for i in range(count):
            root = Path(folder) / f"{i:012x}"
            root.mkdir()
            (root / "logs").mkdir()
            (root / "output").mkdir()
            for name in ("logs/sim.log", "config.ini", "launch.json"):
                (root / name).write_text("x")
        return time.perf_counter() - start


def finished_sweep(svc: Services, runs: int = 1000) -> str:
    """A sweep of `runs` COMPLETED runs (10 k_paths x 10 methods x 10 seeds) with a
    10-load summary.csv each, made directly (no simulation)."""
    sweep_id = "be7c00000001"
    grid = [["routing_settings.k_paths", [str(k) for k in range(1, 11)]],
            ["general_settings.guard_slots", [str(g) for g in range(10)]]]
    sweep = Sweep(id=sweep_id, name="bench", template="minimal", overrides_json="[]",
                  grid_json=json.dumps(grid), seeds_json=json.dumps(list(range(10))),
                  split_loads=False, executor="local", owner=None, created_at=utcnow())
    now = utcnow()
    made = []
    for n in range(runs):
        k, guard, seed = n // 100 + 1, n // 10 % 10, n % 10
        run_id = f"be7d{n:08x}"
        paths = RunPaths.for_run(svc.settings.runs_dir, run_id)
        paths.create()
        rows = ["erlang,blocking_mean,ci95_low,ci95_high,bit_rate_blocking,iterations"]
        for i, erlang in enumerate(LOADS):
            value = 0.001 * (i + 1) * (1 + 0.1 * guard) / k * (1 + 0.01 * seed)
            rows.append(f"{erlang:g},{value!r},{value * 0.9!r},{value * 1.1!r},"
                        f"{value * 1.2!r},10")
        (paths.output / "summary.csv").write_text("\n".join(rows) + "\n")
        config = {"general_settings": {"erlang_start": "100", "erlang_stop": "1000",
                                       "erlang_step": "100", "guard_slots": str(guard)},
                  "routing_settings": {"k_paths": str(k)},
                  "builtin_settings": {"seed": str(seed)}}
        made.append(Run(
            id=run_id, name=f"bench {n}", status=RunStatus.COMPLETED.value,
            config_json=json.dumps(config), template="minimal", simulator="builtin",
            executor="local", run_dir=str(paths.root), created_at=now,
            started_at=now - timedelta(minutes=2), completed_at=now, exit_code=0,
            total_erlangs=10, total_iterations=10, current_erlang_index=9,
            current_iteration=10, seed=seed, sweep_id=sweep_id,
            provenance_json=json.dumps({"simulator": "builtin", "simulator_version": "x"}),
            point_json=json.dumps({"routing_settings.k_paths": str(k),
                                   "general_settings.guard_slots": str(guard),
                                   "builtin_settings.seed": str(seed)})))
    SweepStore(svc.store).add(sweep, made)
    return sweep_id


def compare_in_process(svc: Services, sweep_id: str) -> float:
    start = time.perf_counter()
    detail = svc.sweeps.detail(sweep_id)
    data = load_runs(detail.runs)
    result = compare(data, keys=default_keys(data, detail.grid.keys))
    elapsed = time.perf_counter() - start
    assert len(result.groups) == 100 and all(len(g.points) == 10 for g in result.groups)
    return elapsed


def compare_command(svc: Services, sweep_id: str) -> float:
    env = {**os.environ, **svc.settings.to_env()}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "fusion_tui.cli", "compare", sweep_id,
                          "--json"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"fusion-tui compare failed: {out.stderr.strip()}")
    elapsed = time.perf_counter() - start
    assert len(json.loads(out.stdout)["groups"]) == 100
    return elapsed


def command_floor(svc: Services) -> float:
    """The cheapest listing command on the same store: the start-up every command pays."""
    env = {**os.environ, **svc.settings.to_env()}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fusion_tui.cli", "runs", "--limit", "1", "--json"],
                   env=env, capture_output=True, check=True)
    return time.perf_counter() - start


async def first_paint(svc: Services, sweep_id: str) -> float:
    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.comparison import ComparisonScreen

    app = create_app(svc, watch_notifications=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        start = time.perf_counter()
        screen = ComparisonScreen(sweep_id=sweep_id)
        app.push_screen(screen)
        while screen.comparison is None or not screen.query_one("#cmp-chart").region:
            await asyncio.sleep(0.002)
        await pilot.pause(0)  # the frame with the chart
        return time.perf_counter() - start


class QueueResult(NamedTuple):
    elapsed: float
    ratio: float
    gaps: list[float]  # one slot: a run's end -> the next run's start, seconds


def queue_overhead(runs: int, slots: int = 2) -> QueueResult:
    with tempfile.TemporaryDirectory(prefix="ft-bench-queue-") as folder:
        command = (f"{BENCH / 'timed_sim.sh'} --config_path {{config_path}} "
                   "--run_id {run_id} --progress_file {progress_file} "
                   "--output_dir {output_dir}")
        svc = _services(Path(folder), simulator_command=command)
        svc.store.set_queue(max_concurrent=slots)
        os.environ["BENCH_SIM_SECONDS"] = "1"
        start = time.perf_counter()
        detail = svc.sweeps.create("minimal", Grid((), tuple(range(runs))), name="queue")
        while True:
            done = svc.sweeps.store.runs(detail.sweep.id)
            statuses = {r.status for r in done}
            if statuses == {RunStatus.COMPLETED.value}:
                break
            if statuses & {RunStatus.FAILED.value, RunStatus.CANCELLED.value}:
                raise SystemExit(f"a run did not complete: {statuses}")
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        gaps = _gaps([RunPaths(Path(r.run_dir)).progress for r in done], slots)
        svc.close()
        ideal = runs * 1.0 / slots
        return QueueResult(elapsed, elapsed / ideal, gaps)


def _gaps(progress_files: list[Path], slots: int) -> list[float]:
    """From the stand-in's own clock: with runs sorted by start and ends sorted, the
    i-th run to start took the slot of the (i - slots)-th run to end."""
    starts, ends = [], []
    for path in progress_files:
        events = {e["type"]: e["at"] for e in map(json.loads, path.read_text().splitlines())}
        starts.append(events["start"])
        ends.append(events["complete"])
    starts.sort()
    ends.sort()
    return [starts[i] - ends[i - slots] for i in range(slots, len(starts))]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--queue-runs", type=int, default=200)
    p.add_argument("--skip-queue", action="store_true")
    args = p.parse_args()

    created = create_1000(args.rounds)
    floor = statistics.median(folder_floor() for _ in range(args.rounds))
    print(f"create a 1,000-point sweep: median {statistics.median(created):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in created)}; target < 5 s); the bare "
          f"file-system floor for 1,000 such folders here: {floor:.2f} s")

    with tempfile.TemporaryDirectory(prefix="ft-bench-compare-") as folder:
        svc = _services(Path(folder))
        sweep_id = finished_sweep(svc)
        inner = [compare_in_process(svc, sweep_id) for _ in range(args.rounds)]
        whole = [compare_command(svc, sweep_id) for _ in range(args.rounds)]
        baseline = [command_floor(svc) for _ in range(args.rounds)]
        print(f"compare 1,000 runs x 10 loads: in-process median {statistics.median(inner):.3f} s,"
              f" `fusion-tui compare --json` median {statistics.median(whole):.3f} s "
              f"(target < 1 s); `fusion-tui runs --limit 1 --json` on the same store (any "
              f"command's start-up): median {statistics.median(baseline):.3f} s")
        paints = [asyncio.run(first_paint(svc, sweep_id)) for _ in range(args.rounds)]
        print(f"comparison screen first paint (1,000 runs): median "
              f"{statistics.median(paints):.3f} s (runs: "
              f"{', '.join(f'{t:.3f}' for t in paints)}; target < 0.5 s)")
        svc.close()

    if not args.skip_queue:
        q = queue_overhead(args.queue_runs)
        gaps = sorted(q.gaps)
        print(f"queue: {args.queue_runs} runs of 1 s on 2 slots took {q.elapsed:.1f} s, ideal "
              f"{args.queue_runs / 2:.0f} s: {q.ratio:.3f}x (target within 1.15x); one run's "
              f"end -> the next one's start: median {statistics.median(gaps):.3f} s, "
              f"90th percentile {gaps[int(len(gaps) * 0.9)]:.3f} s, max {gaps[-1]:.3f} s")


if __name__ == "__main__":
    main()
