"""Write a FUSION INI for the bench scripts: a base file with `section.key` changes."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "data" / "templates" / "fusion.ini"


def write_ini(path: Path, changes: dict[str, str], base: Path = TEMPLATE) -> None:
    """`base` (our fusion template unless given, its [fusion_tui] section dropped) with
    `changes` applied, written to `path`."""
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(base)
    parser.remove_section("fusion_tui")
    for key, value in changes.items():
        section, name = key.split(".", 1)
        if not parser.has_section(section):
            parser.add_section(section)
        parser[section][name] = value
    with path.open("w") as fh:
        parser.write(fh)
