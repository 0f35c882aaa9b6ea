"""What the run manager raises for requests it cannot do; kept apart from the manager so
the CLI and the app can catch them without loading the database layer."""

from __future__ import annotations


class RunError(Exception):
    """A request about runs that cannot be done; the message is one line for the user."""


class RunNotFound(RunError):
    pass


class InvalidState(RunError):
    pass


class NotYours(RunError):
    """Another user's run: its processes are not ours to signal, its files not ours."""
