"""Async line iterator over a run's `sim.log` (aiofiles), from the start or the end.

Follows appends by polling (a regular file always polls readable, so no select loop),
starts over when the file is truncated or replaced, decodes invalid UTF-8 with
replacement characters and splits pathological long lines.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiofiles

from fusion_tui.base.safefile import open_regular

DEFAULT_MAX_LINE = 64 * 1024
_CHUNK = 256 * 1024


def _cut(data: bytes, limit: int) -> int:
    """Where to split `data` at or below `limit` without halving a UTF-8 character."""
    cut = limit
    while cut > limit - 4 and cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut if cut > 0 else limit


def _decode(line: bytes) -> str:
    return line.rstrip(b"\r").decode("utf-8", errors="replace")


def last_lines_offset(path: Path, lines: int) -> int:
    """The byte offset where the last `lines` lines of `path` begin (0 for a short or
    unreadable file), found by reading backwards from the end."""
    if lines <= 0:
        try:
            return os.stat(path).st_size
        except OSError:
            return 0
    try:
        fd = open_regular(path)
    except OSError:
        return 0
    with os.fdopen(fd, "rb") as fh:
        end = pos = os.fstat(fh.fileno()).st_size
        fh.seek(max(0, end - 1))
        seen = -1 if fh.read(1) == b"\n" else 0  # a final newline ends the last line
        while pos > 0:
            step = min(_CHUNK, pos)
            pos -= step
            fh.seek(pos)
            block = fh.read(step)
            for i in range(len(block) - 1, -1, -1):
                if block[i] == 0x0A:
                    seen += 1
                    if seen == lines:
                        return pos + i + 1
    return 0


async def stream_log(
    path: Path,
    *,
    from_end: bool = False,
    start: int | None = None,
    follow: bool = True,
    poll_interval: float = 0.2,
    max_line: int = DEFAULT_MAX_LINE,
    should_stop: Callable[[], bool] | None = None,
) -> AsyncIterator[str]:
    """Yield lines of `path` (from byte `start`, or the end with `from_end`); with
    `follow`, keep waiting for more until `should_stop()`."""
    offset: int | None = start
    identity: tuple[int, int] | None = None
    pending = b""
    while True:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is not None:
            replaced = identity is not None and (st.st_dev, st.st_ino) != identity
            if replaced or st.st_size < (offset or 0):
                offset, pending = 0, b""
            identity = (st.st_dev, st.st_ino)
            if offset is None:
                offset = st.st_size if from_end else 0
            got_data = False
            try:
                fd = open_regular(path)
            except OSError:  # gone, or a named pipe or device put in its place
                fd = None
            async with (aiofiles.open(fd, "rb") if fd is not None
                        else aiofiles.open(os.devnull, "rb")) as fh:
                await fh.seek(offset)
                while chunk := await fh.read(_CHUNK):
                    got_data = True
                    offset += len(chunk)
                    pending += chunk
                    while True:
                        newline = pending.find(b"\n")
                        if newline == -1 and len(pending) <= max_line:
                            break
                        if newline == -1 or newline > max_line:
                            cut = _cut(pending, max_line)
                            yield _decode(pending[:cut])
                            pending = pending[cut:]
                        else:
                            yield _decode(pending[:newline])
                            pending = pending[newline + 1:]
            if got_data:
                continue
        stopping = not follow or (should_stop is not None and should_stop())
        if stopping:
            if pending:
                yield _decode(pending)
            return
        await asyncio.sleep(poll_interval)
