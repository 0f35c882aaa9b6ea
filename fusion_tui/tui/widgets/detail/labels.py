"""The user's labels of a run (or a sweep): its tags on one line and its note below, as
typed: text, never markup, with escape sequences shown harmless."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from fusion_tui.base.textsafe import strip_escapes


def labels_text(tags: list[str], note: str | None) -> Text:
    """`Tags  a b` and, when there is one, `Note  ...` with the note's own lines."""
    text = Text("Tags  ", style="bold")
    text.append(strip_escapes(" ".join(tags)) or "-", style="")
    if note:
        text.append("\nNote  ", style="bold")
        for i, line in enumerate(note.splitlines()):
            text.append(("\n      " if i else "") + strip_escapes(line.expandtabs(4)), style="")
    return text


class LabelsPanel(Static):
    def show(self, tags: list[str], note: str | None) -> None:
        self.update(labels_text(tags, note))
