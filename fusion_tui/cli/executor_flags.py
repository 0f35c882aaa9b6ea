"""The flags of `new` and `sweep new` that say where runs execute and what they ask of
that executor, built from the executors' descriptions (each option named like its
setting): a group of flags per executor that takes options."""

from __future__ import annotations

import argparse

from fusion_tui.executors.descriptions import DESCRIPTIONS


def add_executor_flags(s: argparse.ArgumentParser) -> None:
    s.add_argument("--executor", "-x", choices=list(DESCRIPTIONS),
                   help="where the runs execute (default: the template's, else the setting)")
    for description in DESCRIPTIONS.values():
        if not description.options:
            continue
        group = s.add_argument_group(f"{description.title} (with --executor "
                                     f"{description.name}; override settings/template)")
        for option in description.options:
            group.add_argument(*option.spellings, dest=option.name, metavar=option.metavar,
                               help=option.help)


def batch_limit_help() -> str:
    """What `--array-limit` means, on each executor that submits a sweep as one batch."""
    return "; ".join(f"{d.title}: {d.batch_limit}".replace("%", "%%")
                     for d in DESCRIPTIONS.values() if d.batch_limit)


def executor_options(args: argparse.Namespace) -> dict[str, str | None]:
    """Every executor option's flag as given (None where not), for the run or sweep
    manager (the chosen executor takes its own)."""
    return {o.name: getattr(args, o.name) for d in DESCRIPTIONS.values() for o in d.options}
