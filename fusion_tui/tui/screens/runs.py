"""Home: the run list. Live (polls the store, tails the files of running rows on screen),
filterable by status keys and by a typed filter (text, status, tag, template, sweep,
key=value), sortable, paged, with bulk selection, cancel, delete and tagging; its columns
chosen by `[columns]` and the column picker; optionally grouped by sweep (each sweep one
row that opens into its runs). Finished runs' results are read once, in a worker, and
cached in the store (`comparison.run_result`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Static
from textual.worker import Worker

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.owner import current_user
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.textsafe import one_line
from fusion_tui.runs.waiting import short_waiting
from fusion_tui.store.filter_text import parse_filter
from fusion_tui.store.first_page import ListedRun, read_first_page
from fusion_tui.store.query import SORTABLE_COLUMNS, RunQuery, SweepEntry
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus
from fusion_tui.tui import navigation
from fusion_tui.tui.actions import change_queue
from fusion_tui.tui.confirmations import confirm_cancel, confirm_delete
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.key_bar import KeyBar
from fusion_tui.tui.widgets.runs.columns import COLUMNS, ColumnsError, shown_columns
from fusion_tui.tui.widgets.runs.row_data import RowData
from fusion_tui.tui.widgets.runs.rows import row_of, sweep_row
from fusion_tui.tui.widgets.runs.status_line import RunsStatusLine
from fusion_tui.tui.widgets.runs.table import PAGE, RunsTable

if TYPE_CHECKING:
    from fusion_tui.comparison.run_result import ResultFiller
    from fusion_tui.runs.tail import RunSnapshot
    from fusion_tui.store.models import Run
    from fusion_tui.store.runs_repo import Queue

    Listed = Run | ListedRun | SweepEntry  # a row of the list as read

Bulk = Literal["cancel", "delete"]

REFRESH_SECONDS = 1.0
TAIL_SECONDS = 0.1
# Rows in the first frame (read before the store opens): a tall terminal's worth. The
# full window of PAGE rows follows a moment later; fewer rows paint sooner.
FIRST_ROWS = 60
OPEN_AFTER_PAINT = 0.1
OPEN_FALLBACK = 1.0
STATUS_KEYS = {"1": RunStatus.PENDING, "2": RunStatus.RUNNING, "3": RunStatus.COMPLETED,
               "4": RunStatus.FAILED, "5": RunStatus.CANCELLED}
SORTS = ("created_at", "started_at", "name", "status", "template")

EMPTY_TEXT = (
    "No runs yet.\n\n"
    "Press n to start a run from a template (try 'minimal': it takes seconds),\n"
    "or from a shell: fusion-tui new --template minimal"
)


class RunsScreen(Screen[None]):
    AUTO_FOCUS = "#runs"
    BINDINGS = [
        Binding("n", "new_run", "New", id="runs.new_run"),
        Binding("w", "open_sweeps", "Sweeps", id="runs.open_sweeps"),
        Binding("K", "open_schedules", "Schedules", show=False, id="runs.open_schedules"),
        Binding("enter", "open_detail", "Detail", show=False, id="runs.open_detail"),
        Binding("l", "open_log", "Log", id="runs.open_log"),
        Binding("a", "open_artifacts", "Artifacts", id="runs.open_artifacts"),
        Binding("r", "clone_run", "Clone", id="runs.clone_run"),
        Binding("c", "cancel_runs", "Cancel", id="runs.cancel_runs"),
        Binding("d", "delete_runs", "Delete", id="runs.delete_runs"),
        Binding("space", "toggle_select", "Select", id="runs.toggle_select"),
        Binding("ctrl+a", "select_all", "Select all shown by the filters", show=False,
                id="runs.select_all"),
        Binding("m", "compare", "Compare", id="runs.compare"),
        Binding("slash", "filter", "Filter", id="runs.filter"),
        Binding("number_sign", "edit_tags", "Tags", show=False, id="runs.edit_tags"),
        Binding("N", "edit_note", "Note", show=False, id="runs.edit_note"),
        Binding("p", "toggle_queue", "Pause/resume queue", id="runs.toggle_queue"),
        Binding("plus", "parallel(1)", "More at once", show=False, id="runs.more_at_once"),
        Binding("minus", "parallel(-1)", "Fewer at once", show=False, id="runs.fewer_at_once"),
        Binding("s", "cycle_sort", "Sort", id="runs.cycle_sort"),
        Binding("o", "toggle_owner", "Mine/everyone's", id="runs.toggle_owner"),
        Binding("g", "toggle_grouped", "Group", id="runs.group_by_sweep",
                tooltip="Each sweep as one row; enter on it shows or hides its runs"),
        Binding("C", "pick_columns", "Columns", id="runs.columns"),
        Binding("S", "reverse_sort", "Reverse", show=False, id="runs.reverse_sort"),
        *(Binding(key, f"toggle_status('{status.value}')", f"{status.value.title()} only",
                  show=False, id=f"runs.only_{status.value.lower()}")
          for key, status in STATUS_KEYS.items()),
        Binding("0", "clear_filters", "All", show=False, id="runs.all_statuses"),
        Binding("escape", "clear_filters", "Clear filters", show=False, id="runs.clear_filters"),
    ]

    app = getters.app(SessionApp)

    class PageLoaded(Message):
        def __init__(self, runs: Sequence[Listed], total: int, offset: int, any_runs: bool,
                     queue: Queue | None = None, grouped: bool = False,
                     expanded: frozenset[str] = frozenset(),
                     waiting: dict[str, str] | None = None) -> None:
            super().__init__()
            self.runs, self.total, self.offset, self.any_runs = runs, total, offset, any_runs
            self.queue, self.grouped, self.expanded = queue, grouped, expanded
            self.waiting = waiting or {}  # run id -> why it waits (`runs/waiting.py`)

    class ResultsRead(Message):
        """A pass of the result reader: how many runs it filled, and the folders closed
        to us (never asked about again)."""

        def __init__(self, filled: int, closed: frozenset[str]) -> None:
            super().__init__()
            self.filled, self.closed = filled, closed

    class ProgressChanged(Message):
        """New live progress of one run; a newer one for the same run replaces it."""

        def __init__(self, run_id: str, snapshot: RunSnapshot) -> None:
            super().__init__()
            self.run_id, self.snapshot = run_id, snapshot

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RunsScreen.ProgressChanged) and \
                message.run_id == self.run_id

    def __init__(self) -> None:
        super().__init__()
        self.me = current_user()
        self.query_spec = RunQuery(owner=self.me)
        self.page_offset = 0
        self._watchers: dict[str, Worker[None]] = {}
        self._paths: dict[str, Path] = {}
        self.queue: Queue | None = None
        self.tailed: set[str] = set()  # running rows whose folders have been read
        self.grouped = False  # each sweep one row (g)
        self.expanded: set[str] = set()  # sweeps whose runs are shown under them
        self.shown_view: tuple[bool, frozenset[str]] = (False, frozenset())  # on screen
        self.shown_columns: tuple[str, ...] = ()
        self._filler: ResultFiller | None = None
        self._result_pass = False  # a pass of the result reader is under way
        self._closed_runs: frozenset[str] = frozenset()  # runs whose folders are closed to us

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="text, status:running tag:T template:T sweep:ID key=value "
                                "(enter: keep, escape: clear)", id="filter")
        yield RunsStatusLine(id="runs-status")
        yield RunsTable(id="runs")
        yield Static(EMPTY_TEXT, id="empty")
        yield KeyBar()

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    def on_mount(self) -> None:
        self.table.now = self.app.now
        settings = self.app.settings
        try:
            columns = shown_columns(settings.columns, f"{settings.config_file}: [columns] shown")
        except ColumnsError as exc:
            self.app.services_error = str(exc)
            self.app.exit(return_code=2)
            return
        self.shown_columns = tuple(c.key for c in columns)
        self.table.show_columns(columns)
        self.query_one("#filter").display = False
        self.query_one("#empty").display = False
        if self.app.connected:
            self._start_loading()
        else:
            self.watch(self.app, "connected", self._on_connected, init=False)
            self._show_first_page()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Every key here needs the store: shown but inactive until it is open."""
        return True if self.app.connected else None

    def _on_connected(self, connected: bool) -> None:
        if connected:
            self.refresh_bindings()
            self._start_loading()

    def _start_loading(self) -> None:
        self.load_page()
        self.set_interval(REFRESH_SECONDS, self.load_page)

    def on_screen_resume(self) -> None:
        if self.app.connected:
            self.load_page()

    def on_unmount(self) -> None:
        for worker in self._watchers.values():
            worker.cancel()

    # -- loading -----------------------------------------------------------------------

    def _show_first_page(self) -> None:
        """Show the newest runs from the SQLite file, then have the app open the store.

        Read here rather than in a worker: it takes a few milliseconds before anything
        is on screen, and a thread would wait behind compose for the GIL. The store opens
        only after the rows are painted, so SQLAlchemy's import does not delay them.
        """
        url = self.app.settings.database_url
        page = read_first_page(url, FIRST_ROWS, self.me)
        if page is None:
            self.app.open_services()
            return
        self.post_message(self.PageLoaded(page.runs, page.total, 0, page.total > 0))
        # Normally the painted rows open the store; an empty store shows no rows, and
        # the fallback makes sure the store opens even if the table is never drawn.
        delay = OPEN_AFTER_PAINT if not page.total else OPEN_FALLBACK
        self.set_timer(delay, self.app.open_services)

    def on_runs_table_painted(self) -> None:
        # Textual draws the first frame twice (once more after the terminal's size
        # arrives); wait for that before loading SQLAlchemy competes for the GIL.
        self.set_timer(OPEN_AFTER_PAINT, self.app.open_services)

    def load_page(self) -> None:
        """Read the window of rows the list is at (in a worker), as things are now."""
        self._load(self.query_spec, self.page_offset, self.grouped, frozenset(self.expanded))

    @work(thread=True, exit_on_error=False, exclusive=True, group="load")
    def _load(self, query: RunQuery, offset: int, grouped: bool,
              expanded: frozenset[str]) -> None:
        store = self.app.services.store
        total = store.count_entries(query) if grouped else store.count_runs(query)
        offset = max(0, min(offset, total - PAGE)) if total > PAGE else 0
        runs: list[Listed] = []
        if grouped:
            runs.extend(store.list_grouped(query, limit=PAGE, offset=offset, expanded=expanded))
        else:
            runs.extend(store.list_runs(query, limit=PAGE, offset=offset))
        any_runs = bool(total) or store.count_runs() > 0
        pending = [r.id for r in runs if not isinstance(r, SweepEntry)
                   and r.status == RunStatus.PENDING]
        needs = store.waiting_on(pending)
        now = self.app.now()
        waiting = {r.id: why for r in runs if not isinstance(r, SweepEntry)
                   and (why := short_waiting(r.status, r.start_after, needs.get(r.id, []), now))}
        self.post_message(self.PageLoaded(runs, total, offset, any_runs, store.queue(),
                                          grouped, expanded, waiting))

    def on_runs_screen_page_loaded(self, message: PageLoaded) -> None:
        if message.grouped != self.grouped:
            return  # read before `g`; the page after it is on its way
        table = self.table
        self.page_offset = message.offset
        self.queue = message.queue or self.queue
        self.shown_view = (message.grouped, message.expanded)
        rows = [self._row(item, message.grouped, message.waiting) for item in message.runs]
        table.show_window(rows, message.offset, message.total,
                          entries=sum(1 for r in rows if not r.child))
        self.query_one("#empty").display = not message.any_runs
        table.display = message.any_runs
        self._update_status_line()
        self._sync_watchers({r.id: r for r in message.runs if not isinstance(r, SweepEntry)
                             and r.status == RunStatus.RUNNING})
        self._read_results(rows)

    def _row(self, item: Listed, grouped: bool, waiting: dict[str, str]) -> RowData:
        with_owner = self.query_spec.owner is None
        if isinstance(item, SweepEntry):
            return sweep_row(item, expanded=item.sweep_id in self.expanded,
                             with_owner=with_owner)
        row = row_of(item, self.app.now(), self.app.settings.stall_seconds,
                     with_owner=with_owner, child=grouped and item.sweep_id is not None,
                     waiting=waiting.get(item.id))
        old = self.table.rows_data.get(item.id)
        if old is not None and item.status == RunStatus.RUNNING and old.fraction is not None \
                and (row.fraction or 0) < old.fraction:
            row = replace(row, fraction=old.fraction, erlang=old.erlang)
        if old is not None and item.status == RunStatus.RUNNING and not old.readable:
            row = replace(row, readable=False)  # its tail found the folder closed
        return row

    def _update_status_line(self) -> None:
        self.query_one(RunsStatusLine).show(self.table, self.query_spec, self.queue,
                                            grouped=self.grouped)

    # -- results of finished runs, read once -------------------------------------------

    def _waiting_for_results(self, rows: list[RowData]) -> tuple[list[str], list[str]]:
        """Runs shown whose results nobody has read yet, and sweeps with such runs."""
        runs = [r.run_id for r in rows if r.reading and r.sweep is None
                and r.run_id not in self._closed_runs]
        sweeps = [r.run_id for r in rows if r.reading and r.sweep is not None]
        return runs, sweeps

    @property
    def results_read(self) -> bool:
        """No row waits for its result (but those in folders closed to us)."""
        runs, sweeps = self._waiting_for_results(list(self.table.rows_data.values()))
        return not self._result_pass and not runs and not sweeps

    def _read_results(self, rows: list[RowData]) -> None:
        runs, sweeps = self._waiting_for_results(rows)
        if (runs or sweeps) and not self._result_pass and self.app.connected:
            self._result_pass = True
            self._fill_results(runs, sweeps)

    @work(thread=True, exit_on_error=False, group="results")
    def _fill_results(self, run_ids: list[str], sweep_ids: list[str]) -> None:
        filled, closed = 0, self._closed_runs
        try:
            if self._filler is None:
                # the comparison's reader: not needed for a first frame
                from fusion_tui.comparison.run_result import ResultFiller

                self._filler = ResultFiller(self.app.services.store)
            filled = self._filler.fill(run_ids, sweep_ids)
            closed = self._filler.closed
        finally:  # a fault is one line (the app's worker handler); the next page retries
            self.post_message(self.ResultsRead(filled, closed))

    def on_runs_screen_results_read(self, message: ResultsRead) -> None:
        self._result_pass = False
        self._closed_runs = message.closed
        if message.filled:
            self.load_page()

    # -- live progress of running rows -------------------------------------------------

    def _sync_watchers(self, running: dict[str, Run | ListedRun]) -> None:
        for run_id in list(self._watchers):
            if run_id not in running:
                self._watchers.pop(run_id).cancel()
                self.tailed.discard(run_id)
        for run_id, run in running.items():
            if run_id not in self._watchers:
                paths = RunPaths(Path(run.run_dir))
                self._watchers[run_id] = self.run_worker(
                    self._tail(run_id, paths), group="watch", name=f"watch-{run_id}")

    async def _tail(self, run_id: str, paths: RunPaths) -> None:
        # aiofiles and the kinds of run: not needed for a first frame
        from fusion_tui.kinds.registry import kind_of_run
        from fusion_tui.runs.tail import RunTail

        tail = RunTail(paths, kind_of_run(paths))
        while True:
            if await tail.poll():
                self.post_message(self.ProgressChanged(run_id, tail.snapshot()))
            await asyncio.sleep(TAIL_SECONDS)

    def on_runs_screen_progress_changed(self, message: ProgressChanged) -> None:
        self.tailed.add(message.run_id)
        self.table.apply_snapshot(message.run_id, message.snapshot)

    # -- paging, filtering, sorting ----------------------------------------------------

    @on(RunsTable.WindowRequest)
    def move_window(self, message: RunsTable.WindowRequest) -> None:
        if not self.app.connected:
            return  # the full window arrives when the store opens
        step = PAGE // 2
        self.page_offset = max(0, self.page_offset + message.direction * step)
        self.load_page()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        """The typed filter (`store/filter_text.py`); while it does not parse (a word half
        typed) the list keeps the last one that did, and the field says what is wrong."""
        box = self.query_one("#filter", Input)
        try:
            typed = parse_filter(event.value)
        except ConfigError as exc:
            box.border_subtitle, box.tooltip = one_line(str(exc), 200), str(exc)
            box.add_class("-bad-filter")
            return
        box.border_subtitle, box.tooltip = None, None
        box.remove_class("-bad-filter")
        self.query_spec = replace(self.query_spec, filter=typed)
        self.page_offset = 0
        self.load_page()

    @on(Input.Submitted, "#filter")
    def filter_done(self) -> None:
        self.table.focus()

    def action_clear_filters(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.query_spec = RunQuery(order_by=self.query_spec.order_by,
                                   descending=self.query_spec.descending,
                                   owner=self.query_spec.owner)
        self.page_offset = 0
        self.table.focus()
        self.load_page()

    def action_toggle_status(self, status: str) -> None:
        self.query_spec = replace(self.query_spec,
                                  statuses=self.query_spec.statuses ^ {RunStatus(status)})
        self.page_offset = 0
        self.load_page()

    def action_toggle_owner(self) -> None:
        """Your own runs (the default) or every user's runs in a shared store."""
        owner = None if self.query_spec.owner is not None else self.me
        self.query_spec = replace(self.query_spec, owner=owner)
        self.page_offset = 0
        self.load_page()

    def action_cycle_sort(self) -> None:
        current = self.query_spec.order_by
        nxt = SORTS[(SORTS.index(current) + 1) % len(SORTS)] if current in SORTS else SORTS[0]
        self.query_spec = replace(self.query_spec, order_by=nxt)
        self.load_page()

    def action_reverse_sort(self) -> None:
        self.query_spec = replace(self.query_spec, descending=not self.query_spec.descending)
        self.load_page()

    def on_runs_table_header_selected(self, event: RunsTable.HeaderSelected) -> None:
        if not self.app.connected:
            return  # clicks, like keys, wait for the store
        column = COLUMNS[event.column].sort
        if column in SORTABLE_COLUMNS:
            same = self.query_spec.order_by == column
            self.query_spec = replace(self.query_spec, order_by=column,
                                      descending=not self.query_spec.descending if same else True)
            self.load_page()

    # -- actions on runs ---------------------------------------------------------------

    def _targets(self) -> list[str]:
        table = self.table
        if table.selected:
            return sorted(table.selected)
        return [table.current_id] if table.current_id else []

    def _current_sweep(self) -> str | None:
        row = self.table.current_row
        return row.run_id if row is not None and row.sweep is not None else None

    def action_toggle_select(self) -> None:
        """Mark the run under the cursor; on a sweep's row, all its runs the filters keep."""
        sweep_id = self._current_sweep()
        if sweep_id is not None:
            self._select_matching(replace(self.query_spec, sweep_id=sweep_id))
            return
        self.table.toggle_selected()
        self._update_status_line()

    def action_select_all(self) -> None:
        """Mark every run the filters keep, shown or not (again: unmark them)."""
        self._select_matching(self.query_spec)

    @work(thread=True, exit_on_error=False, exclusive=True, group="select")
    def _select_matching(self, query: RunQuery) -> None:
        ids = self.app.services.store.run_ids(query)
        self.app.call_from_thread(self._toggle_many, ids)

    def _toggle_many(self, run_ids: list[str]) -> None:
        table = self.table
        table.select(run_ids, on=not set(run_ids) <= table.selected)
        self._update_status_line()

    def action_toggle_grouped(self) -> None:
        """Each sweep as one row (enter opens it into its runs), or every run a row."""
        self.grouped = not self.grouped
        self.page_offset = 0
        self.load_page()
        self._update_status_line()

    def action_pick_columns(self) -> None:
        # Imported here for start-up speed: not needed for a first frame.
        from fusion_tui.tui.widgets.runs.column_picker import ColumnPicker

        self.app.push_screen(ColumnPicker(self.shown_columns, self._show_columns))

    def _show_columns(self, keys: tuple[str, ...]) -> None:
        self.shown_columns = keys
        self.table.show_columns(shown_columns(keys))

    def action_compare(self) -> None:
        """The comparison of the runs marked with space (or of the one under the cursor,
        or of the sweep whose row it is on)."""
        sweep_id = self._current_sweep()
        if sweep_id is not None and not self.table.selected:
            self.app.post_message(navigation.OpenComparison(sweep_id=sweep_id))
        elif targets := self._targets():
            self.app.post_message(navigation.OpenComparison(run_ids=targets))

    def action_open_sweeps(self) -> None:
        self.app.post_message(navigation.OpenSweeps())

    def action_open_schedules(self) -> None:
        self.app.post_message(navigation.OpenSchedules())

    def action_open_detail(self) -> None:
        """A run's detail; on a sweep's row, show or hide its runs under it."""
        sweep_id = self._current_sweep()
        if sweep_id is not None:
            self.expanded ^= {sweep_id}
            self.load_page()
        elif (run_id := self.table.current_id) is not None:
            self.app.post_message(navigation.OpenDetail(run_id))

    def on_runs_table_row_selected(self) -> None:
        if self.app.connected:
            self.action_open_detail()

    def action_open_log(self) -> None:
        if (run_id := self.table.current_id) is not None:
            self.app.post_message(navigation.OpenLog(run_id))

    def action_open_artifacts(self) -> None:
        if (run_id := self.table.current_id) is not None:
            self.app.post_message(navigation.OpenArtifacts(run_id))

    def action_new_run(self) -> None:
        self.app.post_message(navigation.OpenNewRun())

    def action_clone_run(self) -> None:
        if (run_id := self.table.current_id) is not None:
            self.app.post_message(navigation.OpenNewRun(clone_of=run_id))

    def action_cancel_runs(self) -> None:
        self._on_targets("cancel", confirm_cancel)

    def action_delete_runs(self) -> None:
        self._on_targets("delete", confirm_delete)

    def _on_targets(self, what: Bulk,
                    confirm: Callable[[SessionApp, list[str], Callable[[], None]], None]) -> None:
        """Ask about the run under the cursor; or, of the marked runs (or of the sweep's
        under the cursor), those it can be done to: unfinished ones to cancel, finished
        ones to delete."""
        sweep_id = self._current_sweep()
        if not self.table.selected and sweep_id is None:
            if (run_id := self.table.current_id) is not None:
                confirm(self.app, [run_id], self._after_change)
            return
        query = replace(self.query_spec, sweep_id=sweep_id) if sweep_id else None
        self._sort_out(what, sorted(self.table.selected), query,
                       lambda ids: confirm(self.app, ids, self._after_change))

    @work(thread=True, exit_on_error=False, exclusive=True, group="targets")
    def _sort_out(self, what: Bulk, run_ids: list[str], query: RunQuery | None,
                  then: Callable[[list[str]], None]) -> None:
        store = self.app.services.store
        if query is not None and not run_ids:
            run_ids = store.run_ids(query)
        statuses = store.statuses(run_ids)
        finished = {i for i, status in statuses.items()
                    if RunStatus(status) in FINISHED_STATUSES}
        fit = [i for i in run_ids if i in statuses and (i in finished) == (what == "delete")]
        left = len(run_ids) - len(fit)
        if not fit:
            self.app.call_from_thread(self.app.say, (
                f"none of the {len(run_ids)} run(s) " + ("is still to finish" if what ==
                                                        "cancel" else "has finished")),
                                      title=what.title())
            return
        if left:
            self.app.call_from_thread(self.app.say, f"{left} of the {len(run_ids)} run(s) "
                                      + ("have ended" if what == "cancel" else "have not "
                                         "finished") + ": left out", title=what.title())
        self.app.call_from_thread(then, fit)

    def action_toggle_queue(self) -> None:
        paused = self.queue is not None and self.queue.paused
        change_queue(self.app, paused=not paused, done=self.load_page)

    def action_parallel(self, delta: int) -> None:
        change_queue(self.app, delta=delta, done=self.load_page)

    def action_edit_tags(self) -> None:
        """Tag the runs marked with space (or the one under the cursor)."""
        from fusion_tui.tui.labelling import edit_tags  # its modals: not for a first frame

        targets = self._targets()
        if targets:
            edit_tags(self.app, "run", targets, self.load_page)

    def action_edit_note(self) -> None:
        from fusion_tui.tui.labelling import edit_note  # its modals: not for a first frame

        if (run_id := self.table.current_id) is not None:
            edit_note(self.app, "run", run_id, self.load_page)

    def _after_change(self) -> None:
        self.table.clear_selection()
        self._update_status_line()
        self.load_page()

