"""One run in depth: metadata, live progress per Erlang, ETA, chart, resources, timeline,
and for a failed run its error and last log lines."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, ProgressBar, Static

from fusion_tui.base.rundir import NOT_READABLE, RunPaths, folder_readable
from fusion_tui.kinds.registry import kind_of_run
from fusion_tui.monitor.log_index import LogIndex
from fusion_tui.monitor.proctree import TreeSampler
from fusion_tui.runs.tail import RunSnapshot, RunTail
from fusion_tui.store.models import Run, RunEvent, results_note
from fusion_tui.store.status import RunStatus, local_text
from fusion_tui.tui.format import (
    duration,
    eta,
    progress_bar,
    safe,
    safe_line,
    status_text,
    timestamp,
)
from fusion_tui.tui.widgets.chart import BlockingChart
from fusion_tui.tui.widgets.key_bar import KeyBar

TAIL_SECONDS = 0.1
RELOAD_SECONDS = 1.0
SAMPLE_SECONDS = 2.0
LAST_LINES = 12
CONFIG_SUMMARY = (
    ("general_settings", "erlang_start"), ("general_settings", "erlang_stop"),
    ("general_settings", "erlang_step"), ("general_settings", "max_iters"),
    ("general_settings", "num_requests"), ("topology_settings", "network"),
    ("topology_settings", "cores_per_link"), ("routing_settings", "k_paths"),
    ("general_settings", "allocation_method"), ("spectrum_settings", "c_band"),
)


class DetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.pop_screen"),
        Binding("l", "open_log", "Log", id="detail.open_log"),
        Binding("a", "open_artifacts", "Artifacts", id="detail.open_artifacts"),
        Binding("r", "clone", "Clone", id="detail.clone"),
        Binding("c", "cancel", "Cancel", id="detail.cancel"),
        Binding("d", "delete", "Delete", id="detail.delete"),
    ]

    class Loaded(Message):
        def __init__(self, run: Run | None, events: list[RunEvent], last_lines: list[str],
                     readable: bool = True) -> None:
            super().__init__()
            self.run, self.events, self.last_lines = run, events, last_lines
            self.readable = readable  # False: its folder is closed to us (another user's)

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
        self.snapshot: RunSnapshot | None = None
        self.readable = True  # its folder: False when closed to us (another user's run)
        self._sampler: TreeSampler | None = None
        self._tailing = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(id="meta")
            yield Static(id="failure")
            yield Static(id="results-note")
            yield Static(id="activity")
            with Horizontal(id="overall-row"):
                yield Static("overall ", id="overall-label")
                yield ProgressBar(total=100, show_eta=False, id="overall")
            yield Static(id="points")
            yield BlockingChart(id="chart")
            yield Static(id="resources")
            yield Static(id="config")
            yield Static(id="timeline")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#failure").display = False
        self.query_one("#results-note").display = False
        self.reload()
        self.set_interval(RELOAD_SECONDS, self.reload)
        self.set_interval(SAMPLE_SECONDS, self.sample)

    # -- workers -----------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="reload")
    def reload(self) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        run = services.store.get(self.run_id)
        events = services.store.events(self.run_id) if run else []
        last_lines: list[str] = []
        readable = run is None or folder_readable(Path(run.run_dir))
        if run is not None and run.status == RunStatus.FAILED and readable:
            index = LogIndex(RunPaths(Path(run.run_dir)).log)
            index.refresh()
            count = index.line_count
            last_lines = index.lines(max(0, count - LAST_LINES), LAST_LINES)
        self.post_message(self.Loaded(run, events, last_lines, readable))

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

    # -- rendering ---------------------------------------------------------------------

    def on_detail_screen_loaded(self, message: Loaded) -> None:
        run = message.run
        if run is None:
            self.query_one("#meta", Static).update(Text(f"Run {self.run_id} no longer exists."))
            return
        self.run, self.readable = run, message.readable
        if not self._tailing:
            self._tailing = True
            self.run_worker(self._tail(RunPaths(Path(run.run_dir))), group="tail")
        self.sub_title = f"run {run.id}"
        self._render_meta()
        self._render_progress()
        self._render_config(run)
        self._render_timeline(message.events)
        failure = self.query_one("#failure", Static)
        failure.display = run.status == RunStatus.FAILED
        if run.status == RunStatus.FAILED:
            text = Text("Error: ", style="bold red")
            text.append_text(safe(run.error_message or "unknown", 2000))
            text.append("\n\nLast log lines:" + ("" if message.readable
                                                   else f" {NOT_READABLE}") + "\n",
                        style="bold")
            for line in message.last_lines:
                text.append_text(safe_line(line))
                text.append("\n")
            failure.update(text)
        note = results_note(message.events)
        shown = self.query_one("#results-note", Static)
        shown.display = note is not None
        if note is not None:
            text = Text("Results not all copied: ", style="bold yellow")
            text.append_text(safe(note, 2000))
            shown.update(text)
        if run.status != RunStatus.RUNNING:
            self.query_one("#resources", Static).update(Text("process: not running"))

    def on_detail_screen_progress_changed(self, message: ProgressChanged) -> None:
        self.snapshot = message.snapshot
        self._render_progress()
        self._render_meta()
        self.query_one(BlockingChart).show_points(message.snapshot.points)

    def on_detail_screen_sampled(self, message: Sampled) -> None:
        usage = message.usage
        text = Text("process tree: ")
        if usage is None:
            text.append("not running")
        else:
            cpu, rss, count = usage
            text.append(f"CPU {cpu:.0f}%   memory {rss / 2**20:.0f} MiB   {count} process(es)")
        self.query_one("#resources", Static).update(text)

    def _fraction(self) -> float | None:
        run = self.run
        if run is not None and run.status == RunStatus.COMPLETED:
            return 1.0
        if self.snapshot is not None and self.snapshot.fraction_done is not None:
            return self.snapshot.fraction_done
        return run.fraction_done if run else None

    def _stalled(self, silent: float | None) -> bool:
        limit = self.app.services.settings.stall_seconds  # type: ignore[attr-defined]
        return bool(self.run and self.run.status == RunStatus.RUNNING and silent is not None
                    and silent > limit)

    def _silence(self) -> float | None:
        now = self.app.now()  # type: ignore[attr-defined]
        times = []
        if self.snapshot is not None and self.snapshot.last_activity is not None:
            from datetime import UTC, datetime

            times.append(datetime.fromtimestamp(self.snapshot.last_activity, UTC)
                         .replace(tzinfo=None))
        if self.run is not None:
            times += [t for t in (self.run.last_progress_at, self.run.started_at) if t]
        return (now - max(times)).total_seconds() if times else None

    def _render_meta(self) -> None:
        run = self.run
        if run is None:
            return
        now = self.app.now()  # type: ignore[attr-defined]
        silent = self._silence()
        stalled = self._stalled(silent)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_column(style="bold")
        grid.add_column()
        end = run.completed_at or now
        rows = [
            ("Run", Text(run.id), "Status", status_text(run.status, stalled)),
            ("Name", safe(run.name or "-", 60), "Template", safe(run.template, 40)),
            ("Created", Text(timestamp(run.created_at)), "Started",
             Text(timestamp(run.started_at))),
            ("Completed", Text(timestamp(run.completed_at)), "Duration",
             Text(duration((end - run.started_at).total_seconds()) if run.started_at else "-")),
            ("Exit code", Text("-" if run.exit_code is None else str(run.exit_code)), "ETA",
             Text(eta(run.started_at, self._fraction(), now,
                      self.snapshot.seconds_left if self.snapshot else None)
                  if run.status == RunStatus.RUNNING else "-")),
            ("Host / pid", safe(f"{run.hostname or '-'} / {run.pid or '-'}"), "Simulator",
             safe(run.simulator)),
            ("Executor", safe(run.executor), "Owner", safe(run.owner or "-")),
        ]
        job = run.slurm
        if job is not None:
            elapsed = job.elapsed_seconds
            if run.status == RunStatus.RUNNING and run.started_at is not None:
                elapsed = int((now - run.started_at).total_seconds())  # live between polls
            reason = job.reason or ("not known yet (Slurm is asked every "
                                    f"{self.app.services.settings.slurm_poll_seconds:g} s)"  # type: ignore[attr-defined]
                                    if run.status == RunStatus.PENDING else "-")
            rows += [
                ("Slurm job", safe(f"{job.job_id or '-'}"
                                   + (f" (attempt {job.attempt})" if job.attempt > 1 else "")),
                 "Slurm state", safe(job.state or "-")),
                ("Reason", safe(reason, 60), "Node", safe(job.node or "-", 60)),
                ("Elapsed", Text(duration(elapsed) if elapsed is not None else "-"),
                 "Time limit", safe(job.time_limit or "partition default")),
            ]
        for row in rows:
            grid.add_row(*row)
        self.query_one("#meta", Static).update(grid)
        activity = Text(f"last activity: {'-' if silent is None else duration(silent) + ' ago'}")
        if not self.readable:
            activity.append(f"   run folder {NOT_READABLE} (it belongs to ")
            activity.append_text(safe(run.owner or "-", 64))
            activity.append("): live progress and files are theirs to see")
        if stalled:
            activity.append("   STALLED: no progress or log output for longer than "
                            f"{duration(self.app.services.settings.stall_seconds)}",  # type: ignore[attr-defined]
                            style="bold red reverse")
        self.query_one("#activity", Static).update(activity)

    def _render_progress(self) -> None:
        fraction = self._fraction()
        bar = self.query_one("#overall", ProgressBar)
        bar.update(progress=round((fraction or 0.0) * 100, 1))
        snap = self.snapshot
        text = Text()
        total_iters = (snap.total_iterations if snap else None) or \
            (self.run.total_iterations if self.run else None) or 0
        if snap is not None and snap.points:
            for point in snap.points:
                done = total_iters if point.complete else point.iterations_done
                frac = done / total_iters if total_iters else None
                text.append(f"{point.erlang:>8g} E  ")
                text.append_text(progress_bar(frac, 20))
                if point.blocking is not None:
                    text.append(f"   blocking {point.blocking:.4g}")
                if point.ci_lower is not None and point.ci_upper is not None:
                    text.append(f"  [{point.ci_lower:.4g}, {point.ci_upper:.4g}]")
                text.append("\n")
        else:
            text.append("no progress reported yet")
        self.query_one("#points", Static).update(text)

    def _render_config(self, run: Run) -> None:
        try:
            sections = json.loads(run.config_json)
        except ValueError:
            sections = {}
        text = Text("Configuration: ", style="bold")
        parts = [f"{key}={sections.get(sec, {}).get(key, '-')}" for sec, key in CONFIG_SUMMARY]
        text.append_text(safe("  ".join(parts), 1000))
        self.query_one("#config", Static).update(text)

    def _render_timeline(self, events: list[RunEvent]) -> None:
        text = Text("Timeline\n", style="bold")
        for event in events:
            text.append(f"  {local_text(event.at, '%Y-%m-%d %H:%M:%S')}  {event.kind:<10}")
            text.append_text(safe(event.detail or "", 120))
            text.append("\n")
        self.query_one("#timeline", Static).update(text)

    # -- actions -----------------------------------------------------------------------

    def action_open_log(self) -> None:
        self.app.open_log(self.run_id)  # type: ignore[attr-defined]

    def action_open_artifacts(self) -> None:
        self.app.open_artifacts(self.run_id)  # type: ignore[attr-defined]

    def action_clone(self) -> None:
        self.app.open_new_run(clone_of=self.run_id)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.app.confirm_cancel([self.run_id], self.reload)  # type: ignore[attr-defined]

    def action_delete(self) -> None:
        def gone() -> None:
            self.app.pop_screen()

        self.app.confirm_delete([self.run_id], gone)  # type: ignore[attr-defined]
