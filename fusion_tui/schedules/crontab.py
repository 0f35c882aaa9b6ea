"""`fusion-tui schedule install`: one line in the user's crontab that runs `fusion-tui
schedule tick` every minute, marked by a comment at its end so it is found again
(installing twice leaves one line; `--remove` takes it out; the user's other lines are
kept as they are). Ours is the line that ends with this store's log and the marker: a
commented-out line, or another store's tick line (another home), is kept.

Cron runs it with a minimal environment (PATH=/usr/bin:/bin, no variables of the user's
shell): the line names this Python by its absolute path, and carries the settings that
came from variables or flags (the settings file is read by the tick itself, as by any
command), the PATH and the Python path, so the tick sees the same store, runs folder and
commands as the shell that installed it. Its output (only problems, and what it started)
is appended to `<home>/schedule-tick.log`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError
from fusion_tui.base.settings import ENV_PREFIX, Settings

MARKER = "# fusion-tui schedule tick"
LOG_NAME = "schedule-tick.log"
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
# Variables of the environment that decide where the default store and settings file are.
_PLACE_VARIABLES = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", ENV_PREFIX + "CONFIG")
TIMEOUT = 30.0


class NoCrontab(ConfigError):
    """There is no `crontab` command; `line` is what to add by hand."""

    def __init__(self, line: str) -> None:
        super().__init__("crontab is not installed (no `crontab` command on PATH); add the "
                         "line printed above to your scheduler by hand (it must run every "
                         "minute)")
        self.line = line


def _quote(value: str) -> str:
    """A shell word for a crontab command: quoted, and `%` escaped (cron turns a bare `%`
    into a newline)."""
    if any(ch in value for ch in "\n\r\0"):
        raise ConfigError(f"cannot put {value!r} into a crontab line: it has a line break")
    return shlex.quote(value).replace("%", "\\%")


def tick_line(settings: Settings, env: Mapping[str, str] | None = None,
              config: str | None = None) -> str:
    """The crontab line: every minute, `fusion-tui schedule tick` with this Python and
    these settings (`config`: the settings file `--config` named), its output appended
    to the tick's log."""
    env = dict(os.environ if env is None else env)
    if config is not None:
        env[ENV_PREFIX + "CONFIG"] = config if config == "none" else \
            str(Path(config).expanduser().absolute())
    given = settings.to_env()
    words = [f"{name}={_quote(env[name])}" for name in _PLACE_VARIABLES if env.get(name)]
    for name, source in settings.sources:
        variable = ENV_PREFIX + name.upper()
        if source.startswith((ENV_PREFIX, "--")) and variable in given:
            words.append(f"{variable}={_quote(given[variable])}")
    words.append(f"PATH={_quote(env.get('PATH', '/usr/bin:/bin'))}")
    words.append(f"PYTHONPATH={_quote(_PACKAGE_PARENT)}")
    command = [_quote(sys.executable), "-m", "fusion_tui", "schedule", "tick"]
    return f"* * * * * {' '.join(words)} {' '.join(command)} {_tail(settings)}"


def _tail(settings: Settings) -> str:
    """How this store's line ends: its log (one per home) and the marker."""
    return f">>{_quote(str(settings.home / LOG_NAME))} 2>&1 {MARKER}"


def _ours(line: str, settings: Settings) -> bool:
    return not line.lstrip().startswith("#") and line.rstrip().endswith(_tail(settings))


def _crontab(*args: str, text: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["crontab", *args], input=text, capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=None if text is not None
                              else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise FaultError(f"crontab {' '.join(args)} gave no answer in {TIMEOUT:g} s") from None


def _current() -> list[str]:
    """The user's crontab, line by line ([] when they have none)."""
    done = _crontab("-l")
    if done.returncode != 0:
        said = " ".join(done.stderr.split())
        if "no crontab" in said.lower():
            return []
        raise FaultError(f"crontab -l failed: {said or f'exit status {done.returncode}'}")
    return done.stdout.splitlines()


def install(settings: Settings, *, remove: bool = False,
            config: str | None = None) -> tuple[str, str]:
    """Put our line into the user's crontab (or take it out); (what was done, the line).
    NoCrontab when there is no `crontab` command."""
    line = tick_line(settings, config=config)
    if shutil.which("crontab") is None:
        raise NoCrontab(line)
    current = _current()
    kept = [x for x in current if not _ours(x, settings)]
    wanted = kept if remove else [*kept, line]
    if wanted == current:
        return ("not installed" if remove else "already installed"), line
    done = _crontab("-", text="".join(f"{x}\n" for x in wanted))
    if done.returncode != 0:
        said = " ".join(done.stderr.split())
        raise FaultError(f"crontab refused the new table: {said or done.returncode}")
    return ("removed" if remove else "installed"), line
