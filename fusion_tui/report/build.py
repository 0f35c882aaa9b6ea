"""What `fusion-tui report` writes, as named bytes: the figure (PDF, SVG, and PGF when a
TeX engine is here to measure its text), the load x group table in Markdown and LaTeX
(`comparison/table.py`'s model: the same numbers as `compare`), the provenance appendix
in Markdown and LaTeX, and the reproduction bundle. Only reads; `folder.py` writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError
from fusion_tui.comparison.compare import (
    Comparison,
    compare,
    default_keys,
    load_runs,
    resolve_keys,
)
from fusion_tui.comparison.table import build_table
from fusion_tui.comparison.table_formats import render_latex, render_markdown
from fusion_tui.comparison.targets import lookup
from fusion_tui.report import bundle, provenance
from fusion_tui.report.figures import INSTALL_HINT, FiguresUnavailable, pgf_available, render
from fusion_tui.report.sizes import Size
from fusion_tui.store.models import Run, Sweep
from fusion_tui.sweeps.manager import SweepManager, grid_of

BUNDLE = "bundle.tar.gz"


@dataclass(frozen=True)
class Options:
    """What the report is asked for (the CLI's flags; the app's defaults)."""

    size: Size
    metric: str = "blocking"
    by: Sequence[str] = ()
    baseline: str | Mapping[str, str] | None = None  # `key=value`, or the values
    spread: str = "interval"
    figures: bool = True
    title: str | None = None


@dataclass
class Report:
    files: dict[str, bytes] = field(default_factory=dict)
    series: int = 0
    notes: list[str] = field(default_factory=list)  # one line each: what was left out, why
    warnings: list[str] = field(default_factory=list)


def _sweeps(manager: SweepManager, refs: Sequence[str]) -> list[tuple[Sweep, list[Run]]]:
    """Each sweep named (in order, once) with its current runs; a run id is refused."""
    out: list[tuple[Sweep, list[Run]]] = []
    for ref in refs:
        target = lookup(manager, ref)
        if not isinstance(target, Sweep):
            raise ConfigError(f"{ref}: a run; report takes sweeps (fusion-tui sweep list)")
        if all(s.id != target.id for s, _ in out):
            out.append((target, manager.detail(target.id).runs))
    return out


def _comparison(sweeps: list[tuple[Sweep, list[Run]]], options: Options) -> Comparison:
    runs = [r for _, rs in sweeps for r in rs]
    data = load_runs(runs)
    if options.by:
        keys = resolve_keys(list(options.by), data)
    else:
        grid_keys: list[str] = []
        for sweep, _ in sweeps:
            grid_keys += [k for k in grid_of(sweep).keys if k not in grid_keys]
        keys = default_keys(data, grid_keys)
    return compare(data, metric=options.metric, keys=keys, spread=options.spread,
                   baseline=options.baseline)


def build(manager: SweepManager, refs: Sequence[str], options: Options) -> Report:
    """The report of the sweeps `refs` as named files; what cannot be made here (figures
    without matplotlib, PGF without TeX, a bundle of a changed run folder) is a note,
    and the rest is still made."""
    sweeps = _sweeps(manager, refs)
    comparison = _comparison(sweeps, options)
    report = Report(warnings=list(comparison.warnings))
    stem = options.metric.replace("_", "-")
    if options.figures:
        formats = ["pdf", "svg", *(["pgf"] if pgf_available() else [])]
        try:
            drawn, report.series = render(comparison, formats, options.size,
                                          title=options.title)
            report.files.update({f"{stem}.{fmt}": data for fmt, data in drawn.items()})
            if not report.series:
                report.notes.append("the figure is empty: no run has a result with "
                                    f"{options.metric} above 0 yet")
            if "pgf" not in formats:
                report.notes.append("no PGF figure: it needs a TeX engine (pdflatex) here")
        except FiguresUnavailable:
            report.notes.append(f"no figures: they need matplotlib ({INSTALL_HINT})")
    table = build_table(comparison, title=options.title or "")
    report.files["table.md"] = render_markdown(table).encode("utf-8")
    report.files["table.tex"] = render_latex(table, label=f"tab:{stem}").encode("utf-8")
    sweep_rows = [s for s, _ in sweeps]
    facts = provenance.facts_of(comparison, sweep_rows)
    report.files["provenance.md"] = provenance.markdown(facts, sweep_rows,
                                                        BUNDLE).encode("utf-8")
    report.files["provenance.tex"] = provenance.latex(facts, sweep_rows,
                                                      BUNDLE).encode("utf-8")
    try:
        frozen = {r.id: manager.runs.frozen_config(r, "bundle") for _, rs in sweeps
                  for r in rs}
        report.files[BUNDLE] = bundle.build(sweeps, frozen)
    except FaultError as exc:  # a closed or changed run folder: the rest still stands
        report.notes.append(f"no {BUNDLE}: {exc}")
    return report
