"""Recurring schedules through the real command line: add, list, pause, resume, rm; bad
input in one line that stores nothing; `schedule tick` starting a missed schedule once,
and once only when several ticks run at the same moment; `schedule install` writing one
line into the user's crontab (a stand-in `crontab` on PATH keeps it in HOME: the machine
has no cron, and a test must not touch the real user's table), keeping the other lines,
and that line doing its work in cron's minimal environment."""

from __future__ import annotations

import os
import shlex
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Cli
from sqlalchemy import update

from fusion_tui.base.settings import Settings
from fusion_tui.schedules.crontab import LOG_NAME, MARKER
from fusion_tui.services import Services
from fusion_tui.store.models import Schedule
from fusion_tui.store.status import utcnow

STANDIN = """#!/bin/sh
# crontab as Debian's answers: -l prints the table or says there is none; - replaces it.
table="$HOME/.crontab-standin"
case "$1" in
  -l) if [ -f "$table" ]; then exec cat "$table"; fi
      echo "no crontab for $(id -un)" >&2; exit 1 ;;
  -) cat > "$table" ;;
  *) echo "usage: crontab [-l | -]" >&2; exit 1 ;;
esac
"""


def _missed(services: Services, schedule_id: str, days: int = 3) -> None:
    """The schedule was made `days` ago: its due times since then were missed."""
    with services.store.session(write=True) as s:
        s.execute(update(Schedule).where(Schedule.id == schedule_id)
                  .values(created_at=utcnow() - timedelta(days=days)))


def test_add_list_pause_resume_rm(cli: Cli, settings: Settings, services: Services) -> None:
    made = cli.json(settings, "schedule", "add", "0 2 * * *", "-t", "fake", "-n", "nightly",
                    "--set", "general_settings.max_iters=3")
    sweep = cli.json(settings, "schedule", "add", "@hourly", "-t", "fake", "--seeds", "1-3")
    assert (made["cron"], made["what"], made["paused"]) == ("0 2 * * *", "run of fake", False)
    assert made["next_due_at"] is not None and sweep["what"] == "sweep of fake (3 points)"
    listed = cli(settings, "schedule", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "CRON", "NEXT", "LAST", "STARTED", "WHAT", "NAME"]
    assert made["id"] in listed[1] and "run of fake" in listed[1] and "nightly" in listed[1]
    paused = cli(settings, "schedule", "pause", str(made["id"])[:6])
    assert paused.stdout == f"schedule {made['id']} paused\n"
    assert cli.json(settings, "schedule", "list")[0]["next_due_at"] is None
    assert "paused" in cli(settings, "schedule", "list").stdout.splitlines()[1]
    resumed = cli(settings, "schedule", "resume", str(made["id"]))
    assert resumed.stdout.startswith(f"schedule {made['id']} resumed; next at ")
    gone = cli(settings, "schedule", "rm", str(sweep["id"]))
    assert gone.stdout == f"schedule {sweep['id']} deleted\n"
    assert [s["id"] for s in cli.json(settings, "schedule", "list")] == [made["id"]]
    assert services.store.count_runs() == 0  # nothing started by any of it


@pytest.mark.parametrize(("args", "message"), [
    (["0 2 * *", "-t", "fake"], "cron expression '0 2 * *': expected 5 fields (minute hour "
                                "day-of-month month day-of-week), got 4"),
    (["0 2 31 2 *", "-t", "fake"], "cron expression '0 2 31 2 *': it never comes due"),
    (["0 2 * * *", "-t", "nope"], "unknown template 'nope'"),
    (["0 2 * * *", "-t", "fake", "--set", "general_settings.nope=1"], "nope: unknown key"),
    (["0 2 * * *", "-t", "fake", "--array-limit", "2"], "--array-limit is for a sweep"),
    (["0 2 * * *", "-t", "fake", "--grid", "routing_settings.k_paths=0,1"], "grid point"),
])
def test_bad_input_is_one_line_and_stores_nothing(cli: Cli, settings: Settings,
                                                  services: Services, args: list[str],
                                                  message: str) -> None:
    done = cli(settings, "schedule", "add", *args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("fusion-tui: ") and message in done.stderr
    assert done.stderr.count("\n") == 1
    assert services.schedules.listing() == []
    missing = cli(settings, "schedule", "pause", "ffffffffffff")
    assert (missing.returncode, missing.stderr) == \
        (2, "fusion-tui: no schedule with id 'ffffffffffff'\n")


def test_a_tick_starts_a_missed_schedule_once(cli: Cli, settings: Settings,
                                              services: Services) -> None:
    services.store.set_queue(paused=True)  # made, not run
    made = cli.json(settings, "schedule", "add", "0 2 * * *", "-t", "fake", "-n", "nightly")
    quiet = cli(settings, "schedule", "tick")  # just made: nothing is due yet
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    _missed(services, str(made["id"]))
    ticked = cli(settings, "schedule", "tick")
    assert ticked.returncode == 0, ticked.stderr
    [line] = ticked.stdout.splitlines()
    [run] = services.store.list_runs()
    assert f"schedule {made['id']}: started run {run.id} (due " in line
    assert run.name is not None and run.name.startswith("nightly ")
    again = cli(settings, "schedule", "tick")
    assert (again.stdout, services.store.count_runs()) == ("", 1)
    [shown] = cli.json(settings, "schedule", "list")
    assert shown["last_started_id"] == run.id and shown["last_due_at"] is not None


def test_ticks_at_the_same_moment_start_a_schedule_once(cli: Cli, settings: Settings,
                                                        services: Services) -> None:
    services.store.set_queue(paused=True)
    made = cli.json(settings, "schedule", "add", "@daily", "-t", "fake")
    _missed(services, str(made["id"]))
    env = cli.env(settings)
    ticks = [cli.popen("schedule", "tick", "--json", env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE) for _ in range(4)]
    outs = [t.communicate(timeout=120) for t in ticks]
    assert [t.returncode for t in ticks] == [0, 0, 0, 0], outs
    started = [o for o, _ in outs if '"started":' in o]
    assert len(started) == 1, outs
    assert services.store.count_runs() == 1


@pytest.fixture
def crontab_bin(tmp_path: Path) -> Path:
    folder = tmp_path / "crontab-bin"
    folder.mkdir()
    Path(os.environ["HOME"]).mkdir(parents=True, exist_ok=True)  # the test's own HOME
    script = folder / "crontab"
    script.write_text(STANDIN)
    script.chmod(0o755)
    return folder


def _table(settings: Settings, env: dict[str, str]) -> list[str]:
    return (Path(env["HOME"]) / ".crontab-standin").read_text().splitlines()


def test_install_writes_one_line_and_keeps_the_others(cli: Cli, settings: Settings,
                                                      crontab_bin: Path) -> None:
    env = cli.env(settings, PATH=f"{crontab_bin}{os.pathsep}{os.environ['PATH']}")
    mine = ["MAILTO=me@example.org", "30 4 * * 1 /usr/local/bin/backup --all"]
    subprocess.run(["crontab", "-"], input="".join(f"{x}\n" for x in mine), text=True,
                   env=env, check=True)
    first = cli.run("schedule", "install", env=env)
    assert first.returncode == 0, first.stderr
    table = _table(settings, env)
    assert table[:2] == mine and len(table) == 3
    line = table[2]
    assert first.stdout == f"installed: {line}\n"
    fields = line.split(None, 5)
    assert fields[:5] == ["*"] * 5 and line.endswith(MARKER)
    assert f"{shlex.quote(cli.argv[0])} -m fusion_tui schedule tick >>" in line
    assert f"FUSION_TUI_DATABASE_URL={shlex.quote(settings.database_url)}" in line
    again = cli.run("schedule", "install", env=env)
    assert again.stdout == f"already installed: {line}\n" and _table(settings, env) == table
    removed = cli.run("schedule", "install", "--remove", env=env)
    assert (removed.returncode, removed.stdout) == (0, "removed\n")
    assert _table(settings, env) == mine
    assert cli.run("schedule", "install", "--remove", env=env).stdout == "not installed\n"


def test_install_without_crontab_prints_the_line_to_add(cli: Cli, settings: Settings,
                                                        tmp_path: Path) -> None:
    empty = tmp_path / "no-crontab"
    empty.mkdir()
    done = cli.run("schedule", "install", env=cli.env(settings, PATH=str(empty)))
    assert done.returncode == 2
    assert done.stderr == ("fusion-tui: crontab is not installed (no `crontab` command on "
                           "PATH); add the line printed above to your scheduler by hand (it "
                           "must run every minute)\n")
    [line] = done.stdout.splitlines()
    assert line.startswith("* * * * * ") and line.endswith(MARKER)
    assert not (Path(cli.env(settings)["HOME"]) / ".crontab-standin").exists()


def test_the_line_works_in_crons_minimal_environment(cli: Cli, settings: Settings,
                                                     services: Services,
                                                     crontab_bin: Path) -> None:
    services.store.set_queue(paused=True)
    env = cli.env(settings, PATH=f"{crontab_bin}{os.pathsep}{os.environ['PATH']}")
    made = cli.json(settings, "schedule", "add", "@hourly", "-t", "fake")
    _missed(services, str(made["id"]))
    assert cli.run("schedule", "install", env=env).returncode == 0
    line = _table(settings, env)[-1]
    command = line.split(None, 5)[5]  # what cron hands to /bin/sh
    home = env["HOME"]
    subprocess.run(["/bin/sh", "-c", command], check=True, timeout=120, cwd="/",
                   env={"HOME": home, "LOGNAME": "root", "SHELL": "/bin/sh",
                        "PATH": "/usr/bin:/bin"})
    [run] = services.store.list_runs()
    log = (settings.home / LOG_NAME).read_text()
    assert f"schedule {made['id']}: started run {run.id}" in log


def test_install_and_remove_leave_lines_that_are_not_this_stores(
        cli: Cli, settings: Settings, crontab_bin: Path) -> None:
    """A commented-out line and another store's tick line (another home, its own log)
    end with our marker too; neither is this store's, so both stay."""
    env = cli.env(settings, PATH=f"{crontab_bin}{os.pathsep}{os.environ['PATH']}")
    others = [f"# * * * * * an old line, switched off {MARKER}",
              "* * * * * /opt/other/.venv/bin/python -m fusion_tui schedule tick "
              f">>/scratch/other/{LOG_NAME} 2>&1 {MARKER}"]
    subprocess.run(["crontab", "-"], input="".join(f"{x}\n" for x in others), text=True,
                   env=env, check=True)
    installed = cli.run("schedule", "install", env=env)
    assert installed.returncode == 0, installed.stderr
    table = _table(settings, env)
    assert table[:2] == others and len(table) == 3
    assert table[2].endswith(f">>{shlex.quote(str(settings.home / LOG_NAME))} 2>&1 {MARKER}")
    assert cli.run("schedule", "install", env=env).stdout.startswith("already installed: ")
    removed = cli.run("schedule", "install", "--remove", env=env)
    assert (removed.returncode, removed.stdout) == (0, "removed\n")
    assert _table(settings, env) == others
