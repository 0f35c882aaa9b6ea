"""Built-in simulator against the real FUSION 6.1: wall time and peak memory of the
whole process (its children included), one core each, on the same configuration.

    FUSION_HOME=~/FUSION python bench/fusion_speed.py [--runs 5] [--fusion-runs 3]

Configurations (the `fusion` template with): NSFNet, loads 300 and 600 Erlang,
3 iterations x 20,000 requests, k = 1, 3 cores x 320 slots;
  plain       max_segments = 1, pre_calc_mod_selection = True
  sliced      max_segments = 4, pre_calc_mod_selection = False (slicing, fallback formats)
Every iteration runs in both (FUSION: is_training = True; ours: early_stop = False), so
both do the same work. Each command runs under `taskset -c 0`; memory is the peak of the
summed RSS of the process and its descendants, sampled every 20 ms. Prints the median of
each, and the ratios FUSION / built-in (the issue asks for >= 150x in time and >= 20x in
memory). Without FUSION_HOME it measures only the built-in and says why.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from fusion_ini import write_ini

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "plain": {"general_settings.max_segments": "1",
              "general_settings.pre_calc_mod_selection": "True"},
    "sliced": {"general_settings.max_segments": "4",
               "general_settings.pre_calc_mod_selection": "False"},
}
COMMON = {"general_settings.erlang_start": "300", "general_settings.erlang_stop": "600",
          "general_settings.erlang_step": "300", "general_settings.max_iters": "3",
          "general_settings.num_requests": "20000", "routing_settings.k_paths": "1",
          "topology_settings.cores_per_link": "3", "spectrum_settings.c_band": "320",
          "general_settings.save_step": "3", "general_settings.print_step": "1"}


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak MiB of the whole process tree)."""
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    began = time.monotonic()
    proc = subprocess.Popen([*pin, *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        total = 0
        with contextlib.suppress(psutil.Error):
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
        peak = max(peak, total)
        time.sleep(0.02)
    wall = time.monotonic() - began
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:4]} exited with {proc.returncode}")
    return wall, peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of the built-in")
    parser.add_argument("--fusion-runs", type=int, default=3, help="runs of FUSION")
    args = parser.parse_args()
    home_env = os.environ.get("FUSION_HOME")
    home = Path(home_env).expanduser() if home_env else None
    python = os.environ.get("FUSION_PYTHON") or (str(home / "venv" / "bin" / "python")
                                                 if home else "")
    if home is None:
        print("FUSION_HOME is not set: measuring the built-in only (no ratios)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, changes in CONFIGS.items():
            theirs_ini, ours_ini = Path(tmp) / f"{name}.ini", Path(tmp) / f"{name}-ours.ini"
            write_ini(theirs_ini, {**COMMON, **changes, "rl_settings.is_training": "True"})
            write_ini(ours_ini, {**COMMON, **changes, "rl_settings.is_training": "False",
                                    "builtin_settings.early_stop": "False"})
            ours = [measure([sys.executable, "-m", "fusion_tui.sim", "--config_path",
                             str(ours_ini), "--run_id", "speed", "--progress_file",
                             str(Path(tmp) / "p.jsonl"), "--output_dir",
                             str(Path(tmp) / f"out-{name}-{i}"), "--workers", "1"],
                            ROOT, dict(os.environ)) for i in range(args.runs)]
            o_wall = statistics.median(w for w, _ in ours)
            o_mem = statistics.median(m for _, m in ours)
            line = f"{name:<7} built-in {o_wall:6.2f} s {o_mem:6.1f} MiB (median of {args.runs})"
            if home is not None:
                theirs = [measure([python, "-m", "fusion.cli.run_sim", "run_sim",
                                   "--config_path", str(theirs_ini), "--run_id", "speed"],
                                  home, dict(os.environ)) for _ in range(args.fusion_runs)]
                f_wall = statistics.median(w for w, _ in theirs)
                f_mem = statistics.median(m for _, m in theirs)
                line += (f" | FUSION {f_wall:7.1f} s {f_mem:6.0f} MiB (median of "
                         f"{args.fusion_runs}) | time x{f_wall / o_wall:.0f}, "
                         f"memory x{f_mem / o_mem:.0f}")
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
