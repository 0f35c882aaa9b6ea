"""The built-in simulator against FUSION 6.1's own expected results: each fixture of a
FUSION checkout (`tests/fixtures/expected_results/<case>/`) is run by `fusion-tui-sim` and
compared file by file by the rules of FUSION's comparator (`tests/run_comparison.py`).

    FUSION_HOME=~/FUSION python bench/fusion_fixtures.py [--only CASE ...] [--examples N]

FUSION_HOME is a FUSION checkout; only its fixtures are read, so a copy of its
`tests/fixtures` folder under any directory will do. Without it the script says so and
exits 0 (CI cannot download FUSION).

Per case: its `*_config.ini` with `mod_assumption_path` set to the case's own
`mod_formats.json` (as FUSION's comparator sets it). FUSION made these files with its
legacy runner, whose arrival rate is `cores_per_link x erlang / holding_time` and which
names each file after the Erlang value it was given, so the script offers the same
traffic: it runs `erlang_start`, `erlang_stop` and `erlang_step` times `cores_per_link`
and compares our `<cores x E>_erlang.json` with the case's `<E>_erlang.json` (a case
whose INI the built-in refuses is listed with the simulator's one-line reason).
`epsilon_greedy_bandit` was made by FUSION's RL workflow (one load, `erlang_stop =
erlang_start`); it runs here as the plain simulation its INI describes.

The comparison, as FUSION's comparator does it: every key of the expected file must be
in ours and every key of ours in the expected file, at every depth where both are
objects; numbers (booleans count as integers) match within 0.02 absolute; null matches
only null; lists match when of equal length and element by element; anything else must
be equal. Skipped: `route_times_*`, `sim_end_time`, `switchover_times`,
`protection_switchovers`, `protection_failures`, `failure_induced_blocks`,
`ci_rate_block`, `ci_percent_block`, `ci_percent_bit_rate_block`, anything under
`link_usage_dict`, `total_transponder_usage` or `frag_dict`, and `link_usage` (expected
side only). Mismatches are printed per key, iterations folded into `iter_stats.<i>`;
`fusion_tui` (our own key, which FUSION's comparator would call extra) is counted apart.
The built-in's request stream is not FUSION's (another generator), so values that
depend on it differ; keys, list lengths and stream-independent values should not.
"""

from __future__ import annotations

import argparse
import configparser
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path("tests") / "fixtures" / "expected_results"
IGNORE_KEYS = frozenset({
    "route_times_max", "route_times_mean", "route_times_min", "sim_end_time",
    "switchover_times", "protection_switchovers", "protection_failures",
    "failure_induced_blocks", "ci_rate_block", "ci_percent_block"})
SKIPPED_PARTS = ("link_usage_dict", "total_transponder_usage", "frag_dict")
OURS = "fusion_tui"
RL_CASES = frozenset({"epsilon_greedy_bandit", "ucb_bandit", "ppo"})


@dataclass(frozen=True)
class Mismatch:
    """One difference: where (a dotted path), what kind (missing, extra, length,
    value) and, for a value, both values."""

    path: str
    kind: str
    expected: object = None
    actual: object = None


def _skipped(key: str, path: str, *, expected_side: bool) -> bool:
    if key in IGNORE_KEYS or path in IGNORE_KEYS or key == "ci_percent_bit_rate_block":
        return True
    if any(part in path for part in SKIPPED_PARTS):
        return True
    return key == ("link_usage" if expected_side else "link_usage_dict")


def values_match(expected: object, actual: object) -> bool:
    """FUSION's comparator's rule for two values that are not both objects."""
    if expected is None or actual is None:
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=0.02)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            values_match(e, a) for e, a in zip(expected, actual, strict=True))
    return expected == actual


def compare(expected: Mapping[str, Any], actual: Mapping[str, Any],
            path: str = "") -> list[Mismatch]:
    """Every difference between two result documents, both ways, by FUSION's rules."""
    out: list[Mismatch] = []
    for key, want in expected.items():
        here = f"{path}.{key}" if path else key
        if _skipped(key, here, expected_side=True):
            continue
        if key not in actual:
            out.append(Mismatch(here, "missing"))
            continue
        got = actual[key]
        if isinstance(want, dict) and isinstance(got, dict):
            out += compare(want, got, here)
        elif not values_match(want, got):
            kind = "length" if isinstance(want, list) and isinstance(got, list) \
                and len(want) != len(got) else "value"
            out.append(Mismatch(here, kind, want, got))
    for key in actual:
        here = f"{path}.{key}" if path else key
        if key not in expected and not _skipped(key, here, expected_side=False):
            out.append(Mismatch(here, "extra"))
    return out


def folded(path: str) -> str:
    """A mismatch's key with the iteration folded: `iter_stats.3.x` -> `iter_stats.<i>.x`."""
    return re.sub(r"^iter_stats\.\d+", "iter_stats.<i>", path)


@dataclass
class CaseReport:
    """What one case gave: refused (with our reason) or the mismatches per file."""

    name: str
    refused: str | None = None
    note: str = ""
    files: dict[str, list[Mismatch]] = field(default_factory=dict)
    seconds: float = 0.0


def _read_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(path)
    return parser


def our_config(case: Path, out: Path) -> tuple[Path, float]:
    """The case's INI as we run it (see the module's docstring), and the factor by which
    its loads are multiplied."""
    (ini,) = sorted(case.glob("*_config.ini"))
    parser = _read_ini(ini)
    general = parser["general_settings"]
    general["mod_assumption_path"] = str((case / "mod_formats.json").resolve())
    cores = float(parser.get("topology_settings", "cores_per_link", fallback="1"))
    if case.name in RL_CASES:
        general["erlang_stop"] = general["erlang_start"]
    for key in ("erlang_start", "erlang_stop", "erlang_step"):
        general[key] = f"{float(general[key]) * cores:g}"
    path = out / ini.name
    with path.open("w") as fh:
        parser.write(fh)
    return path, cores


def expected_files(case: Path) -> dict[str, Path]:
    """Expected result file name (without the case prefix) -> file."""
    out = {}
    for path in sorted(case.glob("*.json")):
        if path.name == "mod_formats.json":
            continue
        name = path.name.removeprefix(case.name + "_")
        out[name] = path
    return out


def run_case(home: Path, case: Path, work: Path) -> CaseReport:
    report = CaseReport(case.name)
    config, cores = our_config(case, work)
    if cores != 1:
        report.note = f"loads x {cores:g} (FUSION's legacy runner: cores x Erlang)"
    if case.name in RL_CASES:
        report.note += "; FUSION made it with its RL workflow, this is a plain run"
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config), "--run_id",
         case.name, "--output_dir", str(work / "output"), "--workers", "2"],
        cwd=ROOT, env={**os.environ, "FUSION_TUI_FUSION_HOME": str(home)},
        capture_output=True, text=True, check=False)
    report.seconds = time.monotonic() - began
    if done.returncode == 2:
        report.refused = done.stderr.strip().removeprefix("fusion-tui-sim: ")
        return report
    if done.returncode != 0:
        raise SystemExit(f"{case.name}: fusion-tui-sim exited {done.returncode}:\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    for name, path in expected_files(case).items():
        erlang = float(name.split("_")[0])
        ours = work / "output" / f"{erlang * cores}_erlang.json"
        if not ours.is_file():
            report.files[name] = [Mismatch(name, "file not produced")]
            continue
        report.files[name] = compare(json.loads(path.read_text()),
                                     json.loads(ours.read_text()))
    return report


def print_report(report: CaseReport, examples: int) -> None:
    if report.refused is not None:
        print(f"{report.name}: refused: {report.refused}")
        return
    total = sum(len(m) for m in report.files.values())
    note = f" ({report.note})" if report.note else ""
    print(f"{report.name}: loaded{note}, {report.seconds:.1f} s; "
          + ", ".join(f"{name} {len(m)}" for name, m in report.files.items())
          + f" mismatches ({total} in all)")
    by_key: Counter[tuple[str, str]] = Counter()
    shown: defaultdict[tuple[str, str], list[Mismatch]] = defaultdict(list)
    for mismatches in report.files.values():
        for m in mismatches:
            key = (folded(m.path), m.kind)
            by_key[key] += 1
            shown[key].append(m)
    ours = {k: n for k, n in by_key.items() if k[0].split(".")[-1] == OURS}
    kinds: Counter[str] = Counter()
    for (path, kind), n in by_key.items():
        if (path, kind) not in ours:
            kinds[kind] += n
    print("  by kind: " + (", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
                          or "none") + (f"; our own key {OURS}: {sum(ours.values())} extra"
                                        if ours else ""))
    for (path, kind), n in sorted(by_key.items()):
        if (path, kind) in ours:
            continue
        print(f"    {n:5d}  {kind:<8} {path}")
        for m in shown[(path, kind)][:examples]:
            print(f"             {m.path}: expected {m.expected!r:.60} got {m.actual!r:.60}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", help="run only this case")
    parser.add_argument("--examples", type=int, default=0,
                        help="show this many differing values per key")
    args = parser.parse_args()
    home_env = os.environ.get("FUSION_HOME")
    if not home_env:
        print("skipped: set FUSION_HOME to a FUSION 6.1 checkout (or a folder holding its "
              "tests/fixtures) to compare with FUSION's expected results")
        return 0
    home = Path(home_env).expanduser()
    root = home / FIXTURES
    if not root.is_dir():
        print(f"fusion_fixtures: {root} is not a folder (FUSION_HOME must hold "
              f"{FIXTURES})", file=sys.stderr)
        return 2
    cases = sorted(p for p in root.iterdir() if p.is_dir())
    unknown = sorted(set(args.only or ()) - {c.name for c in cases})
    if unknown:
        print(f"fusion_fixtures: no such case: {', '.join(unknown)}", file=sys.stderr)
        return 2
    loaded = refused = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            if args.only and case.name not in args.only:
                continue
            work = Path(tmp) / case.name
            work.mkdir()
            report = run_case(home, case, work)
            print_report(report, args.examples)
            loaded += report.refused is None
            refused += report.refused is not None
    print(f"{loaded} loaded, {refused} refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
