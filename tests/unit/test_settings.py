"""Settings precedence: defaults, then FUSION_TUI_* variables, then CLI flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Cli

from fusion_tui.base.settings import Settings, SettingsError
from fusion_tui.executors.descriptions import TABLES


def test_defaults_follow_xdg(tmp_path: Path) -> None:
    s = Settings.load(env={"HOME": str(tmp_path)})
    home = tmp_path / ".local" / "share" / "fusion-tui"
    assert s.home == home
    assert s.database_url == f"sqlite:///{home / 'fusion-tui.db'}"
    assert s.runs_dir == home / "runs"
    assert (s.cancel_grace, s.slow_query_seconds) == (5.0, 1.0)
    assert s.template_dirs[0] == home / "templates"
    assert (s.template_dirs[-1] / "minimal.ini").is_file()
    xdg = Settings.load(env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "x")})
    assert xdg.home == tmp_path / "x" / "fusion-tui"


def test_environment_then_flags(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "FUSION_TUI_HOME": str(tmp_path / "h"),
           "FUSION_TUI_STALL_SECONDS": "60", "FUSION_TUI_CANCEL_GRACE": "1.5"}
    s = Settings.load(env=env)
    assert (s.home, s.stall_seconds, s.cancel_grace) == (tmp_path / "h", 60.0, 1.5)
    assert s.runs_dir == tmp_path / "h" / "runs"
    flagged = Settings.load(env=env, overrides={"stall_seconds": 90.0, "cancel_grace": None})
    assert (flagged.stall_seconds, flagged.cancel_grace) == (90.0, 1.5)


def test_round_trip_through_environment(tmp_path: Path) -> None:
    s = Settings.load(env={"HOME": str(tmp_path)}, overrides={"cancel_grace": 4.0})
    again = Settings.load(env={"HOME": "/elsewhere", **s.to_env()})
    assert again == s


@pytest.mark.parametrize("env,message", [
    ({"FUSION_TUI_MAX_CONCURRENT": "3"}, "the queue limit lives in the store"),
    ({"FUSION_TUI_MAX_CONCURRENT": "99999999999999999999"}, "fusion-tui parallel N"),
    ({"FUSION_TUI_CANCEL_GRACE": "-1"}, "FUSION_TUI_CANCEL_GRACE: expected a number from 0"),
    ({"FUSION_TUI_CANCEL_GRACE": "nan"}, "FUSION_TUI_CANCEL_GRACE: expected a number from 0"),
    ({"FUSION_TUI_CANCEL_GRACE": "inf"}, "FUSION_TUI_CANCEL_GRACE: expected a number from 0"),
    ({"FUSION_TUI_STALL_SECONDS": "-inf"}, "FUSION_TUI_STALL_SECONDS: expected a number from"),
    ({"FUSION_TUI_SLOW_QUERY_SECONDS": "1e400"}, "FUSION_TUI_SLOW_QUERY_SECONDS: expected"),
    ({"FUSION_TUI_SLOW_QUERY_SECONDS": "x"}, "FUSION_TUI_SLOW_QUERY_SECONDS: expected a number"),
    ({"FUSION_TUI_RESULTS_COPY_MB": "-1"}, "FUSION_TUI_RESULTS_COPY_MB: expected a number from 0"),
    ({"FUSION_TUI_RESULTS_COPY_MB": "lots"}, "FUSION_TUI_RESULTS_COPY_MB: expected a number"),
])
def test_bad_values(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.load(env={"HOME": str(tmp_path), **env})


def _config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xdg-config" / "fusion-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_settings_file_sits_between_defaults_and_environment(tmp_path: Path) -> None:
    path = _config_file(tmp_path, 'executor = "slurm"\ncancel_grace = 7\nresults_copy_mb = 2048\n'
                                  '[slurm]\npartition = "compute"\naccount = "lab"\n'
                                  'extra_args = ["--constraint=avx2", "--exclusive"]\n'
                                  '[fusion]\nhome = "~/FUSION"\n')
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
           "FUSION_TUI_SLURM_ACCOUNT": "other"}
    s = Settings.load(env=env, overrides={"cancel_grace": 2.0}, tables=TABLES)
    assert (s.executor, s.given("slurm_partition"), s.given("slurm_account"),
            s.cancel_grace) == ("slurm", "compute", "other", 2.0)
    assert s.given("slurm_extra_args") == "--constraint=avx2 --exclusive"
    assert s.results_copy_mb == 2048.0 and Settings.load(env={"HOME": "/x"}).results_copy_mb \
        == 1024.0
    assert s.fusion_home == Path("~/FUSION").expanduser()
    assert (s.source_of("slurm_partition"), s.source_of("slurm_account"),
            s.source_of("cancel_grace"), s.source_of("stall_seconds")) == \
        (str(path), "FUSION_TUI_SLURM_ACCOUNT", "--cancel-grace", "default")
    # A child process gets everything through the variables and reads no file.
    again = Settings.load(env={"HOME": "/elsewhere", "XDG_CONFIG_HOME": "/elsewhere",
                               **s.to_env()}, tables=TABLES)
    assert again == s and again.config_file is None


@pytest.mark.parametrize("text,message", [
    ('[slurm]\npartiton = "x"\n', r"\[slurm\] partiton: not a setting"),
    ('colour = "red"\n', "colour: not a setting"),
    ('[slurm]\npoll_seconds = 5\n', "slurm_poll_seconds: expected a number from 10"),
    ('executor = "kubernetes"\n', "executor: expected one of local, slurm"),
    ('cancel_grace = true\n', "cancel_grace: expected a number or text"),
    ('cancel_grace = "soon"\n', "cancel_grace: expected a number"),
    ("executor = \n", "not valid TOML"),
])
def test_bad_settings_files_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = _config_file(tmp_path, text)
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.load(env={"HOME": str(tmp_path),
                           "XDG_CONFIG_HOME": str(tmp_path / "xdg-config")}, tables=TABLES)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_named_settings_file_must_exist_and_none_reads_none(tmp_path: Path) -> None:
    _config_file(tmp_path, 'executor = "slurm"\n')
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg-config")}
    with pytest.raises(SettingsError, match="does not exist"):
        Settings.load(env={**env, "FUSION_TUI_CONFIG": str(tmp_path / "missing.toml")})
    assert Settings.load(env={**env, "FUSION_TUI_CONFIG": "none"}).executor == "local"
    assert Settings.load(env=env, config="none").executor == "local"


def test_fusion_tui_config_prints_values_and_sources(cli: Cli, tmp_path: Path) -> None:
    import json
    import os

    path = tmp_path / "lab.toml"
    path.write_text('database_url = "postgresql://alice:secret@db/lab"\n[slurm]\nqos = "long"\n')
    env = {**os.environ, "HOME": str(tmp_path), "FUSION_TUI_SLURM_TIME": "1:00:00"}
    run = cli.run("--config", str(path), "config", "--json", env=env)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    rows = {r["name"]: (r["value"], r["source"]) for r in data["settings"]}
    assert data["settings_file"] == str(path)
    assert rows["slurm_qos"] == ("long", str(path))
    assert rows["slurm_time"] == ("1:00:00", "FUSION_TUI_SLURM_TIME")
    assert rows["executor"] == ("local", "default")
    assert "secret" not in run.stdout and rows["database_url"][1] == str(path)
    text = cli.run("--config", str(path), "config", env=env).stdout
    assert text.splitlines()[0] == f"settings file: {path}"
    assert any(line.startswith("slurm_qos") and line.endswith(f"[{path}]")
               for line in text.splitlines())


def test_a_settings_file_that_is_a_named_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(SettingsError, match="cannot be read: a named pipe, not a regular file"):
        Settings.load(env={"HOME": str(tmp_path), "FUSION_TUI_CONFIG": str(fifo)})


_DEEP = {
    "arrays": "a = " + "[" * 100_000 + "]" * 100_000 + "\n",  # 200 KB
    "inline tables": "x = " + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n",
    "dotted key in [keys]": "[keys]\n" + ".".join(["k"] * 5_000) + ' = "x"\n',
    "[keys] deeper than screen.action": '[keys.runs.cancel_runs]\nx = "c"\n',
}


@pytest.mark.parametrize("name", sorted(_DEEP))
def test_a_deeply_nested_settings_file_is_one_line_and_exit_2(cli: Cli, tmp_path: Path,
                                                              name: str) -> None:
    """For the commands and for the app's start (bare `fusion-tui` reads its settings
    before it looks for a terminal): one line naming the file, no traceback."""
    import os

    path = tmp_path / "deep.toml"
    path.write_text(_DEEP[name])
    env = {**os.environ, "HOME": str(tmp_path)}
    for command in (["config"], ["keys"], []):
        run = cli.run("--config", str(path), *command, env=env)
        assert run.returncode == 2, (command, run.stderr[-300:])
        assert run.stderr.startswith(f"fusion-tui: {path}: ") and "nested too deeply" in \
            run.stderr and run.stderr.count("\n") == 1, (command, run.stderr[-300:])
