"""The checks of a template's files both FUSION lines' doctors make: its modulation file
and its network's topology file, in the checkout (both lines read them from there), and
the settings the line is known to crash on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from fusion_tui.kinds.formats.networks import NETWORK_FILES
from fusion_tui.kinds.kind import Check

Sections = Mapping[str, Mapping[str, str]]


def crash_checks(warnings: Callable[[Sections], list[str]], sections: Sections,
                 template: str) -> list[Check]:
    return [Check("crash", template, f"template {template!r}: {warning}")
            for warning in warnings(sections)]


def modulation_check(sections: Sections, home: Path, template: str,
                     hint: Callable[[str], str] | None = None) -> list[Check]:
    """Its mod_assumption_path, relative to the checkout as FUSION reads it (none: the
    line's default, not checked here); `hint` adds a word on a missing one."""
    mods = sections.get("general_settings", {}).get("mod_assumption_path", "").strip()
    if not mods or mods == "None":
        return []
    path = Path(mods).expanduser()
    path = path if path.is_absolute() else home / path
    if path.is_file():
        return [Check("modulation", str(path))]
    more = f"; {hint(mods)}" if hint else ""
    return [Check("modulation", str(path),
                  f"template {template!r}: mod_assumption_path {mods!r} does not exist in "
                  f"the checkout ({path}){more}")]


def network_check(sections: Sections, home: Path, template: str, reader: str) -> Check:
    """Its network: a name the line knows, whose topology file the checkout holds."""
    network = sections.get("topology_settings", {}).get("network", "").strip()
    name = NETWORK_FILES.get(network)
    if name is None:
        return Check("network", network,
                     f"template {template!r}: {reader} knows no network {network!r} "
                     f"(it knows {', '.join(NETWORK_FILES)})")
    topo = home / "data" / "raw" / name
    if topo.is_file():
        return Check("network", f"{network}: {topo}")
    return Check("network", str(topo), f"template {template!r}: {topo} is missing from the "
                                       "checkout")
