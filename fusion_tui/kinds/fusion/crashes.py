"""Settings FUSION 6.1 accepts and then crashes on (or silently runs to nothing), kept in
one place: `doctor -t`, the new-run form and `fusion-tui new` warn about each one found in
a configuration, one line each naming FUSION's own error, before a run is made.

Each entry says how it was found: read in FUSION's code at commit 973983bc (file:line)
and, where marked "run", reproduced with FUSION's own engine on a small NSFNet
configuration (2 iterations of 2,000 requests). These are warnings, not refusals: some
depend on the traffic (guard slots crash once the spectrum fragments), and a later FUSION
may fix them.
"""

from __future__ import annotations

from fusion_tui.config.schema import Sections
from fusion_tui.kinds.formats import crash_rules
from fusion_tui.kinds.formats.crash_rules import (
    SNR,
    Crash,
    G,
    T,
    Values,
    file_type_not_json,
    missing_bandwidth,
    priority_without_seven_cores,
    unknown_value,
)
from fusion_tui.kinds.fusion.schema import ALLOCATION_METHODS

# What FUSION 6.1's engine dispatches on; any other value raises on the first request.
ROUTE_METHODS = ("shortest_path", "k_shortest_path", "least_congested", "cong_aware",
                 "congestion_aware", "frag_aware", "fragmentation_aware", "nli_aware",
                 "xt_aware", "external_ksp", "1plus1_protection")
SNR_TYPES = ("None", "snr_calc_nli", "xt_calculation", "gsnr", "snr_e2e_external_resources")
READER = "FUSION 6.1"


def _guard_first_fit(v: Values) -> str | None:
    if v.guard is not None and v.guard >= 2 and v.allocation in ("first_fit", "priority_first"):
        return f"[{G}] guard_slots = {v.guard} with {v.allocation}"
    return None


def _guard_best_fit(v: Values) -> str | None:
    if v.guard == 1 and v.allocation == "best_fit":
        return f"[{G}] guard_slots = 1 with best_fit"
    return None


def _last_fit(v: Values) -> str | None:
    return f"[{G}] allocation_method = last_fit" if v.allocation == "last_fit" else None


def _priority_last_blocks(v: Values) -> str | None:
    cores = v.number(T, "cores_per_link")
    if v.allocation == "priority_last" and cores is not None and cores >= 7:
        return f"[{G}] allocation_method = priority_last"
    return None


def _dynamic_slicing(v: Values) -> str | None:
    segments = v.number(G, "max_segments")
    snr = v.text(SNR, "snr_type")
    if v.true(G, "dynamic_lps") and segments is not None and segments > 1 \
            and snr not in ("gsnr", "snr_e2e_external_resources"):
        return f"[{G}] dynamic_lps = True with snr_type = {snr or 'None'}"
    return None


CRASHES: tuple[Crash, ...] = (
    Crash(_guard_first_fit,
          "crashes once the spectrum fragments, in the first iteration of every run tried: "
          "BufferError: Attempted to allocate a taken spectrum (or an IndexError at the "
          "band's end); use guard_slots 0 or 1",
          "sdn_controller.py:237-238 and modules/spectrum/utils.py:116-144 (a lightpath "
          "takes s + 2g - 1 slots, only s + g checked); run: IndexError and BufferError in "
          "iteration 0"),
    Crash(_guard_best_fit,
          "crashes at its first one-slot lightpath: BufferError: Attempted to allocate a "
          "taken spectrum; use guard_slots 0 or 2",
          "spectrum_assignment.py:85-86 (end_slot overwritten), sdn_controller.py:304; "
          "run: BufferError in iteration 0"),
    Crash(_last_fit,
          "crashes at its first request on a path of three or more nodes: ValueError: "
          "Spectrum set cannot be empty",
          "modules/spectrum/utils.py:57-69,140-141; run: ValueError in iteration 0"),
    Crash(priority_without_seven_cores,
          "crashes at its first request: IndexError (its core order is fixed at "
          "0, 2, 4, 1, 3, 5, 6, so it needs 7 cores)",
          "spectrum_assignment.py:157-161,188-194; run with 1 core: IndexError"),
    Crash(_priority_last_blocks,
          "does not crash but blocks every request of two or more slots (it checks a "
          "reversed window with first fit's end)",
          "modules/spectrum/utils.py:140-143; run with 7 cores: blocking 1.0"),
    Crash(unknown_value(G, "route_method", ROUTE_METHODS),
          "crashes at its first request: NotImplementedError: Routing method ... not "
          "recognized",
          "routing.py:31-40,205 and modules/routing/registry.py:21-61; run: route_method "
          "= foo"),
    Crash(unknown_value(G, "allocation_method", ALLOCATION_METHODS),
          "crashes at its first request: NotImplementedError: Expected first_fit or "
          "best_fit",
          "spectrum_assignment.py:359-374 (read)"),
    Crash(unknown_value(SNR, "snr_type", SNR_TYPES),
          "crashes at its first request that finds free spectrum: NotImplementedError: "
          "Unexpected snr_type flag (the names are case-sensitive: None, not none)",
          "snr_measurements.py:1131 via spectrum_assignment.py:744-747; run: snr_type = "
          "none"),
    Crash(_dynamic_slicing,
          "crashes at its first request it must slice: NotImplementedError: Unexpected "
          "snr_type flag got: None (dynamic slicing needs snr_type gsnr)",
          "spectrum_assignment.py:800,831 and snr_measurements.py:1389; run"),
    Crash(file_type_not_json,
          "crashes at its first save, the end of iteration 0: NotImplementedError (it "
          "writes json only)",
          "persistence.py:55,127; run: file_type = csv"),
    Crash(missing_bandwidth,
          "crashes before its first request: KeyError (every bandwidth of the modulation "
          "set needs a share, 0 included)",
          "request.py:215; run: request_distribution = {\"100\": 1.0} gives KeyError: "
          "'25'"),
)


def warnings(sections: Sections) -> list[str]:
    """One line per setting of `sections` FUSION 6.1 is known to crash on."""
    return crash_rules.warnings(CRASHES, sections, READER)
