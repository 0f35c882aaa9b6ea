"""The scripting CLI as a user runs it: real `python -m fusion_tui` processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from helpers import Cli

from fusion_tui.base.settings import Settings
from fusion_tui.store.revision import HEAD_REVISION


@pytest.fixture
def cli_settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


def test_create_wait_show_logs_stats_rm(cli: Cli, cli_settings: Settings) -> None:
    created = cli.json(cli_settings, "new", "--template", "fake", "--name", "[b]bold[/b]",
                       "--set", "general_settings.max_iters=3")
    assert created["status"] == "RUNNING" and created["name"] == "[b]bold[/b]"
    run_id = created["id"]
    waited = cli(cli_settings, "wait", run_id)
    assert waited.returncode == 0 and waited.stdout.strip() == f"{run_id} COMPLETED"
    listed = cli.json(cli_settings, "runs", "--status", "completed")
    assert [r["id"] for r in listed] == [run_id]
    assert cli.json(cli_settings, "runs", "--status", "FAILED") == []
    shown = cli.json(cli_settings, "show", run_id[:6])
    assert shown["config"]["general_settings"]["max_iters"] == "3"
    assert [e["kind"] for e in shown["events"]] == ["created", "started", "completed"]
    assert (shown["exit_code"], shown["fraction_done"]) == (0, 1.0)
    logs = cli(cli_settings, "logs", run_id)
    assert "Iteration 3 out of 3 completed for Erlang: 200.0" in logs.stdout
    lines = [json.loads(x) for x in cli(cli_settings, "logs", run_id, "--json").stdout.split("\n")
             if x]
    assert lines[0] == {"line": logs.stdout.splitlines()[0]}
    stats = cli.json(cli_settings, "stats")
    assert stats["counts"]["COMPLETED"] == 1 and stats["success_rate"] == 1.0
    assert cli.json(cli_settings, "rm", run_id) == {"id": run_id, "deleted": True}
    gone = cli(cli_settings, "show", run_id)
    assert gone.returncode == 2
    assert gone.stderr == f"fusion-tui: no run with id {run_id!r}\n"


def test_logs_follow_ends_with_the_run(cli: Cli, cli_settings: Settings) -> None:
    run = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.sleep=0.2")
    followed = cli(cli_settings, "logs", run["id"], "--follow")
    assert followed.returncode == 0
    assert followed.stdout.rstrip().endswith("Iteration 2 out of 2 completed for Erlang: 200.0")


def test_wait_mirrors_the_run(cli: Cli, cli_settings: Settings) -> None:
    failed = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.behaviour=fail")
    assert cli(cli_settings, "wait", failed["id"]).returncode == 3
    hanging = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.behaviour=hang")
    waited = cli(cli_settings, "wait", hanging["id"], "--timeout", "0.5")
    assert waited.returncode == 124
    assert waited.stderr == (f"fusion-tui: run {hanging['id']} still RUNNING after --timeout "
                             "0.5 s\n")
    cancelled = cli(cli_settings, "cancel", hanging["id"])
    assert cancelled.returncode == 0, cancelled.stderr
    assert cli(cli_settings, "wait", hanging["id"]).returncode == 130


@pytest.mark.parametrize("args,message", [
    (["show", "nothex"], "invalid run id 'nothex'"),
    (["show", "0123456789ab"], "no run with id '0123456789ab'"),
    (["cancel", "0123456789ab"], "no run with id"),
    (["new"], "the following arguments are required: --template/-t"),
    (["new", "-t", "fake", "--set", "general_settings.erlang_step=0"],
     "[general_settings] erlang_step: must be greater than 0"),
    (["runs", "--status", "DONE"], "status 'done': expected one of pending, running"),
    (["frobnicate"], "invalid choice"),
    (["db", "reset"], "refusing to reset the database"),
])
def test_errors_are_one_line_with_status_2(
        cli: Cli, cli_settings: Settings, args: list[str], message: str) -> None:
    result = cli(cli_settings, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    runs_dir = cli_settings.runs_dir
    assert not runs_dir.exists() or list(runs_dir.iterdir()) == []


def test_cancel_of_finished_run_is_refused(cli: Cli, cli_settings: Settings) -> None:
    run = cli.json(cli_settings, "new", "-t", "fake")
    cli(cli_settings, "wait", run["id"])
    result = cli(cli_settings, "cancel", run["id"])
    assert (result.returncode, result.stderr) == (
        2, f"fusion-tui: run {run['id']} is already COMPLETED\n")


def test_templates_and_db_commands(cli: Cli, cli_settings: Settings) -> None:
    names = {t["name"] for t in cli.json(cli_settings, "templates")}
    assert {"minimal", "default", "fusion", "fake"} <= names
    upgraded = cli.json(cli_settings, "db", "upgrade")
    assert upgraded["revision"] == HEAD_REVISION
    assert cli.json(cli_settings, "db", "check")["healthy"] is True
    run = cli.json(cli_settings, "new", "-t", "fake")
    cli(cli_settings, "wait", run["id"])
    reset = cli(cli_settings, "db", "reset", FUSION_TUI_ENVIRONMENT="development")
    assert reset.returncode == 0, reset.stderr
    assert cli.json(cli_settings, "runs") == []


def test_bare_command_without_terminal_says_so(cli: Cli, cli_settings: Settings) -> None:
    """Bare `fusion-tui` opens the app (tested in tmux); piped, it refuses in one line."""
    result = cli(cli_settings)
    assert result.returncode == 2
    assert result.stderr.startswith("fusion-tui: the app needs a terminal")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


@pytest.mark.parametrize(("change", "message"), [
    ({"database_url": "mysql://u@localhost/db"},
     "database_url mysql://u@localhost/db: unsupported database backend 'mysql'"),
    ({"database_url": "postgresql://u:secret@127.0.0.1:1/db"},
     "cannot open the database postgresql://u:***@127.0.0.1:1/db: connection failed"),
    ({"database_url": "postgresql+pg8000://u:secret@localhost/db"},
     "database_url postgresql+pg8000://u:***@localhost/db: its driver pg8000 is not installed"),
    ({"home": Path("/proc/fusion-tui-home")}, "cannot create the folder /proc/fusion-tui-home"),
])
def test_a_store_that_cannot_open_is_one_line(
        cli: Cli, cli_settings: Settings, change: dict[str, Any], message: str) -> None:
    settings = cli_settings.with_overrides(**change)
    # `db check` reports an unreachable server itself (exit 1); a bad URL is still bad input
    bad_url = "unsupported" in message or "driver" in message
    commands = [["runs"], ["db", "check"]] if bad_url else [["runs"]]
    for command in commands:
        result = cli(settings, *command)
        assert result.returncode == 2
        assert result.stderr.startswith(f"fusion-tui: {message}"), result.stderr
        assert result.stderr.count("\n") == 1 and "secret" not in result.stderr


def test_show_of_a_run_without_progress_says_so_and_never_none(cli: Cli,
                                                               cli_settings: Settings) -> None:
    """A run that ended before its first iteration has no iteration to show."""
    run = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.behaviour=silent",
                   "--set", "fake.sleep=0")
    cli(cli_settings, "wait", run["id"])
    shown = cli(cli_settings, "show", run["id"]).stdout
    lines = dict(line.split(None, 1) for line in shown.splitlines()
                 if line.startswith(("iteration", "erlang ")))
    assert lines == {"iteration": "-", "erlang": "-"}, shown
    assert "None" not in shown


def test_at_last_is_your_newest_run_wherever_an_id_is_taken(cli: Cli,
                                                           cli_settings: Settings) -> None:
    none = cli(cli_settings, "show", "@last")
    assert none.returncode == 2 and none.stderr == "fusion-tui: @last: you have no runs yet\n"
    cli.json(cli_settings, "new", "-t", "fake")
    second = cli.json(cli_settings, "new", "-t", "fake", "--name", "second")
    assert cli(cli_settings, "wait", "@last").stdout.split()[0] == second["id"]
    assert cli.json(cli_settings, "show", "@last")["name"] == "second"
    assert cli.json(cli_settings, "show", "-")["id"] == second["id"]
    assert "Iteration 2 out of 2" in cli(cli_settings, "logs", "@last").stdout
    no_sweep = cli(cli_settings, "sweep", "show", "@last")
    assert no_sweep.returncode == 2 and "you have no sweeps yet" in no_sweep.stderr


def test_runs_says_what_its_options_did(cli: Cli, cli_settings: Settings) -> None:
    """A limit below 1 is refused; a filter no run matches is said as such, not "No runs
    yet"."""
    cli.json(cli_settings, "new", "-t", "fake")
    zero = cli(cli_settings, "runs", "--limit", "0")
    assert zero.returncode == 2 and "--limit: expected 1 or more, got 0" in zero.stderr
    assert cli(cli_settings, "runs", "--status", "FAILED").stdout == "No runs match.\n"


def test_wait_takes_a_sweep_or_all_of_your_runs(cli: Cli, cli_settings: Settings) -> None:
    nothing = cli(cli_settings, "wait")
    assert nothing.returncode == 2 and "give run or sweep ids, or --all" in nothing.stderr
    assert cli(cli_settings, "wait", "--all").stdout == "no unfinished runs\n"
    sweep = cli.json(cli_settings, "sweep", "new", "-t", "fake", "--grid", "fake.sleep=0,0.01")
    waited = cli(cli_settings, "wait", sweep["id"], "--json")
    assert waited.returncode == 0, waited.stderr
    runs = json.loads(waited.stdout)
    assert sorted(r["id"] for r in runs) == sorted(r["id"] for r in sweep["runs"])
    assert {r["status"] for r in runs} == {"COMPLETED"}
    go = cli_settings.home / "go"
    held = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.behaviour=hold",
                    "--set", f"fake.go={go}")
    held_up = cli(cli_settings, "wait", "--all", "--timeout", "0.5")  # held until `go`
    assert held_up.returncode == 124 and held["id"] in held_up.stderr, held_up.stderr
    go.write_text("")
    assert cli(cli_settings, "wait", "--all").returncode == 0
    assert cli.json(cli_settings, "show", held["id"])["status"] == "COMPLETED"


def test_show_of_a_running_run_reads_its_progress_from_the_folder(
        cli: Cli, cli_settings: Settings) -> None:
    """The store hears of progress only every so often; `show` reads the run folder, as the
    app's detail screen does: its iteration, ETA and loads so far."""
    from helpers import poll_until

    run = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.sleep=0.2",
                   "--set", "general_settings.max_iters=50")
    shown = poll_until(lambda: cli.json(cli_settings, "show", run["id"]),
                       lambda d: d["live"] is not None and
                       (d["live"]["current_iteration"] or 0) >= 3)
    live = shown["live"]
    assert live["fraction_done"] == live["current_iteration"] / (50 * 2)
    assert live["loads"][0]["erlang"] == 100.0 and live["loads"][0]["iterations_done"] >= 3
    assert live["fraction_done"] >= (shown["fraction_done"] or 0.0)
    text = cli(cli_settings, "show", run["id"]).stdout
    assert "(now, from the run folder)" in text and "\neta " in text
    assert "\nload             100 Erlang: " in text
    cli(cli_settings, "cancel", run["id"])
    done = poll_until(lambda: cli.json(cli_settings, "show", run["id"]),
                      lambda d: d["status"] == "CANCELLED")
    assert done["live"] is None


def test_cancel_and_restart_take_a_selection(cli: Cli, cli_settings: Settings) -> None:
    """`cancel --status PENDING`, `cancel --sweep S`, `restart --failed --sweep S`: one
    command for many runs; a selection and ids together, or neither, is one line, exit 2."""
    assert cli(cli_settings, "pause").returncode == 0
    queued = [cli.json(cli_settings, "new", "-t", "fake")["id"] for _ in range(3)]
    neither = cli(cli_settings, "cancel")
    assert neither.returncode == 2 and neither.stderr.count("\n") == 1
    both = cli(cli_settings, "cancel", queued[0], "--status", "PENDING")
    assert both.returncode == 2 and "give run ids, or" in both.stderr
    done = cli.json(cli_settings, "cancel", "--status", "PENDING")
    assert sorted(r["id"] for r in done) == sorted(queued)
    assert {r["status"] for r in done} == {"CANCELLED"}
    assert cli(cli_settings, "cancel", "--status", "PENDING").stdout == "no runs match\n"
    sweep = cli.json(cli_settings, "sweep", "new", "-t", "fake", "--grid",
                     "fake.behaviour=ok,fail")
    cancelled = cli.json(cli_settings, "cancel", "--sweep", sweep["id"])
    assert sorted(r["id"] for r in cancelled) == sorted(r["id"] for r in sweep["runs"])
    assert cli(cli_settings, "start").returncode == 0
    failing = cli.json(cli_settings, "sweep", "new", "-t", "fake", "--grid",
                       "fake.behaviour=ok,fail")
    cli(cli_settings, "wait", failing["id"])
    failed = [r["id"] for r in failing["runs"]
              if cli.json(cli_settings, "show", r["id"])["status"] == "FAILED"]
    restarted = cli.json(cli_settings, "restart", "--failed", "--sweep", failing["id"])
    assert [r["origin_id"] for r in restarted] == failed and len(failed) == 1


def test_runs_lists_results_and_sweep_points(cli: Cli, cli_settings: Settings) -> None:
    """`runs` reads each finished run's results once (the fake simulator blocks 0.01 at
    its last load, 200) and shows a sweep's run by its point; `--json` carries both."""
    cli(cli_settings, "parallel", "4")
    sweep = cli.json(cli_settings, "sweep", "new", "-t", "fake", "-n", "[b]fits[/b]", "--grid",
                     "routing_settings.k_paths=1,2", "--grid",
                     "general_settings.allocation_method=first_fit,best_fit")
    failed = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.behaviour=fail")
    assert cli(cli_settings, "wait", sweep["id"]).returncode == 0
    cli(cli_settings, "wait", failed["id"])
    text = cli(cli_settings, "runs")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "PROGRESS", "BLOCKING", "INTERVAL", "TEMPLATE",
                                "WHERE", "OWNER", "CREATED", "RUN"]
    by_id = {line.split()[0]: line for line in lines[1:]}
    for run in sweep["runs"]:
        k = run["point"]["routing_settings.k_paths"]
        fit = {"first_fit": "ff", "best_fit": "bf"}[
            run["point"]["general_settings.allocation_method"]]
        assert by_id[run["id"]].split()[3:5] == ["0.01000", "-"]  # 4 significant digits
        assert by_id[run["id"]].endswith(f"k={k} {fit}  [b]fits[/b]")
    # The failed run stopped after its first load (100): what it has is shown.
    assert by_id[failed["id"]].split()[1:4] == ["FAILED", "50.0%", "0"]
    listed = {r["id"]: r for r in cli.json(cli_settings, "runs")}
    assert listed[sweep["runs"][0]["id"]]["result"] == {
        "erlang": 200.0, "metric": "blocking", "mean": 0.01, "ci95_low": None,
        "ci95_high": None}
    assert listed[sweep["runs"][0]["id"]]["point"] == sweep["runs"][0]["point"]
    assert listed[failed["id"]]["result"]["erlang"] == 100.0
