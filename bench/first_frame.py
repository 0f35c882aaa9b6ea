"""Helper of bench_tui.py: open the app headless on FUSION_TUI_HOME, print `frame` on
stdout as soon as the first frame showing runs is painted, then exit. The parent times
from spawning this process to reading that line."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from fusion_tui.services import open_services
from fusion_tui.settings import Settings
from fusion_tui.tui.app import create_app
from fusion_tui.tui.widgets.runs_table import RunsTable


def main() -> None:
    services = open_services(Settings.load())
    app = create_app(services, watch_notifications=False)

    async def wait_for_rows(pilot: Any) -> None:
        while True:
            tables = app.screen.query(RunsTable)
            if tables and tables.first().row_count:
                break
            await asyncio.sleep(0.001)
        await pilot.pause()  # the frame with those rows is painted
        sys.stdout.write("frame\n")
        sys.stdout.flush()
        app.exit()

    app.run(headless=True, auto_pilot=wait_for_rows)
    services.close()


if __name__ == "__main__":
    main()
