"""Settings FUSION's 5.5 line accepts and then crashes on, kept in one place: `doctor -t`,
the new-run form and `fusion-tui new` warn about each one, naming FUSION's error. Its
worker prints the error and the run still exits 0 with loads missing, which the "every
planned load has its result" rule then calls FAILED.

Found by running tag v5.5.1 (9af6e764) and `feature/grooming-new` (2db135b2) on
toy_network and NSFNet, each crash in the first iteration, and read in their code
(file:line at v5.5.1 unless said).
"""

from __future__ import annotations

from fusion_tui.config.schema import Sections
from fusion_tui.kinds.formats import crash_rules
from fusion_tui.kinds.formats.crash_rules import (
    Crash,
    G,
    T,
    Values,
    file_type_not_json,
    missing_bandwidth,
    priority_without_seven_cores,
    unknown_value,
)
from fusion_tui.kinds.fusion55.schema import ALLOCATION_METHODS

READER = "FUSION's 5.5 line"
# What its routing dispatches on (src/routing.py); others: NotImplementedError.
ROUTE_METHODS = ("k_shortest_path", "least_congested", "cong_aware", "frag_aware",
                 "shortest_path", "nli_aware", "xt_aware", "external_ksp")


def _guard(v: Values) -> str | None:
    return f"[{G}] guard_slots = {v.guard}" if v.guard is not None and v.guard >= 2 else None


def _best_fit(v: Values) -> str | None:
    if v.allocation == "best_fit" and v.guard is not None and v.guard >= 1:
        return f"[{G}] allocation_method = best_fit with guard_slots = {v.guard}"
    return None


def _route_without_formats(v: Values) -> str | None:
    route = v.text(G, "route_method")
    return f"[{G}] route_method = {route}" if route in ("shortest_path", "nli_aware") else None


def _external_ksp(v: Values) -> str | None:
    if v.text(G, "route_method") == "external_ksp" and v.text(T, "network") != "USbackbone60":
        return f"[{G}] route_method = external_ksp on {v.text(T, 'network')}"
    return None


def _xt_aware_cores(v: Values) -> str | None:
    cores = v.number(T, "cores_per_link")
    if v.text(G, "route_method") == "xt_aware" and cores is not None and cores < 7:
        return f"[{G}] route_method = xt_aware with cores_per_link = {cores}"
    return None


def _dynamic_slicing(v: Values) -> str | None:
    segments = v.number(G, "max_segments")
    if v.true(G, "dynamic_lps") and segments is not None and segments > 1:
        return f"[{G}] dynamic_lps = True with max_segments = {segments}"
    return None


def _partial_service(v: Values) -> str | None:
    return f"[{G}] can_partially_serve = True" if v.true(G, "can_partially_serve") else None


def _snapshots(v: Values) -> str | None:
    return f"[{G}] save_snapshots = True" if v.true(G, "save_snapshots") else None


CRASHES: tuple[Crash, ...] = (
    Crash(_guard, "crashes in its first iteration: BufferError: Attempted to allocate a "
                  "taken spectrum (or an IndexError at the band's end; it writes one guard "
                  "slot only); use 0 or 1",
          "src/sdn_controller.py:55-60 (_allocate_gb; branch :106-108); run on both"),
    Crash(_best_fit, "crashes in its first iteration: BufferError: Attempted to allocate a "
                     "taken spectrum (its end slot drops the guard)",
          "src/spectrum_assignment.py:45-46, src/sdn_controller.py:89-90; run on both"),
    Crash(priority_without_seven_cores,
          "crashes at its first request: IndexError (its core order is fixed at 0, 2, 4, "
          "1, 3, 5, 6, so it needs 7 cores)",
          "src/spectrum_assignment.py:88; run on both with 1 core"),
    Crash(_route_without_formats, "crashes at its first request: AttributeError: 'SDNProps' "
                                  "object has no attribute 'mod_formats'",
          "src/routing.py:106; run on both"),
    Crash(_external_ksp, "crashes at its first request: ValueError: Missing precalculated "
                         "path dataset (only USbackbone60 ships one)",
          "run on the branch with toy_network"),
    Crash(_xt_aware_cores, "crashes at its first request: IndexError (it assumes 7 cores)",
          "run on the branch with 1 core"),
    Crash(unknown_value(G, "route_method", ROUTE_METHODS),
          "crashes at its first request: NotImplementedError: Routing method not "
          "recognized", "src/routing.py:367-368"),
    Crash(unknown_value(G, "allocation_method", ALLOCATION_METHODS),
          "crashes at its first request: NotImplementedError: Expected first_fit or "
          "best_fit", "src/spectrum_assignment.py:247"),
    Crash(_dynamic_slicing, "crashes at its first request it must slice: "
                            "NotImplementedError (v5.5.1: dynamic slicing for a non-fixed grid "
                            "is not implemented; the branch: Unexpected snr_type flag)",
          "src/sdn_controller.py:198; branch src/snr_measurements.py:964; run on both"),
    Crash(_partial_service, "(the grooming branch) crashes at its first request: TypeError: "
                            "'<' not supported between instances of 'NoneType' and 'int'",
          "branch src/sdn_controller.py:574; run"),
    Crash(_snapshots, "(tag v5.5.1) crashes at its first snapshot: TypeError: '>' not "
                      "supported between instances of 'str' and 'int'",
          "helper_scripts/stats_helpers.py:73; run; the branch works"),
    Crash(file_type_not_json, "crashes at its first save: NotImplementedError (it writes "
                              "json only)", "helper_scripts/stats_helpers.py:447-448"),
    Crash(missing_bandwidth, "crashes before its first request: KeyError (every bandwidth "
                             "of the modulation set needs a share, 0 included)",
          "src/request_generator.py:24-33; run: KeyError: '25'"),
)


def warnings(sections: Sections) -> list[str]:
    """One line per setting of `sections` the 5.5 line is known to crash on."""
    return crash_rules.warnings(CRASHES, sections, READER)
