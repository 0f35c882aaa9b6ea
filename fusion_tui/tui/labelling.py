"""Tag and note runs and sweeps from the app: read what they have (a worker), ask in a
modal (`widgets/labels.py`), then change it through the run or sweep manager (a worker of
the app, so it outlives the screen that asked) and say the outcome in a toast. A refusal
(another user's run, one deleted meanwhile) is a toast too, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from fusion_tui.store.labels import TagEdit
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.labels import NoteScreen, TagsScreen

Kind = Literal["run", "sweep"]


def edit_tags(app: SessionApp, kind: Kind, ids: list[str],
              done: Callable[[], object] | None = None) -> None:
    """Ask for a tag edit of the runs (or sweeps) `ids`, then make it."""
    def ask() -> None:
        tags = sorted({t for row in _labelled(app, kind, ids) for t in row.tag_names})
        title = f"Tags of {kind} {ids[0]}" if len(ids) == 1 else f"Tags of {len(ids)} {kind}s"
        app.call_from_thread(app.push_screen, TagsScreen(title, tags), answered)

    def answered(edit: TagEdit | None) -> None:
        if edit:
            app.run_worker(lambda: apply(edit), thread=True, exit_on_error=False,
                           group="actions")

    def apply(edit: TagEdit) -> None:
        services = app.services
        if kind == "run":
            tags = services.manager.edit_tags([services.manager.get(i) for i in ids], edit)
        else:
            tags = services.sweeps.edit_tags([services.sweeps.resolve(i) for i in ids], edit)
        if len(tags) == 1:
            ((one, now),) = tags.items()
            app.call_from_thread(app.say, f"{kind} {one}: tags " + (" ".join(now) or "none"))
        else:
            app.call_from_thread(app.say, f"{len(tags)} {kind}s: {edit.text()}")
        if done is not None:
            app.call_from_thread(done)

    app.run_worker(ask, thread=True, exit_on_error=False, exclusive=True, group="labels")


def edit_note(app: SessionApp, kind: Kind, item_id: str,
              done: Callable[[], object] | None = None) -> None:
    """Ask for the note of a run (or sweep), then set it ("" clears it)."""
    def ask() -> None:
        (row,) = _labelled(app, kind, [item_id])
        app.call_from_thread(app.push_screen, NoteScreen(f"Note on {kind} {item_id}",
                                                         row.note), answered)

    def answered(text: str | None) -> None:
        if text is not None:
            app.run_worker(lambda: apply(text), thread=True, exit_on_error=False,
                           group="actions")

    def apply(text: str) -> None:
        services = app.services
        if kind == "run":
            note = services.manager.set_note(services.manager.get(item_id), text)
        else:
            note = services.sweeps.set_note(services.sweeps.resolve(item_id), text)
        app.call_from_thread(app.say, f"{kind} {item_id}: " + ("note saved" if note
                                                               else "note cleared"))
        if done is not None:
            app.call_from_thread(done)

    app.run_worker(ask, thread=True, exit_on_error=False, exclusive=True, group="labels")


class Labelled(Protocol):
    """A run or a sweep, as far as its labels go."""

    @property
    def tag_names(self) -> list[str]: ...

    @property
    def note(self) -> str | None: ...


def _labelled(app: SessionApp, kind: Kind, ids: list[str]) -> Sequence[Labelled]:
    """The runs (or sweeps) `ids` as the store has them now (RunNotFound for one gone)."""
    services = app.services
    if kind == "run":
        return [services.manager.get(i) for i in ids]
    return [services.sweeps.resolve(i) for i in ids]
