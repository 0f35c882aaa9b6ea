"""A sweep's grid: `--grid section.key=v1,v2,...` axes, `--seeds`, and its points: every
combination, or axes paired (`--zip`); and how a sweep grows (`sweep extend`).

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


def parse_zip(text: str) -> tuple[str, ...]:
    """`--zip k_paths,allocation_method` -> the keys as given (checked against the grid)."""
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    if len(keys) < 2:
        raise ConfigError(f"--zip {text!r}: expected two or more grid keys, comma-separated")
    return keys


def parse_loads(text: str) -> tuple[str, ...]:
    """`--loads 700,800` -> the loads as config values (`700`, `750.5`)."""
    loads: list[str] = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise ConfigError(f"--loads {text!r}: expected numbers such as 700,800") from None
        if not value > 0 or value == float("inf"):
            raise ConfigError(f"--loads {text!r}: a load is a positive number")
        loads.append(erlang_text(value))
    if len(set(loads)) != len(loads):
        raise ConfigError(f"--loads {text!r}: a load is listed twice")
    return tuple(loads)


@dataclass(frozen=True)
class Grid:
    """The axes, the seeds, whether each load becomes a run of its own (and its loads,
    once a sweep was extended with more), and the axes paired instead of crossed."""

    axes: tuple[Axis, ...] = ()
    seeds: tuple[int, ...] = ()
    split_loads: bool = False
    zipped: tuple[str, ...] = ()
    loads: tuple[str, ...] = ()  # a split sweep's loads; () for its config's own

    def __post_init__(self) -> None:
        keys = [a.key for a in self.axes]
        if len(set(keys)) != len(keys):
            raise ConfigError("--grid: the same key is swept twice")
        if self.zipped:
            object.__setattr__(self, "zipped", tuple(_grid_key(k, keys) for k in self.zipped))
            paired = [a for a in self.axes if a.key in self.zipped]
            if len({len(a.values) for a in paired}) > 1:
                raise ConfigError("--zip " + ",".join(a.short for a in paired)
                                  + ": paired axes need as many values each, not "
                                  + " and ".join(str(len(a.values)) for a in paired))
        if self.loads and not self.split_loads:
            raise ConfigError("--loads: only a sweep with one run per load (--split-loads) "
                              "takes loads")
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
        for factor in self._factors():
            n *= len(factor)
        return n

    @property
    def keys(self) -> list[str]:
        """The keys a point has, in order (seed and load last)."""
        return ([a.key for a in self.axes] + ([SEED_KEY] if self.seeds else [])
                + ([LOAD_KEY] if self.split_loads else []))

    def _factors(self) -> list[list[dict[str, str]]]:
        """The grid's factors, crossed to make its points: one per axis, the paired
        axes one together (where the first of them stands)."""
        factors: list[list[dict[str, str]]] = []
        paired = [a for a in self.axes if a.key in self.zipped]
        for axis in self.axes:
            if axis.key not in self.zipped:
                factors.append([{axis.key: v} for v in axis.values])
            elif axis is paired[0]:
                factors.append([dict(zip([a.key for a in paired], values, strict=True))
                                for values in zip(*[a.values for a in paired], strict=True)])
        return factors

    def combinations(self) -> list[dict[str, str]]:
        """Every point before loads are split: {key: value}, the first axis slowest."""
        factors = self._factors()
        if self.seeds:
            factors.append([{SEED_KEY: str(s)} for s in self.seeds])
        out = []
        for parts in itertools.product(*factors):
            point: dict[str, str] = {}
            for part in parts:
                point.update(part)
            out.append({k: point[k] for k in self.keys if k in point})
        return out

    def as_json(self) -> list[list[object]]:
        return [[a.key, list(a.values)] for a in self.axes]

    @classmethod
    def from_json(cls, axes: list[list[object]], seeds: list[int] | None,
                  split_loads: bool, zipped: list[str] | None = None,
                  loads: list[str] | None = None) -> Grid:
        return cls(tuple(Axis(str(k), tuple(str(v) for v in vs))  # type: ignore[attr-defined]
                         for k, vs in axes), tuple(seeds or ()), split_loads,
                   tuple(zipped or ()), tuple(loads or ()))


def _grid_key(name: str, keys: list[str]) -> str:
    """A `--zip` name: a grid key, or the short name of exactly one."""
    if name in keys:
        return name
    matches = [k for k in keys if k.partition(".")[2] == name]
    if len(matches) != 1:
        raise ConfigError(f"--zip {name}: not one of the --grid keys ("
                          + (", ".join(keys) or "there are none") + ")")
    return matches[0]


def grown(grid: Grid, axes: tuple[Axis, ...], seeds: tuple[int, ...],
          loads: tuple[str, ...], base_loads: tuple[str, ...]) -> Grid:
    """`grid` with more values on its axes, more seeds or more loads (`sweep extend`);
    ConfigError naming the first value it cannot take. `base_loads`: the loads a split
    sweep has now (its config's, until it was extended)."""
    if not axes and not seeds and not loads:
        raise ConfigError("nothing to add: give --grid, --seeds or --loads")
    more = {a.key: a for a in axes}
    keys = [a.key for a in grid.axes]
    for key in more:
        if key not in keys:
            raise ConfigError(f"--grid {key}: not swept by this sweep (its grid: "
                              + (", ".join(keys) or "none") + "); a new axis needs a new "
                              "sweep")
    new_axes = []
    for axis in grid.axes:
        extra = more[axis.key].values if axis.key in more else ()
        again = [v for v in extra if v in axis.values]
        if again:
            raise ConfigError(f"--grid {axis.key}: {', '.join(again)} already in the sweep")
        new_axes.append(Axis(axis.key, axis.values + extra))
    if seeds and not grid.seeds:
        raise ConfigError("--seeds: the sweep has no seeds to add to")
    again_seeds = [str(s) for s in seeds if s in grid.seeds]
    if again_seeds:
        raise ConfigError(f"--seeds: seed(s) {', '.join(again_seeds)} already in the sweep")
    if loads and not grid.split_loads:
        raise ConfigError("--loads: the sweep runs every load in each of its runs; only a "
                          "sweep made with --split-loads takes more loads")
    again_loads = [x for x in loads if x in base_loads]
    if again_loads:
        raise ConfigError(f"--loads: {', '.join(again_loads)} already in the sweep")
    return Grid(tuple(new_axes), grid.seeds + seeds, grid.split_loads, grid.zipped,
                base_loads + loads if grid.split_loads else ())


def load_overrides(erlang: float) -> list[str]:
    """The overrides that make a config run one load only."""
    text = erlang_text(erlang)
    return [f"general_settings.erlang_start={text}", f"general_settings.erlang_stop={text}"]

