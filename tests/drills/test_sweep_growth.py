"""Sweeps that grow, with the real built-in simulator and real stores: `sweep extend`
adds points from the sweep's frozen config; a point whose config already has a
COMPLETED run reuses it (extend by default, `sweep new --reuse`), never a failed or
cancelled run or one of another config; reused runs are in the matrix and in compare,
and deleting one sweep keeps the runs another reuses; `--dry-run` makes nothing and
estimates from earlier runs; bad input is one line, exit 2, nothing made; a kill during
`extend` leaves the sweep as it was or whole; `compare S1 S2` matches points across
sweeps."""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import make_settings
from helpers import Cli, flaky_command, poll_until
from sqlalchemy import update

from fusion_tui.base.ids import is_run_id
from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.models import Run
from fusion_tui.store.status import RunStatus
from fusion_tui.sweeps.matrix import build_matrix

K = "routing_settings.k_paths"
SEED = "builtin_settings.seed"
QUICK = ["--set", "general_settings.num_requests=200"]


def _json(cli: Cli, settings: Settings, *args: str) -> Any:
    out = cli(settings, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _finished(cli: Cli, settings: Settings, sweep_id: str) -> dict[str, Any]:
    return poll_until(lambda: _json(cli, settings, "sweep", "show", sweep_id),
                      lambda d: d["finished"] == d["total"], timeout=120, interval=0.3)


def _folders(settings: Settings) -> set[str]:
    return {p.name for p in settings.runs_dir.iterdir() if is_run_id(p.name)} \
        if settings.runs_dir.exists() else set()


def _points(data: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(k_paths, seed) -> run id of a `sweep show --json`."""
    return {(r["point"][K], r["point"][SEED]): r["id"] for r in data["runs"]}


@pytest.fixture
def sim(tmp_path: Path, db_url: str,
        services_with: Callable[[Settings], Services]) -> tuple[Settings, Services]:
    settings = make_settings(tmp_path, db_url, simulator_command=DEFAULT_BUILTIN_COMMAND)
    svc = services_with(settings)
    svc.store.set_queue(max_concurrent=4)
    return settings, svc


@pytest.fixture
def lite(tmp_path: Path, sqlite_url: str,
         services_with: Callable[[Settings], Services]) -> tuple[Settings, Services]:
    settings = make_settings(tmp_path, sqlite_url, simulator_command=DEFAULT_BUILTIN_COMMAND)
    svc = services_with(settings)
    svc.store.set_queue(max_concurrent=4)
    return settings, svc


def test_extend_reuses_completed_points_and_deleting_a_sweep_keeps_what_another_reuses(
        cli: Cli, sim: tuple[Settings, Services]) -> None:
    settings, svc = sim
    first = _json(cli, settings, "sweep", "new", "-t", "minimal", "-n", "first", "--grid",
                  f"{K}=1,2", "--seeds", "1-2", *QUICK)
    first_points = _points(_finished(cli, settings, first["id"]))

    # A new sweep repeating four of its points reuses them when asked, and says so.
    out = cli(settings, "sweep", "new", "-t", "minimal", "-n", "second", "--grid",
              f"{K}=1,2,3", "--seeds", "1-2", *QUICK, "--reuse")
    assert out.returncode == 0, out.stderr
    second_id = out.stdout.split()[1].rstrip(":")
    assert f"sweep {second_id}: 6 points: 4 reused from earlier runs, 2 new" in out.stdout
    second = _finished(cli, settings, second_id)
    second_points = _points(second)
    assert {p: second_points[p] for p in first_points} == first_points
    assert second["counts"] == {"COMPLETED": 6}

    # Extending the first sweep to k_paths=3 makes the points from its frozen config:
    # the same configs (hashes) as the second sweep's new runs, so those are reused.
    grown = _json(cli, settings, "sweep", "extend", first["id"], "--grid", f"{K}=3")
    assert sorted(grown["reused_runs"]) == sorted(second_points[("3", s)] for s in "12")
    assert grown["new_runs"] == [] and grown["grid"][0]["values"] == ["1", "2", "3"]
    # --rerun runs every new point again, reused or not.
    again = _json(cli, settings, "sweep", "extend", first["id"], "--seeds", "3", "--rerun")
    assert len(again["new_runs"]) == 3 and again["reused_runs"] == []
    extended = _finished(cli, settings, first["id"])
    assert extended["counts"] == {"COMPLETED": 9} and extended["seeds"] == [1, 2, 3]
    for run_id in again["new_runs"]:  # the frozen config, with the point's values set
        run = svc.manager.get(run_id)
        point = json.loads(run.point_json or "{}")
        config = json.loads(run.config_json)
        assert config["routing_settings"]["k_paths"] == point[K] and run.seed == 3
        assert config["general_settings"]["num_requests"] == "200"

    # The reused runs are in the second sweep's matrix and comparison.
    detail = svc.sweeps.detail(second_id)
    assert detail.reused == frozenset(first_points.values())
    matrix = build_matrix(detail.grid, detail.runs)
    assert all(len(cell.runs) == 2 for cell in matrix.cells.values())
    compared = _json(cli, settings, "compare", second_id)
    assert sorted(r for g in compared["groups"] for r in g["runs"]) == \
        sorted(second_points.values())

    # Deleting the first sweep deletes its own runs but hands over those the second
    # reuses; the second sweep is whole, and then deletes them all itself.
    removed = _json(cli, settings, "sweep", "rm", first["id"])
    assert removed["runs"] == 3 and sorted(removed["kept_runs"]) == sorted(first_points.values())
    kept = _finished(cli, settings, second_id)
    assert _points(kept) == second_points and kept["counts"] == {"COMPLETED": 6}
    assert all(Path(svc.manager.get(r).run_dir).is_dir() for r in first_points.values())
    assert _folders(settings) == set(second_points.values())
    check = _json(cli, settings, "db", "check")
    assert check["healthy"] and check["orphan_folders"] == check["missing_folders"] == []
    assert _json(cli, settings, "sweep", "rm", second_id)["runs"] == 6
    assert svc.store.list_runs() == [] and _folders(settings) == set()


def test_reuse_never_takes_a_failed_or_cancelled_run_another_config_or_users(
        cli: Cli, tmp_path: Path, sqlite_url: str,
        services_with: Callable[[Settings], Services]) -> None:
    fail_file = tmp_path / "fail-seed"
    fail_file.write_text("2\n")
    settings = make_settings(tmp_path, sqlite_url, simulator_command=flaky_command(fail_file))
    svc = services_with(settings)
    svc.store.set_queue(max_concurrent=4)
    made = _json(cli, settings, "sweep", "new", "-t", "minimal", "--grid", f"{K}=1,2",
                 "--seeds", "1-2")
    done = _finished(cli, settings, made["id"])
    assert done["counts"] == {"COMPLETED": 2, "FAILED": 2}
    completed = {r["id"] for r in done["runs"] if r["status"] == "COMPLETED"}

    svc.store.set_queue(paused=True)  # seed 3 waits in the queue, then is cancelled
    waiting = _json(cli, settings, "sweep", "extend", made["id"], "--seeds", "3", "--rerun")
    cancelled = set(waiting["new_runs"])
    assert _json(cli, settings, "cancel", *cancelled)
    poll_until(lambda: {svc.manager.get(r).status for r in cancelled},
               lambda s: s == {RunStatus.CANCELLED.value})

    theirs = sorted(completed)[0]  # a run of another user of a shared store is theirs
    with svc.store.session(write=True) as s:
        s.execute(update(Run).where(Run.id == theirs).values(owner="someone-else"))
    again = _json(cli, settings, "sweep", "new", "-t", "minimal", "--grid", f"{K}=1,2",
                  "--seeds", "1-3", "--reuse")
    assert set(again["reused_runs"]) == completed - {theirs} and len(again["new_runs"]) == 5
    assert [r["id"] for r in again["runs"] if r["reused"]] == again["reused_runs"]
    other = _json(cli, settings, "sweep", "new", "-t", "minimal", "--grid", f"{K}=1,2",
                  "--seeds", "1-3", "--reuse", "--set", "general_settings.num_requests=300")
    assert other["reused_runs"] == [] and len(other["new_runs"]) == 6


def _no_process_of(settings: Settings) -> bool:
    """No process (a supervisor, a simulator) runs with these settings' home."""
    home = str(settings.home)
    for proc in psutil.process_iter(["environ"]):
        env = proc.info.get("environ") or {}
        if any(home in value for value in env.values()):
            return False
    return True


def test_a_dry_run_makes_nothing_and_estimates_from_earlier_runs(
        cli: Cli, lite: tuple[Settings, Services]) -> None:
    settings, svc = lite
    grid = ["sweep", "new", "-t", "minimal", "--grid", f"{K}=1,2", "--seeds", "1-3", *QUICK]
    out = cli(settings, *grid, "--dry-run")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "dry run: 6 runs; nothing made",
        "first points: k_paths=1 seed=1; k_paths=1 seed=2; k_paths=1 seed=3; "
        "k_paths=2 seed=1; k_paths=2 seed=2; … 1 more",
        "estimated time: no estimate (no completed run of template minimal yet)"]
    assert svc.store.list_runs() == [] and svc.sweeps.listing() == []
    assert _folders(settings) == set() and not (settings.runs_dir / ".sweeps").exists()
    assert _no_process_of(settings)

    made = _json(cli, settings, *grid[:-2], "--seeds", "1-2", *QUICK)
    _finished(cli, settings, made["id"])
    runs = svc.sweeps.store.runs(made["id"])
    median = statistics.median((r.completed_at - r.started_at).total_seconds()
                               for r in runs if r.completed_at and r.started_at)
    before = (len(svc.store.list_runs()), _folders(settings))
    shown = _json(cli, settings, *grid, "--dry-run", "--reuse")
    assert (shown["runs"], shown["reused"], shown["new"], shown["samples"]) == (6, 4, 2, 4)
    assert shown["slots"] == 4 and shown["median_seconds"] == pytest.approx(median)
    assert shown["estimate_seconds"] == pytest.approx(median * 2 / 4)
    assert (len(svc.store.list_runs()), _folders(settings)) == before
    assert len(svc.sweeps.listing()) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--grid", "routing_settings.nosuch=1"], "--grid routing_settings.nosuch: not swept"),
    (["--grid", f"{K}=2,3"], f"--grid {K}: 2 already in the sweep"),
    (["--seeds", "2-4"], "--seeds: seed(s) 2 already in the sweep"),
    (["--grid", f"{K}=4"], "paired axes need as many values each, not 3 and 2"),
    (["--loads", "900"], "--loads: the sweep runs every load in each of its runs"),
    (["--grid", f"{K}=3", "--grid", "general_settings.allocation_method=nosuch"],
     "grid point k_paths=3 allocation_method=nosuch seed=1: [general_settings] "
     "allocation_method: expected one of"),
    ([], "nothing to add"),
])
def test_bad_extend_input_is_one_line_and_changes_nothing(
        cli: Cli, lite: tuple[Settings, Services], args: list[str], message: str) -> None:
    settings, svc = lite
    svc.store.set_queue(paused=True)
    made = cli.inline(settings, "sweep", "new", "-t", "minimal", "--grid", f"{K}=1,2",
                      "--grid", "general_settings.allocation_method=first_fit,best_fit",
                      "--zip", "k_paths,allocation_method", "--seeds", "1-2", "--json")
    assert made.returncode == 0, made.stderr
    sweep_id = json.loads(made.stdout)["id"]
    before = (svc.sweeps.detail(sweep_id).grid, _folders(settings))
    assert len(before[1]) == 4
    out = cli.inline(settings, "sweep", "extend", sweep_id, *args)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
    assert (svc.sweeps.detail(sweep_id).grid, _folders(settings)) == before
    assert len(svc.store.list_runs()) == 4


def test_zip_with_unequal_axes_is_one_line_and_makes_nothing(
        cli: Cli, lite: tuple[Settings, Services]) -> None:
    settings, svc = lite
    out = cli.inline(settings, "sweep", "new", "-t", "minimal", "--grid", f"{K}=1,2,3",
                     "--grid", "general_settings.allocation_method=first_fit,best_fit",
                     "--zip", "k_paths,allocation_method")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "--zip k_paths,allocation_method: paired axes need as many values each, not 3 " \
           "and 2" in out.stderr
    assert svc.store.list_runs() == [] and svc.sweeps.listing() == []
    assert _folders(settings) == set()


POINTS = 400
MOMENTS: dict[str, Callable[[Settings], bool]] = {
    "first new folder": lambda s: len(list((s.runs_dir / ".staging").glob("*/*"))) >= 1,
    "half the folders": lambda s: len(list((s.runs_dir / ".staging").glob("*/*"))) +
    len(_folders(s)) >= POINTS // 2,
    "every folder in place": lambda s: len(_folders(s)) >= POINTS,
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_extend_killed_half_way_leaves_the_sweep_as_it_was_or_whole(
        cli: Cli, lite: tuple[Settings, Services], moment: str) -> None:
    settings, svc = lite
    svc.store.set_queue(paused=True)  # creation is what is under test
    made = _json(cli, settings, "sweep", "new", "-t", "minimal", "--seeds", "1-2")
    proc = cli.popen("sweep", "extend", made["id"], "--seeds", f"3-{POINTS}",
                     env=cli.env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not MOMENTS[moment](settings) and proc.poll() is None:
        assert time.monotonic() < deadline, "the moment never came"
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert cli(settings, "runs", "--all").returncode == 0  # the next command tidies up
    shown = _json(cli, settings, "sweep", "show", made["id"])
    rows = {r.id for r in svc.store.list_runs(limit=10_000)}
    assert _folders(settings) == rows
    if moment != "every folder in place":  # killed before its rows: as it was
        assert killed and len(rows) == 2
    if len(rows) == 2:
        assert killed and shown["seeds"] == [1, 2] and shown["total"] == 2
    else:  # killed once its rows were stored, or it had ended: all of it
        assert len(rows) == POINTS and shown["seeds"] == list(range(1, POINTS + 1))
        assert shown["total"] == POINTS
    check = _json(cli, settings, "db", "check")
    assert check["healthy"] and check["orphan_folders"] == check["missing_folders"] == []
    more = _json(cli, settings, "sweep", "extend", made["id"], "--seeds", f"{POINTS + 1}")
    assert len(more["new_runs"]) == 1  # and it grows on from there


def test_compare_across_sweeps_matches_points_and_groups_by_what_tells_them_apart(
        cli: Cli, lite: tuple[Settings, Services]) -> None:
    settings, _ = lite
    ids = {}
    for name, method in (("base", "first_fit"), ("new", "best_fit"), ("again", "first_fit")):
        ids[name] = _json(cli, settings, "sweep", "new", "-t", "minimal", "-n", name,
                          "--grid", f"{K}=1,2", "--seeds", "1-2", *QUICK, "--set",
                          f"general_settings.allocation_method={method}")["id"]
    for sweep_id in ids.values():
        _finished(cli, settings, sweep_id)

    by_method = _json(cli, settings, "compare", ids["base"], ids["new"])
    assert by_method["group_by"] == [K, "general_settings.allocation_method"]
    assert sorted(g["label"] for g in by_method["groups"]) == [
        "k_paths=1 allocation_method=best_fit", "k_paths=1 allocation_method=first_fit",
        "k_paths=2 allocation_method=best_fit", "k_paths=2 allocation_method=first_fit"]
    assert all(len(g["runs"]) == 2 for g in by_method["groups"])

    # The same configs twice (a simulator's two versions, say): the sweep is the key.
    by_sweep = _json(cli, settings, "compare", ids["base"], ids["again"])
    assert by_sweep["group_by"] == [K, "sweep"]
    assert sorted(g["label"] for g in by_sweep["groups"]) == [
        "k_paths=1 sweep=again", "k_paths=1 sweep=base", "k_paths=2 sweep=again",
        "k_paths=2 sweep=base"]
    base_runs = {r["id"] for r in _json(cli, settings, "sweep", "show", ids["base"])["runs"]}
    assert {r for g in by_sweep["groups"] if g["values"]["sweep"] == "base"
            for r in g["runs"]} == base_runs
    with closing(open_services(settings)) as svc:  # nothing of it was written back
        assert all("sweep" not in json.loads(r.point_json or "{}")
                   for r in svc.store.list_runs(limit=100))


def test_extend_uses_the_config_frozen_at_creation_not_the_template_edited_since(
        cli: Cli, lite: tuple[Settings, Services]) -> None:
    from fusion_tui.base.resources import shipped_templates_dir

    settings, svc = lite
    svc.store.set_queue(paused=True)  # nothing needs to run for this
    folder = settings.user_templates_dir
    folder.mkdir(parents=True)
    text = (shipped_templates_dir() / "minimal.ini").read_text()
    (folder / "mine.ini").write_text(text)
    made = _json(cli, settings, "sweep", "new", "-t", "mine", "--grid", f"{K}=1,2", "--seeds",
                 "1", "--set", "general_settings.max_iters=3")
    before = {r.id: json.loads(r.config_json) for r in svc.sweeps.detail(made["id"]).runs}
    assert "guard_slots = 1" in text
    (folder / "mine.ini").write_text(text.replace("guard_slots = 1", "guard_slots = 2"))
    grown = _json(cli, settings, "sweep", "extend", made["id"], "--seeds", "2", "--rerun")
    assert len(grown["new_runs"]) == 2
    for run_id in grown["new_runs"]:
        run = svc.manager.get(run_id)
        config = json.loads(run.config_json)
        twin = next(c for c in before.values() if c["routing_settings"]["k_paths"]
                    == config["routing_settings"]["k_paths"])
        assert config["general_settings"] == twin["general_settings"]  # max_iters=3 kept,
        assert config["builtin_settings"]["seed"] == "2"  # the template's edit left out
    fresh = _json(cli, settings, "sweep", "new", "-t", "mine", "--seeds", "1", "--set",
                  "general_settings.max_iters=3")  # while a new sweep reads it as it is
    (run,) = svc.sweeps.detail(fresh["id"]).runs
    assert json.loads(run.config_json)["general_settings"]["guard_slots"] == "2"
