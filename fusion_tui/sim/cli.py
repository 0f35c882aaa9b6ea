"""`fusion-tui-sim`: FUSION's command line for the built-in simulator.

    fusion-tui-sim --config_path C --run_id ID --progress_file P --output_dir O
                   [--seed S] [--workers N] [--check_invariants]

Exit 0 on success, 2 for a bad configuration (one line naming section and key), 1 for
an internal error or a worker process that died (an `error` progress event naming the
cause, the traceback in the log), 143 on SIGTERM and 130 on SIGINT (finished iterations
kept, final `error` event `cancelled`), within a second whatever it was doing: past that,
a watchdog ends the process regardless.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from fusion_tui.base.errors import ConfigError
from fusion_tui.sim.config import load_config
from fusion_tui.sim.reporting import Progress, make_logger
from fusion_tui.sim.runner import Interrupted, SimulationRun, WorkerDied

EXIT_CONFIG = 2
EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"fusion-tui-sim: {message}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="fusion-tui-sim", description="Built-in FUSION-compatible EON simulator")
    p.add_argument("--config_path", required=True, help="INI configuration")
    p.add_argument("--run_id", default="", help="label of this run")
    p.add_argument("--progress_file", help="append progress events (JSON lines) here")
    p.add_argument("--output_dir", default="output", help="where result files go")
    p.add_argument("--seed", type=int, help="random seed (overrides [builtin_settings] seed)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="processes to spread iterations over (default: CPU count)")
    p.add_argument("--check_invariants", action="store_true",
                   help="debug: verify the spectrum bookkeeping after every event")
    return p


STOP_WITHIN = 0.8
# The signal that stopped us, kept: its Interrupted can be swallowed where Python ignores
# exceptions (a fork hook: the pool forking a worker as the signal lands).
_SIGNALLED: list[int] = []


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    _SIGNALLED.append(signum)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watchdog = threading.Timer(STOP_WITHIN, os._exit, (128 + signum,))
    watchdog.daemon = True
    watchdog.start()
    raise Interrupted(signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.workers < 1:
        print("fusion-tui-sim: --workers must be at least 1", file=sys.stderr)
        return EXIT_CONFIG
    log = make_logger()
    try:
        progress = Progress(Path(args.progress_file) if args.progress_file else None)
    except OSError as exc:
        print(f"fusion-tui-sim: --progress_file: cannot open it: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        code = _simulate(args, progress, log)
        if _SIGNALLED:
            raise Interrupted(_SIGNALLED[0])
        return code
    except Interrupted as exc:
        # Outermost, so a signal that lands while another error is handled ends here too.
        log.warning("Received %s: stopping; results of finished iterations are kept", exc)
        progress.emit("error", message="cancelled")
        progress.close()
        sys.stdout.flush()
        # Skip interpreter shutdown: joining a pool's threads could outlast the deadline.
        os._exit(128 + exc.signum)
    finally:
        progress.close()


def _simulate(args: argparse.Namespace, progress: Progress, log: logging.Logger) -> int:
    began = time.monotonic()
    try:
        try:
            config = load_config(Path(args.config_path), seed=args.seed,
                                 check_invariants=args.check_invariants)
        except ConfigError as exc:
            print(f"fusion-tui-sim: {exc}", file=sys.stderr)
            progress.emit("error", message=str(exc))
            return EXIT_CONFIG
        if config.ignored_keys:
            log.warning("Not used by the built-in simulator: %s", ", ".join(config.ignored_keys))
        run = SimulationRun(config, workers=args.workers, output_dir=Path(args.output_dir),
                            progress=progress, log=log)
        run.execute()
        elapsed = time.monotonic() - began
        rate = run.requests_simulated / elapsed if elapsed > 0 else 0.0
        log.info("BATCH SIMULATION SUMMARY")
        for point in run.points:
            log.info("Erlang %s: blocking %.6g over %d iterations", float(point.erlang),
                     point.mean, point.iterations)
        log.info("Simulated %d requests in %.2f s (%.0f requests/s)", run.requests_simulated,
                 elapsed, rate)
        progress.emit("complete", exit_code=0, summary={
            "total_time_seconds": round(elapsed, 3), "requests": run.requests_simulated,
            "requests_per_second": round(rate, 1)})
        return 0
    except WorkerDied as exc:
        if exc.by_signal in (signal.SIGTERM, signal.SIGINT):
            # A signal to the whole group reaches us too: let it, so this is a cancel.
            time.sleep(0.3)
            if _SIGNALLED:
                raise Interrupted(_SIGNALLED[0]) from None
        log.error("Simulation error: %s; results of finished iterations are kept", exc)
        progress.emit("error", message=str(exc))
        return EXIT_INTERNAL
    except Exception as exc:
        log.error("Simulation error: %s", exc, exc_info=True)
        progress.emit("error", message=str(exc), traceback=traceback.format_exc())
        return EXIT_INTERNAL


