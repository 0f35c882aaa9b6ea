"""Driving FUSION 6.1, against a stand-in that behaves like it (tests/standin_fusion):
default command, doctor, real errors, result folder, progress from its log and cancel.
Its rules without a run are tests/unit/test_fusion_rules.py, the app's side
tests/tui/test_fusion_app.py; bench/fusion_parity.py runs the real FUSION."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import pytest
from conftest import make_settings
from fusion_checkout import SMALL, fusion_sections, make_checkout
from helpers import Cli

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.kinds.formats.loglines import FusionLogParser
from fusion_tui.kinds.fusion import doctor
from fusion_tui.kinds.registry import kind_for
from fusion_tui.monitor.progress import ProgressState
from fusion_tui.runs.tail import RunTail
from fusion_tui.services import Services
from fusion_tui.store.status import RunStatus

T95_DF3 = 3.182446305284263  # Student's t, two-sided 95%, 3 degrees of freedom


def test_cli_refuses_in_one_line_and_creates_nothing(cli: Cli, fusion_settings: Settings) -> None:
    done = cli(fusion_settings, "new", "-t", "fusion", "--set",
               "general_settings.max_iters=x")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "max_iters" in done.stderr
    assert not fusion_settings.runs_dir.exists() or not any(fusion_settings.runs_dir.iterdir())


def test_fusion_run_needs_the_checkout(cli: Cli, tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    done = cli(settings, "new", "-t", "fusion")
    assert done.returncode == 2
    assert "FUSION_TUI_FUSION_HOME is not set" in done.stderr


def test_old_variable_is_refused_with_its_replacement(cli: Cli, fusion_settings: Settings) -> None:
    done = cli(fusion_settings, "runs", FUSION_TUI_FUSION_CWD="/somewhere")
    assert done.returncode == 2
    assert "FUSION_TUI_FUSION_HOME" in done.stderr


# -- doctor -------------------------------------------------------------------------------


def test_doctor_passes_on_a_good_checkout(cli: Cli, fusion_settings: Settings) -> None:
    done = cli(fusion_settings, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PROBLEM" not in done.stdout
    assert [line.split()[1] for line in done.stdout.splitlines()] == [
        "checkout", "python", "command", "template", "modulation", "network"]


def test_doctor_names_each_problem_with_its_fix(cli: Cli, fusion_settings: Settings,
                                               tmp_path: Path) -> None:
    home = fusion_settings.fusion_home
    assert home is not None
    (home / "data" / "raw" / "nsf_network.txt").unlink()
    (home / "data" / "json_input" / "example_mods" / "default_mod_formats.json").unlink()
    broken = fusion_settings.with_overrides(
        fusion_command="{fusion_python} -m fusion.cli.run_sim --config_path {config_path}")
    checks = {c.name: c for c in doctor.diagnose(broken, fusion_sections())}
    assert checks["checkout"].ok and checks["python"].ok
    assert "lacks the `run_sim` mode" in (checks["command"].problem or "")
    assert "does not exist in the checkout" in (checks["modulation"].problem or "")
    assert "nsf_network.txt is missing" in (checks["network"].problem or "")
    done = cli(fusion_settings, "doctor", "--json")
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


def test_doctor_and_new_warn_of_a_setting_fusion_crashes_on(cli: Cli,
                                                            fusion_settings: Settings) -> None:
    """A template with guard_slots = 2: doctor -t names FUSION's error (exit 1, the run
    would crash) and `new` still makes the run but says so on stderr, one line."""
    from fusion_tui.base.resources import shipped_templates_dir

    folder = fusion_settings.user_templates_dir
    folder.mkdir(parents=True, exist_ok=True)
    text = (shipped_templates_dir() / "fusion.ini").read_text()
    (folder / "guard2.ini").write_text(text.replace("guard_slots = 1", "guard_slots = 2"))
    done = cli(fusion_settings, "doctor", "-t", "guard2")
    assert done.returncode == 1, done.stdout + done.stderr
    crash = [line for line in done.stdout.splitlines() if line.split()[1] == "crash"]
    assert len(crash) == 1 and crash[0].startswith("PROBLEM")
    assert "guard_slots = 2 with first_fit" in crash[0] and "BufferError" in crash[0]
    made = cli(fusion_settings, "new", "-t", "guard2", *[f"--set={s}" for s in SMALL])
    assert made.returncode == 0, made.stderr
    assert made.stderr.count("\n") == 1
    assert made.stderr.startswith("fusion-tui: warning: [general_settings] guard_slots = 2")
    assert cli(fusion_settings, "doctor", "-t", "fusion").returncode == 0


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
    tail = RunTail(paths, kind_for("fusion"))
    import asyncio
    asyncio.run(tail.poll())
    snap = tail.snapshot()
    assert snap.fraction_done == 1.0
    for point in snap.points:
        assert point.blocking is not None and point.ci_lower is not None
        assert point.ci_lower <= point.blocking <= (point.ci_upper or 0)


def test_results_without_fusions_statistics_are_read_from_their_iterations(
        fusion_services: Services, cli: Cli, fusion_settings: Settings) -> None:
    """`is_training = True`: FUSION writes its eight statistics as null. The run is
    complete (every load has its file), and the chart, comparison and export show the
    mean of each file's per-iteration lists."""
    run = fusion_services.manager.create(
        "fusion", overrides=[*SMALL, "rl_settings.is_training=True"])
    done = fusion_services.manager.wait(run.id, timeout=60)
    paths = RunPaths(Path(done.run_dir))
    assert done.status == RunStatus.COMPLETED, paths.log.read_text()
    doc = json.loads((paths.output / "300.0_erlang.json").read_text())
    assert doc["blocking_mean"] is None and doc["bit_rate_blocking_mean"] is None
    blocking = doc["iter_stats"]["3"]["sim_block_list"]
    bit_rate = doc["iter_stats"]["3"]["sim_br_block_list"]
    assert len(blocking) == 4  # no early stop under is_training
    tail = RunTail(paths, kind_for("fusion"))
    import asyncio
    asyncio.run(tail.poll())
    assert next(p.blocking for p in tail.snapshot().points) == pytest.approx(
        sum(blocking) / 4)
    compared = cli(fusion_settings, "compare", done.id, "--json")
    assert compared.returncode == 0, compared.stderr
    (group,) = json.loads(compared.stdout)["groups"]
    assert group["points"][0]["erlang"] == 300.0
    assert group["points"][0]["mean"] == pytest.approx(sum(blocking) / 4)
    exported = cli(fusion_settings, "export", done.id, "--format", "json")
    assert exported.returncode == 0, exported.stderr
    table = {(r["erlang"], r["metric"]): r for r in json.loads(exported.stdout)}
    assert table[(300.0, "blocking")]["value"] == pytest.approx(sum(blocking) / 4)
    assert table[(300.0, "bit_rate_blocking")]["value"] == pytest.approx(sum(bit_rate) / 4)
    # FUSION's files hold no 95% interval; both metrics get it from their iterations
    for metric, values in (("blocking", blocking), ("bit_rate_blocking", bit_rate)):
        half = T95_DF3 * statistics.stdev(values) / 2  # sqrt(4 iterations)
        mean = statistics.fmean(values)
        row = table[(300.0, metric)]
        assert (row["ci95_low"], row["ci95_high"]) == pytest.approx(
            (max(0.0, mean - half), mean + half))


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


def test_result_folder_outside_the_checkout_is_not_copied(cli: Cli, fusion_settings: Settings,
                                                          tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "300.0_erlang.json").write_text("{}")
    done = cli(fusion_settings, "new", "-t", "fusion", "--wait", "--json",
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
    sections = fusion_sections()
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
