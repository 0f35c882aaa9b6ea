"""The built-in simulator's results are pinned: the same configuration and seed give
bit-identical result files, whatever is done to make the engine faster.

`tests/data/sim_pins/*.ini` are the configurations (the peers' protocol, several cores
with every bandwidth and a warm-up, slicing with best fit, last fit); `expected.json`
holds the SHA-256 of every file each one writes, made by the engine of main 891aef9,
before any speed work. The one value that is not the simulation's, `sim_end_time` (the
wall clock), is blanked before hashing. Both engines must give them: the pure one, and
the compiled one (sim/compiled.py) on every configuration it implements. Real
`python -m fusion_tui.sim` processes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PINS = Path(__file__).resolve().parents[1] / "data" / "sim_pins"
END_TIME = re.compile(rb'"sim_end_time": "[0-9_]+"')


def result_hashes(output: Path) -> dict[str, str]:
    """{file name: SHA-256} of a run's result files, the wall clock blanked."""
    return {path.name: hashlib.sha256(END_TIME.sub(b'"sim_end_time": ""',
                                                   path.read_bytes())).hexdigest()
            for path in sorted(output.iterdir())}


def simulate(config: Path, output: Path, workers: int, engine: str = "python"
             ) -> dict[str, str]:
    """Run the real simulator on `config` with `[builtin_settings] engine` set, and hash
    what it wrote."""
    text = config.read_text().replace("[builtin_settings]\n",
                                      f"[builtin_settings]\nengine = {engine}\n")
    assert f"engine = {engine}" in text
    config = output.parent / f"{config.stem}-{engine}.ini"
    config.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "FUSION_TUI_FUSION_HOME"}
    done = subprocess.run(
        [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
         "--output_dir", str(output), "--workers", str(workers)],
        capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return result_hashes(output)


EXPECTED: dict[str, dict[str, str]] = json.loads((PINS / "expected.json").read_text())


COMPILED = sorted(set(EXPECTED) - {"slicing_best_fit"})  # what the compiled engine runs


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_result_files_are_bit_identical_to_the_pin(tmp_path: Path, name: str,
                                                   workers: int) -> None:
    assert simulate(PINS / f"{name}.ini", tmp_path / "out", workers) == EXPECTED[name]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", COMPILED)
def test_the_compiled_engine_writes_the_pinned_files(tmp_path: Path, name: str,
                                                     workers: int) -> None:
    pytest.importorskip("numba")
    assert simulate(PINS / f"{name}.ini", tmp_path / "out", workers,
                    "compiled") == EXPECTED[name]


def test_every_pinned_configuration_has_its_hashes() -> None:
    assert sorted(EXPECTED) == sorted(p.stem for p in PINS.glob("*.ini"))
    assert all(len(files) >= 2 for files in EXPECTED.values())
