"""The built-in simulator as a kind of run: its configuration is checked by the very
function the simulator itself calls (`sim.config.sim_config`), so `fusion-tui new`, the
new-run form and `fusion-tui-sim` refuse the same values; it writes `progress.jsonl` and
its results into the run's `output/` itself, and ends within a second of SIGTERM."""

from __future__ import annotations

from pathlib import Path

from fusion_tui import __version__
from fusion_tui.base.settings import BUILTIN_SIMULATOR, Settings
from fusion_tui.config import schema
from fusion_tui.config.schema import Sections
from fusion_tui.kinds.formats import keys as fusion_keys
from fusion_tui.kinds.formats.loglines import FusionLogParser
from fusion_tui.kinds.kind import RunKind
from fusion_tui.sim.keys import ALLOCATION_METHODS, KNOWN


class BuiltinKind(RunKind):
    name = BUILTIN_SIMULATOR
    reader = "fusion-tui or FUSION"
    command_setting = "FUSION_TUI_SIMULATOR_COMMAND"
    allocation_methods = ALLOCATION_METHODS
    seed_key = ("builtin_settings", "seed")

    def validate(self, sections: Sections, run_dir: Path) -> None:
        # Here, not above: a supervisor loads every kind and never validates.
        from fusion_tui.sim.config import sim_config

        sim_config({s: dict(v) for s, v in sections.items()}, run_dir)

    def check_value(self, section: str, key: str, raw: str) -> None:
        schema.check_value(KNOWN, section, key, raw)

    def may_add(self, section: str, key: str) -> bool:
        """Its own keys, and any key FUSION 6.1 reads (it refuses, by name, a FUSION
        feature it does not implement, which is better than an unknown key)."""
        return (section, key) in KNOWN or fusion_keys.knows(section, key)

    def command_template(self, settings: Settings) -> str:
        return settings.simulator_command

    def cwd(self, settings: Settings) -> Path | None:
        return settings.simulator_cwd

    def version(self, settings: Settings) -> dict[str, str | None]:
        return {"simulator_version": __version__}

    def log_parser(self) -> FusionLogParser:
        """It logs in FUSION's format (a stand-in command may write no progress file)."""
        return FusionLogParser()
