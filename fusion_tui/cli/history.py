"""Looking back over runs: `diff` (the config keys that differ between two runs) and
`stats` (counts, success rate and durations)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnStore, Quick
from fusion_tui.cli.output import emit

if TYPE_CHECKING:
    from fusion_tui.services import Services
    from fusion_tui.store.run_stats import RunStats


def register(commands: Commands) -> None:
    s = commands.add("diff", OnStore(cmd_diff, schedule=False),
                     help="config keys that differ between two runs")
    s.add_argument("a")
    s.add_argument("b")
    s = commands.add("stats", OnStore(cmd_stats, schedule=False, quick=quick_stats),
                     help="run statistics (your runs)")
    s.add_argument("--all", "-a", action="store_true", help="every user's runs, not just yours")


def config_diff(a: dict[str, dict[str, str]],
                b: dict[str, dict[str, str]]) -> list[tuple[str, str | None, str | None]]:
    """(section.key, value in a, value in b) for every key whose value differs."""
    keys = sorted({(s, k) for side in (a, b) for s, values in side.items() for k in values})
    out = []
    for section, key in keys:
        left, right = a.get(section, {}).get(key), b.get(section, {}).get(key)
        if left != right:
            out.append((f"{section}.{key}", left, right))
    return out


# The widest value `diff` puts in a column; a longer one is written out whole.
DIFF_COLUMN = 40


def cmd_diff(args: argparse.Namespace, svc: Services) -> int:
    """The config keys that differ between two runs (their frozen configs)."""
    a, b = svc.manager.resolve(args.a), svc.manager.resolve(args.b)
    rows = config_diff(json.loads(a.config_json), json.loads(b.config_json))
    data = {"a": a.id, "b": b.id, "same_config": a.config_hash is not None
            and a.config_hash == b.config_hash,
            "differences": [{"key": k, "a": x, "b": y} for k, x, y in rows]}

    def text() -> str:
        """A table while both values fit a column; a longer pair is written out whole
        under its key, one line each, so the difference is never cut off."""
        if not rows:
            return f"{a.id} and {b.id}: no config key differs"
        shown = [(k, one_line("-" if x is None else x, 2000),
                  one_line("-" if y is None else y, 2000)) for k, x, y in rows]
        width = max(len(k) for k, _, _ in shown)
        fits = [x for _, x, y in shown if max(len(x), len(y)) <= DIFF_COLUMN]
        column = max([len(a.id), *(len(x) for x in fits)])
        lines = [f"{'key':<{width}}  {a.id:<{column}}  {b.id}"]
        for k, x, y in shown:
            if max(len(x), len(y)) <= DIFF_COLUMN:
                lines.append(f"{k:<{width}}  {x:<{column}}  {y}")
            else:
                lines += [k, f"  {a.id}: {x}", f"  {b.id}: {y}"]
        return "\n".join(lines)

    emit(args, data, text)
    return 0


def cmd_stats(args: argparse.Namespace, svc: Services) -> int:
    _print_stats(args, svc.store.stats(owner=None if args.all else svc.manager.user))
    return 0


def quick_stats(args: argparse.Namespace, q: Quick) -> int:
    """`stats` read the quick way."""
    _print_stats(args, q.store.stats(None if args.all else q.user))
    return 0


def _print_stats(args: argparse.Namespace, stats: RunStats) -> None:
    def text() -> str:
        counts = "  ".join(f"{k.lower()} {v}" for k, v in stats.counts.items())
        rate = "-" if stats.success_rate is None else f"{stats.success_rate * 100:.1f}%"
        mean = "-" if stats.mean_duration is None else f"{stats.mean_duration:.1f} s"
        median = "-" if stats.median_duration is None else f"{stats.median_duration:.1f} s"
        return (f"runs {stats.total}: {counts}\nsuccess rate {rate}\n"
                f"duration of completed runs: mean {mean}, median {median}")

    emit(args, stats.as_dict(), text)
