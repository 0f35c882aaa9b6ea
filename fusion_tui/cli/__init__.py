"""The `fusion-tui` command: scripting subcommands, every one with `--json`, one module per
group of commands (each parser next to its handler), one dispatch (`dispatch.main`).

Bad input or an unknown id prints one line on stderr and exits with status 2; a write
that fails (`export -o` on a full disk) prints one line and exits with status 1.
`fusion-tui wait ID` exits like the run did: 0 COMPLETED, the simulator's exit code for
FAILED (128+N when killed by signal N), 130 CANCELLED, 124 on --timeout.
"""

from fusion_tui.cli.dispatch import main

__all__ = ["main"]
