"""Is FUSION set up so that a run can start? Each problem is one line saying how to fix it.

`fusion-tui doctor` prints these checks; creating a FUSION run in the app shows the first
problem, so a user learns of a missing checkout before a run fails, not after.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.settings import Settings
from fusion_tui.kinds.command import check_runnable, expand_command
from fusion_tui.kinds.file_checks import crash_checks, modulation_check, network_check
from fusion_tui.kinds.formats.checkout import FIVE_FIVE, SIX, identify
from fusion_tui.kinds.fusion import crashes, schema
from fusion_tui.kinds.kind import Check

SHIPPED_MODULATION = "data/json_input/example_mods/default_mod_formats.json"
IMPORT_TIMEOUT = 120.0  # FUSION imports torch: 3-4 s warm, much longer on a cold disk


def _home(settings: Settings) -> tuple[Check, Path | None]:
    home = settings.fusion_home
    if home is None:
        return Check("checkout", "FUSION_TUI_FUSION_HOME",
                     "FUSION_TUI_FUSION_HOME is not set: export FUSION_TUI_FUSION_HOME="
                     "/path/to/FUSION (a checkout of github.com/SDNNetSim/FUSION)"), None
    if not home.is_dir():
        return Check("checkout", str(home),
                     f"FUSION_TUI_FUSION_HOME: {str(home)!r} is not a directory; clone FUSION "
                     "there or point the variable at your checkout"), None
    found = identify(home)
    if found.line == FIVE_FIVE:
        return Check("checkout", str(home),
                     f"FUSION_TUI_FUSION_HOME: {str(home)!r} is {found.describe()}, not FUSION "
                     "6.x: use a template of that line (-t fusion55), or check out FUSION's "
                     "main branch"), None
    if found.line != SIX or not (home / "data").is_dir():
        return Check("checkout", str(home),
                     f"FUSION_TUI_FUSION_HOME: {str(home)!r} is not a FUSION checkout (it needs "
                     "fusion/__init__.py and data/); point it at the folder you cloned"), None
    return Check("checkout", f"{home}: {found.describe()}"), home


def _python(settings: Settings, home: Path) -> tuple[Check, Path | None]:
    python = settings.resolved_fusion_python()
    how = "FUSION_TUI_FUSION_PYTHON" if settings.fusion_python else "found automatically"
    if not (python.is_file() and os.access(python, os.X_OK)):
        return Check("python", str(python),
                     f"FUSION's Python {str(python)!r} ({how}) is not an executable file; set "
                     "FUSION_TUI_FUSION_PYTHON to the python of FUSION's venv"), None
    try:
        done = subprocess.run(
            [str(python), "-c", "import fusion.cli.run_sim"], cwd=home,
            stdin=subprocess.DEVNULL, capture_output=True, timeout=IMPORT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return Check("python", str(python),
                     f"{str(python)!r} took over {IMPORT_TIMEOUT:g} s to import FUSION; "
                     "try again, or check that disk"), None
    except OSError as exc:
        return Check("python", str(python), f"cannot run {str(python)!r}: {exc.strerror}"), None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1][:200] if lines else f"exit status {done.returncode}"
        return Check("python", str(python),
                     f"{str(python)!r} cannot import FUSION ({last}); install FUSION's "
                     f"requirements into it and `pip install --no-deps -e {home}`, or set "
                     "FUSION_TUI_FUSION_PYTHON to the python of FUSION's venv"), None
    return Check("python", f"{python} ({how}) imports fusion"), python


def _command(settings: Settings) -> Check:
    values = {"config_path": "config.ini", "run_id": "x", "progress_file": "p",
              "output_dir": "o", "run_dir": ".", "python": "python",
              "fusion_python": str(settings.resolved_fusion_python()),
              "fusion_home": str(settings.fusion_home or "")}
    try:
        argv = expand_command(settings.fusion_command, values, setting="FUSION_TUI_FUSION_COMMAND")
        check_runnable(argv, settings.fusion_home, setting="FUSION_TUI_FUSION_COMMAND")
    except ConfigError as exc:
        return Check("command", settings.fusion_command, str(exc))
    if "run_sim" not in argv[1:]:
        return Check("command", " ".join(argv),
                     "FUSION_TUI_FUSION_COMMAND lacks the `run_sim` mode FUSION 6.1 requires "
                     "(fusion-sim run_sim --config_path ...); unset it to use the default")
    return Check("command", " ".join(argv))


def _template_files(sections: Mapping[str, Mapping[str, str]], home: Path,
                    template: str) -> list[Check]:
    checks = []
    try:
        schema.validate(sections)
        checks.append(Check("template", f"{template}: every key FUSION 6.1 requires"))
    except ConfigError as exc:
        checks.append(Check("template", template, f"template {template!r}: {exc}"))
    checks += crash_checks(crashes.warnings, sections, template)
    checks += modulation_check(sections, home, template, lambda mods: (
        "is this a FUSION 6.1 checkout?" if mods == SHIPPED_MODULATION else
        f"FUSION 6.1 ships {SHIPPED_MODULATION}"))
    checks.append(network_check(sections, home, template, "FUSION 6.1"))
    return checks


def diagnose(settings: Settings, sections: Mapping[str, Mapping[str, str]] | None = None,
             template: str = "fusion") -> list[Check]:
    """Every check, in the order a user fixes them; later ones are skipped once the
    checkout itself is missing."""
    home_check, home = _home(settings)
    checks = [home_check]
    if home is None:
        return checks
    python_check, _ = _python(settings, home)
    checks += [python_check, _command(settings)]
    if sections is not None:
        checks += _template_files(sections, home, template)
    return checks
