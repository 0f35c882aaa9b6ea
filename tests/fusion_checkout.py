"""A FUSION checkout for the tests: the stand-in package (tests/standin_fusion) with the
data files it reads, and the shipped FUSION template's sections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.config.templates import load_template
from fusion_tui.sim.modulation import DEFAULT_TABLE
from fusion_tui.sim.topology import load_topology

STANDIN = Path(__file__).resolve().parent / "standin_fusion"
SMALL = ["general_settings.erlang_stop=600", "general_settings.max_iters=4",
         "general_settings.print_step=15"]


def make_checkout(root: Path) -> Path:
    """A FUSION 'checkout' holding the stand-in package and the data files it reads."""
    home = root / "FUSION"
    shutil.copytree(STANDIN / "fusion", home / "fusion")
    mods = home / "data" / "json_input" / "example_mods"
    mods.mkdir(parents=True)
    table = {f"{bw:g}": {name: {"max_length": reach, "slots_needed": slots}
                         for name, reach, slots in formats}
             for bw, formats in DEFAULT_TABLE.items()}
    (mods / "default_mod_formats.json").write_text(json.dumps({"DEFAULT": table}))
    raw = home / "data" / "raw"
    raw.mkdir(parents=True)
    nsf = load_topology("NSFNet")
    (raw / "nsf_network.txt").write_text("".join(
        f"{u}\t{v}\t{length:g}\n{v}\t{u}\t{length:g}\n" for u, v, length in nsf.links))
    (home / "data" / "output").mkdir()
    return home


def fusion_sections(name: str = "fusion") -> dict[str, dict[str, str]]:
    return load_template(name, [shipped_templates_dir()])[1]
