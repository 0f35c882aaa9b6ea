"""What the settings make of fusion-tui: `config` (every setting resolved, and where it
came from) and `keys` (the app's key bindings after the `[keys]` remapping). Neither
opens the store."""

from __future__ import annotations

import argparse
import os
from dataclasses import fields

from fusion_tui.base.settings import Settings
from fusion_tui.base.settings_file import config_path
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import Commands, OnSettings, UsageError
from fusion_tui.cli.output import emit


def register(commands: Commands) -> None:
    commands.add("keys", OnSettings(cmd_keys),
                 help="the app's key bindings: id, keys (after [keys] remapping), action")
    commands.add("config", OnSettings(cmd_config),
                 help="print the resolved settings and where each came from")


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    """Every key binding of the app: id, keys in force (after [keys]), what it does."""
    # Textual (and the keymap rules): only for this command, not at start-up
    from fusion_tui.base.keymap import conflicts, unknown_ids
    from fusion_tui.tui.keys import key_names, key_table

    keymap = dict(settings.keymap)
    table = key_table(keymap)
    unknown = unknown_ids(keymap, table)
    if unknown:
        raise UsageError(f"{settings.config_file}: [keys] {', '.join(unknown)}: no such key "
                         "binding")
    clashes = conflicts(keymap, table, key_names)
    if clashes:
        raise UsageError(f"{settings.config_file}: [keys] {'; '.join(clashes)}")
    rows = [("WHERE", "ID", "KEYS", "ACTION")] + [
        (k.where, k.id, k.keys, k.description) for k in table]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    emit(args, [vars(k) for k in table], lambda: "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in rows))
    return 0


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """The resolved settings and where each came from (file, variable, flag or default)."""
    rows: list[dict[str, str | None]] = []
    for f in fields(settings):
        if not f.compare or f.name == "declared":
            continue
        value = getattr(settings, f.name)
        if f.name == "database_url":
            value = settings.database_label  # never print a password
        elif isinstance(value, tuple):
            value = os.pathsep.join(str(v) for v in value)
        rows.append({"name": f.name, "value": None if value is None else str(value),
                     "source": settings.source_of(f.name)})
    for table in settings.tables:  # each executor's own settings
        for setting in table.settings:
            value = table.value(settings, setting.key)
            name = f"{table.name}_{setting.key}"
            rows.append({"name": name, "value": None if value is None else str(value),
                         "source": settings.source_of(name)})
    looked_at, _ = config_path(os.environ, args.config)
    data = {"settings_file": str(settings.config_file) if settings.config_file else None,
            "settings_file_looked_for": str(looked_at) if looked_at else None,
            "settings": rows}

    def text() -> str:
        head = (f"settings file: {settings.config_file}" if settings.config_file else
                f"settings file: none ({looked_at} does not exist)" if looked_at else
                "settings file: none (FUSION_TUI_CONFIG=none)")
        width = max(len(str(r["name"])) for r in rows)
        body = [f"{r['name']:<{width}}  {one_line(r['value'] or '-', 200)}  [{r['source']}]"
                for r in rows]
        return "\n".join([head, *body])

    emit(args, data, text)
    return 0
