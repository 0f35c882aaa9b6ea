"""The store at 100,000 runs (issue 23): prints medians; asserts nothing.

    .venv/bin/python bench/bench_store_scale.py [--runs 100000] [--rounds 7]
        [--clean 25000] [--clean-rounds 5] [--pg ADMIN_URL]

A store (SQLite, and with `--pg` a new PostgreSQL database made with that admin URL and
dropped after) filled with `--runs` ended runs of the calling user through the store
API (`bench/store_filler.py`, 5,000 per transaction). Then whole `fusion-tui` commands,
median of `--rounds` wall and CPU seconds, against the floor `python -c "import
sqlite3, json, argparse"` timed in the same rounds: `runs` (the first page), `runs
--all`, `runs --status failed`, `runs --before ID` (a page deep in the list, by keyset:
the 100 runs older than the one 90% of the way down), `stats`. Targets: 0.150 s wall on
SQLite, 0.300 s on PostgreSQL, on an idle machine. Then, `--clean-rounds` times, `clean
--status FAILED --yes` of `--clean` runs that have folders (made for it: a folder with
three small files each) and of the filler's FAILED runs, a fifth of `--runs`, which have
none (in later rounds as many again are made), wall seconds (target under 10 s), next
to the floor: the same number of such folders removed with shutil.rmtree on 8 threads
and nothing else (the file system's speed varies between machines and days); the
medians, and the median of each round's ratio. Both start with the disk written out
(`sync`). The filler's runs have no folders, so `db check` afterwards reports the rows
of those it did not clean as runs whose folder is gone; its exit status is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_cli_speed import TARGET, _env, _pg_database, time_commands
from store_filler import fill

from fusion_tui.base.owner import current_user
from fusion_tui.base.settings import Settings
from fusion_tui.executors.descriptions import TABLES
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus


def _settings(home: Path, url: str) -> Settings:
    return Settings.load(env={"HOME": str(home)}, overrides={
        "home": home / "data", "database_url": url}, config="none", tables=TABLES)


def _failed(svc: Services, count: int, start: int, *, folders: bool) -> None:
    """`count` FAILED runs, with real folders (three small files each) or without."""
    ids = fill(svc, count, owner=current_user(), start=start)
    with svc.store.session(write=True) as s:
        for i in range(0, len(ids), 500):
            for run in s.query(Run).filter(Run.id.in_(ids[i:i + 500])):
                run.status = RunStatus.FAILED.value
    for run_id in ids if folders else ():
        folder = svc.settings.runs_dir / run_id
        (folder / "logs").mkdir(parents=True)
        (folder / "config.ini").write_text("[general]\nk_paths = 3\n")
        (folder / "logs" / "sim.log").write_text("a line\n" * 20)
        (folder / "status.json").write_text("{}")


def _removal_floor(folder: Path, count: int) -> float:
    """Seconds to remove `count` folders like the runs' (plain rmtree, 8 threads)."""
    from concurrent.futures import ThreadPoolExecutor
    from shutil import rmtree

    dirs = [folder / f"{i:08d}" for i in range(count)]
    for d in dirs:
        (d / "logs").mkdir(parents=True)
        (d / "config.ini").write_text("[general]\nk_paths = 3\n")
        (d / "logs" / "sim.log").write_text("a line\n" * 20)
        (d / "status.json").write_text("{}")
    os.sync()
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(rmtree, dirs))
    return time.perf_counter() - began


def _measure(label: str, url: str, home: Path, opts: argparse.Namespace) -> None:
    settings = _settings(home, url)
    svc = open_services(settings)
    began = time.perf_counter()
    try:
        ids = fill(svc, opts.runs, owner=current_user())
    finally:
        svc.close()
    print(f"\n{label}: {opts.runs} runs made in {time.perf_counter() - began:.1f} s; "
          f"median of {opts.rounds} (seconds, whole command); target "
          f"{TARGET[label]:.3f} s wall")
    env = _env(home, url)
    script = str(Path(sys.executable).parent / "fusion-tui")
    deep = ids[len(ids) // 10]  # 90% of the way down the newest-first list
    commands = [["runs"], ["runs", "--all"], ["runs", "--status", "failed"],
                ["runs", "--before", deep], ["stats"], ["stats", "--json"]]
    time_commands(label, commands, env, opts.rounds, deep)
    if opts.clean:
        _time_clean(settings, env, script, home, opts)


def _time_clean(settings: Settings, env: dict[str, str], script: str, home: Path,
                opts: argparse.Namespace) -> None:
    """`clean` of the FAILED runs, `--clean-rounds` times, each next to its floor."""
    walls: list[float] = []
    floors: list[float] = []
    without = opts.runs // 5  # the filler's FAILED runs (STATUSES: two in ten)
    for round_ in range(opts.clean_rounds):
        svc = open_services(settings)
        try:
            start = opts.runs + round_ * (opts.clean + without)
            if round_:  # the filler's went in the first round: as many again
                _failed(svc, without, start + opts.clean, folders=False)
            _failed(svc, opts.clean, start, folders=True)
        finally:
            svc.close()
        os.sync()
        began = time.perf_counter()
        done = subprocess.run([script, "clean", "--status", "FAILED", "--yes", "--json"],
                              env=env, cwd=env["HOME"], capture_output=True, text=True,
                              check=False)
        walls.append(time.perf_counter() - began)
        check = subprocess.run([script, "db", "check"], env=env, capture_output=True,
                               text=True, check=False)
        left = sum(1 for p in settings.runs_dir.iterdir())
        floors.append(_removal_floor(home / f"floor-{round_}", opts.clean))
        print(f"clean --status FAILED --yes, round {round_ + 1}: exit {done.returncode}, "
              f"{walls[-1]:.2f} s for {opts.clean} runs with folders and {without} "
              f"without; {left} folder(s) left in the runs folder; db check: exit "
              f"{check.returncode}; floor {floors[-1]:.2f} s; load average "
              f"{os.getloadavg()[0]:.2f}", flush=True)
    ratios = [w / f for w, f in zip(walls, floors, strict=True)]
    print(f"clean: median {statistics.median(walls):.2f} s of {len(walls)} (target under "
          f"10 s); floor (the same {opts.clean} folders removed by shutil.rmtree on 8 "
          f"threads, nothing else): median {statistics.median(floors):.2f} s; median "
          f"ratio {statistics.median(ratios):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clean", type=int, default=25_000, metavar="N",
                        help="FAILED runs with folders for `clean` to delete (0: skip)")
    parser.add_argument("--clean-rounds", type=int, default=5, metavar="N",
                        help="times `clean` is timed, each with its floor")
    parser.add_argument("--pg", metavar="ADMIN_URL",
                        help="also on PostgreSQL (a database is made there and dropped)")
    opts = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="ft-bench-scale-") as folder:
        home = Path(folder) / "sqlite"
        home.mkdir()
        _measure("sqlite", f"sqlite:///{home / 'data' / 'fusion-tui.db'}", home, opts)
        if opts.pg:
            home = Path(folder) / "pg"
            home.mkdir()
            with _pg_database(opts.pg) as url:
                _measure("postgresql", url, home, opts)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
