"""A run's output files: a tree with sizes, a preview (JSON pretty-printed, CSV as a
table, INI and text highlighted, big files partially), `o` to open in $PAGER/$EDITOR."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from rich.syntax import Syntax
from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, Tree
from textual.widgets.tree import TreeNode

from fusion_tui.base.rundir import folder_readable
from fusion_tui.runs.artifacts import Artifact, UnsafePath, list_artifacts, resolve_artifact
from fusion_tui.tui.format import beside_home, closed_folder, safe
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.artifacts.preview import PreviewContent, human_size, load_preview
from fusion_tui.tui.widgets.key_bar import KeyBar


class ArtifactsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="artifacts.pop_screen"),
        Binding("o", "open_external", "Open in $PAGER", id="artifacts.open_external"),
        Binding("e", "open_editor", "Open in $EDITOR", id="artifacts.open_editor"),
    ]

    app = getters.app(SessionApp)

    class Listed(Message):
        def __init__(self, run_dir: Path | None, artifacts: list[Artifact],
                     owner: str | None = None) -> None:
            super().__init__()
            self.run_dir, self.artifacts = run_dir, artifacts
            self.owner = owner  # set when the run is another user's, its folder closed to us

    class Previewed(Message):
        def __init__(self, path: Path, content: PreviewContent | None, error: str = "") -> None:
            super().__init__()
            self.path, self.content, self.error = path, content, error

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ArtifactsScreen.Previewed)

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.run_dir: Path | None = None
        self.current: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="artifacts"):
            yield Tree(Text("output/"), id="artifact-tree")
            with VerticalScroll(id="preview"):
                yield Static(id="preview-note")
                yield Static(id="preview-text")
                yield DataTable(id="preview-table", zebra_stripes=True)
        yield Static(id="artifact-path")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = f"artifacts of {self.run_id}"
        self.query_one("#preview-table").display = False
        self.list_files()

    @work(thread=True, exit_on_error=False, exclusive=True, group="list")
    def list_files(self) -> None:
        run = self.app.services.store.get(self.run_id)
        if run is None:
            self.post_message(self.Listed(None, []))
            return
        run_dir = Path(run.run_dir)
        if not folder_readable(run_dir):
            self.post_message(self.Listed(None, [], run.owner or "-"))
            return
        self.post_message(self.Listed(run_dir, list_artifacts(run_dir)))

    def on_artifacts_screen_listed(self, message: Listed) -> None:
        tree = self.query_one(Tree)
        self.run_dir = message.run_dir
        if message.run_dir is None:
            text = Text("This run no longer exists.")
            if message.owner is not None:
                text = closed_folder("Its files are", message.owner)
            self.query_one("#preview-text", Static).update(text)
            return
        if not message.artifacts:
            self.query_one("#preview-text", Static).update(
                Text("No output files yet. They appear here as the simulator writes them."))
        tree.clear()
        folders: dict[str, TreeNode[str]] = {"": tree.root}
        for artifact in message.artifacts:
            parts = artifact.path.split("/")
            for depth in range(1, len(parts)):
                key = "/".join(parts[:depth])
                if key not in folders:
                    folders[key] = folders["/".join(parts[: depth - 1])].add(
                        safe(parts[depth - 1] + "/"), expand=True)
            # Size first, fixed width: a narrow tree cuts the name, never the unit.
            label = Text(f"{human_size(artifact.size):>9}  ", style="dim")
            label.append_text(safe(parts[-1], 80))
            folders["/".join(parts[:-1])].add_leaf(label, data=artifact.path)
        tree.root.expand()
        tree.focus()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node.data and self.run_dir is not None:
            self.preview(self.run_dir, event.node.data)

    @work(thread=True, exit_on_error=False, exclusive=True, group="preview")
    def preview(self, run_dir: Path, relative: str) -> None:
        try:
            path = resolve_artifact(run_dir, relative)
            self.post_message(self.Previewed(path, load_preview(path)))
        except (UnsafePath, OSError) as exc:
            self.post_message(self.Previewed(run_dir / "output" / relative, None, str(exc)))

    def on_artifacts_screen_previewed(self, message: Previewed) -> None:
        self.current = message.path if message.content else None
        self.query_one("#artifact-path", Static).update(safe(beside_home(message.path), 1000))
        note = self.query_one("#preview-note", Static)
        text = self.query_one("#preview-text", Static)
        table = self.query_one("#preview-table", DataTable)
        content = message.content
        if content is None:
            note.update(Text(message.error, style="bold red"))
            text.update("")
            table.display = False
            return
        note.update(Text(content.note, style="italic"))
        if content.kind == "table":
            text.display, table.display = False, True
            table.clear(columns=True)
            if content.rows:
                width = max(len(r) for r in content.rows)
                header = list(content.rows[0]) + [""] * (width - len(content.rows[0]))
                table.add_columns(*(safe(h, 40) for h in header))
                for row in content.rows[1:]:
                    table.add_row(*(safe(c, 60) for c in list(row) + [""] * (width - len(row))))
            return
        text.display, table.display = True, False
        if content.kind == "syntax":
            text.update(Syntax(content.body, content.lexer, line_numbers=False, word_wrap=False,
                               theme="ansi_dark"))
        else:
            text.update(Text(content.body))

    def _open_with(self, variable: str, fallback: str) -> None:
        if self.current is None:
            self.app.say("Choose a file first", severity="warning")
            return
        command = os.environ.get(variable) or os.environ.get(
            "EDITOR" if variable == "PAGER" else "PAGER") or fallback
        argv = shlex.split(command)
        if not argv or shutil.which(argv[0]) is None:
            self.app.say(f"${variable} program {command!r} not found",
                         severity="error")
            return
        try:
            with self.app.suspend():
                subprocess.run([*argv, str(self.current)], check=False)
        except Exception as exc:  # suspend is unavailable in some environments (tests)
            self.app.say(f"cannot open {self.current.name}: {exc}",
                         severity="error")

    def action_open_external(self) -> None:
        self._open_with("PAGER", "less")

    def action_open_editor(self) -> None:
        self._open_with("EDITOR", "vi")
