"""The user's labels on runs: tags to group and filter by, and a note in their own
words. Only the run's owner labels it (as only they cancel or delete it); every value is
checked first (`store/labels.py`), and a tag edit of several runs is all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from fusion_tui.runs.context import RunContext
from fusion_tui.runs.errors import RunNotFound
from fusion_tui.store.labels import TagEdit, check_note
from fusion_tui.store.labels_repo import LabelStore
from fusion_tui.store.models import Run


class Labeller:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = LabelStore(ctx.store)

    def edit_tags(self, runs: Sequence[Run], edit: TagEdit) -> dict[str, list[str]]:
        """Each run's tags after adding and removing `edit`'s."""
        for run in runs:
            self.ctx.check_owner(run, "tag")
        try:
            return self.store.edit_run_tags([r.id for r in runs], edit)
        except LookupError as exc:
            raise RunNotFound(str(exc)) from None

    def set_note(self, run: Run, text: str | None) -> str | None:
        """The note as stored (None: cleared)."""
        self.ctx.check_owner(run, "write a note on")
        note = check_note(text)
        if self.store.set_run_note(run.id, note) is None:
            raise RunNotFound(f"no run with id {run.id!r} (deleted meanwhile?)")
        return note
