"""From sweeps to a paper: `report` (figures, tables, provenance appendix and a
reproduction bundle in one folder) and `reproduce` (a bundle back into the same sweeps:
the same frozen configs and config hashes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnStore
from fusion_tui.cli.output import emit
from fusion_tui.executors.descriptions import DESCRIPTIONS

if TYPE_CHECKING:
    from fusion_tui.services import Services

SIZES = ("column", "page")  # report/sizes.py's presets, named here without importing it


def register(commands: Commands) -> None:
    v = commands.add("report", OnStore(cmd_report, schedule=False),
                     help="figures, tables, provenance and a reproduction bundle into a folder")
    v.add_argument("ids", nargs="+", metavar="SWEEP_ID", help="one sweep or several")
    v.add_argument("-o", "--output", required=True, metavar="FOLDER",
                   help="a new or empty folder (--force: replace the report's files in it)")
    v.add_argument("--force", "-f", action="store_true",
                   help="write into a folder that is not empty (never through a link)")
    v.add_argument("--size", choices=SIZES, default="column",
                   help="figure width: an IEEE column (3.5 in) or a full page (7.16 in)")
    v.add_argument("--no-figures", action="store_true", help="the tables, appendix and "
                                                             "bundle only")
    v.add_argument("--by", help="group by these keys (comma-separated; default: the grid's)")
    v.add_argument("--baseline", metavar="KEY=VALUE",
                   help="the group the others are compared with")
    v.add_argument("--spread", choices=["interval", "sd", "minmax"], default="interval")
    v.add_argument("--metric", default="blocking", choices=["blocking", "bit_rate_blocking"])
    v.add_argument("--title", help="a title over the figure and the table (none by default)")
    v = commands.add("reproduce", OnStore(cmd_reproduce),
                     help="make a report's bundle into the same sweeps again")
    v.add_argument("bundle", metavar="BUNDLE", help="bundle.tar.gz, or the folder it "
                                                    "was unpacked into")
    v.add_argument("--executor", "-x", choices=list(DESCRIPTIONS),
                   help="where the runs execute (default: the template's, else the setting)")


def cmd_report(args: argparse.Namespace, svc: Services) -> int:
    # the report layer (SQLAlchemy; matplotlib when drawing): not at start-up
    from fusion_tui.report import folder
    from fusion_tui.report.build import Options, build
    from fusion_tui.report.sizes import size_named

    out = Path(args.output).expanduser()
    folder.check(out, force=args.force)
    by = [k.strip() for k in args.by.split(",") if k.strip()] if args.by else []
    report = build(svc.sweeps, args.ids, Options(
        size_named(args.size), metric=args.metric, by=by, baseline=args.baseline,
        spread=args.spread, figures=not args.no_figures, title=args.title))
    for warning in report.warnings:
        print(f"fusion-tui: warning: {one_line(warning, 300)}", file=sys.stderr)
    folder.write(out, report.files, force=args.force)
    emit(args, {"folder": str(out), "files": sorted(report.files), "series": report.series,
                "notes": report.notes},
         lambda: "\n".join([f"{out}: {', '.join(sorted(report.files))}",
                            *(f"note: {n}" for n in report.notes)]))
    return 0


def cmd_reproduce(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.report.reproduce import reproduce  # SQLAlchemy: not at start-up

    made = reproduce(svc.sweeps, Path(args.bundle).expanduser(), executor=args.executor)
    emit(args, [{"from": old, "sweep": d.sweep.id, "runs": len(d.runs)} for old, d in made],
         lambda: "\n".join(f"sweep {d.sweep.id}: {len(d.runs)} run(s) from the frozen configs "
                           f"of sweep {one_line(old, 40)}" for old, d in made))
    return 0
