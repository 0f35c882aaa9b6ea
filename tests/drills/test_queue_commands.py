"""The commands people expect from a job queue (pueue's, tried as a new user would):
several ids at once, restart, clean, logs --lines, JSON errors, short id prefixes."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import Cli

from fusion_tui.base.settings import Settings
from fusion_tui.services import Services
from fusion_tui.store.status import RunStatus


def test_cancel_rm_and_wait_take_several_ids(
        cli: Cli, settings: Settings, services: Services) -> None:
    services.store.set_queue(paused=True)
    runs = [services.manager.create("fake") for _ in range(3)]
    ids = [r.id for r in runs]
    out = cli(settings, "cancel", *ids[:2], "--json")
    assert out.returncode == 0, out.stderr
    assert [r["status"] for r in json.loads(out.stdout)] == ["CANCELLED", "CANCELLED"]
    waited = cli(settings, "wait", *ids[:2])
    assert waited.returncode == 130 and waited.stdout.split() == \
        [ids[0], "CANCELLED", ids[1], "CANCELLED"]
    # One bad id among good ones: the good ones are done, the bad one named, exit 2.
    gone = cli(settings, "rm", ids[0], "ffffffffffff", ids[1])
    assert gone.returncode == 2
    assert gone.stdout.split("\n")[:2] == [f"{ids[0]} deleted", f"{ids[1]} deleted"]
    assert gone.stderr.strip() == "fusion-tui: no run with id 'ffffffffffff'"
    assert [r.id for r in services.store.list_runs()] == [ids[2]]


def test_restart_makes_a_linked_run_with_the_same_frozen_config(cli: Cli, settings: Settings,
                                                                 services: Services) -> None:
    first = services.manager.create("fake", name="original",
                                    overrides=["general_settings.max_iters=3"])
    services.manager.wait(first.id, timeout=60)
    out = cli(settings, "restart", first.id, "--json")
    assert out.returncode == 0, out.stderr
    again = json.loads(out.stdout)
    assert again["origin_id"] == first.id and again["id"] != first.id
    assert again["config_hash"] == services.manager.get(first.id).config_hash
    assert again["name"] == "original"
    events = services.store.events(again["id"])
    assert events[0].detail == f"template fake; restart of {first.id}"
    done = services.manager.wait(again["id"], timeout=60)
    assert done.status == RunStatus.COMPLETED


def test_clean_removes_finished_runs_and_asks_first(cli: Cli, settings: Settings,
                                                    services: Services) -> None:
    services.store.set_queue(paused=True)
    keep = services.manager.create("fake")
    old = [services.manager.create("fake") for _ in range(2)]
    for run in old:
        services.manager.cancel(run.id)
    refused = cli(settings, "clean")
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    assert services.store.count_runs() == 3
    young = cli(settings, "clean", "--older-than", "1h", "--yes", "--json")
    assert json.loads(young.stdout) == {"deleted": []}
    asked = subprocess.run(
        [sys.executable, "-c", "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)",
         *cli.argv, "clean", "--status", "CANCELLED"],
        input=b"y\n", capture_output=True, env=cli.env(settings), timeout=60)
    assert b"Delete 2 finished run(s)" in asked.stdout and b"deleted 2 run(s)" in asked.stdout
    assert [r.id for r in services.store.list_runs()] == [keep.id]
    bad = cli(settings, "clean", "--older-than", "soon")
    assert bad.returncode == 2 and "expected a duration" in bad.stderr


def test_logs_lines_and_follow_from_the_last_lines(cli: Cli, settings: Settings,
                                                   services: Services) -> None:
    run = services.manager.create("fake", overrides=["general_settings.max_iters=4"])
    services.manager.wait(run.id, timeout=60)
    every = cli(settings, "logs", run.id).stdout.splitlines()
    assert len(every) > 3
    assert cli(settings, "logs", run.id, "--lines", "3").stdout.splitlines() == every[-3:]
    followed = cli(settings, "logs", run.id, "-n", "2", "--follow")
    assert followed.stdout.splitlines() == every[-2:]


def test_json_errors_and_short_prefixes(cli: Cli, settings: Settings, services: Services) -> None:
    short = cli(settings, "show", "abc", "--json")
    assert short.returncode == 2
    message = "run id prefix 'abc' is too short: a prefix needs at least 4 characters"
    assert short.stderr.strip() == f"fusion-tui: {message}"
    assert json.loads(short.stdout) == {"error": message}
    missing = cli(settings, "new", "-t", "nosuch", "--json")
    assert missing.returncode == 2 and "unknown template" in json.loads(missing.stdout)["error"]
    plain = cli(settings, "show", "abc")
    assert plain.stdout == ""
