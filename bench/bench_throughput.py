"""Sweep throughput end to end (issue 23): prints measured numbers; asserts nothing.

    .venv/bin/python bench/bench_throughput.py [--points 200] [--slots 2] [--requests 2000]
        [--stand-in SECONDS]

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
completion event): runs of exactly 0.1 s, which the built-in, a Python program, cannot
be (its start-up alone is longer).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.services import open_services
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.grid import Grid

BENCH = Path(__file__).resolve().parent
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--stand-in", type=float, metavar="SECONDS",
                        help="runs of the shell stand-in, this long each")
    opts = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="ft-bench-throughput-") as folder:
        changes: dict[str, object] = {"home": Path(folder)}
        if opts.stand_in is not None:
            changes["simulator_command"] = STAND_IN
            os.environ["BENCH_SIM_SECONDS"] = str(opts.stand_in)
        svc = open_services(Settings.load(overrides=changes))
        svc.store.set_queue(max_concurrent=opts.slots)
        overrides = (f"general_settings.num_requests={opts.requests}",)
        began = time.perf_counter()
        detail = svc.sweeps.create("minimal", Grid((), tuple(range(1, opts.points + 1))),
                                   name="throughput", overrides=overrides)
        while True:
            statuses = {r.status for r in svc.sweeps.store.runs(detail.sweep.id)}
            if statuses == {RunStatus.COMPLETED.value}:
                break
            if statuses & {RunStatus.FAILED.value, RunStatus.CANCELLED.value}:
                raise SystemExit(f"a run did not complete: {statuses}")
            time.sleep(0.02)
        wall = time.perf_counter() - began
        spans = [_own_time(Path(r.run_dir)) for r in svc.sweeps.store.runs(detail.sweep.id)]
        svc.close()
    own = [end - start for start, end in spans]
    ideal = sum(own) / opts.slots
    starts = sorted(s for s, _ in spans)
    ends = sorted(e for _, e in spans)
    gaps = [starts[i] - ends[i - opts.slots] for i in range(opts.slots, len(starts))]
    what = (f"the stand-in's {opts.stand_in} s" if opts.stand_in is not None
            else f"{opts.requests} requests x 2 loads x 2 iterations")
    print(f"{opts.points} runs of {what} on "
          f"{opts.slots} slots: {wall:.1f} s; the simulators' own times "
          f"(median {statistics.median(own):.3f} s) over {opts.slots} slots: {ideal:.1f} s; "
          f"ratio {wall / ideal:.2f} (target 1.3 for runs of about 0.1 s); one run's end "
          f"-> the next one's start in its slot: median {statistics.median(gaps):.3f} s")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
