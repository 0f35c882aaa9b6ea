"""The executor interface: where a run executes, behind one seam.

In the style of ert's scheduler `Driver`: the run manager and the sweep manager speak only
to this interface, never to a particular executor, so another executor is one new folder
and one line each in `registry.py` and `descriptions.py`. An executor submits (or starts)
a run, cancels it, watches its runs (one cycle), settles a run that has left it, adopts
one whose supervisor is gone, and describes itself (`description.py`: name, what it is,
which options it takes, how its runs' jobs are shown).

Executors sit below the run manager and beside the kinds of run: what they need from
above (how a run's progress is read, how its folder's evidence is judged, who the calling
user is, that a queue slot was freed) is lent to them as `Support`, whose parts are the
small protocols here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from fusion_tui.base.recorder_handover import RecorderHandover
from fusion_tui.base.rundir import RunPaths
from fusion_tui.executors.description import Description
from fusion_tui.monitor.progress import ProgressState
from fusion_tui.store.models import Run


class RunOptions(Protocol):
    """What a run asks of an executor, resolved and checked (`Executor.resolve`)."""

    def as_values(self) -> dict[str, str | None]:
        """The options as a run gives them (text; None when unset), to make another run
        like it."""
        ...

    def as_dict(self) -> dict[str, Any]:
        """The options as stored with the run."""
        ...


class ProgressSource(Protocol):
    """A run's progress read from its folder, kept between polls so each reads only what
    is new (the run manager lends the kind of run's tracker)."""

    @property
    def state(self) -> ProgressState: ...

    @property
    def source(self) -> str | None:
        """What the simulator reported progress in; None while it said nothing."""
        ...

    def poll(self) -> bool:
        """Read what is new; True when the state changed."""
        ...


class Outcome(Protocol):
    """How a run ended, as judged from its folder."""

    @property
    def status(self) -> str: ...

    @property
    def exit_code(self) -> int | None: ...

    @property
    def error(self) -> str | None: ...

    @property
    def recovered(self) -> str | None:
        """How the outcome was told when no supervisor recorded it as it happened."""
        ...

    @property
    def note(self) -> str | None:
        """What a bounded copy of the results left behind."""
        ...


class Evidence(Protocol):
    """The rules that judge a run's folder (the runs layer's, and the kind of run's):
    an executor that settles a run itself applies them, it does not own them."""

    def recorded(self, paths: RunPaths) -> tuple[Outcome, str | None] | None:
        """The outcome (and completion time) the run's supervisor wrote; None if none."""
        ...

    def exit_status(self, paths: RunPaths) -> tuple[int | None, str | None] | None:
        """(exit code, spawn error) the waiter recorded; None when nothing was."""
        ...

    def ended(self, paths: RunPaths, *, code: int | None, spawn_error: str | None,
              cancelled: bool, progress: ProgressState) -> Outcome:
        """The outcome of a run whose simulator has ended, from its exit status and
        progress."""
        ...

    def held(self, status: str, error: str, paths: RunPaths,
             progress: ProgressState) -> Outcome:
        """A status told from outside the folder (by a scheduler), held to the rule for
        COMPLETED (a result for every planned load)."""
        ...

    def tail(self, path: Path) -> str:
        """The last few KiB of a log ("" when it cannot be read)."""
        ...

    def last_line(self, path: Path) -> str | None:
        """The last non-blank line of a log."""
        ...


@dataclass(frozen=True)
class Support:
    """What the run manager lends its executors."""

    user: str  # the calling user: only their runs are settled, signalled or adopted
    hostname: str
    progress: Callable[[RunPaths], ProgressSource]
    evidence: Evidence
    queue: Callable[[Sequence[str]], object]  # queue runs; start those that fit
    slot_freed: Callable[[], object]  # a run ended outside the queue's sight: start what fits
    # In a recorder helper: the warm helpers it hands to the supervisors it starts.
    recorders: RecorderHandover | None = None

    def is_mine(self, run: Run) -> bool:
        """Whether `run` is the calling user's (a run with no recorded owner is everyone's)."""
        return run.owner is None or run.owner == self.user


@dataclass
class CycleReport:
    """What one watch cycle did: for the app's status line and for tests."""

    polled: bool = False
    settled: list[tuple[str, str]] = field(default_factory=list)
    problem: str | None = None
    problem_of: str | None = None  # the executor whose problem it is (its name)

    def add(self, other: CycleReport, executor: str) -> None:
        """Fold `executor`'s cycle into this one."""
        self.polled = self.polled or other.polled
        self.settled += other.settled
        if self.problem is None and other.problem is not None:
            self.problem, self.problem_of = other.problem, executor


@dataclass(frozen=True)
class Cancelled:
    """What a cancel of many runs did: the ids asked to stop, and one line per run that
    could not be."""

    asked: list[str]
    problems: list[str]


# What `Executor.adopt` answers for a run it gave a new supervisor.
ADOPTED = "adopted"


class Executor(ABC):
    """Where runs execute. Every method acts on the calling user's runs only."""

    # What it says of itself (`description.py`); the run manager reads the name, whether
    # its runs reach the store only through `watch` (`polled`), and what one submission of
    # many runs is called on it (`batch`, when it has one) from here.
    description: ClassVar[Description]

    @property
    def name(self) -> str:
        return self.description.name

    @property
    def polled(self) -> bool:
        return self.description.polled

    @property
    def batch(self) -> str | None:
        return self.description.batch

    # -- making a run --------------------------------------------------------------------

    @abstractmethod
    def resolve(self, asked: Mapping[str, str | None], template: Mapping[str, str],
                template_name: str) -> RunOptions | None:
        """What a new run asks of this executor (the run's values over the template's
        and the settings'), checked; ConfigError with one line. No scheduler is asked.
        Options given to an executor whose description lists none are refused before
        this, by the run manager, for every such executor alike."""

    @abstractmethod
    def check(self, options: RunOptions | None) -> None:
        """Ask whether such a run would be taken now; ConfigError with one line if not.
        Nothing is submitted."""

    @abstractmethod
    def follow_problem(self, needed: Run) -> str | None:
        """Why a new run here cannot be made to wait for the unfinished run `needed` to
        COMPLETE (`new --after`), in one line; None when it can."""

    @abstractmethod
    def options_of(self, run: Run) -> dict[str, str | None] | None:
        """The options `run` was made with, as `resolve` takes them."""

    @abstractmethod
    def add(self, run: Run, paths: RunPaths, options: RunOptions | None) -> None:
        """Store a new run (its row, not yet stored) with what this executor keeps of it,
        and write what it needs into the run folder."""

    @abstractmethod
    def records(self, runs: Sequence[Run], options: RunOptions | None) -> list[object]:
        """This executor's own rows for new runs of a batch, stored in the same
        transaction as the runs."""

    @abstractmethod
    def write_batch(self, batch_id: str, name: str | None, folder: Path, runs: Sequence[Run],
                    options: RunOptions | None, limit: int | None) -> None:
        """Write what submitting `runs` as one batch (at most `limit` at a time) needs
        into `folder` (a new folder), before their rows are stored."""

    # -- handing it over -----------------------------------------------------------------

    @abstractmethod
    def submit(self, run: Run, paths: RunPaths, options: RunOptions | None) -> None:
        """Hand a stored run over. A refusal removes the run (ConfigError with one line)."""

    @abstractmethod
    def submit_batch(self, runs: Sequence[Run], folder: Path, options: RunOptions | None,
                     undo: Callable[[], None]) -> None:
        """Hand stored runs over as one batch (`write_batch` wrote `folder`). A refusal
        removes the runs, then calls `undo` for what the caller made around them."""

    # -- stopping and removing it --------------------------------------------------------

    @abstractmethod
    def cancel(self, run: Run) -> Run | None:
        """Ask an unfinished run to stop; the run as it is now, or None when it had already
        finished."""

    @abstractmethod
    def cancel_many(self, runs: Sequence[Run]) -> Cancelled:
        """Cancel many runs at once (a sweep's); those already finished are skipped."""

    @abstractmethod
    def release(self, run: Run) -> None:
        """Let go of a finished run about to be deleted; FaultError changes nothing."""

    # -- watching it ---------------------------------------------------------------------

    @abstractmethod
    def watch(self, *, force: bool = False) -> CycleReport:
        """One cycle over this executor's unfinished runs: fold what they say into the
        store, settle or adopt those that need it. `force` asks a scheduler even when
        another client asked it a moment ago."""

    @abstractmethod
    def adopt(self, run: Run) -> str | None:
        """Settle or adopt one unfinished run whose supervisor may be gone: the status it
        was settled with, `ADOPTED`, or None when it is fine as it is."""

    @abstractmethod
    def settle(self, run: Run) -> str | None:
        """Record the outcome of a run that has left this executor (its supervisor gone,
        its job out of the queue), from its folder first; the status, or None when it
        cannot be told yet."""


class QueuedExecutor(Executor):
    """An executor whose runs wait in the run manager's per-user queue: `submit` queues a
    run, and the queue calls `start` once the run has a slot."""

    @abstractmethod
    def start(self, run: Run) -> bool:
        """Start a run the queue gave a slot (and claimed for this host). True when it
        could not be started for a reason of its own (recorded: the run FAILED) and its
        slot is free for the next run; False when it started, or when it went back in
        the queue for want of the machine's resources (the next start would fail alike)."""
