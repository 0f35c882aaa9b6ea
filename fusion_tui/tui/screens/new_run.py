"""Start a run: pick a template, name it, edit the common fields (errors shown next to
each field) or the whole INI (advanced), and submit. `r` elsewhere clones a run here.

Everything that reads files (the templates, the chosen template, the check of the whole
configuration, which reads its topology) runs in workers that post messages back; a
keystroke only starts the check."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Checkbox, Header, Input, Label, Select, Static, TextArea

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import describe
from fusion_tui.base.settings import BUILTIN_SIMULATOR
from fusion_tui.config.templates import (
    RunConfig,
    SectionDict,
    Template,
    list_templates,
    load_template,
    parse_ini,
)
from fusion_tui.executors.descriptions import DESCRIPTIONS, description_of
from fusion_tui.store.models import Run
from fusion_tui.sweeps.grid import overrides_between
from fusion_tui.sweeps.preview import preview
from fusion_tui.tui import navigation
from fusion_tui.tui.actions import check_fusion_setup
from fusion_tui.tui.format import duration, safe
from fusion_tui.tui.session import SessionApp
from fusion_tui.tui.widgets.confirm import ConfirmScreen
from fusion_tui.tui.widgets.key_bar import KeyBar
from fusion_tui.tui.widgets.new_run.check import FormCheck, check_form
from fusion_tui.tui.widgets.new_run.config_fields import ConfigFields
from fusion_tui.tui.widgets.new_run.executor_fields import ExecutorFields
from fusion_tui.tui.widgets.new_run.rows import error_label, field_row, set_error
from fusion_tui.tui.widgets.new_run.sweep_fields import SweepFields, SweepSpec

# (key, the widget it focuses, what it is called): the form's sections.
SECTIONS = (
    ("alt+t", "#template", "template"),
    ("alt+n", "#name", "name"),
    ("alt+x", "#executor", "executor"),
    ("alt+f", "#form-fields", "fields"),
    ("alt+g", "#sweep-grid", "sweep grid"),
)
JUMPS = "Jump: " + " · ".join(f"{key} {what}" for key, _, what in SECTIONS)


@dataclass(frozen=True)
class Submission:
    """What the form sends to be created: one run, or a sweep when `sweep` asks."""

    template: str
    name: str
    text: str  # the configuration as INI
    executor: str
    options: dict[str, str | None]  # what the run asks of its executor
    sweep: SweepSpec
    check: tuple[SectionDict, str] | None  # the fields and their simulator, to check first


class NewRunScreen(Screen[None]):
    AUTO_FOCUS = "#template"  # the first choice made; the name comes after
    BINDINGS = [
        Binding("escape", "leave", "Cancel", id="new_run.pop_screen"),
        Binding("ctrl+s", "submit", "Create run", id="new_run.submit"),
        Binding("f2", "toggle_advanced", "Advanced (INI)", id="new_run.toggle_advanced"),
        # Each section a key away, in the order the choices are made (the fields between
        # are many: the sweep grid was ten tabs from the top).
        # Priority: a terminal's alt+t reaches a focused Input as a printable "t".
        *(Binding(key, f"jump('{target}')", f"Go to {what}", show=False, priority=True,
                  id=f"new_run.go_{what.replace(' ', '_')}")
          for key, target, what in SECTIONS),
    ]

    app = getters.app(SessionApp)
    fields = getters.query_one(ConfigFields)

    class TemplatesLoaded(Message):
        def __init__(self, templates: list[Template], clone: Run | None) -> None:
            super().__init__()
            self.templates, self.clone = templates, clone

    class TemplateRead(Message):
        """A chosen template's sections (or why it cannot be read)."""

        def __init__(self, template: Template, sections: SectionDict | None,
                     error: str = "") -> None:
            super().__init__()
            self.template, self.sections, self.error = template, sections, error

    class Checked(Message):
        """The check of what the form held when check number `number` started."""

        def __init__(self, number: int, result: FormCheck) -> None:
            super().__init__()
            self.number, self.result = number, result

    class SweepCreated(Message):
        def __init__(self, sweep_id: str, runs: int) -> None:
            super().__init__()
            self.sweep_id, self.runs = sweep_id, runs

    class Created(Message):
        def __init__(self, run: Run | None, error: str = "") -> None:
            super().__init__()
            self.run, self.error = run, error

    class Previewed(Message):
        """A sweep's dry run (its line), or why the fields are not a sweep yet."""

        def __init__(self, number: int, text: str, problem: bool) -> None:
            super().__init__()
            self.number, self.text, self.problem = number, text, problem

    def __init__(self, clone_of: str | None = None) -> None:
        super().__init__()
        self.clone_of = clone_of
        self.templates: dict[str, Template] = {}
        self.base: SectionDict = {}
        self.advanced = False
        self.template_shown: str | None = None  # whose values the fields hold
        self._template_asked: str | None = None  # the template being read
        self._loading = False
        self._checks = 0  # checks started; only the latest one's answer is shown
        self._previews = 0  # sweep previews started; only the latest one is shown
        self._pristine: object = None  # the form as its template (or clone) filled it

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="new-run"):
            yield Static(JUMPS, id="form-jumps", markup=False)
            yield field_row("Template", Select[str]([], id="template",
                                                    prompt="choose a template", compact=True))
            yield Static(id="template-about")
            yield field_row("Name", Input(placeholder="optional", id="name", compact=True))
            yield error_label("err-name")
            yield field_row("Executor", Select[str]([(f"{d.name}: {d.choice}", d.name)
                                                     for d in DESCRIPTIONS.values()],
                                                    id="executor", allow_blank=False,
                                                    compact=True))
            for description in DESCRIPTIONS.values():
                if description.options:
                    yield ExecutorFields(description)
            yield ConfigFields(id="form-fields")
            yield Static(id="form-plan")
            yield SweepFields(id="sweep-fields")
            yield TextArea(language="toml", id="ini", show_line_numbers=True)
            yield Static(id="form-error")
            yield Static(id="form-warnings")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = f"clone of {self.clone_of}" if self.clone_of else "new run"
        self.query_one("#ini").display = False
        for fields in self.query(ExecutorFields):
            fields.display = False
        self.load_templates()

    # -- templates ---------------------------------------------------------------------

    @work(thread=True, exit_on_error=False)
    def load_templates(self) -> None:
        services = self.app.services
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
            self.template_shown = clone.template
            self._fill_fields(clone.simulator)
        elif options:
            preferred = "minimal" if "minimal" in self.templates else options[0][1]
            select.value = preferred
            self._use_template(preferred)

    def _use_template(self, name: str) -> None:
        template = self.templates.get(name)
        if template is not None and name != self._template_asked:
            self._template_asked = name
            self.read_template(template)

    @work(thread=True, exit_on_error=False, exclusive=True, group="template")
    def read_template(self, template: Template) -> None:
        try:
            _, sections = load_template(template.name, self.app.services.settings.template_dirs)
        except ConfigError as exc:
            self.post_message(self.TemplateRead(template, None, str(exc)))
            return
        self.post_message(self.TemplateRead(template, sections))

    def on_new_run_screen_template_read(self, message: TemplateRead) -> None:
        template = message.template
        if template.name != self._template_asked:
            return  # another template was chosen since
        if message.sections is None:
            self._show_error(message.error)
            return
        self.base = message.sections
        about = Text(f"{template.simulator} simulator. ")
        about.append_text(safe(template.description, 200))
        self.query_one("#template-about", Static).update(about)
        settings = self.app.services.settings
        self.query_one("#executor", Select).value = template.executor or settings.executor
        for fields in self.query(ExecutorFields):
            fields.fill(template, settings)
        self.template_shown = template.name
        self._fill_fields(template.simulator)

    def _fill_fields(self, simulator: str) -> None:
        self.fields.fill(self.base, simulator)
        self._pristine = self._state()
        self.validate_fields()
        self.sweep_changed()  # its estimate is of this template's runs

    def _state(self) -> object:
        """Everything the user may have typed or chosen, to tell an edited form."""
        executors = tuple(tuple(sorted(f.values().items())) for f in self.query(ExecutorFields))
        return (self.query_one("#template", Select).value, self.query_one("#name", Input).value,
                self.query_one("#executor", Select).value, executors,
                self.query_one(SweepFields).spec(), self.advanced,
                self.query_one("#ini", TextArea).text if self.advanced else None,
                tuple((k, tuple(sorted(v.items()))) for k, v in sorted(self._values().items())))

    def action_leave(self) -> None:
        """Escape: leave at once when nothing was changed, else ask first."""
        if self._pristine is None or self._state() == self._pristine:
            self.app.pop_screen()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        self.app.push_screen(ConfirmScreen(
            "Discard this form?", Text("The form has changes that are not saved anywhere. "
                                       "Leave it and lose them?")), answered)

    def action_jump(self, target: str) -> None:
        """Focus a section's first field (the INI editor stands for the fields in
        advanced mode) and bring it into view."""
        if target == "#form-fields":
            widget = self.query_one("#ini", TextArea) if self.advanced else \
                next(iter(self.fields.query("Input, Select")), None)
        else:
            widget = self.query_one(target)
        if widget is not None and widget.focusable:
            widget.focus()
            widget.scroll_visible(animate=False)

    @on(Select.Changed, "#executor")
    def executor_changed(self, event: Select.Changed) -> None:
        for fields in self.query(ExecutorFields):
            fields.display = event.value == fields.description.name

    @on(Select.Changed, "#template")
    def template_changed(self, event: Select.Changed) -> None:
        if self._loading:
            self._loading = False
            return
        if isinstance(event.value, str):
            self._use_template(event.value)

    # -- values and checks -------------------------------------------------------------

    def _simulator(self) -> str:
        chosen = self.templates.get(str(self.query_one("#template", Select).value))
        return chosen.simulator if chosen else BUILTIN_SIMULATOR

    def _values(self) -> SectionDict:
        return self.fields.values(self.base)

    @on(Input.Changed)
    @on(Select.Changed)
    def validate_fields(self) -> None:
        """Check what the form holds (in a worker); errors appear beside the fields."""
        if self.advanced or not self.base:
            return
        self._checks += 1
        self.check(self._checks, self._values(), self._simulator(),
                   self.query_one("#name", Input).value)

    @work(thread=True, exit_on_error=False, group="check")
    def check(self, number: int, sections: SectionDict, simulator: str, name: str) -> None:
        result = check_form(sections, simulator, name, self.app.services.settings.runs_dir)
        self.post_message(self.Checked(number, result))

    def on_new_run_screen_checked(self, message: Checked) -> None:
        if message.number == self._checks and not self.advanced:
            self._show_check(message.result)

    def _show_check(self, result: FormCheck) -> None:
        warnings = self.query_one("#form-warnings", Static)
        warnings.update(Text("\n".join(f"warning: {w}" for w in result.warnings)))
        warnings.display = bool(result.warnings)
        plan = self.query_one("#form-plan", Static)
        plan.update(Text(result.plan))
        plan.display = bool(result.plan)
        self.fields.show_errors(result.fields)
        set_error(self.query_one("#err-name", Label), result.name)
        if result.fields or result.name:
            return
        if result.whole:
            self._place_error(result.whole)
        else:
            self._show_error("")

    def _place_error(self, message: str) -> None:
        if not self.fields.place(message):
            self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(Text(message, style="bold red"))

    def _say_failed(self, message: str) -> None:
        """A submission that failed says why where the eye is: beside its field, scrolled
        into view, or below the form and in a toast (it may be below the fold)."""
        if self.fields.place(message):
            self.fields.scroll_to_error(message)
            return
        self._show_error(message)
        self.query_one("#form-error", Static).scroll_visible(animate=False)
        self.app.say(message, title="Not created", severity="error")

    # -- advanced mode -----------------------------------------------------------------

    def action_toggle_advanced(self) -> None:
        area = self.query_one("#ini", TextArea)
        fields = self.fields
        if not self.advanced:
            config = RunConfig(Template("edit", self.app.services.settings.home, "builtin", ""),
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
            self.query_one("#template", Select).focus()
            self._say_failed("choose a template first")
            return
        executor = str(self.query_one("#executor", Select).value)
        options = next((f.values() for f in self.query(ExecutorFields)
                        if f.description.name == executor), {})
        name = self.query_one("#name", Input).value
        sweep = self.query_one(SweepFields).spec()
        if self.advanced:
            text, check = self.query_one("#ini", TextArea).text, None
        else:
            sections = self._values()
            text = RunConfig(self.templates[template], sections).to_ini()
            check = (sections, self._simulator())
        self._checks += 1
        self.create(self._checks, Submission(template, name, text, executor, options, sweep,
                                             check))

    @work(thread=True, exit_on_error=False, exclusive=True, group="create")
    def create(self, number: int, request: Submission) -> None:
        """Check the fields first (as the form shows them), then create the run, or the
        same sweep as `fusion-tui sweep new` (the form's changes to the template are its
        overrides)."""
        services = self.app.services
        if request.check is not None:
            sections, simulator = request.check
            result = check_form(sections, simulator, request.name, services.settings.runs_dir)
            if not result.ok:
                self.post_message(self.Checked(number, result))
                return
        name = request.name or None
        try:
            if request.sweep.wanted:
                _, base = load_template(request.template, services.settings.template_dirs)
                edited, _meta = parse_ini(request.text, "config")
                detail = services.sweeps.create(request.template, request.sweep.to_grid(),
                                                name=name,
                                                overrides=overrides_between(base, edited),
                                                executor=request.executor,
                                                executor_options=request.options)
                self.post_message(self.SweepCreated(detail.sweep.id, len(detail.runs)))
                return
            run = services.manager.create(request.template, name=name,
                                          config_text=request.text,
                                          executor=request.executor,
                                          executor_options=request.options)
        except ConfigError as exc:
            self.post_message(self.Created(None, str(exc)))
            return
        except OSError as exc:  # a full disk, a runs folder that cannot be written
            self.post_message(self.Created(None, describe(exc)))
            return
        self.post_message(self.Created(run))

    # -- the sweep's dry run -----------------------------------------------------------

    @on(Input.Changed, "#sweep-grid, #sweep-seeds, #sweep-zip")
    @on(Checkbox.Changed, "#sweep-split")
    @on(Select.Changed, "#executor")
    def sweep_changed(self) -> None:
        """Preview the sweep the fields describe (in a worker): its dry run's line."""
        fields = self.query_one(SweepFields)
        spec = fields.spec()
        template = self.query_one("#template", Select).value
        self._previews += 1
        if not spec.wanted or not isinstance(template, str):
            fields.preview(None)
            return
        executor = str(self.query_one("#executor", Select).value)
        options = next((f.values() for f in self.query(ExecutorFields)
                        if f.description.name == executor), {})
        edited = None if self.advanced else self._values()
        self.preview_sweep(self._previews, template, spec, edited, executor, options)

    @work(thread=True, exit_on_error=False, group="preview")
    def preview_sweep(self, number: int, template: str, spec: SweepSpec,
                      edited: SectionDict | None, executor: str,
                      options: dict[str, str | None]) -> None:
        services = self.app.services
        try:
            _, base = load_template(template, services.settings.template_dirs)
            shown = preview(services.sweeps, template, spec.to_grid(),
                            overrides=overrides_between(base, edited) if edited else (),
                            executor=executor, executor_options=options)
        except ConfigError as exc:
            self.post_message(self.Previewed(number, f"not a sweep yet: {exc}", True))
            return
        text = (f"{shown.runs} run{'' if shown.runs == 1 else 's'}, first "
                f"{shown.first[0]}; estimated time: {shown.estimate_text(duration)}")
        self.post_message(self.Previewed(number, text, False))

    def on_new_run_screen_previewed(self, message: Previewed) -> None:
        if message.number == self._previews:
            self.query_one(SweepFields).preview(message.text, problem=message.problem)

    def on_new_run_screen_sweep_created(self, message: SweepCreated) -> None:
        self.app.say(f"Sweep {message.sweep_id}: {message.runs} runs", title="New sweep")
        self.app.pop_screen()
        self.app.post_message(navigation.OpenSweep(message.sweep_id))

    def on_new_run_screen_created(self, message: Created) -> None:
        if message.run is None:
            if self.advanced:
                self._show_error(message.error)
                self.app.say(message.error, title="Not created", severity="error")
            else:
                self._say_failed(message.error)
            return
        run = message.run
        state = "started" if run.status == "RUNNING" else \
            description_of(run.executor).submitted(run) or "queued"
        self.app.say(f"Run {run.id} {state}", title="New run")
        if run.simulator != BUILTIN_SIMULATOR:  # FUSION, either line
            check_fusion_setup(self.app, run.run_dir, run.template)
        self.app.pop_screen()
