"""INI templates: find them, read them, merge overrides, validate (by the rules of the
kind of run, which the caller passes in: `kinds/`), freeze.

A template may carry a `[fusion_tui]` section that tells fusion-tui how to run it:
`simulator`, `description`, `executor`, and the options of an executor (each executor
names its own: `executors/*/describe.py`; the run's executor checks them before anything
is made). That section is not part of the frozen `config.ini`.
"""

from __future__ import annotations

import configparser
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.safefile import read_text
from fusion_tui.base.settings import BUILTIN_SIMULATOR, SIMULATORS
from fusion_tui.config import schema
from fusion_tui.config.overrides import Override

META_SECTION = "fusion_tui"
# Its own keys; any other is an executor's option.
META_KEYS = ("simulator", "description", "executor")
TEMPLATE_LIMIT = 1 << 20
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")

SectionDict = dict[str, dict[str, str]]


class Rules(Protocol):
    """A kind of run's rules for its configuration (`kinds/kind.py`'s RunKind)."""

    @property
    def reader(self) -> str:
        """Who reads the configuration, for messages ("FUSION 6.1")."""
        ...

    def validate(self, sections: schema.Sections, run_dir: Path) -> None:
        """Raise ConfigError (one line naming section and key) for the first problem."""
        ...

    def may_add(self, section: str, key: str) -> bool:
        """Whether `--set` may add `section.key` to a template that lacks it."""
        ...


RulesFor = Callable[[str], Rules]  # a simulator's name -> its rules


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    simulator: str
    description: str
    executor: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # its other `[fusion_tui]` keys, as given

    @property
    def executor_options(self) -> dict[str, str]:
        """What the template asks of its executor (its `[fusion_tui]` option keys)."""
        return dict(self.options)


@dataclass(frozen=True)
class RunConfig:
    """A validated configuration, ready to be frozen into a run directory."""

    template: Template
    sections: SectionDict

    @property
    def simulator(self) -> str:
        return self.template.simulator

    def to_ini(self) -> str:
        parser = _new_parser()
        parser.read_dict(self.sections)
        out = io.StringIO()
        parser.write(out)
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps(self.sections, sort_keys=False)

    @property
    def iterations(self) -> int:
        return schema.iterations(self.sections)


def _new_parser() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    return parser


def parse_ini(text: str, where: str) -> tuple[SectionDict, dict[str, str]]:
    """INI text -> (simulator sections, fusion-tui meta section)."""
    parser = _new_parser()
    try:
        parser.read_string(text, source=where)
    except configparser.Error as exc:
        first = str(exc).splitlines()[0].rstrip(":")
        raise ConfigError(f"{where}: cannot parse INI: {first}") from None
    sections = {name: dict(parser[name]) for name in parser.sections()}
    meta = sections.pop(META_SECTION, {})
    return sections, meta


def _candidates(dirs: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.ini")):
            found.setdefault(path.stem, path)
    return found


def _read_template(name: str, path: Path) -> tuple[Template, SectionDict]:
    try:
        text = read_text(path, TEMPLATE_LIMIT)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"template {name!r}: cannot read {path}: {reason}") from None
    sections, meta = parse_ini(text, f"template {name!r} ({path})")
    simulator = meta.get("simulator", BUILTIN_SIMULATOR).strip()
    if simulator not in SIMULATORS:
        raise ConfigError.at(META_SECTION, "simulator",
                             f"expected one of {', '.join(SIMULATORS)}, got {simulator!r}")
    executor = meta.get("executor", "").strip() or None
    options = tuple((k, v.strip()) for k, v in meta.items() if k not in META_KEYS)
    template = Template(name, path, simulator, meta.get("description", "").strip(),
                        executor, options)
    return template, sections


def list_templates(dirs: Sequence[Path]) -> list[Template]:
    """Every template on the search path; a name found twice comes from the first folder."""
    out = []
    for name, path in sorted(_candidates(dirs).items()):
        try:
            out.append(_read_template(name, path)[0])
        except ConfigError:
            out.append(Template(name, path, "?", "(cannot be read)"))
    return out


def load_template(name: str, dirs: Sequence[Path]) -> tuple[Template, SectionDict]:
    stem = name[:-4] if name.endswith(".ini") else name
    if not _TEMPLATE_NAME.match(stem):
        raise ConfigError(f"template {name!r}: not a template name")
    path = _candidates(dirs).get(stem)
    if path is None:
        known = ", ".join(sorted(_candidates(dirs))) or "none"
        raise ConfigError(f"unknown template {name!r} (available: {known})")
    return _read_template_cached(stem, path)


_READ: dict[tuple[str, Path, int, int], tuple[Template, SectionDict]] = {}


def _read_template_cached(name: str, path: Path) -> tuple[Template, SectionDict]:
    """`_read_template`, remembered while the file's size and mtime stay the same (a
    sweep reads its template once per point); the sections come back as a fresh copy."""
    try:
        st = path.stat()
        key = (name, path, st.st_mtime_ns, st.st_size)
    except OSError:
        return _read_template(name, path)
    if key not in _READ:
        if len(_READ) > 64:
            _READ.clear()
        _READ[key] = _read_template(name, path)
    template, sections = _READ[key]
    return template, {section: dict(values) for section, values in sections.items()}


def apply_overrides(sections: SectionDict, overrides: Iterable[Override],
                    template_name: str, rules: Rules) -> SectionDict:
    """A copy of `sections` with the overrides merged in.

    A key must be present in the template or known to the simulator that runs it (any key
    FUSION 6.1 reads), so a typo is an error rather than a setting silently ignored.
    """
    merged = {name: dict(values) for name, values in sections.items()}
    for o in overrides:
        if o.key not in sections.get(o.section, {}) and not rules.may_add(o.section, o.key):
            raise ConfigError.at(o.section, o.key, f"unknown key: not in template "
                                                   f"{template_name!r} and {rules.reader} "
                                                   f"does not read it")
        merged.setdefault(o.section, {})[o.key] = o.value
    return merged


def build_config(template_name: str, overrides: Iterable[Override],
                 dirs: Sequence[Path], run_dir: Path, rules_for: RulesFor) -> RunConfig:
    """Template + overrides -> RunConfig validated by the rules of the template's
    simulator (`rules_for`), or ConfigError naming the problem.

    `run_dir` is where the run will live: relative file paths in the configuration are
    read from there by the simulator, so they are checked there too.
    """
    template, sections = load_template(template_name, dirs)
    rules = rules_for(template.simulator)
    merged = apply_overrides(sections, overrides, template.name, rules)
    rules.validate(merged, run_dir)
    return RunConfig(template, merged)


def config_from_ini(text: str, template: Template, run_dir: Path, rules: Rules) -> RunConfig:
    """A whole INI edited by hand (the advanced form), validated like a template."""
    sections, _meta = parse_ini(text, "config")
    rules.validate(sections, run_dir)
    return RunConfig(template, sections)
