"""The keys FUSION's 5.5 line reads and the rules it applies, written down from its config
loader (`config_scripts/setup_config.py` and `arg_scripts/config_args.py`, the same file
at tag v5.5.1 and on `feature/grooming-new` 2db135b2 but for the branch's ten extra
required keys, which v5.5.1 ignores), and from running both.

Its loader: a required key missing from the INI ends the run at once (`ValueError:
Missing '<key>' in the <section> section.`, exit 1); values go through `int`, `float`,
`ast.literal_eval` or its str_to_bool (any text is a boolean: only true/yes/1 are True);
every optional section must exist, even empty; keys it does not know it ignores. What it
accepts and then fails on in its worker (exit status 0, no results) is refused here too
where the value alone tells: `k_paths` missing from `[general_settings]` (the only place
it reads it), a non-empty `seeds`, loads that form no range.
"""

from __future__ import annotations

import ast
import math

from fusion_tui.base.errors import ConfigError
from fusion_tui.config import schema as common
from fusion_tui.config.schema import Sections

INT, FLOAT, BOOL, TEXT, LITERAL = "int", "float", "bool", "text", "literal"
_G, _T, _S, _SNR = "general_settings", "topology_settings", "spectrum_settings", "snr_settings"
READER = "FUSION's 5.5 line"

REQUIRED: dict[str, dict[str, str]] = {
    _G: {
        "erlang_start": INT, "erlang_stop": INT, "erlang_step": INT, "mod_assumption": TEXT,
        "mod_assumption_path": TEXT, "holding_time": FLOAT, "thread_erlangs": BOOL,
        "guard_slots": INT, "num_requests": INT, "request_distribution": LITERAL,
        "max_iters": INT, "max_segments": INT, "dynamic_lps": BOOL, "route_method": TEXT,
        "allocation_method": TEXT, "save_snapshots": BOOL, "snapshot_step": INT,
        "print_step": INT, "fixed_grid": BOOL, "pre_calc_mod_selection": BOOL,
        "spectrum_priority": TEXT, "save_step": INT, "save_start_end_slots": BOOL,
        # required by the grooming branch, ignored by v5.5.1
        "is_grooming_enabled": BOOL, "can_partially_serve": BOOL,
        "transponder_usage_per_node": BOOL, "blocking_type_ci": BOOL,
        "fragmentation_metrics": LITERAL, "frag_calc_step": INT,
        # optional to its loader, but read from here only and needed by every load
        "k_paths": INT,
    },
    _T: {"network": TEXT, "bw_per_slot": FLOAT, "cores_per_link": INT,
         "const_link_weight": BOOL, "is_only_core_node": BOOL, "multi_fiber": BOOL},
    _S: {"c_band": INT},
    _SNR: {"requested_xt": LITERAL, "xt_noise": BOOL, "theta": FLOAT, "egn_model": BOOL,
           "phi": LITERAL, "snr_type": TEXT, "xt_type": TEXT, "beta": FLOAT,
           "input_power": FLOAT,
           # the grooming branch's
           "snr_recheck": BOOL, "recheck_adjacent_cores": BOOL, "recheck_crossband": BOOL,
           "snr_margin": FLOAT},
    "file_settings": {"file_type": TEXT},
}

_RL_INT = ("layers", "emb_dim", "heads", "optuna_trials", "super_channel_space",
           "path_levels", "n_trials")
_RL_FLOAT = ("alpha_start", "alpha_end", "gamma", "conf_param", "epsilon_start",
             "epsilon_end", "reward", "penalty", "core_beta", "decay_rate", "cong_cutoff")
_RL_TEXT = ("device", "gnn_type", "feature_extractor", "path_algorithm", "obs_space",
            "path_model", "core_algorithm", "core_model", "spectrum_algorithm",
            "spectrum_model", "alpha_update", "epsilon_update")

OPTIONAL: dict[str, dict[str, str]] = {
    _G: {"seeds": TEXT, "filter_mods": TEXT},
    _T: {"bi_directional": BOOL},
    _S: {"o_band": INT, "e_band": INT, "s_band": INT, "l_band": INT},
    "rl_settings": {**{k: INT for k in _RL_INT}, **{k: FLOAT for k in _RL_FLOAT},
                    **{k: TEXT for k in _RL_TEXT}, "optimize": BOOL,
                    "optimize_hyperparameters": BOOL, "is_training": BOOL,
                    "dynamic_reward": BOOL},
    "ml_settings": {"output_train_data": BOOL, "ml_training": BOOL, "deploy_model": BOOL,
                    "train_file_path": TEXT, "ml_model": TEXT, "test_size": FLOAT},
    "file_settings": {"run_id": TEXT},
}

# Sections its loader indexes whether or not they hold a key: without one, KeyError.
SECTIONS_NEEDED = (_G, _T, _S, _SNR, "file_settings", "rl_settings", "ml_settings")

# Below these FUSION divides by zero, loops for ever or runs nothing.
_AT_LEAST: dict[tuple[str, str], tuple[float, bool]] = {
    (_G, "erlang_start"): (0, False), (_G, "erlang_step"): (0, True),
    (_G, "holding_time"): (0, True), (_G, "num_requests"): (1, False),
    (_G, "max_iters"): (1, False), (_G, "guard_slots"): (0, False),
    (_G, "max_segments"): (1, False), (_G, "print_step"): (1, False),
    (_G, "save_step"): (1, False), (_G, "snapshot_step"): (1, False),
    (_G, "frag_calc_step"): (1, False), (_G, "k_paths"): (1, False),
    (_T, "cores_per_link"): (1, False), (_T, "bw_per_slot"): (0, True), (_S, "c_band"): (1, False),
}

# What its engine dispatches on (others: NotImplementedError in the worker).
ALLOCATION_METHODS = ("first_fit", "last_fit", "best_fit", "priority_first", "priority_last",
                      "xt_aware")


def kind_of(section: str, key: str) -> str | None:
    for table in (REQUIRED, OPTIONAL):
        kind = table.get(section, {}).get(key)
        if kind is not None:
            return kind
    return None


def knows(section: str, key: str) -> bool:
    """Whether the 5.5 line reads `section.key` (what `--set` may add)."""
    return kind_of(section, key) is not None


def _convert(section: str, key: str, kind: str, raw: str) -> None:
    text = raw.strip()
    if kind in (INT, FLOAT):
        try:
            value = float(text) if kind == FLOAT else int(text)
        except ValueError:
            what = "a number" if kind == FLOAT else "a whole number (it reads int(), so " \
                "not '4.0')"
            raise ConfigError.at(section, key, f"{READER} expects {what}, got {raw!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError.at(section, key, f"expected a finite number, got {raw!r}")
        bound = _AT_LEAST.get((section, key))
        if bound is not None:
            low, strict = bound
            if value < low or (strict and value == low):
                word = "greater than" if strict else "at least"
                raise ConfigError.at(section, key, f"must be {word} {low:g}, got {text}")
    elif kind == LITERAL:
        try:
            ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ConfigError.at(section, key, f"{READER} reads it with ast.literal_eval, "
                                               f"which refuses {raw!r}") from None


def check_value(section: str, key: str, raw: str) -> None:
    """One value on its own, as the 5.5 line converts it; keys it does not read pass."""
    kind = kind_of(section, key)
    if kind is not None:
        _convert(section, key, kind, raw)


def loads(sections: Sections) -> list[float]:
    """`range(erlang_start, erlang_stop, erlang_step)`: the stop load is never run."""
    general = sections["general_settings"]
    start, stop, step = (int(general[k].strip())
                         for k in ("erlang_start", "erlang_stop", "erlang_step"))
    return [float(e) for e in range(start, stop, step)]


def _check_loads(sections: Sections) -> None:
    general = sections[_G]
    start, stop = int(general["erlang_start"].strip()), int(general["erlang_stop"].strip())
    step = int(general["erlang_step"].strip())
    if stop <= start:
        raise ConfigError.at(_G, "erlang_stop",
                             f"must be above erlang_start ({start}), got {stop}: {READER} "
                             "runs range(start, stop, step), which leaves the stop out, so "
                             "no load would run")
    count = len(range(start, stop, step))
    if count > common.MAX_LOAD_POINTS:
        raise ConfigError.at(_G, "erlang_stop", f"{count:,} load points; at most "
                                                f"{common.MAX_LOAD_POINTS:,}")


def _check_distribution(sections: Sections) -> None:
    mix = ast.literal_eval(sections[_G]["request_distribution"].strip())
    if not isinstance(mix, dict):
        raise ConfigError.at(_G, "request_distribution",
                             "expected a dictionary of Gb/s to share")
    n = int(sections[_G]["num_requests"].strip())
    try:
        quotas = [int(float(share) * n) for share in mix.values()]
    except (TypeError, ValueError):
        raise ConfigError.at(_G, "request_distribution", "every share must be a number") \
            from None
    if sum(quotas) != n:
        raise ConfigError.at(_G, "request_distribution",
                             f"the shares give {sum(quotas)} of {n} requests ({READER} takes "
                             "int(share x num_requests) of each and stops otherwise)")


def validate(sections: Sections) -> None:
    """Raise ConfigError (one line naming section and key) where the 5.5 line would stop
    or run to nothing."""
    for section, values in sections.items():
        for name, text in values.items():
            if len(text) > common.MAX_VALUE_LENGTH:
                raise ConfigError.at(section, name, f"at most {common.MAX_VALUE_LENGTH} "
                                                    f"characters, got {len(text)}")
    for section in SECTIONS_NEEDED:
        if section not in sections:
            raise ConfigError(f"[{section}]: missing section ({READER} needs it, even empty)")
    for section, keys in REQUIRED.items():
        for key, kind in keys.items():
            raw = sections[section].get(key)
            if raw is None:
                why = (" (it reads k_paths from [general_settings] only; without it every "
                       "load fails)" if key == "k_paths" else "")
                raise ConfigError.at(section, key, f"missing: {READER} requires it{why}")
            _convert(section, key, kind, raw)
    for section, keys in OPTIONAL.items():
        for key, kind in keys.items():
            raw = sections.get(section, {}).get(key)
            if raw is not None:
                _convert(section, key, kind, raw)
    if sections[_G].get("seeds", "").strip():
        raise ConfigError.at(_G, "seeds", f"must be empty: {READER} reads it with list(), "
                                          "which splits the text into characters, and every "
                                          "load then fails")
    _check_loads(sections)
    _check_distribution(sections)
