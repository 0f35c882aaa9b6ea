"""A bounded-memory index of a log file's lines, for viewing logs of any size.

The file is cut into 64 KiB blocks; for each block boundary we keep how many newlines
come before it (8 bytes per block: 128 KiB per GiB of log). Counting is done by
`bytes.count` in C, so a 1 GB log is indexed in well under a second when cached.
Lines are read on demand from the file, with a small LRU cache of decoded windows.
The index grows as the file grows and starts over when it shrinks or is replaced.
"""

from __future__ import annotations

import os
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from pathlib import Path

from fusion_tui.base.safefile import open_binary

BLOCK = 1 << 16
_READ = 1 << 20
WINDOW = 64  # lines per cached window
MAX_LINE_BYTES = 16 * 1024  # longer lines are shown cut, with a marker
_CACHE_WINDOWS = 64


class LogIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._before = array("Q", [0])  # newlines before each complete block boundary
        self._scanned = 0  # bytes covered by complete blocks
        self._tail_newlines = 0  # newlines in the incomplete last block
        self.size = 0
        self._identity: tuple[int, int] | None = None
        self._cache: OrderedDict[int, list[str]] = OrderedDict()
        self.generation = 0  # bumps when the file restarts (truncated or replaced)
        self._lock = threading.RLock()  # indexing may run in a worker thread
        self._ends_nl = True

    # -- indexing ----------------------------------------------------------------------

    def _reset(self) -> None:
        self._before = array("Q", [0])
        self._scanned = self._tail_newlines = self.size = 0
        self._ends_nl = True
        self._cache.clear()
        self.generation += 1

    def refresh(self) -> bool:
        """Index what was appended; True when the line count or content changed."""
        with self._lock:
            return self._refresh()

    def _refresh(self) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self.size:
                self._reset()
                return True
            return False
        identity = (st.st_dev, st.st_ino)
        if (self._identity not in (None, identity)) or st.st_size < self.size:
            self._reset()
        self._identity = identity
        if st.st_size == self.size:
            return False
        with open_binary(self.path) as fh:
            fh.seek(self._scanned)
            pos = self._scanned
            while True:
                data = fh.read(_READ)
                if not data:
                    break
                self._ends_nl = data.endswith(b"\n")
                full = len(data) - len(data) % BLOCK
                for start in range(0, full, BLOCK):
                    self._before.append(self._before[-1] + data.count(b"\n", start, start + BLOCK))
                pos += full
                if full < len(data):
                    self._tail_newlines = data.count(b"\n", full)
                    self.size = pos + len(data) - full
                    break
                self._tail_newlines = 0
                self.size = pos
                if len(data) < _READ:
                    break
            self._scanned = pos
        self._drop_tail_cache()
        return True

    def _drop_tail_cache(self) -> None:
        """Windows that touched the old end of the file may have grown."""
        last = max(0, self.line_count - 1) // WINDOW
        for key in [k for k in self._cache if k >= last - 1]:
            del self._cache[key]

    @property
    def newlines(self) -> int:
        return self._before[-1] + self._tail_newlines

    @property
    def line_count(self) -> int:
        """Lines, counting an unfinished last line."""
        if self.size == 0:
            return 0
        return self.newlines + (0 if self._ends_nl else 1)

    # -- lookup ------------------------------------------------------------------------

    def _offset_of_line(self, fh: object, line: int) -> int:
        """Byte offset where line `line` (0-based) starts."""
        if line <= 0:
            return 0
        block = bisect_left(self._before, line) - 1  # the line-th newline lies in this block
        if block < 0:
            block = 0
        seen = self._before[block] if block < len(self._before) else self.newlines
        pos = block * BLOCK
        fh.seek(pos)  # type: ignore[attr-defined]
        while True:
            data = fh.read(BLOCK)  # type: ignore[attr-defined]
            if not data:
                return self.size
            count = data.count(b"\n")
            if seen + count >= line:
                index = -1
                for _ in range(line - seen):
                    index = data.index(b"\n", index + 1)
                return pos + index + 1
            seen += count
            pos += len(data)

    def line_at_offset(self, offset: int) -> int:
        """Index of the line containing byte `offset`."""
        block = min(offset // BLOCK, len(self._before) - 1)
        with open_binary(self.path) as fh:
            fh.seek(block * BLOCK)
            data = fh.read(offset - block * BLOCK)
        return self._before[block] + data.count(b"\n")

    def _window(self, key: int) -> list[str]:
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        lines: list[str] = []
        with open_binary(self.path) as fh:
            fh.seek(self._offset_of_line(fh, key * WINDOW))
            while len(lines) < WINDOW:
                raw = fh.readline(MAX_LINE_BYTES)
                if not raw:
                    break
                if not raw.endswith(b"\n") and len(raw) == MAX_LINE_BYTES:
                    rest = fh.readline()
                    raw = raw + b" \xe2\x80\xa6 [line cut, " + str(len(rest)).encode() + \
                        b" more bytes]"
                lines.append(raw.rstrip(b"\r\n").decode("utf-8", errors="replace"))
        self._cache[key] = lines
        if len(self._cache) > _CACHE_WINDOWS:
            self._cache.popitem(last=False)
        return lines

    def line(self, index: int) -> str:
        with self._lock:
            if index < 0 or index >= self.line_count:
                return ""
            window = self._window(index // WINDOW)
            offset = index % WINDOW
            return window[offset] if offset < len(window) else ""

    def lines(self, start: int, count: int) -> list[str]:
        return [self.line(i) for i in range(start, min(start + count, self.line_count))]

    # -- search ------------------------------------------------------------------------

    def find(self, needle: str, from_line: int, *, forward: bool = True) -> int | None:
        """Next line (after/before `from_line`, wrapping around) containing `needle`,
        case-insensitively; None when no line does."""
        if not needle or self.line_count == 0:
            return None
        target = needle.lower().encode("utf-8")
        hits = self._match_lines(target)
        if not hits:
            return None
        if forward:
            later = [h for h in hits if h > from_line]
            return later[0] if later else hits[0]
        earlier = [h for h in hits if h < from_line]
        return earlier[-1] if earlier else hits[-1]

    def _match_lines(self, target: bytes) -> list[int]:
        """Lines with a match, scanning the file in chunks (C-speed find on lowered bytes)."""
        hits: list[int] = []
        overlap = len(target) - 1
        with open_binary(self.path) as fh:
            pos, carry, line_base = 0, b"", 0
            while True:
                data = fh.read(_READ)
                if not data:
                    break
                chunk = carry + data
                low = chunk.lower()
                start = 0
                chunk_base = pos - len(carry)
                while (found := low.find(target, start)) != -1:
                    line = line_base + chunk.count(b"\n", 0, found)
                    if not hits or hits[-1] != line:
                        hits.append(line)
                    start = found + 1
                keep = min(overlap, len(chunk)) if overlap > 0 else 0
                line_base += chunk.count(b"\n", 0, len(chunk) - keep)
                carry = chunk[len(chunk) - keep:] if keep else b""
                pos = chunk_base + len(chunk)
        return hits
