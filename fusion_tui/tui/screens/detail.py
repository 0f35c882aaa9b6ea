"""One run in depth: metadata, its tags and note, live progress per Erlang, ETA, chart,
resources, timeline, and for a failed run its error and last log lines."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Header

from fusion_tui.base.rundir import RunPaths, folder_readable
from fusion_tui.kinds.registry import kind_of_run
from fusion_tui.monitor.log_index import LogIndex
from fusion_tui.monitor.proctree import TreeSampler
from fusion_tui.runs.stall import is_stalled, silence
from fusion_tui.runs.tail import RunSnapshot, RunTail
from fusion_tui.runs.waiting import waiting_text
from fusion_tui.store.models import Run, RunEvent, results_note
from fusion_tui.store.status import RunStatus
from fusion_tui.tui import navigation
from fusion_tui.tui.confirmations import confirm_cancel, confirm_delete
from fusion_tui.tui.labelling import edit_note, edit_tags
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.detail.chart import BlockingChart
from fusion_tui.tui.widgets.detail.failure import FailurePanel, ResultsNote
from fusion_tui.tui.widgets.detail.history import ConfigSummary, Timeline
from fusion_tui.tui.widgets.detail.labels import LabelsPanel
from fusion_tui.tui.widgets.detail.meta import ActivityLine, Liveness, RunMeta
from fusion_tui.tui.widgets.detail.progress import LoadPoints, OverallProgress
from fusion_tui.tui.widgets.detail.resources import ResourceUse
from fusion_tui.tui.widgets.key_bar import KeyBar

TAIL_SECONDS = 0.1
RELOAD_SECONDS = 1.0
SAMPLE_SECONDS = 2.0
LAST_LINES = 12


class DetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.pop_screen"),
        Binding("l", "open_log", "Log", id="detail.open_log"),
        Binding("a", "open_artifacts", "Artifacts", id="detail.open_artifacts"),
        Binding("r", "clone", "Clone", id="detail.clone"),
        Binding("c", "cancel", "Cancel", id="detail.cancel"),
        Binding("d", "delete", "Delete", id="detail.delete"),
        Binding("number_sign", "edit_tags", "Tags", id="detail.edit_tags"),
        Binding("N", "edit_note", "Note", id="detail.edit_note"),
    ]

    app = getters.app(SessionApp)

    snapshot: var[RunSnapshot | None] = var(None, always_update=True)
    """The run's live state read from its folder (None until the first read)."""

    class Loaded(Message):
        def __init__(self, run: Run | None, events: list[RunEvent], last_lines: list[str],
                     readable: bool = True, waiting: str | None = None) -> None:
            super().__init__()
            self.run, self.events, self.last_lines = run, events, last_lines
            self.readable = readable  # False: its folder is closed to us (another user's)
            self.waiting = waiting  # why a queued run waits (`runs/waiting.py`)

    class ProgressChanged(Message):
        def __init__(self, snapshot: RunSnapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DetailScreen.ProgressChanged)

    class Sampled(Message):
        def __init__(self, usage: tuple[float, int, int] | None) -> None:
            super().__init__()
            self.usage = usage

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.run: Run | None = None
        self.readable = True  # its folder: False when closed to us (another user's run)
        self.waiting: str | None = None
        self._sampler: TreeSampler | None = None
        self._tailing = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield RunMeta(id="meta")
            yield LabelsPanel(id="labels")
            yield FailurePanel(id="failure")
            yield ResultsNote(id="results-note")
            yield ActivityLine(id="activity")
            yield OverallProgress(id="overall-row")
            yield LoadPoints(id="points")
            yield BlockingChart(id="chart")
            yield ResourceUse(id="resources")
            yield ConfigSummary(id="config")
            yield Timeline(id="timeline")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(FailurePanel).display = False
        self.query_one(ResultsNote).display = False
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)
        self.set_interval(SAMPLE_SECONDS, self.sample)

    # -- workers -----------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="reload")
    def reload(self) -> None:
        services = self.app.services
        run = services.store.get(self.run_id)
        events = services.store.events(self.run_id) if run else []
        last_lines: list[str] = []
        readable = run is None or folder_readable(Path(run.run_dir))
        if run is not None and run.status == RunStatus.FAILED and readable:
            index = LogIndex(RunPaths(Path(run.run_dir)).log)
            index.refresh()
            count = index.line_count
            last_lines = index.lines(max(0, count - LAST_LINES), LAST_LINES)
        waiting = None
        if run is not None and run.status == RunStatus.PENDING:
            needs = services.store.waiting_on([run.id]).get(run.id, [])
            waiting = waiting_text(run.status, run.start_after, needs, self.app.now())
        self.post_message(self.Loaded(run, events, last_lines, readable, waiting))

    async def _tail(self, paths: RunPaths) -> None:
        tail = RunTail(paths, kind_of_run(paths))
        while True:
            if await tail.poll():
                self.post_message(self.ProgressChanged(tail.snapshot()))
            await asyncio.sleep(TAIL_SECONDS)

    @work(thread=True, exit_on_error=False, exclusive=True, group="sample")
    def sample(self) -> None:
        run = self.run
        if run is None or run.status != RunStatus.RUNNING or run.pid is None:
            return
        if self._sampler is None or self._sampler.pid != run.pid:
            self._sampler = TreeSampler(run.pid, run.pid_started)
        self.post_message(self.Sampled(self._sampler.sample()))

    # -- showing what the workers found -------------------------------------------------

    def on_detail_screen_loaded(self, message: Loaded) -> None:
        run = message.run
        if run is None:
            self.query_one(RunMeta).update(Text(f"Run {self.run_id} no longer exists."))
            return
        self.run, self.readable, self.waiting = run, message.readable, message.waiting
        if not self._tailing:
            self._tailing = True
            self.run_worker(self._tail(RunPaths(Path(run.run_dir))), group="tail")
        self.sub_title = f"run {run.id}"
        self._show_live(run)
        self.query_one(ConfigSummary).show(run)
        self.query_one(LabelsPanel).show(run.tag_names, run.note)
        self.query_one(Timeline).show(message.events)
        self.query_one(FailurePanel).show(run, message.last_lines, message.readable)
        self.query_one(ResultsNote).show(results_note(message.events))
        if run.status != RunStatus.RUNNING:
            self.query_one(ResourceUse).not_running()

    def on_detail_screen_progress_changed(self, message: ProgressChanged) -> None:
        self.snapshot = message.snapshot

    def watch_snapshot(self, snapshot: RunSnapshot | None) -> None:
        if snapshot is None:
            return
        if self.run is not None:
            self._show_live(self.run)
        else:
            self._show_progress()
        self.query_one(BlockingChart).show_points(snapshot.points)

    def on_detail_screen_sampled(self, message: Sampled) -> None:
        self.query_one(ResourceUse).show(message.usage)

    def _show_live(self, run: Run) -> None:
        """What changes while the run goes: progress, metadata, activity."""
        live = self._liveness(run)
        self._show_progress()
        settings = self.app.services.settings
        self.query_one(RunMeta).show(run, live, settings)
        self.query_one(ActivityLine).show(run, live, self.readable, settings.stall_seconds,
                                          self.waiting)

    def _show_progress(self) -> None:
        self.query_one(OverallProgress).show(self._fraction())
        total = (self.snapshot.total_iterations if self.snapshot else None) or \
            (self.run.total_iterations if self.run else None) or 0
        self.query_one(LoadPoints).show(self.snapshot, total)

    def _liveness(self, run: Run) -> Liveness:
        now, snap = self.app.now(), self.snapshot
        live = None
        if snap is not None and snap.last_activity is not None:
            live = datetime.fromtimestamp(snap.last_activity, UTC).replace(tzinfo=None)
        silent = silence(run, now, live)
        stalled = is_stalled(run, silent, self.app.services.settings.stall_seconds)
        return Liveness(now, silent, stalled, self._fraction(),
                        snap.seconds_left if snap else None)

    def _fraction(self) -> float | None:
        run, snap = self.run, self.snapshot
        if run is not None and run.status == RunStatus.COMPLETED:
            return 1.0
        if snap is not None and snap.fraction_done is not None:
            return snap.fraction_done
        return run.fraction_done if run else None

    # -- actions -----------------------------------------------------------------------

    def action_open_log(self) -> None:
        self.app.post_message(navigation.OpenLog(self.run_id))

    def action_open_artifacts(self) -> None:
        self.app.post_message(navigation.OpenArtifacts(self.run_id))

    def action_clone(self) -> None:
        self.app.post_message(navigation.OpenNewRun(clone_of=self.run_id))

    def action_cancel(self) -> None:
        confirm_cancel(self.app, [self.run_id], self.reload)

    def action_edit_tags(self) -> None:
        edit_tags(self.app, "run", [self.run_id], self.reload)

    def action_edit_note(self) -> None:
        edit_note(self.app, "run", self.run_id, self.reload)

    def action_delete(self) -> None:
        def gone() -> None:
            self.app.pop_screen()

        confirm_delete(self.app, [self.run_id], gone)
