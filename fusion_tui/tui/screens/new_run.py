"""Start a run: pick a template, name it, edit the common fields (errors shown next to
each field) or the whole INI (advanced), and submit. `r` elsewhere clones a run here."""

from __future__ import annotations

import json
import re

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Checkbox, Header, Input, Label, Select, Static, TextArea

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import describe
from fusion_tui.base.settings import BUILTIN_SIMULATOR, FUSION_SIMULATOR
from fusion_tui.config import schema, validator
from fusion_tui.config.templates import RunConfig as _RunConfig
from fusion_tui.config.templates import (
    SectionDict,
    Template,
    list_templates,
    load_template,
    parse_ini,
)
from fusion_tui.kinds.fusion import schema as fusion_schema
from fusion_tui.store.models import Run
from fusion_tui.sweeps.grid import Grid, overrides_between, parse_axes, parse_seeds
from fusion_tui.tui.format import safe
from fusion_tui.tui.widgets.key_bar import KeyBar

FIELDS = (
    ("general_settings", "erlang_start", "Erlang start"),
    ("general_settings", "erlang_stop", "Erlang stop"),
    ("general_settings", "erlang_step", "Erlang step"),
    ("general_settings", "max_iters", "Iterations"),
    ("general_settings", "num_requests", "Requests"),
    ("topology_settings", "network", "Network"),
    ("routing_settings", "k_paths", "k paths"),
    ("general_settings", "allocation_method", "Allocation"),
)

_WHERE = re.compile(r"^\[(?P<section>[^\]]+)\] (?P<key>[^:]+): (?P<problem>.*)$")


# What a Slurm run may ask for here (empty: the template's or the settings' value).
SLURM_FIELDS = (
    ("partition", "Partition", "default partition"),
    ("time", "Time limit", "e.g. 4:00:00 (default: the partition's)"),
    ("cpus_per_task", "CPUs per task", "1"),
    ("mem", "Memory", "e.g. 8G"),
    ("account", "Account", "default account"),
    ("qos", "QOS", "default QOS"),
    ("extra_args", "sbatch args", "e.g. --constraint=avx2"),
)


def field_id(section: str, key: str) -> str:
    return f"{section}--{key}"


class NewRunScreen(Screen[None]):
    AUTO_FOCUS = "#name"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Cancel", id="new_run.pop_screen"),
        Binding("ctrl+s", "submit", "Create run", id="new_run.submit"),
        Binding("f2", "toggle_advanced", "Advanced (INI)", id="new_run.toggle_advanced"),
    ]

    class TemplatesLoaded(Message):
        def __init__(self, templates: list[Template], clone: Run | None) -> None:
            super().__init__()
            self.templates, self.clone = templates, clone

    class SweepCreated(Message):
        def __init__(self, sweep_id: str, runs: int) -> None:
            super().__init__()
            self.sweep_id, self.runs = sweep_id, runs

    class Created(Message):
        def __init__(self, run: Run | None, error: str = "") -> None:
            super().__init__()
            self.run, self.error = run, error

    def __init__(self, clone_of: str | None = None) -> None:
        super().__init__()
        self.clone_of = clone_of
        self.base: SectionDict = {}
        self.advanced = False
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="new-run"):
            with Horizontal(classes="field-row"):
                yield Label("Template", classes="field-label")
                yield Select[str]([], id="template", prompt="choose a template", compact=True)
            yield Static(id="template-about")
            with Horizontal(classes="field-row"):
                yield Label("Name", classes="field-label")
                yield Input(placeholder="optional", id="name", compact=True)
            yield Label("", id="err-name", classes="field-error")
            with Horizontal(classes="field-row"):
                yield Label("Executor", classes="field-label")
                yield Select[str]([("local: this machine", "local"),
                                   ("slurm: a Slurm job", "slurm")], id="executor",
                                  allow_blank=False, compact=True)
            with Vertical(id="slurm-fields"):
                for key, label, hint in SLURM_FIELDS:
                    with Horizontal(classes="field-row"):
                        yield Label(label, classes="field-label")
                        yield Input(placeholder=hint, id=f"slurm-{key}", compact=True)
            with Vertical(id="form-fields"):
                for section, key, label in FIELDS:
                    with Horizontal(classes="field-row"):
                        yield Label(label, classes="field-label")
                        if key == "allocation_method":
                            yield Select[str]([(m, m) for m in schema.ALLOCATION_METHODS],
                                              id=field_id(section, key), allow_blank=False,
                                              compact=True)
                        else:
                            yield Input(id=field_id(section, key), compact=True)
                    yield Label("", id=f"err-{field_id(section, key)}", classes="field-error")
            with Vertical(id="sweep-fields"):
                yield Label("Sweep (optional): one run per grid point, seed and load",
                            classes="section-title")
                with Horizontal(classes="field-row"):
                    yield Label("Grid", classes="field-label")
                    yield Input(placeholder="routing_settings.k_paths=1,2; section.key=a,b",
                                id="sweep-grid", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("Seeds", classes="field-label")
                    yield Input(placeholder="e.g. 1-5 or 1,4,9", id="sweep-seeds", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label("Split loads", classes="field-label")
                    yield Checkbox("one run per Erlang value", id="sweep-split", compact=True)
            yield TextArea(language="toml", id="ini", show_line_numbers=True)
            yield Static(id="form-error")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = f"clone of {self.clone_of}" if self.clone_of else "new run"
        self.query_one("#ini").display = False
        self.query_one("#slurm-fields").display = False
        for label in self.query(".field-error"):
            label.display = False
        self.load_templates()

    @work(thread=True, exit_on_error=False)
    def load_templates(self) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        templates = [t for t in list_templates(services.settings.template_dirs)
                     if t.simulator != "?"]
        clone = services.store.get(self.clone_of) if self.clone_of else None
        self.post_message(self.TemplatesLoaded(templates, clone))

    def on_new_run_screen_templates_loaded(self, message: TemplatesLoaded) -> None:
        self.templates = {t.name: t for t in message.templates}
        select = self.query_one("#template", Select)
        options: list[tuple[Text, str]] = [(safe(t.name, 60), t.name)
                                           for t in message.templates]
        select.set_options(options)
        clone = message.clone
        if clone is not None:
            self.base = json.loads(clone.config_json)
            if clone.template in self.templates:
                self._loading = True
                select.value = clone.template
            self.query_one("#name", Input).value = f"{clone.name or clone.id} (copy)"
            self.query_one("#executor", Select).value = clone.executor
            self._fill_fields(clone.simulator)
        elif options:
            preferred = "minimal" if "minimal" in self.templates else options[0][1]
            select.value = preferred
            self._use_template(preferred)

    def _use_template(self, name: str) -> None:
        template = self.templates.get(name)
        if template is None:
            return
        try:
            _, sections = load_template(name, self.app.services.settings.template_dirs)  # type: ignore[attr-defined]
        except ConfigError as exc:
            self._show_error(str(exc))
            return
        self.base = sections
        about = Text(f"{template.simulator} simulator. ")
        about.append_text(safe(template.description, 200))
        self.query_one("#template-about", Static).update(about)
        settings = self.app.services.settings  # type: ignore[attr-defined]
        self.query_one("#executor", Select).value = template.executor or settings.executor
        for key, _, _ in SLURM_FIELDS:
            value = template.slurm_options.get(key) or getattr(settings, f"slurm_{key}") or ""
            self.query_one(f"#slurm-{key}", Input).value = str(value)
        self._fill_fields(template.simulator)

    def _fill_fields(self, simulator: str) -> None:
        for section, key, _ in FIELDS:
            value = self.base.get(section, {}).get(key, "").strip()
            widget = self.query_one(f"#{field_id(section, key)}")
            if isinstance(widget, Select):
                # The template's own value is always offered: a FUSION method the list
                # lacks must not silently become first_fit.
                choices = list(fusion_schema.ALLOCATION_METHODS if simulator ==
                               FUSION_SIMULATOR else schema.ALLOCATION_METHODS)
                if value and value not in choices:
                    choices.append(value)
                widget.set_options([(m, m) for m in choices])
                if value:
                    widget.value = value
            elif isinstance(widget, Input):
                widget.value = value
        self.validate_fields()

    @on(Select.Changed, "#executor")
    def executor_changed(self, event: Select.Changed) -> None:
        self.query_one("#slurm-fields").display = event.value == "slurm"

    @on(Select.Changed, "#template")
    def template_changed(self, event: Select.Changed) -> None:
        if self._loading:
            self._loading = False
            return
        if isinstance(event.value, str):
            self._use_template(event.value)

    # -- values and validation ---------------------------------------------------------

    def _simulator(self) -> str:
        chosen = self.templates.get(str(self.query_one("#template", Select).value))
        return chosen.simulator if chosen else BUILTIN_SIMULATOR

    def _values(self) -> SectionDict:
        sections = {name: dict(values) for name, values in self.base.items()}
        for section, key, _ in FIELDS:
            widget = self.query_one(f"#{field_id(section, key)}")
            value = widget.value if isinstance(widget, Input | Select) else ""
            sections.setdefault(section, {})[key] = str(value) if value is not None else ""
        return sections

    @on(Input.Changed)
    @on(Select.Changed)
    def validate_fields(self) -> bool:
        """Check each field on its own, then the whole; show errors beside the fields."""
        if self.advanced or not self.base:
            return True
        sections = self._values()
        simulator = self._simulator()
        ok = True
        for section, key, _ in FIELDS:
            label = self.query_one(f"#err-{field_id(section, key)}", Label)
            try:
                validator.check_value(section, key, sections[section][key], simulator)
                self._set_error(label, "")
            except ConfigError as exc:
                self._set_error(label, str(exc).split(": ", 1)[-1])
                ok = False
        name_label = self.query_one("#err-name", Label)
        name = self.query_one("#name", Input).value
        bad_name = any(ord(ch) < 32 or ord(ch) == 127 for ch in name) or len(name) > 255
        self._set_error(name_label, "control characters are not allowed" if bad_name else "")
        ok = ok and not bad_name
        if ok:
            runs_dir = self.app.services.settings.runs_dir  # type: ignore[attr-defined]
            try:
                validator.validate(sections, simulator, runs_dir / "new")
                self._show_error("")
            except ConfigError as exc:
                ok = False
                self._place_error(str(exc))
        return ok

    def _place_error(self, message: str) -> None:
        match = _WHERE.match(message)
        if match:
            target = self.query(f"#err-{field_id(match['section'], match['key'])}")
            if target:
                self._set_error(target.first(Label), match["problem"])
                return
        self._show_error(message)

    @staticmethod
    def _set_error(label: Label, message: str) -> None:
        label.update(Text(message))
        label.display = bool(message)

    def _show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(Text(message, style="bold red"))

    # -- advanced mode -----------------------------------------------------------------

    def action_toggle_advanced(self) -> None:
        area = self.query_one("#ini", TextArea)
        fields = self.query_one("#form-fields")
        if not self.advanced:
            config = _RunConfig(Template("edit", self.app.services.settings.home, "builtin", ""),  # type: ignore[attr-defined]
                                self._values())
            area.text = config.to_ini()
            self.advanced = True
            fields.display, area.display = False, True
            area.focus()
            return
        try:
            sections, _meta = parse_ini(area.text, "config")
        except ConfigError as exc:
            self._show_error(str(exc))
            return
        self.base = sections
        self.advanced = False
        fields.display, area.display = True, False
        self._fill_fields(self._simulator())

    # -- submit ------------------------------------------------------------------------

    def action_submit(self) -> None:
        template = self.query_one("#template", Select).value
        if not isinstance(template, str):
            self._show_error("choose a template")
            return
        if self.advanced:
            text = self.query_one("#ini", TextArea).text
        else:
            if not self.validate_fields():
                return
            text = _RunConfig(self.templates[template], self._values()).to_ini()
        executor = str(self.query_one("#executor", Select).value)
        slurm = {key: self.query_one(f"#slurm-{key}", Input).value for key, _, _ in SLURM_FIELDS} \
            if executor == "slurm" else {}
        name = self.query_one("#name", Input).value
        grid_text = self.query_one("#sweep-grid", Input).value.strip()
        seeds = self.query_one("#sweep-seeds", Input).value.strip()
        split = self.query_one("#sweep-split", Checkbox).value
        if grid_text or seeds or split:
            self.create_sweep(template, name, text, executor, slurm, (grid_text, seeds, split))
            return
        self.create(template, name, text, executor, slurm)

    @work(thread=True, exit_on_error=False, exclusive=True, group="create")
    def create(self, template: str, name: str, text: str, executor: str,
               slurm: dict[str, str | None]) -> None:
        try:
            run = self.app.services.manager.create(  # type: ignore[attr-defined]
                template, name=name or None, config_text=text, executor=executor,
                executor_options=slurm)
        except ConfigError as exc:
            self.post_message(self.Created(None, str(exc)))
            return
        except OSError as exc:  # a full disk, a runs folder that cannot be written
            self.post_message(self.Created(None, describe(exc)))
            return
        self.post_message(self.Created(run))

    @work(thread=True, exit_on_error=False, exclusive=True, group="create")
    def create_sweep(self, template: str, name: str, text: str, executor: str,
                     slurm: dict[str, str | None], grid_spec: tuple[str, str, bool]) -> None:
        """The same sweep as `fusion-tui sweep new`: the form's changes to the template
        are its overrides."""
        grid_text, seeds, split = grid_spec
        services = self.app.services  # type: ignore[attr-defined]
        try:
            _, base = load_template(template, services.settings.template_dirs)
            edited, _meta = parse_ini(text, "config")
            grid = Grid(parse_axes(grid_text), parse_seeds(seeds) if seeds else (), split)
            detail = services.sweeps.create(template, grid, name=name or None,
                                            overrides=overrides_between(base, edited),
                                            executor=executor, executor_options=slurm)
        except ConfigError as exc:
            self.post_message(self.Created(None, str(exc)))
            return
        except OSError as exc:
            self.post_message(self.Created(None, describe(exc)))
            return
        self.post_message(self.SweepCreated(detail.sweep.id, len(detail.runs)))

    def on_new_run_screen_sweep_created(self, message: SweepCreated) -> None:
        self.app.say(f"Sweep {message.sweep_id}: {message.runs} runs",  # type: ignore[attr-defined]
                     title="New sweep")
        self.app.pop_screen()
        self.app.open_sweep(message.sweep_id)  # type: ignore[attr-defined]

    def on_new_run_screen_created(self, message: Created) -> None:
        if message.run is None:
            if self.advanced:
                self._show_error(message.error)
            else:
                self._place_error(message.error)
            return
        run = message.run
        state = "started" if run.status == "RUNNING" else \
            f"submitted as Slurm job {run.slurm.job_id}" if run.slurm else "queued"
        self.app.say(f"Run {run.id} {state}", title="New run")  # type: ignore[attr-defined]
        if run.simulator == FUSION_SIMULATOR:
            self.app.check_fusion_setup(run.run_dir, run.template)  # type: ignore[attr-defined]
        self.app.pop_screen()
