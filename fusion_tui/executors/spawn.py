"""Start a run's supervisor as a detached process on this machine.

The supervisor is a session leader of its own (no controlling terminal, so no SIGHUP
when an SSH connection drops) and outlives whoever started it. Whoever starts one first
takes the run's supervisor lock and hands the locked descriptor to it. The local executor
starts supervisors this way, and so do a supervisor and a waiter that find a run whose
supervisor died (standard library and `base` only: a supervisor stays small). A recorder
helper that starts a queued run also hands the new supervisor a warm helper of its own,
and has it forked by the fork server (`base/recorder_handover.py`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base import lock, procs
from fusion_tui.base.recorder_handover import FLAG, RecorderHandover, start_forked
from fusion_tui.base.rundir import RunPaths

if TYPE_CHECKING:
    import socket

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def _supervisor_env(env: dict[str, str], run_id: str) -> dict[str, str]:
    """`env` with the markers of other roles taken out and the supervisor's own put in,
    and this package importable."""
    env = {k: v for k, v in env.items() if k not in procs.MARKERS}
    env[procs.SUPERVISOR_MARKER] = run_id
    path = env.get("PYTHONPATH")
    if _PACKAGE_PARENT not in (path or "").split(os.pathsep):
        env["PYTHONPATH"] = _PACKAGE_PARENT + (os.pathsep + path if path else "")
    return env


def _open_log(paths: RunPaths) -> int:
    return os.open(paths.supervisor_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                   | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)


def start_supervisor(paths: RunPaths, run_id: str, lock_fd: int, *, adopt: bool,
                     env: Callable[[], dict[str, str]],
                     handover: RecorderHandover | None = None) -> int:
    """Start a detached supervisor that inherits `lock_fd`; returns its pid.

    `env()` is the environment to give it (settings as `FUSION_TUI_*` variables), made
    only if a process is started with it (a supervisor the fork server forks has the
    server's, the same settings'). With
    `handover` (a recorder helper starting a queued run) the supervisor is given the
    pipes of the helper that serves it (the recorder itself), and it is forked by the
    fork server when one answers. One started here then is not reaped by a thread: the
    recorder reaps its children as it serves, and one that is not serving forks a
    helper next, which must find no other thread.
    """
    log = _open_log(paths)
    try:
        ends = None
        if handover is not None:
            with contextlib.suppress(OSError):  # short of descriptors: it starts a helper itself
                ends = handover.offer(log)
        if handover is None or ends is None:
            proc = _spawn(paths, run_id, ["--lock-fd", str(lock_fd),
                                          *(["--adopt"] if adopt else [])], env(), log,
                          (lock_fd,))
            if handover is None:  # (a recorder reaps its children itself, see above)
                # Reap it when it ends, so a long-lived app collects no zombies.
                threading.Thread(target=proc.wait, name=f"reap-{proc.pid}",
                                 daemon=True).start()
            return proc.pid
        try:
            if not adopt:
                pid = _fork_from_server(handover, paths, run_id, (lock_fd, *ends, log), env)
                if pid is not None:
                    return pid
            args = ["--lock-fd", str(lock_fd), *(["--adopt"] if adopt else []),
                    FLAG, f"{ends[0]},{ends[1]}"]
            return _spawn(paths, run_id, args, env(), log, (lock_fd, *ends)).pid
        except BaseException:
            handover.withdraw()
            raise
        finally:
            for fd in ends:
                with contextlib.suppress(OSError):
                    os.close(fd)
    finally:
        os.close(log)


def _fork_from_server(handover: RecorderHandover, paths: RunPaths, run_id: str,
                      fds: tuple[int, int, int, int],
                      env: Callable[[], dict[str, str]]) -> int | None:
    """The pid of the supervisor the fork server forked and handed `fds`, starting the
    server first if this helper has none; None when it cannot (then nothing was handed
    over, and the caller starts the supervisor itself)."""
    for fresh in (False, True):
        if handover.fork_server_stuck:
            return None
        try:
            if handover.fork_server is None:
                handover.fork_server = _start_fork_server(env())
            return start_forked(handover.fork_server, str(paths.root), run_id, fds)
        except OSError as exc:
            if handover.fork_server is not None:
                handover.fork_server.close()
                handover.fork_server = None  # gone or stuck: the next start tries a new one
            # One that did not answer in time has cost its wait: the other runs claimed
            # with this one start as usual (each must start well within the window in
            # which a claimed run with no supervisor counts as lost).
            handover.fork_server_stuck = isinstance(exc, TimeoutError)
            if fresh:
                return None
    return None


def _start_fork_server(env: dict[str, str]) -> socket.socket:
    """A new fork server (`runs/fork_server.py`), and the socket that asks it."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.runs.fork_server", str(theirs.fileno())],
            cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=_supervisor_env(env, procs.UNASSIGNED),
            start_new_session=True, close_fds=True, pass_fds=(theirs.fileno(),))
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return ours


def _spawn(paths: RunPaths, run_id: str, args: list[str], env: dict[str, str], log: int,
           keep: tuple[int, ...]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fusion_tui.runs.supervisor", *args, str(paths.root), run_id],
        cwd=paths.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env=_supervisor_env(env, run_id), start_new_session=True, close_fds=True,
        pass_fds=keep)


def adopt_if_orphaned(paths: RunPaths, run_id: str, env: Callable[[], dict[str, str]], *,
                      registered: bool = False) -> int | None:
    """If no supervisor holds the run's lock, start one that adopts the run; its pid, or
    None when the run has a supervisor. With `registered` (a run found in the runs
    folder's register), only while its entry is still there once the lock is ours: a
    start that failed takes the entry out before it lets the lock go, and such a run has
    nothing to adopt. OSError when the lock or process cannot be had."""
    fd = lock.take(paths.lock)
    if fd is None:
        return None
    if registered and not paths.active_entry.exists():
        os.close(fd)
        return None
    try:
        return start_supervisor(paths, run_id, fd, adopt=True, env=env)
    finally:
        os.close(fd)
