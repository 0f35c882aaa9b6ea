"""The built-in simulator, except that it fails at once for the seed named in a file.

`flaky_sim.py --fail_file F <the built-in's arguments>`: while F exists and holds the
run's `[builtin_settings] seed`, it prints an error and exits 3 (a point that fails, as
on a flaky node); otherwise it becomes the built-in simulator (exec), so a retry after F
is removed really simulates.
"""

from __future__ import annotations

import configparser
import os
import sys


def main() -> int:
    args = sys.argv[1:]
    fail_file = args[args.index("--fail_file") + 1]
    rest = [a for i, a in enumerate(args) if i not in (args.index("--fail_file"),
                                                        args.index("--fail_file") + 1)]
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(rest[rest.index("--config_path") + 1])
    seed = cfg.get("builtin_settings", "seed", fallback="0").strip()
    try:
        with open(fail_file) as fh:
            failing = fh.read().strip()
    except FileNotFoundError:
        failing = None
    if failing == seed:
        print(f"flaky_sim: made to fail for seed {seed}", file=sys.stderr)
        return 3
    os.execv(sys.executable, [sys.executable, "-m", "fusion_tui.sim", *rest])


if __name__ == "__main__":
    sys.exit(main())
