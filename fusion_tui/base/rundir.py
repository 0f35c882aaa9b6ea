"""The run directory contract, and reading and writing its JSON files (whole, through
`base/atomic.py`; their content is typed in `base/documents.py`).

    <runs_dir>/<run_id>/
        config.ini        frozen configuration, never changed
        launch.json       argv and cwd of the simulator, frozen at creation
        status.json       written by the supervisor: process identity, then the outcome
        process.json      written by the waiter: its own and the simulator's identity
        exit.json         written by the waiter: the simulator's exit status
        supervisor.lock   held (flock) by the run's live supervisor, and only by it
        cancel.request    present once a cancel was asked for
        progress.jsonl    progress events from the simulator
        logs/sim.log      simulator stdout + stderr
        logs/supervisor.log  the supervisor's own messages
        output/           simulator results (artifacts)
      on an executor that submits to a batch scheduler also:
        job.sh            the job script, frozen at submission
        logs/             the job's own stdout and stderr (the supervisor's messages)
        attempts/<n>/     status, exit, process and progress files of a requeued attempt
        and what that executor freezes of its own (see `executors/<name>/`)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from fusion_tui.base.atomic import write_atomic
from fusion_tui.base.ids import check_run_id
from fusion_tui.base.safefile import read_text

ACTIVE_DIR = ".active"
JSON_LIMIT = 1 << 20


class RunPaths(NamedTuple):
    """Where each file of a run lives. (A named tuple, not a dataclass: the supervisor
    imports this module before it starts the simulator, and every millisecond of import
    is paid again by each run of a queue.)"""

    root: Path

    @classmethod
    def for_run(cls, runs_dir: Path, run_id: str) -> RunPaths:
        return cls(runs_dir / check_run_id(run_id))

    @property
    def config(self) -> Path:
        return self.root / "config.ini"

    @property
    def launch(self) -> Path:
        return self.root / "launch.json"

    @property
    def status(self) -> Path:
        return self.root / "status.json"

    @property
    def process(self) -> Path:
        return self.root / "process.json"

    @property
    def exit(self) -> Path:
        return self.root / "exit.json"

    @property
    def lock(self) -> Path:
        return self.root / "supervisor.lock"

    @property
    def active_entry(self) -> Path:
        """This run's entry in the runs folder's register of runs with a supervisor."""
        return self.root.parent / ACTIVE_DIR / self.root.name

    @property
    def cancel_request(self) -> Path:
        return self.root / "cancel.request"

    @property
    def progress(self) -> Path:
        return self.root / "progress.jsonl"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log(self) -> Path:
        return self.logs / "sim.log"

    @property
    def supervisor_log(self) -> Path:
        return self.logs / "supervisor.log"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def job_script(self) -> Path:
        return self.root / "job.sh"

    @property
    def attempts(self) -> Path:
        return self.root / "attempts"

    def create(self, *, parent_exists: bool = False) -> None:
        """Make the directory tree; fails if the run directory already exists."""
        if not parent_exists:
            self.root.parent.mkdir(parents=True, exist_ok=True)
        self.root.mkdir()
        self.logs.mkdir()
        self.output.mkdir()
        self.log.touch()


def write_new(path: Path, data: str) -> None:
    """Create `path` with `data` (it must not exist): for files in a folder nobody can
    see yet, where a temporary file and a rename would only cost time."""
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(data)


def json_text(value: Any) -> str:
    """How a run folder's JSON files are written: indented, keys sorted."""
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def write_json_atomic(path: Path, value: Any, *, durable: bool = True) -> None:
    write_atomic(path, json_text(value), durable=durable)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from `path`, or None when it is missing or not readable as one."""
    try:
        value = json.loads(read_text(path, JSON_LIMIT))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


NOT_READABLE = "not readable"


def folder_readable(root: Path) -> bool:
    """Whether we may look into a run folder. Another user's may be closed to us (umask
    077): it is then shown as not readable, never a reason for a command to fail."""
    try:
        os.stat(root)
    except PermissionError:
        return False
    except OSError:
        return True  # missing: not a question of permission
    return os.access(root, os.R_OK | os.X_OK)
