"""Helpers for simulator tests: write configs, run the real `python -m fusion_tui.sim`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fusion_tui.base.resources import shipped_templates_dir

BASE = (shipped_templates_dir() / "minimal.ini").read_text()


def write_config(folder: Path, **changes: str) -> Path:
    """minimal.ini with `section.key` -> value replaced or added."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(BASE)
    parser.remove_section("fusion_tui")
    for target, value in changes.items():
        section, key = target.split(".", 1)
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, key, value)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.ini"
    with open(path, "w") as fh:
        parser.write(fh)
    return path


def run_sim(config: Path, out: Path, *extra: str,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config), "--run_id", "t",
         "--progress_file", str(out / "progress.jsonl"), "--output_dir", str(out / "output"),
         *extra], capture_output=True, text=True, timeout=timeout)


def summary(out: Path) -> list[dict[str, str]]:
    import csv

    with open(out / "output" / "summary.csv") as fh:
        return list(csv.DictReader(fh))


def events(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "progress.jsonl").read_text().splitlines()]
