"""Simulator throughput (issue 3): simulated requests per second.

    python bench/bench_sim.py [--runs 5]

NSFNet, 320 slots, 3 cores, k=3, first fit, 300..900 Erlang (step 100), 10,000 requests
per iteration (FUSION's semantics: no warm-up), 3 iterations per load, every one run.
Runs the real `python -m fusion_tui.sim` with --workers 1 and --workers 2 and prints the
median of the rate the simulator reports (its own wall time, routing precomputation included) and of
the whole command's wall time (interpreter start-up included), with the 2-worker /
1-worker ratio. For scale: FUSION 6.1 did about 580 requests/s on this kind of machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
[general_settings]
erlang_start = 300
erlang_stop = 900
erlang_step = 100
max_iters = 3
num_requests = 10000
holding_time = 1.0
request_distribution = {"25": 0.1, "50": 0.1, "100": 0.5, "200": 0.2, "400": 0.1}
guard_slots = 1
route_method = k_shortest_path
allocation_method = first_fit

[topology_settings]
network = NSFNet
cores_per_link = 3
bw_per_slot = 12.5

[routing_settings]
k_paths = 3

[spectrum_settings]
c_band = 320

[builtin_settings]
seed = 1
early_stop = False
"""


def one_run(folder: Path, workers: int) -> tuple[float, float, int]:
    """(requests/s reported by the simulator, requests/s over the whole command, requests)."""
    progress = folder / f"progress-{workers}-{time.monotonic_ns()}.jsonl"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fusion_tui.sim", "--config_path",
                    str(folder / "config.ini"), "--progress_file", str(progress),
                    "--output_dir", str(folder / "out"), "--workers", str(workers)],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    last = json.loads(progress.read_text().splitlines()[-1])
    requests = int(last["summary"]["requests"])
    return float(last["summary"]["requests_per_second"]), requests / wall, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    medians = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.ini").write_text(CONFIG)
        for workers in (1, 2):
            runs = [one_run(folder, workers) for _ in range(args.runs)]
            inner = statistics.median(r[0] for r in runs)
            outer = statistics.median(r[1] for r in runs)
            medians[workers] = inner
            print(f"--workers {workers}: {inner:12,.0f} requests/s (simulator's own clock), "
                  f"{outer:12,.0f} requests/s (whole command); {runs[0][2]:,} requests, "
                  f"median of {args.runs}")
    print(f"speed-up with 2 workers: {medians[2] / medians[1]:.2f}x   "
          f"(target: >= 150,000 requests/s on one core, near 2x with two)")


if __name__ == "__main__":
    main()
