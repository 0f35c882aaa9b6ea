"""Previewing one output file: at most PREVIEW_BYTES of it, JSON pretty-printed, CSV as
rows, INI and text highlighted by suffix, escape sequences made visible. Read in a
worker (`load_preview` opens the file)."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.base.safefile import open_binary
from fusion_tui.base.textsafe import strip_escapes

PREVIEW_BYTES = 256 * 1024
CSV_ROWS = 500
_LEXERS = {".ini": "ini", ".cfg": "ini", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml",
           ".py": "python", ".json": "json", ".log": "text", ".txt": "text"}


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@dataclass(frozen=True)
class PreviewContent:
    kind: str  # "syntax", "text", "table"
    body: str
    lexer: str = "text"
    rows: tuple[tuple[str, ...], ...] = ()
    note: str = ""


def load_preview(path: Path) -> PreviewContent:
    """Read at most PREVIEW_BYTES of `path` and decide how to show it."""
    with open_binary(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        raw = fh.read(PREVIEW_BYTES)
    partial = size > len(raw)
    note = f"showing the first {human_size(len(raw))} of {human_size(size)}" if partial else ""
    text = strip_escapes(raw.decode("utf-8", errors="replace"))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = tuple(tuple(row) for _, row in zip(range(CSV_ROWS + 1),
                                                  csv.reader(io.StringIO(text)), strict=False))
        if len(rows) > CSV_ROWS:
            note = (note + "; " if note else "") + f"first {CSV_ROWS} rows"
        return PreviewContent("table", "", rows=rows[: CSV_ROWS + 1], note=note)
    if suffix == ".json" and not partial:
        try:
            pretty = json.dumps(json.loads(raw), indent=2)
            return PreviewContent("syntax", strip_escapes(pretty), "json", note=note)
        except ValueError:
            pass
    lexer = _LEXERS.get(suffix, "text")
    return PreviewContent("syntax" if lexer != "text" else "text", text, lexer, note=note)
