"""Labels: `tag` (add, remove or list the tags of runs and sweeps) and `note` (set, clear
or print the note of a run or a sweep).

An id is a run's or a sweep's (full, or a unique prefix of 4+ characters); `@last` (or
`-`) is your newest run. A change is all or nothing: every id is found and every tag is
checked before anything changes, else one line and exit 2.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnStore, UsageError
from fusion_tui.cli.output import emit, note_lines

if TYPE_CHECKING:
    from fusion_tui.services import Services
    from fusion_tui.store.models import Run, Sweep


def register(commands: Commands) -> None:
    s = commands.add("tag", OnStore(cmd_tag, schedule=False),
                     help="add (+TAG), remove (--remove TAG) or list the tags of runs and "
                          "sweeps")
    s.add_argument("words", nargs="+", metavar="ID|+TAG",
                   help="run or sweep ids (@last: your newest run), then +TAG for each tag "
                        "to add")
    s.add_argument("--remove", "-r", nargs="+", action="extend", default=[], metavar="TAG",
                   help="tags to remove (a +TAG among them is still added)")
    s = commands.add("note", OnStore(cmd_note, schedule=False),
                     help="set, clear (--clear) or print the note of a run or a sweep")
    s.add_argument("id", metavar="ID", help="a run or sweep id (@last: your newest run)")
    s.add_argument("text", nargs="?", metavar="TEXT", help="the note (quote it)")
    s.add_argument("--clear", action="store_true", help="remove the note")


@dataclass(frozen=True)
class Target:
    """What an id names: a run or a sweep."""

    kind: str  # "run" or "sweep"
    row: Run | Sweep

    @property
    def id(self) -> str:
        return self.row.id


def _target(svc: Services, ref: str) -> Target:
    # the comparison layer's lookup (SQLAlchemy): not at start-up
    from fusion_tui.comparison.targets import lookup
    from fusion_tui.runs.finding import LAST
    from fusion_tui.store.models import Run

    found = svc.manager.resolve(ref) if ref in LAST else lookup(svc.sweeps, ref)
    return Target("run" if isinstance(found, Run) else "sweep", found)


def _labels(target: Target, tags: list[str] | None = None) -> dict[str, Any]:
    return {"id": target.id, "kind": target.kind,
            "tags": target.row.tag_names if tags is None else tags, "note": target.row.note}


def cmd_tag(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.runs.finding import LAST
    from fusion_tui.store.labels import TagEdit
    from fusion_tui.store.models import Run, Sweep

    words = [*args.words, *(w for w in args.remove if w.startswith("+"))]
    refs = [w for w in args.words if not w.startswith("+")]
    edit = TagEdit.of([w[1:] for w in words if w.startswith("+")],
                      [w for w in args.remove if not w.startswith("+")])
    if not refs:
        raise UsageError("tag: name the runs or sweeps to tag (ids, or @last)")
    for ref in refs:
        if ref not in LAST and not set(ref) <= set("0123456789abcdef"):
            raise UsageError(f"tag: {ref!r} is not a run or sweep id; a tag to add is "
                             f"written +TAG (+{ref})")
    targets = [_target(svc, ref) for ref in dict.fromkeys(refs)]
    tags: dict[str, list[str]] = {}
    if edit:
        runs = [t.row for t in targets if isinstance(t.row, Run)]
        sweeps = [t.row for t in targets if isinstance(t.row, Sweep)]
        for sweep in sweeps:  # every owner checked before anything changes
            svc.sweeps.check_owner(sweep, "tag")
        for run in runs:
            svc.manager.check_owner(run, "tag")
        tags.update(svc.manager.edit_tags(runs, edit))
        tags.update(svc.sweeps.edit_tags(sweeps, edit))
    data = [_labels(t, tags.get(t.id)) for t in targets]
    emit(args, data[0] if len(data) == 1 else data, lambda: "\n".join(
        f"{d['kind']} {d['id']} tags: " + (one_line(" ".join(d["tags"]), 2000) or "-")
        for d in data))
    return 0


def cmd_note(args: argparse.Namespace, svc: Services) -> int:
    from fusion_tui.store.models import Run

    if args.clear and args.text is not None:
        raise UsageError("note: give the TEXT or --clear, not both")
    target = _target(svc, args.id)
    note = target.row.note
    if args.clear or args.text is not None:
        text = None if args.clear else args.text
        note = (svc.manager.set_note(target.row, text) if isinstance(target.row, Run)
                else svc.sweeps.set_note(target.row, text))
    emit(args, {**_labels(target), "note": note},
         lambda: "\n".join(note_lines(f"{target.kind} {target.id} note:", note,
                                      len(target.kind) + 19)))
    return 0
