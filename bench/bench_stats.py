"""Common random numbers, measured (built-in simulator, real runs, SQLite, local executor):

    .venv/bin/python bench/bench_stats.py [--seeds 5] [--requests 600] [--rounds 5]
        [--axis routing_settings.k_paths=1,3]

A sweep of two allocation methods (first_fit, best_fit; or the two values of `--axis`) x
`--seeds` seeds on NSFNet with a small C band (48 slots, 50/100 Gb/s requests, 3 paths
unless the axis is k_paths), so that blocking is congestion; loads 100-500 Erlang. Both
values of one seed run on the same traffic. Printed per load: the 95% interval width of
the difference (first value - second) paired over seeds (what `compare` uses when the
seeds match) and Welch's on the same runs, their ratio (Welch / paired: how many times
narrower pairing makes it), and both p-values. Then the time of `compare` on that sweep
in-process (paired tests), median of `--rounds`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fusion_tui.base.numbers import p_value_text
from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.comparison.compare import compare, group_sample, load_runs
from fusion_tui.comparison.stats import Difference, welch_difference
from fusion_tui.services import open_services
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.grid import Grid, parse_axis

AXIS = "general_settings.allocation_method=first_fit,best_fit"
OVERRIDES = ["spectrum_settings.c_band=48",
             'general_settings.request_distribution={"50": 0.5, "100": 0.5}',
             "general_settings.erlang_start=100", "general_settings.erlang_stop=500",
             "general_settings.erlang_step=100", "general_settings.max_iters=4"]


def width(d: Difference) -> float | None:
    return None if d.low is None or d.high is None else d.high - d.low


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--axis", default=AXIS, help="KEY=A,B: what the two groups differ in")
    args = parser.parse_args()
    axis = parse_axis(args.axis)
    if len(axis.values) != 2:
        parser.error("--axis: expected two values")
    key = axis.key
    paths = [] if key == "routing_settings.k_paths" else ["routing_settings.k_paths=3"]
    with tempfile.TemporaryDirectory(prefix="ft-bench-stats-") as folder:
        root = Path(folder)
        settings = Settings.load(env={"HOME": str(root)}, overrides={
            "home": root / "home", "simulator_command": DEFAULT_BUILTIN_COMMAND},
            config="none")
        svc = open_services(settings)
        try:
            svc.store.set_queue(max_concurrent=2)
            grid = Grid((axis,), tuple(range(1, args.seeds + 1)))
            start = time.perf_counter()
            detail = svc.sweeps.create("minimal", grid, name="crn bench", overrides=[
                *OVERRIDES, *paths, f"general_settings.num_requests={args.requests}"])
            for run in detail.runs:
                done = svc.manager.wait(run.id, timeout=600)
                if done.status != RunStatus.COMPLETED:
                    print(f"run {run.id} ended {done.status}", file=sys.stderr)
                    return 1
            print(f"sweep: {args.axis} x {args.seeds} seeds, {len(detail.runs)} runs, "
                  f"{args.requests} requests x 4 iterations a load, made and run in "
                  f"{time.perf_counter() - start:.1f} s")
            data = load_runs(svc.sweeps.store.runs(detail.sweep.id))
            result = compare(data, keys=[key])
            first, best = result.groups
            print(f"difference: {first.label} - {best.label}")
            print()
            print(f"{'ERLANG':>6}  {'DIFFERENCE':>10}  {'PAIRED WIDTH':>12}  "
                  f"{'WELCH WIDTH':>11}  {'WELCH/PAIRED':>12}  {'P PAIRED':>8}  "
                  f"{'P WELCH':>7}  TEST USED")
            ratios = []
            for test in result.tests:
                welch = welch_difference(group_sample(first, test.erlang, "blocking")[0],
                                         group_sample(best, test.erlang, "blocking")[0])
                on_pairs, apart = width(test.result), width(welch)
                ratio = apart / on_pairs if on_pairs and apart else None
                if ratio is not None:
                    ratios.append(ratio)
                print(f"{test.erlang:>6g}  {test.difference:>10.5f}  "
                      f"{'-' if on_pairs is None else f'{on_pairs:.5f}':>12}  "
                      f"{'-' if apart is None else f'{apart:.5f}':>11}  "
                      f"{'-' if ratio is None else f'{ratio:.1f}x':>12}  "
                      f"{p_value_text(test.p_value):>8}  {p_value_text(welch.p_value):>7}  "
                      f"{test.pairing}")
            if ratios:
                print(f"\nWelch's interval is {statistics.median(ratios):.1f}x the paired one "
                      f"(median over loads; {min(ratios):.1f}x-{max(ratios):.1f}x)")
            times = []
            for _ in range(args.rounds):
                begin = time.perf_counter()
                compare(load_runs(svc.sweeps.store.runs(detail.sweep.id)), keys=[key])
                times.append(time.perf_counter() - begin)
            print(f"compare (load + paired tests) in-process: median "
                  f"{statistics.median(times) * 1000:.1f} ms over {args.rounds} rounds")
        finally:
            svc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
