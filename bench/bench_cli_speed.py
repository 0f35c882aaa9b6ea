"""CLI speed of the commands that only look (issue 23): prints medians; asserts nothing.

    .venv/bin/python bench/bench_cli_speed.py [--rounds 15] [--runs 2000] [--pg ADMIN_URL]

The whole `fusion-tui` command (the console script next to this Python, spawned until it
exits, output thrown away): wall time and CPU time (user + system), median of `--rounds`,
in a fresh HOME with no settings file, on a SQLite store (and with `--pg`, a new
PostgreSQL database made with that admin URL and dropped after) holding `--runs` ended
runs made through the store API (`bench/store_filler.py`) plus one run with a real
folder and a 2,000-line log. Against the floor, `python -c "import sqlite3, json,
argparse"`, timed in the same rounds, interleaved; the ratio is wall over the floor's
wall. Targets (issue 23): at most 0.150 s wall on SQLite, 0.300 s on PostgreSQL, on an
idle machine (the load average is printed: on a busy one wall times stretch, CPU less).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store_filler import fill

from fusion_tui.base.owner import current_user
from fusion_tui.base.settings import Settings
from fusion_tui.executors.descriptions import TABLES
from fusion_tui.services import open_services

FLOOR = [sys.executable, "-c", "import sqlite3, json, argparse"]
TARGET = {"sqlite": 0.150, "postgresql": 0.300}


def _commands(run_id: str) -> list[list[str]]:
    return [["runs"], ["runs", "--json"], ["runs", "--status", "failed"], ["show", run_id],
            ["show", run_id, "--json"], ["wait", run_id], ["wait", run_id, "--json"],
            ["logs", run_id, "--lines", "20"], ["logs", run_id, "--lines", "20", "--json"],
            ["sweep", "list"], ["sweep", "list", "--json"]]


def _env(home: Path, url: str) -> dict[str, str]:
    return {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8", "FUSION_TUI_HOME": str(home / "data"),
            "FUSION_TUI_CONFIG": "none", "FUSION_TUI_DATABASE_URL": url}


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one command."""
    import time

    start, cpu = time.perf_counter(), _cpu()
    subprocess.run(argv, env=env, cwd=env["HOME"], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, _cpu() - cpu


@contextmanager
def _pg_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ft_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _prepare(home: Path, url: str, runs: int) -> str:
    """The store filled; the id of the run with a real folder and log."""
    settings = Settings.load(env={"HOME": str(home)}, overrides={
        "home": home / "data", "database_url": url}, config="none", tables=TABLES)
    svc = open_services(settings)
    try:
        fill(svc, runs, owner=current_user())
        (run_id,) = fill(svc, 1, owner=current_user(), start=runs)
        folder = settings.runs_dir / run_id
        folder.mkdir(parents=True)
        (folder / "simulation.log").write_text(
            "".join(f"2026-01-01 00:00:00,000 - sim - INFO - line {i}\n" for i in range(2000)))
    finally:
        svc.close()
    return run_id


def _measure(label: str, url: str, home: Path, runs: int, rounds: int) -> None:
    run_id = _prepare(home, url, runs)
    print(f"\n{label}: {runs + 1} runs; median of {rounds} (seconds, whole command); "
          f"target {TARGET[label]:.3f} s wall")
    time_commands(label, _commands(run_id), _env(home, url), rounds, run_id)


def time_commands(label: str, commands: list[list[str]], env: dict[str, str], rounds: int,
                  hidden: str) -> None:
    """Each of `commands` and the floor, interleaved over `rounds` after one warm-up (caches
    warm, bytecode written); a line each of median wall, CPU, ratio to the floor and the
    verdict against `label`'s target. `hidden` (an id) prints as ID."""
    script = str(Path(sys.executable).parent / "fusion-tui")
    times: dict[str, list[tuple[float, float]]] = {}
    for argv in [FLOOR, *([script, *c] for c in commands)]:
        _once(argv, env)
    for _ in range(rounds):
        times.setdefault("floor", []).append(_once(FLOOR, env))
        for c in commands:
            times.setdefault(" ".join(c).replace(hidden, "ID"), []).append(
                _once([script, *c], env))
    floor = statistics.median(w for w, _ in times["floor"])
    print(f"{'command':<34}{'wall':>8}{'CPU':>8}{'x floor':>9}  target")
    for name, samples in times.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        verdict = "" if name == "floor" else ("met" if wall <= TARGET[label] else "MISSED")
        print(f"{name:<34}{wall:>8.3f}{cpu:>8.3f}{wall / floor:>9.2f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--pg", metavar="ADMIN_URL",
                        help="also on PostgreSQL (a database is made there and dropped)")
    opts = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="ft-bench-cli-speed-") as folder:
        home = Path(folder) / "sqlite"
        home.mkdir()
        _measure("sqlite", f"sqlite:///{home / 'data' / 'fusion-tui.db'}", home, opts.runs,
                 opts.rounds)
        if opts.pg:
            home = Path(folder) / "pg"
            home.mkdir()
            with _pg_database(opts.pg) as url:
                _measure("postgresql", url, home, opts.runs, opts.rounds)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
