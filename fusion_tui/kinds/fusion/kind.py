"""FUSION's `run_sim` as a kind of run: its configuration is checked against FUSION 6.1's
own rules (`schema.py`), it runs in its checkout and logs its progress (no progress file),
its results are copied from the folder its log names (`results.py`), and on SIGTERM it
saves its statistics and may carry on, which ends the grace period early."""

from __future__ import annotations

from pathlib import Path

from fusion_tui import __version__
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.git import git_commit
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import FUSION_SIMULATOR, Settings
from fusion_tui.config.schema import Sections
from fusion_tui.kinds.formats import keys
from fusion_tui.kinds.formats.checkout import FIVE_FIVE, identify
from fusion_tui.kinds.formats.follower import FolderFollower
from fusion_tui.kinds.formats.loglines import FusionLogParser
from fusion_tui.kinds.fusion import crashes, schema
from fusion_tui.kinds.fusion.results import follower, fusion_folder
from fusion_tui.kinds.kind import Check, RunKind, Say
from fusion_tui.monitor.progress import ProgressState


class FusionKind(RunKind):
    name = FUSION_SIMULATOR
    reader = "FUSION 6.1"
    command_setting = "FUSION_TUI_FUSION_COMMAND"
    allocation_methods = schema.ALLOCATION_METHODS
    # fusion/core/simulation.py seeds NumPy with iteration + 1 before each iteration's
    # requests; `seed`, `seeds`, `request_seeds` are in no section its config loader
    # passes to the engine (read at 973983bc, and run).
    no_seed = ("which seeds its traffic with the iteration number in every run whatever "
               "the INI says (no key of its configuration reaches its request generator): "
               "replicas would be the same run; sweep another setting instead")

    def validate(self, sections: Sections, run_dir: Path) -> None:
        schema.validate(sections)

    def check_value(self, section: str, key: str, raw: str) -> None:
        schema.check_value(section, key, raw)

    def warnings(self, sections: Sections) -> list[str]:
        return crashes.warnings(sections)

    def may_add(self, section: str, key: str) -> bool:
        return keys.knows(section, key)

    def command_template(self, settings: Settings) -> str:
        return settings.fusion_command

    def cwd(self, settings: Settings) -> Path | None:
        """Its checkout: FUSION finds `data/` and writes its results from there."""
        return settings.fusion_home

    def check_setup(self, settings: Settings) -> None:
        if settings.fusion_home is None:
            raise ConfigError("FUSION_TUI_FUSION_HOME is not set: point it at your FUSION "
                              "checkout (`fusion-tui doctor` checks the set-up)")
        found = identify(settings.fusion_home)
        if found.line == FIVE_FIVE:
            raise ConfigError(f"FUSION_TUI_FUSION_HOME is {found.describe()}, which this "
                              "template's FUSION 6.x command cannot run: use a template of "
                              "that line (-t fusion55)")

    def version(self, settings: Settings) -> dict[str, str | None]:
        if settings.fusion_home is None:
            return {"simulator_version": __version__}
        return {"fusion_commit": git_commit(settings.fusion_home)}

    def log_parser(self) -> FusionLogParser:
        return FusionLogParser()

    def result_source(self, paths: RunPaths, progress: ProgressState) -> Path | None:
        return fusion_folder(paths, progress)

    def results_follower(self, paths: RunPaths, settings: Settings,
                         say: Say) -> FolderFollower:
        return follower(paths, int(settings.results_copy_mb * (1 << 20)), say)

    def done_after_term(self, saves_at_term: int, progress: ProgressState) -> str | None:
        """FUSION's SIGTERM handler saves its statistics and carries on: once it has
        saved, it is done."""
        if progress.signal_saves > saves_at_term:
            return "it saved its statistics after SIGTERM and kept running"
        return None

    def doctor(self, settings: Settings, sections: Sections | None = None,
               template: str | None = None) -> list[Check]:
        # Here, not above: a supervisor loads every kind and never runs the checks.
        from fusion_tui.kinds.fusion.doctor import diagnose

        return diagnose(settings, sections, template or "fusion")
