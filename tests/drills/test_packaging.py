"""The built wheel carries data/ and styles/; headless modules never import textual, and
the app's first frame never waits for the database layer."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEADLESS = [
    "fusion_tui.cli", "fusion_tui.services", "fusion_tui.base.settings",
    "fusion_tui.runs.artifacts",
    "fusion_tui.store.database", "fusion_tui.store.models", "fusion_tui.store.migrate",
    "fusion_tui.store.runs_repo", "fusion_tui.runs.manager", "fusion_tui.runs.supervisor",
    "fusion_tui.executors.registry", "fusion_tui.monitor.progress",
    "fusion_tui.monitor.log_stream", "fusion_tui.kinds.formats.loglines",
    "fusion_tui.kinds.registry", "fusion_tui.config.templates",
    "fusion_tui.cli.sweeps", "fusion_tui.sweeps.manager", "fusion_tui.sweeps.progress",
    "fusion_tui.comparison.compare", "fusion_tui.comparison.export",
    "fusion_tui.report.figures", "fusion_tui.report.build", "fusion_tui.report.reproduce",
    "fusion_tui.comparison.targets", "fusion_tui.cli.report",
    "fusion_tui.store.sweeps_repo",
]


def test_wheel_contains_data_and_styles(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("fusion_tui-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in ("minimal", "default", "fusion"):
        assert f"fusion_tui/_shipped/data/templates/{template}.ini" in names
    assert "fusion_tui/_shipped/styles/app.tcss" in names
    assert "fusion_tui/store/migrations/versions/0001_initial.py" in names
    assert "fusion_tui/store/migrations/script.py.mako" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    code = ("import fusion_tui.base.resources as r, sys;"
            "print(r.shipped_templates_dir()); print(r.styles_dir())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(target)})
    templates, styles = (Path(x) for x in out.stdout.split())
    assert templates.is_relative_to(target) and (templates / "minimal.ini").is_file()
    assert styles.is_relative_to(target) and (styles / "app.tcss").is_file()


def test_headless_modules_never_import_textual() -> None:
    code = ("import importlib, sys\n"
            f"for name in {HEADLESS!r}: importlib.import_module(name)\n"
            "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# What bare `fusion-tui` imports before its first frame: Textual, but not the database
# layer (SQLAlchemy's import alone takes longer than the frame) nor psutil or Alembic.
FIRST_FRAME = ["fusion_tui.cli", "fusion_tui.tui.app", "fusion_tui.tui.screens.runs",
               "fusion_tui.tui.widgets.runs.table", "fusion_tui.tui.widgets.key_bar",
               "fusion_tui.store.first_page", "fusion_tui.tui.widgets.runs.columns",
               "fusion_tui.tui.widgets.runs.rows", "fusion_tui.cli.launch"]


def test_first_frame_path_never_imports_the_database_layer() -> None:
    code = ("import importlib, sys\n"
            f"for name in {FIRST_FRAME!r}: importlib.import_module(name)\n"
            "heavy = ('sqlalchemy', 'alembic', 'psutil', 'psycopg')\n"
            # nor the command groups: bare `fusion-tui` parses the global flags alone
            "groups = ('fusion_tui.cli.sweeps', 'fusion_tui.cli.comparison', "
            "'fusion_tui.cli.runs', 'fusion_tui.cli.schedules')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in groups)\n"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
