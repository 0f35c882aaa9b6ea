"""Bare `fusion-tui`: open the app on the store (runs keep going when it closes)."""

from __future__ import annotations

import gc
import sys

from fusion_tui.base.settings import Settings, SettingsError


def run_tui(settings: Settings) -> int:
    """The app opens the store itself, after its first frame (see `tui.app`), so this path
    imports neither SQLAlchemy nor the run manager."""
    from fusion_tui.tui.app import create_app  # Textual: only for the app, not at start-up
    from fusion_tui.tui.widgets.runs.columns import ColumnsError, shown_columns

    try:
        shown_columns(settings.columns, f"{settings.config_file}: [columns] shown")
    except ColumnsError as exc:
        raise SettingsError(str(exc)) from None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from fusion_tui.cli.command import UsageError

        raise UsageError("the app needs a terminal (stdin and stdout are not a TTY); "
                         "for scripts use `fusion-tui runs`")
    app = create_app(settings)
    # What start-up made lives as long as the app: the collector need not walk it again.
    # A full collection of it just before the first frame cost 12 ms (bench_tui.py).
    gc.freeze()
    try:
        app.run()
    finally:
        app.close_services()
    if app.services_error is not None:
        raise SettingsError(app.services_error)
    return 0


def open_app() -> int:
    """Bare `fusion-tui`: the settings from the environment and the settings file, then
    the app. A failure is reported as every command's is (`dispatch.failed`)."""
    from fusion_tui.executors.descriptions import TABLES

    settings: Settings | None = None
    try:
        settings = Settings.load(tables=TABLES)
        return run_tui(settings)
    except Exception as exc:
        from fusion_tui.cli.failures import failed

        return failed(exc, [], settings)
    except KeyboardInterrupt:
        return 130
