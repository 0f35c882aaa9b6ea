"""The rules FUSION 6.1 applies to the keys it reads (`kinds/formats/keys.py`).

Written down from FUSION's own schema (`fusion/configs/schema.py` and
`fusion/cli/config_setup.py` at commit 973983bc): a key of the required table missing
from the INI ends a FUSION run at once (`Configuration error: Missing required option
...`); a value that does not convert does too. FUSION converts booleans with
`value.lower() in ("true", "yes", "1")`, so any text is a valid boolean to it (`'request'`
reads as False), and it leaves a dictionary that does not parse as text. Keys it does not
know it ignores. A template for FUSION is checked against these rules, not against the
built-in simulator's.
"""

from __future__ import annotations

import ast
import math

from fusion_tui.base.errors import ConfigError
from fusion_tui.config import schema as common
from fusion_tui.config.schema import Sections
from fusion_tui.kinds.formats.keys import ALSO_NEEDED, DICT, FLOAT, INT, OPTIONAL, REQUIRED, kind_of

# The spectrum allocation methods FUSION 6.1's engine dispatches on.
ALLOCATION_METHODS = ("first_fit", "best_fit", "last_fit", "priority_first", "priority_last",
                      "xt_aware")

_G, _T, _S = "general_settings", "topology_settings", "spectrum_settings"

# Lower bounds below which FUSION hangs or divides by zero instead of saying so.
_AT_LEAST: dict[tuple[str, str], tuple[float, bool]] = {
    (_G, "erlang_start"): (0, False), (_G, "erlang_stop"): (0, False),
    (_G, "erlang_step"): (0, True), (_G, "holding_time"): (0, True),
    (_G, "num_requests"): (1, False), (_G, "max_iters"): (1, False),
    (_G, "guard_slots"): (0, False), (_G, "max_segments"): (1, False),
    (_G, "print_step"): (1, False), (_G, "save_step"): (1, False),
    (_G, "snapshot_step"): (1, False), (_T, "cores_per_link"): (1, False),
    (_T, "bw_per_slot"): (0, True), (_S, "c_band"): (1, False),
    ("routing_settings", "k_paths"): (1, False),
}


def _convert(section: str, key: str, kind: str, raw: str) -> float | None:
    text = raw.strip()
    if kind in (FLOAT, INT):
        try:
            value = float(text) if kind == FLOAT else int(text)
        except ValueError:
            what = "a number" if kind == FLOAT else "an integer (FUSION's int() refuses '4.0')"
            raise ConfigError.at(section, key, f"FUSION expects {what}, got {raw!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError.at(section, key, f"expected a finite number, got {raw!r}")
        bound = _AT_LEAST.get((section, key))
        if bound is not None:
            low, strict = bound
            if value < low or (strict and value == low):
                word = "greater than" if strict else "at least"
                raise ConfigError.at(section, key, f"must be {word} {low:g}, got {text}")
        return value
    if kind == DICT and text not in ("", "None"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if not isinstance(parsed, dict):
            raise ConfigError.at(section, key, f"FUSION expects a dictionary, got {raw!r}")
    return None


def check_value(section: str, key: str, raw: str) -> None:
    """Check one value on its own, as FUSION would convert it; keys it does not read pass."""
    kind = kind_of(section, key)
    if kind is not None:
        _convert(section, key, kind, raw)


def _check_distribution(sections: Sections) -> None:
    """FUSION gives each bandwidth exactly int(share x num_requests) requests and refuses,
    at its first iteration, a mix whose quotas do not add up to num_requests."""
    raw = sections.get(_G, {}).get("request_distribution")
    if raw is None:
        raise ConfigError.at(_G, "request_distribution",
                             "missing: FUSION needs the bandwidth mix (Gb/s to share)")
    mix = ast.literal_eval(raw.strip())
    n = int(sections[_G]["num_requests"].strip())
    try:
        quotas = {str(bw): int(float(share) * n) for bw, share in mix.items()}
    except (TypeError, ValueError):
        raise ConfigError.at(_G, "request_distribution",
                             "every share must be a number") from None
    if sum(quotas.values()) != n:
        raise ConfigError.at(
            _G, "request_distribution",
            f"the shares give {sum(quotas.values())} of {n} requests "
            f"(FUSION takes int(share x num_requests) of each); choose shares and "
            f"num_requests that divide exactly")


def validate(sections: Sections) -> None:
    """Raise ConfigError (one line naming section and key) where FUSION 6.1 would fail."""
    for section, values in sections.items():
        for name, text in values.items():
            if len(text) > common.MAX_VALUE_LENGTH:
                raise ConfigError.at(section, name, f"at most {common.MAX_VALUE_LENGTH} "
                                                    f"characters, got {len(text)}")
    if _G not in sections:
        raise ConfigError(f"[{_G}]: missing section (FUSION requires it)")
    for table, required in ((REQUIRED, True), (ALSO_NEEDED, True), (OPTIONAL, False)):
        for section, keys in table.items():
            for key, kind in keys.items():
                raw = sections.get(section, {}).get(key)
                if raw is None:
                    if required:
                        raise ConfigError.at(section, key, "missing: FUSION 6.1 requires it")
                    continue
                _convert(section, key, kind, raw)
    _check_distribution(sections)
    common.check_load_points(sections)
