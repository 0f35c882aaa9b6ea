"""`fusion-tui report` benchmark (SQLite store):

    .venv/bin/python bench/bench_report.py [--rounds 3]

A sweep of 1,000 runs (2 allocation methods x 5 k_paths x 100 seeds: 10 groups) with
10 loads each, made by the real sweep manager (frozen configs, hashes) and finished
without simulating: each run's summary.csv written by the built-in simulator's own
result writer, each run marked COMPLETED through the store (`tests/finished_sweeps.py`).
Then, as whole commands, median of `--rounds`:

- `fusion-tui report S -o DIR` with figures (PDF, SVG, and PGF when pdflatex is here).
  Target: under 5 s.
- `fusion-tui report S -o DIR --no-figures` (tables, appendix, bundle). Target: under 1 s.
- `fusion-tui compare S --json` on the same sweep, the baseline both are measured against
  (start-up, reading 1,000 runs' results, the statistics).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from finished_sweeps import finished_sweep

from fusion_tui.base.settings import Settings
from fusion_tui.services import open_services
from fusion_tui.sweeps.grid import Grid, parse_axis

LOADS = [100.0 * (i + 1) for i in range(10)]


def _level(point: dict[str, str], erlang: float) -> float:
    k = int(point["routing_settings.k_paths"])
    fit = 1.15 if point["general_settings.allocation_method"] == "best_fit" else 1.0
    growth: float = (erlang / 100) ** 1.5
    return 0.0005 * growth / k * fit


def _command(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "fusion_tui", *args], env=env,
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"fusion-tui {' '.join(args)} failed: {out.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ft-bench-report-") as folder:
        root = Path(folder)
        settings = Settings.load(env={"HOME": str(root)}, overrides={"home": root / "home"},
                                 config="none")
        svc = open_services(settings)
        grid = Grid((parse_axis("general_settings.allocation_method=first_fit,best_fit"),
                     parse_axis("routing_settings.k_paths=1,2,3,4,5")), tuple(range(100)))
        start = time.perf_counter()
        detail = finished_sweep(svc, grid, LOADS, _level, name="bench", iterations=10)
        made = time.perf_counter() - start
        svc.close()
        assert len(detail.runs) == 1000
        sweep_id = detail.sweep.id
        env = {**os.environ, **settings.to_env()}
        print(f"sweep of {len(detail.runs)} finished runs x {len(LOADS)} loads made in "
              f"{made:.1f} s (setup, not measured)")
        times: dict[str, list[float]] = {"figures": [], "no-figures": [], "compare": []}
        for n in range(args.rounds):
            out = root / f"paper-{n}"
            times["compare"].append(_command(env, "compare", sweep_id, "--json"))
            times["figures"].append(_command(env, "report", sweep_id, "-o", str(out)))
            shutil.rmtree(out)
            times["no-figures"].append(_command(env, "report", sweep_id, "-o", str(out),
                                                "--no-figures"))
            shutil.rmtree(out)
        base = statistics.median(times["compare"])
        for name, target in (("figures", 5.0), ("no-figures", 1.0), ("compare", None)):
            median = statistics.median(times[name])
            rounds = ", ".join(f"{t:.2f}" for t in times[name])
            verdict = "" if target is None else (
                f"  target < {target:g} s: {'met' if median < target else 'NOT met'}")
            print(f"{'report' if name != 'compare' else 'compare --json'}"
                  f"{' --' + name if name == 'no-figures' else ''}"
                  f"{' (with figures)' if name == 'figures' else ''}: median {median:.2f} s "
                  f"({rounds}); {median / base:.2f}x compare{verdict}")
        print(f"pdflatex here (PGF figure drawn): {shutil.which('pdflatex') is not None}")


if __name__ == "__main__":
    main()
