"""The built-in simulator's view of a FUSION INI configuration, validated up front.

The same INI means the same experiment as in FUSION 6.1: FUSION's keys keep FUSION's
meaning (no warm-up, exact bandwidth quotas, fallback formats unless
`pre_calc_mod_selection`, slicing when `max_segments > 1`, FUSION's early stop), its
modulation file format, its network names and the way it resolves relative paths
(against the FUSION checkout, `FUSION_TUI_FUSION_HOME`, and then against the data
fusion-tui ships, which holds FUSION's networks and DEFAULT modulation set under the same
relative paths). `[rl_settings] is_training = True` means what it means to FUSION's
`run_sim` without an RL module: every iteration runs and the eight blocking statistics
of the result file are null. Our extensions are keys of our own, in `[builtin_settings]`: `seed`,
`warmup_requests`, `early_stop` and `ignore_unsupported`. A FUSION key that changes
FUSION's results but that this simulator does not implement is refused by name, unless
`ignore_unsupported = True`. Any problem raises ConfigError with one line naming the
section and key (the command exits 2).
"""

from __future__ import annotations

import ast
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.resources import data_dir
from fusion_tui.base.safefile import read_text
from fusion_tui.config import schema
from fusion_tui.config.templates import TEMPLATE_LIMIT, parse_ini
from fusion_tui.sim.keys import KEYS
from fusion_tui.sim.modulation import DEFAULT_TABLE, ModulationError, ModulationTable
from fusion_tui.sim.topology import (
    Topology,
    TopologyError,
    load_topology,
    with_fusion_numbers,
)

OURS = "builtin_settings"
_G, _T = "general_settings", "topology_settings"

USED_KEYS = {
    _G: {"erlang_start", "erlang_stop", "erlang_step", "max_iters", "num_requests",
         "holding_time", "request_distribution", "mod_assumption", "mod_assumption_path",
         "guard_slots", "route_method", "allocation_method", "pre_calc_mod_selection",
         "max_segments",
         # FUSION 6.1 only tests `== "BSC"` (bands, then cores) against anything else
         # (cores, then bands); with the C band alone both orders are the same.
         "spectrum_priority"},
    _T: {"network", "cores_per_link"},
    "routing_settings": {"k_paths"},
    "spectrum_settings": {"c_band"},
    "rl_settings": {"is_training"},
    OURS: {"seed", "warmup_requests", "early_stop", "ignore_unsupported", "engine"},
    "debug": {"check_invariants"},
}
MOVED = {"seed": "seed", "ci_target": "early_stop", "warmup_requests": "warmup_requests"}


def fusion_true(value: str | None) -> bool:
    """A boolean as FUSION reads it: true, yes or 1, in any case."""
    return value is not None and value.strip().lower() in ("true", "yes", "1")


def _set(value: str | None) -> bool:
    return value is not None and value.strip() not in ("", "None", "none", "null")


def _positive(value: str | None) -> bool:
    try:
        return value is not None and float(value) > 0
    except ValueError:
        return True


# (section, key, does this value change FUSION's results?, what it is)
UNSUPPORTED: tuple[tuple[str, str, Callable[[str | None], bool], str], ...] = (
    ("snr_settings", "snr_type", _set, "SNR checks"),
    ("snr_settings", "snr_recheck", fusion_true, "SNR re-checks"),
    (_G, "is_grooming_enabled", fusion_true, "traffic grooming"),
    (_G, "can_partially_serve", fusion_true, "partial service"),
    (_G, "dynamic_lps", fusion_true, "dynamic lightpath slicing"),
    (_G, "fixed_grid", fusion_true, "a fixed grid"),
    (_T, "is_only_core_node", lambda v: v is not None and not fusion_true(v),
     "core-node lists (is_only_core_node = False)"),
    (_T, "multi_fiber", fusion_true, "multi-fibre links"),
    (_T, "const_link_weight", fusion_true, "constant link weights"),
    ("ml_settings", "deploy_model", fusion_true, "ML models"),
    ("protection_settings", "protection_enabled", fusion_true, "protection"),
    ("failure_settings", "failure_type", _set, "failures"),
    *(("spectrum_settings", band, _positive, "bands other than the C band")
      for band in ("o_band", "e_band", "s_band", "l_band")),
)


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
    fallback_formats: bool
    max_segments: int
    topology: Topology
    modulation: ModulationTable
    thread_num: str
    seed: int
    warmup_requests: int
    early_stop: bool
    check_invariants: bool
    ignored_keys: tuple[str, ...]
    is_training: bool = False
    engine: str = "auto"

    @property
    def network(self) -> str:
        return self.topology.name

    @property
    def stops_early(self) -> bool:
        """FUSION's early stop, unless our `early_stop = False` or FUSION's `is_training`
        (without an RL module FUSION then runs every iteration and computes no
        statistics: the result file's eight blocking statistics are null)."""
        return self.early_stop and not self.is_training


def _get(sections: dict[str, dict[str, str]], section: str, key: str) -> str | None:
    value = sections.get(section, {}).get(key)
    return None if value is None or value.strip() in ("", "None") else value.strip()


def fusion_roots() -> tuple[Path, ...]:
    """Where relative paths are resolved, as FUSION resolves them against its checkout:
    the FUSION checkout when one is configured, then the data fusion-tui ships."""
    home = os.environ.get("FUSION_TUI_FUSION_HOME")
    roots = (Path(home).expanduser(),) if home else ()
    return (*roots, data_dir().parent)


def load_config(path: Path, *, seed: int | None = None,
                check_invariants: bool = False) -> SimConfig:
    try:
        text = read_text(path, TEMPLATE_LIMIT)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"--config_path: cannot read {str(path)!r}: {reason}") from None
    sections, _meta = parse_ini(text, str(path))
    return sim_config(sections, path.parent, seed=seed, check_invariants=check_invariants)


def _refuse_unsupported(sections: dict[str, dict[str, str]]) -> list[str]:
    """Refuse FUSION features this simulator lacks; with ignore_unsupported, list them."""
    ignoring = fusion_true(_get(sections, OURS, "ignore_unsupported"))
    found = []
    for section, key, changes, what in UNSUPPORTED:
        value = sections.get(section, {}).get(key)
        if value is None or not changes(value):
            continue
        if not ignoring:
            raise ConfigError.at(section, key, f"the built-in simulator does not implement "
                                               f"{what}, which changes FUSION's results; run "
                                               "it with FUSION, or set [builtin_settings] "
                                               "ignore_unsupported = True")
        found.append(f"{section}.{key}")
    return found


def _check_moved(sections: dict[str, dict[str, str]]) -> None:
    for old, new in MOVED.items():
        if old in sections.get(_G, {}):
            raise ConfigError.at(_G, old, f"a fusion-tui key, not FUSION's: it is now "
                                          f"[{OURS}] {new}")


def sim_config(sections: dict[str, dict[str, str]], base: Path, *, seed: int | None = None,
               check_invariants: bool = False) -> SimConfig:
    """The configuration as this simulator runs it, or ConfigError naming section and key.

    The one validator of a built-in run: `fusion-tui new`, the new-run form and
    `fusion-tui-sim` all call it, so they cannot disagree. `base` (the run folder) is not
    used to resolve paths: FUSION resolves them against its checkout, and so do we.
    """
    _check_moved(sections)
    schema.validate(sections, KEYS)
    ignored_features = _refuse_unsupported(sections)
    route = _get(sections, _G, "route_method")
    if route not in (None, "k_shortest_path"):
        raise ConfigError.at(_G, "route_method", f"only k_shortest_path is supported, got "
                                                 f"{route!r}")
    file_type = _get(sections, "file_settings", "file_type")
    if file_type not in (None, "json"):
        raise ConfigError.at("file_settings", "file_type", f"only json is supported, got "
                             f"{file_type!r}")
    try:
        topology = load_topology(str(_get(sections, _T, "network")), fusion_roots())
    except TopologyError as exc:
        raise ConfigError.at(_T, "network", str(exc)) from None
    topology = with_fusion_numbers(topology, fusion_roots())
    modulation = _modulation(sections)
    num_requests = int(sections[_G]["num_requests"])
    bandwidths, shares = _traffic(sections, modulation, num_requests)
    ignored = tuple(sorted(
        f"{section}.{key}" for section, keys in sections.items() for key in keys
        if key not in USED_KEYS.get(section, set())
    ))
    debug = (_get(sections, "debug", "check_invariants") or "False") == "True"
    early = _get(sections, OURS, "early_stop")
    allocation = sections[_G]["allocation_method"].strip()
    max_segments = int(_get(sections, _G, "max_segments") or 1)
    engine = _engine(sections, allocation, max_segments, check_invariants or debug)
    return SimConfig(
        erlangs=tuple(schema.erlang_values(sections)),
        max_iters=int(sections[_G]["max_iters"]),
        num_requests=num_requests,
        holding_time=float(sections[_G]["holding_time"]),
        bandwidths=bandwidths,
        probabilities=shares,
        guard_slots=int(sections[_G]["guard_slots"]),
        allocation=allocation,
        k_paths=int(sections["routing_settings"]["k_paths"]),
        cores=int(sections[_T]["cores_per_link"]),
        c_band=int(sections["spectrum_settings"]["c_band"]),
        fallback_formats=not fusion_true(_get(sections, _G, "pre_calc_mod_selection")),
        max_segments=max_segments,
        topology=topology,
        modulation=modulation,
        thread_num=_get(sections, _G, "thread_num") or "s1",
        seed=seed if seed is not None else int(_get(sections, OURS, "seed") or 0),
        warmup_requests=int(_get(sections, OURS, "warmup_requests") or 0),
        early_stop=early is None or early == "True",
        check_invariants=check_invariants or debug,
        ignored_keys=tuple(sorted(set(ignored) | set(ignored_features))),
        is_training=fusion_true(_get(sections, "rl_settings", "is_training")),
        engine=engine,
    )


COMPILED_ALLOCATIONS = ("first_fit", "last_fit")


def compiled_fits(allocation: str, max_segments: int, check_invariants: bool) -> bool:
    """Whether the compiled engine implements this run: first or last fit, no slicing,
    no invariant checks (it has no other shape of loop)."""
    return allocation in COMPILED_ALLOCATIONS and max_segments == 1 and not check_invariants


def _engine(sections: dict[str, dict[str, str]], allocation: str, max_segments: int,
            check_invariants: bool) -> str:
    """`[builtin_settings] engine`: auto (the default), python, or compiled, which must be
    installed (numba) and must implement the run, or the configuration is refused."""
    engine = _get(sections, OURS, "engine") or "auto"
    if engine != "compiled":
        return engine
    if importlib.util.find_spec("numba") is None:
        raise ConfigError.at(OURS, "engine", "compiled needs numba, which is not installed "
                                             "(pip install 'fusion-tui[fast]')")
    if not compiled_fits(allocation, max_segments, check_invariants):
        raise ConfigError.at(OURS, "engine", "the compiled engine runs first_fit or last_fit "
                                             "without slicing (max_segments = 1) or invariant "
                                             "checks; use engine = python or auto")
    return engine


def _modulation(sections: dict[str, dict[str, str]]) -> ModulationTable:
    assumption = _get(sections, _G, "mod_assumption") or "DEFAULT"
    table_path = _get(sections, _G, "mod_assumption_path")
    if table_path is None:
        if assumption != "DEFAULT":
            raise ConfigError.at(_G, "mod_assumption", f"{assumption!r} needs a "
                                                       "mod_assumption_path")
        return ModulationTable(DEFAULT_TABLE)
    given = Path(table_path).expanduser()
    candidates = [given] if given.is_absolute() else [root / given for root in fusion_roots()]
    for candidate in candidates:
        if candidate.exists():
            try:
                return ModulationTable.from_file(candidate, assumption)
            except ModulationError as exc:
                raise ConfigError.at(_G, "mod_assumption_path", str(exc)) from None
    where = ", ".join(str(c) for c in candidates)
    raise ConfigError.at(_G, "mod_assumption_path", f"{table_path!r} not found (looked for "
                                                    f"{where})")


def _traffic(sections: dict[str, dict[str, str]], modulation: ModulationTable,
             num_requests: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The bandwidths of the modulation set and their shares, checked as FUSION checks
    them: the quotas must add up exactly (a bandwidth without a share gets none)."""
    raw = sections[_G]["request_distribution"]
    try:
        mix = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        mix = None
    if not isinstance(mix, dict):
        raise ConfigError.at(_G, "request_distribution", "expected a dictionary of Gb/s to "
                                                         "share")
    shares = {float(bw): float(share) for bw, share in mix.items()}
    bandwidths = tuple(sorted(modulation.formats))
    for bw, share in shares.items():
        if share > 0 and bw not in modulation.formats:
            raise ConfigError.at(_G, "request_distribution",
                                 f"{bw:g} Gb/s is not in the modulation set")
    shares = {bw: shares.get(bw, 0.0) for bw in bandwidths}  # FUSION would need all
    quotas = sum(int(shares[bw] * num_requests) for bw in bandwidths)
    if quotas != num_requests:
        raise ConfigError.at(_G, "request_distribution",
                             f"the shares give {quotas} of {num_requests} requests (FUSION "
                             "takes int(share x num_requests) of each); choose shares and "
                             "num_requests that divide exactly")
    return bandwidths, tuple(shares[bw] for bw in bandwidths)
