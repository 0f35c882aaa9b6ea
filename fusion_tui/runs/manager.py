"""RunManager: create, queue, start, cancel, delete and reconcile runs (seed 004, fixed).

The manager never waits on a simulator: a detached supervisor per run owns the process
and records its outcome. Clients (the TUI, the CLI) only view and request.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fusion_tui.base import lock, procs
from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.documents import LaunchRecord, StatusRecord
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.faults import FaultError, describe_os_error
from fusion_tui.base.ids import check_run_id, is_run_id, new_run_id
from fusion_tui.base.owner import current_user
from fusion_tui.base.rundir import RunPaths, json_text, write_json_atomic, write_new
from fusion_tui.base.safefile import read_text
from fusion_tui.base.settings import EXECUTORS, Settings
from fusion_tui.config.overrides import Override, parse_overrides
from fusion_tui.config.templates import RunConfig, build_config, config_from_ini, load_template
from fusion_tui.executors.local import LocalExecutor
from fusion_tui.executors.slurm.commands import SlurmClient, SlurmError, SlurmUnavailable
from fusion_tui.executors.slurm.executor import SlurmExecutor, submit_env
from fusion_tui.executors.slurm.lookup import find_jobs
from fusion_tui.executors.slurm.options import SlurmOptions
from fusion_tui.executors.slurm.options import resolve as resolve_slurm
from fusion_tui.executors.slurm.watch import CycleReport, SlurmWatcher
from fusion_tui.kinds.registry import kind_for
from fusion_tui.runs import cancelling
from fusion_tui.runs.errors import InvalidState, NotYours, RunNotFound
from fusion_tui.runs.evidence import supervisor_outcome
from fusion_tui.runs.naming import check_name
from fusion_tui.runs.provenance import config_hash, provenance
from fusion_tui.runs.staging import Batch
from fusion_tui.store.models import EventKind, Run, SlurmJob
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.slurm_jobs import SlurmJobs
from fusion_tui.store.status import FINISHED_STATUSES, RunStatus, utcnow

STARTUP_WINDOW = timedelta(seconds=10)
# A Slurm run whose job id was never recorded and whose job cannot be looked up now.
_UNFOUND = ("cannot find its Slurm job by name ({}); the watcher cancels it once Slurm "
            "answers")


ADOPTED = "adopted"


@dataclass
class PlannedRun:
    """A validated run not yet made: everything `materialize` needs."""

    run_id: str
    name: str | None
    config: RunConfig
    executor: str
    options: SlurmOptions | None
    argv: list[str]
    cwd: Path | None
    paths: RunPaths
    origin_id: str | None = None
    sweep_id: str | None = None
    point: dict[str, str] | None = None


@dataclass(frozen=True)
class Reconciled:
    run_id: str
    outcome: str


def _check_removable(run_id: str, root: Path) -> None:
    """Refuse, before anything changes, a folder we could not fully remove."""
    for folder, dirs, _files in os.walk(root):
        path = Path(folder)
        if path != root and os.path.ismount(path):
            raise FaultError(f"cannot delete run {run_id}: {path} is a mount point; "
                             "nothing was changed")
        if not os.access(path, os.W_OK | os.X_OK):
            raise FaultError(f"cannot delete run {run_id}: {path} is not writable; "
                             "nothing was changed")
        dirs[:] = [d for d in dirs if not (path / d).is_symlink()]


class RunManager:
    """The run lifecycle over a store and an executor."""

    def __init__(self, settings: Settings, store: RunStore,
                 executor: LocalExecutor | None = None,
                 slurm_client: SlurmClient | None = None) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor or LocalExecutor(settings)
        self.slurm = SlurmExecutor(settings, slurm_client or SlurmClient(env=submit_env()))
        self.slurm_jobs = SlurmJobs(store)
        self.user = current_user()
        self.watcher = SlurmWatcher(settings, store, self.slurm.client, owner=self.user)
        self.last_watch = CycleReport()
        self.hostname = socket.gethostname()

    def is_mine(self, run: Run) -> bool:
        """Whether `run` is the calling user's (a run with no recorded owner is everyone's).

        Only a user's own runs are adopted, settled, signalled or started by their
        processes: another user's folder may be closed to us (umask 077), and a supervisor
        we started for their run would be ours, not theirs.
        """
        return run.owner is None or run.owner == self.user

    def check_owner(self, run: Run, action: str) -> None:
        """Refuse to act on another user's run (we could not signal its processes)."""
        if not self.is_mine(run):
            raise NotYours(f"run {run.id} belongs to {run.owner}; only they can {action} it")

    # -- lookup ------------------------------------------------------------------------

    def get(self, run_id: str) -> Run:
        run = self.store.get(check_run_id(run_id)) if is_run_id(run_id) else None
        if run is None:
            raise RunNotFound(f"no run with id {run_id!r}")
        return run

    def resolve(self, ref: str) -> Run:
        """A run by full id or unique id prefix (at least 4 characters)."""
        if is_run_id(ref):
            return self.get(ref)
        if any(c not in "0123456789abcdef" for c in ref) or not ref:
            raise RunNotFound(f"invalid run id {ref!r}: expected 12 hex characters")
        if len(ref) < 4:
            raise RunNotFound(f"run id prefix {ref!r} is too short: a prefix needs at least 4 "
                              "characters")
        matches = self.store.find_by_prefix(ref)
        if not matches:
            raise RunNotFound(f"no run with id {ref!r}")
        if len(matches) > 1:
            raise RunNotFound(f"run id prefix {ref!r} is ambiguous")
        return matches[0]

    def paths(self, run: Run) -> RunPaths:
        return RunPaths(Path(run.run_dir))

    # -- create and start --------------------------------------------------------------

    def prepare(self, template: str, *, overrides: Iterable[str | Override] = (),
                config_text: str | None = None, run_id: str | None = None) -> RunConfig:
        """Validate a template (+ overrides, or a whole edited INI); nothing is created.

        The same validation as the simulator's own, for the simulator that will run it.
        """
        parsed = [o if isinstance(o, Override) else None for o in overrides]
        texts = [o for o in overrides if isinstance(o, str)]
        merged = [o for o in parsed if o is not None] + parse_overrides(texts)
        run_dir = self.settings.runs_dir / (run_id or "new")
        if config_text is not None:
            tpl, _ = load_template(template, self.settings.template_dirs)
            return config_from_ini(config_text, tpl, run_dir, kind_for(tpl.simulator))
        return build_config(template, merged, self.settings.template_dirs, run_dir, kind_for)

    def plan(self, template: str, *, name: str | None = None,
             overrides: Sequence[str | Override] = (), config_text: str | None = None,
             executor: str | None = None, slurm: Mapping[str, str | None] | None = None,
             check_slurm: bool = True) -> PlannedRun:
        """Validate everything about a new run; nothing is created.

        Any problem raises ConfigError (one line). `check_slurm=False` skips asking the
        cluster (a sweep asks once for all its runs).
        """
        name = check_name(name)
        run_id = new_run_id()
        config = self.prepare(template, overrides=overrides, config_text=config_text,
                              run_id=run_id)
        chosen = executor or config.template.executor or self.settings.executor
        if chosen not in EXECUTORS:
            raise ConfigError(f"executor: expected one of {', '.join(EXECUTORS)}, "
                              f"got {chosen!r}")
        options: SlurmOptions | None = None
        if chosen == SlurmExecutor.name:
            options = resolve_slurm(self.settings, config.template.slurm_options, slurm or {},
                                    config.template.name)
        elif slurm and any(v for v in slurm.values()):
            raise ConfigError("Slurm options were given but the run's executor is local "
                              "(add --executor slurm)")
        paths = RunPaths.for_run(self.settings.runs_dir, run_id)
        launch = kind_for(config.simulator).launch(run_id, paths, self.settings)
        if options is not None and check_slurm:
            self.slurm.check(options)
        return PlannedRun(run_id, name, config, chosen, options, launch.argv, launch.cwd, paths)

    def materialize(self, plan: PlannedRun, *, durable: bool = True,
                    at: RunPaths | None = None) -> Run:
        """Make the run's folder (config.ini, launch.json) and its row object, not yet
        stored; a failure removes the folder.

        `at` builds the folder elsewhere (a staging area, `runs/staging.py`) to be renamed
        into `plan.paths` later; the row points at `plan.paths`. `durable=False` is for a
        batch (a sweep): the folder is new and unseen until the batch's rows are stored,
        so its files are written directly, and the caller makes them durable once
        (`os.sync()`) before storing the rows.
        """
        config, paths = plan.config, at or plan.paths
        paths.create(parent_exists=at is not None or not durable)
        ini = config.to_ini()
        kind = kind_for(config.simulator)
        launch = LaunchRecord(tuple(plan.argv), str(plan.cwd) if plan.cwd else None,
                              config.simulator).to_json()
        try:
            if durable:
                write_atomic(paths.config, ini)
                write_json_atomic(paths.launch, launch)
            else:
                write_new(paths.config, ini)
                write_new(paths.launch, json_text(launch))
        except BaseException:
            shutil.rmtree(paths.root, ignore_errors=True)
            raise
        return Run(
            id=plan.run_id, name=plan.name, status=RunStatus.PENDING,
            config_json=config.to_json(), template=config.template.name,
            simulator=config.simulator, executor=plan.executor, run_dir=str(plan.paths.root),
            created_at=utcnow(), total_erlangs=len(config.erlangs),
            total_iterations=config.iterations, current_erlang_index=0, current_iteration=0,
            owner=self.user, hostname=self.hostname if plan.options is not None else None,
            config_hash=config_hash(ini), seed=kind.seed(config.sections),
            provenance_json=json.dumps(provenance(self.settings, kind, plan.executor,
                                                  self.hostname)),
            origin_id=plan.origin_id, sweep_id=plan.sweep_id,
            point_json=json.dumps(plan.point) if plan.point is not None else None,
        )

    def create(self, template: str, *, name: str | None = None,
               overrides: Sequence[str | Override] = (),
               config_text: str | None = None, executor: str | None = None,
               slurm: Mapping[str, str | None] | None = None,
               origin: Run | None = None) -> Run:
        """Validate, make the run directory and row, and start it if a slot is free (or
        submit it to Slurm).

        Any problem raises ConfigError (one line) before anything exists; a failure
        half-way removes what was made.
        """
        plan = self.plan(template, name=name, overrides=overrides, config_text=config_text,
                         executor=executor, slurm=slurm)
        plan.origin_id = origin.id if origin is not None else None
        paths, options = plan.paths, plan.options
        batch = Batch(self.settings.runs_dir, [plan.run_id])  # a kill leaves nothing
        try:
            run = self.materialize(plan, at=batch.staged(plan.run_id))
            batch.place([plan.run_id])
            if options is None:
                self.store.add(run)
            else:
                self.slurm.write_job(run.id, plan.name, paths, options)
                self.slurm_jobs.add(run, SlurmJob(
                    run_id=run.id, attempt=1, options_json=json.dumps(options.as_dict()),
                    state="SUBMITTING", time_limit=options.time))
        except BaseException:
            batch.abandon()
            raise
        if options is not None:
            try:
                return self._submit(run.id, paths, options)
            finally:
                batch.done()  # a refused job's row and folder are gone by now
        batch.done()
        self.start_queued([run.id])
        return self.get(run.id)

    def start_queued(self, run_ids: Sequence[str]) -> None:
        """Schedule, and record the queue position of those of `run_ids` still waiting."""
        started = {r.id for r in self.schedule()}
        waiting = [rid for rid in run_ids if rid not in started]
        if len(waiting) == 1:
            position = self.store.count_pending_before(waiting[0])
            self.store.record_event(waiting[0], EventKind.QUEUED, f"position {position + 1}")
        elif waiting:
            self.store.record_events(waiting, EventKind.QUEUED, "in the queue")

    def frozen_config(self, run: Run, action: str) -> str:
        """A run's frozen config.ini, or FaultError naming what could not be read."""
        try:
            return read_text(self.paths(run).config, 1 << 20)
        except (OSError, UnicodeDecodeError) as exc:
            raise FaultError(f"cannot {action} run {run.id}: its config.ini cannot be read "
                             f"({getattr(exc, 'strerror', None) or exc})") from None

    def restart(self, run_id: str) -> Run:
        """A new run with the same frozen config (and executor and Slurm options) as
        `run_id`, linked to it; the original is left as it is."""
        run = self.get(run_id)
        self.check_owner(run, "restart")
        text = self.frozen_config(run, "restart")
        slurm = None
        if run.slurm is not None:
            slurm = SlurmOptions.from_dict(json.loads(run.slurm.options_json)).as_values()
        return self.create(run.template, name=run.name, config_text=text,
                           executor=run.executor, slurm=slurm, origin=run)

    def _submit(self, run_id: str, paths: RunPaths, options: SlurmOptions) -> Run:
        """sbatch the frozen job script; a refusal removes the run entirely."""
        try:
            job_id = self.slurm.submit(paths)
        except BaseException as exc:
            withdrawn = self.withdraw_unanswered([run_id], exc)
            self.slurm_jobs.discard(run_id)
            shutil.rmtree(paths.root, ignore_errors=True)
            if isinstance(exc, SlurmError):
                raise ConfigError(f"Slurm refused the run: {exc}{withdrawn}") from None
            raise
        self.slurm_jobs.submitted(run_id, job_id, options.time)
        if paths.cancel_request.exists():  # cancelled while sbatch was answering
            self._scancel(run_id, job_id)
        return self.get(run_id)

    def withdraw_unanswered(self, run_ids: Sequence[str], exc: BaseException) -> str:
        """After sbatch gave no answer (timed out, lost the controller) it may still have
        submitted the job: one found by its name is scancelled before its runs are
        removed; what was cancelled, as a clause for the error. When Slurm cannot be
        asked, FaultError and the runs are kept (the watcher settles them)."""
        if not isinstance(exc, SlurmUnavailable):
            return ""
        try:
            found = self.find_slurm_jobs([self.get(r) for r in run_ids])
            jobs = sorted({job.split("_", 1)[0] for job in found.values()})
            for job in jobs:
                self.slurm.cancel(job)
        except SlurmError as again:
            raise FaultError(f"{exc}, and Slurm cannot be asked whether it took the job "
                             f"({again}): run(s) {', '.join(run_ids)} are kept until it "
                             "can") from None
        return f"; the job it took anyway ({', '.join(jobs)}) was cancelled" if jobs else ""

    def _scancel(self, run_id: str, job_id: str) -> None:
        """scancel one job, saying in the run's audit trail whether Slurm took it."""
        try:
            self.slurm.cancel(job_id)
        except SlurmError as exc:
            self.store.record_event(run_id, EventKind.SIGNALLED,
                                    f"scancel {job_id} failed ({exc}); the job stops on "
                                    "its cancel request when its supervisor reads it")
        else:
            self.store.record_event(run_id, EventKind.SIGNALLED, f"scancel {job_id}")

    def find_slurm_jobs(self, runs: Sequence[Run]) -> dict[str, str]:
        """The job ids of runs whose submitter ended before recording them, found by the
        job's name and recorded now; SlurmError when Slurm cannot be asked."""
        lookup = find_jobs(self.slurm.client, runs)
        for run_id, hit in lookup.found.items():
            self.slurm_jobs.found(run_id, hit.job_id, hit.state, lookup.names[run_id])
        return {run_id: hit.job_id for run_id, hit in lookup.found.items()}

    def schedule(self) -> list[Run]:
        """Start our oldest queued runs while our queue has free slots; returns them.

        Only the calling user's runs: each user's own processes (commands, the app, the
        recorder after each of their runs) start that user's queue.
        """
        claimed = self.store.claim_pending(self.executor.name, self.hostname, self.user)
        for run in claimed:
            try:
                pid, started = self.executor.start(run.id, self.paths(run))
            except OSError as exc:
                self.store.finish(run.id, RunStatus.FAILED, exit_code=None,
                                  error=f"cannot start supervisor: {describe_os_error(exc)}")
                continue
            self.store.record_supervisor(run.id, pid, started)
        return claimed

    # -- cancel and delete -------------------------------------------------------------

    def cancel(self, run_id: str) -> Run:
        """Ask a run to stop. Returns once its supervisor has taken the cancel on; it
        escalates to SIGKILL.

        Only the run's supervisor is signalled, and only after checking, at that moment,
        that it is still that supervisor; a run whose supervisor is gone gets a new one
        that carries out the cancel. A supervisor that is stopped or does not answer is
        not waited for: the cancel is carried out here (`runs/cancelling.py`).
        """
        run = self.get(run_id)
        self.check_owner(run, "cancel")
        if run.executor == SlurmExecutor.name:
            return self._cancel_slurm(run)
        if run.status == RunStatus.PENDING and self.store.finish(
                run.id, RunStatus.CANCELLED, exit_code=None, expected=(RunStatus.PENDING,)):
            return self.get(run.id)
        run = self.get(run.id)
        if run.status != RunStatus.RUNNING:
            raise InvalidState(f"run {run.id} is already {run.status}")
        paths = self.paths(run)
        try:
            write_atomic(paths.cancel_request, utcnow().isoformat() + "\n")
            written: OSError | None = None
        except OSError as exc:
            written = exc
        # Only a supervisor that wrote status.json has its handlers installed; one that is
        # still starting finds the cancel request itself.
        pid, started = self._recorded_supervisor(paths)
        if procs.signal_verified(pid, signal.SIGTERM,
                                 procs.marker(procs.SUPERVISOR_MARKER, run.id), started):
            assert pid is not None and started is not None
            asked = time.monotonic()
            why = cancelling.unanswered(paths, (pid, started), within=min(
                cancelling.ANSWER_SECONDS, max(self.settings.cancel_grace, 0.5)))
            if why is None:
                return run
            # Within the grace period counted from the request, as the supervisor would.
            grace = max(0.0, self.settings.cancel_grace - (time.monotonic() - asked))
            return self._cancel_unanswered(run, paths, why, grace)
        fd = lock.take(paths.lock) if paths.root.is_dir() else None
        if fd is None:
            if written is not None:  # a supervisor that is starting would not hear of it
                raise FaultError(f"cannot cancel run {run.id}: "
                                 f"{describe_os_error(written, str(paths.cancel_request))}")
            return run
        try:
            if written is not None:
                raise FaultError(f"cannot cancel run {run.id}: "
                                 f"{describe_os_error(written, str(paths.cancel_request))}")
            self.executor.adopt(run.id, paths, fd)
        finally:
            os.close(fd)
        return run

    def _cancel_unanswered(self, run: Run, paths: RunPaths, why: str, grace: float) -> Run:
        """Stop the run's processes here and record it CANCELLED; its supervisor, once
        it runs again, finds the run ended and cancelled and agrees."""
        def send(sig: int) -> int:
            sent = procs.signal_run(run.id, sig)
            if sent:
                self.store.record_event(run.id, EventKind.SIGNALLED,
                                        f"{procs.signal_name(sig)} to {sent} process(es) of "
                                        f"the run (cancel by {self.user}; {why})")
            return sent

        code = cancelling.stop_unanswered(run.id, paths, grace, send)
        if self.store.finish(run.id, RunStatus.CANCELLED, exit_code=code,
                             recovered=f"cancelled by {self.user} without its supervisor: "
                                       f"{why}"):
            self.schedule()  # its slot is free; the stopped supervisor would not say so
        return self.get(run.id)

    def _cancel_slurm(self, run: Run) -> Run:
        """Leave a cancel request in the run folder, then scancel the job.

        The job's supervisor stops the simulator as a local one does (SIGTERM, grace,
        SIGKILL) and records CANCELLED; it also reads the request itself, so a cancel
        holds even when the controller cannot be reached.
        """
        if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
            raise InvalidState(f"run {run.id} is already {run.status}")
        paths = self.paths(run)
        try:
            write_atomic(paths.cancel_request, utcnow().isoformat() + "\n")
        except OSError as exc:
            raise FaultError(f"cannot cancel run {run.id}: "
                             f"{describe_os_error(exc, str(paths.cancel_request))}") from None
        job_id = run.slurm.job_id if run.slurm else None
        if job_id is None:  # its submitter ended before recording sbatch's answer
            try:
                job_id = self.find_slurm_jobs([run]).get(run.id)
            except SlurmError as exc:  # the watcher finds and cancels it later
                self.store.record_event(run.id, EventKind.SIGNALLED, _UNFOUND.format(exc))
                return self.get(run.id)
        if job_id is not None:
            self._scancel(run.id, job_id)
        if run.status == RunStatus.PENDING:
            self.store.finish(run.id, RunStatus.CANCELLED, exit_code=None,
                              expected=(RunStatus.PENDING,))
        return self.get(run.id)

    def cancel_slurm_runs(self, runs: Sequence[Run]) -> list[str]:
        """Cancel many Slurm runs at once (a sweep's): a cancel request in every folder,
        then ONE scancel per job (an array's tasks go with their array); the ids asked."""
        asked: list[Run] = []
        for run in runs:
            self.check_owner(run, "cancel")
            if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
                continue
            try:
                write_atomic(self.paths(run).cancel_request, utcnow().isoformat() + "\n")
            except OSError as exc:
                raise FaultError(f"cannot cancel run {run.id}: "
                                 f"{describe_os_error(exc, str(self.paths(run).cancel_request))}"
                                 ) from None
            asked.append(run)
        ids: dict[str, str] = {r.id: r.slurm.job_id for r in asked
                               if r.slurm is not None and r.slurm.job_id}
        unfound: str | None = None
        if len(ids) < len(asked):  # submitted by a command that ended before recording it
            try:
                ids.update(self.find_slurm_jobs([r for r in asked if r.id not in ids]))
            except SlurmError as exc:  # the watcher finds and cancels them later
                unfound = _UNFOUND.format(exc)
        jobs = sorted({job.split("_", 1)[0] for job in ids.values()})
        said: dict[str, str] = {}
        for job in jobs:
            try:
                self.slurm.cancel(job)
                said[job] = f"scancel {job}"
            except SlurmError as exc:
                said[job] = (f"scancel {job} failed ({exc}); the job stops on its cancel "
                             "request when its supervisor reads it")
        for run in asked:
            if run.id in ids:
                self.store.record_event(run.id, EventKind.SIGNALLED,
                                        said[ids[run.id].split("_", 1)[0]])
            elif unfound is not None:
                self.store.record_event(run.id, EventKind.SIGNALLED, unfound)
                continue
            if run.status == RunStatus.PENDING:
                self.store.finish(run.id, RunStatus.CANCELLED, exit_code=None,
                                  expected=(RunStatus.PENDING,))
        return [r.id for r in asked]

    def delete(self, run_id: str) -> None:
        """Remove a finished run's row and directory, all or nothing. Never signals a
        process; a Slurm run whose job id was never recorded has a job of its still in
        the queue cancelled first (see `_cancel_unrecorded_job`).

        The folder is first renamed aside (atomic), then the row deleted; if the row
        cannot be deleted the folder is put back. What cannot be removed afterwards is
        named in one line.
        """
        run = self.get(run_id)
        self.check_owner(run, "delete")
        if run.status not in FINISHED_STATUSES:
            raise InvalidState(f"run {run.id} is {run.status}; cancel it before deleting")
        if run.executor == SlurmExecutor.name and (run.slurm is None or not run.slurm.job_id):
            self._cancel_unrecorded_job(run)
        root = Path(run.run_dir)
        owned = root.name == run.id and root.is_dir() and not root.is_symlink()
        aside = root.with_name(f".{run.id}.deleting")
        if owned:
            _check_removable(run.id, root)
            try:
                os.rename(root, aside)
            except OSError as exc:
                raise FaultError(f"cannot delete run {run.id}: {describe_os_error(exc)}; "
                                 "nothing was changed") from None
        try:
            deleted = self.store.delete_finished(run.id)
        except BaseException:
            if owned:
                os.rename(aside, root)
            raise
        if not deleted:
            if owned:
                os.rename(aside, root)
            raise InvalidState(f"run {run.id} changed state; try again")
        if owned:
            failures: list[str] = []
            shutil.rmtree(aside, onerror=lambda _f, path, info: failures.append(
                f"{path}: {getattr(info[1], 'strerror', None) or info[1]}"))
            if failures:
                raise FaultError(f"run {run.id} deleted, but {aside} could not be fully removed "
                                 f"({failures[0]}); remove it by hand")

    def _cancel_unrecorded_job(self, run: Run) -> None:
        """A finished Slurm run whose job id was never recorded may still have a job in
        the queue (an earlier version's cancel did not look for it): scancel it before
        its folder goes, or change nothing if Slurm cannot be asked."""
        try:
            for job_id in self.find_slurm_jobs([run]).values():
                self._scancel(run.id, job_id)
        except SlurmError as exc:
            raise FaultError(f"cannot delete run {run.id}: its Slurm job id was never "
                             f"recorded and Slurm cannot be asked for it by name ({exc}); "
                             "nothing was changed") from None

    # -- reconcile ---------------------------------------------------------------------

    @staticmethod
    def _recorded_supervisor(paths: RunPaths) -> tuple[int | None, float | None]:
        """The supervisor identity from status.json (written once it handles signals)."""
        return StatusRecord.read(paths.status).supervisor or (None, None)

    def _recorded_outcome(self, run: Run, paths: RunPaths) -> Reconciled | None:
        """Take an outcome that a supervisor wrote to status.json before it died."""
        recorded = supervisor_outcome(paths)
        if recorded is None:
            return None
        outcome, completed = recorded
        self.store.finish(
            run.id, RunStatus(outcome.status), exit_code=outcome.exit_code, error=outcome.error,
            completed_at=datetime.fromisoformat(completed) if completed else None,
            recovered=outcome.recovered, note=outcome.note)
        self.schedule()
        return Reconciled(run.id, outcome.status)

    def _recently_started(self, run: Run) -> bool:
        return run.started_at is not None and utcnow() - run.started_at < STARTUP_WINDOW

    def reconcile_run(self, run: Run) -> Reconciled | None:
        """Settle or adopt one RUNNING run whose supervisor is gone; None when it is fine.

        An outcome its supervisor recorded in status.json is taken as it is. Otherwise a
        run whose supervisor lock is free gets a new supervisor (`--adopt`), which
        re-attaches to a live simulator or settles an ended one from the evidence. Nothing
        is ever restarted. For a Slurm run this is one watch cycle (`watch_slurm`).
        Another user's run is left alone: theirs to adopt or settle, not ours.
        """
        if not self.is_mine(run):
            return None
        if run.executor == SlurmExecutor.name:
            settled = [r for r in self.watch_slurm() if r.run_id == run.id]
            return settled[0] if settled else None
        if run.status != RunStatus.RUNNING or run.executor != self.executor.name:
            return None
        if run.hostname not in (None, self.hostname):
            return None
        paths = self.paths(run)
        if not paths.root.is_dir():
            self.store.finish(run.id, RunStatus.FAILED, exit_code=None,
                              error=f"lost: its run directory {paths.root} is gone",
                              recovered="run directory missing")
            return Reconciled(run.id, RunStatus.FAILED.value)
        if procs.is_same_process(*self._recorded_supervisor(paths)):
            return None  # alive (a supervisor of an older fusion-tui holds no lock)
        try:
            fd = lock.take(paths.lock)
        except OSError:
            return None
        if fd is None:
            return None  # its supervisor is alive and records the outcome itself
        try:
            recorded = self._recorded_outcome(run, paths)
            if recorded is not None:
                return recorded
            if not paths.status.exists() and self._recently_started(run):
                return None  # its supervisor is being started
            self.executor.adopt(run.id, paths, fd)
        finally:
            os.close(fd)
        return Reconciled(run.id, ADOPTED)

    def reconcile(self, *, schedule: bool = True) -> list[Reconciled]:
        """Settle or adopt every RUNNING run of ours, then (unless only looking) start our
        queued runs that now fit."""
        settled = [r for run in self.store.runs_with_status(RunStatus.RUNNING)
                   if run.executor != SlurmExecutor.name and self.is_mine(run)
                   and (r := self.reconcile_run(run)) is not None]
        settled += self.watch_slurm()
        if schedule:
            self.schedule()
        return settled

    def watch_slurm(self, *, force: bool = False) -> list[Reconciled]:
        """One cycle over the Slurm runs (run folders; squeue when due); what it settled."""
        self.last_watch = self.watcher.cycle(force=force)
        return [Reconciled(run_id, status) for run_id, status in self.last_watch.settled]

    def wait(self, run_id: str, *, timeout: float | None = None, poll: float = 0.25) -> Run:
        """Block until the run has finished (for scripts and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        checks = 0
        while True:
            run = self.get(run_id)
            if run.status in FINISHED_STATUSES:
                return run
            checks += 1
            if run.executor == SlurmExecutor.name or checks % 8 == 0:
                self.reconcile_run(run)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {run_id} still {run.status} after {timeout:g} s")
            time.sleep(poll)
