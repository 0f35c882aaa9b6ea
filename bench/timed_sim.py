"""A simulator stand-in for the trust benchmark: reports a start, sleeps the number of
seconds in BENCH_SIM_SECONDS, writes a result file for each load its config plans (a run
is COMPLETED only with them), reports completion and exits 0."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from fusion_tui.monitor.progress import planned_loads


def main() -> int:
    p = argparse.ArgumentParser()
    for flag in ("--config_path", "--run_id", "--progress_file", "--output_dir"):
        p.add_argument(flag)
    a = p.parse_args()
    with open(a.progress_file, "a") as progress:
        progress.write(json.dumps({"type": "start", "config": {
            "total_erlangs": 1, "total_iterations": 1}}) + "\n")
    time.sleep(float(os.environ.get("BENCH_SIM_SECONDS", "2")))
    for load in planned_loads(Path(a.config_path)) or ():
        Path(a.output_dir, f"{load!r}_erlang.json").write_text('{"blocking_mean": 0.0}\n')
    with open(a.progress_file, "a") as progress:
        progress.write(json.dumps({"type": "complete", "exit_code": 0}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
