"""Simulator throughput (issues 3 and 23): simulated requests per second.

    python bench/bench_sim.py [--runs 5] [--requests 10000] [--protocol]
        [--engines python,compiled]

NSFNet, 320 slots, 3 cores, k=3, first fit, 300..900 Erlang (step 100), 10,000 requests
per iteration (FUSION's semantics: no warm-up), 3 iterations per load, every one run.
Runs the real `python -m fusion_tui.sim` with --workers 1 and --workers 2, on the pure
engine and (when numba is installed) the compiled one, and prints the median of the rate
the simulator reports (its own wall time, routing precomputation included) and of the
whole command's wall time (interpreter start-up included), with the 2-worker / 1-worker
ratio and the compiled / pure ratio. For scale: FUSION 6.1 did about 580 requests/s on
this kind of machine. With `--protocol`, the peers' protocol of bench/peers.py instead
(NSFNet, 100 slots, one core, k=5, 100 Gb/s) at its two loads, 4 iterations each,
`--requests` per iteration (give 200000 there). bench/peers.py compares with other
simulators.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peers import PROTOCOL_INI

CONFIG = """\
[general_settings]
erlang_start = 300
erlang_stop = 900
erlang_step = 100
max_iters = 3
num_requests = {requests}
holding_time = 1.0
request_distribution = {{"25": 0.1, "50": 0.1, "100": 0.5, "200": 0.2, "400": 0.1}}
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
engine = {engine}
"""


def one_run(folder: Path, engine: str, workers: int) -> tuple[float, float, int, float]:
    """(requests/s reported by the simulator, requests/s over the whole command, requests,
    CPU seconds of the command and its workers)."""
    progress = folder / f"progress-{workers}-{time.monotonic_ns()}.jsonl"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fusion_tui.sim", "--config_path",
                    str(folder / f"{engine}.ini"), "--progress_file", str(progress),
                    "--output_dir", str(folder / "out"), "--workers", str(workers)],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = json.loads(progress.read_text().splitlines()[-1])
    requests = int(last["summary"]["requests"])
    return float(last["summary"]["requests_per_second"]), requests / wall, requests, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=10_000, help="per iteration")
    parser.add_argument("--protocol", action="store_true",
                        help="the peers' protocol (bench/peers.py) instead")
    parser.add_argument("--engines", default="python,compiled",
                        help="which engines, comma-separated (the compiled one only where "
                             "numba is installed); `compiled` alone measures its scaling on "
                             "runs long enough that its start-up does not hide it")
    args = parser.parse_args()
    wanted = args.engines.split(",")
    engines = [e for e in ("python", "compiled") if e in wanted
               and (e == "python" or importlib.util.find_spec("numba"))]
    medians: dict[tuple[str, int], float] = {}
    cpus: dict[tuple[str, int], float] = {}
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for engine in engines:
            text = CONFIG.format(engine=engine, requests=args.requests)
            if args.protocol:  # its two loads, 4 iterations each
                text = PROTOCOL_INI.format(erlang=118, requests=args.requests, engine=engine)
                text = text.replace("erlang_stop = 118", "erlang_stop = 277").replace(
                    "erlang_step = 1", "erlang_step = 159").replace("max_iters = 1",
                                                                     "max_iters = 4")
            (folder / f"{engine}.ini").write_text(text)
            for workers in (1, 2):
                runs = [one_run(folder, engine, workers) for _ in range(args.runs)]
                inner = statistics.median(r[0] for r in runs)
                outer = statistics.median(r[1] for r in runs)
                medians[engine, workers] = inner
                cpus[engine, workers] = statistics.median(r[3] for r in runs)
                print(f"{engine:>8} --workers {workers}: {inner:12,.0f} requests/s "
                      f"(simulator's own clock), {outer:12,.0f} requests/s (whole command), "
                      f"{cpus[engine, workers]:.2f} CPU s; {runs[0][2]:,} requests, "
                      f"median of {args.runs}")
            print(f"{engine:>8} speed-up with 2 workers: "
                  f"{medians[engine, 2] / medians[engine, 1]:.2f}x (target: near 2x); CPU "
                  f"with 2 workers / with 1: {cpus[engine, 2] / cpus[engine, 1]:.2f} (the "
                  f"work added by a second worker; on a busy machine, where a run's "
                  f"processes share one slice of CPU, the speed-up cannot show)")
    if engines == ["python", "compiled"]:
        print(f"compiled / python, 1 worker: "
              f"{medians['compiled', 1] / medians['python', 1]:.2f}x")


if __name__ == "__main__":
    main()
