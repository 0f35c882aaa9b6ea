"""Validated before created: every value the built-in simulator would refuse is refused by
`fusion-tui new`, by the new-run form and by `fusion-tui-sim` alike, with the same line,
before anything exists; sizes are bounded and non-finite numbers refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli, open_new_run, until, working

from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.config.overrides import parse_override
from fusion_tui.config.templates import RunConfig, apply_overrides, load_template
from fusion_tui.kinds.registry import kind_for
from fusion_tui.services import open_services

BAD = [
    ("topology_settings.network=Atlantis", "[topology_settings] network: unknown network"),
    ("topology_settings.network=/nonexistent.txt", "[topology_settings] network: unknown"),
    ("topology_settings.network=/etc/passwd", "[topology_settings] network: passwd line 1"),
    ('general_settings.request_distribution={"300": 1.0}',
     "[general_settings] request_distribution: 300 Gb/s is not in the modulation set"),
    ("general_settings.route_method=least_congested",
     "[general_settings] route_method: only k_shortest_path is supported"),
    ("general_settings.erlang_stop=1e9", "[general_settings] erlang_stop: must be at most"),
    ("general_settings.erlang_step=0.0001",
     "[general_settings] erlang_stop: 300 to 600 in steps of 0.0001 is 3,000,001 load points"),
    ("general_settings.max_iters=1000000000", "[general_settings] max_iters: must be at most"),
    ("general_settings.num_requests=1e12", "[general_settings] num_requests: expected an integer"),
    ("general_settings.holding_time=inf", "[general_settings] holding_time: expected a finite"),
    ("general_settings.erlang_start=nan", "[general_settings] erlang_start: expected a finite"),
    ('general_settings.request_distribution={"100": NaN}',
     "[general_settings] request_distribution: probability of 100"),
    ("topology_settings.cores_per_link=100000", "[topology_settings] cores_per_link: must be"),
    ("general_settings.thread_num=" + "x" * 5000,
     "[general_settings] thread_num: at most 4096 characters"),
]


def _settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path, sqlite_url, simulator_command=DEFAULT_BUILTIN_COMMAND)


def _no_runs(settings: Settings) -> bool:
    runs = settings.runs_dir
    return not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]


@pytest.mark.parametrize(("override", "message"), BAD, ids=[b[0][:40] for b in BAD])
def test_new_and_the_simulator_refuse_the_same_values_with_the_same_line(
        cli: Cli, tmp_path: Path, sqlite_url: str, override: str, message: str) -> None:
    settings = _settings(tmp_path, sqlite_url)
    env = cli.env(settings)
    new = cli.run("new", "-t", "minimal", "--set", override, env=env)
    assert new.returncode == 2 and new.stdout == "", new
    assert new.stderr.count("\n") == 1 and new.stderr.startswith(f"fusion-tui: {message}"), \
        new.stderr
    assert _no_runs(settings)
    svc = open_services(settings)
    try:
        assert svc.store.count_runs() == 0
    finally:
        svc.close()

    template, sections = load_template("minimal", settings.template_dirs)
    config = tmp_path / "config.ini"
    merged = apply_overrides(sections, [parse_override(override)], "minimal",
                             kind_for("builtin"))
    config.write_text(RunConfig(template, merged).to_ini())
    sim = subprocess.run([sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
                          "--output_dir", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=60)
    assert sim.returncode == 2
    assert sim.stderr.splitlines()[0].removeprefix("fusion-tui-sim: ") == \
        new.stderr.strip().removeprefix("fusion-tui: ")


async def test_the_form_refuses_what_the_simulator_refuses(tmp_path: Path,
                                                           sqlite_url: str) -> None:
    from fusion_tui.tui.app import create_app
    from fusion_tui.tui.screens.new_run import NewRunScreen

    svc = open_services(_settings(tmp_path, sqlite_url))
    app = create_app(svc, watch_notifications=False)
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            screen = await open_new_run(pilot)
            screen.query_one("#topology_settings--network").value = "Atlantis"
            error = screen.query_one("#err-topology_settings--network")
            await until(pilot, lambda: "unknown network 'Atlantis'" in str(error.render()))
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not working(app, "create"))
            assert isinstance(app.screen, NewRunScreen)
            assert svc.store.count_runs() == 0 and _no_runs(svc.settings)
    finally:
        svc.close()
