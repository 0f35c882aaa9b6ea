"""Async log streaming over a real, growing file."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from fusion_tui.monitor.log_stream import stream_log


async def _until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the reader run until `check` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def _collect(path: Path, n: int, **kwargs: object) -> list[str]:
    out: list[str] = []
    async for line in stream_log(path, poll_interval=0.01, **kwargs):  # type: ignore[arg-type]
        out.append(line)
        if len(out) == n:
            break
    return out


async def test_reads_whole_file_without_follow(tmp_path: Path) -> None:
    path = tmp_path / "sim.log"
    path.write_bytes(b"one\r\ntwo\nbad \xff byte\nlast-no-newline")
    lines = [line async for line in stream_log(path, follow=False)]
    assert lines == ["one", "two", "bad \ufffd byte", "last-no-newline"]


async def test_follows_appends_from_the_end(tmp_path: Path) -> None:
    path = tmp_path / "sim.log"
    path.write_text("old 1\nold 2\n")
    task = asyncio.create_task(_collect(path, 2, from_end=True))
    await asyncio.sleep(0.1)
    with open(path, "a") as fh:
        fh.write("new 1\nne")
        fh.flush()
        await asyncio.sleep(0.05)
        fh.write("w 2\n")
    assert await asyncio.wait_for(task, 5) == ["new 1", "new 2"]


async def test_survives_truncation_and_replacement(tmp_path: Path) -> None:
    path = tmp_path / "sim.log"
    path.write_text("first\n")
    seen: list[str] = []

    async def reader() -> None:
        async for line in stream_log(path, poll_interval=0.01):
            seen.append(line)
            if line == "replaced":
                return

    task = asyncio.create_task(reader())
    await _until(lambda: seen == ["first"])
    path.write_text("")
    await asyncio.sleep(0.05)  # the reader's polls see the empty file before it grows again
    path.write_text("after truncation\n")
    await _until(lambda: seen == ["first", "after truncation"])
    other = tmp_path / "new.log"
    other.write_text("replaced\n")
    os.replace(other, path)
    await asyncio.wait_for(task, 5)
    assert seen == ["first", "after truncation", "replaced"]


async def test_splits_pathological_lines_on_character_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "sim.log"
    path.write_bytes(("é" * 10).encode() + b"\nend\n")
    lines = [line async for line in stream_log(path, follow=False, max_line=5)]
    assert "".join(lines[:-1]) == "é" * 10
    assert all("\ufffd" not in line for line in lines)
    assert lines[-1] == "end"


async def test_waits_for_a_missing_file_and_stops_on_request(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    stop = {"now": False}
    task = asyncio.create_task(_collect(path, 1, should_stop=lambda: stop["now"]))
    await asyncio.sleep(0.05)
    path.write_text("hello\n")
    assert await asyncio.wait_for(task, 5) == ["hello"]
    stop["now"] = True
    rest = [line async for line in stream_log(tmp_path / "never.log", should_stop=lambda: True)]
    assert rest == []
