"""What runs are made from: `templates` (the list) and `doctor` (whether FUSION is set up
for a FUSION template). Neither opens the store."""

from __future__ import annotations

import argparse

from fusion_tui.base.settings import BUILTIN_SIMULATOR, Settings
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnSettings, UsageError
from fusion_tui.cli.output import emit


def register(commands: Commands) -> None:
    commands.add("templates", OnSettings(cmd_templates), help="list templates")
    s = commands.add("doctor", OnSettings(cmd_doctor),
                     help="check the FUSION set-up: checkout, Python, command, files")
    s.add_argument("--template", "-t", default="fusion", help="FUSION template to check")


def cmd_templates(args: argparse.Namespace, settings: Settings) -> int:
    from fusion_tui.config.templates import list_templates  # the config layer: not at start-up

    templates = list_templates(settings.template_dirs)
    data = [{"name": t.name, "simulator": t.simulator, "description": t.description,
             "path": str(t.path)} for t in templates]
    emit(args, data, lambda: "\n".join(
        f"{t.name:<16} {t.simulator:<8} {one_line(t.description)}" for t in templates))
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Check the FUSION set-up (and a FUSION template's files); exit 1 on any problem."""
    # the config layer and FUSION's checks: not at start-up
    from fusion_tui.config.templates import load_template
    from fusion_tui.kinds.registry import kind_for

    template, sections = load_template(args.template, settings.template_dirs)
    if template.simulator == BUILTIN_SIMULATOR:
        raise UsageError(f"template {template.name!r} runs the built-in simulator, not FUSION; "
                         "name a FUSION template (-t fusion, or -t fusion55 for FUSION's 5.5 "
                         "line)")
    checks = kind_for(template.simulator).doctor(settings, sections, template.name)
    data = [{"check": c.name, "detail": c.detail, "ok": c.ok, "problem": c.problem}
            for c in checks]
    emit(args, data, lambda: "\n".join(
        f"ok       {c.name:<10} {one_line(c.detail)}" if c.ok else
        f"PROBLEM  {c.name:<10} {one_line(c.problem or '', 1000)}" for c in checks))
    return 0 if all(c.ok for c in checks) else 1
