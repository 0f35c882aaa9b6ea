"""What the Slurm executor says of itself: its settings (the settings file's [slurm]
table), its options (named like those settings), and a run's Slurm job as the front ends
show it. Light: no database layer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fusion_tui.base.setting_tables import Setting
from fusion_tui.base.settings import Settings
from fusion_tui.executors.description import Description, Fact, Option, Seconds
from fusion_tui.store.status import RunStatus

if TYPE_CHECKING:
    from fusion_tui.store.run_row import AnyRun


@dataclass(frozen=True)
class SlurmDescription(Description):
    """A run's job is its Slurm job (`run.job`), as the last poll saw it."""

    def node(self, run: AnyRun) -> str | None:
        return run.job.node if run.job is not None else None

    def where(self, node: str | None) -> str:
        return f"{self.name}:{node}" if node else self.name

    def job_id(self, run: AnyRun) -> str | None:
        return run.job.job_id if run.job is not None else None

    def job_facts(self, run: AnyRun) -> dict[str, Any] | None:
        job = run.job
        if job is None:
            return None
        return {"job_id": job.job_id, "state": job.state, "reason": job.reason,
                "node": job.node, "elapsed_seconds": job.elapsed_seconds,
                "time_limit": job.time_limit, "attempt": job.attempt,
                "options": json.loads(job.options_json), "submitted_at": job.submitted_at,
                "checked_at": job.checked_at}

    def show_lines(self, run: AnyRun) -> list[Fact]:
        job = run.job
        if job is None:
            return []
        return [("slurm job", job.job_id or "-"), ("slurm state", job.state or "-"),
                ("slurm reason", job.reason or "-"), ("node", job.node or "-"),
                ("elapsed", Seconds(job.elapsed_seconds)),
                ("time limit", job.time_limit or "partition default"),
                ("attempt", str(job.attempt))]

    def panel(self, run: AnyRun, now: datetime, settings: Settings) -> list[Fact]:
        job = run.job
        if job is None:
            return []
        elapsed = job.elapsed_seconds
        if run.status == RunStatus.RUNNING and run.started_at is not None:
            elapsed = int((now - run.started_at).total_seconds())  # live between polls
        reason = job.reason or ("not known yet (Slurm is asked every "
                                f"{poll_seconds(settings):g} s)"
                                if run.status == RunStatus.PENDING else "-")
        attempt = f" (attempt {job.attempt})" if job.attempt > 1 else ""
        return [("Slurm job", f"{job.job_id or '-'}{attempt}"),
                ("Slurm state", job.state or "-"), ("Reason", reason),
                ("Node", job.node or "-"), ("Elapsed", Seconds(elapsed)),
                ("Time limit", job.time_limit or "partition default")]

    def submitted(self, run: AnyRun) -> str | None:
        return f"submitted as Slurm job {run.job.job_id}" if run.job is not None else None

    def batch_submitted(self, run: AnyRun) -> str | None:
        job_id = self.job_id(run)
        return f"submitted as {self.batch} {job_id.split('_')[0]}" if job_id else None


# Slurm is polled no more often than every 10 s: a controller serves a whole cluster.
MIN_POLL_SECONDS = 10.0
SETTINGS = (
    Setting("partition"), Setting("account"), Setting("qos"), Setting("time"),
    Setting("mem"), Setting("cpus_per_task", "int", low=1, high=4096),
    Setting("extra_args", "args", default=""),
    # how often Slurm is asked about our jobs, by all clients of a store together
    Setting("poll_seconds", "float", 30.0, MIN_POLL_SECONDS, 3600.0),
    # how long before a job's time limit its run is stopped, its results saved
    Setting("signal_seconds", "float", 120.0, 0.0, 86400.0),
)


def poll_seconds(settings: Settings) -> float:
    return float(SLURM.table.value(settings, "poll_seconds"))


def _option(name: str, label: str, hint: str, place: int, help: str | None = None,
            flags: tuple[str, ...] = (), metavar: str | None = None) -> Option:
    return Option(name, label, hint, f"slurm_{name}", place, help, flags, metavar)


SLURM = SlurmDescription(
    name="slurm", title="Slurm",
    text="a Slurm job on the cluster (a sweep: one job array)", choice="a Slurm job",
    options=(
        _option("partition", "Partition", "default partition", 0,
                flags=("--partition", "-p")),
        _option("account", "Account", "default account", 4, flags=("--account", "-A")),
        _option("qos", "QOS", "default QOS", 5),
        _option("time", "Time limit", "e.g. 4:00:00 (default: the partition's)", 1,
                help="time limit, e.g. 30, 4:00:00, 2-00:00:00"),
        _option("mem", "Memory", "e.g. 8G", 3, help="memory per node, e.g. 8G"),
        _option("cpus_per_task", "CPUs per task", "1", 2, flags=("--cpus-per-task", "-c")),
        _option("extra_args", "sbatch args", "e.g. --constraint=avx2", 6,
                help="more sbatch options, e.g. '--gres=gpu:1 --constraint=avx2'",
                flags=("--sbatch-args",), metavar="ARGS"),
    ),
    polled=True, batch="Slurm job array",
    batch_limit="at most N array tasks at once (sbatch --array=...%N)", job_key="slurm",
    settings=SETTINGS,
)
