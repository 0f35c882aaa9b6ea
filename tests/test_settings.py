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
])
def test_bad_values(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.load(env={"HOME": str(tmp_path), **env})
