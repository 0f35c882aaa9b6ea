"""Requests to open a screen, posted by screens and handled by the app (`tui.app`): a
screen does not import the screens it leads to (the run detail leads to the new-run form,
the form to the sweep, the sweep back to a run's detail), and only the app knows them."""

from __future__ import annotations

from textual.message import Message


class OpenDetail(Message):
    """Show one run in depth."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class OpenLog(Message):
    """Show a run's log, live."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class OpenArtifacts(Message):
    """Show a run's output files."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class OpenNewRun(Message):
    """The new-run form, empty or as a clone of `clone_of`."""

    def __init__(self, clone_of: str | None = None) -> None:
        super().__init__()
        self.clone_of = clone_of


class OpenSweeps(Message):
    """The list of sweeps."""


class OpenSweep(Message):
    """One sweep and its grid."""

    def __init__(self, sweep_id: str) -> None:
        super().__init__()
        self.sweep_id = sweep_id


class OpenComparison(Message):
    """The comparison of a sweep's groups, or of chosen runs."""

    def __init__(self, *, sweep_id: str | None = None,
                 run_ids: list[str] | None = None) -> None:
        super().__init__()
        self.sweep_id, self.run_ids = sweep_id, run_ids


class OpenSchedules(Message):
    """The recurring schedules."""
