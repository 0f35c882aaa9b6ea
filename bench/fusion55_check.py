"""fusion-tui against the real FUSION 5.5 line (tag v5.5.1 or `feature/grooming-new`), as a
user drives it: doctor, a two-load run, a crashing run, a cancel, a refused `--seeds`.

    FUSION_HOME=~/FUSION55 [FUSION_PYTHON=...] python bench/fusion55_check.py [--requests 200]

FUSION_HOME is a checkout of that line with the packages its run_sim.py imports in
`$FUSION_HOME/venv` (or FUSION_PYTHON). Without it the script says so and exits 0 (CI
cannot download FUSION). Everything happens in a temporary fusion-tui home; FUSION writes
its own `data/output/` as it always does. Prints, per check, what was measured and ok or
FAILED; the exit status is 1 if any check failed.

Checks: `doctor -t fusion55` passes and names the line; a run of 300..900 by 300 plans and
runs exactly 300 and 600 (the stop left out), its progress never goes backwards, it ends
COMPLETED and its `output/` holds FUSION's result files byte for byte; a run with
guard_slots = 2 (FUSION's worker crashes, the process exits 0) ends FAILED with the crash
line; a cancel after the first iteration ends CANCELLED with no process of the run left
(the time it took is printed); `sweep new --seeds` on the template is refused in one line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fusion_tui.kinds.formats.checkout import identify

ROOT = Path(__file__).resolve().parents[1]
results: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok, detail))
    print(f"{'ok    ' if ok else 'FAILED'}  {name:<12} {detail}", flush=True)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fusion_tui", *args], env=env,
                          capture_output=True, text=True, check=False, cwd=ROOT)


def json_of(env: dict[str, str], *args: str) -> Any:
    done = cli(env, *args, "--json")
    if not done.stdout:  # `new --wait` exits like its run did, and still prints it
        raise RuntimeError(f"fusion-tui {' '.join(args)}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def run_processes(run_id: str) -> int:
    count = 0
    for proc in psutil.process_iter(["environ"]):
        with_env = proc.info.get("environ") or {}
        count += with_env.get("FUSION_TUI_RUN_ID") == run_id
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per iteration")
    args = parser.parse_args()
    home = os.environ.get("FUSION_HOME")
    if not home:
        print("FUSION_HOME is not set: nothing to check (point it at a checkout of FUSION's "
              "5.5 line)")
        return 0
    with tempfile.TemporaryDirectory(prefix="fusion55-check-") as tmp:
        env = {**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": f"{tmp}/config",
               "XDG_DATA_HOME": f"{tmp}/data", "FUSION_TUI_FUSION_HOME": home}
        if os.environ.get("FUSION_PYTHON"):
            env["FUSION_TUI_FUSION_PYTHON"] = os.environ["FUSION_PYTHON"]
        # Reach is checked with pre_calc_mod_selection = True on the grooming branch and
        # with False at v5.5.1: a user template (shadowing the shipped one) says which.
        branch = identify(Path(home)).grooming_keys
        templates = Path(tmp, "data", "fusion-tui", "templates")
        templates.mkdir(parents=True)
        shipped = (ROOT / "data" / "templates" / "fusion55.ini").read_text()
        (templates / "fusion55.ini").write_text(shipped.replace(
            "pre_calc_mod_selection = True", f"pre_calc_mod_selection = {branch}"))
        small = ["--set", f"general_settings.num_requests={args.requests}",
                 "--set", "general_settings.max_iters=3", "--set",
                 "general_settings.erlang_stop=900"]

        doctor = cli(env, "doctor", "-t", "fusion55")
        first = doctor.stdout.splitlines()[0] if doctor.stdout else doctor.stderr.strip()
        check("doctor", doctor.returncode == 0 and "5.5 line" in first, first)

        began = time.monotonic()
        run = json_of(env, "new", "-t", "fusion55", *small)
        seen: list[float] = []
        while True:
            shown = json_of(env, "show", run["id"])
            seen.append(shown["fraction_done"] or 0.0)
            if shown["status"] not in ("PENDING", "RUNNING"):
                break
            time.sleep(0.2)
        took = time.monotonic() - began
        check("run", shown["status"] == "COMPLETED" and shown["total_erlangs"] == 2,
              f"{shown['status']} in {took:.1f} s, {shown['total_erlangs']} loads planned")
        onward = all(b >= a for a, b in itertools.pairwise(seen))
        check("progress", onward, f"{len(seen)} samples, never backwards: {onward}")
        output = Path(shown["run_dir"]) / "output"
        ours = sorted(p.name for p in output.glob("*_erlang.json"))
        theirs = {p.name: p for p in Path(home, "data", "output").glob("*/*/*/**/*_erlang.json")
                  if p.stat().st_mtime >= time.time() - took - 5}
        same = ours == ["300.0_erlang.json", "600.0_erlang.json"] and all(
            name in theirs and theirs[name].read_bytes() == (output / name).read_bytes()
            for name in ours)
        check("results", same, f"output/ holds {ours}, byte-identical to FUSION's: {same}")

        crashed = json_of(env, "new", "-t", "fusion55", *small, "--set",
                          "general_settings.guard_slots=2", "--wait")
        error = str(crashed["error_message"] or "")
        check("crash", crashed["status"] == "FAILED" and ("BufferError" in error
                                                          or "IndexError" in error),
              f"{crashed['status']}: {error[:160]}")

        long = json_of(env, "new", "-t", "fusion55", "--set",
                       f"general_settings.num_requests={args.requests * 5}",
                       "--set", "general_settings.max_iters=50",
                       "--set", "rl_settings.is_training=True")  # no early stop
        while (json_of(env, "show", long["id"])["current_iteration"] or 0) < 1:
            time.sleep(0.2)
        asked = time.monotonic()
        cli(env, "cancel", long["id"])
        while json_of(env, "show", long["id"])["status"] == "RUNNING":
            time.sleep(0.1)
        stopped = time.monotonic() - asked
        left = run_processes(long["id"])
        final = json_of(env, "show", long["id"])["status"]
        check("cancel", final == "CANCELLED" and left == 0,
              f"{final} {stopped:.1f} s after the request, {left} process(es) left")

        seeds = cli(env, "sweep", "new", "-t", "fusion55", "--grid",
                    "general_settings.k_paths=1,2", "--seeds", "1-2")
        check("seeds", seeds.returncode == 2 and seeds.stderr.count("\n") == 1,
              seeds.stderr.strip()[:160])
    failed = [name for name, ok, _ in results if not ok]
    print(f"{len(results) - len(failed)} of {len(results)} checks ok"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
