"""The configuration keys FUSION 6.1 reads and the type it converts each with, written
down from FUSION's own schema (`fusion/configs/schema.py` and `fusion/cli/config_setup.py`
at commit 973983bc). The built-in simulator reads the same INI, so both kinds of run know
these keys; the rules FUSION applies to their values are `fusion/schema.py`'s.
"""

from __future__ import annotations

FLOAT, INT, BOOL, TEXT, DICT = "float", "int", "bool", "text", "dict"

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
