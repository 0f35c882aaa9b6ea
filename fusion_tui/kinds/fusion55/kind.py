"""FUSION's 5.5 line (tag v5.5.1, branch `feature/grooming-new`) as a kind of run:
`run_sim.py` in its checkout, its own configuration rules (`schema.py`), progress from
what it prints (`loglines.py`), results from a folder it never names (`results.py`), its
loads as `range(start, stop, step)`, and a load that means `cores_per_link` times what it
means to FUSION 6.1.

A failed worker leaves its loads without results while the process exits 0: the
supervisor's "every planned load has its result" rule makes such a run FAILED, with the
worker's crash line (`Failed while running Erlang ...` and the exception) as its error.
A cancel gains nothing by waiting: its SIGTERM handler is broken and saves nothing, and
the grooming branch's worker goes on to its next load.
"""

from __future__ import annotations

from pathlib import Path

from fusion_tui import __version__
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.git import git_commit
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import FUSION55_SIMULATOR, Settings
from fusion_tui.config.schema import Sections
from fusion_tui.kinds.formats.checkout import SIX, identify
from fusion_tui.kinds.formats.follower import FolderFollower
from fusion_tui.kinds.fusion55 import crashes, results, schema
from fusion_tui.kinds.fusion55.loglines import Fusion55LogParser
from fusion_tui.kinds.kind import Check, RunKind, Say
from fusion_tui.monitor.progress import ProgressState

# SIGTERM saves nothing in this line: a short grace, then SIGKILL.
CANCEL_GRACE_SECONDS = 1.0


class Fusion55Kind(RunKind):
    name = FUSION55_SIMULATOR
    reader = schema.READER
    command_setting = "FUSION_TUI_FUSION55_COMMAND"
    allocation_methods = schema.ALLOCATION_METHODS
    load_meaning = "arrival rate = cores_per_link x Erlang / holding_time, " \
        "cores_per_link times FUSION 6.1's load"
    no_seed = ("which seeds every iteration with its number in every run (its seeds key "
               "splits its text into characters and crashes each load): replicas would be "
               "the same run; sweep another setting instead")

    def validate(self, sections: Sections, run_dir: Path) -> None:
        schema.validate(sections)

    def check_value(self, section: str, key: str, raw: str) -> None:
        schema.check_value(section, key, raw)

    def may_add(self, section: str, key: str) -> bool:
        return schema.knows(section, key)

    def warnings(self, sections: Sections) -> list[str]:
        return crashes.warnings(sections)

    def keeps(self, section: str, key: str) -> tuple[str, str]:
        """It reads k_paths from [general_settings], the only place it looks."""
        return ("general_settings", key) if (section, key) == ("routing_settings", "k_paths") \
            else (section, key)

    def loads(self, sections: Sections) -> list[float]:
        return schema.loads(sections)

    def command_template(self, settings: Settings) -> str:
        return settings.fusion55_command

    def cwd(self, settings: Settings) -> Path | None:
        """Its checkout: every path it reads and writes is relative to it."""
        return settings.fusion_home

    def check_setup(self, settings: Settings) -> None:
        if settings.fusion_home is None:
            raise ConfigError("FUSION_TUI_FUSION_HOME is not set: point it at your checkout of "
                              "FUSION's 5.5 line (`fusion-tui doctor -t fusion55` checks it)")
        found = identify(settings.fusion_home)
        if found.line == SIX:
            raise ConfigError(f"FUSION_TUI_FUSION_HOME is {found.describe()}, which has no "
                              "run_sim.py of the 5.5 line: use a FUSION 6.x template "
                              "(-t fusion)")

    def version(self, settings: Settings) -> dict[str, str | None]:
        if settings.fusion_home is None:
            return {"simulator_version": __version__}
        return {"fusion_commit": git_commit(settings.fusion_home)}

    def log_parser(self) -> Fusion55LogParser:
        return Fusion55LogParser()

    def result_source(self, paths: RunPaths, progress: ProgressState) -> Path | None:
        return results.result_folder(paths, progress)

    def results_follower(self, paths: RunPaths, settings: Settings,
                         say: Say) -> FolderFollower:
        return results.follower(paths, int(settings.results_copy_mb * (1 << 20)), say)

    def cancel_grace(self, settings: Settings) -> float:
        return min(settings.cancel_grace, CANCEL_GRACE_SECONDS)

    def doctor(self, settings: Settings, sections: Sections | None = None,
               template: str | None = None) -> list[Check]:
        # Here, not above: a supervisor loads every kind and never runs the checks.
        from fusion_tui.kinds.fusion55.doctor import diagnose

        return diagnose(settings, sections, template or "fusion55")
