"""The modals that edit the user's labels: tags (one line, `+a -b c`) and a note (a text
area). Each checks what was typed by the store's rules before it closes, and says what
is wrong in place; escape closes it without a change."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from fusion_tui.base.errors import ConfigError
from fusion_tui.store.labels import TagEdit, check_note
from fusion_tui.tui.format import safe


class TagsScreen(ModalScreen[TagEdit | None]):
    """Asks for a tag edit; dismisses with it, or None (escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="tags.cancel")]

    def __init__(self, title: str, tags: list[str]) -> None:
        super().__init__()
        self._title, self._tags = title, tags

    def compose(self) -> ComposeResult:
        with Vertical(id="labels-box"):
            yield Label(self._title, id="labels-title", markup=False)
            now = Text("tags now: ", style="bold")
            now.append_text(safe(" ".join(self._tags) or "-", 500))
            yield Static(now, id="tags-now")
            yield Input(placeholder="+add -remove (a word alone adds)", id="tags-edit")
            yield Static(id="labels-error")
            yield Label("enter: apply      escape: cancel", id="labels-keys")

    @on(Input.Submitted, "#tags-edit")
    def apply(self, event: Input.Submitted) -> None:
        try:
            edit = TagEdit.parse(event.value)
        except ConfigError as exc:
            self.query_one("#labels-error", Static).update(safe(str(exc), 300))
            return
        self.dismiss(edit if edit else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteScreen(ModalScreen[str | None]):
    """Edits a note; dismisses with the new text ("" clears it), or None (escape)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="note.save"),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    def __init__(self, title: str, note: str | None) -> None:
        super().__init__()
        self._title, self._note = title, note

    def compose(self) -> ComposeResult:
        with Vertical(id="labels-box"):
            yield Label(self._title, id="labels-title", markup=False)
            yield TextArea(self._note or "", id="note-text", soft_wrap=True)
            yield Static(id="labels-error")
            yield Label("ctrl+s: save (empty: no note)      escape: cancel", id="labels-keys")

    def action_save(self) -> None:
        text = self.query_one("#note-text", TextArea).text
        try:
            check_note(text)
        except ConfigError as exc:
            self.query_one("#labels-error", Static).update(safe(str(exc), 300))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
