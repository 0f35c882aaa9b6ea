"""The real single-node Slurm cluster of `.ci/start-slurm`, for the Slurm cases.

Each case starts from an empty queue and the default configuration (accounting on,
proctrack/linuxproc); a case that reconfigures the cluster has it restored afterwards.
The cases run one after another on one xdist worker (conftest groups every test that asks
for `slurm_up`, as `cluster` does), since `cluster` cancels every job of the user. In CI,
`.ci/run` starts the cluster in the background and the first case waits for it (up to
`CI_WAIT_SECONDS`); outside CI, without a running cluster, the cases skip with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import IN_CI

START_SLURM = Path(__file__).resolve().parents[1] / ".ci" / "start-slurm"
# How long a CI case waits for the cluster `.ci/run` is starting (it may install Debian's
# packages first); the xdist worker may reach the Slurm cases in the first minute.
CI_WAIT_SECONDS = 600.0


def _answers() -> bool:
    if shutil.which("sinfo") is None:
        return False
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                             timeout=30)
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0 and bool(out.stdout.strip())


_DOWN: list[bool] = []  # outside CI: the cluster did not answer once, so none of the cases ask


def _up() -> bool:
    """Whether the cluster answers; in CI, waiting for it up to CI_WAIT_SECONDS. Outside
    CI a cluster that did not answer is not asked again by the next case (each asking
    costs seconds when the controller is down)."""
    if _DOWN:
        return False
    deadline = time.monotonic() + (CI_WAIT_SECONDS if IN_CI else 0.0)
    while not _answers():
        if time.monotonic() >= deadline:
            if not IN_CI:
                _DOWN.append(True)
            return False
        time.sleep(2)
    return True


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
        """Requeue a job and let it start again at once: Slurm otherwise holds a requeued
        job until its credential expires (AuthInfo cred_expire, 120 s by default)."""
        subprocess.run(["scontrol", "requeue", job_id], check=True, capture_output=True,
                       timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # refused until the job is pending again
            released = subprocess.run(["scontrol", "update", f"JobId={job_id}",
                                       "StartTime=now"], capture_output=True, timeout=60)
            if released.returncode == 0:
                return
            time.sleep(0.5)


@pytest.fixture
def slurm_up() -> None:
    """The cluster answers (a case that leaves every other job alone)."""
    if not _up():
        pytest.skip("Slurm cases need a running single-node cluster: run .ci/start-slurm as "
                    "root (.ci/run does)")


@pytest.fixture
def cluster(slurm_up: None) -> Iterator[Cluster]:
    """The cluster, its queue empty before and after the case."""
    _clear_queue()
    handle = Cluster()
    try:
        yield handle
    finally:
        _clear_queue()
        if handle.dirty:
            subprocess.run([str(START_SLURM)], check=True, capture_output=True, timeout=180)
