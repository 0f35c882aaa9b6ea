"""Several users, one store: two real OS users share the real PostgreSQL of CI.

Each user acts in a forked process that has switched to that user (setuid), with fusion-
tui already imported, so the checks see the OS user exactly as a login would.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import FAKE_SIM, _postgres_database, make_settings
from helpers import eventually

from fusion_tui import cli
from fusion_tui.base.settings import Settings
from fusion_tui.executors.slurm.commands import SlurmClient
from fusion_tui.runs.errors import NotYours
from fusion_tui.runs.evidence import supervisor_outcome
from fusion_tui.services import open_services

# Imported before any fork: in a child that became another user, this checkout's Python
# (and its standard library) may be out of reach (/root), so nothing may import late.

USERS = ("ft-alice", "ft-bob")


def _ensure_user(name: str) -> pwd.struct_passwd:
    """The OS user `name`, made if missing. Another xdist worker may be making it at the
    same moment (useradd then says it exists, or that /etc/passwd is locked): try again."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                   "/bin/false", name], capture_output=True, text=True)
            if made.returncode != 0 and time.monotonic() > deadline:
                raise AssertionError(f"useradd {name}: {made.stderr.strip()}") from None
            time.sleep(0.0 if made.returncode == 0 else 0.2)


@pytest.fixture
def users(tmp_path: Path) -> Iterator[dict[str, Settings]]:
    if os.getuid() != 0:
        pytest.skip("the two-user cases create OS users: run as root (.ci/run does)")
    database = _postgres_database()
    url = next(database)
    # pytest's own temporary folders are private to root; the users need to reach theirs.
    shared = Path(tempfile.mkdtemp(prefix="fusion-tui-owners-", dir="/tmp"))
    shared.chmod(0o755)
    out: dict[str, Settings] = {}
    for name in USERS:
        entry = _ensure_user(name)
        home = shared / name
        home.mkdir()
        os.chown(home, entry.pw_uid, entry.pw_gid)
        base = make_settings(tmp_path, url)
        # The queue stays paused, so the simulator never runs; its command need only be
        # one that every user may execute (this checkout's Python may be in /root).
        out[name] = base.with_overrides(home=home, runs_dir=home / "runs",
                                        user_templates_dir=home / "templates",
                                        simulator_command="/bin/true {config_path}")
    svc = open_services(make_settings(tmp_path, url))  # migrate once, before the users act
    for name in USERS:  # each user's own queue: their runs stay PENDING, no process needed
        svc.store.set_queue(paused=True, owner=name)
    svc.close()
    try:
        yield out
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        with contextlib.suppress(StopIteration):
            next(database)


def as_user(name: str, action: Callable[[], Any]) -> Any:
    """Run `action` in a forked child that has become OS user `name`; its result."""
    entry = pwd.getpwnam(name)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def body() -> None:
        try:
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            os.environ["HOME"] = "/nonexistent"
            child.send(("ok", action()))
        except BaseException as exc:
            child.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))

    proc = ctx.Process(target=body)
    proc.start()
    kind, value = parent.recv()
    proc.join(30)
    if kind == "error":
        raise AssertionError(value)
    return value


def _cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = {**settings.to_env()}
    os.environ.update(env)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_each_run_has_an_owner_and_only_the_owner_may_change_it(
        users: dict[str, Settings]) -> None:
    alice, bob = (users[u] for u in USERS)

    def alice_creates() -> list[str]:
        svc = open_services(alice)
        try:
            return [svc.manager.create("fake", name=f"alice {i}").id for i in range(2)]
        finally:
            svc.close()

    first, second = as_user("ft-alice", alice_creates)

    def bob_tries() -> dict[str, Any]:
        svc = open_services(bob)
        seen: dict[str, Any] = {}
        try:
            run = svc.manager.get(first)
            seen["owner"] = run.owner
            for what, act in (("cancel", svc.manager.cancel), ("delete", svc.manager.delete)):
                try:
                    act(first)
                    seen[what] = "allowed"
                except NotYours as exc:
                    seen[what] = str(exc)
            seen["status"] = svc.manager.get(first).status
        finally:
            svc.close()
        seen["cli_cancel"] = _cli(bob, "cancel", first)
        seen["cli_rm"] = _cli(bob, "rm", second)
        seen["mine"] = _cli(bob, "runs", "--json")
        seen["all"] = _cli(bob, "runs", "--all", "--json")
        return seen

    seen = as_user("ft-bob", bob_tries)
    assert seen["owner"] == "ft-alice"
    assert seen["cancel"] == f"run {first} belongs to ft-alice; only they can cancel it"
    assert seen["delete"] == f"run {first} belongs to ft-alice; only they can delete it"
    assert seen["status"] == "PENDING"
    code, _, err = seen["cli_cancel"]
    assert code == 2 and err.strip() == \
        f"fusion-tui: run {first} belongs to ft-alice; only they can cancel it"
    assert seen["cli_rm"][0] == 2 and "belongs to ft-alice" in seen["cli_rm"][2]
    assert json.loads(seen["mine"][1]) == []
    listed = json.loads(seen["all"][1])
    assert {(r["id"], r["owner"]) for r in listed} == {(first, "ft-alice"),
                                                       (second, "ft-alice")}

    def alice_cleans_up() -> tuple[str, int]:
        svc = open_services(alice)
        try:
            status = svc.manager.cancel(first).status
            svc.manager.delete(first)
            return status, svc.store.count_runs()
        finally:
            svc.close()

    assert as_user("ft-alice", alice_cleans_up) == ("CANCELLED", 1)


# -- another user's live run: nothing of bob's may fail on it, touch it or start it --------

LIVE_ROW = ("status", "pid", "pid_started", "supervisor_pid", "supervisor_started",
            "started_at", "completed_at", "exit_code", "error_message", "hostname")


def _python_for_everyone(shared: Path) -> Path:
    """An interpreter every user may run, with this checkout's packages: this venv's own
    when others may execute it, else one made from the system's Python of the same
    version (a venv whose `.pth` adds this venv's packages, which all may read)."""
    def executable_by_all(path: Path) -> bool:
        real = path.resolve()
        return all(p.stat().st_mode & 0o001 for p in real.parents) and \
            bool(real.stat().st_mode & 0o001)

    if executable_by_all(Path(sys.executable)):
        return Path(sys.executable)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    if system is None or not executable_by_all(Path(system)):
        pytest.skip(f"no {version} that other users may run")
    venv = shared / "python"
    subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    ours = sysconfig.get_paths()["purelib"]
    (site / "fusion_tui_test.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return venv / "bin" / "python"


@pytest.fixture
def lab(users: dict[str, Settings]) -> Iterator[tuple[dict[str, Settings], Path]]:
    """The two users, a Python both may run (a live run needs a real supervisor), and
    the fake simulator for both (alice's runs make it hang once it has made progress)."""
    shared = Path(str(users["ft-alice"].home)).parent
    python = _python_for_everyone(shared)
    command = (f"{python} {FAKE_SIM} --config_path {{config_path}} --run_id {{run_id}}"
               " --progress_file {progress_file} --output_dir {output_dir}")
    # bob's runs complete, so they need a simulator that writes its results too.
    yield {name: users[name].with_overrides(simulator_command=command) for name in users}, python


def test_another_users_private_live_run_never_stops_or_is_touched_by_my_commands(
        lab: tuple[dict[str, Settings], Path]) -> None:
    """alice (umask 077) has a RUNNING run with a live supervisor of hers and a queued
    one; every command of bob's works, says "not readable" where it would look into her
    folder, and neither signals, settles, adopts nor starts anything of hers; bob's
    pause, start and parallel change his own queue only."""
    users, python = lab
    alice, bob = users["ft-alice"], users["ft-bob"]

    def alice_starts() -> dict[str, Any]:
        os.umask(0o077)
        sys.executable = str(python)  # her supervisor must be a process she can run
        svc = open_services(alice)
        try:
            svc.store.set_queue(paused=False, max_concurrent=1)
            live = svc.manager.create("fake", name="alice live",
                                      overrides=["fake.behaviour=hang"]).id
            queued = svc.manager.create("fake", name="alice queued").id
            deadline = time.monotonic() + 30
            while (run := svc.manager.get(live)).pid is None or run.supervisor_pid is None:
                assert time.monotonic() < deadline, "alice's run never started"
                time.sleep(0.1)
            return {"live": live, "queued": queued,
                    "row": {k: getattr(run, k) for k in LIVE_ROW},
                    "events": len(svc.store.events(live)),
                    "folder": oct(Path(run.run_dir).stat().st_mode & 0o777)}
        finally:
            svc.close()

    def alice_cancels() -> list[str]:
        svc = open_services(alice)
        try:
            return [svc.manager.cancel(run_id).status for run_id in (queued, live)]
        finally:
            svc.close()

    started = as_user("ft-alice", alice_starts)
    live, queued = started["live"], started["queued"]
    supervisor = psutil.Process(started["row"]["supervisor_pid"])
    tree = [supervisor, *supervisor.children(recursive=True)]
    try:
        assert started["row"]["status"] == "RUNNING" and started["folder"] == "0o700"

        def bob_acts() -> dict[str, Any]:
            sys.executable = str(python)
            seen: dict[str, Any] = {}
            seen["new"] = _cli(bob, "new", "--template", "fake", "--json")
            mine = json.loads(seen["new"][1]).get("id", "?")  # checked below
            for name, args in (("runs", ["runs", "--json"]), ("all", ["runs", "--all", "--json"]),
                               ("show", ["show", live]), ("show_json", ["show", live, "--json"]),
                               ("stats", ["stats", "--json"]),
                               ("stats_all", ["stats", "--all", "--json"]),
                               ("start", ["start", "--json"]),
                               # his one slot is his own: alice's running run is not in it
                               ("wait_mine", ["wait", mine, "--timeout", "60"]),
                               ("parallel", ["parallel", "3", "--json"]),
                               ("pause", ["pause", "--json"]),
                               ("wait", ["wait", live, "--timeout", "1"]),
                               ("export", ["export", live, "--format", "csv"]),
                               ("plot", ["plot", live, "-o", f"{bob.home}/mine.png"]),
                               ("compare", ["compare", live]),
                               ("logs", ["logs", live])):
                seen[name] = _cli(bob, *args)
            return seen

        # bob's forked process cannot read modules from this root-only interpreter's
        # standard library: what `plot` imports late is imported here, before the fork.
        import matplotlib.pyplot  # noqa: F401

        seen = as_user("ft-bob", bob_acts)
        for name in ("new", "runs", "all", "show", "show_json", "stats", "pause", "start",
                     "wait_mine", "parallel", "export"):
            assert seen[name][0] == 0, (name, seen[name])
            assert "Permission denied" not in seen[name][2], (name, seen[name])
        assert seen["wait"][0] == 124 and "still RUNNING" in seen["wait"][2]  # not exit 2
        assert seen["logs"][0] == 2 and seen["logs"][2].strip() == (
            f"fusion-tui: the log of run {live} is not readable: the run belongs to "
            "ft-alice and its folder is closed to you")
        mine = json.loads(seen["runs"][1])
        assert [r["owner"] for r in mine] == ["ft-bob"]
        assert {live, queued} <= {r["id"] for r in json.loads(seen["all"][1])}
        assert "(not readable)" in seen["show"][1]
        # his statistics are of his runs, as his run list is; --all counts everyone's
        assert json.loads(seen["stats"][1])["total"] == 1
        assert json.loads(seen["stats_all"][1])["total"] == 3
        assert json.loads(seen["show_json"][1])["folder_readable"] is False
        assert json.loads(seen["pause"][1])["paused"] is True
        assert json.loads(seen["parallel"][1])["max_concurrent"] == 3
        assert f"run {live}: its folder is not readable" in seen["export"][2]
        assert seen["plot"][0] == 0, seen["plot"]
        assert f"run {live}: its folder is not readable" in seen["plot"][2]
        # once: the text form ends with its warnings, so stderr does not repeat them
        assert seen["compare"][0] == 0 and "not readable" not in seen["compare"][2]
        assert seen["compare"][1].count(f"run {live}: its folder is not readable") == 1
        assert _bob_app(bob, python, live) == {"readable": False, "detail": True, "l": True,
                                               "a": True}

        def alice_looks() -> dict[str, Any]:
            svc = open_services(alice)
            try:
                run = svc.manager.get(live)
                return {"row": {k: getattr(run, k) for k in LIVE_ROW},
                        "events": [e.kind for e in svc.store.events(live)],
                        "queued": svc.manager.get(queued).status,
                        "queue": svc.store.queue(), "bob": svc.store.queue("ft-bob")}
            finally:
                svc.close()

        after = as_user("ft-alice", alice_looks)
        assert after["row"] == started["row"]  # not settled, adopted or re-started by bob
        assert len(after["events"]) == started["events"] and "signalled" not in after["events"]
        assert after["queued"] == "PENDING"  # bob's start and parallel 3 did not start it
        assert (after["queue"].max_concurrent, after["queue"].paused) == (1, False)
        assert (after["bob"].max_concurrent, after["bob"].paused) == (3, True)
        assert supervisor.is_running() and supervisor.username() == "ft-alice"
    finally:
        with contextlib.suppress(AssertionError):
            as_user("ft-alice", alice_cancels)
        _, alive = psutil.wait_procs(tree, timeout=30)
        for proc in alive:  # only if her cancel did not end them: never left behind
            proc.kill()


BOB_APP = """
import asyncio, json, sys, time
from fusion_tui.base.settings import Settings
from fusion_tui.tui.app import create_app
from fusion_tui.tui.screens.detail import DetailScreen
from fusion_tui.tui.widgets.runs.table import RunsTable

async def until(pilot, check):
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)

async def main(live):
    app = create_app(Settings.load(), watch_notifications=False)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: app.connected)
            await pilot.press("o")
            runs = app.screen.query_one(RunsTable)
            await until(pilot, lambda: live in runs.rows_data
                        and not runs.rows_data[live].readable)
            runs.move_cursor(row=runs.get_row_index(live))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailScreen)
                        and app.screen.run is not None)
            await until(pilot, lambda: "not readable" in str(
                app.screen.query_one("#activity").render()))
            seen = {"readable": runs.rows_data[live].readable, "detail": True}
            for key, shown in (("l", "#log-status"), ("a", "#preview-text")):
                await pilot.press(key)
                await until(pilot, lambda: bool(app.screen.query(shown)) and "not readable"
                            in str(app.screen.query_one(shown).render()))
                seen[key] = True
                await pilot.press("escape")
                await until(pilot, lambda: isinstance(app.screen, DetailScreen))
            return seen
    finally:
        app.close_services()

print(json.dumps(asyncio.run(main(sys.argv[1]))))
"""


def _bob_app(settings: Settings, python: Path, live: str) -> dict[str, Any]:
    """Bob's app (Textual's pilot) in a process of his, from a Python he may run: it
    opens, `o` shows alice's run as not readable, and its detail, log and artifacts
    screens say so."""
    env = {**settings.to_env(), "HOME": "/nonexistent", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(Path(cli.__file__).resolve().parents[1])}
    done = subprocess.run([str(python), "-c", BOB_APP, live], env=env, user="ft-bob",
                          group="ft-bob", extra_groups=[], capture_output=True, text=True,
                          timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_slurm_watcher_never_settles_another_users_run(tmp_path: Path,
                                                          sqlite_url: str) -> None:
    """A real Slurm job that has ended, its outcome in its folder: while the run is
    another user's, our watch cycles (and start-up reconcile) leave it to them; once it
    is ours, the next cycle settles it."""
    if shutil.which("sinfo") is None or subprocess.run(
            ["sinfo", "-h"], capture_output=True, timeout=30).returncode != 0:
        pytest.skip("needs the single-node Slurm cluster of .ci/start-slurm")
    svc = open_services(make_settings(tmp_path, sqlite_url, executor="slurm",
                                      slurm_poll_seconds=10.0))
    try:
        m = svc.manager
        run = m.create("fake")
        with svc.store.locked_run(run.id) as row:
            assert row is not None
            row.owner = "ft-alice"  # as if she had submitted it
        job = m.get(run.id).job
        assert job is not None and job.job_id is not None
        client = SlurmClient()
        eventually(lambda: supervisor_outcome(m.paths(run)) is not None
                   and not client.squeue([str(job.job_id)]), timeout=120, interval=0.5)
        for _ in range(2):
            m.watch(force=True)
            m.reconcile()
        theirs = m.get(run.id)
        assert theirs.status in ("PENDING", "RUNNING")
        assert not any(e.kind in ("completed", "failed", "recovered")
                       for e in svc.store.events(run.id))
        # Her run as if her `new` had died before recording the job id, long ago: our
        # watcher neither looks her job up by name nor calls it never submitted.
        with svc.store.locked_run(run.id) as row:
            assert row is not None and row.job is not None
            row.job.job_id = None
            row.created_at -= timedelta(hours=1)
        for _ in range(2):
            m.watch(force=True)
        theirs = m.get(run.id)
        assert theirs.status in ("PENDING", "RUNNING")
        assert theirs.job is not None and theirs.job.job_id is None
        assert not any(e.kind in ("completed", "failed", "recovered")
                       or "found by its name" in (e.detail or "")
                       for e in svc.store.events(run.id))
        with svc.store.locked_run(run.id) as row:
            assert row is not None
            row.owner = m.user
        m.watch(force=True)
        assert m.get(run.id).status == "COMPLETED"
    finally:
        svc.close()
