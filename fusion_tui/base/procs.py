"""Process identity and verified signalling, from `/proc` with the standard library.

A pid alone is not an identity: the kernel hands a freed pid to the next process. Every
process of ours carries a marker in its environment (`FUSION_TUI_RUN_ID=<id>` for the
simulator and everything it starts; `FUSION_TUI_SUPERVISOR_OF=<id>` for the supervisor
and the waiter it forks, told apart by pid and start time), and every signal we send is
preceded, at the moment of sending, by a check of the marker and the start time through
a pidfd: the pidfd pins the process, so a pid that is freed and reused between the check
and the signal is never signalled.

Standard library only: the supervisor and the waiter import this and stay small.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from typing import Any

RUN_MARKER = "FUSION_TUI_RUN_ID"
SUPERVISOR_MARKER = "FUSION_TUI_SUPERVISOR_OF"
# Waiters started before they were forked (fusion-tui up to 2026-12) carry this one; a
# supervisor adopting such a run after an upgrade must still know its waiter.
EXECUTED_WAITER_MARKER = "FUSION_TUI_WAITER_OF"
# A timer that starts the queue when delayed runs are due (`runs/timer.py`): their first run.
TIMER_MARKER = "FUSION_TUI_TIMER_OF"
MARKERS = (RUN_MARKER, SUPERVISOR_MARKER, EXECUTED_WAITER_MARKER, TIMER_MARKER)

# The supervisor marker of the fork server (`runs/fork_server.py`): no run's id, and
# as long as one, so that each supervisor it forks can write its own run's id over it.
UNASSIGNED = "-" * 12

START_TIME_TOLERANCE = 0.05
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_boot_time: float | None = None


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(1 << 20)
    except OSError:
        return None


def boot_time() -> float:
    """When the machine booted (seconds since the epoch), as `/proc/stat` says."""
    global _boot_time
    if _boot_time is None:
        data = _read("/proc/stat") or b""
        for line in data.splitlines():
            if line.startswith(b"btime "):
                _boot_time = float(line.split()[1])
                break
        else:
            _boot_time = 0.0
    return _boot_time


def _stat_fields(pid: int) -> list[bytes] | None:
    """Fields of /proc/<pid>/stat after the command name (state is index 0)."""
    data = _read(f"/proc/{pid}/stat")
    if not data:
        return None
    close = data.rfind(b")")
    return data[close + 2:].split() if close >= 0 else None


def start_time(pid: int) -> float | None:
    """Start time of `pid` in seconds since the epoch (psutil's create_time), or None."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    return boot_time() + int(fields[19]) / _CLOCK_TICKS


def _is_zombie(fields: list[bytes]) -> bool:
    return fields[0] in (b"Z", b"X")


def is_same_process(pid: int | None, started: float | None) -> bool:
    """True when `pid` is alive, not a zombie, and started at `started`."""
    if not pid or pid <= 0 or started is None:
        return False
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20 or _is_zombie(fields):
        return False
    return abs(boot_time() + int(fields[19]) / _CLOCK_TICKS - started) <= START_TIME_TOLERANCE


def marker(name: str, run_id: str) -> bytes:
    return f"{name}={run_id}".encode()


def take_marker(name: str, value: str) -> bool:
    """In a supervisor forked by the fork server: say `name=value` where its environment
    said `name=UNASSIGNED` (as long). `/proc/<pid>/environ`, which every check here reads,
    shows the process's own copy of the environment block it was started with (the
    kernel's env_start..env_end), so the value is written over in that block, as tools
    that retitle a process do with its arguments; `os.environ` follows. False when the
    block holds no such marker."""
    import ctypes

    if len(value) != len(UNASSIGNED):
        return False
    fields = _stat_fields(os.getpid())
    if fields is None or len(fields) < 49:
        return False
    start, end = int(fields[47]), int(fields[48])
    unassigned = marker(name, UNASSIGNED)
    block = ctypes.string_at(start, end - start)
    at = (b"\0" + block).find(b"\0" + unassigned + b"\0")  # where that string starts
    if at < 0:
        return False
    ctypes.memmove(start + at, marker(name, value), len(unassigned))
    os.environ[name] = value
    return carries(os.getpid(), marker(name, value))


def carries(pid: int, mark: bytes) -> bool:
    """True when `pid`'s environment holds the marker `mark` (NAME=value)."""
    data = _read(f"/proc/{pid}/environ")
    return data is not None and mark in data.split(b"\0")


def belongs(pid: int, mark: bytes, started: float | None = None) -> bool:
    """Alive, not a zombie, carries `mark` and (when given) started at `started`."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20 or _is_zombie(fields):
        return False
    if started is not None and not is_same_process(pid, started):
        return False
    return carries(pid, mark)


def signal_verified(pid: int | None, sig: int, mark: bytes,
                    started: float | None = None) -> bool:
    """Send `sig` to `pid` only if, at that moment, it belongs (see `belongs`).

    With a pidfd the check and the signal address the same process even if the pid is
    freed and reused in between; True only when the signal was really sent.
    """
    if not pid or pid <= 0:
        return False
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    except (AttributeError, OSError):
        fd = None
    try:
        if not belongs(pid, mark, started):
            return False
        if fd is None:
            os.kill(pid, sig)
        else:
            signal.pidfd_send_signal(fd, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False
    finally:
        if fd is not None:
            os.close(fd)


def descendants(pid: int) -> set[int] | None:
    """The pids of `pid`'s children, their children and so on, or None where that cannot
    be told (the kernel keeps no such lists, or the tree would not hold still).

    The kernel's lists are read one after another: a process that exits meanwhile hands
    its children to its subreaper, maybe after that list was read, and a walk then misses
    them. Such a child stays where it went, so the next walk finds it: the tree is walked
    until two walks in a row agree."""
    last = _walk(pid)
    for _ in range(4):
        if last is None:
            return None
        again = _walk(pid)
        if again == last:
            return last
        last = again
    return None


def _walk(pid: int) -> set[int] | None:
    """One walk down from `pid` through each thread's `children` list."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        listed = _children_of(str(parent))
        if listed is None:
            if parent == pid:
                return None  # no CONFIG_PROC_CHILDREN: nothing can be said from here
            continue  # gone meanwhile
        for child in listed:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _children_of(process: str) -> list[int] | None:
    """The children of `process` (a pid, or "self"), every thread's, zombies included;
    None when it is gone or the kernel does not list them."""
    try:
        tasks = os.listdir(f"/proc/{process}/task")
    except OSError:
        return None
    found: list[int] = []
    for task in tasks:
        listed = _read(f"/proc/{process}/task/{task}/children")
        if listed is None:
            if not os.path.exists(f"/proc/{process}/task/{task}"):
                continue  # that thread ended meanwhile
            return None
        found += [int(p) for p in listed.split()]
    return found


def processes_with(mark: bytes, below: int | None = None) -> list[tuple[int, float]]:
    """(pid, start time) of every live process whose environment carries `mark`; with
    `below`, only among that process's descendants (every process, where the kernel
    does not list them)."""
    found = []
    me = os.getpid()
    among = descendants(below) if below is not None else None
    for pid in sorted(among) if among is not None else _all_pids():
        if pid == me or not carries(pid, mark):
            continue
        fields = _stat_fields(pid)
        if fields is None or len(fields) < 20 or _is_zombie(fields):
            continue
        found.append((pid, boot_time() + int(fields[19]) / _CLOCK_TICKS))
    return found


def _all_pids() -> list[int]:
    return [int(e.name) for e in os.scandir("/proc") if e.name.isdigit()]


def setting(name: str) -> list[tuple[int, float, bytes, list[str]]]:
    """(pid, start time, marker, command line) of every live process of this user whose
    environment sets `name`, whatever its value."""
    found = []
    prefix, me, uid = f"{name}=".encode(), os.getpid(), os.getuid()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        try:
            if entry.stat().st_uid != uid:
                continue
        except OSError:
            continue
        data = _read(f"/proc/{pid}/environ")
        mark = next((m for m in (data or b"").split(b"\0") if m.startswith(prefix)), None)
        fields = _stat_fields(pid)
        if mark is None or fields is None or len(fields) < 20 or _is_zombie(fields):
            continue
        argv = [a.decode(errors="replace")
                for a in (_read(f"/proc/{pid}/cmdline") or b"").split(b"\0") if a]
        found.append((pid, boot_time() + int(fields[19]) / _CLOCK_TICKS, mark, argv))
    return found


def run_processes(run_id: str, below: int | None = None) -> list[tuple[int, float]]:
    """The simulator of `run_id` and everything it started that is still alive (with
    `below`: among that process's descendants, see `processes_with`)."""
    return processes_with(marker(RUN_MARKER, run_id), below)


def signal_run(run_id: str, sig: int) -> int:
    """Send `sig` to every live process of the run, each verified; how many were sent."""
    mark = marker(RUN_MARKER, run_id)
    return sum(signal_verified(pid, sig, mark, started)
               for pid, started in processes_with(mark))


def stop_run(run_id: str, grace: float,
             send: Callable[[int], int] | None = None, *, below: int | None = None) -> None:
    """The one escalation every stop of ours ends with: SIGTERM to the run's processes,
    up to `grace` seconds for them to go, then SIGKILL to whatever is left. `send(sig)`
    signals the run and says how many were sent (by default `signal_run`, each process
    verified); a caller passes its own to record what it sent. With `below`, the caller
    started the run and is the subreaper of what it starts: a first look among its own
    descendants says whether there is anything to stop (a look through every process
    of a crowded server, after every run of a queue, would cost far more); anything
    found is stopped as ever, from every process. (A process that a daemon started for
    the run with its environment, `at` say, is not below the caller.)"""
    send = send or (lambda sig: signal_run(run_id, sig))
    if not run_processes(run_id, below):
        return
    send(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while run_processes(run_id) and time.monotonic() < deadline:
        time.sleep(0.02)
    if run_processes(run_id):
        send(signal.SIGKILL)


def is_stopped(pid: int | None, started: float | None) -> bool:
    """True when that process (pid and start time) is stopped (SIGSTOP, a debugger): it
    would not act on anything we ask of it until it is continued."""
    if not is_same_process(pid, started):
        return False
    assert pid is not None
    fields = _stat_fields(pid)
    return fields is not None and fields[0] in (b"T", b"t")


def children() -> list[int]:
    """The pids of this process's children (every thread's), zombies included."""
    return _children_of("self") or []


def become_subreaper() -> bool:
    """Make this process the child subreaper of its descendants (Linux's
    PR_SET_CHILD_SUBREAPER): a process of ours orphaned below it (the simulator, when
    its waiter dies) becomes its child, so its exit status can still be collected
    rather than going to init. False where the kernel or libc does not offer it."""
    try:
        return int(libc().prctl(36, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


_libc: Any = None


def libc() -> Any:
    """The C library, through ctypes, loaded once: the fork server loads it before it
    forks, so that no supervisor it forks pays for importing ctypes (3 ms and 1.6 MB
    of copied pages, at every run of a queue). OSError where it cannot be loaded."""
    global _libc
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def reset_signal_dispositions() -> None:
    """Undo ignored signals and a blocked mask inherited from whoever started us (nohup,
    a non-interactive shell's `&`), so the processes we start get the defaults."""
    for sig in _ignored_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        with contextlib.suppress(OSError, ValueError):
            if signal.getsignal(sig) == signal.SIG_IGN:
                signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _ignored_signals() -> list[int]:
    """The signals this process ignores, from the kernel's mask in /proc/self/status
    (asking for each of the 64 costs a millisecond, at every run's start); every
    signal where that cannot be read."""
    for line in (_read("/proc/self/status") or b"").splitlines():
        if line.startswith(b"SigIgn:"):
            with contextlib.suppress(ValueError):
                mask = int(line.split()[1], 16)
                return [n for n in range(1, 65) if mask >> (n - 1) & 1]
    return [int(sig) for sig in signal.valid_signals()]
