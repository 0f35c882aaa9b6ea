"""TUI benchmarks (issue 4): prints measured numbers; asserts nothing.

    python bench/bench_tui.py [--writes 40] [--runs 10000] [--rounds 7] [--only frame]

1. Progress latency: a progress line appended to a RUNNING run's progress.jsonl, until
   the run list shows it (app driven headless by Pilot, real files); median and p95.
2. Idle CPU: the real `fusion-tui` in tmux with 20 RUNNING runs (real processes) on
   screen and no progress being written, CPU% of one core over 10 s (psutil).
3. First frame with 10,000 runs in the store, each with its cached result (the run
   list's Blocking and Interval columns) and half of them in 12-point sweeps (shown by
   their points): `python -m fusion_tui` in a real pseudo-terminal (120x40), from
   spawning it until the newest run's id arrives on the terminal, against the time
   Python takes just to import textual and sqlalchemy (spawn until it prints), and the
   ratio; median of 7 each (`--rounds`), runs interleaved. Also a bare Textual app (header, 200-row
   DataTable, footer) measured the same way, for scale.
4. A 1 GB log: from pressing `l` until its last line is on screen (median of 3; the file
   is in the page cache after it is written), and the app's memory growth meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psutil
from sqlalchemy import insert

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run, Sweep
from fusion_tui.store.status import RunStatus, utcnow

HERE = Path(__file__).resolve().parent
PARTS = ("latency", "idle", "frame", "log")
SLEEPER = (f"{sys.executable} {HERE / 'sleeper_sim.py'} --config_path {{config_path}}"
           " --run_id {run_id} --progress_file {progress_file} --output_dir {output_dir}")


def _services(home: Path, **changes: object) -> Services:
    return open_services(Settings.load(overrides={"home": home, **changes}))


async def _elapsed_until(check: Callable[[], object], began: float, limit: float,
                         failure: str) -> float:
    """Poll `check` every 2 ms; seconds since `began` when it holds (exit after `limit`)."""
    while not check():
        if time.perf_counter() - began > limit:
            raise SystemExit(failure)
        await asyncio.sleep(0.002)
    return time.perf_counter() - began


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def _latency(home: Path, writes: int) -> list[float]:
    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.widgets.runs.table import RunsTable

    svc = _services(home)
    paths = RunPaths.for_run(svc.settings.runs_dir, "00000000beef")
    paths.create()
    svc.store.add(Run(id="00000000beef", name="latency", status=RunStatus.RUNNING,
                      config_json="{}", template="bench", run_dir=str(paths.root),
                      created_at=utcnow(), started_at=utcnow(), total_erlangs=1,
                      total_iterations=writes + 1, current_erlang_index=0,
                      current_iteration=0))
    app = create_app(svc, watch_notifications=False)
    samples = []
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(1.0)
        table = app.screen.query_one(RunsTable)
        for i in range(1, writes + 1):
            event = {"type": "iteration", "erlang": 100, "erlang_index": 0, "iteration": i,
                     "total_iterations": writes + 1, "total_erlangs": 1}
            began = time.perf_counter()
            with open(paths.progress, "a") as fh:
                fh.write(json.dumps(event) + "\n")
            target = i / (writes + 1)

            def shown(target: float = target) -> bool:
                row = table.rows_data.get("00000000beef")
                return bool(row and row.fraction is not None
                            and abs(row.fraction - target) < 1e-9)

            samples.append(await _elapsed_until(
                shown, began, 10, f"progress line {i} never reached the run list"))
            await asyncio.sleep(0.05 + (i % 7) * 0.013)
    svc.close()
    return samples


def _idle_cpu(home: Path, fusion_tui: str) -> float | None:
    if shutil.which("tmux") is None:
        return None
    svc = _services(home, simulator_command=SLEEPER)
    svc.store.set_queue(max_concurrent=20)
    runs = [svc.manager.create("minimal") for _ in range(20)]
    time.sleep(2.0)
    session = f"bench-{uuid.uuid4().hex[:6]}"
    env = f"FUSION_TUI_HOME={home} FUSION_TUI_SIMULATOR_COMMAND='{SLEEPER}'"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "40",
                    f"env {env} {fusion_tui}"], check=True)
    try:
        time.sleep(3.0)
        pane_pid = int(subprocess.run(["tmux", "list-panes", "-t", session, "-F",
                                       "#{pane_pid}"], capture_output=True, text=True,
                                      check=True).stdout.split()[0])
        app = psutil.Process(pane_pid)
        children = app.children(recursive=True)
        target = next((p for p in [app, *children] if "fusion-tui" in " ".join(p.cmdline())),
                      app)
        before = target.cpu_times()
        time.sleep(10.0)
        after = target.cpu_times()
        used = (after.user - before.user) + (after.system - before.system)
        return used / 10.0 * 100.0
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        for run in runs:
            svc.manager.cancel(run.id)
        svc.close()


def _until_on_terminal(argv: list[str], env: dict[str, str], needle: bytes) -> float:
    """Seconds from spawning `argv` on a new 120x40 pseudo-terminal until `needle`
    arrives on it (what a person at that terminal would see)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    began = time.perf_counter()
    child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                             start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while needle not in seen:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                raise SystemExit(f"{argv[-1]}: {needle!r} never reached the terminal")
            seen = seen[-len(needle):] + os.read(master, 65536)
        elapsed = time.perf_counter() - began
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        with contextlib.suppress(OSError):
            while os.read(master, 65536):
                pass
        child.wait()
        os.close(master)
    return elapsed


def _first_frame(home: Path, rows: int, rounds: int) -> tuple[float, float, float]:
    svc = _services(home)
    base = utcnow() - timedelta(days=10)
    sweeps = [{"id": f"5eeb{i:08x}", "name": f"alloc-k-sweep {i}", "template": "default",
               "overrides_json": "[]", "grid_json": "[]", "executor": "local",
               "created_at": base} for i in range(rows // 24)]
    batch = [{"id": f"{i:012x}", "name": f"run {i}", "status": "COMPLETED", "config_json": "{}",
              "template": "default", "simulator": "builtin", "executor": "local",
              "run_dir": f"/nonexistent/{i}", "created_at": base + timedelta(seconds=i),
              "started_at": base + timedelta(seconds=i),
              "completed_at": base + timedelta(seconds=i + 60),
              "result_load": 600.0, "result_blocking": 0.1 + (i % 97) * 1e-4,
              "result_low": 0.095, "result_high": 0.11 + (i % 97) * 1e-4,
              **_sweep_point(i, rows)} for i in range(rows)]
    with svc.store.session(write=True) as s:
        if sweeps:
            s.execute(insert(Sweep), sweeps)
        s.execute(insert(Run), batch)
    svc.close()
    # as a user's machine runs it: modules compiled once and then read from __pycache__
    env = {**os.environ, "FUSION_TUI_HOME": str(home), "TERM": "xterm-256color"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    newest = f"{rows - 1:012x}".encode()
    frames, floors, imports = [], [], []
    for round_ in range(rounds + 1):  # the first round, a warm-up, is not counted
        frame = _until_on_terminal([sys.executable, "-m", "fusion_tui"], env, newest)
        floor = _until_on_terminal([sys.executable, str(HERE / "textual_floor.py")],
                                   env, b"run 10")
        imported = _until_on_terminal(
            [sys.executable, "-c", "import textual, sqlalchemy; print('imported')"],
            env, b"imported")
        if round_:
            frames.append(frame)
            floors.append(floor)
            imports.append(imported)
    return statistics.median(frames), statistics.median(floors), statistics.median(imports)


def _sweep_point(i: int, rows: int) -> dict[str, object]:
    """Every other run in a sweep of 12 points (k_paths x allocation x seed)."""
    if i % 2 or i // 24 >= rows // 24:
        return {"sweep_id": None, "point_json": None}
    n = i // 2 % 12
    point = {"routing_settings.k_paths": str(1 + n % 3),
             "general_settings.allocation_method": ("first_fit", "best_fit")[n // 3 % 2],
             "builtin_settings.seed": str(1 + n // 6)}
    return {"sweep_id": f"5eeb{i // 24:08x}", "point_json": json.dumps(point)}


async def _open_big_log(home: Path) -> tuple[float, float]:
    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.log import LogScreen
    from fusion_tui.tui.widgets.log.view import LogView

    svc = _services(home)
    run = svc.store.list_runs()[0]
    app = create_app(svc, watch_notifications=False)
    rss_before = psutil.Process().memory_info().rss
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.5)
        began = time.perf_counter()
        app.open_log(run.id)

        def at_tail() -> bool:
            screen = app.screen
            views = screen.query(LogView) if isinstance(screen, LogScreen) else None
            if not views:
                return False
            view = views.first()
            return bool(view.index.line_count) and view.scroll_offset.y == view.max_scroll_y > 0

        elapsed = await _elapsed_until(at_tail, began, 60, "the big log never showed its tail")
        await pilot.pause(0.2)
        grown = psutil.Process().memory_info().rss - rss_before
    svc.close()
    return elapsed, grown


def _big_log(home: Path, gigabytes: float) -> tuple[float, float, int]:
    svc = _services(home)
    paths = RunPaths.for_run(svc.settings.runs_dir, "0000000b1910")
    paths.create()
    line = b"2026-11-22 10:00:00 INFO sim: iteration 17 of 100, blocking 0.0123, load 300\n"
    block = line * (4 * 1024 * 1024 // len(line))
    target = int(gigabytes * 1024 ** 3)
    with open(paths.log, "wb") as fh:
        while fh.tell() < target:
            fh.write(block)
        fh.write(b"THE LAST LINE\n")
        size = fh.tell()
    svc.store.add(Run(id="0000000b1910", name="big log", status=RunStatus.COMPLETED,
                      config_json="{}", template="bench", run_dir=str(paths.root),
                      created_at=utcnow(), started_at=utcnow(), completed_at=utcnow(),
                      exit_code=0))
    svc.close()
    results = [asyncio.run(_open_big_log(home)) for _ in range(3)]
    return (statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results), size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--log-gb", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=7,
                        help="first frames timed (the median is printed)")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="measure only this (repeatable; default: all)")
    args = parser.parse_args()
    parts = args.only or PARTS
    fusion_tui = str(Path(sys.executable).parent / "fusion-tui")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "latency" in parts:
            samples = asyncio.run(_latency(folder / "latency", args.writes))
            ms = [s * 1000 for s in samples]
            print(f"progress line -> run list: median {statistics.median(ms):6.1f} ms, "
                  f"p95 {_p95(ms):6.1f} ms, max {max(ms):6.1f} ms (n={len(ms)}; "
                  "target p95 < 250 ms)")
        if "idle" in parts:
            cpu = _idle_cpu(folder / "idle", fusion_tui)
            if cpu is None:
                print("idle CPU: skipped (tmux missing)")
            else:
                print(f"idle CPU with 20 RUNNING runs on screen: {cpu:5.2f}% of one core over "
                      "10 s (target < 3%)")
        if "frame" in parts:
            frame, floor, imports = _first_frame(folder / "frame", args.runs, args.rounds)
            print(f"first frame with {args.runs:,} runs and result columns (real terminal): "
                  f"{frame * 1000:6.0f} ms; python -c 'import textual, sqlalchemy': "
                  f"{imports * 1000:6.0f} ms; ratio {frame / imports:4.2f} "
                  "(targets: <= 1.3, issue 21; <= 1.2, issue 23)")
            print(f"  for scale: a bare Textual app (header, 200-row DataTable, footer): "
                  f"{floor * 1000:6.0f} ms, ratio {floor / imports:4.2f}")
        if "log" in parts:
            opened, grown, size = _big_log(folder / "biglog", args.log_gb)
            print(f"log of {size / 1024 ** 3:.2f} GiB: tail on screen {opened * 1000:6.0f} ms "
                  f"after `l` (target < 1 s); app memory +{grown / 1024 ** 2:.1f} MiB")


if __name__ == "__main__":
    main()
