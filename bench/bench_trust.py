"""Trust benchmark: how fast a run whose supervisor is killed is settled with its true
outcome (no app, no command: the waiter adopts it), and what one run's supervisor and
waiter cost in resident memory.

    .venv/bin/python bench/bench_trust.py [--rounds 5]

Each round starts a run whose simulator sleeps 2 s, samples the supervisor's and the
waiter's resident memory while it runs, kills the supervisor with SIGKILL after 0.5 s,
and times (a) kill -9 -> a new supervisor holds the run's lock, and (b) the simulator's
exit -> the store says COMPLETED with exit code 0. Medians over the rounds; the memory
of a bare `import sqlalchemy.orm` is printed for scale (today's supervisor would hold it).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fusion_tui.base import lock, procs
from fusion_tui.base.rundir import RunPaths, read_json
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.status import RunStatus

HERE = Path(__file__).resolve().parent
TIMED = (f"{sys.executable} {HERE / 'timed_sim.py'} --config_path {{config_path}}"
         " --run_id {run_id} --progress_file {progress_file} --output_dir {output_dir}")


def _wait(check: Callable[[], object], timeout: float = 30.0, interval: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("benchmark condition not met")
        time.sleep(interval)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _round(svc: Services) -> tuple[float, float, float, float]:
    run = svc.manager.create("minimal")
    paths = RunPaths(Path(run.run_dir))
    _wait(lambda: "waiter_pid" in (read_json(paths.process) or {})
          and "pid" in (read_json(paths.status) or {}))
    status, process = read_json(paths.status) or {}, read_json(paths.process) or {}
    supervisor = int(status["supervisor_pid"])
    waiter, sim = int(process["waiter_pid"]), int(process["pid"])
    time.sleep(0.4)  # let the supervisor settle into its steady state before sampling
    rss_supervisor, rss_waiter = _rss_mb(supervisor), _rss_mb(waiter)
    killed = time.perf_counter()
    os.kill(supervisor, signal.SIGKILL)
    _wait(lambda: not procs.is_same_process(supervisor, float(status["supervisor_started"])))
    _wait(lambda: lock.is_held(paths.lock))
    adopted = time.perf_counter() - killed
    _wait(lambda: not procs.is_same_process(sim, float(process["pid_started"])))
    ended = time.perf_counter()
    _wait(lambda: svc.manager.get(run.id).status != RunStatus.RUNNING, interval=0.01)
    settled = time.perf_counter() - ended
    done = svc.manager.get(run.id)
    if (done.status, done.exit_code) != (RunStatus.COMPLETED, 0):
        raise SystemExit(f"wrong outcome: {done.status} {done.exit_code} {done.error_message}")
    return adopted, settled, rss_supervisor, rss_waiter


def _orm_rss() -> float:
    out = subprocess.run(
        [sys.executable, "-c", "import sqlalchemy.orm, resource; "
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
        capture_output=True, text=True, check=True).stdout
    return int(out) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ["BENCH_SIM_SECONDS"] = "2"
    with tempfile.TemporaryDirectory() as tmp:
        svc = open_services(Settings.load(overrides={
            "home": Path(tmp), "simulator_command": TIMED}))
        try:
            rounds = [_round(svc) for _ in range(args.rounds)]
        finally:
            svc.close()
    adopted, settled, rss_sup, rss_waiter = (list(x) for x in zip(*rounds, strict=True))
    med = statistics.median
    print(f"rounds: {args.rounds}")
    print(f"kill -9 of the supervisor -> a new supervisor holds the run: "
          f"median {med(adopted):.2f} s (max {max(adopted):.2f} s)")
    print(f"simulator exit -> store says COMPLETED, exit code 0 (no app open): "
          f"median {med(settled):.2f} s (max {max(settled):.2f} s; target < 5 s)")
    print(f"resident memory while RUNNING: supervisor median {med(rss_sup):.1f} MB "
          f"(target < 30 MB), waiter median {med(rss_waiter):.1f} MB")
    print(f"for scale: python with `import sqlalchemy.orm` alone: {_orm_rss():.1f} MB")


if __name__ == "__main__":
    main()
