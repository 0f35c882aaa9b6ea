"""Stand-ins for Slurm's commands, so the state mapping, the watcher and settlement are
tested without a cluster (the real one is tests/cluster).

`FakeSlurm.install(folder)` writes small executables named `sbatch`, `squeue`, `sacct`,
`scontrol`, `scancel` and `sinfo` into `folder/bin`; each runs this file, which answers
from `folder/state.json` in the formats `executors/slurm/commands.py` asks for, and logs
its arguments to `folder/calls.jsonl`. The test puts `folder/bin` first on PATH and moves
the jobs through their states with `FakeSlurm.job(...)`. Standard library only: the
commands run with `python -S`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

TOOLS = ("sbatch", "squeue", "sacct", "scontrol", "scancel", "sinfo")
DOWN = "slurm_load_jobs error: Unable to contact slurm controller (connect failure)"


class FakeSlurm:
    """The test's side: the cluster's jobs as the fake commands will report them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bin = folder / "bin"
        self.state_file = folder / "state.json"
        self.calls_file = folder / "calls.jsonl"

    @classmethod
    def install(cls, folder: Path) -> FakeSlurm:
        fake = cls(folder)
        fake.bin.mkdir(parents=True)
        fake._save({"next_id": 4000, "accounting": True, "down": False, "refuse": None,
                    "kill_caller": False,
                    "node": "node1", "partitions": ["debug"], "jobs": {}})
        for tool in TOOLS:
            script = fake.bin / tool
            script.write_text(f"#!/bin/sh\nexec {sys.executable} -S {Path(__file__).resolve()} "
                              f"{folder} {tool} \"$@\"\n")
            script.chmod(0o755)
        return fake

    def _load(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        return data

    def _save(self, data: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.state_file)

    def set(self, **cluster: object) -> None:
        """Cluster-wide answers: accounting (bool), down (bool), refuse (sbatch's error),
        kill_caller (sbatch takes the job, answers, then SIGKILLs the command that ran it:
        a submitter that dies before recording the job id)."""
        data = self._load()
        data.update(cluster)
        self._save(data)

    def job(self, job_id: str, **fields: object) -> None:
        """Change what Slurm says of a job: state, reason, node, elapsed ("M:SS"),
        exit_code ("code:signal"), queued (squeue lists it), accounted (sacct knows it),
        remembered (scontrol knows it)."""
        data = self._load()
        data["jobs"][job_id].update(fields)
        self._save(data)

    def jobs(self) -> dict[str, dict[str, Any]]:
        jobs: dict[str, dict[str, Any]] = self._load()["jobs"]
        return jobs

    def calls(self, tool: str | None = None) -> list[list[str]]:
        """The arguments of each call so far (of `tool` only, if given)."""
        if not self.calls_file.exists():
            return []
        argvs = [json.loads(line) for line in self.calls_file.read_text().splitlines()]
        return [a for a in argvs if tool is None or a[0] == tool]


def _queue_line(job_id: str, job: dict[str, Any]) -> str:
    node = job["node"] if job["state"] != "PENDING" else ""
    return "|".join((job_id, job["state"], job["reason"] or "None", node, job["elapsed"],
                     job["time_limit"]))


def _sbatch(data: dict[str, Any], args: list[str]) -> tuple[int, str, str]:
    if data["refuse"]:
        return 1, "", f"sbatch: error: {data['refuse']}\n"
    if "--test-only" in args:
        return 0, "", "sbatch: Job 1 to start at now using 1 processors on nodes node1\n"
    script = Path(args[-1])
    options = dict(line[len("#SBATCH --"):].split("=", 1) for line in
                   script.read_text().splitlines() if line.startswith("#SBATCH --") and "=" in line)
    job_id = str(data["next_id"])
    data["next_id"] += 1
    data["jobs"][job_id] = {"state": "PENDING", "reason": "Priority", "node": data["node"],
                            "elapsed": "0:00", "time_limit": "1:00:00", "exit_code": "0:0",
                            "queued": True, "accounted": True, "remembered": True,
                            "name": options.get("job-name", script.name),
                            "workdir": options.get("chdir", str(script.parent)).strip("'\""),
                            "script": str(script)}
    return 0, f"{job_id};fusiontui\n", ""


def _squeue(data: dict[str, Any], args: list[str]) -> tuple[int, str, str]:
    jobs = {k: v for k, v in data["jobs"].items() if v["queued"]}
    if "-j" in args:
        wanted = args[args.index("-j") + 1].split(",")
        if not any(w in data["jobs"] for w in wanted):
            return 1, "", "slurm_load_jobs error: Invalid job id specified\n"
        jobs = {k: v for k, v in jobs.items() if k in wanted}
    if "-n" in args:
        names = args[args.index("-n") + 1].split(",")
        return 0, "".join(f"{_queue_line(k, v)}|{v['name']}|{v['workdir']}\n"
                          for k, v in jobs.items() if v["name"] in names), ""
    return 0, "".join(_queue_line(k, v) + "\n" for k, v in jobs.items()), ""


def _sacct(data: dict[str, Any], args: list[str]) -> tuple[int, str, str]:
    if not data["accounting"]:
        return 1, "", "sacct: error: Slurm accounting storage is disabled\n"
    jobs = {k: v for k, v in data["jobs"].items() if v["accounted"]}
    if "--name" in args:
        names = args[args.index("--name") + 1].split(",")
        return 0, "".join(f"{k}|{v['state']}|{v['name']}|{v['workdir']}\n"
                          for k, v in jobs.items() if v["name"] in names), ""
    wanted = args[args.index("-j") + 1].split(",")
    seconds = {k: _seconds(v["elapsed"]) for k, v in jobs.items()}
    return 0, "".join(f"{k}|{k}|{v['state']}|{v['exit_code']}|{v['node']}|{seconds[k]}|"
                      f"{v['time_limit']}\n" for k, v in jobs.items() if k in wanted), ""


def _scontrol(data: dict[str, Any], args: list[str]) -> tuple[int, str, str]:
    job = data["jobs"].get(args[-1])
    if job is None or not job["remembered"]:
        return 1, "", "slurm_load_jobs error: Invalid job id specified\n"
    return 0, (f"JobId={args[-1]} JobName={job['name']} JobState={job['state']} "
               f"Reason={job['reason'] or 'None'} Restarts=0 ExitCode={job['exit_code']} "
               f"RunTime={job['elapsed']} TimeLimit={job['time_limit']} "
               f"NodeList={job['node']}\n"), ""


def _scancel(data: dict[str, Any], args: list[str]) -> tuple[int, str, str]:
    job = data["jobs"].get(args[-1].split("_", 1)[0])
    if job is not None and job["queued"]:
        job.update(state="CANCELLED", queued=False, reason=None)
    return 0, "", ""


def _sinfo(data: dict[str, Any], args: list[str]) -> tuple[int, str, str]:
    names = [data["node"]] if "-N" in args else data["partitions"]
    return 0, "".join(n + "\n" for n in names), ""


def _seconds(elapsed: str) -> int:
    minutes, _, seconds = elapsed.rpartition(":")
    return int(minutes or 0) * 60 + int(seconds)


def main(folder: Path, tool: str, args: list[str]) -> int:
    fake = FakeSlurm(folder)
    with fake.calls_file.open("a") as log:
        log.write(json.dumps([tool, *args]) + "\n")
    data = fake._load()
    if data["down"] and tool != "sbatch":
        sys.stderr.write(f"{tool}: error: {DOWN}\n")
        return 1
    code, out, err = {"sbatch": _sbatch, "squeue": _squeue, "sacct": _sacct,
                      "scontrol": _scontrol, "scancel": _scancel, "sinfo": _sinfo}[tool](data, args)
    fake._save(data)
    sys.stdout.write(out)
    sys.stderr.write(err)
    if tool == "sbatch" and data["kill_caller"] and "--test-only" not in args:
        sys.stdout.flush()
        os.kill(os.getppid(), signal.SIGKILL)  # the wrapper exec'd us: the parent is the caller
    return code


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:]))
