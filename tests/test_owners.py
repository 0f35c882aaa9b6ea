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
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import _postgres_database, make_settings

from fusion_tui import cli
from fusion_tui.runs.errors import NotYours
from fusion_tui.services import open_services
from fusion_tui.settings import Settings

USERS = ("ft-alice", "ft-bob")


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/false",
                        name], check=True, capture_output=True)
        return pwd.getpwnam(name)


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
