"""Compare runs: group them, and per group and load give the mean over runs, its 95%
interval and n; the parameters that differ between groups; Welch's test for two groups.

A group's sample at a load is its runs' means there (one per seed). A group of a single
run has no spread across runs, so its interval and test use that run's own iterations
instead (the basis is reported). Grouping keys are a sweep's grid keys (seed and load
excluded) by default, or for loose runs the config keys that differ between them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import NOT_READABLE, folder_readable
from fusion_tui.comparison.stats import Summary, summarize, welch
from fusion_tui.runs.results import METRICS, LoadResult, read_run, run_iterations
from fusion_tui.store.models import Run
from fusion_tui.sweeps.grid import ERLANG_KEYS, LOAD_KEY, SEED_KEY

# Keys that never define a group: what varies within one (seed) or is the x axis (load).
NOT_GROUPING = frozenset({SEED_KEY, LOAD_KEY, *ERLANG_KEYS})


@dataclass
class RunData:
    """One run as the comparison sees it: its settings (point over config) and results."""

    run: Run
    settings: dict[str, str]
    results: dict[float, LoadResult]

    @property
    def version(self) -> str:
        prov = json.loads(self.run.provenance_json) if self.run.provenance_json else {}
        return (f"{prov.get('simulator', self.run.simulator)} "
                f"{prov.get('fusion_commit') or prov.get('simulator_version') or '?'}")


@dataclass(frozen=True)
class GroupPoint:
    erlang: float
    summary: Summary
    basis: str  # "runs" or "iterations"


@dataclass
class Group:
    label: str
    values: dict[str, str]
    runs: list[RunData] = field(default_factory=list)
    points: list[GroupPoint] = field(default_factory=list)

    @property
    def versions(self) -> list[str]:
        return sorted({r.version for r in self.runs})

    @property
    def tags(self) -> list[str]:
        """Every tag any of its runs has."""
        return sorted({t for r in self.runs for t in r.run.tag_names})

    @property
    def notes(self) -> dict[str, str]:
        """The notes of its runs that have one, by run id."""
        return {r.run.id: r.run.note for r in self.runs if r.run.note}


@dataclass(frozen=True)
class LoadTest:
    erlang: float
    difference: float
    p_value: float | None
    basis: str


@dataclass
class Comparison:
    metric: str
    keys: list[str]
    groups: list[Group]
    differing: list[tuple[str, list[str]]]  # key, its value per group
    tests: list[LoadTest]
    warnings: list[str]

    @property
    def erlangs(self) -> list[float]:
        return sorted({p.erlang for g in self.groups for p in g.points})

    def intervals_at(self, erlang: float) -> list[tuple[float | None, float | None]]:
        """Each group's 95% interval at `erlang` (where it has one): the decimals a
        difference between groups is printed with come from them."""
        return [(p.summary.low, p.summary.high) for g in self.groups for p in g.points
                if p.erlang == erlang]

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "group_by": self.keys,
            "groups": [{
                "label": g.label, "values": g.values, "runs": [r.run.id for r in g.runs],
                "simulator_versions": g.versions, "tags": g.tags, "notes": g.notes,
                "points": [{"erlang": p.erlang, "mean": p.summary.mean,
                            "ci95_low": p.summary.low, "ci95_high": p.summary.high,
                            "n": p.summary.n, "basis": p.basis} for p in g.points],
            } for g in self.groups],
            "differing_parameters": [{"key": k, "values": dict(zip(
                [g.label for g in self.groups], vs, strict=True))} for k, vs in self.differing],
            "tests": [{"erlang": t.erlang, "difference": t.difference, "p_value": t.p_value,
                       "basis": t.basis, "test": "welch"} for t in self.tests],
            "warnings": self.warnings,
        }


def flat_config(run: Run) -> dict[str, str]:
    """`section.key` -> value of a run's frozen config."""
    sections = json.loads(run.config_json)
    return {f"{sec}.{key}": str(value) for sec, keys in sections.items()
            if isinstance(keys, dict) for key, value in keys.items()}


def load_runs(runs: Sequence[Run]) -> list[RunData]:
    """Settings and results of each run (results read from its output folder)."""
    out = []
    for run in runs:
        settings = flat_config(run)
        if run.point_json:
            settings.update({str(k): str(v) for k, v in json.loads(run.point_json).items()})
        out.append(RunData(run, settings, read_run(Path(run.run_dir) / "output")))
    return out


def unreadable(data: Sequence[RunData]) -> list[str]:
    """A warning for each run whose folder is closed to us (another user's, umask 077):
    its results are missing from what we show, not zero."""
    return [f"run {d.run.id}: its folder is {NOT_READABLE} (it belongs to "
            f"{d.run.owner or '-'}); its results are left out"
            for d in data if not folder_readable(Path(d.run.run_dir))]


def resolve_keys(requested: Sequence[str], data: Sequence[RunData]) -> list[str]:
    """`--by` names: `section.key`, or a key's short name when it is unique."""
    known = sorted({k for d in data for k in d.settings})
    out = []
    for name in requested:
        if name in known:
            out.append(name)
            continue
        matches = [k for k in known if k.partition(".")[2] == name]
        if len(matches) != 1:
            hint = "ambiguous" if matches else "not a setting of these runs"
            raise ConfigError(f"--by {name!r}: {hint} (use section.key)")
        out.append(matches[0])
    return out


def default_keys(data: Sequence[RunData], grid_keys: Sequence[str] | None) -> list[str]:
    """A sweep's grid keys, or for loose runs the config keys whose values differ."""
    if grid_keys is not None:
        return [k for k in grid_keys if k not in NOT_GROUPING]
    keys = sorted({k for d in data for k in d.settings} - NOT_GROUPING)
    return [k for k in keys if len({d.settings.get(k) for d in data}) > 1]


def compare(data: Sequence[RunData], *, metric: str = "blocking",
            keys: Sequence[str] = ()) -> Comparison:
    if metric not in METRICS:
        raise ConfigError(f"--metric {metric!r}: expected one of {', '.join(METRICS)}")
    groups: dict[tuple[str | None, ...], Group] = {}
    for d in data:
        values = tuple(d.settings.get(k) for k in keys)
        group = groups.get(values)
        if group is None:
            label = " ".join(f"{k.partition('.')[2] or k}={v}"
                             for k, v in zip(keys, values, strict=True)) or "all runs"
            group = groups[values] = Group(label, {k: v or "" for k, v in zip(
                keys, values, strict=True)})
        group.runs.append(d)
    ordered = list(groups.values())
    for group in ordered:
        group.points = _points(group, metric)
    warnings = [f"group {g.label} mixes simulator versions: {', '.join(g.versions)}"
                for g in ordered if len(g.versions) > 1] + unreadable(data)
    tests = _tests(ordered, metric) if len(ordered) == 2 else []
    return Comparison(metric, list(keys), ordered, _differing(ordered), tests, warnings)


def run_point(data: RunData, erlang: float, metric: str = "blocking") -> GroupPoint | None:
    """One run's mean and interval at one load, as a comparison of that run alone shows
    them (the interval over its iterations); None when it has no value there."""
    if erlang not in data.results:
        return None
    alone = Group("", {}, [RunData(data.run, data.settings, {erlang: data.results[erlang]})])
    points = _points(alone, metric)
    return points[0] if points else None


def _sample(group: Group, erlang: float, metric: str) -> tuple[list[float], str]:
    values = [r.results[erlang].values[metric] for r in group.runs
              if erlang in r.results and metric in r.results[erlang].values]
    if len(values) == 1 and len(group.runs) == 1:
        run = group.runs[0]
        iterations = run_iterations(Path(run.run.run_dir) / "output", erlang, metric)
        if len(iterations) >= 2:
            return iterations, "iterations"
    return values, "runs"


def _points(group: Group, metric: str) -> list[GroupPoint]:
    erlangs = sorted({e for r in group.runs for e in r.results})
    out = []
    for erlang in erlangs:
        sample, basis = _sample(group, erlang, metric)
        if not sample:
            continue
        summary = summarize(sample)
        mean, n = summary.mean, summary.n
        if basis == "iterations":  # the run's mean is its own; n counts runs
            mean, n = group.runs[0].results[erlang].values[metric], 1
        low = None if summary.low is None else max(0.0, summary.low)  # a probability
        high = None if summary.high is None else min(1.0, summary.high)
        out.append(GroupPoint(erlang, Summary(mean, low, high, n), basis))
    return out


def _tests(groups: list[Group], metric: str) -> list[LoadTest]:
    a, b = groups
    common = sorted({p.erlang for p in a.points} & {p.erlang for p in b.points})
    out = []
    for erlang in common:
        sample_a, basis_a = _sample(a, erlang, metric)
        sample_b, basis_b = _sample(b, erlang, metric)
        result = welch(sample_a, sample_b)
        basis = basis_a if basis_a == basis_b else f"{basis_a}/{basis_b}"
        mean_a = next(p.summary.mean for p in a.points if p.erlang == erlang)
        mean_b = next(p.summary.mean for p in b.points if p.erlang == erlang)
        out.append(LoadTest(erlang, mean_a - mean_b, result.p_value, basis))
    return out


def _differing(groups: list[Group]) -> list[tuple[str, list[str]]]:
    """Config keys whose value differs between groups (a group's several values are
    listed together, e.g. its seeds)."""
    if len(groups) < 2:
        return []
    keys = sorted({k for g in groups for r in g.runs for k in r.settings})
    out = []
    for key in keys:
        per_group = [",".join(sorted({r.settings.get(key, "-") for r in g.runs}, key=_natural))
                     for g in groups]
        if len(set(per_group)) > 1:
            out.append((key, per_group))
    return out


def _natural(text: str) -> tuple[int, float, str]:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)
