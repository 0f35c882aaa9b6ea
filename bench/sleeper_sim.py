"""A simulator stand-in for benchmarks: starts two worker processes and sleeps; exits on
SIGTERM (default action), like a well-behaved simulator."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time


def _work(_: int) -> None:
    time.sleep(600)


def main() -> None:
    p = argparse.ArgumentParser()
    for flag in ("--config_path", "--run_id", "--progress_file", "--output_dir"):
        p.add_argument(flag)
    a = p.parse_args()
    pool = multiprocessing.get_context("fork").Pool(2)
    pool.map_async(_work, range(2))
    with open(os.path.join(a.output_dir, "pids.json"), "w") as fh:
        json.dump([os.getpid()], fh)
    time.sleep(600)


if __name__ == "__main__":
    main()
