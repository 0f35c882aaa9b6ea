"""Expand a simulator command template into an argv, without any shell (every kind of
run's command line is one of these, from its setting).

Placeholders: {config_path} {run_id} {progress_file} {output_dir} {run_dir} {python}
{fusion_python} {fusion_home}.
The template is split like a shell would split it, once; values are substituted into
the words afterwards, so a value with spaces or quotes stays one argument.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings, python_executable

PLACEHOLDERS = ("config_path", "run_id", "progress_file", "output_dir", "run_dir", "python",
                "fusion_python", "fusion_home")


def placeholder_values(run_id: str, paths: RunPaths, settings: Settings) -> dict[str, str]:
    return {
        "config_path": str(paths.config),
        "run_id": run_id,
        "progress_file": str(paths.progress),
        "output_dir": str(paths.output),
        "run_dir": str(paths.root),
        "python": python_executable(),
        "fusion_python": str(settings.resolved_fusion_python()),
        "fusion_home": str(settings.fusion_home or ""),
    }


@functools.lru_cache(maxsize=16)
def _split(template: str) -> tuple[str, ...]:
    """The command's words (a sweep expands the same command for every point)."""
    return tuple(shlex.split(template))


def expand_command(template: str, values: dict[str, str], *, setting: str) -> list[str]:
    try:
        words = _split(template)
    except ValueError as exc:
        raise ConfigError(f"{setting}: cannot split command ({exc})") from None
    if not words:
        raise ConfigError(f"{setting}: the command is empty")
    argv = []
    for word in words:
        try:
            argv.append(word.format_map(values))
        except KeyError as exc:
            raise ConfigError(f"{setting}: unknown placeholder {{{exc.args[0]}}}; "
                              f"known: {', '.join(PLACEHOLDERS)}") from None
        except (ValueError, IndexError):
            raise ConfigError(f"{setting}: malformed placeholder in {word!r}") from None
    return argv


def check_runnable(argv: list[str], cwd: Path | None, *, setting: str) -> None:
    """Fail now, before anything is created, if the program or directory is missing."""
    if cwd is not None and not cwd.is_dir():
        raise ConfigError(f"{setting}: working directory {str(cwd)!r} does not exist")
    program = argv[0]
    if os.sep in program:
        path = Path(program) if os.path.isabs(program) else (cwd or Path.cwd()) / program
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConfigError(f"{setting}: {program!r} is not an executable file")
    elif shutil.which(program) is None:
        raise ConfigError(f"{setting}: {program!r} not found on PATH")
