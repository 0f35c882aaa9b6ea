"""`python -u run_sim.py --config_path P`, as FUSION's 5.5 line runs (a stand-in, written
from what that line does: see kinds/fusion55/): the loader refuses a missing required key
with a traceback and exit 1; the loads are `range(start, stop, step)`; a worker process
runs them, printing its lines (no logger), and writes
`data/output/<network>/<MMDD>/<time>/<erlang>_erlang.json` (tag v5.5.1: under `s1/`);
a worker's exception is printed and the process still exits 0; its SIGTERM handler is
broken (it raises TypeError), as FUSION's is.

Environment knobs: STANDIN55_REVISION (`branch`, the default, or `v5.5.1`: its lines, its
`s1/` level, and a crash that ends the worker), STANDIN_ITER_SECONDS (default 0.05),
STANDIN_CRASH_LOADS (`all` or loads such as `300,600`).
"""

from __future__ import annotations

import argparse
import ast
import configparser
import json
import multiprocessing
import os
import signal
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
V551 = os.environ.get("STANDIN55_REVISION") == "v5.5.1"
REQUIRED: dict[str, tuple[str, ...]] = {
    "general_settings": ("erlang_start", "erlang_stop", "erlang_step", "mod_assumption",
                         "mod_assumption_path", "holding_time", "num_requests", "max_iters",
                         "print_step", "save_step", "request_distribution", "guard_slots"),
    "topology_settings": ("network", "cores_per_link"),
}
BRANCH_REQUIRED: dict[str, tuple[str, ...]] = {"general_settings": ("fragmentation_metrics",),
                   "snr_settings": ("snr_margin",)}
NETWORK_FILES = {"NSFNet": "nsf_network.txt", "USNet": "us_network.txt"}


def load(path: str) -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(path)
    if not parser.has_section("general_settings"):
        raise ValueError("Missing 'general_settings' section in the configuration file.")
    required = dict(REQUIRED)
    if not V551:
        for section, keys in BRANCH_REQUIRED.items():
            required[section] = required.get(section, ()) + keys
    for section, keys in required.items():
        for key in keys:
            if not parser.has_option(section, key):
                raise ValueError(f"Missing '{key}' in the {section} section.")
    for section in ("rl_settings", "ml_settings"):
        if not parser.has_section(section):
            raise KeyError(section)
    flat: dict[str, str] = {}
    for section in parser.sections():
        flat.update(parser[section])
    flat["k_paths"] = parser.get("general_settings", "k_paths", fallback="")  # only there
    for key in ("erlang_start", "erlang_stop", "erlang_step"):
        int(flat[key])  # its parser: ValueError for '50.5'
    return flat


def _broken_handler(stats: object) -> None:
    """FUSION's worker installs a handler that takes too few arguments."""
    def save_stats(self: object) -> None:  # called as handler(signum, frame): TypeError
        del self
    signal.signal(signal.SIGTERM, save_stats)  # type: ignore[arg-type]


def run_load(cfg: dict[str, str], erlang: float, folder: Path, offset: int) -> int:
    iters = int(cfg["max_iters"])
    print_step, save_step = int(cfg["print_step"]), int(cfg["save_step"])
    thread = "s1" if V551 else ""
    print(f"[Engine] thread={thread}, offset={offset}, my_iteration_units={iters}, "
          f"erlang={erlang}")
    crash = os.environ.get("STANDIN_CRASH_LOADS", "")
    if crash == "all" or erlang in {float(x) for x in crash.split(",") if x and crash != "all"}:
        raise IndexError("list index out of range")
    if not cfg.get("k_paths", "").strip():
        raise TypeError("can't multiply sequence by non-int of type 'NoneType'")
    blocking: list[float] = []
    stats: dict[str, object] = {}
    for i in range(iters):
        if i == 0:
            print(f"Simulation started for Erlang: {erlang} simulation number: {thread}.\n")
        time.sleep(float(os.environ.get("STANDIN_ITER_SECONDS", "0.05")))
        load = erlang * int(cfg["cores_per_link"])  # its arrival rate: cores x Erlang
        blocking.append(min(0.9, load / 20000) * (1 + 0.05 * (i % 3)))
        if i == 0 or (i + 1) % print_step == 0 or i + 1 == iters:
            print(f"Iteration {i + 1} out of {iters} completed for Erlang: {erlang}\n")
            print(f"Mean of blocking: {round(statistics.mean(blocking), 4)}\n")
        if i == 0 or (i + 1) % save_step == 0 or i + 1 == iters:
            stats[str(i)] = {"sim_block_list": list(blocking)}
            folder.mkdir(parents=True, exist_ok=True)
            doc = {"iter_stats": stats, "blocking_mean": statistics.mean(blocking)}
            (folder / f"{erlang}_erlang.json").write_text(json.dumps(doc, indent=4))
        print(f"CHILD={thread} iteration={i}, done_units={offset + i + 1}")
    print(f"Simulation finished for Erlang: {erlang} finished for simulation number: "
          f"{thread}.\n")
    return offset + iters


def worker(cfg: dict[str, str], erlangs: list[float], folder: Path) -> None:
    _broken_handler(None)
    offset = 0
    for erlang in erlangs:
        if V551:
            offset = run_load(cfg, erlang, folder, offset)  # an exception ends the worker
            continue
        print(f"[Process s1] Running Erlang: {erlang}...")
        try:
            offset = run_load(cfg, erlang, folder, offset)
        except Exception:
            import traceback

            print("\n!!! CRITICAL ERROR in Process s1 !!!")
            print(f"Failed while running Erlang: {erlang}", flush=True)
            traceback.print_exc()
            sys.stderr.flush()


def main() -> int:
    parser = argparse.ArgumentParser(prog="run_sim.py")
    parser.add_argument("--config_path")
    parser.add_argument("--run_id")
    args = parser.parse_args()
    cfg = load(args.config_path or "ini/run_ini/config.ini")
    network = cfg["network"]
    if not (ROOT / "data" / "raw" / NETWORK_FILES[network]).is_file():
        raise NotImplementedError(f"Unknown network name. Got: {network}")
    start, stop, step = (int(cfg[k]) for k in ("erlang_start", "erlang_stop", "erlang_step"))
    erlangs = [float(e) for e in range(start, stop, step)]
    mix = ast.literal_eval(cfg["request_distribution"])
    n = int(cfg["num_requests"])
    if sum(int(float(share) * n) for share in mix.values()) != n:
        raise ValueError("The number of requests could not be distributed")
    now = datetime.now()
    day, moment = now.strftime("%m%d"), now.strftime("%H_%M_%S_%f")
    folder = ROOT / "data" / "output" / network / day / moment
    if V551:
        print(f"Starting simulation for thread s1 at {day}_{moment}.")
        print(f"Launching simulations for erlangs: {erlangs}")
        folder = folder / "s1"
    else:
        print("Loading network data and generating input files...\n")
        print(f"--- Launching 1 Processes (Timestamp: {moment}) ---")
        print(f"Process s1 target output: output/Unknown/{day}/{moment}")
    process = multiprocessing.get_context("fork").Process(target=worker,
                                                          args=(cfg, erlangs, folder))
    process.start()
    process.join()
    if not V551:
        print("All simulations completed.")
    return 0  # whatever the worker did


if __name__ == "__main__":
    sys.exit(main())
