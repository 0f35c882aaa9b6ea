"""The paper figure: the metric against load, log-scale y, one line per group with its
95% interval bars. matplotlib is an optional extra (`pip install 'fusion-tui[plots]'`);
without it `PlotUnavailable` carries the one-line hint."""

from __future__ import annotations

import io
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.comparison.compare import Comparison

FORMATS = ("pdf", "png", "svg")
METRIC_LABELS = {"blocking": "Blocking probability",
                 "bit_rate_blocking": "Bit-rate blocking probability"}


class PlotUnavailable(Exception):
    """matplotlib is not installed."""


def _literal(text: str) -> str:
    """Text from configs and names, shown as it is: `$` would start matplotlib's math."""
    return text.replace("$", r"\$")


def figure_format(path: Path) -> str:
    """The figure's format from its suffix; ConfigError when it is not one we write."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigError(f"-o {path}: the figure must end in .pdf, .png or .svg")
    return fmt


def plot(comparison: Comparison, fmt: str, *, title: str | None = None) -> tuple[bytes, int]:
    """The figure as a file in format `fmt` (the caller writes it where the user asked,
    see `output_path`), and the number of lines drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("plot needs matplotlib: pip install 'fusion-tui[plots]'") from None
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    drawn = 0
    for group in comparison.groups:
        points = [p for p in group.points if p.summary.mean > 0]
        if not points:
            continue
        xs = [p.erlang for p in points]
        ys = [p.summary.mean for p in points]
        low = [p.summary.mean - p.summary.low if p.summary.low is not None else 0.0
               for p in points]
        high = [p.summary.high - p.summary.mean if p.summary.high is not None else 0.0
                for p in points]
        ax.errorbar(xs, ys, yerr=[[max(0.0, v) for v in low], high], marker="o",
                    markersize=3, capsize=3, label=_literal(group.label))
        drawn += 1
    ax.set_yscale("log")
    ax.set_xlabel("Traffic load (Erlang)")
    ax.set_ylabel(METRIC_LABELS[comparison.metric])
    if title:
        ax.set_title(_literal(title))
    ax.grid(True, which="both", alpha=0.3)
    if drawn:
        ax.legend(fontsize="small")
    fig.tight_layout()
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format=fmt)
    finally:
        plt.close(fig)
    return buffer.getvalue(), drawn
