"""A sweep's grid: `--grid section.key=v1,v2,...` axes, `--seeds`, and its points.

Values are split on commas outside brackets, braces, parentheses and quotes, so a
list- or dict-valued setting is one value (`--grid x.y=[1,2],[3,4]` has two), which
FUSION's own sweep tool cannot do. Every value is validated later, per point, by the
rules of the simulator that will run it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from fusion_tui.base.errors import ConfigError
from fusion_tui.config.overrides import parse_override

SEED_KEY = "builtin_settings.seed"
LOAD_KEY = "erlang"
ERLANG_KEYS = ("general_settings.erlang_start", "general_settings.erlang_stop",
               "general_settings.erlang_step")
MAX_POINTS = 10_000
MAX_SEED = 2**31 - 1
_OPEN = {"[": "]", "{": "}", "(": ")"}
_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*\Z")


def split_values(text: str, separator: str = ",") -> list[str]:
    """`1,2,[3,4]` -> ['1', '2', '[3,4]']: commas inside brackets or quotes do not split."""
    values: list[str] = []
    closing: list[str] = []
    quote: str | None = None
    current: list[str] = []
    for ch in text:
        if quote is not None:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in _OPEN:
            closing.append(_OPEN[ch])
        elif closing and ch == closing[-1]:
            closing.pop()
        elif ch == separator and not closing:
            values.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if quote is not None or closing:
        raise ConfigError(f"--grid value {text!r}: unbalanced "
                          f"{'quote' if quote is not None else 'bracket'}")
    values.append("".join(current).strip())
    return values


@dataclass(frozen=True)
class Axis:
    """One swept setting and its values, in the order given."""

    key: str
    values: tuple[str, ...]

    @property
    def short(self) -> str:
        return self.key.partition(".")[2]


def parse_axis(spec: str) -> Axis:
    """`section.key=v1,v2` -> Axis; one clear line when it is not that."""
    if "=" not in spec:
        raise ConfigError(f"--grid {spec!r}: expected section.key=v1,v2,...")
    head, _, tail = spec.partition("=")
    override = parse_override(f"{head}=x")
    values = split_values(tail)
    key = f"{override.section}.{override.key}"
    if any(not v for v in values):
        raise ConfigError(f"--grid {key}: empty value in {tail!r}")
    if len(set(values)) != len(values):
        raise ConfigError(f"--grid {key}: a value is listed twice in {tail!r}")
    for value in values:
        parse_override(f"{key}={value}")
    return Axis(key, tuple(values))


def parse_seeds(text: str) -> tuple[int, ...]:
    """`1-5`, `1,4,9` or a mix (`1-3,7`) -> the seeds in order; each listed once."""
    seeds: list[int] = []
    for part in text.split(","):
        match = _RANGE.match(part)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if low > high:
                raise ConfigError(f"--seeds {text!r}: range {part.strip()!r} runs backwards")
            if high - low >= MAX_POINTS:
                raise ConfigError(f"--seeds {text!r}: more than {MAX_POINTS} seeds")
            seeds.extend(range(low, high + 1))
        elif part.strip().isascii() and part.strip().isdigit():
            seeds.append(int(part.strip(), 10))
        else:
            raise ConfigError(f"--seeds {text!r}: expected whole numbers such as 1-5 or "
                              "1,4,9")
    if any(s < 0 or s > MAX_SEED for s in seeds):
        raise ConfigError(f"--seeds {text!r}: seeds are from 0 to {MAX_SEED}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {text!r}: a seed is listed twice")
    return tuple(seeds)


def parse_axes(text: str) -> tuple[Axis, ...]:
    """The new-run form's grid field: axes separated by `;` (outside brackets and quotes),
    e.g. `routing_settings.k_paths=1,2; general_settings.allocation_method=first_fit,best_fit`."""
    return tuple(parse_axis(part) for part in split_values(text, ";") if part.strip())


def overrides_between(template: dict[str, dict[str, str]],
                      edited: dict[str, dict[str, str]]) -> list[str]:
    """`section.key=value` for every key `edited` adds or changes against `template` (a
    form's values as a sweep's overrides); a removed key cannot be one, so it is refused."""
    for section, keys in template.items():
        for key in keys:
            if key not in edited.get(section, {}):
                raise ConfigError(f"[{section}] {key}: a sweep starts from its template and "
                                  "cannot remove a key")
    return [f"{section}.{key}={value}" for section, keys in edited.items()
            for key, value in keys.items()
            if template.get(section, {}).get(key) != value]


def erlang_text(value: float) -> str:
    """A load as a config value: `300`, not `300.0`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class Grid:
    """The axes, the seeds and whether each load becomes a run of its own."""

    axes: tuple[Axis, ...] = ()
    seeds: tuple[int, ...] = ()
    split_loads: bool = False

    def __post_init__(self) -> None:
        keys = [a.key for a in self.axes]
        if len(set(keys)) != len(keys):
            raise ConfigError("--grid: the same key is swept twice")
        if self.seeds and SEED_KEY in keys:
            raise ConfigError(f"--seeds and --grid {SEED_KEY} both set the seed; use one")
        if self.split_loads and any(k in ERLANG_KEYS for k in keys):
            raise ConfigError("--split-loads makes one run per load: do not also sweep "
                              "erlang_start, erlang_stop or erlang_step")
        if not self.axes and not self.seeds and not self.split_loads:
            raise ConfigError("a sweep needs at least one --grid, --seeds or --split-loads")
        if self.size > MAX_POINTS:
            raise ConfigError(f"the grid has {self.size} points; at most {MAX_POINTS}")

    @property
    def size(self) -> int:
        """Points before loads are split."""
        n = len(self.seeds) or 1
        for axis in self.axes:
            n *= len(axis.values)
        return n

    @property
    def keys(self) -> list[str]:
        """The keys a point has, in order (seed and load last)."""
        return ([a.key for a in self.axes] + ([SEED_KEY] if self.seeds else [])
                + ([LOAD_KEY] if self.split_loads else []))

    def combinations(self) -> list[dict[str, str]]:
        """Every point before loads are split: {key: value}, the first axis slowest."""
        axes = [(a.key, a.values) for a in self.axes]
        if self.seeds:
            axes.append((SEED_KEY, tuple(str(s) for s in self.seeds)))
        return [dict(zip([k for k, _ in axes], values, strict=True))
                for values in itertools.product(*[v for _, v in axes])]

    def as_json(self) -> list[list[object]]:
        return [[a.key, list(a.values)] for a in self.axes]

    @classmethod
    def from_json(cls, axes: list[list[object]], seeds: list[int] | None,
                  split_loads: bool) -> Grid:
        return cls(tuple(Axis(str(k), tuple(str(v) for v in vs))  # type: ignore[attr-defined]
                         for k, vs in axes), tuple(seeds or ()), split_loads)


def load_overrides(erlang: float) -> list[str]:
    """The overrides that make a config run one load only."""
    text = erlang_text(erlang)
    return [f"general_settings.erlang_start={text}", f"general_settings.erlang_stop={text}"]

