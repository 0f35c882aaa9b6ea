"""Finding a run by what a user typed: a full id, a unique prefix of one (4+ characters)
or `@last` (also `-`). The rules only, over lookups the caller gives, so the store's
read path and the quick one (`store/quick_read.py`) find runs alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from fusion_tui.base.ids import is_run_id
from fusion_tui.runs.errors import RunNotFound

# What stands for the calling user's newest run (or sweep) wherever an id is taken.
LAST = ("@last", "-")

R = TypeVar("R")


def get_run(run_id: str, get: Callable[[str], R | None]) -> R:
    """The run with that exact id; RunNotFound otherwise."""
    run = get(run_id) if is_run_id(run_id) else None
    if run is None:
        raise RunNotFound(f"no run with id {run_id!r}")
    return run


def find_run(ref: str, *, newest: Callable[[], Sequence[R]], get: Callable[[str], R | None],
             by_prefix: Callable[[str], Sequence[R]]) -> R:
    """The run `ref` names; RunNotFound (one line) when none or several do. `newest`: the
    calling user's newest run (or none), `by_prefix`: up to 5 runs whose id starts so."""
    if ref in LAST:
        found = newest()
        if not found:
            raise RunNotFound(f"{ref}: you have no runs yet")
        return found[0]
    if is_run_id(ref):
        return get_run(ref, get)
    if any(c not in "0123456789abcdef" for c in ref) or not ref:
        raise RunNotFound(f"invalid run id {ref!r}: expected 12 hex characters")
    if len(ref) < 4:
        raise RunNotFound(f"run id prefix {ref!r} is too short: a prefix needs at least 4 "
                          "characters")
    matches = by_prefix(ref)
    if not matches:
        raise RunNotFound(f"no run with id {ref!r}")
    if len(matches) > 1:
        raise RunNotFound(f"run id prefix {ref!r} is ambiguous")
    return matches[0]
