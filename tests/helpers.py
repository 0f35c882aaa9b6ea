"""Small polling helpers for tests that watch real processes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 15.0, interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(interval)
        value = check()
    return value


def poll_until(fetch: Callable[[], T], accept: Callable[[T], bool], timeout: float = 15.0,
               interval: float = 0.05) -> T:
    """Fetch repeatedly until `accept` holds for the value; return that value."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not accept(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(interval)
        value = fetch()
    return value


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def worker_pids(run_dir: str) -> list[int]:
    path = Path(run_dir) / "output" / "pids.json"
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):  # not there yet, or half-written
        return []
    return pids if isinstance(pids, list) else []
