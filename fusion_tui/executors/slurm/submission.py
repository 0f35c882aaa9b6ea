"""Check a request before anything exists, write a run's job (or a sweep's job array)
into its folder, sbatch it.

Slurm is the queue for these runs: the local concurrency limit does not apply.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from fusion_tui.base import procs
from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.errors import ConfigError
from fusion_tui.base.rundir import RunPaths, write_json_atomic
from fusion_tui.base.settings import Settings
from fusion_tui.executors.slurm.commands import SlurmClient, SlurmError
from fusion_tui.executors.slurm.jobscript import render, render_array, request_path
from fusion_tui.executors.slurm.options import SlurmOptions

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[3])
# Filesystems that are local to one machine by nature.
_NODE_LOCAL = ("tmpfs", "ramfs")


def filesystem_type(path: Path) -> str | None:
    """The type of the filesystem `path` is on, from /proc/mounts (None if unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, kind = "", None
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) \
                and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind


ARRAY_SCRIPT = "array.sh"


class Submitter:
    """Runs as Slurm jobs whose payload is the run's supervisor."""

    def __init__(self, settings: Settings, client: SlurmClient) -> None:
        self.settings = settings
        self.client = client

    def job_env(self) -> dict[str, str]:
        """The settings as variables for the job (the same ones a local supervisor gets)."""
        return self.settings.to_env()

    def check(self, options: SlurmOptions) -> None:
        """Ask the cluster whether it would take this request; ConfigError with one line
        if not. Nothing is submitted."""
        fs = filesystem_type(self.settings.runs_dir)
        if fs in _NODE_LOCAL and self._has_other_nodes():
            raise ConfigError(f"the runs folder {self.settings.runs_dir} is on {fs}, which "
                              "compute nodes cannot see: put it on a filesystem they share "
                              "(FUSION_TUI_RUNS_DIR, e.g. under your home folder)")
        try:
            if options.partition is not None:
                known = self.client.partitions()
                if options.partition not in known:
                    raise ConfigError(f"partition {options.partition!r} does not exist on "
                                      f"this cluster (sinfo lists: {', '.join(known) or 'none'})")
            with tempfile.TemporaryDirectory(prefix="fusion-tui-check-") as folder:
                script = Path(folder) / "check.sh"
                lines = ["#!/bin/bash", *(f"#SBATCH {o}" for o in options.sbatch_options()),
                         "true"]
                script.write_text("\n".join(lines) + "\n")
                self.client.sbatch(script, test_only=True)
        except SlurmError as exc:
            raise ConfigError(f"Slurm would not take this run: {exc}") from None

    def _has_other_nodes(self) -> bool:
        """Whether jobs may run on a machine other than this one."""
        try:
            nodes = self.client.nodes()
        except SlurmError:
            return True
        return any(n != socket.gethostname().split(".", 1)[0] for n in nodes)

    def freeze(self, paths: RunPaths, options: SlurmOptions, *, durable: bool = True,
               array: Path | None = None) -> int:
        """Write what is asked of Slurm into the run folder (slurm.json); the seconds
        before the time limit at which the run is stopped."""
        warning = options.warning_seconds(self.settings)
        frozen: dict[str, object] = {
            "options": options.as_dict(), "warning_seconds": warning,
            "time_limit_seconds": options.time_limit_seconds,
            "submitted_from": socket.gethostname()}
        if array is not None:
            frozen["array_script"] = str(array)
        write_json_atomic(request_path(paths), frozen, durable=durable)
        return warning

    def write_job(self, run_id: str, name: str | None, paths: RunPaths,
                  options: SlurmOptions, when: tuple[str, ...] = ()) -> None:
        """Freeze what is asked of Slurm (slurm.json) and the job script into the folder
        (`when`: what it waits for, `jobscript.timing`)."""
        warning = self.freeze(paths, options)
        env = {**self.job_env(), procs.SUPERVISOR_MARKER: run_id}
        text = render(run_id, name, paths, options, warning_seconds=warning, env=env,
                      python=sys.executable, package_parent=_PACKAGE_PARENT, when=when)
        write_atomic(paths.job_script, text)  # 0600: it may hold the database password

    def write_array(self, sweep_id: str, name: str | None, folder: Path,
                    runs: Sequence[tuple[str, RunPaths]], options: SlurmOptions,
                    limit: int | None, when: tuple[str, ...] = ()) -> Path:
        """One job array for `runs` (a sweep's): the script in `folder` (a new folder),
        with `tasks/<i>` linking to each run's folder, and slurm.json in every run."""
        folder.mkdir(parents=True)
        (folder / "tasks").mkdir()
        script = folder / ARRAY_SCRIPT
        warning = 0
        for i, (_run_id, paths) in enumerate(runs):
            (folder / "tasks" / str(i)).symlink_to(paths.root, target_is_directory=True)
            warning = self.freeze(paths, options, durable=False, array=script)
        text = render_array(sweep_id, name, folder, [(rid, p.root) for rid, p in runs],
                            options, limit=limit, warning_seconds=warning,
                            env=self.job_env(), marker=procs.SUPERVISOR_MARKER,
                            python=sys.executable, package_parent=_PACKAGE_PARENT, when=when)
        write_atomic(script, text)
        return script

    def submit_array(self, script: Path) -> str:
        """sbatch an array script; the array's job id (its tasks are `<id>_<i>`)."""
        return self.client.sbatch(script)

    def submit(self, paths: RunPaths) -> str:
        """sbatch the frozen job script; the job id. SlurmError with one line if refused."""
        return self.client.sbatch(paths.job_script)


def submit_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment sbatch sees: ours (or `env`) without fusion-tui's variables (the
    job script sets those itself, so what ran is what the script says)."""
    return {k: v for k, v in (os.environ if env is None else env).items()
            if not k.startswith("FUSION_TUI_")}
