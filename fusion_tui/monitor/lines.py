"""Incremental, byte-exact reading of complete lines from a growing file.

The reader remembers a byte offset and holds back a half-written last line until its
newline arrives. A file that shrinks or is replaced starts over from the beginning.
Lines longer than `max_line` bytes are split so one pathological line cannot eat memory.
"""

from __future__ import annotations

import os
from pathlib import Path

from fusion_tui.base.safefile import NotRegularFile, open_binary

DEFAULT_MAX_LINE = 1 << 20
DEFAULT_CHUNK = 4 << 20


class LineSplitter:
    """Turns appended bytes into complete lines; keeps the unfinished tail."""

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        self.max_line = max_line
        self.pending = b""

    def reset(self) -> None:
        self.pending = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Complete lines in `data` (after what was pending), without newlines."""
        parts = (self.pending + data).split(b"\n")
        self.pending = parts.pop()
        lines: list[bytes] = []
        for part in parts:
            lines.extend(self._split_long(part.rstrip(b"\r")))
        while len(self.pending) > self.max_line:
            lines.append(self.pending[: self.max_line])
            self.pending = self.pending[self.max_line:]
        return lines

    def _split_long(self, line: bytes) -> list[bytes]:
        if len(line) <= self.max_line:
            return [line]
        return [line[i: i + self.max_line] for i in range(0, len(line), self.max_line)]


class LineReader:
    """Read the complete lines appended to `path` since the last call."""

    def __init__(self, path: Path, *, max_line: int = DEFAULT_MAX_LINE) -> None:
        self.path = path
        self.offset = 0
        self.restarts = 0
        self._splitter = LineSplitter(max_line)
        self._identity: tuple[int, int] | None = None

    def _check_identity(self, st: os.stat_result) -> None:
        identity = (st.st_dev, st.st_ino)
        replaced = self._identity is not None and identity != self._identity
        if replaced or st.st_size < self.offset:
            self.offset = 0
            self._splitter.reset()
            self.restarts += 1
        self._identity = identity

    def read_lines(self, *, limit_bytes: int | None = None) -> list[bytes]:
        """New complete lines (without the newline); [] when there is nothing new.

        Reads at most `limit_bytes` (4 MiB by default) per call; a path that is not a
        regular file (a named pipe, a device) gives nothing rather than blocking.
        """
        try:
            with open_binary(self.path) as fh:
                self._check_identity(os.fstat(fh.fileno()))
                fh.seek(self.offset)
                data = fh.read(limit_bytes or DEFAULT_CHUNK)
        except (FileNotFoundError, NotRegularFile):
            return []
        if not data:
            return []
        self.offset += len(data)
        return self._splitter.feed(data)

    @property
    def pending(self) -> bytes:
        """The unfinished last line held back so far."""
        return self._splitter.pending
