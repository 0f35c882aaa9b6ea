"""The settings file: TOML in the XDG config folder, read between the defaults and the
environment, so a cluster user writes partition and account once.

    database_url = "postgresql://lab@db/fusion"
    executor = "slurm"
    [slurm]                 # keys become slurm_<key>
    partition = "compute"
    time = "2-00:00:00"
    [fusion]                # keys become fusion_<key>
    home = "~/FUSION"

`FUSION_TUI_CONFIG` (or `--config`) names another file; `none` reads no file.
"""

from __future__ import annotations

import os
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fusion_tui.safefile import read_text

CONFIG_VARIABLE = "FUSION_TUI_CONFIG"
NO_FILE = "none"
TABLES = ("slurm", "fusion")
_LIMIT = 1 << 20


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


def _text(path: Path, key: str, value: Any) -> str:
    """A TOML value in the form an environment variable would give it."""
    if isinstance(value, bool):
        raise SettingsFileError(f"{path}: {key}: expected a number or text, got {value}")
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if key == "extra_template_dirs":
            return os.pathsep.join(value)
        if key == "slurm_extra_args":
            return shlex.join(value)
    raise SettingsFileError(f"{path}: {key}: expected text or a number, got {type(value).__name__}")


def read_settings_file(path: Path, known: frozenset[str]) -> dict[str, str]:
    """Setting name -> its value as text, from the file at `path`.

    Unknown keys are refused (a misspelt `partiton` must not be silently ignored).
    """
    try:
        data = tomllib.loads(read_text(path, limit=_LIMIT))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise SettingsFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise SettingsFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    out: dict[str, str] = {}
    for key, value in data.items():
        if key in TABLES and isinstance(value, dict):
            for inner, inner_value in value.items():
                name = f"{key}_{inner}"
                if name not in known:
                    raise SettingsFileError(f"{path}: [{key}] {inner}: not a setting")
                out[name] = _text(path, name, inner_value)
        elif key in known:
            out[key] = _text(path, key, value)
        else:
            raise SettingsFileError(f"{path}: {key}: not a setting")
    return out
