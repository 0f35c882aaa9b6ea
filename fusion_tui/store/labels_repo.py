"""Tags and notes of runs and sweeps in the store: each change in one transaction, under
the rows' locks, with a short `tagged` or `noted` event in each run's audit trail.

Values are checked by `store/labels.py` before they get here (the managers do).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import select

from fusion_tui.store.labels import TagEdit
from fusion_tui.store.models import EventKind, Run, RunEvent, RunTag, Sweep, SweepTag
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import utcnow

Row = TypeVar("Row", Run, Sweep)


class LabelStore:
    """Store access for the user's labels, over the same session factory as `RunStore`."""

    def __init__(self, store: RunStore) -> None:
        self._store = store

    def edit_run_tags(self, run_ids: Sequence[str], edit: TagEdit) -> dict[str, list[str]]:
        """Add and remove tags of every run in `run_ids`, all or nothing (LookupError
        naming a run that no longer exists); each run's tags after the edit."""
        out: dict[str, list[str]] = {}
        with self._store.session(write=True) as s:
            runs = _all(s.scalars(select(Run).where(Run.id.in_(list(run_ids)))
                                  .with_for_update()), run_ids, "run")
            for run in runs:
                change = _changes({t.tag for t in run.tags}, edit)
                run.tags[:] = [t for t in run.tags if t.tag not in change.remove]
                run.tags += [RunTag(run_id=run.id, tag=tag) for tag in change.add]
                if change:
                    s.add(RunEvent(run_id=run.id, kind=EventKind.TAGGED.value, at=utcnow(),
                                   detail=change.text()))
                out[run.id] = sorted(t.tag for t in run.tags)
        return out

    def edit_sweep_tags(self, sweep_ids: Sequence[str], edit: TagEdit) -> dict[str, list[str]]:
        """As `edit_run_tags`, for sweeps (a sweep has no audit trail of its own)."""
        out: dict[str, list[str]] = {}
        with self._store.session(write=True) as s:
            sweeps = _all(s.scalars(select(Sweep).where(Sweep.id.in_(list(sweep_ids)))
                                    .with_for_update()), sweep_ids, "sweep")
            for sweep in sweeps:
                change = _changes({t.tag for t in sweep.tags}, edit)
                sweep.tags[:] = [t for t in sweep.tags if t.tag not in change.remove]
                sweep.tags += [SweepTag(sweep_id=sweep.id, tag=tag) for tag in change.add]
                out[sweep.id] = sorted(t.tag for t in sweep.tags)
        return out

    def set_run_note(self, run_id: str, note: str | None) -> bool | None:
        """Set (or with None clear) a run's note; whether it changed, None when the run is
        gone."""
        with self._store.session(write=True) as s:
            run = s.scalars(select(Run).where(Run.id == run_id).with_for_update()).first()
            if run is None:
                return None
            if run.note == note:
                return False
            run.note = note
            detail = "cleared" if note is None else f"set ({len(note)} characters)"
            s.add(RunEvent(run_id=run.id, kind=EventKind.NOTED.value, at=utcnow(),
                           detail=detail))
            return True

    def set_sweep_note(self, sweep_id: str, note: str | None) -> bool | None:
        """As `set_run_note`, for a sweep."""
        with self._store.session(write=True) as s:
            sweep = s.scalars(select(Sweep).where(Sweep.id == sweep_id)
                              .with_for_update()).first()
            if sweep is None:
                return None
            changed = sweep.note != note
            sweep.note = note
            return changed


def _all(rows: Iterable[Row], ids: Sequence[str], what: str) -> list[Row]:
    """Every row asked for, or LookupError naming one that is missing."""
    found = list(rows)
    missing = sorted(set(ids) - {row.id for row in found})
    if missing:
        raise LookupError(f"no {what} with id {missing[0]!r} (deleted meanwhile?)")
    return found


def _changes(have: set[str], edit: TagEdit) -> TagEdit:
    """What of `edit` really changes a row that has the tags `have`."""
    return TagEdit(tuple(t for t in edit.add if t not in have),
                   tuple(t for t in edit.remove if t in have))
