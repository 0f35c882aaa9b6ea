"""How a command that failed ends: one line on stderr (under `--json` also `{"error": ...}`
on stdout), exit 2 for bad input and 1 for a write that failed; a closed pipe ends
quietly. Shared by the dispatch and bare `fusion-tui` (`launch`), which reports its
failures without importing the command line."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError, describe
from fusion_tui.base.ids import InvalidRunId
from fusion_tui.base.output_path import OutputFailed
from fusion_tui.base.settings import Settings, SettingsError
from fusion_tui.base.textsafe import one_line
from fusion_tui.cli.command import EXIT_FAILED, EXIT_USAGE, UsageError
from fusion_tui.cli.output import drop_stdout, write_out
from fusion_tui.runs.errors import RunError


def failed(exc: Exception, argv: Sequence[str] | None, settings: Settings | None) -> int:
    """The exit status of a command that raised `exc`, after its one line; what is not
    ours to explain (a bug) is raised again."""
    if isinstance(exc, OutputFailed):
        return fail_line(str(exc), argv, status=EXIT_FAILED)
    if isinstance(exc, UsageError | ConfigError | SettingsError | RunError | InvalidRunId
                  | FaultError):
        return fail_line(str(exc), argv)
    if isinstance(exc, BrokenPipeError):
        return quiet_broken_pipe()
    if isinstance(exc, OSError):
        return fail_line(describe(exc), argv)
    if not type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        raise exc
    return fail_line(describe(exc, settings.database_label if settings else None), argv)


def fail_line(message: str, argv: Sequence[str] | None = None, status: int = EXIT_USAGE) -> int:
    """One line on stderr; under --json also `{"error": ...}` on stdout, for scripts."""
    line = one_line(message, 1000)
    print(f"fusion-tui: {line}", file=sys.stderr)
    if "--json" in (sys.argv[1:] if argv is None else argv):
        with contextlib.suppress(OSError):  # stdout may be what failed (a full disk)
            write_out(json.dumps({"error": line}) + "\n")
    return status


def quiet_broken_pipe() -> int:
    """The reader went away (`| head`): stop quietly, like other Unix tools (128+SIGPIPE)."""
    drop_stdout()
    return 141
