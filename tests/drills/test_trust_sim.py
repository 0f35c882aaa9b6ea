"""Fault drills on the built-in simulator: a worker dies; SIGTERM to its whole process
group (what a cancel sends) at many moments of its life ends it within a second."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import eventually
from sim_helpers import write_config


def _start(config: Path, out: Path, workers: int = 2) -> subprocess.Popen[bytes]:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "sim.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.sim", "--config_path", str(config),
             "--run_id", "t", "--progress_file", str(out / "progress.jsonl"),
             "--output_dir", str(out / "output"), "--workers", str(workers)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _events(out: Path) -> list[dict[str, object]]:
    try:
        lines = (out / "progress.jsonl").read_text().splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.endswith("}")]


def _group_alive(pgid: int) -> list[int]:
    alive = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                alive.append(proc.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return alive


def test_a_dead_worker_ends_the_run_promptly_and_keeps_finished_iterations(
        tmp_path: Path) -> None:
    config = write_config(tmp_path, **{"general_settings.max_iters": "50",
                                       "general_settings.num_requests": "3000"})
    sim = _start(config, tmp_path / "run")
    try:
        eventually(lambda: any(e["type"] == "iteration" for e in _events(tmp_path / "run")),
                   timeout=60)
        worker = psutil.Process(sim.pid).children()[0]
        worker.kill()
        began = time.monotonic()
        code = sim.wait(timeout=30)
        assert time.monotonic() - began < 5
        assert code == 1
        last = _events(tmp_path / "run")[-1]
        assert last["type"] == "error"
        assert last["message"] == f"worker process {worker.pid} was killed by SIGKILL"
        assert (tmp_path / "run" / "output" / "summary.csv").is_file()
        assert _group_alive(sim.pid) == []
    finally:
        if sim.poll() is None:
            os.killpg(sim.pid, signal.SIGKILL)


MOMENTS = [0.0, 0.03, 0.08, 0.15, 0.25, 0.4, 0.6, 0.9, 1.3, 1.8, 2.5]


@pytest.mark.parametrize("shape", ["long iterations", "many small loads"])
def test_sigterm_to_the_group_ends_it_within_a_second_at_any_moment(
        tmp_path: Path, shape: str) -> None:
    """Start-up, pool start, iterations, between loads and while writing results."""
    changes = ({"general_settings.num_requests": "20000", "general_settings.max_iters": "500"}
               if shape == "long iterations" else
               {"general_settings.num_requests": "30", "general_settings.max_iters": "3",
                "general_settings.erlang_start": "10", "general_settings.erlang_stop": "5000",
                "general_settings.erlang_step": "10"})
    config = write_config(tmp_path, **changes, **{"builtin_settings.early_stop": "False"})
    slow = []
    for i, moment in enumerate(MOMENTS):
        out = tmp_path / f"run{i}"
        sim = _start(config, out)
        try:
            time.sleep(moment)
            os.killpg(sim.pid, signal.SIGTERM)
            sent = time.monotonic()
            deadline = sent + 1.0
            while _group_alive(sim.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            if _group_alive(sim.pid):
                slow.append(moment)
            else:
                assert sim.wait(timeout=5) in (143, -signal.SIGTERM), moment
        finally:
            if _group_alive(sim.pid):
                os.killpg(sim.pid, signal.SIGKILL)
            sim.wait(timeout=10)
    assert slow == [], f"still running 1 s after SIGTERM sent at {slow} s"
