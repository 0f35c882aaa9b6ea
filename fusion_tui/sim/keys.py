"""The keys the built-in simulator reads, with their types and bounds (the table
`config/schema.py` checks against; `sim/config.py` adds the rules no table can say).
FUSION's keys keep FUSION's meaning; `[builtin_settings]` holds ours."""

from __future__ import annotations

from fusion_tui.config.schema import Key, index

ALLOCATION_METHODS = ("first_fit", "best_fit", "last_fit")
ENGINES = ("auto", "python", "compiled")

KEYS: tuple[Key, ...] = (
    Key("general_settings", "erlang_start", "float", minimum=0, maximum=1e7),
    Key("general_settings", "erlang_stop", "float", minimum=0, maximum=1e7),
    Key("general_settings", "erlang_step", "float", minimum=0, exclusive_minimum=True,
        maximum=1e7),
    Key("general_settings", "max_iters", "int", minimum=1, maximum=100_000),
    Key("general_settings", "num_requests", "int", minimum=1, maximum=100_000_000),
    Key("general_settings", "holding_time", "float", minimum=0, exclusive_minimum=True,
        maximum=1e9),
    Key("general_settings", "request_distribution", "json"),
    Key("general_settings", "guard_slots", "int", minimum=0, maximum=1000),
    Key("general_settings", "allocation_method", "choice", choices=ALLOCATION_METHODS),
    Key("general_settings", "route_method", "str", required=False),
    Key("general_settings", "thread_num", "str", required=False),
    Key("general_settings", "mod_assumption", "str", required=False),
    Key("general_settings", "mod_assumption_path", "str", required=False),
    Key("general_settings", "blocking_type_ci", "str", required=False),  # unused; FUSION: any text
    Key("general_settings", "ci_target", "float", required=False, minimum=0,
        exclusive_minimum=True, maximum=100),
    Key("general_settings", "seed", "int", required=False, minimum=0, maximum=2**63 - 1),
    Key("topology_settings", "network", "str"),
    Key("topology_settings", "cores_per_link", "int", minimum=1, maximum=64),
    Key("topology_settings", "bw_per_slot", "float", required=False, minimum=0,
        exclusive_minimum=True, maximum=1e6),
    Key("topology_settings", "const_link_weight", "bool", required=False),
    Key("routing_settings", "k_paths", "int", minimum=1, maximum=64),
    Key("spectrum_settings", "c_band", "int", minimum=1, maximum=100_000),
    Key("file_settings", "file_type", "str", required=False),
    # Its own keys (not FUSION's), see sim/config.py.
    Key("builtin_settings", "seed", "int", required=False, minimum=0, maximum=2**63 - 1),
    Key("builtin_settings", "warmup_requests", "int", required=False, minimum=0,
        maximum=100_000_000),
    Key("builtin_settings", "early_stop", "bool", required=False),
    Key("builtin_settings", "ignore_unsupported", "bool", required=False),
    Key("builtin_settings", "engine", "choice", required=False, choices=ENGINES),
)

KNOWN = index(KEYS)
