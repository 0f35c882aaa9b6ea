"""Start a run's supervisor as a detached process on this machine.

The supervisor is a session leader of its own (no controlling terminal, so no SIGHUP
when an SSH connection drops) and outlives whoever started it. Whoever starts one first
takes the run's supervisor lock and hands the locked descriptor to it. The local executor
starts supervisors this way, and so do a supervisor and a waiter that find a run whose
supervisor died (standard library and `base` only: a supervisor stays small). A recorder
helper that starts a queued run also hands the new supervisor a warm helper of its own
(`base/recorder_handover.py`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from fusion_tui.base import lock, procs
from fusion_tui.base.recorder_handover import FLAG, RecorderHandover, Standby, ask_standby
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
                     env: dict[str, str], handover: RecorderHandover | None = None) -> int:
    """Start a detached supervisor that inherits `lock_fd`; returns its pid.

    `env` is the environment to give it (settings as `FUSION_TUI_*` variables). With
    `handover` (a recorder helper starting a queued run) the supervisor is given the
    pipes of the helper that will be forked for it, and it is the run's standby, told to
    go, when the helper has one for the run. Such a supervisor is not reaped by a thread
    here: the recorder forks that helper next and must have no other thread then (the
    kernel gives it to a subreaper once the short-lived recorder has ended).
    """
    log = _open_log(paths)
    try:
        if handover is None:
            proc = _spawn(paths, run_id, ["--lock-fd", str(lock_fd),
                                          *(["--adopt"] if adopt else [])], env, log, (lock_fd,))
            # Reap it when it ends, so a long-lived app collects no zombies.
            threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
            return proc.pid
        ends = handover.offer(log)
        try:
            standby = handover.standby_for(run_id) if not adopt else None
            if standby is not None:
                try:
                    return standby.go((lock_fd, *ends, log))
                except OSError:
                    pass  # it is gone: start one as usual
            args = ["--lock-fd", str(lock_fd), *(["--adopt"] if adopt else []),
                    FLAG, f"{ends[0]},{ends[1]}"]
            return _spawn(paths, run_id, args, env, log, (lock_fd, *ends)).pid
        except BaseException:
            handover.withdraw()
            raise
        finally:
            for fd in ends:
                with contextlib.suppress(OSError):
                    os.close(fd)
    finally:
        os.close(log)


def start_standby(paths: RunPaths, run_id: str, reservation_fd: int, env: dict[str, str],
                  handover: RecorderHandover) -> Standby:
    """Have the standby supervisor of a queued run forked (`runs/standby_parent.py`): it
    holds `reservation_fd` (the run's standby lock) and waits to be told to go. Its
    output goes nowhere until then: the run is not its yet. The standby parent is
    started on the first request and kept in `handover`; one that has gone is replaced.
    OSError when no parent can be had."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        for again in (False, True):
            if handover.parent is None:
                handover.parent = _start_standby_parent(env)
            try:
                ask_standby(handover.parent, str(paths.root), run_id, theirs.fileno(),
                            reservation_fd)
                break
            except OSError:
                handover.parent.close()
                handover.parent = None
                if again:
                    raise
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return Standby(run_id, ours)


def _start_standby_parent(env: dict[str, str]) -> socket.socket:
    """A new standby parent, and the socket that asks it for standbys."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        subprocess.Popen(
            [sys.executable, "-m", "fusion_tui.runs.standby_parent", str(theirs.fileno())],
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


def adopt_if_orphaned(paths: RunPaths, run_id: str, env: dict[str, str]) -> int | None:
    """If no supervisor holds the run's lock, start one that adopts the run; its pid, or
    None when the run has a supervisor. OSError when the lock or process cannot be had."""
    fd = lock.take(paths.lock)
    if fd is None:
        return None
    try:
        return start_supervisor(paths, run_id, fd, adopt=True, env=env)
    finally:
        os.close(fd)
