"""How fresh `fusion-tui show` is for a running run (issue 21; target: the progress it
shows is no older than 2 s): prints medians and maxima; asserts nothing.

    .venv/bin/python bench/bench_show_fresh.py [--samples 30]

A real run of the built-in simulator (the `minimal` template, one load, many short
iterations, its early stop off) in a fresh HOME on SQLite; while it runs, `fusion-tui
show ID --json` is called again and again (a whole command each time, start-up
included). For each call, the progress it shows (`live`: load and iteration) is found
in the run's `progress.jsonl`, and its time there (`ts`, written by the simulator as it
finished that iteration) is set against:

- **behind the file**: the time of the newest event the file held when the call
  started, minus that of the event shown (0: `show` showed what the file said);
- **age at answer**: when the command returned, minus the time of the event shown (what
  the user sees is this old; it includes the command's own run time);

beside the baseline measured in the same run: the age of what a direct read of the
file finds right after each call (the floor for any reader: up to one gap between the
simulator's events), those gaps, and the command's wall time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SETS = ["general_settings.erlang_stop=300", "general_settings.max_iters=100000",
        "general_settings.num_requests=2000", "builtin_settings.early_stop=False"]


def _events(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line being written
        if isinstance(event, dict) and event.get("type") == "iteration":
            out.append(event)
    return out


def _ts(event: dict[str, Any]) -> float:
    return datetime.strptime(event["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC).timestamp()


def _run(script: Path, env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([str(script), *args, "--json"], env=env, cwd=env["HOME"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _summary(name: str, values: list[float]) -> str:
    return (f"{name:<22} median {statistics.median(values):6.3f} s   max {max(values):6.3f} s"
            f"   (n = {len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    opts = parser.parse_args()
    script = Path(sys.executable).parent / "fusion-tui"
    with tempfile.TemporaryDirectory(prefix="ft-bench-show-") as folder:
        home = Path(folder)
        env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "LANG": "C.UTF-8", "FUSION_TUI_HOME": str(home / "data"),
               "FUSION_TUI_CONFIG": "none"}
        run = _run(script, env, "new", "-t", "minimal", *(a for s in SETS for a in ("--set", s)))
        progress = Path(run["run_dir"]) / "progress.jsonl"
        behind: list[float] = []
        ages: list[float] = []
        walls: list[float] = []
        direct: list[float] = []
        try:
            while not progress.exists() or len(_events(progress)) < 5:
                time.sleep(0.1)
            while len(ages) < opts.samples:
                newest = _events(progress)[-1]
                start = time.time()
                shown = _run(script, env, "show", run["id"])
                end = time.time()
                direct.append(time.time() - _ts(_events(progress)[-1]))
                live = shown.get("live")
                if shown["status"] != "RUNNING" or not live:
                    sys.exit(f"the run is {shown['status']}: make it longer (SETS)")
                key = (live["current_erlang"], live["current_iteration"])
                matches = [e for e in _events(progress)
                           if (float(e["erlang"]), e["iteration"]) == key]
                if not matches:
                    sys.exit(f"show reported {key}, which the progress file does not hold")
                at = _ts(matches[-1])
                behind.append(max(0.0, _ts(newest) - at))
                ages.append(end - at)
                walls.append(end - start)
        finally:
            subprocess.run([str(script), "cancel", run["id"]], env=env, cwd=env["HOME"],
                           capture_output=True, check=False)
            subprocess.run([str(script), "wait", run["id"], "--timeout", "30"], env=env,
                           cwd=env["HOME"], capture_output=True, check=False)
        stamps = [_ts(e) for e in _events(progress)]
        gaps = [b - a for a, b in itertools.pairwise(stamps) if b >= a]
    print(f"fusion-tui show of a running run of the built-in simulator "
          f"({len(stamps)} iterations written), {len(ages)} calls")
    print(_summary("behind the file", behind))
    print(_summary("age at answer", ages))
    print(_summary("direct read's age", direct))
    print(_summary("gap between events", gaps))
    print(_summary("show's wall time", walls))
    print(f"age at answer: {statistics.median(ages) - statistics.median(direct):+.3f} s "
          f"(median) beyond a direct read of the file; target: under 2 s in all")


if __name__ == "__main__":
    main()
