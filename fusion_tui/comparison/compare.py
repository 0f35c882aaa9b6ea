"""Compare runs: group them, and per group and load give the mean over runs, its 95%
interval (or another spread) and n; the parameters that differ between groups, and those a
group pools; the difference of groups with its interval and test, paired over common seeds
when the seeds match (else Welch), pairwise with Holm's correction for more than two groups
or against a chosen baseline group.

A group's sample at a load is its runs' means there (one per seed). A group of a single
run has no spread across runs, so its interval and test use that run's own iterations
instead (the basis is reported). Grouping keys are a sweep's grid keys (seed and load
excluded) by default, or for loose runs the config keys that differ between them; any
config or point key can be asked for instead (`resolve_keys`).

Holm's correction is over the tests at one load (all pairs, or each group against the
baseline): a load is one question, "do these groups differ here?".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import NOT_READABLE, folder_readable
from fusion_tui.comparison.stats import (
    SPREADS,
    Difference,
    Summary,
    holm,
    paired,
    spread_of,
    summarize,
    welch_difference,
)
from fusion_tui.runs.results import METRICS, LoadResult, read_run, run_iterations
from fusion_tui.store.models import Run
from fusion_tui.sweeps.grid import ERLANG_KEYS, LOAD_KEY, SEED_KEY

# Keys that never define a group: what varies within one (seed) or is the x axis (load).
NOT_GROUPING = frozenset({SEED_KEY, LOAD_KEY, *ERLANG_KEYS})
# Groups up to which every pair is tested; beyond, each group against the first.
MAX_PAIRWISE = 10


@dataclass
class RunData:
    """One run as the comparison sees it: its settings (point over config) and results."""

    run: Run
    settings: dict[str, str]
    results: dict[float, LoadResult]

    @cached_property
    def seed(self) -> int | None:
        """The run's seed (read once: pairing asks for it at every load of every test)."""
        return self.run.seed

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
    spread: tuple[float | None, float | None] = (None, None)
    """The bounds shown around the mean: the comparison's spread (interval, sd, min-max)."""


@dataclass
class Group:
    label: str
    values: dict[str, str]
    runs: list[RunData] = field(default_factory=list)
    points: list[GroupPoint] = field(default_factory=list)
    pools: list[tuple[str, list[str]]] = field(default_factory=list)
    """Settings (not seed, not load) whose values differ between the group's runs: the
    group's mean pools them, which a reader must be told."""
    samples: dict[tuple[float, str], tuple[list[float], str]] = field(
        default_factory=dict, repr=False, compare=False)
    """`group_sample`'s answers, read once for the points and every test (filled after
    the runs are all in)."""

    @property
    def pools_text(self) -> str:
        """`pools k_paths=1,3` (empty when the group pools nothing)."""
        if not self.pools:
            return ""
        return "pools " + " ".join(f"{k.partition('.')[2] or k}={','.join(vs)}"
                                   for k, vs in self.pools)

    def point_at(self, erlang: float) -> GroupPoint | None:
        return next((p for p in self.points if p.erlang == erlang), None)

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
    """Group `a` against group `b` (indexes into the comparison's groups) at one load:
    mean(a) - mean(b) with its interval, the raw and Holm-adjusted p, the effect size."""

    erlang: float
    a: int
    b: int
    result: Difference
    p_adjusted: float | None
    basis: str
    pairing: str  # "paired (5 seeds)", "Welch", "Welch (seeds overlap partly: 3 of 5)"
    reference: float  # mean(b): what the relative difference is relative to

    @property
    def difference(self) -> float:
        return self.result.difference

    @property
    def p_value(self) -> float | None:
        return self.result.p_value

    @property
    def relative(self) -> tuple[float, float | None, float | None] | None:
        """The difference and its interval as fractions of mean(b) (the ratio minus 1,
        b's mean taken as known); None when mean(b) is 0."""
        if self.reference == 0:
            return None
        r, low, high = self.reference, self.result.low, self.result.high
        return (self.difference / r, None if low is None else low / r,
                None if high is None else high / r)


@dataclass
class Comparison:
    metric: str
    keys: list[str]
    groups: list[Group]
    differing: list[tuple[str, list[str]]]  # key, its value per group
    tests: list[LoadTest]
    warnings: list[str]
    spread: str = "interval"
    baseline: int | None = None  # the baseline group's index, when one was chosen
    family: str = "all pairs"  # which pairs were tested (Holm is over them, per load)

    def tests_at(self, erlang: float) -> list[LoadTest]:
        return [t for t in self.tests if t.erlang == erlang]

    def test_between(self, a: int, b: int, erlang: float) -> LoadTest | None:
        return next((t for t in self.tests if t.erlang == erlang and t.a == a and t.b == b),
                    None)

    @property
    def erlangs(self) -> list[float]:
        return sorted({p.erlang for g in self.groups for p in g.points})

    def intervals_at(self, erlang: float) -> list[tuple[float | None, float | None]]:
        """Each group's 95% interval at `erlang` (where it has one): the decimals a
        difference between groups is printed with come from them."""
        return [(p.summary.low, p.summary.high) for g in self.groups for p in g.points
                if p.erlang == erlang]

    def as_dict(self) -> dict[str, Any]:
        labels = [g.label for g in self.groups]
        return {
            "metric": self.metric, "group_by": self.keys, "spread": self.spread,
            "tested": self.family,
            "baseline": None if self.baseline is None else labels[self.baseline],
            "groups": [{
                "label": g.label, "values": g.values, "runs": [r.run.id for r in g.runs],
                "simulator_versions": g.versions, "tags": g.tags, "notes": g.notes,
                "pools": dict(g.pools),
                "points": [{"erlang": p.erlang, "mean": p.summary.mean,
                            "ci95_low": p.summary.low, "ci95_high": p.summary.high,
                            "spread_low": p.spread[0], "spread_high": p.spread[1],
                            "n": p.summary.n, "basis": p.basis} for p in g.points],
            } for g in self.groups],
            "differing_parameters": [{"key": k, "values": dict(zip(
                labels, vs, strict=True))} for k, vs in self.differing],
            "tests": [{"erlang": t.erlang, "a": labels[t.a], "b": labels[t.b],
                       "difference": t.difference, "ci95_low": t.result.low,
                       "ci95_high": t.result.high,
                       "relative": None if t.relative is None else list(t.relative),
                       "p_value": t.p_value, "p_holm": t.p_adjusted,
                       "effect": t.result.effect, "effect_name": t.result.effect_name,
                       "n": t.result.n, "basis": t.basis, "test": t.result.test,
                       "pairing": t.pairing} for t in self.tests],
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


def varying_keys(data: Sequence[RunData]) -> list[str]:
    """The config and point keys (not seed, not load) whose values differ between these
    runs: what a grouping can be made of."""
    keys = sorted({k for d in data for k in d.settings} - NOT_GROUPING)
    return [k for k in keys if len({d.settings.get(k) for d in data}) > 1]


def default_keys(data: Sequence[RunData], grid_keys: Sequence[str] | None) -> list[str]:
    """A sweep's grid keys, or for loose runs the config keys whose values differ."""
    if grid_keys is not None:
        return [k for k in grid_keys if k not in NOT_GROUPING]
    return varying_keys(data)


def resolve_baseline(baseline: str | Mapping[str, str], keys: Sequence[str],
                     groups: Sequence[Group]) -> int:
    """The index of the one group whose values match `key=value` pairs (comma or space
    separated; a key by `section.key` or its unique short name among the grouping keys),
    or a group's own values (the app's choice); ConfigError when a key is not a grouping
    key or not exactly one group matches."""
    if not isinstance(baseline, str):
        baseline = ",".join(f"{k}={v}" for k, v in baseline.items())
    text = baseline
    wanted: dict[str, str] = {}
    for pair in re.split(r"[ ,](?=[\w.-]+=)", text.strip()):
        name, eq, value = pair.strip().partition("=")
        if not eq or not name:
            raise ConfigError(f"--baseline {text!r}: expected key=value (a grouping key)")
        matches = [k for k in keys if name in (k, k.partition(".")[2])]
        if len(matches) != 1:
            by = ", ".join(k.partition(".")[2] or k for k in keys) or "nothing"
            raise ConfigError(f"--baseline {text!r}: {name!r} is not a grouping key "
                              f"(grouped by {by})")
        wanted[matches[0]] = value.strip()
    found = [i for i, g in enumerate(groups)
             if all(g.values.get(k) == v for k, v in wanted.items())]
    if len(found) != 1:
        labels = "; ".join(groups[i].label for i in found) if found else \
            "; ".join(g.label for g in groups)
        what = (f"matches {len(found)} groups ({labels}): name more keys" if found
                else f"matches no group (groups: {labels})")
        raise ConfigError(f"--baseline {text!r}: {what}")
    return found[0]


def compare(data: Sequence[RunData], *, metric: str = "blocking",
            keys: Sequence[str] = (), spread: str = "interval",
            baseline: str | Mapping[str, str] | None = None) -> Comparison:
    """Group `data` by `keys`; `baseline` (`key=value`) names the group every other one is
    tested against, else all pairs are tested."""
    if metric not in METRICS:
        raise ConfigError(f"--metric {metric!r}: expected one of {', '.join(METRICS)}")
    if spread not in SPREADS:
        raise ConfigError(f"--spread {spread!r}: expected one of {', '.join(SPREADS)}")
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
        group.points = _points(group, metric, spread)
        group.pools = _pooled(group, keys)
    reference = None if baseline is None else resolve_baseline(baseline, keys, ordered)
    warnings = [f"group {g.label} mixes simulator versions: {', '.join(g.versions)}"
                for g in ordered if len(g.versions) > 1] + unreadable(data)
    if reference is not None:
        pairs = [(i, reference) for i in range(len(ordered)) if i != reference]
        family = "each group against the baseline"
    elif len(ordered) <= MAX_PAIRWISE:
        pairs = [(i, j) for i in range(len(ordered)) for j in range(i + 1, len(ordered))]
        family = "all pairs"
    else:  # n(n-1)/2 tests nobody reads, each costing power after Holm
        pairs = [(i, 0) for i in range(1, len(ordered))]
        family = (f"each group against G1 ({len(ordered)} groups: more than "
                  f"{MAX_PAIRWISE} for all pairs; --baseline to choose)")
    tests = _tests(ordered, pairs, metric)
    return Comparison(metric, list(keys), ordered, _differing(ordered), tests, warnings,
                      spread, reference, family)


def run_point(data: RunData, erlang: float, metric: str = "blocking") -> GroupPoint | None:
    """One run's mean and interval at one load, as a comparison of that run alone shows
    them (the interval over its iterations); None when it has no value there."""
    if erlang not in data.results:
        return None
    alone = Group("", {}, [RunData(data.run, data.settings, {erlang: data.results[erlang]})])
    points = _points(alone, metric, "interval")
    return points[0] if points else None


def group_sample(group: Group, erlang: float, metric: str) -> tuple[list[float], str]:
    """A group's sample at a load and its basis: its runs' means ("runs"), or a single
    run's iterations ("iterations")."""
    known = group.samples.get((erlang, metric))
    if known is not None:
        return known
    values = [r.results[erlang].values[metric] for r in group.runs
              if erlang in r.results and metric in r.results[erlang].values]
    found = values, "runs"
    if len(values) == 1 and len(group.runs) == 1:
        run = group.runs[0]
        iterations = run_iterations(Path(run.run.run_dir) / "output", erlang, metric)
        if len(iterations) >= 2:
            found = iterations, "iterations"
    group.samples[(erlang, metric)] = found
    return found


def _by_seed(group: Group, erlang: float, metric: str) -> dict[int, float] | None:
    """The group's mean per seed at `erlang` (its runs of one seed averaged: they ran on
    that seed's traffic); None when a run has no seed."""
    per: dict[int, list[float]] = {}
    for r in group.runs:
        if erlang in r.results and metric in r.results[erlang].values:
            seed = r.seed
            if seed is None:
                return None
            per.setdefault(seed, []).append(r.results[erlang].values[metric])
    return {seed: sum(vs) / len(vs) for seed, vs in per.items()}


def _points(group: Group, metric: str, spread: str) -> list[GroupPoint]:
    erlangs = sorted({e for r in group.runs for e in r.results})
    out = []
    for erlang in erlangs:
        sample, basis = group_sample(group, erlang, metric)
        if not sample:
            continue
        summary = summarize(sample)
        mean, n = summary.mean, summary.n
        if basis == "iterations":  # the run's mean is its own; n counts runs
            mean, n = group.runs[0].results[erlang].values[metric], 1
        low = None if summary.low is None else max(0.0, summary.low)  # a probability
        high = None if summary.high is None else min(1.0, summary.high)
        bounds = (low, high)
        if spread != "interval":
            s_low, s_high = spread_of(sample, spread)
            bounds = (None if s_low is None else max(0.0, s_low),
                      None if s_high is None else min(1.0, s_high))
        out.append(GroupPoint(erlang, Summary(mean, low, high, n), basis, bounds))
    return out


@dataclass(frozen=True)
class _Sample:
    """A group's sample at a load, read once for all the tests it takes part in."""

    values: list[float]
    basis: str
    seeds: dict[int, float] | None  # its mean per seed (runs basis, every run seeded)


def _difference(a: _Sample, b: _Sample) -> tuple[Difference, str, str]:
    """The test of a against b at one load, its basis and how it paired: per seed when
    both groups' runs have the same seeds there (common random numbers), else Welch."""
    basis = a.basis if a.basis == b.basis else f"{a.basis}/{b.basis}"
    if basis == "runs" and a.seeds and b.seeds:
        if a.seeds.keys() == b.seeds.keys() and len(a.seeds) >= 2:
            order = sorted(a.seeds)
            return (paired([a.seeds[s] for s in order], [b.seeds[s] for s in order]),
                    basis, f"paired ({len(order)} seeds)")
        common = len(a.seeds.keys() & b.seeds.keys())
        if common:
            return (welch_difference(a.values, b.values), basis,
                    f"Welch (seeds overlap partly: {common} of "
                    f"{len(a.seeds.keys() | b.seeds.keys())})")
    return welch_difference(a.values, b.values), basis, "Welch"


def _tests(groups: list[Group], pairs: list[tuple[int, int]], metric: str) -> list[LoadTest]:
    out = []
    erlangs = sorted({p.erlang for g in groups for p in g.points})
    samples: dict[tuple[int, float], _Sample] = {}

    def sample(index: int, erlang: float) -> _Sample:
        found = samples.get((index, erlang))
        if found is None:
            values, basis = group_sample(groups[index], erlang, metric)
            seeds = _by_seed(groups[index], erlang, metric) if basis == "runs" else None
            found = samples[(index, erlang)] = _Sample(values, basis, seeds)
        return found

    for erlang in erlangs:
        found: list[tuple[int, int, Difference, str, str, float]] = []
        for a, b in pairs:
            point_a, point_b = groups[a].point_at(erlang), groups[b].point_at(erlang)
            if point_a is None or point_b is None:
                continue
            result, basis, pairing = _difference(sample(a, erlang), sample(b, erlang))
            found.append((a, b, result, basis, pairing, point_b.summary.mean))
        adjusted = holm([f[2].p_value for f in found])
        out += [LoadTest(erlang, a, b, result, p, basis, pairing, reference)
                for (a, b, result, basis, pairing, reference), p in zip(found, adjusted,
                                                                        strict=True)]
    return out


def _pooled(group: Group, keys: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Settings other than the grouping keys, seed and load whose values differ between
    the group's runs."""
    names = sorted({k for r in group.runs for k in r.settings} - NOT_GROUPING - set(keys))
    out = []
    for key in names:
        values = sorted({r.settings.get(key, "-") for r in group.runs}, key=_natural)
        if len(values) > 1:
            out.append((key, values))
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
