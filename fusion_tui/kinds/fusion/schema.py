"""The configuration keys FUSION 6.1 reads, and the rules it applies to them.

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

FLOAT, INT, BOOL, TEXT, DICT = "float", "int", "bool", "text", "dict"

# The spectrum allocation methods FUSION 6.1's engine dispatches on.
ALLOCATION_METHODS = ("first_fit", "best_fit", "last_fit", "priority_first", "priority_last",
                      "xt_aware")

_G, _T, _S, _SNR = "general_settings", "topology_settings", "spectrum_settings", "snr_settings"

REQUIRED: dict[str, dict[str, str]] = {
    _G: {
        "erlang_start": FLOAT, "erlang_stop": FLOAT, "erlang_step": FLOAT,
        "mod_assumption": TEXT, "mod_assumption_path": TEXT, "holding_time": FLOAT,
        "thread_erlangs": BOOL, "guard_slots": INT, "num_requests": INT, "max_iters": INT,
        "dynamic_lps": BOOL, "fixed_grid": BOOL, "pre_calc_mod_selection": BOOL,
        "max_segments": INT, "save_snapshots": BOOL, "snapshot_step": INT, "print_step": INT,
        "spectrum_priority": TEXT, "save_step": INT, "save_start_end_slots": BOOL,
        "is_grooming_enabled": BOOL, "can_partially_serve": BOOL,
        "transponder_usage_per_node": BOOL, "blocking_type_ci": BOOL, "route_method": TEXT,
        "allocation_method": TEXT,
    },
    _T: {
        "network": TEXT, "bw_per_slot": FLOAT, "cores_per_link": INT,
        "const_link_weight": BOOL, "is_only_core_node": BOOL, "multi_fiber": BOOL,
    },
    _S: {"c_band": INT},
    _SNR: {
        "snr_type": TEXT, "input_power": FLOAT, "egn_model": BOOL, "beta": FLOAT,
        "theta": FLOAT, "xt_type": TEXT, "xt_noise": BOOL, "requested_xt": DICT, "phi": DICT,
        "snr_recheck": BOOL, "recheck_adjacent_cores": BOOL, "recheck_crossband": BOOL,
    },
    "file_settings": {"file_type": TEXT},
    "ml_settings": {"deploy_model": BOOL},
}

_RL_TEXT = ("obs_space", "device", "path_algorithm", "path_model", "core_algorithm",
            "core_model", "spectrum_algorithm", "spectrum_model", "render_mode", "alpha_update",
            "epsilon_update", "feature_extractor", "gnn_type")
_RL_INT = ("n_trials", "optuna_trials", "super_channel_space", "path_levels", "layers",
           "emb_dim", "heads", "conf_param", "reward", "penalty")
_RL_FLOAT = ("alpha_start", "alpha_end", "gamma", "epsilon_start", "epsilon_end",
             "decay_rate", "cong_cutoff", "core_beta")

OPTIONAL: dict[str, dict[str, str]] = {
    _G: {"filter_mods": BOOL, "request_distribution": DICT, "fragmentation_metrics": TEXT,
         "frag_calc_step": INT},
    _T: {"bi_directional": BOOL, "is_only_core_node": BOOL},
    _S: {"o_band": INT, "e_band": INT, "s_band": INT, "l_band": INT, "guard_slots": INT,
         "allocation_method": TEXT},
    "file_settings": {"run_id": TEXT},
    "rl_settings": {
        **{k: TEXT for k in _RL_TEXT}, **{k: INT for k in _RL_INT},
        **{k: FLOAT for k in _RL_FLOAT},
        "optimize_hyperparameters": BOOL, "is_training": BOOL, "dynamic_reward": BOOL,
    },
    "ml_settings": {"deploy_model": BOOL, "output_train_data": BOOL, "ml_training": BOOL,
                    "ml_model": TEXT, "train_file_path": TEXT, "test_size": FLOAT},
    "dataset_logging_settings": {"log_offline_dataset": BOOL, "dataset_output_path": TEXT,
                                 "epsilon_mix": FLOAT},
    "offline_rl_settings": {"policy_type": TEXT, "fallback_policy": TEXT, "device": TEXT},
    "recovery_timing_settings": {"protection_switchover_ms": FLOAT,
                                 "restoration_latency_ms": FLOAT, "failure_window_size": INT},
    "protection_settings": {"revert_to_primary": BOOL, "protection_enabled": BOOL,
                            "disjointness_type": TEXT, "protection_switchover_ms": FLOAT,
                            "restoration_latency_ms": FLOAT},
    "policy_settings": {"policy_type": TEXT, "policy_name": TEXT, "model_path": TEXT,
                        "fallback_policy": TEXT, "k_paths": INT, "seed": INT,
                        "algorithm": TEXT, "device": TEXT},
    "heuristic_settings": {"alpha": FLOAT, "seed": INT},
    "routing_settings": {"route_method": TEXT, "k_paths": INT, "path_ordering": TEXT,
                         "precompute_paths": BOOL},
    "failure_settings": {"failure_type": TEXT, "geo_center_node": INT, "geo_hop_radius": INT,
                         "t_fail_arrival_index": INT, "t_repair_after_arrivals": INT,
                         "failed_link_src": INT, "failed_link_dst": INT},
    "reporting_settings": {"export_csv": BOOL, "csv_output_path": TEXT},
}

# Keys that FUSION's optional table lacks but its engine reads without a default, so a
# run without them fails with a KeyError; FUSION's own templates all set them.
ALSO_NEEDED: dict[str, dict[str, str]] = {
    "rl_settings": {"is_training": BOOL},
    "ml_settings": {"output_train_data": BOOL},
}

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


def kind_of(section: str, key: str) -> str | None:
    """The type FUSION converts `section.key` with, or None for a key it does not read."""
    for table in (REQUIRED, OPTIONAL, ALSO_NEEDED):
        kind = table.get(section, {}).get(key)
        if kind is not None:
            return kind
    return None


def is_thread_section(section: str) -> bool:
    """FUSION's extra process sections `[s2]`, `[s3]`... repeat keys of the other sections."""
    return len(section) > 1 and section[0] == "s" and section[1].isdigit()


def knows(section: str, key: str) -> bool:
    """Whether FUSION 6.1 reads `section.key` (what `--set` may add to a template)."""
    if is_thread_section(section):
        return any(key in keys for table in (REQUIRED, OPTIONAL) for keys in table.values())
    return kind_of(section, key) is not None


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
