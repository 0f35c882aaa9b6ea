"""One line of the form: a label, its field, and (optionally) the field's error below."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label


def field_row(label: str, field: Widget) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), field, classes="field-row")


def error_label(id: str) -> Label:
    """Hidden until it has something to say (`set_error`)."""
    label = Label("", id=id, classes="field-error")
    label.display = False
    return label


def set_error(label: Label, message: str) -> None:
    label.update(Text(message))
    label.display = bool(message)
