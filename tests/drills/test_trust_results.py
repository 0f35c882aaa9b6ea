"""Trust drills on results: a run is COMPLETED only when every planned load has its
result (whatever the exit code said), and FUSION's result mirror never fills the disk
(a per-run limit, a free-space check, sparse-aware copies), saying what it left and where.

Real runs: the real CLI, real supervisors, the FUSION stand-in (tests/standin_fusion)
and the built-in simulator; a real tmpfs for the small disk (root only).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from fusion_checkout import SMALL, make_checkout
from helpers import Cli, tmpfs
from slurm_cluster import Cluster, cluster, slurm_up  # noqa: F401  (fixtures)

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.executors.slurm.commands import SlurmClient
from fusion_tui.executors.slurm.settle import settle
from fusion_tui.runs.lending import FolderEvidence, progress_of
from fusion_tui.store.status import RunStatus, utcnow

MB = 1 << 20


def _fusion(tmp_path: Path, url: str, **changes: object) -> Settings:
    return make_settings(tmp_path, url, fusion_home=make_checkout(tmp_path),
                         fusion_python=Path(sys.executable), **changes)


def _new(cli: Cli, settings: Settings, *overrides: str, template: str = "fusion",
         **env: str) -> tuple[int, dict[str, Any]]:
    """`fusion-tui new --wait --json`: its exit status and the run it prints."""
    done = cli(settings, "new", "-t", template, "--wait", "--json",
               *[a for o in overrides for a in ("--set", o)], **env)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def _show(cli: Cli, settings: Settings, run_id: str) -> tuple[str, dict[str, Any]]:
    text = cli(settings, "show", run_id)
    data = cli(settings, "show", run_id, "--json")
    assert text.returncode == data.returncode == 0, text.stderr
    return text.stdout, json.loads(data.stdout)


# -- item 7: COMPLETED means every planned load has its result ---------------------------


@pytest.mark.parametrize(("env", "missing", "have"), [
    ({"STANDIN_CRASH_LOADS": "all"}, "loads 300, 600", 0),
    ({"STANDIN_CRASH_LOADS": "600"}, "load 600", 1),
    ({"STANDIN_EXCLUSIVE_STOP": "1"}, "load 600", 1),  # 5.5's range(): the stop never runs
])
def test_fusion_exiting_0_without_its_results_is_failed(
        cli: Cli, tmp_path: Path, db_url: str, env: dict[str, str], missing: str,
        have: int) -> None:
    """FUSION's 5.5 line: a worker crashes, the process exits 0 (with a partial load
    list too): FAILED, one line naming the loads without results, exit code 0 kept."""
    settings = _fusion(tmp_path, db_url)
    code, run = _new(cli, settings, *SMALL, **env)
    assert (run["status"], run["exit_code"]) == ("FAILED", 0), run
    assert code == 1  # `wait` exits like the run did: it did not complete
    assert run["fraction_done"] is None or run["fraction_done"] < 1.0  # not "100%"
    assert run["error_message"].startswith(
        f"simulator exited 0 but no results for {missing} ({have} of 2 planned loads "
        "have results)"), run["error_message"]
    text, data = _show(cli, settings, str(run["id"]))
    assert f"no results for {missing}" in text
    assert [e["kind"] for e in data["events"]][-1] == "failed"


def test_builtin_exiting_0_without_its_results_is_failed(cli: Cli, tmp_path: Path,
                                                         sqlite_url: str) -> None:
    """The same rule for the built-in simulator: here it writes its results somewhere
    else than the run's output/ and exits 0."""
    command = DEFAULT_BUILTIN_COMMAND.replace("{output_dir}", "{run_dir}/elsewhere")
    settings = make_settings(tmp_path, sqlite_url, simulator_command=command)
    code, run = _new(cli, settings, "general_settings.erlang_stop=600",
                     "general_settings.max_iters=2", "general_settings.num_requests=200",
                     template="minimal")
    assert (run["status"], run["exit_code"], code) == ("FAILED", 0, 1), run
    assert "exited 0 but no results for loads" in str(run["error_message"])
    elsewhere = Path(str(run["run_dir"])) / "elsewhere"
    assert any(elsewhere.glob("*_erlang.json"))  # it did write them, where we do not look


def test_a_run_with_every_result_is_completed(cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    """The rule does not turn a good run into a failure (both simulators)."""
    code, run = _new(cli, _fusion(tmp_path, sqlite_url), *SMALL)
    assert (run["status"], run["exit_code"], run["error_message"], code) == \
        ("COMPLETED", 0, None, 0)
    settings = make_settings(tmp_path / "b", sqlite_url.replace("store.db", "b.db"),
                             simulator_command=DEFAULT_BUILTIN_COMMAND)
    code, run = _new(cli, settings, "general_settings.erlang_stop=600",
                     "general_settings.max_iters=2", "general_settings.num_requests=200",
                     template="minimal")
    assert (run["status"], run["exit_code"], code) == ("COMPLETED", 0, 0), run


def _ended_run_folder(cli: Cli, tmp_path: Path, sqlite_url: str, *, results: bool) -> RunPaths:
    """A Slurm run's folder whose supervisor died after the waiter recorded exit 0."""
    settings = make_settings(tmp_path, sqlite_url)
    done = cli(settings, "new", "-t", "fake", "--wait", "--json")
    paths = RunPaths(Path(json.loads(done.stdout)["run_dir"]))
    paths.status.write_text(json.dumps({"state": "running"}))  # no outcome recorded
    paths.exit.write_text(json.dumps({"exit_code": 0}))
    if not results:
        for file in paths.output.glob("*_erlang.json"):
            file.unlink()
    return paths


@pytest.mark.parametrize("results", [True, False])
def test_slurm_settles_exit_0_by_the_same_rule(cli: Cli, tmp_path: Path, sqlite_url: str,
                                               results: bool) -> None:
    """executors/slurm/settle.py, for a job whose supervisor ended before recording the
    outcome: exit 0 is COMPLETED only with every planned load's result."""
    paths = _ended_run_folder(cli, tmp_path, sqlite_url, results=results)
    settled = settle(paths, None, SlurmClient(), FolderEvidence(), progress_of,
                     left_queue_at=utcnow())
    assert settled is not None and settled.exit_code == 0
    if results:
        assert settled.status == RunStatus.COMPLETED and settled.error is None
    else:
        assert settled.status == RunStatus.FAILED
        assert settled.error is not None and settled.error.startswith(
            "simulator exited 0 but no results for loads 100, 200")


# -- item 4: the result mirror is bounded -----------------------------------------------

FOUR_LOADS = ["general_settings.erlang_stop=1200", "general_settings.max_iters=2",
              "general_settings.print_step=1"]


def test_mirror_keeps_holes_and_stops_at_the_per_run_limit(cli: Cli, tmp_path: Path,
                                                           db_url: str) -> None:
    """Four 250 MB sparse result files with 400 kB of data each, a 1 MiB per-run limit:
    the copies keep their holes (400 kB on disk, not 250 MB), two fit, two stay in
    FUSION's folder; the run is COMPLETED (its results exist) and says what it left, and
    where, in `show` and in its audit trail."""
    settings = _fusion(tmp_path, db_url, results_copy_mb=1.0)
    code, run = _new(cli, settings, *FOUR_LOADS, STANDIN_PAD_BYTES=str(400_000),
                     STANDIN_SPARSE_BYTES=str(250 * MB), STANDIN_ITER_SECONDS="0.01")
    assert (run["status"], run["exit_code"], code) == ("COMPLETED", 0, 0), run
    paths = RunPaths(Path(str(run["run_dir"])))
    copied = sorted(paths.output.glob("*_erlang.json"))
    assert [p.name for p in copied] == ["300.0_erlang.json", "600.0_erlang.json"]
    for file in copied:
        st = file.stat()
        assert st.st_size == 250 * MB and st.st_blocks * 512 < MB  # holes kept
    folder = next((settings.fusion_home or tmp_path).glob("data/output/*/*/*/s1"))
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".json") == [
        "1200.0_erlang.json", "300.0_erlang.json", "600.0_erlang.json", "900.0_erlang.json"]
    text, data = _show(cli, settings, str(run["id"]))
    note = data["results_note"]
    assert isinstance(note, str)
    assert "2 file(s) copied into output/" in note
    assert f"2 file(s) (500.0 MiB) left in FUSION's folder {folder}: " \
           "1200.0_erlang.json, 900.0_erlang.json" in note
    assert "over the per-run limit of 1.0 MiB (results_copy_mb)" in note
    assert any(line.startswith("results ") and "left in FUSION's folder" in line
               for line in text.splitlines())
    events = data["events"]
    assert isinstance(events, list)
    assert [e["detail"] for e in events if e["kind"] == "results"] == [note]


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")


@needs_root
def test_fusion_results_never_fill_a_small_runs_disk(
        cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    """The issue's case, on a real 4 MB tmpfs as the runs folder: thirty 250 MB sparse
    result files (with 300 kB of real data each: 9 MB, twice the disk). The copies keep
    their holes, stop while the disk still has room, and the run says what it left."""
    with tmpfs(tmp_path / "runs", "4m") as runs:
        settings = _fusion(tmp_path, sqlite_url, runs_dir=runs)
        code, run = _new(cli, settings, "general_settings.erlang_stop=9000",
                         "general_settings.max_iters=1", "general_settings.print_step=1",
                         STANDIN_PAD_BYTES=str(300_000), STANDIN_SPARSE_BYTES=str(250 * MB),
                         STANDIN_ITER_SECONDS="0")
        assert (run["status"], run["exit_code"], code) == ("COMPLETED", 0, 0), run
        paths = RunPaths(Path(str(run["run_dir"])))
        fs = os.statvfs(runs)
        assert fs.f_bavail * fs.f_frsize >= 0.04 * fs.f_blocks * fs.f_frsize  # never filled
        assert "No space left" not in paths.supervisor_log.read_text()
        copied = list(paths.output.glob("*_erlang.json"))
        assert 3 <= len(copied) < 30
        assert all(p.stat().st_blocks * 512 < MB for p in copied)
        text, data = _show(cli, settings, str(run["id"]))
        note = str(data["results_note"])
        assert f"{len(copied)} file(s) copied into output/" in note
        assert f"{30 - len(copied)} file(s)" in note and "not enough free space" in note
        assert "left in FUSION's folder" in note and "results" in text


async def test_detail_screen_says_what_the_mirror_left(
        cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    """The detail screen shows the note next to the run's status (from the store's audit
    trail), as data: the folder and the files left."""
    from helpers import screen_text, until

    from fusion_tui.services import open_services
    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.widgets.runs.table import RunsTable

    settings = _fusion(tmp_path, sqlite_url, results_copy_mb=0.5)
    _code, run = _new(cli, settings, *SMALL, STANDIN_PAD_BYTES=str(400_000))
    assert run["status"] == "COMPLETED", run
    svc = open_services(settings)
    try:
        app = create_app(svc)
        async with app.run_test(size=(200, 60)) as pilot:
            table = app.screen.query_one(RunsTable)
            await until(pilot, lambda: run["id"] in table.rows_data)
            table.move_cursor(row=table.get_row_index(str(run["id"])))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailScreen))
            await until(pilot, lambda: "Results not all copied" in screen_text(app))
            text = screen_text(app)
            assert "600.0_erlang.json" in text and "left in FUSION's folder" in text
    finally:
        svc.close()


def test_slurm_run_exiting_0_without_results_is_failed(
        tmp_path: Path, sqlite_url: str, cluster: Cluster) -> None:  # noqa: F811
    """On the real cluster (SQLite: the login node settles from the run folder): a job
    whose simulator exits 0 without its results is FAILED by the same rule."""
    from test_slurm import finished, watch_until

    from fusion_tui.services import open_services

    svc = open_services(make_settings(tmp_path, sqlite_url, executor="slurm",
                                      slurm_poll_seconds=10.0))
    try:
        run = svc.manager.create("fake", overrides=["fake.behaviour=silent", "fake.sleep=0"])
        done = watch_until(svc.manager, run.id, finished)
        assert (done.status, done.exit_code) == (RunStatus.FAILED, 0), done.error_message
        assert (done.error_message or "").startswith(
            "simulator exited 0 but no results for loads 100, 200")
    finally:
        svc.close()
