"""A stand-in simulator for lifecycle tests: a real process with controllable behaviour.

Reads its `[fake]` section from the config: `behaviour` (ok, fail, pool, ignore_term,
no_progress, hang, silent, split_worker, hog, wait_go, hold), `sleep` (seconds per iteration).
`hold` waits until the file named by `go` exists, then runs as `ok` (for drills that must
know every run was created before any of them ends).
`wait_go` writes its pid, then waits until a file `go` appears in its output folder and
exits with the status that file holds (write it atomically), saying nothing else (for
drills that must decide when it ends). `hog` takes 64 MiB more memory every iteration
(for out-of-memory drills). `silent` writes nothing at all (for full-disk drills);
`split_worker` is a SIGTERM-ignoring leader with a
worker in a session of its own that SIGTERM ends (for pid-reuse drills). `leave_worker`
completes as `ok` but leaves a worker behind, detached (a new session, its parent
gone). Writes FUSION GUI progress events and FUSION-style log lines, a result file per load
(`<erlang>_erlang.json`, as both simulators do) and the pids of any workers to
output/pids.json.
"""

from __future__ import annotations

import argparse
import configparser
import json
import multiprocessing
import os
import signal
import sys
import time


def _worker(_: int) -> None:
    time.sleep(600)


def _detached_worker() -> int:
    """Fork a worker that leaves our session and whose parent exits at once (a daemon's
    double fork): its pid, once it runs."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.setsid()
        worker = os.fork()
        if worker == 0:
            os.close(read_end)
            os.write(write_end, str(os.getpid()).encode())
            os.close(write_end)
            time.sleep(600)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as told:
        return int(told.read())


def main() -> int:
    p = argparse.ArgumentParser()
    for flag in ("--config_path", "--run_id", "--progress_file", "--output_dir"):
        p.add_argument(flag)
    a = p.parse_args()
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(a.config_path)
    behaviour = cfg.get("fake", "behaviour", fallback="ok")
    pause = cfg.getfloat("fake", "sleep", fallback=0.05)
    g = cfg["general_settings"]
    start, stop, step = float(g["erlang_start"]), float(g["erlang_stop"]), float(g["erlang_step"])
    erlangs = [start + i * step for i in range(int((stop - start) / step + 1e-9) + 1)]
    iters = int(g["max_iters"])
    if behaviour == "ignore_term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if behaviour == "wait_go":
        with open(os.path.join(a.output_dir, "pids.json"), "w") as fh:
            json.dump([os.getpid()], fh)
        go = os.path.join(a.output_dir, "go")
        while not os.path.exists(go):
            time.sleep(0.02)
        with open(go) as fh:
            return int(fh.read().strip() or "0")
    if behaviour == "hold":
        while not os.path.exists(cfg.get("fake", "go")):
            time.sleep(0.02)
    if behaviour == "silent":
        time.sleep(pause)
        return 0
    pids = [os.getpid()]
    if behaviour == "split_worker":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the dead worker's pid is freed
        child = os.fork()
        if child == 0:
            os.setsid()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            time.sleep(600)
            os._exit(0)
        pids.append(child)
    if behaviour == "leave_worker":
        pids.append(_detached_worker())
    if behaviour == "pool":
        pool = multiprocessing.get_context("fork").Pool(2)
        pool.map_async(_worker, range(2))
        pids += [w.pid for w in pool._pool]  # type: ignore[attr-defined]
    with open(os.path.join(a.output_dir, "pids.json"), "w") as fh:
        json.dump(pids, fh)
    def emit(event: dict[str, object]) -> None:
        if behaviour != "no_progress":
            with open(a.progress_file, "a") as progress:
                progress.write(json.dumps(event) + "\n")

    hoard: list[bytearray] = []
    emit({"type": "start", "config": {"total_erlangs": len(erlangs), "total_iterations": iters}})
    for index, erlang in enumerate(erlangs):
        print(f"2026-11-22 10:00:00,000 - fake.sim - INFO - Starting simulation for {erlang} "
              f"Erlang (load {index + 1}/{len(erlangs)})", flush=True)
        emit({"type": "erlang_start", "erlang": erlang, "erlang_index": index,
              "total_erlangs": len(erlangs)})
        for it in range(1, iters + 1):
            time.sleep(pause)
            if behaviour == "hog":
                hoard.append(bytearray(64 << 20))
            emit({"type": "iteration", "erlang": erlang, "iteration": it,
                  "total_iterations": iters, "metrics": {"blocking_prob": 0.01 * index}})
            print(f"2026-11-22 10:00:00,000 - fake.sim - INFO - Iteration {it} out of {iters} "
                  f"completed for Erlang: {erlang}", flush=True)
        emit({"type": "erlang_complete", "erlang": erlang, "metrics": {"mean_blocking": 0.01}})
        with open(os.path.join(a.output_dir, f"{float(erlang)!r}_erlang.json"), "w") as fh:
            json.dump({"blocking_mean": 0.01 * index}, fh)
        if behaviour == "fail":
            print("2026-11-22 10:00:00,000 - fake.sim - ERROR - Simulation error: boom",
                  flush=True)
            emit({"type": "error", "message": "boom"})
            return 3
    if behaviour in ("pool", "ignore_term", "hang", "split_worker"):
        time.sleep(600)
    emit({"type": "complete", "exit_code": 0})
    return 0


if __name__ == "__main__":
    sys.exit(main())
