"""Is a FUSION checkout of the 5.5 line set up so that a run can start? Each problem is
one line saying how to fix it. Its Python is checked without running any of FUSION's code
(its `run_sim.py` has no import guard): the modules its code imports at module level, read
from its files, must be found by that interpreter.
"""

from __future__ import annotations

import ast
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.safefile import read_text
from fusion_tui.base.settings import Settings
from fusion_tui.kinds.command import check_runnable, expand_command
from fusion_tui.kinds.file_checks import crash_checks, modulation_check, network_check
from fusion_tui.kinds.formats.checkout import FIVE_FIVE, SIX, identify
from fusion_tui.kinds.fusion55 import crashes, schema
from fusion_tui.kinds.kind import Check

IMPORT_TIMEOUT = 60.0


def _home(settings: Settings) -> tuple[Check, Path | None]:
    home = settings.fusion_home
    if home is None:
        return Check("checkout", "FUSION_TUI_FUSION_HOME",
                     "FUSION_TUI_FUSION_HOME is not set: export FUSION_TUI_FUSION_HOME="
                     "/path/to/FUSION (a checkout of FUSION's 5.5 line, e.g. git checkout "
                     "v5.5.1 or feature/grooming-new)"), None
    if not home.is_dir():
        return Check("checkout", str(home),
                     f"FUSION_TUI_FUSION_HOME: {str(home)!r} is not a directory"), None
    found = identify(home)
    if found.line == SIX:
        return Check("checkout", str(home),
                     f"FUSION_TUI_FUSION_HOME: {str(home)!r} is {found.describe()}, not the "
                     "5.5 line: use a FUSION 6.x template (-t fusion), or check out v5.5.1 "
                     "or feature/grooming-new"), None
    if found.line != FIVE_FIVE or not (home / "data").is_dir():
        return Check("checkout", str(home),
                     f"FUSION_TUI_FUSION_HOME: {str(home)!r} is not a FUSION checkout of the "
                     "5.5 line (it needs run_sim.py, src/ and data/)"), None
    return Check("checkout", f"{home}: {found.describe()}"), home


def needed_modules(home: Path, limit: int = 2000) -> set[str]:
    """The top-level modules `run_sim.py` needs that are not the checkout's own: its
    module-level imports, followed through the checkout's own modules (read, never run;
    imports inside functions are optional paths, RL and the like, and are not followed)."""
    seen: set[Path] = set()
    todo = [home / "run_sim.py"]
    needed: set[str] = set()
    while todo and len(seen) < limit:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            tree = ast.parse(read_text(path, 1 << 22))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            continue
        for name in _module_imports(tree.body):
            parts = name.split(".")
            local = [home.joinpath(*parts[:i]) for i in range(len(parts), 0, -1)]
            files = [f for p in local for f in (p.with_suffix(".py"), p / "__init__.py")
                     if f.is_file() and not f.is_symlink()]
            if files:
                todo.extend(files[:1])
            elif not (home / parts[0]).is_dir():
                needed.add(parts[0])
    return needed


def _module_imports(body: list[ast.stmt]) -> list[str]:
    names: list[str] = []
    for node in body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.If | ast.Try):
            names += _module_imports(node.body)
    return names


_FIND = ("import importlib.util, sys\n"
         "print(' '.join(m for m in sys.argv[1:] if m not in sys.stdlib_module_names"
         " and importlib.util.find_spec(m) is None))")


def _python(settings: Settings, home: Path) -> Check:
    python = settings.resolved_fusion_python()
    how = "FUSION_TUI_FUSION_PYTHON" if settings.fusion_python else "found automatically"
    if not (python.is_file() and os.access(python, os.X_OK)):
        return Check("python", str(python),
                     f"FUSION's Python {str(python)!r} ({how}) is not an executable file; set "
                     "FUSION_TUI_FUSION_PYTHON to the python of FUSION's venv")
    modules = sorted(needed_modules(home))
    try:
        done = subprocess.run([str(python), "-c", _FIND, *modules], cwd=home,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=IMPORT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return Check("python", str(python), f"{str(python)!r} took over {IMPORT_TIMEOUT:g} s "
                                            "to look for FUSION's modules; try again")
    except OSError as exc:
        return Check("python", str(python), f"cannot run {str(python)!r}: {exc.strerror}")
    missing = done.stdout.decode("utf-8", "replace").split()
    if done.returncode != 0 or missing:
        what = ", ".join(missing) if missing else f"exit status {done.returncode}"
        return Check("python", str(python),
                     f"{str(python)!r} lacks what FUSION's run_sim.py imports ({what}); install "
                     "FUSION's requirements into it, or set FUSION_TUI_FUSION_PYTHON")
    return Check("python", f"{python} ({how}) has the {len(modules)} modules run_sim.py "
                           "imports")


def _command(settings: Settings) -> Check:
    values = {"config_path": "config.ini", "run_id": "x", "progress_file": "p",
              "output_dir": "o", "run_dir": ".", "python": "python",
              "fusion_python": str(settings.resolved_fusion_python()),
              "fusion_home": str(settings.fusion_home or "")}
    try:
        argv = expand_command(settings.fusion55_command, values,
                              setting="FUSION_TUI_FUSION55_COMMAND")
        check_runnable(argv, settings.fusion_home, setting="FUSION_TUI_FUSION55_COMMAND")
    except ConfigError as exc:
        return Check("command", settings.fusion55_command, str(exc))
    return Check("command", " ".join(argv))


def _template(sections: Mapping[str, Mapping[str, str]], home: Path, template: str,
              pre_calc_reach_checked: bool | None) -> list[Check]:
    checks = []
    try:
        schema.validate(sections)
        checks.append(Check("template", f"{template}: every key FUSION's 5.5 line requires"))
    except ConfigError as exc:
        checks.append(Check("template", template, f"template {template!r}: {exc}"))
    checks += crash_checks(crashes.warnings, sections, template)
    general = sections.get("general_settings", {})
    pre_calc = general.get("pre_calc_mod_selection", "").strip().lower() in ("true", "yes", "1")
    if pre_calc_reach_checked is not None and pre_calc != pre_calc_reach_checked:
        checks.append(Check("reach", template,
                            f"template {template!r}: pre_calc_mod_selection = {pre_calc} on "
                            "this checkout gives every path every format and, with "
                            "snr_type = None, checks no reach (it means the opposite on "
                            "v5.5.1 and on feature/grooming-new); set it to "
                            f"{pre_calc_reach_checked} here"))
    checks += modulation_check(sections, home, template)
    checks.append(network_check(sections, home, template, schema.READER))
    return checks


def diagnose(settings: Settings, sections: Mapping[str, Mapping[str, str]] | None = None,
             template: str = "fusion55") -> list[Check]:
    """Every check, in the order a user fixes them; later ones are skipped once the
    checkout itself is missing or of the other line."""
    home_check, home = _home(settings)
    checks = [home_check]
    if home is None:
        return checks
    checks += [_python(settings, home), _command(settings)]
    if sections is not None:
        # The grooming branch checks reach with pre_calc_mod_selection = True, v5.5.1 with
        # False (its routing tests `not pre_calc...`).
        grooming = identify(home).grooming_keys
        checks += _template(sections, home, template, pre_calc_reach_checked=grooming)
    return checks
