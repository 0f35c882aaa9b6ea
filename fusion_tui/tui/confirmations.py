"""Ask first, then act: the yes/no questions before cancelling or deleting runs, before
changing a sweep and before deleting a schedule, each followed by its action
(`tui.actions`). The names of the runs asked about are read from the store in a worker;
the question follows."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from fusion_tui.base.errors import ConfigError
from fusion_tui.runs.errors import RunError
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
Answer = Callable[[bool | None], None]


def confirm_cancel(app: SessionApp, run_ids: list[str],
                   done: Callable[[], object] | None = None) -> None:
    question = Text(f"Cancel {len(run_ids)} run(s)? Running simulations get SIGTERM, then "
                    f"SIGKILL after {app.settings.cancel_grace:g} s.\n\n")

    def answered(yes: bool | None) -> None:
        if yes:
            actions.cancel_runs(app, run_ids)
            if done:
                done()

    _ask_about_runs(app, "Cancel runs", question, run_ids, answered)


def confirm_delete(app: SessionApp, run_ids: list[str],
                   done: Callable[[], object] | None = None) -> None:
    question = Text(f"Delete {len(run_ids)} finished run(s) and their directories? "
                    "This cannot be undone.\n\n")

    def answered(yes: bool | None) -> None:
        if yes:
            actions.delete_runs(app, run_ids)
            if done:
                done()

    _ask_about_runs(app, "Delete runs", question, run_ids, answered)


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

    if action != "retry":
        app.push_screen(ConfirmScreen(title, body), answered)
        return

    def ask() -> None:  # a retry that would do nothing is said, not asked
        try:
            count = app.services.sweeps.to_retry(sweep_id)
        except (RunError, ConfigError) as exc:
            app.call_from_thread(app.say, str(exc), title=title, severity="error")
            return
        if count == 0:
            app.call_from_thread(app.say, f"sweep {sweep_id}: nothing to retry (every point "
                                 "has a run that succeeded, is queued or is running)",
                                 title=title)
            return
        body.append(f" {count} point(s) would be re-created.")
        app.call_from_thread(app.push_screen, ConfirmScreen(title, body), answered)

    app.run_worker(ask, thread=True, exit_on_error=False, exclusive=True, group="confirm")


def confirm_schedule_delete(app: SessionApp, schedule_id: str,
                            done: Callable[[], object] | None = None) -> None:
    """Ask, then delete a schedule (the runs and sweeps it started stay)."""
    body = Text(f"Delete schedule {schedule_id}? What it started stays; nothing more will "
                "be started by it.")

    def answered(yes: bool | None) -> None:
        if yes:
            actions.schedule_action(app, "delete", schedule_id, done)

    app.push_screen(ConfirmScreen("Delete schedule", body), answered)


def _ask_about_runs(app: SessionApp, title: str, question: Text, run_ids: list[str],
                    answered: Answer) -> None:
    """`question`, then the first runs by id and name (read in a worker)."""
    def ask() -> None:
        body = question.copy()
        body.append_text(_describe(app, run_ids))
        app.call_from_thread(app.push_screen, ConfirmScreen(title, body), answered)

    app.run_worker(ask, thread=True, exit_on_error=False, exclusive=True, group="confirm")


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
