"""Figure size presets for a paper, and the look that keeps series apart in black and
white: IEEE's column (3.5 in) and full page (7.16 in) widths, the Okabe-Ito palette
(colour-blind safe), and a marker and a line style per series so that a grey print
still tells them apart."""

from __future__ import annotations

from dataclasses import dataclass

from fusion_tui.base.errors import ConfigError


@dataclass(frozen=True)
class Size:
    """A figure's width and height in inches and the font size that reads at that width
    once the figure is placed at 100% in the paper."""

    name: str
    width: float
    height: float
    font: float


SIZES = {
    "column": Size("column", 3.5, 2.6, 8.0),
    "page": Size("page", 7.16, 3.6, 9.0),
}

# Okabe & Ito (2008), in an order where neighbours differ in lightness; yellow (#F0E442)
# is left out: too faint on white paper.
PALETTE = ("#000000", "#E69F00", "#0072B2", "#009E73", "#D55E00", "#56B4E9", "#CC79A7")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
# Solid, dashed, dotted, dash-dot, then dash patterns: distinct without colour.
LINE_STYLES: tuple[str | tuple[int, tuple[int, ...]], ...] = (
    "-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 2)), (0, (8, 2)),
    (0, (3, 1, 3, 1, 1, 1)))


@dataclass(frozen=True)
class SeriesStyle:
    color: str
    marker: str
    line: str | tuple[int, tuple[int, ...]]
    filled: bool


def series_style(index: int) -> SeriesStyle:
    """The i-th series' look: colour, marker and line style cycle at different lengths
    and markers alternate filled and hollow, so 50 series still differ in some way."""
    return SeriesStyle(PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)],
                       LINE_STYLES[index % len(LINE_STYLES)],
                       (index // len(MARKERS)) % 2 == 0)


def size_named(name: str) -> Size:
    """`--size NAME` -> its preset; ConfigError listing the presets otherwise."""
    try:
        return SIZES[name]
    except KeyError:
        raise ConfigError(f"--size {name!r}: expected one of {', '.join(SIZES)}") from None
