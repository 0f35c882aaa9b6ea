"""A FUSION checkout for the tests: the stand-in of FUSION 6.x (tests/standin_fusion, a
`fusion/` package) or of its 5.5 line (tests/standin_fusion55, a top-level `run_sim.py`)
with the data files they read, and the shipped FUSION templates' sections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.config.templates import load_template
from fusion_tui.sim.modulation import DEFAULT_TABLE
from fusion_tui.sim.topology import load_topology

STANDIN = Path(__file__).resolve().parent / "standin_fusion"
STANDIN55 = Path(__file__).resolve().parent / "standin_fusion55"
SMALL = ["general_settings.erlang_stop=600", "general_settings.max_iters=4",
         "general_settings.print_step=15"]
# The 5.5 line leaves erlang_stop out: loads 300 and 600.
SMALL55 = ["general_settings.erlang_stop=900", "general_settings.max_iters=3",
           "general_settings.num_requests=100"]
GROOMING_BRANCH = "2db135b2" + "0" * 32  # a commit id the tests' .git names


def make_checkout(root: Path, line: str = "6.x") -> Path:
    """A FUSION 'checkout' of `line` ("6.x" or "5.5": on the grooming branch, with a .git
    naming it) holding the stand-in and the data files it reads."""
    home = root / "FUSION"
    if line == "5.5":
        home.mkdir(parents=True)
        shutil.copy(STANDIN55 / "run_sim.py", home / "run_sim.py")
        (home / "src").mkdir()
        (home / "arg_scripts").mkdir()
        (home / "arg_scripts" / "config_args.py").write_text("'snr_margin': float,\n")
        git = home / ".git"
        (git / "refs" / "heads" / "feature").mkdir(parents=True)
        (git / "HEAD").write_text("ref: refs/heads/feature/grooming-new\n")
        (git / "refs" / "heads" / "feature" / "grooming-new").write_text(GROOMING_BRANCH + "\n")
    else:
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
    """The sections of a shipped FUSION template (`fusion`, `fusion55`)."""
    return load_template(name, [shipped_templates_dir()])[1]
