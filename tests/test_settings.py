"""Settings precedence: defaults, then FUSION_TUI_* variables, then CLI flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from fusion_tui.settings import Settings, SettingsError


def test_defaults_follow_xdg(tmp_path: Path) -> None:
    s = Settings.load(env={"HOME": str(tmp_path)})
    home = tmp_path / ".local" / "share" / "fusion-tui"
    assert s.home == home
    assert s.database_url == f"sqlite:///{home / 'fusion-tui.db'}"
    assert s.runs_dir == home / "runs"
    assert (s.max_concurrent, s.cancel_grace, s.slow_query_seconds) == (1, 5.0, 1.0)
    assert s.template_dirs[0] == home / "templates"
    assert (s.template_dirs[-1] / "minimal.ini").is_file()
    xdg = Settings.load(env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "x")})
    assert xdg.home == tmp_path / "x" / "fusion-tui"


def test_environment_then_flags(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "FUSION_TUI_HOME": str(tmp_path / "h"),
           "FUSION_TUI_MAX_CONCURRENT": "3", "FUSION_TUI_CANCEL_GRACE": "1.5"}
    s = Settings.load(env=env)
    assert (s.home, s.max_concurrent, s.cancel_grace) == (tmp_path / "h", 3, 1.5)
    assert s.runs_dir == tmp_path / "h" / "runs"
    flagged = Settings.load(env=env, overrides={"max_concurrent": 5, "cancel_grace": None})
    assert (flagged.max_concurrent, flagged.cancel_grace) == (5, 1.5)


def test_round_trip_through_environment(tmp_path: Path) -> None:
    s = Settings.load(env={"HOME": str(tmp_path)}, overrides={"max_concurrent": 4})
    again = Settings.load(env={"HOME": "/elsewhere", **s.to_env()})
    assert again == s


@pytest.mark.parametrize("env,message", [
    ({"FUSION_TUI_MAX_CONCURRENT": "many"}, "FUSION_TUI_MAX_CONCURRENT: expected an integer"),
    ({"FUSION_TUI_MAX_CONCURRENT": "0"}, "max_concurrent must be at least 1"),
    ({"FUSION_TUI_CANCEL_GRACE": "-1"}, "cancel_grace must not be negative"),
    ({"FUSION_TUI_SLOW_QUERY_SECONDS": "x"}, "FUSION_TUI_SLOW_QUERY_SECONDS: expected a number"),
])
def test_bad_values(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.load(env={"HOME": str(tmp_path), **env})
