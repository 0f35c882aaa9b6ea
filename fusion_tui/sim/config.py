"""The simulator's view of a FUSION INI configuration, validated up front.

Any problem raises ConfigError with one line naming the section and key (the command
exits 2). Keys FUSION knows but this simulator does not use are listed, not refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.config import schema
from fusion_tui.config.errors import ConfigError
from fusion_tui.config.templates import TEMPLATE_LIMIT, parse_ini
from fusion_tui.safefile import read_text
from fusion_tui.sim.modulation import DEFAULT_TABLE, ModulationError, ModulationTable
from fusion_tui.sim.topology import Topology, TopologyError, load_topology

USED_KEYS = {
    "general_settings": {"erlang_start", "erlang_stop", "erlang_step", "max_iters",
                         "num_requests", "holding_time", "request_distribution",
                         "mod_assumption", "mod_assumption_path", "guard_slots",
                         "route_method", "allocation_method", "thread_num",
                         "blocking_type_ci", "ci_target", "seed"},
    "topology_settings": {"network", "cores_per_link", "bw_per_slot"},
    "routing_settings": {"k_paths"},
    "spectrum_settings": {"c_band"},
    "file_settings": {"file_type"},
    "debug": {"check_invariants"},
}


@dataclass(frozen=True)
class SimConfig:
    erlangs: tuple[float, ...]
    max_iters: int
    num_requests: int
    holding_time: float
    bandwidths: tuple[float, ...]
    probabilities: tuple[float, ...]
    guard_slots: int
    allocation: str
    k_paths: int
    cores: int
    c_band: int
    bw_per_slot: float
    topology: Topology
    modulation: ModulationTable
    thread_num: str
    seed: int
    ci_stop: bool
    ci_target: float
    check_invariants: bool
    ignored_keys: tuple[str, ...]

    @property
    def network(self) -> str:
        return self.topology.name


def _get(sections: dict[str, dict[str, str]], section: str, key: str,
         default: str | None = None) -> str | None:
    value = sections.get(section, {}).get(key, default)
    return None if value is None or value.strip() in ("", "None") else value.strip()


def load_config(path: Path, *, seed: int | None = None,
                check_invariants: bool = False) -> SimConfig:
    try:
        text = read_text(path, TEMPLATE_LIMIT)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"--config_path: cannot read {str(path)!r}: {reason}") from None
    sections, _meta = parse_ini(text, str(path))
    return sim_config(sections, path.parent, seed=seed, check_invariants=check_invariants)


def sim_config(sections: dict[str, dict[str, str]], base: Path, *, seed: int | None = None,
               check_invariants: bool = False) -> SimConfig:
    """The configuration as this simulator runs it, or ConfigError naming section and key.

    The one validator of a built-in run: `fusion-tui new`, the new-run form and
    `fusion-tui-sim` all call it, so they cannot disagree. Relative file paths are taken
    from `base` (the run folder, where config.ini lives).
    """
    schema.validate(sections)
    g = "general_settings"
    route = _get(sections, g, "route_method")
    if route not in (None, "k_shortest_path"):
        raise ConfigError.at(g, "route_method", f"only k_shortest_path is supported, got {route!r}")
    file_type = _get(sections, "file_settings", "file_type")
    if file_type not in (None, "json"):
        raise ConfigError.at("file_settings", "file_type", f"only json is supported, got "
                             f"{file_type!r}")
    bw_per_slot = float(_get(sections, "topology_settings", "bw_per_slot") or 12.5)
    try:
        topology = load_topology(str(_get(sections, "topology_settings", "network")), base)
    except TopologyError as exc:
        raise ConfigError.at("topology_settings", "network", str(exc)) from None
    modulation = _modulation(sections, base, bw_per_slot)
    distribution = {float(bw): float(p)
                    for bw, p in json.loads(sections[g]["request_distribution"]).items()}
    used = {bw: p for bw, p in sorted(distribution.items()) if p > 0}
    for bw in used:
        if bw not in modulation.formats:
            raise ConfigError.at(g, "request_distribution",
                                 f"no modulation format for {bw:g} Gb/s in the modulation table")
    ignored = tuple(sorted(
        f"{section}.{key}" for section, keys in sections.items() for key in keys
        if key not in USED_KEYS.get(section, set())
    ))
    debug = (_get(sections, "debug", "check_invariants") or "False") == "True"
    return SimConfig(
        erlangs=tuple(schema.erlang_values(sections)),
        max_iters=int(sections[g]["max_iters"]),
        num_requests=int(sections[g]["num_requests"]),
        holding_time=float(sections[g]["holding_time"]),
        bandwidths=tuple(used),
        probabilities=tuple(used.values()),
        guard_slots=int(sections[g]["guard_slots"]),
        allocation=sections[g]["allocation_method"].strip(),
        k_paths=int(sections["routing_settings"]["k_paths"]),
        cores=int(sections["topology_settings"]["cores_per_link"]),
        c_band=int(sections["spectrum_settings"]["c_band"]),
        bw_per_slot=bw_per_slot,
        topology=topology,
        modulation=modulation,
        thread_num=_get(sections, g, "thread_num") or "s1",
        seed=seed if seed is not None else int(_get(sections, g, "seed") or 0),
        ci_stop=(_get(sections, g, "blocking_type_ci") or "False") == "True",
        ci_target=float(_get(sections, g, "ci_target") or 5.0),
        check_invariants=check_invariants or debug,
        ignored_keys=ignored,
    )


def _modulation(sections: dict[str, dict[str, str]], base: Path,
                bw_per_slot: float) -> ModulationTable:
    g = "general_settings"
    assumption = _get(sections, g, "mod_assumption") or "DEFAULT"
    table_path = _get(sections, g, "mod_assumption_path")
    if table_path:
        candidate = Path(table_path).expanduser()
        candidate = candidate if candidate.is_absolute() else base / candidate
        if candidate.is_file():
            try:
                return ModulationTable.from_file(candidate, bw_per_slot)
            except ModulationError as exc:
                raise ConfigError.at(g, "mod_assumption_path", str(exc)) from None
    if assumption.upper() != "DEFAULT":
        raise ConfigError.at(g, "mod_assumption",
                             f"{assumption!r} needs a readable mod_assumption_path")
    return ModulationTable(DEFAULT_TABLE, bw_per_slot)
