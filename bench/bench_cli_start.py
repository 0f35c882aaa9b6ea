"""CLI start-up benchmark (issue 19): prints medians; asserts nothing.

    .venv/bin/python bench/bench_cli_start.py [--rounds 10] [--baseline DIR]

The wall time of whole `fusion-tui` commands (the console script next to this Python,
spawned until it exits; stdout and stderr thrown away), and the CPU time (user + system)
the command used, which other processes on a busy machine disturb less; in a fresh HOME
with no settings file, median of `--rounds` each:

- `--help` (argparse only);
- `runs` on an empty SQLite store (the store is made by one untimed call first, so the
  timed calls open it, reconcile and list: SQLAlchemy is imported);
- light commands that never open the store: `templates`, `config`, `doctor` (no FUSION
  checkout set, so it fails its first check at once and exits 1) and `keys` (imports the
  app's screens, so Textual).

With `--baseline DIR` (a checkout of older code, e.g. `git archive 0dc2716 | tar -x -C
DIR`), every command also runs with DIR first on PYTHONPATH, so that code is the one
imported; the two alternate call by call, so that load from other processes on the
machine falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = [["--help"], ["runs"], ["templates"], ["config"], ["doctor"], ["keys"]]


def _env(home: Path, code: Path | None) -> dict[str, str]:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LANG": "C.UTF-8", "FUSION_TUI_HOME": str(home / "data"),
           "FUSION_TUI_CONFIG": "none"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _once(script: Path, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one command."""
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run([str(script), *args], env=env, cwd=env["HOME"], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, _cpu() - cpu


def _check_code(script: Path, env: dict[str, str], expected: Path) -> None:
    """The baseline run really imports the baseline's code (not this checkout's)."""
    code = "import fusion_tui, sys; print(fusion_tui.__file__)"
    python = script.parent / "python"
    where = subprocess.run([str(python), "-c", code], env=env, cwd=env["HOME"],
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(expected.resolve()):
        sys.exit(f"the baseline imports {where}, not code under {expected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="older code to time alongside (its folder holding fusion_tui/)")
    opts = parser.parse_args()
    script = Path(sys.executable).parent / "fusion-tui"
    versions: dict[str, Path | None] = {"this": None}
    if opts.baseline is not None:
        versions = {"baseline": opts.baseline, **versions}
    with tempfile.TemporaryDirectory(prefix="ft-bench-cli-") as folder:
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        envs = {}
        for label, code in versions.items():
            home = Path(folder) / label
            home.mkdir()
            envs[label] = _env(home, code)
            if code is not None:
                _check_code(script, envs[label], code)
            for args in COMMANDS:  # the store made, bytecode compiled, files in the cache
                _once(script, args, envs[label])
        for _ in range(opts.rounds):
            for args in COMMANDS:
                for label in versions:
                    key = (" ".join(args), label)
                    times.setdefault(key, []).append(_once(script, args, envs[label]))
    print(f"fusion-tui start-up, median of {opts.rounds} (seconds, whole command)")
    print(f"{'command':<12}" + "".join(f"{label + ' wall':>15}{label + ' CPU':>15}"
                                       for label in versions))
    for args in COMMANDS:
        name = " ".join(args)
        cells = []
        for label in versions:
            wall, cpu = zip(*times[name, label], strict=True)
            cells.append(f"{statistics.median(wall):>15.3f}{statistics.median(cpu):>15.3f}")
        print(f"{name:<12}" + "".join(cells))


if __name__ == "__main__":
    main()
