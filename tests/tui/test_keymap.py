"""Configurable keys: every binding has a unique id, the settings file's [keys] table
remaps them (Textual's keymap), and a wrong id or key is named in one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import make_settings
from helpers import Cli, screen_text, until

from fusion_tui.base.settings import Settings, SettingsError
from fusion_tui.services import open_services
from fusion_tui.tui.app import create_app
from fusion_tui.tui.keys import bindings
from fusion_tui.tui.screens.sweeps import SweepsScreen


def test_every_binding_has_a_unique_id() -> None:
    ids = [b.id for _, b in bindings()]
    assert all(ids) and len(set(ids)) == len(ids)
    assert "runs.cancel_runs" in ids and "comparison.export" in ids


def _with_file(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return Settings.load(env={"HOME": str(tmp_path)}, config=str(path))


def test_keys_table_is_read_flat_and_nested(tmp_path: Path) -> None:
    settings = _with_file(tmp_path, '[keys]\n"runs.compare" = "x"\n[keys.sweeps]\n'
                                    'open = "ctrl+o, f5"\n')
    assert dict(settings.keymap) == {"runs.compare": "x", "sweeps.open": "ctrl+o,f5"}


def test_a_bad_key_is_one_line_naming_it(tmp_path: Path) -> None:
    for text in ('[keys]\n"runs.compare" = 3\n', '[keys]\n"runs.compare" = "ctrl+"\n',
                 '[keys]\n"runs.compare" = "a b"\n'):
        try:
            _with_file(tmp_path, text)
        except SettingsError as exc:
            assert "[keys] runs.compare: expected keys" in str(exc)
        else:
            raise AssertionError(f"accepted {text!r}")


async def test_remapped_keys_work_and_show(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url).with_overrides(
        keymap=(("runs.open_sweeps", "f5"), ("sweeps.back", "ctrl+b")))
    services = open_services(settings)
    try:
        app = create_app(services)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: "f5 Sweeps" in " ".join(screen_text(app).split()))
            await pilot.press("w")  # the old key no longer opens it
            await pilot.press("f5")
            await until(pilot, lambda: isinstance(app.screen, SweepsScreen))
            assert len(app.screen_stack) == 2  # the run list, then the sweeps
            await pilot.press("ctrl+b")
            await until(pilot, lambda: not isinstance(app.screen, SweepsScreen))
    finally:
        services.close()


async def test_an_unknown_binding_id_is_reported(cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url).with_overrides(
        keymap=(("runs.no_such_thing", "x"),))
    services = open_services(settings)
    try:
        app = create_app(services)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: any("runs.no_such_thing: no such key binding"
                                           in str(n.message) for n in app._notifications))
    finally:
        services.close()
    path = tmp_path / "keys.toml"
    path.write_text('[keys]\n"runs.no_such_thing" = "x"\n')
    out = cli(settings, "--config", str(path), "keys")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "[keys] runs.no_such_thing: no such key binding" in out.stderr
    listed = cli(settings, "keys", "--json")
    assert listed.returncode == 0 and '"runs.cancel_runs"' in listed.stdout


def test_a_key_given_to_two_actions_is_refused_naming_both(cli: Cli, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'store.db'}")
    cases = {
        '[keys]\n"runs.compare" = "x"\n"runs.cancel_runs" = "x"\n':
            '"x" is bound to both runs.cancel_runs and runs.compare',
        '[keys]\n"runs.compare" = "c"\n':  # takes the default key of another action
            '"c" is bound to both runs.cancel_runs and runs.compare',
        '[keys.log]\ntop = "?"\n':  # an app-wide key, written as the character
            '"question_mark" is bound to both app.toggle_help and log.top',
        # Two names of one key: a terminal sends ctrl+m as enter and shift+s as S.
        '[keys]\n"runs.new_run" = "ctrl+m"\n':
            '"ctrl+m" and "enter" (one key) are bound to both runs.new_run and runs.open_detail',
        '[keys]\n"runs.new_run" = "shift+s"\n':
            '"shift+s" and "S" (one key) are bound to both runs.new_run and runs.reverse_sort',
    }
    for i, (text, message) in enumerate(cases.items()):
        path = tmp_path / f"keys{i}.toml"
        path.write_text(text)
        out = cli(settings, "--config", str(path), "keys")
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert out.stderr == f"fusion-tui: {path}: [keys] {message}\n"
    fine = tmp_path / "fine.toml"  # a swap, and one key on two different screens
    fine.write_text('[keys]\n"runs.cancel_runs" = "d"\n"runs.delete_runs" = "c"\n'
                    '"runs.compare" = "x"\n"sweeps.compare" = "x"\n')
    out = cli(settings, "--config", str(fine), "keys")
    assert out.returncode == 0, out.stderr


async def test_the_app_does_not_start_with_a_key_given_to_two_actions(
        tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text('[keys]\n"sweeps.retry" = "x"\n"sweeps.cancel" = "x"\n')
    settings = Settings.load(env={"HOME": str(tmp_path)}, config=str(path),
                             overrides={"database_url": sqlite_url, "home": tmp_path / "h"})
    app = create_app(settings, watch_notifications=False)
    try:
        await asyncio.wait_for(app.run_async(headless=True, size=(80, 24)), timeout=30)
    finally:
        app.close_services()
    assert app.return_code == 2
    assert app.services_error == \
        f'{path}: [keys] "x" is bound to both sweeps.cancel and sweeps.retry'
