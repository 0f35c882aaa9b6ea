"""The `fusion-tui` command: scripting subcommands, every one with `--json`, one module per
group of commands (each parser next to its handler), one dispatch (`dispatch.main`).

Bad input or an unknown id prints one line on stderr and exits with status 2; a write
that fails (`export -o` on a full disk) prints one line and exits with status 1.
`fusion-tui wait ID` exits like the run did: 0 COMPLETED, the simulator's exit code for
FAILED (128+N when killed by signal N), 130 CANCELLED, 124 on --timeout.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Bare `fusion-tui` opens the app without importing the command line (argparse and
    every command group): its first frame waits for nothing it does not draw."""
    if not (sys.argv[1:] if argv is None else argv):
        from fusion_tui.cli.launch import open_app

        return open_app()
    from fusion_tui.cli.dispatch import main as dispatch

    return dispatch(argv)


__all__ = ["main"]
