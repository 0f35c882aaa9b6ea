"""Slurm's job states in terms of run statuses.

A job in the queue is PENDING or RUNNING for us; a job that has left it ended in one of
Slurm's final states, most of which are a run status of their own.
"""

from __future__ import annotations

from fusion_tui.store.status import RunStatus

_PENDING = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"})
_RUNNING = frozenset({"RUNNING", "CONFIGURING", "COMPLETING", "SIGNALING", "STAGE_OUT",
                      "SUSPENDED", "STOPPED", "RESIZING"})
_FINAL = {
    "COMPLETED": RunStatus.COMPLETED,
    "FAILED": RunStatus.FAILED,
    "CANCELLED": RunStatus.CANCELLED,
    "TIMEOUT": RunStatus.TIMEOUT,
    "DEADLINE": RunStatus.TIMEOUT,
    "OUT_OF_MEMORY": RunStatus.OUT_OF_MEMORY,
    "NODE_FAIL": RunStatus.NODE_FAIL,
    "PREEMPTED": RunStatus.PREEMPTED,
    "BOOT_FAIL": RunStatus.FAILED,
    "SPECIAL_EXIT": RunStatus.FAILED,
    "REVOKED": RunStatus.CANCELLED,
}


def queued_status(state: str) -> RunStatus:
    """The run status of a job that `squeue` still lists."""
    return RunStatus.PENDING if state in _PENDING else RunStatus.RUNNING


def final_status(state: str) -> RunStatus | None:
    """The run status of a job that has ended in `state`; None when it has not ended."""
    return _FINAL.get(state)


def is_final(state: str) -> bool:
    return state in _FINAL


# What a run that ended in one of Slurm's own ways says about it.
ENDING_TEXT = {
    RunStatus.TIMEOUT: "Slurm stopped the job at its time limit",
    RunStatus.OUT_OF_MEMORY: "Slurm killed the job: it used more memory than it asked for "
                             "(ask for more with --mem)",
    RunStatus.NODE_FAIL: "the job's node failed",
    RunStatus.PREEMPTED: "Slurm preempted the job for another one",
}
