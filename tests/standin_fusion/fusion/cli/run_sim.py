"""`python -m fusion.cli.run_sim run_sim --config_path P --run_id ID`, as FUSION 6.1 runs.

Environment knobs for tests: STANDIN_ITER_SECONDS (time per iteration, default 0.05),
STANDIN_BLOCKING (blocking per iteration at every load; default grows with the load),
STANDIN_SAVING_TO (a folder to announce instead of the real one).
Like FUSION 6.1, `[rl_settings] is_training = True` runs every iteration and writes its
blocking statistics as null (the per-iteration lists are still written).
Like FUSION's 5.5 line (its grooming branch): STANDIN_CRASH_LOADS (`all`, or loads such
as `600,900`) makes the worker for those loads crash before it saves anything, printing
`CRITICAL ERROR ...`, and the process still exits 0; STANDIN_EXCLUSIVE_STOP=1 builds the
loads with `range(start, stop, step)`, so the stop load is never run.
Large results: STANDIN_PAD_BYTES appends that many bytes of real data (spaces, so the
JSON stays valid) to each result file; STANDIN_SPARSE_BYTES then extends it with a hole
to that size (0 bytes on disk).
"""

from __future__ import annotations

import argparse
import ast
import configparser
import json
import logging
import math
import os
import signal
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[2]
NETWORK_FILES = {"NSFNet": "nsf_network.txt", "USNet": "us_network.txt"}
REQUIRED_GENERAL = (
    "erlang_start", "erlang_stop", "erlang_step", "mod_assumption", "mod_assumption_path",
    "holding_time", "thread_erlangs", "guard_slots", "num_requests", "max_iters",
    "print_step", "save_step",
)

logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                    format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
log = logging.getLogger("fusion.core.simulation")
runner_log = logging.getLogger("fusion.utils.logging_config")


def _config(path: str) -> dict[str, str]:
    file = Path(path) if os.path.isabs(path) else ROOT / path
    parser = configparser.ConfigParser()
    parser.read(file)
    flat: dict[str, str] = {}
    for section in parser.sections():
        flat.update(parser[section])
    try:
        for key in REQUIRED_GENERAL:
            if not parser.has_option("general_settings", key):
                raise KeyError(f"Missing required option '{key}' in section [general_settings]")
    except KeyError as exc:
        logging.getLogger("fusion.cli.config_setup").error("Configuration error: %s",
                                                           exc.args[0])
        return {}
    return flat


class Engine:
    def __init__(self, cfg: dict[str, str], folder: Path) -> None:
        self.cfg = cfg
        self.folder = folder
        self.erlang = 0.0
        self.blocking: list[float] = []
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.warning("Received signal %d, saving statistics...", signum)
        self.save()
        log.info("Statistics saved due to signal")

    def save(self) -> None:
        if not self.blocking:
            return
        mean = statistics.mean(self.blocking)
        half = 0.0
        if len(self.blocking) > 1:
            half = 1.645 * statistics.stdev(self.blocking) / math.sqrt(len(self.blocking))
        log.info("Saving to: %s", os.environ.get("STANDIN_SAVING_TO", str(self.folder)))
        self.folder.mkdir(parents=True, exist_ok=True)
        training = self.cfg.get("is_training", "False").strip().lower() in ("true", "yes", "1")
        doc = {"blocking_mean": None if training else mean,
               "ci_rate_block": None if training else half,
               "ci_percent_block": None if training else 200 * half / mean if mean else 0.0,
               "bit_rate_blocking_mean": None if training else mean / 2,
               "iter_stats": {str(i): {"sim_block_list": self.blocking[: i + 1],
                                       "sim_br_block_list": [b / 2 for b in self.blocking[: i + 1]]}
                              for i in range(len(self.blocking))}}
        tmp = self.folder / ".tmp.json"
        with open(tmp, "w") as fh:
            fh.write(json.dumps(doc) + " " * int(os.environ.get("STANDIN_PAD_BYTES", "0")))
            fh.truncate(max(fh.tell(), int(os.environ.get("STANDIN_SPARSE_BYTES", "0"))))
        tmp.replace(self.folder / f"{self.erlang}_erlang.json")

    def run(self, erlang: float) -> None:
        self.erlang, self.blocking = erlang, []
        max_iters, print_step = int(self.cfg["max_iters"]), int(self.cfg["print_step"])
        save_step = int(self.cfg["save_step"])
        fixed = os.environ.get("STANDIN_BLOCKING")
        log.info("Simulation started for Erlang: %s simulation number: s1", erlang)
        for i in range(max_iters):
            time.sleep(float(os.environ.get("STANDIN_ITER_SECONDS", "0.05")))
            value = float(fixed) if fixed else min(0.9, erlang / 10000) * (1 + 0.1 * (i % 3))
            self.blocking.append(value)
            stop = False
            training = self.cfg.get("is_training", "False").strip().lower() in ("true", "yes", "1")
            if not training and len(self.blocking) > 1 and statistics.mean(self.blocking) > 0:
                mean = statistics.mean(self.blocking)
                half = 1.645 * statistics.stdev(self.blocking) / math.sqrt(len(self.blocking))
                percent = 200 * half / mean
                if percent <= 5:
                    log.info("Confidence interval of %.2f%% reached. %d, ending for Erlang: %s",
                             percent, i + 1, erlang)
                    stop = True
            if (i + 1) % print_step == 0 or i == 0 or i + 1 == max_iters:
                log.info("Iteration %d out of %d completed for Erlang: %s", i + 1, max_iters,
                         erlang)
                log.info("Mean of blocking: %s", round(statistics.mean(self.blocking), 4))
            if i == 0 or i + 1 == max_iters or (i + 1) % save_step == 0:
                log.info("Saving stats for iteration %d", i)
                self.save()
            runner_log.info("CHILD=s1 iteration=%d, done_units=%d\n", i, i + 1)
            if stop:
                break


def main() -> int:
    parser = argparse.ArgumentParser(prog="fusion-sim")
    parser.add_argument("mode", choices=["run_sim"])
    parser.add_argument("--config_path", required=True)
    parser.add_argument("--run_id")
    parser.add_argument("--progress_file")
    parser.add_argument("--output_dir")
    args = parser.parse_args()
    try:
        cfg = _config(args.config_path)
        if not cfg["mod_assumption"]:  # read first, as FUSION does: KeyError when cfg is {}
            raise ValueError("mod_assumption is empty")
        mods = ROOT / cfg["mod_assumption_path"]
        if not mods.is_file():
            raise FileNotFoundError(f"File not found: {mods}")
        network = cfg["network"]
        if not (ROOT / "data" / "raw" / NETWORK_FILES[network]).is_file():
            raise FileNotFoundError(f"no topology file for {network}")
        start, stop = float(cfg["erlang_start"]), float(cfg["erlang_stop"])
        step = float(cfg["erlang_step"])
        erlangs = []
        exclusive = os.environ.get("STANDIN_EXCLUSIVE_STOP") == "1"
        while start < stop or (start == stop and not exclusive):
            erlangs.append(start)
            start += step
        crash = os.environ.get("STANDIN_CRASH_LOADS", "")
        crashing = {float(x) for x in crash.split(",") if x and crash != "all"}
        mix = ast.literal_eval(cfg["request_distribution"])
        n = int(cfg["num_requests"])
        if sum(int(float(share) * n) for share in mix.values()) != n:
            raise ValueError("The number of requests could not be distributed")
        now = datetime.now()
        folder = (ROOT / "data" / "output" / network / now.strftime("%m%d")
                  / now.strftime("%H_%M_%S_%f") / "s1")
        engine = Engine(cfg, folder)
        for index, erlang in enumerate(erlangs):
            runner_log.info("Starting simulation for %s Erlang (load %d/%d)", erlang, index + 1,
                            len(erlangs))
            began = time.time()
            if crash == "all" or erlang in crashing:
                print(f"CRITICAL ERROR in child process for Erlang {erlang}: "
                      "IndexError: list index out of range", flush=True)
                continue
            engine.run(erlang)
            runner_log.info("Simulation finished for Erlang: %s finished for simulation "
                            "number: s1.\n", erlang)
            runner_log.info("Completed %s Erlang in %.2f seconds", erlang, time.time() - began)
        runner_log.info("BATCH SIMULATION SUMMARY")
    except Exception as exc:
        logging.getLogger("__main__").error("Simulation error: %s", exc, exc_info=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
