"""Helper of bench_tui.py: open the app headless on FUSION_TUI_HOME and print the seconds
from process start to the first frame that shows runs, then exit."""

from __future__ import annotations

import time

import psutil

from fusion_tui.services import open_services
from fusion_tui.settings import Settings
from fusion_tui.tui.app import create_app
from fusion_tui.tui.widgets.runs_table import RunsTable


def main() -> None:
    started = psutil.Process().create_time()
    services = open_services(Settings.load())
    app = create_app(services, watch_notifications=False)

    elapsed: list[float] = []

    def check() -> None:
        tables = app.screen.query(RunsTable)
        if tables and tables.first().row_count and not elapsed:
            elapsed.append(time.time() - started)
            app.exit()

    app.set_interval(0.002, check)
    app.run(headless=True)
    services.close()
    print(f"{elapsed[0]:.4f}")


if __name__ == "__main__":
    main()
