"""Slurm benchmark, on a real cluster (`.ci/start-slurm` gives a single-node one):

    .venv/bin/python bench/bench_slurm.py [--runs 200] [--rounds 3] [--watch-seconds 60]

1. Submission: `--runs` runs created with the Slurm executor (each validated, written
   and sbatch'ed; held with `--hold` so nothing runs), wall time and runs per second,
   median over `--rounds`.
2. Controller load while the app watches them: the real app (Textual's Pilot, headless)
   on the store for `--watch-seconds`, every Slurm command counted by shims first on
   PATH; calls per minute, and the same for a second app on the same store (the poll is
   shared, so two apps cost what one does).
3. Time from a job's end to its outcome on screen: short runs, from the completion time
   the job's supervisor wrote to the moment the app's run list shows COMPLETED; median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.status import RunStatus

COMMANDS = ("sbatch", "squeue", "sacct", "scontrol", "scancel", "sinfo")


def _shims(folder: Path, log: Path) -> None:
    folder.mkdir()
    for name in COMMANDS:
        real = subprocess.run(["which", name], capture_output=True, text=True).stdout.strip()
        shim = folder / name
        shim.write_text(f'#!/bin/sh\necho {name} >> {log}\nexec {real} "$@"\n')
        shim.chmod(0o755)


def _settings(root: Path) -> Settings:
    return Settings.load(env={"HOME": str(root)}, overrides={
        "home": root / "home", "executor": "slurm", "slurm_poll_seconds": 30.0,
    }, config="none")


def _submit(svc: Services, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        svc.manager.create("minimal", executor_options={"extra_args": "--hold"})
    return time.perf_counter() - start


def _cancel_all() -> None:
    subprocess.run(["scancel", "-u", os.environ.get("USER", "root")], capture_output=True)


async def _watch(settings: Settings, seconds: float, apps: int) -> None:
    from fusion_tui.tui.app import create_app

    async def one() -> None:
        app = create_app(settings, watch_notifications=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(seconds)

    await asyncio.gather(*(one() for _ in range(apps)))


async def _latency(settings: Settings, rounds: int) -> list[float]:
    from fusion_tui.tui.app import create_app

    delays = []
    app = create_app(settings, watch_notifications=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.connected:
            await pilot.pause(0.05)
        for _ in range(rounds):
            run = app.services.manager.create("minimal")
            table = app.screen.query_one("#runs")
            while True:
                row = table.rows_data.get(run.id)  # type: ignore[attr-defined]
                if row is not None and row.status == RunStatus.COMPLETED:
                    seen = datetime.now().astimezone()
                    break
                await pilot.pause(0.02)
            done = (read_json(RunPaths(Path(run.run_dir)).status) or {})["completed_at"]
            ended = datetime.fromisoformat(done).replace(tzinfo=None)
            delays.append((seen.astimezone().replace(tzinfo=None)
                           - _to_local(ended)).total_seconds())
    return delays


def _to_local(utc_naive: datetime) -> datetime:
    from datetime import UTC

    return utc_naive.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--watch-seconds", type=float, default=60.0)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-slurm-", dir=Path.home()) as tmp:
        root = Path(tmp)
        calls = root / "calls"
        _shims(root / "shims", calls)
        os.environ["PATH"] = f"{root / 'shims'}:{os.environ['PATH']}"
        times = []
        for n in range(a.rounds):
            settings = _settings(root / f"round{n}")
            svc = open_services(settings)
            times.append(_submit(svc, a.runs))
            svc.close()
            if n < a.rounds - 1:
                _cancel_all()
        median = statistics.median(times)
        print(f"submission of {a.runs} runs: median {median:.2f} s "
              f"({a.runs / median:.1f} runs/s) over {a.rounds} rounds "
              f"[{', '.join(f'{t:.2f}' for t in times)}]")
        watched = _settings(root / f"round{a.rounds - 1}")
        for apps in (1, 2):
            calls.write_text("")
            asyncio.run(_watch(watched, a.watch_seconds, apps))
            counted = calls.read_text().split()
            per_minute = {c: counted.count(c) * 60 / a.watch_seconds for c in COMMANDS}
            shown = ", ".join(f"{c} {v:.1f}" for c, v in per_minute.items() if v)
            print(f"{apps} app(s) watching {a.runs} jobs for {a.watch_seconds:.0f} s: "
                  f"{sum(per_minute.values()):.1f} controller calls/min ({shown or 'none'})")
        _cancel_all()
        delays = asyncio.run(_latency(_settings(root / "latency"), 5))
        print(f"job end -> outcome on screen: median {statistics.median(delays):.2f} s "
              f"over {len(delays)} runs [{', '.join(f'{d:.2f}' for d in delays)}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
