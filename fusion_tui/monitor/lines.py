"""Incremental, byte-exact reading of complete lines from a growing file.

The reader remembers a byte offset and holds back a half-written last line until its
newline arrives. A file that shrinks or is replaced starts over from the beginning.
Lines longer than `max_line` bytes are split so one pathological line cannot eat memory.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MAX_LINE = 1 << 20


class LineReader:
    """Read the complete lines appended to `path` since the last call."""

    def __init__(self, path: Path, *, max_line: int = DEFAULT_MAX_LINE,
                 chunk: int = 1 << 16) -> None:
        self.path = path
        self.offset = 0
        self.max_line = max_line
        self.chunk = chunk
        self.restarts = 0
        self._pending = b""
        self._identity: tuple[int, int] | None = None

    def _check_identity(self, st: os.stat_result) -> None:
        identity = (st.st_dev, st.st_ino)
        replaced = self._identity is not None and identity != self._identity
        if replaced or st.st_size < self.offset:
            self.offset, self._pending = 0, b""
            self.restarts += 1
        self._identity = identity

    def read_lines(self, *, limit_bytes: int | None = None) -> list[bytes]:
        """New complete lines (without the newline); [] when there is nothing new."""
        try:
            with open(self.path, "rb") as fh:
                self._check_identity(os.fstat(fh.fileno()))
                fh.seek(self.offset)
                data = fh.read(limit_bytes) if limit_bytes else fh.read()
        except FileNotFoundError:
            return []
        if not data:
            return []
        self.offset += len(data)
        buf = self._pending + data
        parts = buf.split(b"\n")
        self._pending = parts.pop()
        lines: list[bytes] = []
        for part in parts:
            lines.extend(self._split_long(part.rstrip(b"\r")))
        while len(self._pending) > self.max_line:
            lines.append(self._pending[: self.max_line])
            self._pending = self._pending[self.max_line:]
        return lines

    def _split_long(self, line: bytes) -> list[bytes]:
        if len(line) <= self.max_line:
            return [line]
        return [line[i: i + self.max_line] for i in range(0, len(line), self.max_line)]

    @property
    def pending(self) -> bytes:
        """The unfinished last line held back so far."""
        return self._pending
