"""Driving FUSION's 5.5 line (tag v5.5.1 and its grooming branch) against its stand-in
(tests/standin_fusion55): doctor tells the line, its template and rules, its loads
(the stop left out), progress from its prints, results from the folder it never names,
a crashed worker is FAILED with its crash line, and cancel. Its rules without a run are
tests/unit/test_fusion55_rules.py; bench/fusion55_check.py runs the real FUSION."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import make_settings
from fusion_checkout import SMALL55, make_checkout
from helpers import Cli, poll_until

from fusion_tui.base import procs
from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.store.status import RunStatus


def _new(cli: Cli, settings: Settings, *overrides: str, **env: str) -> tuple[int, dict[str, Any]]:
    done = cli(settings, "new", "-t", "fusion55", "--wait", "--json",
               *[a for o in (*SMALL55, *overrides) for a in ("--set", o)], **env)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


# -- doctor: which line a checkout is --------------------------------------------------------


def test_doctor_names_the_line_of_each_checkout(cli: Cli, fusion55_settings: Settings,
                                               tmp_path: Path, db_url: str) -> None:
    done = cli(fusion55_settings, "doctor", "-t", "fusion55")
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("ok       checkout") and "FUSION's 5.5 line" in first
    assert "git 2db135b2 on feature/grooming-new" in first
    assert [line.split()[1] for line in done.stdout.splitlines()] == [
        "checkout", "python", "command", "template", "modulation", "network"]
    # The 6.x template against this checkout, and the 5.5 template against a 6.x one.
    six = cli(fusion55_settings, "doctor")
    assert six.returncode == 1 and six.stdout.startswith("PROBLEM  checkout")
    assert "is FUSION's 5.5 line" in six.stdout and "-t fusion55" in six.stdout
    other = make_settings(tmp_path / "six", db_url,
                          fusion_home=make_checkout(tmp_path / "six"))
    wrong = cli(other, "doctor", "-t", "fusion55")
    assert wrong.returncode == 1 and "is the FUSION 6.x line" in wrong.stdout


def test_a_template_of_the_other_line_is_refused_before_anything_is_made(
        cli: Cli, fusion55_settings: Settings) -> None:
    done = cli(fusion55_settings, "new", "-t", "fusion")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "is FUSION's 5.5 line" in done.stderr and "-t fusion55" in done.stderr
    runs = fusion55_settings.runs_dir
    assert not runs.exists() or not any(p for p in runs.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize(("override", "said"), [
    ("general_settings.erlang_step=50.5", "erlang_step: FUSION's 5.5 line expects a whole "
                                          "number"),
    ("general_settings.erlang_stop=300", "erlang_stop: must be above erlang_start (300), got "
                                         "300: FUSION's 5.5 line runs range(start, stop, step)"),
    ("general_settings.seeds=[1, 2]", "seeds: must be empty"),
    ("routing_settings.k_paths=3", "[routing_settings] k_paths: unknown key: not in template "
                                   "'fusion55' and FUSION's 5.5 line does not read it"),
])
def test_its_own_rules_refuse_in_one_line(cli: Cli, fusion55_settings: Settings,
                                          override: str, said: str) -> None:
    done = cli(fusion55_settings, "new", "-t", "fusion55", "--set", override)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert said in done.stderr, done.stderr


# -- runs against the stand-in ---------------------------------------------------------------


@pytest.mark.parametrize("revision", ["branch", "v5.5.1"])
def test_a_run_completes_with_the_loads_it_plans(cli: Cli, fusion55_settings: Settings,
                                                 revision: str) -> None:
    """300..900 by 300 is 300 and 600 for this line: both have results (copied from the
    folder it never names: flat on the branch, under s1/ at v5.5.1), 900 is not planned."""
    code, run = _new(cli, fusion55_settings, STANDIN55_REVISION=revision)
    assert (code, run["status"], run["exit_code"]) == (0, "COMPLETED", 0), run
    assert run["total_erlangs"] == 2 and run["fraction_done"] == 1.0
    output = Path(str(run["run_dir"])) / "output"
    assert sorted(p.name for p in output.iterdir()) == ["300.0_erlang.json",
                                                          "600.0_erlang.json"]
    data = json.loads((output / "600.0_erlang.json").read_text())
    assert len(data["iter_stats"]["2"]["sim_block_list"]) == 3
    home = fusion55_settings.fusion_home
    assert home is not None
    theirs = sorted((home / "data" / "output" / "NSFNet").glob("*/*/**/600.0_erlang.json"))
    assert len(theirs) == 1 and theirs[0].read_bytes() == (output / "600.0_erlang.json") \
        .read_bytes()


@pytest.mark.parametrize(("revision", "said"), [
    ("branch", "FUSION's worker s1 crashed while running Erlang 600 | IndexError: list index "
               "out of range"),
    ("v5.5.1", "FUSION's worker process died (Process ForkProcess-1) | IndexError: list index "
               "out of range"),
])
def test_a_crashed_worker_is_failed_with_its_crash_line(cli: Cli, fusion55_settings: Settings,
                                                        revision: str, said: str) -> None:
    """The process exits 0 with a load missing: FAILED, the crash line shown."""
    code, run = _new(cli, fusion55_settings, STANDIN55_REVISION=revision,
                     STANDIN_CRASH_LOADS="600")
    assert (code, run["status"], run["exit_code"]) == (1, "FAILED", 0), run
    error = str(run["error_message"])
    assert error.startswith("simulator exited 0 but no results for load 600 (1 of 2 planned "
                            "loads have results)"), error
    assert said in error, error


def test_cancel_stops_every_process_of_it(fusion55_services: Services) -> None:
    """Its SIGTERM handler saves nothing (and the branch's worker goes on to its next
    load): the run is CANCELLED within the short grace, no process of it is left."""
    import os

    os.environ["STANDIN_ITER_SECONDS"] = "0.5"
    try:
        run = fusion55_services.manager.create(
            "fusion55", overrides=[*SMALL55, "general_settings.max_iters=40"])
    finally:
        del os.environ["STANDIN_ITER_SECONDS"]
    poll_until(lambda: fusion55_services.manager.get(run.id),
               lambda r: (r.current_iteration or 0) >= 1)
    assert len(procs.run_processes(run.id)) >= 2  # run_sim.py and its worker
    fusion55_services.manager.cancel(run.id)
    done = fusion55_services.manager.wait(run.id, timeout=60)
    assert done.status == RunStatus.CANCELLED, done.error_message
    assert procs.run_processes(run.id) == []
    assert not any(p.info["environ"] and p.info["environ"].get(procs.RUN_MARKER) == run.id
                   for p in psutil.process_iter(["environ"]))


def test_new_plan_shows_the_loads_before_anything_is_made(cli: Cli,
                                                          fusion55_settings: Settings) -> None:
    """`new --plan`: the loads as this line computes them (900 left out), what a load is
    to it, its warnings; no run, folder or process."""
    done = cli(fusion55_settings, "new", "-t", "fusion55", "--plan", "--json", "--set",
               "general_settings.guard_slots=2", *[f"--set={o}" for o in SMALL55])
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["loads"] == [300.0, 600.0] and plan["iterations"] == 3
    assert plan["load_meaning"].startswith("arrival rate = cores_per_link x Erlang")
    assert plan["argv"][1:3] == ["-u", "run_sim.py"]
    assert [w.split(":")[0] for w in plan["warnings"]] == ["[general_settings] guard_slots = 2"]
    text = cli(fusion55_settings, "new", "-t", "fusion55", "--plan",
               *[f"--set={o}" for o in SMALL55]).stdout
    assert text.splitlines()[0] == "loads       300, 600 Erlang (2 x 3 iterations)"
    runs = fusion55_settings.runs_dir
    assert not runs.exists() or not any(p for p in runs.iterdir() if not p.name.startswith("."))
