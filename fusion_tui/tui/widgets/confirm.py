"""A yes/no modal: `y` or enter confirms, `n` or escape aborts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Asks one question; dismisses with True (confirm) or False (abort)."""

    BINDINGS = [
        Binding("y", "confirm", "Yes", id="confirm.yes"),
        Binding("enter", "confirm", "Yes", show=False, id="confirm.yes_enter"),
        Binding("n", "abort", "No", id="confirm.no"),
        Binding("escape", "abort", "No", show=False, id="confirm.no_escape"),
    ]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(self._title, id="confirm-title")
            yield Static(self._body, id="confirm-body")
            yield Label("y / enter: yes      n / escape: no", id="confirm-keys")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_abort(self) -> None:
        self.dismiss(False)
