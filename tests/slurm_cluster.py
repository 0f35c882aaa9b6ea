"""The real single-node Slurm cluster of `.ci/start-slurm`, for the Slurm cases.

Each case starts from an empty queue and the default configuration (accounting on,
proctrack/linuxproc); a case that reconfigures the cluster has it restored afterwards.
Outside CI, without a running cluster, the cases skip with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

START_SLURM = Path(__file__).resolve().parents[1] / ".ci" / "start-slurm"


def _answers() -> bool:
    if shutil.which("sinfo") is None:
        return False
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                             timeout=30)
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0 and bool(out.stdout.strip())


def queue() -> list[str]:
    out = subprocess.run(["squeue", "-h", "-r", "-o", "%i"], capture_output=True, text=True,
                         timeout=60, check=True)
    return out.stdout.split()


def _clear_queue() -> None:
    subprocess.run(["scancel", "-u", "root"], capture_output=True, timeout=60)
    deadline = time.monotonic() + 60
    while queue() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not queue(), "jobs of an earlier case are still in the queue"


class Cluster:
    """Controls for the test cluster."""

    def __init__(self) -> None:
        self.dirty = False

    def start(self, *args: str) -> None:
        """(Re)start the cluster with `.ci/start-slurm ARGS` (accounting, proctrack)."""
        self.dirty = True
        subprocess.run([str(START_SLURM), *args], check=True, capture_output=True,
                       timeout=180)

    def control(self, action: str) -> None:
        """--stop-controller, --start-controller or --restart-controller."""
        subprocess.run([str(START_SLURM), action], check=True, capture_output=True,
                       timeout=180)

    def requeue(self, job_id: str) -> None:
        subprocess.run(["scontrol", "requeue", job_id], check=True, capture_output=True,
                       timeout=60)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not _answers():
        pytest.skip("Slurm cases need a running single-node cluster: run .ci/start-slurm as "
                    "root (.ci/run does)")
    _clear_queue()
    handle = Cluster()
    try:
        yield handle
    finally:
        _clear_queue()
        if handle.dirty:
            subprocess.run([str(START_SLURM)], check=True, capture_output=True, timeout=180)
