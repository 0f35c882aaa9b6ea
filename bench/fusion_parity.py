"""Does the built-in simulator give FUSION's numbers? Runs the real FUSION 6.1 and
`fusion-tui-sim` on the same INI files and compares request blocking and bit-rate
blocking at every load.

    FUSION_HOME=~/FUSION python bench/fusion_parity.py [--only NAME ...] [--markdown]
    python bench/fusion_parity.py --builtin-only [--only NAME ...]

FUSION_HOME is a FUSION checkout with its venv (`$FUSION_HOME/venv/bin/python`, or set
FUSION_PYTHON). Without it the script says so and exits 0: CI cannot download FUSION.
`--builtin-only` runs only the built-in side (our configurations; the fixtures' too when
FUSION_HOME is set) and prints its numbers: the script's own check that its configurations
run, without FUSION.

Configurations: FUSION's two baseline fixtures (read from the checkout at run time,
`tests/fixtures/expected_results/baseline_{kspf,spf}_ff/`, as they are: 4 iterations),
and eight of ours (NSFNet and USNet; k = 1..3; 1 and 3
cores; slicing on and off; fallback formats on and off; 64-128 slots so that congestion,
not distance, dominates; 500-request iterations; and USNet with `max_segments = 2`,
k = 3, 256 slots, fallback formats and 30% of the requests at 400 Gb/s, where FUSION 6.1
counts requests sliced after a failed try as bit-rate blocked). First fit throughout:
FUSION 6.1's best_fit and last_fit crash on their first iteration. The same INI goes to
both, and both run every iteration (`rl_settings.is_training = True`, FUSION's only way
to turn its early stop off, means the same to the built-in; the per-iteration values are
in `iter_stats`), so each interval rests on the same number of iterations: 10 per load
(30 where blocking near 1% needs them, 40 for 500-request iterations), so that where
blocking is above 1% both intervals are narrower than 10% of
the mean; the table flags any that is not ("wide"), and such a load counts as failed.

Each metric (request blocking from each result file's `sim_block_list`, bit-rate
blocking from its `sim_br_block_list`) passes at a load when the two 95% intervals of its
mean (Student's t over the iterations) overlap, or the means differ by less than 5% of
FUSION's, and neither interval is too wide (above). The table prints per load and metric:
FUSION's mean and interval, ours, the relative difference and the verdict; the exit
status is 1 if any fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from fusion_ini import write_ini  # noqa: E402

from fusion_tui.monitor.progress import planned_loads  # noqa: E402
from fusion_tui.runs.evidence import load_list  # noqa: E402
from fusion_tui.sim.stats import t95  # noqa: E402

MIX = '{"25": 0.1, "50": 0.1, "100": 0.5, "200": 0.2, "400": 0.1}'
BASE = "fusion"  # our complete FUSION template: every key FUSION requires

def ours(k: int, cores: int, slots: int, segments: int, fallback: bool, requests: int,
         loads: tuple[int, int, int], **extra: str) -> tuple[str, dict[str, str]]:
    """One of our configurations: the fusion template with these settings."""
    g = "general_settings."
    return BASE, {
        "routing_settings.k_paths": str(k), "topology_settings.cores_per_link": str(cores),
        "spectrum_settings.c_band": str(slots), g + "max_segments": str(segments),
        g + "pre_calc_mod_selection": str(not fallback), g + "num_requests": str(requests),
        g + "erlang_start": str(loads[0]), g + "erlang_stop": str(loads[1]),
        g + "erlang_step": str(loads[2]), **{key.replace("__", "."): v for key, v in extra.items()},
    }


# name -> (base: "fusion" or a fixture folder, overrides section.key -> value)
CONFIGS: dict[str, tuple[str, dict[str, str]]] = {
    "fixture kspf_ff": ("baseline_kspf_ff", {"general_settings.max_iters": "4"}),
    "fixture spf_ff": ("baseline_spf_ff", {"general_settings.max_iters": "4"}),
    "k1 1core 128 fallback": ours(1, 1, 128, 1, True, 2000, (100, 200, 100)),
    "k2 1core 64 slicing": ours(2, 1, 64, 4, False, 2000, (50, 100, 50)),
    "k3 3cores 128": ours(3, 3, 128, 1, False, 3000, (300, 500, 200)),
    "k3 3cores 96 slicing+fallback": ours(3, 3, 96, 4, True, 3000, (200, 400, 200),
                                          general_settings__max_iters="30"),
    "k2 1core 96 short": ours(2, 1, 96, 2, True, 500, (60, 120, 60),
                              general_settings__max_iters="40"),
    "k1 1core 64 nomix": ours(1, 1, 64, 1, False, 2000, (40, 80, 40),
                              general_settings__request_distribution=(
                                  '{"25": 0.0, "50": 0.3, "100": 0.5, "200": 0.2, "400": 0.0}')),
    "USNet k2 1core 128 slicing": ours(2, 1, 128, 4, True, 2000, (150, 250, 100),
                                       topology_settings__network="USNet"),
    "USNet k3 1core 256 slicing2+fallback 400G": ours(
        3, 1, 256, 2, True, 2000, (400, 800, 400), topology_settings__network="USNet",
        general_settings__request_distribution=(
            '{"25": 0.1, "50": 0.1, "100": 0.3, "200": 0.2, "400": 0.3}')),
}
# metric -> the per-iteration list in a result file's iter_stats
METRICS = {"blocking": "sim_block_list", "bit-rate": "sim_br_block_list"}
Points = dict[float, dict[str, list[float]]]  # Erlang -> metric -> per-iteration values
# The same INI goes to both: `is_training = True` runs every iteration in both.
COMMON = {"general_settings.max_iters": "10", "general_settings.save_step": "1",
          "general_settings.print_step": "1", "general_settings.request_distribution": MIX,
          "rl_settings.is_training": "True"}


def write_config(home: Path, base: str, overrides: dict[str, str], path: Path) -> None:
    changes = {**COMMON, **overrides}
    if base == BASE:
        write_ini(path, changes)
        return
    changes.pop("general_settings.request_distribution", None)  # the fixture's own mix
    folder = home / "tests" / "fixtures" / "expected_results" / base
    write_ini(path, {**changes, **overrides}, next(folder.glob("*_config.ini")))


def interval(values: list[float]) -> tuple[float, float, float]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, mean, mean
    half = t95(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, max(0.0, mean - half), mean + half


def points(folder: Path) -> Points:
    """Per load and metric, the per-iteration values (the longest list: FUSION's grows)."""
    out: Points = {}
    for path in folder.glob("*_erlang.json"):
        data = json.loads(path.read_text())
        per_metric: dict[str, list[float]] = {}
        for metric, key in METRICS.items():
            lists = [v.get(key) for v in data["iter_stats"].values()]
            per_metric[metric] = max((x for x in lists if x), key=len, default=[])
        out[float(path.name.split("_")[0])] = per_metric
    return out


def verdict(theirs: list[float], ours: list[float]) -> tuple[bool, bool, float]:
    """(passes, an interval is too wide, relative difference in %) for one metric."""
    f_mean, f_low, f_high = interval(theirs)
    o_mean, o_low, o_high = interval(ours or [math.nan])
    overlap = o_low <= f_high and f_low <= o_high
    close = abs(o_mean - f_mean) <= 0.05 * f_mean or (f_mean == o_mean == 0)
    wide = any(mean > 0.01 and (high - low) / 2 >= 0.1 * mean for mean, low, high
               in ((f_mean, f_low, f_high), (o_mean, o_low, o_high)))
    diff = (o_mean - f_mean) / f_mean * 100 if f_mean else 0.0
    return (overlap or close) and not wide, wide, diff


def shown(values: list[float]) -> str:
    mean, low, high = interval(values or [math.nan])
    return f"{mean:.4f} [{low:.4f}, {high:.4f}] ({len(values)})"


def run_fusion(home: Path, python: str, config: Path) -> tuple[Points, float]:
    before = set((home / "data" / "output").rglob("*_erlang.json"))
    began = time.monotonic()
    done = subprocess.run([python, "-m", "fusion.cli.run_sim", "run_sim", "--config_path",
                           str(config), "--run_id", "parity"], cwd=home, capture_output=True,
                          text=True, check=False)
    elapsed = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"FUSION failed on {config}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    new = set((home / "data" / "output").rglob("*_erlang.json")) - before
    if not new:
        raise SystemExit(f"FUSION wrote no result files for {config}")
    theirs = points(next(iter(new)).parent)
    # An exit status of 0 is not enough (FUSION's 5.5 line exits 0 when a worker
    # crashes): a load without its result would silently drop out of the comparison.
    missing = [load for load in planned_loads(config) or [] if load not in theirs]
    if missing:
        raise SystemExit(f"FUSION exited 0 but wrote no results for loads {load_list(missing)} "
                         f"of {config}")
    return theirs, elapsed


def run_builtin(home: Path | None, config: Path, out: Path) -> tuple[Points, float]:
    env = {**os.environ, **({"FUSION_TUI_FUSION_HOME": str(home)} if home else {})}
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
                    "--run_id", "parity", "--progress_file", str(out / "p.jsonl"),
                    "--output_dir", str(out), "--workers", "1"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return points(out), time.monotonic() - began


def builtin_only(home: Path | None, only: list[str] | None) -> int:
    """Our side of every configuration, printed: the script's own check without FUSION."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, (base, overrides) in CONFIGS.items():
            if only and name not in only:
                continue
            if base != BASE and home is None:
                print(f"# {name}: skipped (a FUSION fixture: set FUSION_HOME to read it)")
                continue
            stem = name.replace(" ", "_").replace("+", "_")
            config = Path(tmp) / f"{stem}-ours.ini"
            write_config(home or Path("."), base, overrides, config)
            ours, seconds = run_builtin(home, config, Path(tmp) / f"{stem}-ours")
            print(f"# {name}: built-in {seconds:.2f} s", flush=True)
            for erlang in sorted(ours):
                print("  ".join([f"{erlang:>8g}", *(f"{metric} {shown(ours[erlang][metric])}"
                                                    for metric in METRICS)]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", help="run only this configuration")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--builtin-only", action="store_true",
                        help="run only the built-in side and print its numbers")
    args = parser.parse_args()
    home_env = os.environ.get("FUSION_HOME")
    if args.builtin_only:
        return builtin_only(Path(home_env).expanduser() if home_env else None, args.only)
    if not home_env:
        print("skipped: set FUSION_HOME to a FUSION 6.1 checkout with its venv to compare "
              "against the real FUSION")
        return 0
    home = Path(home_env).expanduser()
    python = os.environ.get("FUSION_PYTHON") or str(home / "venv" / "bin" / "python")
    failures = 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (base, overrides) in CONFIGS.items():
            if args.only and name not in args.only:
                continue
            stem = name.replace(" ", "_").replace("+", "_")
            config = Path(tmp) / f"{stem}.ini"
            write_config(home, base, overrides, config)
            theirs, fusion_s = run_fusion(home, python, config)
            ours, ours_s = run_builtin(home, config, Path(tmp) / f"{stem}-ours")
            for erlang in sorted(theirs):
                for metric in METRICS:
                    f_values = theirs[erlang][metric]
                    o_values = ours.get(erlang, {}).get(metric, [])
                    ok, wide, diff = verdict(f_values, o_values)
                    failures += not ok
                    rows.append((name, f"{erlang:g}", metric, shown(f_values),
                                 shown(o_values), f"{diff:+.1f}%",
                                 "ok" if ok else ("wide" if wide else "DIFFERS")))
            print(f"# {name}: FUSION {fusion_s:.1f} s, built-in {ours_s:.2f} s", flush=True)
    head = ("configuration", "Erlang", "metric", "FUSION mean [95% CI] (n)",
            "built-in mean [95% CI] (n)", "diff", "verdict")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
    else:
        for cells in [head, *rows]:
            print("  ".join(f"{c:<28}" if i in (0, 3, 4) else f"{c:<8}"
                            for i, c in enumerate(cells)))
    print(f"{len(rows) - failures} of {len(rows)} comparisons (load x metric) agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
