"""A kind of run: what differs between the simulators fusion-tui runs (the built-in one,
FUSION's `run_sim`), behind one interface, so the run manager, the supervisor, the live
views and the form ask the kind instead of knowing any simulator. A new kind is one
folder beside `builtin/` and `fusion/` plus one line in `registry.py`.

What a kind says: its configuration rules (the whole config, one form field, which keys
`--set` may add), its command line, the log parser its progress falls back on when it
writes no `progress.jsonl`, where its results are and how they reach the run folder, how
a cancel ends it, what its set-up needs (doctor) and what version produced a run.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.config import schema
from fusion_tui.config.schema import Sections
from fusion_tui.kinds.formats import results as result_files
from fusion_tui.monitor.progress import ProgressState
from fusion_tui.monitor.tracker import LogParser, ProgressTracker

Say = Callable[[str], None]  # a line for the supervisor's log


@dataclass(frozen=True)
class Check:
    """One set-up check: what was looked at, and the problem with its fix (None when
    fine)."""

    name: str
    detail: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Launch:
    """The simulator's command line and working directory (None: the run folder)."""

    argv: list[str]
    cwd: Path | None


class ResultsFollower(Protocol):
    """Brings a simulator's results into the run's `output/` while it runs, for a kind
    that writes them elsewhere."""

    def sync(self, progress: ProgressState, *, now: bool = False) -> None:
        """Copy what changed (at most every second unless `now`)."""
        ...

    def note(self) -> str | None:
        """What could not be brought over, for the run's audit trail; None if nothing."""
        ...


class RunKind(ABC):
    """One kind of run. Stateless: one instance serves every run of its kind."""

    name: ClassVar[str]  # the simulator's name in settings and templates
    reader: ClassVar[str]  # who reads its configuration, for messages
    command_setting: ClassVar[str]  # the setting that holds its command template
    allocation_methods: ClassVar[tuple[str, ...]]  # what the form offers
    seed_key: ClassVar[tuple[str, str] | None] = None  # (section, key) of its seed, if any
    # What one Erlang of offered load means to it (the form and the README say so).
    load_meaning: ClassVar[str] = "arrival rate = Erlang / holding_time"
    # Without a seed key: why its replicas cannot differ ("which ..."), for `--seeds`.
    no_seed: ClassVar[str] = "which has no seed setting"

    # -- configuration -----------------------------------------------------------------

    @abstractmethod
    def validate(self, sections: Sections, run_dir: Path) -> None:
        """Raise ConfigError (one line naming section and key) where the simulator would
        refuse the configuration; `run_dir` is where the run will live."""

    @abstractmethod
    def check_value(self, section: str, key: str, raw: str) -> None:
        """Check one value on its own (a form field); keys it does not read pass."""

    @abstractmethod
    def may_add(self, section: str, key: str) -> bool:
        """Whether `--set` may add `section.key` to a template that lacks it."""

    def warnings(self, sections: Sections) -> list[str]:
        """Settings the simulator accepts and is known to crash on, one line each (a
        valid configuration may still hold them)."""
        return []

    def keeps(self, section: str, key: str) -> tuple[str, str]:
        """Where its configuration keeps a key the form shows under FUSION 6.1's name
        (`routing_settings.k_paths`); most kinds keep it there."""
        return section, key

    def loads(self, sections: Sections) -> list[float]:
        """The Erlang loads a valid configuration runs, in order, as the simulator
        computes them (erlang_start to erlang_stop by erlang_step, both ends included)."""
        return schema.erlang_values(sections)

    def seed(self, sections: Mapping[str, Mapping[str, str]]) -> int | None:
        """The run's seed, recorded with it; None when the kind has no seed setting."""
        if self.seed_key is None:
            return None
        section, key = self.seed_key
        raw = sections.get(section, {}).get(key, "").strip()
        return int(raw) if re.fullmatch(r"-?\d{1,18}", raw, re.ASCII) else None

    # -- command line ------------------------------------------------------------------

    @abstractmethod
    def command_template(self, settings: Settings) -> str:
        """The command template (placeholders in `kinds/command.py`)."""

    @abstractmethod
    def cwd(self, settings: Settings) -> Path | None:
        """The simulator's working directory; None means the run directory."""

    def check_setup(self, settings: Settings) -> None:  # noqa: B027 (most kinds need none)
        """Raise ConfigError when the set-up cannot run this kind at all."""

    def launch(self, run_id: str, paths: RunPaths, settings: Settings) -> Launch:
        """The run's command line, checked: ConfigError, before anything is created,
        when the program or its directory is missing."""
        # Here, not above: a supervisor loads every kind and never builds a command line.
        from fusion_tui.kinds.command import check_runnable, expand_command, placeholder_values

        self.check_setup(settings)
        argv = expand_command(self.command_template(settings),
                              placeholder_values(run_id, paths, settings),
                              setting=self.command_setting)
        cwd = self.cwd(settings)
        check_runnable(argv, cwd, setting=self.command_setting)
        return Launch(argv, cwd)

    @abstractmethod
    def version(self, settings: Settings) -> dict[str, str | None]:
        """What produced the numbers (provenance): a version or a commit."""

    # -- progress ----------------------------------------------------------------------

    @abstractmethod
    def log_parser(self) -> LogParser | None:
        """A new parser of the simulator's log lines, for progress without a
        `progress.jsonl`; None when its log says nothing of progress."""

    def tracker(self, paths: RunPaths) -> ProgressTracker:
        """A run's progress from its folder, kept by the caller between polls."""
        return ProgressTracker(paths.progress, paths.log, paths.config, self.log_parser(),
                               self.loads)

    # -- results -----------------------------------------------------------------------

    def result_files(self, folder: Path) -> dict[float, Path]:
        """Erlang load -> its result file in `folder` (the run's output/, or the
        simulator's own folder)."""
        return result_files.result_files(folder)

    def read_point(self, path: Path) -> tuple[float, float | None, float | None] | None:
        """(blocking mean, interval low, interval high) of one result file."""
        return result_files.read_point(path)

    def result_source(self, paths: RunPaths, progress: ProgressState) -> Path | None:
        """The simulator's own result folder, when it does not write into output/."""
        return None

    def results_follower(self, paths: RunPaths, settings: Settings,
                         say: Say) -> ResultsFollower | None:
        """What copies results into output/ while the run goes; None when the simulator
        writes them there itself."""
        return None

    # -- cancel ------------------------------------------------------------------------

    def cancel_grace(self, settings: Settings) -> float:
        """How long after SIGTERM a simulator may take before SIGKILL."""
        return settings.cancel_grace

    def done_after_term(self, saves_at_term: int, progress: ProgressState) -> str | None:
        """Why to send SIGKILL before the grace period ends (the simulator said it is
        done with SIGTERM but keeps running); None to wait. `saves_at_term` is
        `progress.signal_saves` when SIGTERM was sent."""
        return None

    # -- set-up ------------------------------------------------------------------------

    def doctor(self, settings: Settings, sections: Sections | None = None,
               template: str | None = None) -> list[Check]:
        """Is the set-up ready to run this kind (and a template's files)? Each problem
        says how to fix it."""
        return []
