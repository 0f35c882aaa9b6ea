"""`python -m fusion_tui.cli` is the `fusion-tui` command (the tests run it so)."""

import sys

from fusion_tui.cli.dispatch import main

sys.exit(main())
