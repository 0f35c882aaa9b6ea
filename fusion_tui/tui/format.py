"""Turning run data into safe, compact display text.

Everything that comes from a run (names, templates, paths, log lines) passes through
`safe()` into a rich `Text`, never through markup, so `[red]` or escape sequences in
a run name are shown as typed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from fusion_tui.base.rundir import NOT_READABLE
from fusion_tui.base.textsafe import one_line, strip_escapes
from fusion_tui.store.status import local_text

# ANSI colour names, so a 16-colour terminal shows its own (readable) colours; no blue
# (dark on black in 16 colours) and no red beside magenta (one colour in the default
# dark theme). A status never rests on its colour: each has its own symbol and word.
STATUS_STYLE = {
    "PENDING": "bold cyan",
    "RUNNING": "bold yellow",
    "COMPLETED": "bold green",
    "FAILED": "bold red",
    "CANCELLED": "bold",
    "TIMEOUT": "bold red",
    "OUT_OF_MEMORY": "bold red",
    "NODE_FAIL": "bold red",
    "PREEMPTED": "bold",
}
STATUS_SYMBOL = {
    "PENDING": "…",
    "RUNNING": "▶",
    "COMPLETED": "✔",
    "FAILED": "✘",
    "CANCELLED": "■",
    "TIMEOUT": "⌛",
    "OUT_OF_MEMORY": "⊘",
    "NODE_FAIL": "⚠",
    "PREEMPTED": "↻",
}


def safe(text: str | None, limit: int = 200) -> Text:
    """Run-provided text as a literal Text: no markup, no escape sequences, one line."""
    return Text(one_line(text or "", limit))


def beside_home(path: Path) -> str:
    """`path` with the user's home shown as `~`, as a shell shows it: shorter on a narrow
    screen, and the same on every machine for the same place in a home."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):  # elsewhere, or no home to speak of
        return str(path)


def closed_folder(what: str, owner: str) -> Text:
    """`what` (e.g. "The log is") of another user's run whose folder is closed to us."""
    text = Text(f"{what} {NOT_READABLE}: the run belongs to ")
    text.append_text(safe(owner, 64))
    text.append(" and its folder is closed to you.")
    return text


def text_segments(text: Text, console: Console) -> list[Segment]:
    """`text` as segments with its own style: Rich's `Text.render` leaves the style of a
    text without spans out (`Text("x", style="green")` renders plain)."""
    if text.spans:
        return list(text.render(console))
    return [Segment(text.plain, console.get_style(text.style))]


def safe_line(text: str) -> Text:
    """A log line, escapes made visible, kept whole (the viewer handles width)."""
    return Text(strip_escapes(text.replace("\t", "    ")))


def status_text(status: str, stalled: bool = False) -> Text:
    """Status in colour *and* words (16-colour terminals and NO_COLOR still read it)."""
    label = f"{STATUS_SYMBOL.get(status, '?')} {status}"
    text = Text(label, style=STATUS_STYLE.get(status, ""))
    if stalled:
        text.append(" ")
        text.append("STALLED", style="bold red reverse")
    return text


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def timestamp(value: datetime | None) -> str:
    """A stored (UTC) time as local clock time."""
    return local_text(value, "%m-%d %H:%M")


def eta(started: datetime | None, fraction: float | None, now: datetime,
        seconds_left: float | None = None) -> str:
    """Remaining time: from the measured time per iteration when known (it leaves out
    the simulator's start-up), else by linear extrapolation of the elapsed time."""
    if seconds_left is not None:
        return duration(seconds_left)
    if started is None or not fraction or fraction >= 1.0:
        return "-"
    elapsed = (now - started).total_seconds()
    if elapsed <= 0:
        return "-"
    return duration(elapsed * (1.0 - fraction) / fraction)


def progress_bar(fraction: float | None, width: int = 10) -> Text:
    if fraction is None:
        return Text("-".ljust(width + 5))
    filled = round(fraction * width)
    bar = Text("█" * filled, style="green")
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {fraction * 100:3.0f}%")
    return bar


def ago(seconds: float | None) -> str:
    return "-" if seconds is None else duration(seconds) + " ago"

