"""Progress events in one normalised form, whatever wrote them.

Accepts the FUSION GUI schema (`type` = start, erlang_start, iteration, erlang_complete,
complete, error) and seed 004's short form without `type`. Unknown fields are ignored,
unknown types are kept as `other`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

KNOWN_TYPES = ("start", "erlang_start", "iteration", "erlang_complete", "complete", "error")


@dataclass(frozen=True)
class ProgressEvent:
    type: str
    erlang: float | None = None
    erlang_index: int | None = None
    total_erlangs: int | None = None
    iteration: int | None = None
    total_iterations: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    exit_code: int | None = None
    ts: str | None = None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return None
        else:
            return None
    number = float(value)
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _num(value)
    if number is None or number != int(number) or abs(number) > 2**62:
        return None
    return int(number)


def _metrics(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for key, raw in value.items():
        number = _num(raw)
        if isinstance(key, str) and number is not None:
            out[key] = number
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def normalise(obj: Any) -> ProgressEvent | None:
    """One decoded JSON value -> ProgressEvent, or None when it is not an event."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind is None:
        if "erlang" not in obj and "iteration" not in obj:
            return None
        kind = "iteration"
    if not isinstance(kind, str):
        return None
    raw_config = obj.get("config")
    config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
    return ProgressEvent(
        type=kind if kind in KNOWN_TYPES else "other",
        erlang=_num(obj.get("erlang")),
        erlang_index=_int(obj.get("erlang_index")),
        total_erlangs=_int(obj.get("total_erlangs", config.get("total_erlangs"))),
        iteration=_int(obj.get("iteration")),
        total_iterations=_int(obj.get("total_iterations", config.get("total_iterations"))),
        metrics=_metrics(obj.get("metrics")),
        message=_str(obj.get("message")),
        exit_code=_int(obj.get("exit_code")),
        ts=_str(obj.get("ts", obj.get("timestamp"))),
    )


def decode(raw: bytes) -> ProgressEvent | None:
    """One line of a progress file -> ProgressEvent, or None when it is not one (not
    UTF-8, not JSON, nested too deep, or not an event)."""
    try:
        return normalise(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
