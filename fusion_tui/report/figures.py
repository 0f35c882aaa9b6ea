"""The paper figure: the metric against load, log-scale y, one series per group with its
interval bars (or the spread asked for), drawn for print (`sizes.py`): vector PDF, PGF
(for LaTeX) and SVG.

What the figure fixes against a default matplotlib plot: each group's bars are dodged
sideways so that two groups at one load never hide each other; the log axis is labelled
10^-k at decades, or in plain decimals (0.02, 0.05) when the data spans less than two
decades, never "2.2 x 10^-1"; the legend sits below the axes, outside them; no title
unless one is asked for. matplotlib is an optional extra (`pip install
'fusion-tui[plots]'`): without it `FiguresUnavailable` carries that one-line hint.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.textsafe import one_line
from fusion_tui.comparison.compare import Comparison, Group
from fusion_tui.report.escape import latex_text
from fusion_tui.report.sizes import Size, series_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FORMATS = ("pdf", "png", "svg", "pgf")
INSTALL_HINT = "pip install 'fusion-tui[plots]'"
METRIC_LABELS = {"blocking": "Blocking probability",
                 "bit_rate_blocking": "Bit-rate blocking probability"}
# Each group's share of the gap between two loads when they are dodged: together they
# take at most 40% of it, so neighbouring loads' bars stay apart.
DODGE_SHARE = 0.4
# matplotlib's PGF text uses \mathdefault, which a paper's preamble does not define: the
# figure brings its own (a no-op where the paper has one), so `\input` alone works.
PGF_PREAMBLE = b"\\providecommand{\\mathdefault}[1]{#1}%\n"
_HANDLE_EMS = 2.6  # the legend's line sample, long enough to show a dash pattern


class FiguresUnavailable(Exception):
    """matplotlib is not installed (the message says how to get it)."""


def _mathtext_literal(text: str) -> str:
    """Text from configs and names, shown as it is: `$` would start matplotlib's math."""
    return one_line(text, 400).replace("$", r"\$")


def figure_format(path: Path) -> str:
    """A figure's format from its suffix (`plot -o`); ConfigError when it is not one we
    write here (PGF needs a TeX engine)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigError(f"-o {path}: the figure must end in .pdf, .png, .svg or .pgf")
    if fmt == "pgf" and not pgf_available():
        raise ConfigError(f"-o {path}: a PGF figure needs a TeX engine (pdflatex) here")
    return fmt


def pgf_available() -> bool:
    """Whether a TeX engine is here: matplotlib measures a PGF figure's text with it."""
    return shutil.which("pdflatex") is not None


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FiguresUnavailable(f"figures need matplotlib: {INSTALL_HINT}") from None
    return plt


def dodge_offsets(erlangs: Sequence[float], groups: int) -> list[float]:
    """Each group's sideways shift in Erlang: centred on the load, spread over
    DODGE_SHARE of the smallest gap between two loads (or of 10% of the load when there
    is one load only)."""
    if groups < 2:
        return [0.0] * groups
    ordered = sorted(set(erlangs))
    gaps = [b - a for a, b in itertools.pairwise(ordered) if b > a]
    gap = min(gaps) if gaps else max(abs(ordered[0]) * 0.1, 1.0) if ordered else 1.0
    step = gap * DODGE_SHARE / (groups - 1)
    return [(i - (groups - 1) / 2) * step for i in range(groups)]


def decimal_text(value: float) -> str:
    """A tick value in plain decimals: 0.02, 0.5, 1, never 2e-02."""
    digits = max(0, -math.floor(math.log10(value)) + 1) if value > 0 else 0
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def step_decimals(step: float) -> int:
    """The decimals that write a tick step exactly (0.00025: 5), at most 12."""
    digits = max(0, -math.floor(math.log10(step)))
    while digits < 12 and abs(round(step, digits) - step) > step * 1e-9:
        digits += 1
    return digits


def fixed_text(value: float, digits: int) -> str:
    """A tick value with `digits` decimals (ticks closer than `decimal_text` tells)."""
    return f"{value:.{digits}f}"


def _log_ticks(ax: Axes, low: float, high: float) -> None:
    """Decades as 10^k when two or more fall in the data's range; otherwise 1-2-5 steps
    (1-9 when fewer than three of those fall in it) in plain decimals."""
    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        LogFormatterMathtext,
        LogLocator,
        MaxNLocator,
        NullFormatter,
    )

    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = [10.0**k for k in range(first, last + 1) if low <= 10.0**k <= high]
    ax.yaxis.set_minor_formatter(NullFormatter())
    if len(decades) >= 2:
        ax.yaxis.set_major_locator(LogLocator(base=10))
        ax.yaxis.set_major_formatter(LogFormatterMathtext(base=10))
        ax.yaxis.set_minor_locator(LogLocator(base=10, subs=tuple(range(2, 10))))
        return
    for subs in ((1, 2, 5), tuple(range(1, 10))):
        ticks = [m * 10.0**k for k in range(first - 1, last + 1) for m in subs
                 if low <= m * 10.0**k <= high]
        if len(ticks) >= 3:
            break
    text: Callable[[float], str] = decimal_text
    if len(ticks) < 2:  # a narrow range (0.101-0.158): evenly spaced, as many decimals
        ticks = [t for t in MaxNLocator(nbins=4).tick_values(low, high) if low <= t <= high]
        text = functools.partial(fixed_text, digits=step_decimals(
            ticks[1] - ticks[0] if len(ticks) > 1 else high - low))
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: text(v)))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=tuple(range(2, 10))))


def legend_labels(keys: Sequence[str], groups: Sequence[Group]) -> tuple[str, list[str]]:
    """The legend's heading (the grouping keys' short names) and each group's values
    under it (`first_fit, 3` under `allocation_method, k_paths`): short enough for a
    column-wide figure. Groups without values keep their labels."""
    if not keys or any(set(g.values) != set(keys) for g in groups):
        return "", [g.label for g in groups]
    heading = ", ".join(k.partition(".")[2] or k for k in keys)
    return heading, [", ".join(g.values[k] or "-" for k in keys) for g in groups]


def legend_columns(labels: Sequence[str], size: Size) -> int:
    """As many legend columns (at most 4) as the longest label lets fit in the figure's
    width, so that no label is cut at the edge."""
    em = size.font - 1  # the legend's font, in points: an average character is ~0.55 em
    entry = (_HANDLE_EMS + 1.5) * em + 0.55 * em * max(map(len, labels))
    return max(1, min(len(labels), 4, int(size.width * 72 // entry)))


def _drawable(group: Group) -> list[tuple[float, float, float, float]]:
    """(erlang, mean, down, up) of a group's points a log axis can show (mean above 0);
    the bars are the comparison's spread (the 95% interval unless another was asked)."""
    out = []
    for p in group.points:
        mean, (low, high) = p.summary.mean, p.spread
        if mean <= 0:
            continue
        down = max(0.0, mean - low) if low is not None else 0.0
        up = max(0.0, high - mean) if high is not None else 0.0
        out.append((p.erlang, mean, down, up))
    return out


def _draw(comparison: Comparison, size: Size, title: str | None,
          literal: Callable[[str], str]) -> tuple[Any, int]:
    """The figure object and the number of series drawn."""
    plt = _pyplot()
    from matplotlib.figure import Figure

    series = [(g, _drawable(g)) for g in comparison.groups]
    series = [(g, pts) for g, pts in series if pts]
    heading, labels = legend_labels(comparison.keys, [g for g, _ in series])
    columns = legend_columns(labels, size) if series else 1
    rows = math.ceil(len(series) / columns)
    # Legend rows beyond two make the figure taller, not the axes shorter.
    height = size.height + max(0, rows - 2) * size.font * 1.5 / 72
    fig: Figure = plt.figure(figsize=(size.width, height), layout="constrained")
    ax = fig.add_subplot()
    offsets = dodge_offsets([e for _, pts in series for e, *_ in pts], len(series))
    for i, ((_, pts), offset) in enumerate(zip(series, offsets, strict=True)):
        look = series_style(i)
        ax.errorbar([e + offset for e, *_ in pts], [m for _, m, _, _ in pts],
                    yerr=[[d for *_, d, _ in pts], [u for *_, u in pts]],
                    color=look.color, marker=look.marker, linestyle=look.line,
                    markerfacecolor=look.color if look.filled else "white",
                    markersize=4, linewidth=1.0, elinewidth=0.8, capsize=2,
                    label=literal(labels[i]))
    ax.set_yscale("log", nonpositive="clip")
    means = [m for _, pts in series for _, m, _, _ in pts]
    if means:
        lows = [m - d for _, pts in series for _, m, d, _ in pts if m - d > 0]
        highs = [m + u for _, pts in series for _, m, _, u in pts]
        low, high = min([*lows, *means]), max(highs)
        ax.set_ylim(low / 1.25, high * 1.25)
        _log_ticks(ax, low / 1.25, high * 1.25)
    ax.set_xlabel("Traffic load (Erlang)")
    ax.set_ylabel(METRIC_LABELS[comparison.metric])
    if title:
        ax.set_title(literal(title))
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    if series:
        fig.legend(loc="outside lower center", ncols=columns, frameon=False,
                   handlelength=_HANDLE_EMS, title=literal(heading) if heading else None,
                   title_fontsize=size.font - 1)
    return fig, len(series)


def render(comparison: Comparison, formats: Sequence[str], size: Size, *,
           title: str | None = None) -> tuple[dict[str, bytes], int]:
    """The figure in each format (the caller writes the files where the user asked) and
    the number of series drawn. PGF is drawn apart, its labels escaped for LaTeX."""
    plt = _pyplot()
    style = {"font.size": size.font, "axes.labelsize": size.font,
             "legend.fontsize": size.font - 1, "xtick.labelsize": size.font - 1,
             "ytick.labelsize": size.font - 1, "pdf.fonttype": 42, "svg.fonttype": "none",
             "pgf.rcfonts": False, "pgf.texsystem": "pdflatex"}
    out: dict[str, bytes] = {}
    drawn = 0
    with plt.rc_context(style):
        plain = [f for f in formats if f != "pgf"]
        if plain:
            fig, drawn = _draw(comparison, size, title, _mathtext_literal)
            try:
                for fmt in plain:
                    buffer = io.BytesIO()
                    fig.savefig(buffer, format=fmt, metadata=_metadata(fmt))
                    out[fmt] = buffer.getvalue()
            finally:
                plt.close(fig)
        if "pgf" in formats:
            fig, drawn = _draw(comparison, size, title, latex_text)
            try:
                buffer = io.BytesIO()
                fig.savefig(buffer, format="pgf", backend="pgf")
                out["pgf"] = PGF_PREAMBLE + buffer.getvalue()
            finally:
                plt.close(fig)
    return out, drawn


def _metadata(fmt: str) -> dict[str, Any] | None:
    """No creation date in PDF and SVG: the same comparison gives the same bytes."""
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "fusion-tui"}
    if fmt == "svg":
        return {"Date": None}
    return None
