"""One settings object: defaults, then the settings file (`settings_file`), then
`FUSION_TUI_*` environment variables, then CLI flags; `Settings.sources` says which.

Supervisor processes receive the settings of the process that started them through the
same environment variables (`Settings.to_env`), so a run finishes with the configuration
it was created under, even when no app is open. The queue's limit is not a setting: it
lives in the store (`fusion-tui parallel N`), so whoever schedules applies the same one.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.base.setting_tables import Setting, Table
from fusion_tui.base.settings_file import (
    CONFIG_VARIABLE,
    NO_FILE,
    SettingsFileError,
    config_path,
    read_settings_file,
)

ENV_PREFIX = "FUSION_TUI_"

BUILTIN_SIMULATOR = "builtin"
FUSION_SIMULATOR = "fusion"  # FUSION 6.x: the `fusion` package's run_sim
FUSION55_SIMULATOR = "fusion55"  # FUSION's 5.5 line (v5.5.1, feature/grooming-new)
SIMULATORS = (BUILTIN_SIMULATOR, FUSION_SIMULATOR, FUSION55_SIMULATOR)

DEFAULT_BUILTIN_COMMAND = (
    "{python} -m fusion_tui.sim --config_path {config_path} --run_id {run_id}"
    " --progress_file {progress_file} --output_dir {output_dir}"
)
# What FUSION's own GUI runs (fusion/api/services/run_manager.py): the `run_sim` mode is
# required, and FUSION 6.1 ignores --progress_file and --output_dir, so they are not given.
DEFAULT_FUSION_COMMAND = (
    "{fusion_python} -m fusion.cli.run_sim run_sim --config_path {config_path} --run_id {run_id}"
)
# FUSION's 5.5 line: a top-level script, run from its checkout; `-u` because its workers'
# prints otherwise arrive only when a worker exits (they inherit the flag).
DEFAULT_FUSION55_COMMAND = "{fusion_python} -u run_sim.py --config_path {config_path}"
# Where a FUSION checkout's own virtual environment usually lives (its README uses venv).
FUSION_VENVS = ("venv", ".venv")



class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


def _default_home(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path(env.get("HOME", str(Path.home()))) / ".local" / "share"
    return base / "fusion-tui"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about fusion-tui, resolved once at start-up."""

    home: Path
    database_url: str
    runs_dir: Path
    user_templates_dir: Path
    simulator_command: str = DEFAULT_BUILTIN_COMMAND
    simulator_cwd: Path | None = None
    fusion_command: str = DEFAULT_FUSION_COMMAND
    fusion55_command: str = DEFAULT_FUSION55_COMMAND
    fusion_home: Path | None = None
    fusion_python: Path | None = None
    cancel_grace: float = 5.0
    slow_query_seconds: float = 1.0
    db_busy_seconds: float = 30.0
    stall_seconds: float = 300.0
    # What a FUSION run's copy of its result files may take on disk (MiB); the rest stays
    # in FUSION's folder. FUSION's files are a few MB per run; this bounds a runaway one.
    results_copy_mb: float = 1024.0
    environment: str = "production"
    extra_template_dirs: tuple[Path, ...] = field(default_factory=tuple)
    executor: str = "local"
    # The settings of the tables declared above `base` (`setting_tables`) that were
    # given: name -> value; `Table.value` adds the declared defaults.
    declared: tuple[tuple[str, Any], ...] = ()
    # The tables read (each executor's, named like it): for `fusion-tui config` and the
    # check of `executor`; none in a process that reads none.
    tables: tuple[Table, ...] = field(default=(), compare=False, repr=False)
    # Where each setting came from ("default", the file, a variable, a flag): for
    # `fusion-tui config`; not a setting itself.
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    config_file: Path | None = field(default=None, compare=False, repr=False)
    # The app's key remapping ([keys] in the settings file): binding id -> keys.
    keymap: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    # The run list's columns in order ([columns] shown; None: the app's default).
    columns: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        """Template search path: user templates shadow shipped ones of the same name."""
        return (self.user_templates_dir, *self.extra_template_dirs, shipped_templates_dir())

    @property
    def database_label(self) -> str:
        """The database for messages: a SQLite file's path, else the URL without password."""
        url = self.database_url
        if url.startswith("sqlite") and ":///" in url:
            return url.split(":///", 1)[1].split("?", 1)[0] or "(in memory)"
        return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def resolved_fusion_python(self) -> Path:
        """FUSION's interpreter: the setting, else the checkout's own venv, else ours."""
        if self.fusion_python is not None:
            return self.fusion_python
        if self.fusion_home is not None:
            for venv in FUSION_VENVS:
                candidate = self.fusion_home / venv / "bin" / "python"
                if candidate.exists():
                    return candidate
        return Path(sys.executable)

    def given(self, name: str) -> Any:
        """A declared table's setting as given (file, variable, flag), else None."""
        return dict(self.declared).get(name)

    @classmethod
    def load(
        cls, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None,
        *, config: str | None = None, tables: Sequence[Table] = (),
    ) -> Settings:
        """Resolve defaults, then the settings file (`config`, else `FUSION_TUI_CONFIG`,
        else the XDG one), then `FUSION_TUI_*` variables, then `overrides` (CLI flags).
        The settings of `tables` are read too; then `executor` must name one of them."""
        env = os.environ if env is None else env
        if env.get(ENV_PREFIX + "MAX_CONCURRENT"):
            raise SettingsError(
                f"{ENV_PREFIX}MAX_CONCURRENT is no longer read: the queue limit lives in the "
                "store; set it with `fusion-tui parallel N` and unset the variable")
        if env.get(ENV_PREFIX + "FUSION_CWD"):
            raise SettingsError(
                f"{ENV_PREFIX}FUSION_CWD is no longer read: set {ENV_PREFIX}FUSION_HOME to your "
                "FUSION checkout instead (fusion-tui doctor checks it)")
        declared = {name: setting for table in tables for name, setting in table.named().items()}
        names = _SETTING_NAMES | set(declared)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        keymap: dict[str, str] = {}
        columns: tuple[str, ...] | None = None
        path, named = config_path(env, config)
        if path is not None and (named or path.exists()):
            if named and not path.exists():
                raise SettingsError(f"the settings file {path} does not exist "
                                    f"({'--config' if config else CONFIG_VARIABLE})")
            try:
                from_file, keymap, columns = read_settings_file(
                    path, _file_kinds(declared), [t.name for t in tables])
            except SettingsFileError as exc:
                raise SettingsError(str(exc)) from None
            for key, raw in from_file.items():
                values[key] = _parse(key, raw, declared, where=f"{path}: {key}")
                sources[key] = str(path)
        else:
            path = None
        for name in sorted(names):
            variable = env.get(ENV_PREFIX + name.upper())
            if variable is not None and variable != "":
                values[name] = _parse(name, variable, declared)
                sources[name] = ENV_PREFIX + name.upper()
        for key, value in (overrides or {}).items():
            if value is not None:
                values[key] = _parse(key, value, declared) if isinstance(value, str) else value
                sources[key] = "--" + key.replace("_", "-")
        home = Path(values.pop("home", _default_home(env))).expanduser()
        values.setdefault("database_url", f"sqlite:///{home / 'fusion-tui.db'}")
        values.setdefault("runs_dir", home / "runs")
        values.setdefault("user_templates_dir", home / "templates")
        given = tuple(sorted((k, values.pop(k)) for k in list(values) if k in declared))
        settings = cls(home=home, **values, declared=given, tables=tuple(tables),
                       sources=tuple(sorted(sources.items())), config_file=path,
                       keymap=tuple(sorted(keymap.items())), columns=columns)
        settings.validate()
        return settings

    def source_of(self, name: str) -> str:
        """Where a setting's value came from: a file, a variable, a flag, or "default"."""
        return dict(self.sources).get(name, "default")

    def validate(self) -> None:
        for name, low, high in _BOUNDS:
            value = getattr(self, name)
            if not math.isfinite(value) or not low <= value <= high:
                raise SettingsError(f"{self.where(name)}: expected a number from "
                                    f"{low:g} to {high:g}, got {value!r}")
        declared = {name: s for table in self.tables for name, s in table.named().items()}
        for name, value in self.declared:
            setting = declared.get(name)
            if setting is None or setting.low is None or setting.high is None:
                continue
            if not math.isfinite(value) or not setting.low <= value <= setting.high:
                what = "a number" if setting.kind == "float" else "a whole number"
                raise SettingsError(f"{self.where(name)}: expected {what} from "
                                    f"{setting.bounds()}, got {value!r}")
        if self.tables and self.executor not in (t.name for t in self.tables):
            raise SettingsError(f"{self.where('executor')}: expected one of "
                                f"{', '.join(t.name for t in self.tables)}, "
                                f"got {self.executor!r}")

    def where(self, name: str) -> str:
        """How a message names a setting: the variable, or the file and key it came from."""
        source = self.source_of(name)
        if source == "default":
            return ENV_PREFIX + name.upper()
        return source if source.startswith((ENV_PREFIX, "--")) else f"{source}: {name}"

    def with_overrides(self, **changes: Any) -> Settings:
        """These settings with some changed; a name that is no field of ours is a
        declared table's setting (`slurm_poll_seconds`)."""
        declared = dict(self.declared)
        for name in [n for n in changes if n not in _FIELD_NAMES]:
            declared[name] = changes.pop(name)
        return replace(self, **changes, declared=tuple(sorted(declared.items())))

    def to_env(self) -> dict[str, str]:
        """`FUSION_TUI_*` variables that reproduce these settings in a child process."""
        out: dict[str, str] = {CONFIG_VARIABLE: NO_FILE}  # everything is in the variables
        for name in _SETTING_NAMES:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, tuple):
                value = os.pathsep.join(str(v) for v in value)
            out[ENV_PREFIX + name.upper()] = str(value)
        for name, value in self.declared:
            out[ENV_PREFIX + name.upper()] = str(value)
        return out


_FIELD_NAMES = frozenset(f.name for f in fields(Settings))
_SETTING_NAMES = frozenset(f.name for f in fields(Settings) if f.compare) - {"declared"}
_FLOAT_FIELDS = {"cancel_grace", "slow_query_seconds", "stall_seconds", "db_busy_seconds",
                 "results_copy_mb"}
# (setting, lowest, highest): a NaN or an absurd value is refused, never half-applied.
_BOUNDS = (("cancel_grace", 0.0, 3600.0), ("slow_query_seconds", 0.0, 3600.0),
           ("stall_seconds", 1.0, 30 * 86400.0), ("db_busy_seconds", 0.1, 3600.0),
           ("results_copy_mb", 0.0, 1024.0 * 1024))
_PATH_FIELDS = {"home", "runs_dir", "user_templates_dir", "simulator_cwd", "fusion_home",
                "fusion_python"}


def _file_kinds(declared: Mapping[str, Setting]) -> dict[str, str]:
    """Every setting the file may hold -> how a TOML list of text is joined for it
    ("paths", "args"; "" where no list is taken)."""
    kinds = {name: "" for name in _SETTING_NAMES}
    kinds["extra_template_dirs"] = "paths"
    kinds.update({name: "args" if s.kind == "args" else "" for name, s in declared.items()})
    return kinds


def _parse(name: str, raw: str, declared: Mapping[str, Setting], *,
           where: str | None = None) -> Any:
    var = where or ENV_PREFIX + name.upper()
    kind = declared[name].kind if name in declared else None
    if name in _FLOAT_FIELDS or kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{var}: expected a number, got {raw!r}") from None
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{var}: expected a whole number, got {raw!r}") from None
    if name in _PATH_FIELDS:
        return Path(raw).expanduser()
    if name == "extra_template_dirs":
        return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p)
    return raw


def python_executable() -> str:
    """The interpreter that runs fusion-tui; the `{python}` placeholder expands to it."""
    return sys.executable
