"""`python -m fusion_tui` is the `fusion-tui` command."""

import sys

from fusion_tui.cli import main

sys.exit(main())
