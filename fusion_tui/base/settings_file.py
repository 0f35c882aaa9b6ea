"""The settings file: TOML in the XDG config folder, read between the defaults and the
environment, so a cluster user writes partition and account once.

    database_url = "postgresql://lab@db/fusion"
    executor = "slurm"
    [slurm]                 # an executor's table (declared by it): keys become slurm_<key>
    partition = "compute"
    time = "2-00:00:00"
    [fusion]                # keys become fusion_<key>
    home = "~/FUSION"
    [keys]                  # the app's keys: binding id = key(s) (`fusion-tui keys`)
    "runs.cancel_runs" = "x"
    [columns]               # the run list's columns, in order (the app checks the names)
    shown = ["id", "status", "progress", "params", "blocking", "interval", "where"]

`FUSION_TUI_CONFIG` (or `--config`) names another file; `none` reads no file.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fusion_tui.base.safefile import read_text

CONFIG_VARIABLE = "FUSION_TUI_CONFIG"
NO_FILE = "none"
# Tables of this file whose keys are `<table>_<key>` settings; the executors' own
# tables are declared by them (`setting_tables`) and named by the caller.
TABLES = ("fusion",)
KEYS_TABLE = "keys"
COLUMNS_TABLE = "columns"
_KEY = re.compile(r"[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*|[!-~]")
_LIMIT = 1 << 20
# Binding ids are `screen.action`: [keys] nests at most that deep (a deeper file is refused
# before its depth costs anything).
_KEYS_DEPTH = 2


class SettingsFileError(ValueError):
    """The settings file cannot be used; the message names the file and the key."""


def config_path(env: Mapping[str, str], flag: str | None = None) -> tuple[Path | None, bool]:
    """The settings file to read and whether it was named explicitly (then it must exist).

    None when `none` was asked for.
    """
    named = flag or env.get(CONFIG_VARIABLE) or None
    if named is not None:
        return (None, True) if named == NO_FILE else (Path(named).expanduser(), True)
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path(env.get("HOME", str(Path.home()))) / ".config"
    return base / "fusion-tui" / "config.toml", False


def _text(path: Path, key: str, value: Any, lists: str) -> str:
    """A TOML value in the form an environment variable would give it; a list of text
    where `lists` says how to join one ("paths", "args")."""
    if isinstance(value, bool):
        raise SettingsFileError(f"{path}: {key}: expected a number or text, got {value}")
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if lists == "paths":
            return os.pathsep.join(value)
        if lists == "args":
            return shlex.join(value)
    raise SettingsFileError(f"{path}: {key}: expected text or a number, got {type(value).__name__}")


def _keymap(path: Path, table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """The [keys] table: binding id -> keys (`"x"`, `"ctrl+k,f5"`), nested tables joined
    with dots (`[keys.runs] cancel_runs = "x"` is `runs.cancel_runs`)."""
    out: dict[str, str] = {}
    for name, value in table.items():
        ident = f"{prefix}{name}"
        if isinstance(value, dict):
            if ident.count(".") + 1 >= _KEYS_DEPTH:
                raise SettingsFileError(f"{path}: [keys] {ident[:60]}...: nested too deeply "
                                        "(binding ids are screen.action)")
            out.update(_keymap(path, value, f"{ident}."))
            continue
        if not isinstance(value, str) or not all(
                _KEY.fullmatch(k.strip()) for k in value.split(",")):
            raise SettingsFileError(f"{path}: [keys] {ident}: expected keys such as \"x\", "
                                    f"\"ctrl+k\" or \"f5,x\", got {value!r}")
        out[ident] = ",".join(k.strip() for k in value.split(","))
    return out


def _columns(path: Path, table: dict[str, Any]) -> tuple[str, ...] | None:
    """The [columns] table's `shown`: column names, in order (None when not given)."""
    for name in table:
        if name != "shown":
            raise SettingsFileError(f"{path}: [columns] {name}: not a setting (the table "
                                    "has one: shown)")
    shown = table.get("shown")
    if shown is not None and not (isinstance(shown, list)
                                  and all(isinstance(v, str) for v in shown)):
        raise SettingsFileError(f"{path}: [columns] shown: expected a list of column names "
                                f"such as [\"id\", \"status\", \"blocking\"], got {shown!r}")
    return None if shown is None else tuple(shown)


def read_settings_file(path: Path, known: Mapping[str, str], tables: Sequence[str] = ()
                       ) -> tuple[dict[str, str], dict[str, str], tuple[str, ...] | None]:
    """Setting name -> its value as text, the [keys] table and [columns] `shown`, from
    the file at `path`.
    `known`: every setting it may hold -> how a list is joined for it (see `_text`);
    `tables`: the declared tables besides ours.

    Unknown keys are refused (a misspelt `partiton` must not be silently ignored); binding
    ids and column names are checked by the app, which knows its screens and columns.
    """
    try:
        data = tomllib.loads(read_text(path, limit=_LIMIT))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per level of [[[...]]] or {a = {...}}
        raise SettingsFileError(f"{path}: nested too deeply to be a settings file") from None
    except UnicodeDecodeError:
        raise SettingsFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise SettingsFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    out: dict[str, str] = {}
    keys: dict[str, str] = {}
    columns: tuple[str, ...] | None = None
    for key, value in data.items():
        if key == KEYS_TABLE and isinstance(value, dict):
            keys = _keymap(path, value)
        elif key == COLUMNS_TABLE and isinstance(value, dict):
            columns = _columns(path, value)
        elif key in (*TABLES, *tables) and isinstance(value, dict):
            for inner, inner_value in value.items():
                name = f"{key}_{inner}"
                if name not in known:
                    raise SettingsFileError(f"{path}: [{key}] {inner}: not a setting")
                out[name] = _text(path, name, inner_value, known[name])
        elif key in known:
            out[key] = _text(path, key, value, known[key])
        else:
            raise SettingsFileError(f"{path}: {key}: not a setting")
    return out, keys, columns
