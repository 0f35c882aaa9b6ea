"""Driving FUSION 6.1, against a stand-in that behaves like it (tests/standin_fusion):
default command, template, FUSION's key rules, doctor, real errors, result folder,
progress from its log and cancel. bench/fusion_parity.py runs the real FUSION."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import run_cli

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.config import validator
from fusion_tui.config.templates import build_config, load_template, parse_ini
from fusion_tui.kinds.fusion import doctor
from fusion_tui.kinds.fusion import schema as fusion_schema
from fusion_tui.kinds.fusion.log import FusionLogParser
from fusion_tui.monitor.progress import ProgressState
from fusion_tui.runs.tail import RunTail
from fusion_tui.services import Services, open_services
from fusion_tui.sim.modulation import DEFAULT_TABLE
from fusion_tui.sim.topology import load_topology
from fusion_tui.store.status import RunStatus

STANDIN = Path(__file__).parent / "standin_fusion"
SMALL = ["general_settings.erlang_stop=600", "general_settings.max_iters=4",
         "general_settings.print_step=15"]


def make_checkout(root: Path) -> Path:
    """A FUSION 'checkout' holding the stand-in package and the data files it reads."""
    home = root / "FUSION"
    shutil.copytree(STANDIN / "fusion", home / "fusion")
    mods = home / "data" / "json_input" / "example_mods"
    mods.mkdir(parents=True)
    table = {f"{bw:g}": {name: {"max_length": reach, "slots_needed": slots}
                         for name, reach, slots in formats}
             for bw, formats in DEFAULT_TABLE.items()}
    (mods / "default_mod_formats.json").write_text(json.dumps({"DEFAULT": table}))
    raw = home / "data" / "raw"
    raw.mkdir(parents=True)
    nsf = load_topology("NSFNet")
    (raw / "nsf_network.txt").write_text("".join(
        f"{u}\t{v}\t{length:g}\n{v}\t{u}\t{length:g}\n" for u, v, length in nsf.links))
    (home / "data" / "output").mkdir()
    return home


@pytest.fixture
def fusion_settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url, fusion_home=make_checkout(tmp_path),
                         fusion_python=Path(sys.executable), cancel_grace=60.0)


@pytest.fixture
def fusion_services(fusion_settings: Settings) -> Iterator[Services]:
    svc = open_services(fusion_settings)
    yield svc
    svc.close()


def _sections(name: str = "fusion") -> dict[str, dict[str, str]]:
    return load_template(name, [shipped_templates_dir()])[1]


# -- the template and FUSION's rules ----------------------------------------------------


def test_shipped_template_holds_every_key_fusion_requires() -> None:
    sections = _sections()
    fusion_schema.validate(sections)
    for table in (fusion_schema.REQUIRED, fusion_schema.ALSO_NEEDED):
        for section, keys in table.items():
            assert set(keys) <= set(sections[section]), section
    mods = sections["general_settings"]["mod_assumption_path"]
    assert mods == "data/json_input/example_mods/default_mod_formats.json"


@pytest.mark.parametrize("key", ["thread_erlangs", "save_step", "is_grooming_enabled"])
def test_a_missing_required_key_is_named(key: str) -> None:
    sections = _sections()
    del sections["general_settings"][key]
    with pytest.raises(ConfigError, match=rf"\[general_settings\] {key}: missing"):
        fusion_schema.validate(sections)


def test_fusion_rules_not_ours(tmp_path: Path) -> None:
    """Values FUSION accepts are accepted for FUSION templates, refused for the built-in."""
    dirs = [shipped_templates_dir()]
    config = build_config("fusion", [
        *parse_overrides("general_settings.blocking_type_ci='request'",
                         "general_settings.allocation_method=priority_first",
                         "rl_settings.gamma=0.5", "routing_settings.precompute_paths=True")],
        dirs, tmp_path)
    assert config.sections["general_settings"]["allocation_method"] == "priority_first"
    assert config.sections["rl_settings"]["gamma"] == "0.5"
    with pytest.raises(ConfigError, match="allocation_method"):
        validator.validate({**_sections("minimal"), "general_settings": {
            **_sections("minimal")["general_settings"],
            "allocation_method": "priority_first"}}, "builtin", tmp_path)


def parse_overrides(*texts: str) -> list:  # type: ignore[type-arg]
    from fusion_tui.config.overrides import parse_overrides as parse
    return parse(list(texts))


@pytest.mark.parametrize(("override", "message"), [
    ("general_settings.max_iters=4.0", r"max_iters: FUSION expects an integer"),
    ("general_settings.no_such_key=1", r"unknown key: not in template 'fusion' and FUSION 6.1"),
    ("snr_settings.phi=not a dict", r"phi: FUSION expects a dictionary"),
    ("general_settings.num_requests=333", r"request_distribution: the shares give"),
    ("general_settings.erlang_step=0", r"erlang_step: must be greater than 0"),
])
def test_what_fusion_would_refuse_is_refused_first(tmp_path: Path, override: str,
                                                   message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config("fusion", parse_overrides(override), [shipped_templates_dir()], tmp_path)


def test_cli_refuses_in_one_line_and_creates_nothing(fusion_settings: Settings) -> None:
    done = run_cli(fusion_settings, "new", "-t", "fusion", "--set",
                   "general_settings.max_iters=x")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "max_iters" in done.stderr
    assert not fusion_settings.runs_dir.exists() or not any(fusion_settings.runs_dir.iterdir())


def test_fusion_run_needs_the_checkout(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    done = run_cli(settings, "new", "-t", "fusion")
    assert done.returncode == 2
    assert "FUSION_TUI_FUSION_HOME is not set" in done.stderr


def test_old_variable_is_refused_with_its_replacement(fusion_settings: Settings) -> None:
    done = run_cli(fusion_settings, "runs", FUSION_TUI_FUSION_CWD="/somewhere")
    assert done.returncode == 2
    assert "FUSION_TUI_FUSION_HOME" in done.stderr


# -- doctor -------------------------------------------------------------------------------


def test_doctor_passes_on_a_good_checkout(fusion_settings: Settings) -> None:
    done = run_cli(fusion_settings, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PROBLEM" not in done.stdout
    assert [line.split()[1] for line in done.stdout.splitlines()] == [
        "checkout", "python", "command", "template", "modulation", "network"]


def test_doctor_names_each_problem_with_its_fix(fusion_settings: Settings,
                                               tmp_path: Path) -> None:
    home = fusion_settings.fusion_home
    assert home is not None
    (home / "data" / "raw" / "nsf_network.txt").unlink()
    (home / "data" / "json_input" / "example_mods" / "default_mod_formats.json").unlink()
    broken = fusion_settings.with_overrides(
        fusion_command="{fusion_python} -m fusion.cli.run_sim --config_path {config_path}")
    checks = {c.name: c for c in doctor.diagnose(broken, _sections())}
    assert checks["checkout"].ok and checks["python"].ok
    assert "lacks the `run_sim` mode" in (checks["command"].problem or "")
    assert "does not exist in the checkout" in (checks["modulation"].problem or "")
    assert "nsf_network.txt is missing" in (checks["network"].problem or "")
    done = run_cli(fusion_settings, "doctor", "--json")
    assert done.returncode == 1
    problems = [c for c in json.loads(done.stdout) if not c["ok"]]
    assert {c["check"] for c in problems} == {"modulation", "network"}


def test_doctor_on_a_missing_or_wrong_checkout(fusion_settings: Settings,
                                               tmp_path: Path) -> None:
    missing = fusion_settings.with_overrides(fusion_home=None)
    assert "FUSION_TUI_FUSION_HOME is not set" in (doctor.diagnose(missing)[0].problem or "")
    empty = tmp_path / "empty"
    empty.mkdir()
    wrong = fusion_settings.with_overrides(fusion_home=empty)
    assert "is not a FUSION checkout" in (doctor.diagnose(wrong)[0].problem or "")
    no_fusion = fusion_settings.with_overrides(fusion_python=Path("/bin/false"))
    python = doctor.diagnose(no_fusion)[1]
    assert python.name == "python" and "cannot import FUSION" in (python.problem or "")


# -- runs against the stand-in -------------------------------------------------------------


def test_fusion_run_completes_with_results_in_its_folder(fusion_services: Services) -> None:
    run = fusion_services.manager.create("fusion", overrides=SMALL)
    done = fusion_services.manager.wait(run.id, timeout=60)
    paths = RunPaths(Path(done.run_dir))
    assert done.status == RunStatus.COMPLETED, paths.log.read_text()
    launch = json.loads(paths.launch.read_text())
    assert launch["argv"][1:5] == ["-m", "fusion.cli.run_sim", "run_sim", "--config_path"]
    assert launch["cwd"] == str(fusion_services.settings.fusion_home)
    assert sorted(p.name for p in paths.output.iterdir()) == ["300.0_erlang.json",
                                                             "600.0_erlang.json"]
    assert (done.current_iteration, done.total_iterations) == (4, 4)
    tail = RunTail(paths.progress, paths.log, paths.config, paths.output)
    import asyncio
    asyncio.run(tail.poll())
    snap = tail.snapshot()
    assert snap.fraction_done == 1.0
    for point in snap.points:
        assert point.blocking is not None and point.ci_lower is not None
        assert point.ci_lower <= point.blocking <= (point.ci_upper or 0)


def test_failed_run_shows_fusions_real_error(fusion_services: Services) -> None:
    """FUSION logs the cause first; its last line is only a consequence (KeyError)."""
    svc = fusion_services
    svc.store.set_queue(paused=True)
    run = svc.manager.create("fusion", overrides=SMALL)
    config = RunPaths(Path(run.run_dir)).config
    config.write_text(config.read_text().replace("thread_erlangs = False\n", ""))
    svc.store.set_queue(paused=False)
    svc.manager.schedule()
    done = svc.manager.wait(run.id, timeout=60)
    assert done.status == RunStatus.FAILED and done.exit_code == 1
    assert done.error_message == (
        "simulator exited with code 1: Configuration error: Missing required option "
        "'thread_erlangs' in section [general_settings] | KeyError: 'mod_assumption'")


def test_cancel_kills_once_fusion_has_saved(fusion_services: Services) -> None:
    """FUSION's SIGTERM handler saves and carries on: the kill follows the save, not the
    60 s grace, and the partial results stay in output/."""
    svc = fusion_services
    run = svc.manager.create("fusion", overrides=[
        "general_settings.max_iters=10000", "general_settings.print_step=1"])
    paths = RunPaths(Path(run.run_dir))
    from helpers import eventually
    eventually(lambda: "CHILD=s1 iteration=2" in paths.log.read_text(), timeout=30)
    svc.manager.cancel(run.id)
    done = svc.manager.wait(run.id, timeout=50)
    assert done.status == RunStatus.CANCELLED
    details = [e.detail or "" for e in svc.store.events(run.id)]
    assert any("SIGKILL" in d and "saved its statistics" in d for d in details), details
    assert "Statistics saved due to signal" in paths.log.read_text()
    assert (paths.output / "300.0_erlang.json").is_file()


def test_result_folder_outside_the_checkout_is_not_copied(fusion_settings: Settings,
                                                          tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "300.0_erlang.json").write_text("{}")
    done = run_cli(fusion_settings, "new", "-t", "fusion", "--wait", "--json",
                   *[a for o in SMALL for a in ("--set", o)], STANDIN_SAVING_TO=str(outside))
    run_dir = next(fusion_settings.runs_dir.glob("[0-9a-f]*"))
    paths = RunPaths(run_dir)
    assert list(paths.output.iterdir()) == []
    assert "not inside the simulator's data/output folder" in paths.supervisor_log.read_text()
    # Results it cannot vouch for are no results: the run is not called COMPLETED.
    assert done.returncode == 1, done.stderr
    run = json.loads(done.stdout)
    assert (run["status"], run["exit_code"]) == ("FAILED", 0)
    assert "no results for loads 300, 600" in run["error_message"]


# -- progress from FUSION's log -------------------------------------------------------------


def _standin_log(tmp_path: Path, print_step: int) -> list[str]:
    home = make_checkout(tmp_path)
    sections = _sections()
    sections["general_settings"].update(max_iters="6", print_step=str(print_step),
                                        erlang_stop="600")
    ini = tmp_path / "c.ini"
    import configparser
    parser = configparser.ConfigParser()
    parser.read_dict(sections)
    with ini.open("w") as fh:
        parser.write(fh)
    import subprocess
    out = subprocess.run([sys.executable, "-m", "fusion.cli.run_sim", "run_sim",
                          "--config_path", str(ini), "--run_id", "x"], cwd=home,
                         capture_output=True, text=True, check=True,
                         env={"STANDIN_ITER_SECONDS": "0", "STANDIN_BLOCKING": "0.1",
                              "PATH": "/usr/bin:/bin"})
    return out.stdout.splitlines()


@pytest.mark.parametrize("print_step", [1, 15])
def test_progress_moves_each_iteration_and_never_goes_back(tmp_path: Path,
                                                           print_step: int) -> None:
    lines = _standin_log(tmp_path, print_step)
    parser, state = FusionLogParser(), ProgressState.planned((2, 6))
    fractions = []
    for line in lines:
        event = parser.parse(line)
        if event is not None:
            state.apply(event)
        done = (state.erlang_index or 0) * 6 + (state.current_iteration or 0)
        fractions.append(done / 12)
    assert fractions == sorted(fractions), "progress went backwards"
    assert fractions[-1] == 1.0
    # constant blocking: FUSION's interval is 0 after two iterations, so it stops early
    assert any("reached. 2, ending for Erlang: 300.0" in ln for ln in lines)
    assert state.points[300.0].iterations_done == 2 and state.points[300.0].complete
    assert state.output_dir is not None and state.output_dir.endswith("/s1")


def test_error_and_traceback_are_parsed() -> None:
    parser, state = FusionLogParser(), ProgressState()
    for line in [
        "2026-11-23 16:02:50,360 - fusion.cli.config_setup - ERROR - Configuration error: "
        "Missing required option 'x' in section [general_settings]",
        "2026-11-23 16:02:50,390 - __main__ - ERROR - Simulation error: 'mod_assumption'",
        "Traceback (most recent call last):",
        '  File "/f/run_sim.py", line 38, in main',
        "    run_simulation_pipeline(args, stop_flag)",
        "KeyError: 'mod_assumption'",
    ]:
        event = parser.parse(line)
        if event is not None:
            state.apply(event)
    assert state.failure == ("Configuration error: Missing required option 'x' in section "
                             "[general_settings] | KeyError: 'mod_assumption'")


def test_seconds_per_iteration_come_from_log_times() -> None:
    parser, state = FusionLogParser(), ProgressState.planned((1, 10))
    for second, line in enumerate([
        "Starting simulation for 300.0 Erlang (load 1/1)",
        "CHILD=s1 iteration=0, done_units=1", "CHILD=s1 iteration=1, done_units=2",
        "CHILD=s1 iteration=2, done_units=3"]):
        event = parser.parse(f"2026-11-23 10:00:{second * 2:02d},000 - x - INFO - {line}")
        assert event is not None
        state.apply(event)
    assert state.seconds_per_iteration == 2.0
    assert state.current_iteration == 3


def test_template_paths_are_parsed_with_the_ini_reader() -> None:
    text = (shipped_templates_dir() / "fusion.ini").read_text()
    sections, meta = parse_ini(text, "fusion.ini")
    assert meta["simulator"] == "fusion" and "fusion_tui" not in sections


# -- in the app -------------------------------------------------------------------------------


async def test_app_creates_a_fusion_run_and_checks_the_setup(fusion_services: Services) -> None:
    """From the form: the run goes to FUSION, a toast reports the set-up check, and the
    detail chart gets FUSION's per-load blocking with its interval from the result files."""
    from helpers import open_new_run, until, working

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.detail import DetailScreen
    from fusion_tui.tui.screens.new_run import NewRunScreen

    svc = fusion_services
    app = create_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_new_run(pilot, "fusion")
        screen.query_one("#general_settings--max_iters").value = "3"
        screen.query_one("#general_settings--erlang_stop").value = "600"
        await until(pilot, lambda: not working(app, "check"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewRunScreen))
        await until(pilot, lambda: any(n.title == "FUSION set-up" for n in app._notifications),
                    timeout=60)
        note = next(n for n in app._notifications if n.title == "FUSION set-up")
        assert note.message == "checkout, Python, command and files are fine"
        run = svc.store.list_runs()[0]
        assert run.simulator == "fusion"
        done = svc.manager.wait(run.id, timeout=60)
        assert done.status == RunStatus.COMPLETED
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        await until(pilot, lambda: detail.snapshot is not None and len(  # type: ignore[attr-defined]
            [p for p in detail.snapshot.points if p.ci_upper is not None]) == 2, timeout=30)  # type: ignore[attr-defined]


def test_result_mirror_copies_only_regular_files_inside_the_checkout(tmp_path: Path) -> None:
    from fusion_tui.kinds.fusion.mirror import ResultMirror, allowed_source

    home = tmp_path / "FUSION"
    folder = home / "data" / "output" / "NSFNet" / "1123" / "10_00_00_000001" / "s1"
    folder.mkdir(parents=True)
    (folder / "300.0_erlang.json").write_text('{"blocking_mean": 0.1}')
    import os
    os.mkfifo(folder / "600.0_erlang.json")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the run folder")
    (folder / "900.0_erlang.json").symlink_to(secret)
    (folder / "sub").mkdir()
    assert allowed_source(str(folder), home) == folder
    assert allowed_source(str(home / "data" / "output" / ".." / ".."), home) is None
    assert allowed_source("/etc", home) is None
    link = home / "data" / "output" / "escape"
    link.symlink_to(tmp_path)
    assert allowed_source(str(link), home) is None
    dest = tmp_path / "run" / "output"
    mirror = ResultMirror(dest, limit=1 << 30)
    assert mirror.sync(folder) == 1
    assert sorted(p.name for p in dest.iterdir()) == ["300.0_erlang.json"]
    assert mirror.sync(folder) == 0  # unchanged: nothing copied again
    (folder / "300.0_erlang.json").write_text('{"blocking_mean": 0.25}')
    assert mirror.sync(folder) == 1
    assert json.loads((dest / "300.0_erlang.json").read_text()) == {"blocking_mean": 0.25}


async def test_form_keeps_a_fusion_allocation_method_the_builtin_lacks(
        fusion_services: Services) -> None:
    """A FUSION template with priority_first: the form offers and keeps it (it must not
    silently become first_fit)."""
    from helpers import open_new_run, until, working

    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.new_run import NewRunScreen

    svc = fusion_services
    folder = svc.settings.user_templates_dir
    folder.mkdir(parents=True, exist_ok=True)
    text = (shipped_templates_dir() / "fusion.ini").read_text()
    (folder / "prio.ini").write_text(text.replace("allocation_method = first_fit",
                                                  "allocation_method = priority_first"))
    app = create_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_new_run(pilot, "prio")
        field = screen.query_one("#general_settings--allocation_method")
        await until(pilot, lambda: field.value == "priority_first")
        screen.query_one("#general_settings--max_iters").value = "2"
        await until(pilot, lambda: not working(app, "check"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewRunScreen))
        run = svc.store.list_runs()[0]
        assert "allocation_method = priority_first" in RunPaths(Path(run.run_dir)).config \
            .read_text()
        svc.manager.wait(run.id, timeout=60)
