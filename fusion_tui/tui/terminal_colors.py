"""The app on terminals with few colours or none: readable either way.

- In 16 colours (`TERM=linux`, `TERM=xterm`, or `TEXTUAL_COLOR_SYSTEM=standard`) the app
  takes `fusion-ansi`, Textual's ANSI theme with a reversed cursor: the terminal's own
  16 colours, which its user made readable on its background, instead of the theme's
  24-bit colours rounded to the nearest of 16 (which turns red and magenta into one,
  and yellow into red).
- With `NO_COLOR` Textual paints in greys by luminance, which leaves red text (a
  failure) grey 43 on grey 30. `ReadableMonochrome` takes the place of Textual's filter:
  the same greys, but each character's grey at least `MIN_CONTRAST` from its
  background's (WCAG's contrast ratio; 4.5 is its level for body text). With `NO_COLOR`
  in 16 colours there is no colour at all: the terminal's own text on its own
  background, the cursor row reversed.

Statuses never depend on colour alone: each is a symbol and a word (`tui.format`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter, Monochrome, NoColor
from textual.theme import BUILTIN_THEMES, Theme

MIN_CONTRAST = 4.5
FEW_COLORS = frozenset({"standard", "windows"})  # Rich's names for 16 and 8+8 colours


def _ansi_theme() -> Theme:
    base = BUILTIN_THEMES["ansi-dark"]
    variables = {**base.variables,
                 # A cursor row as the terminal's own selection: reversed, so any text
                 # on it (a status in its colour too) reads as its colour on black.
                 "block-cursor-background": "ansi_default",
                 "block-cursor-foreground": "ansi_default",
                 "block-cursor-text-style": "reverse bold",
                 "block-cursor-blurred-background": "ansi_default",
                 "block-cursor-blurred-foreground": "ansi_default",
                 "block-cursor-blurred-text-style": "reverse"}
    return replace(base, name="fusion-ansi", variables=variables)


ANSI_THEME = _ansi_theme()


def few_colors(color_system: str | None) -> bool:
    """Whether the terminal Rich detected (or `TEXTUAL_COLOR_SYSTEM` named) has at most
    16 colours."""
    return color_system in FEW_COLORS


def luminance(grey: int) -> float:
    """WCAG's relative luminance of a grey 0..255."""
    c = grey / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast(a: int, b: int) -> float:
    """WCAG's contrast ratio of two greys (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def _grey_of(lum: float) -> int:
    c = lum * 12.92 if lum <= 0.0031308 else 1.055 * lum ** (1 / 2.4) - 0.055
    return max(0, min(255, round(c * 255)))


def readable_grey(fg: int, bg: int) -> int:
    """`fg`, or the nearest grey at `MIN_CONTRAST` from `bg` (lighter if it was lighter,
    darker if darker, the other way when that way cannot reach it)."""
    if contrast(fg, bg) >= MIN_CONTRAST:
        return fg
    lb = luminance(bg)
    lighter = _grey_of(MIN_CONTRAST * (lb + 0.05) - 0.05) if MIN_CONTRAST * (lb + 0.05) \
        - 0.05 <= 1 else None
    darker = _grey_of((lb + 0.05) / MIN_CONTRAST - 0.05) \
        if (lb + 0.05) / MIN_CONTRAST - 0.05 >= 0 else None
    # Rounding to a whole grey can land a hair short: step on until it holds.
    while lighter is not None and lighter < 255 and contrast(lighter, bg) < MIN_CONTRAST:
        lighter += 1
    while darker is not None and darker > 0 and contrast(darker, bg) < MIN_CONTRAST:
        darker -= 1
    first, second = (lighter, darker) if fg >= bg else (darker, lighter)
    return first if first is not None else second if second is not None else fg


@lru_cache(1024)
def _readable(style: Style, background: Color) -> Style:
    color, bgcolor = style.color, style.bgcolor
    if color is None or color.is_default:
        return style
    fg = Color.from_rich_color(color).monochrome.r
    bg = (background if bgcolor is None or bgcolor.is_default
          else Color.from_rich_color(bgcolor)).monochrome.r
    grey = readable_grey(fg, bg)
    if grey == fg:
        return style
    return style + Style(color=RichColor.from_rgb(grey, grey, grey))


class ReadableMonochrome(LineFilter):
    """Textual's NO_COLOR greys, with text kept readable on its background."""

    def __init__(self) -> None:
        super().__init__()
        self._monochrome = Monochrome()

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out = []
        for text, style, _ in self._monochrome.apply(segments, background):
            if style is not None and text.strip():
                style = _readable(style, background)
            out.append(Segment(text, style, None))
        return out


def readable_filters(filters: Sequence[LineFilter], native_ansi: bool) -> list[LineFilter]:
    """`filters` with Textual's monochrome filter (NO_COLOR) made readable, or, under an
    ANSI theme, no colour at all (Textual picks its filter when the app starts, before
    the app can change theme)."""
    swap = _NO_COLOR if native_ansi else _READABLE
    return [swap if isinstance(f, Monochrome | NoColor) else f for f in filters]


_READABLE = ReadableMonochrome()
_NO_COLOR = NoColor()
