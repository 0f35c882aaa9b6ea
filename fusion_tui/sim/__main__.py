"""`python -m fusion_tui.sim` is `fusion-tui-sim`."""

import sys

from fusion_tui.sim.cli import main

sys.exit(main())
