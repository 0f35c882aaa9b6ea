"""The Slurm executor behind the executor interface: a run is one Slurm job (a sweep one
job array) whose payload is the run's supervisor; Slurm is its queue."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import RunPaths
from fusion_tui.base.settings import Settings
from fusion_tui.executors.executor import (
    Cancelled,
    CycleReport,
    Executor,
    RunOptions,
    Support,
)
from fusion_tui.executors.slurm.cancelling import Canceller
from fusion_tui.executors.slurm.commands import SlurmClient, SlurmError
from fusion_tui.executors.slurm.describe import SLURM
from fusion_tui.executors.slurm.jobs import SlurmJobs
from fusion_tui.executors.slurm.jobscript import timing
from fusion_tui.executors.slurm.options import SlurmOptions, resolve
from fusion_tui.executors.slurm.submission import ARRAY_SCRIPT, Submitter, submit_env
from fusion_tui.executors.slurm.watch import SlurmWatcher
from fusion_tui.store.models import BatchJob, Run
from fusion_tui.store.runs_repo import RunStore


class SlurmExecutor(Executor):
    """Runs as Slurm jobs, watched by polling the run folders and, when due, squeue."""

    description = SLURM

    def __init__(self, settings: Settings, store: RunStore, support: Support, *,
                 env: Mapping[str, str] | None = None, timeout: float | None = None) -> None:
        """`env` and `timeout` are for Slurm's commands (the caller's environment, and
        the client's own limit, by default)."""
        client = SlurmClient(env=submit_env(env)) if timeout is None else \
            SlurmClient(env=submit_env(env), timeout=timeout)
        self.settings = settings
        self.store = store
        self.support = support
        self.jobs = SlurmJobs(store)
        self.submitter = Submitter(settings, client)
        self.canceller = Canceller(store, client)
        self.watcher = SlurmWatcher(settings, store, client, support)

    # -- making a run --------------------------------------------------------------------

    def resolve(self, asked: Mapping[str, str | None], template: Mapping[str, str],
                template_name: str) -> SlurmOptions:
        return resolve(self.settings, template, asked, template_name)

    def check(self, options: RunOptions | None) -> None:
        self.submitter.check(_slurm(options))

    def follow_problem(self, needed: Run) -> str | None:
        """Slurm holds the job itself (`--dependency=afterok:<job>`), so the needed run
        must be a Slurm job whose id is known."""
        if needed.executor != self.name:
            return (f"run {needed.id} runs on {needed.executor}; a Slurm run can wait only "
                    "for Slurm runs (Slurm holds it with --dependency=afterok)")
        if needed.job is None or needed.job.job_id is None:
            return (f"run {needed.id} has no Slurm job id yet (its submission is not "
                    "confirmed); try again once `fusion-tui show` gives one")
        return None

    def _when(self, run: Run) -> tuple[str, ...]:
        """The job's `#SBATCH` lines for what the run waits for."""
        return timing(self.jobs.job_ids([n.needs_id for n in run.needs]), run.start_after)

    def options_of(self, run: Run) -> dict[str, str | None] | None:
        if run.job is None:
            return None
        return SlurmOptions.from_dict(json.loads(run.job.options_json)).as_values()

    def add(self, run: Run, paths: RunPaths, options: RunOptions | None) -> None:
        """Freeze the request and the job script into the folder; the run and its job
        row together (the job not yet submitted)."""
        self.submitter.write_job(run.id, run.name, paths, _slurm(options), self._when(run))
        self.jobs.add(run, _job_row(run, _slurm(options)))

    def records(self, runs: Sequence[Run], options: RunOptions | None) -> list[object]:
        return [_job_row(r, _slurm(options)) for r in runs]

    def write_batch(self, batch_id: str, name: str | None, folder: Path, runs: Sequence[Run],
                    options: RunOptions | None, limit: int | None) -> None:
        self.submitter.write_array(batch_id, name, folder,
                                   [(r.id, RunPaths(Path(r.run_dir))) for r in runs],
                                   _slurm(options), limit, self._when(runs[0]))

    # -- handing it over -----------------------------------------------------------------

    def submit(self, run: Run, paths: RunPaths, options: RunOptions | None) -> None:
        """sbatch the frozen job script; a refusal removes the run entirely."""
        try:
            job_id = self.submitter.submit(paths)
        except BaseException as exc:
            withdrawn = self.canceller.withdraw([run.id], exc)
            self.jobs.discard(run.id)
            shutil.rmtree(paths.root, ignore_errors=True)
            if isinstance(exc, SlurmError):
                raise ConfigError(f"Slurm refused the run: {exc}{withdrawn}") from None
            raise
        self.jobs.submitted(run.id, job_id, _slurm(options).time)
        if paths.cancel_request.exists():  # cancelled while sbatch was answering
            self.canceller.scancel(run.id, job_id)

    def submit_batch(self, runs: Sequence[Run], folder: Path, options: RunOptions | None,
                     undo: Callable[[], None]) -> None:
        """sbatch the job array; a refusal removes its runs and the array's folder."""
        ids = [r.id for r in runs]
        try:
            job_id = self.submitter.submit_array(folder / ARRAY_SCRIPT)
        except BaseException as exc:
            withdrawn = self.canceller.withdraw(ids, exc)
            self.jobs.discard_many(ids)
            for run in runs:
                shutil.rmtree(run.run_dir, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
            undo()
            if isinstance(exc, SlurmError):
                raise ConfigError(f"Slurm refused the sweep: {exc}{withdrawn}") from None
            raise
        self.jobs.submitted_many([(rid, f"{job_id}_{i}") for i, rid in enumerate(ids)],
                                 _slurm(options).time, f"Slurm job array {job_id}")
        for i, run in enumerate(runs):  # cancelled while sbatch was answering
            if RunPaths(Path(run.run_dir)).cancel_request.exists():
                with contextlib.suppress(SlurmError):  # it stops on its cancel request
                    self.canceller.client.scancel(f"{job_id}_{i}")

    # -- stopping and removing it --------------------------------------------------------

    def cancel(self, run: Run) -> Run | None:
        return self.canceller.cancel(run)

    def cancel_many(self, runs: Sequence[Run]) -> Cancelled:
        return self.canceller.cancel_many(runs)

    def release(self, run: Run) -> None:
        self.canceller.release(run)

    # -- watching it ---------------------------------------------------------------------

    def watch(self, *, force: bool = False) -> CycleReport:
        """The run folders, and Slurm once per poll interval for all clients (`watch.py`)."""
        return self.watcher.cycle(force=force)

    def adopt(self, run: Run) -> str | None:
        """A Slurm run has no supervisor of ours to replace: one watch cycle settles it
        when its job has ended."""
        if not self.support.is_mine(run):
            return None
        settled = [status for run_id, status in self.watch().settled if run_id == run.id]
        return settled[0] if settled else None

    def settle(self, run: Run) -> str | None:
        """Settle a run whose job squeue no longer lists (None: Slurm cannot tell yet)."""
        if run.job is None or run.job.job_id is None:
            return None
        report = CycleReport()
        self.watcher.settle_left(run, run.job.job_id, report)
        return report.settled[0][1] if report.settled else None


def _job_row(run: Run, options: SlurmOptions) -> BatchJob:
    """A new run's job row, before its job is submitted."""
    return BatchJob(run_id=run.id, executor=SLURM.name, attempt=1,
                    options_json=json.dumps(options.as_dict()), state="SUBMITTING",
                    time_limit=options.time)


def _slurm(options: RunOptions | None) -> SlurmOptions:
    """A Slurm run's options (`resolve` made them)."""
    if not isinstance(options, SlurmOptions):
        raise TypeError(f"a Slurm run needs Slurm options, got {options!r}")
    return options
