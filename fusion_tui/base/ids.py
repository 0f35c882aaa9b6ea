"""Run ids: 12 lowercase hex characters, checked before any path is built from one."""

from __future__ import annotations

import os
import re

_RUN_ID = re.compile(r"[0-9a-f]{12}\Z")


class InvalidRunId(ValueError):
    """Not a run id; the message says why."""


def new_run_id() -> str:
    return os.urandom(6).hex()


def is_run_id(text: str) -> bool:
    return bool(_RUN_ID.match(text))


def check_run_id(text: str) -> str:
    if not is_run_id(text):
        raise InvalidRunId(f"invalid run id {text!r}: expected 12 hex characters")
    return text
