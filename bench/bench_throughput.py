"""Sweep throughput end to end (issue 23): prints measured numbers; asserts nothing.

    .venv/bin/python bench/bench_throughput.py [--points 200] [--slots 2] [--requests 2000]
        [--stand-in SECONDS] [--rounds 3]

A sweep of `--points` short runs of the built-in simulator (the `minimal` template: 2
loads x 2 iterations, `--requests` requests each, a seed per point) on
`--slots` slots of the local queue, from `sweep new` until every run is COMPLETED (wall
time), against the ideal: the sum of the simulators' own times (each from its process's
start, `status.json`'s `pid_started`, to the `complete` event it writes last) divided by
the slots. The ratio is the queue's overhead per run (supervisor start, recorder
transaction, the next claim); the target for runs of about 0.1 s is 1.3x. Also printed:
the median simulator time, and the median gap between one run's end and the next run's
start in the same slot. With `--stand-in 0.1` the simulator is `timed_sim.sh` instead, a
shell script that sleeps that long (its own time is from its start event to its
completion event).

The simulators' own times stretch when the queue's own processes take CPU from them, so
the baseline that counts is measured in the same round: the very same simulator command
lines (each run's `launch.json`), into scratch folders, `--slots` at a time with nothing
of ours around them ("direct"). The first ratio printed is the sweep's wall time over
that; the median over `--rounds` rounds closes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.services import open_services
from fusion_tui.store.sqlite_file import sqlite_path
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.grid import Grid

BENCH = Path(__file__).resolve().parent
# How often the sweep's end is looked for: the wall time is that much too long at most,
# and a poll costs about 2 ms of the CPU the sweep is measured on (every 20 ms that was
# 8 ms a run).
POLL_SECONDS = 0.1
STAND_IN = (f"{BENCH / 'timed_sim.sh'} --config_path {{config_path}} --run_id {{run_id}} "
            "--progress_file {progress_file} --output_dir {output_dir}")


def _own_time(run_dir: Path) -> tuple[float, float]:
    """(start, end) of the simulator, epoch seconds: the built-in's process start to its
    `complete` event, or the stand-in's own start and completion times."""
    paths = RunPaths(run_dir)
    events = [json.loads(line) for line in paths.progress.read_text().splitlines()]
    start = next(e for e in events if e.get("type") == "start")
    done = next(e for e in reversed(events) if e.get("type") == "complete")
    if "at" in done:  # the stand-in
        return float(start["at"]), float(done["at"])
    started = float(json.loads(paths.status.read_text())["pid_started"])
    ended = datetime.fromisoformat(done["ts"].replace("Z", "+00:00")).timestamp()
    return started, ended


def _busy_seconds() -> float:
    """CPU seconds this machine has spent busy since boot, every process's (from
    /proc/stat): the difference over a round is what the round cost on an idle machine."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _statuses(store: Path, sweep_id: str) -> set[str]:
    """The statuses of the sweep's runs, by one plain query: loading every run through the
    store 50 times a second would take the CPU the sweep is measured on."""
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        return {s for (s,) in db.execute(
            "SELECT DISTINCT status FROM runs WHERE sweep_id = ?", (sweep_id,))}


def _direct(run_dirs: list[Path], slots: int, scratch: Path) -> float:
    """Wall time of the runs' own command lines, `slots` at a time, outside the queue."""
    def one(index: int) -> None:
        launch = json.loads(RunPaths(run_dirs[index]).launch.read_text())
        argv, out = list(launch["argv"]), scratch / str(index)
        (out / "output").mkdir(parents=True)
        for flag, value in (("--progress_file", out / "progress.jsonl"),
                            ("--output_dir", out / "output")):
            argv[argv.index(flag) + 1] = str(value)
        subprocess.run(argv, cwd=launch.get("cwd") or out, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
    began = time.perf_counter()
    with ThreadPoolExecutor(slots) as pool:
        list(pool.map(one, range(len(run_dirs))))
    return time.perf_counter() - began


class Round(NamedTuple):
    wall: float  # the sweep, from `sweep new` to the last COMPLETED
    direct: float  # the same command lines, outside the queue
    cpu: float  # CPU seconds the machine spent busy during the sweep
    direct_cpu: float  # and during the direct runs
    own: list[float]  # the simulators' own times in the sweep
    gap: float  # median from one run's end to the next one's start in its slot


def _round(opts: argparse.Namespace, folder: Path) -> Round:
    """One sweep through the queue, then the same commands direct."""
    changes: dict[str, object] = {"home": folder / "home"}
    if opts.stand_in is not None:
        changes["simulator_command"] = STAND_IN
        os.environ["BENCH_SIM_SECONDS"] = str(opts.stand_in)
    svc = open_services(Settings.load(overrides=changes))
    svc.store.set_queue(max_concurrent=opts.slots)
    store_file = sqlite_path(svc.settings.database_url)
    assert store_file is not None
    overrides = (f"general_settings.num_requests={opts.requests}",)
    busy, began = _busy_seconds(), time.perf_counter()
    detail = svc.sweeps.create("minimal", Grid((), tuple(range(1, opts.points + 1))),
                               name="throughput", overrides=overrides)
    while True:
        statuses = _statuses(store_file, detail.sweep.id)
        if statuses == {RunStatus.COMPLETED.value}:
            break
        if statuses & {RunStatus.FAILED.value, RunStatus.CANCELLED.value}:
            raise SystemExit(f"a run did not complete: {statuses}")
        time.sleep(POLL_SECONDS)
    wall, cpu = time.perf_counter() - began, _busy_seconds() - busy
    run_dirs = [Path(r.run_dir) for r in svc.sweeps.store.runs(detail.sweep.id)]
    svc.close()
    spans = [_own_time(d) for d in run_dirs]
    busy = _busy_seconds()
    direct = _direct(run_dirs, opts.slots, folder / "direct")
    direct_cpu = _busy_seconds() - busy
    starts = sorted(s for s, _ in spans)
    ends = sorted(e for _, e in spans)
    gaps = [starts[i] - ends[i - opts.slots] for i in range(opts.slots, len(starts))]
    return Round(wall, direct, cpu, direct_cpu, [end - start for start, end in spans],
                 statistics.median(gaps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--stand-in", type=float, metavar="SECONDS",
                        help="runs of the shell stand-in, this long each")
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    what = (f"the stand-in's {opts.stand_in} s" if opts.stand_in is not None
            else f"{opts.requests} requests x 2 loads x 2 iterations")
    ratios = []
    for number in range(1, opts.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="ft-bench-throughput-") as folder:
            r = _round(opts, Path(folder))
        ideal = sum(r.own) / opts.slots
        ratios.append(r.wall / r.direct)
        print(f"round {number}: {opts.points} runs of {what} on {opts.slots} slots: sweep "
              f"{r.wall:.1f} s, the same commands direct {r.direct:.1f} s: ratio "
              f"{r.wall / r.direct:.2f}; against the simulators' own times in the sweep "
              f"(median {statistics.median(r.own):.3f} s, {ideal:.1f} s over the slots) "
              f"{r.wall / ideal:.2f}; one run's end -> the next one's start in its slot: "
              f"median {r.gap:.3f} s; CPU of the machine per run (all processes; "
              f"meaningful when idle): sweep {r.cpu / opts.points * 1000:.0f} ms, direct "
              f"{r.direct_cpu / opts.points * 1000:.0f} ms")
    print(f"median ratio to direct over {opts.rounds} rounds: {statistics.median(ratios):.2f} "
          "(target 1.3 for runs of about 0.1 s)")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
