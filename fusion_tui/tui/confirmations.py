"""Ask first, then act: the yes/no questions before cancelling or deleting runs and
before changing a sweep, each followed by its action (`tui.actions`)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from fusion_tui.tui import actions
from fusion_tui.tui.format import safe
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.confirm import ConfirmScreen

SHOWN_RUNS = 8
_SWEEP_QUESTIONS: dict[actions.SweepAction, tuple[str, str]] = {
    "cancel": ("Cancel sweep", "Cancel every unfinished run of sweep"),
    "retry": ("Retry failed points", "Re-create every failed, cancelled, timed-out or "
              "deleted point of sweep"),
    "delete": ("Delete sweep", "Delete finished sweep"),
}


def confirm_cancel(app: SessionApp, run_ids: list[str],
                   done: Callable[[], object] | None = None) -> None:
    body = Text(f"Cancel {len(run_ids)} run(s)? Running simulations get SIGTERM, then "
                f"SIGKILL after {app.services.settings.cancel_grace:g} s.\n\n")
    body.append_text(_describe(app, run_ids))

    def answered(yes: bool | None) -> None:
        if yes:
            actions.cancel_runs(app, run_ids)
            if done:
                done()

    app.push_screen(ConfirmScreen("Cancel runs", body), answered)


def confirm_delete(app: SessionApp, run_ids: list[str],
                   done: Callable[[], object] | None = None) -> None:
    body = Text(f"Delete {len(run_ids)} finished run(s) and their directories? "
                "This cannot be undone.\n\n")
    body.append_text(_describe(app, run_ids))

    def answered(yes: bool | None) -> None:
        if yes:
            actions.delete_runs(app, run_ids)
            if done:
                done()

    app.push_screen(ConfirmScreen("Delete runs", body), answered)


def confirm_sweep(app: SessionApp, action: actions.SweepAction, sweep_id: str,
                  done: Callable[[], object] | None = None) -> None:
    """Ask, then cancel a sweep's unfinished runs, retry its failed points or delete
    it (with its runs and their folders)."""
    title, question = _SWEEP_QUESTIONS[action]
    body = Text(f"{question} {sweep_id}?")
    if action == "delete":
        body.append(" Its runs and their folders go too; this cannot be undone.")

    def answered(yes: bool | None) -> None:
        if yes:
            actions.sweep_action(app, action, sweep_id, done)

    app.push_screen(ConfirmScreen(title, body), answered)


def _describe(app: SessionApp, run_ids: list[str]) -> Text:
    text = Text()
    for run_id in run_ids[:SHOWN_RUNS]:
        run = app.services.store.get(run_id)
        text.append(f"  {run_id}  ")
        text.append_text(safe(run.name if run else "", 40))
        text.append("\n")
    if len(run_ids) > SHOWN_RUNS:
        text.append(f"  … and {len(run_ids) - SHOWN_RUNS} more\n")
    return text
