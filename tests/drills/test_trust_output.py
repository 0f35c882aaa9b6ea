"""Drills for files written at a path the user names (`export -o`, `plot -o`): an existing
file is kept unless --force, a link is never followed, a device or a named pipe is written
into and never replaced (root must not turn /dev/null into a file), a failed write is one
line and exit 1 with nothing left at the path, and new files get the user's umask.

Real files, FIFOs, sockets, device nodes (made with mknod, as root) and a full tmpfs."""

from __future__ import annotations

import errno
import os
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from helpers import Cli, tmpfs

from fusion_tui.base.output_path import PIPE_WAIT
from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.services import open_services

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="device nodes and a tmpfs need root")
PRECIOUS = "precious,data\n1,2\n"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str]:
    """Settings and the id of one finished built-in run (results to export and plot)."""
    base = tmp_path_factory.mktemp("store")
    settings = make_settings(base, f"sqlite:///{base / 'store.db'}",
                             simulator_command=DEFAULT_BUILTIN_COMMAND)
    svc = open_services(settings)
    try:
        run = svc.manager.create("minimal")
        svc.manager.wait(run.id, timeout=120)
    finally:
        svc.close()
    return settings, run.id


def _cli(cli: Cli, settings: Settings, *args: str, umask: int = 0o022,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real `fusion-tui` command under `umask`."""
    return cli.run(*args, env=cli.env(settings), timeout=timeout, umask=umask)


def _one_line(out: subprocess.CompletedProcess[str], status: int, *words: str) -> None:
    assert out.returncode == status, (out.returncode, out.stderr)
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("fusion-tui: "), out.stderr
    assert "Traceback" not in out.stderr
    for word in words:
        assert word in out.stderr, out.stderr


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_file_is_kept_unless_force(cli: Cli, finished: tuple[Settings, str],
                                               tmp_path: Path) -> None:
    settings, run_id = finished
    out_csv = tmp_path / "results.csv"
    out_csv.write_text(PRECIOUS)
    refused = _cli(cli, settings, "export", run_id, "-o", str(out_csv))
    _one_line(refused, 2, str(out_csv), "already exists", "--force")
    assert out_csv.read_text() == PRECIOUS

    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        replaced = _cli(cli, settings, "export", run_id, "-o", str(out_csv), "--force",
                        umask=umask)
        assert replaced.returncode == 0, replaced.stderr
        assert out_csv.read_text().startswith("run_id,")
        assert _mode(out_csv) == mode, oct(_mode(out_csv))
    fresh = tmp_path / "fresh.json"
    made = _cli(cli, settings, "export", run_id, "--format", "json", "-o", str(fresh), umask=0o002)
    assert made.returncode == 0, made.stderr
    assert fresh.read_text().startswith("[") and _mode(fresh) == 0o664
    assert _leftovers(tmp_path) == []


def test_a_link_is_never_followed_nor_replaced(cli: Cli, finished: tuple[Settings, str],
                                               tmp_path: Path) -> None:
    settings, run_id = finished
    target = tmp_path / "target.csv"
    target.write_text(PRECIOUS)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere.csv")
    for path in (link, dangling):
        for force in ((), ("--force",)):
            out = _cli(cli, settings, "export", run_id, "-o", str(path), *force)
            _one_line(out, 2, str(path), "symbolic link")
            assert path.is_symlink()
    assert target.read_text() == PRECIOUS
    assert not (tmp_path / "nowhere.csv").exists()


def test_folders_sockets_and_missing_folders_are_refused(cli: Cli, finished: tuple[Settings, str],
                                                         tmp_path: Path) -> None:
    settings, run_id = finished
    folder = tmp_path / "folder"
    folder.mkdir()
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        for path, words in ((folder, ("a folder",)), (sock_path, ("a socket",)),
                            (tmp_path / "no" / "x.csv", ("does not exist",))):
            out = _cli(cli, settings, "export", run_id, "-o", str(path), "--force")
            _one_line(out, 2, str(path), *words)
        assert stat.S_ISSOCK(sock_path.lstat().st_mode)
        assert list(folder.iterdir()) == [] and not (tmp_path / "no").exists()
    finally:
        sock.close()
    assert _leftovers(tmp_path) == []


def test_a_named_pipe_with_a_reader_gets_the_data(cli: Cli, finished: tuple[Settings, str],
                                                  tmp_path: Path) -> None:
    settings, run_id = finished
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as fh:  # blocks until the writer opens
            received.append(fh.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    out = _cli(cli, settings, "export", run_id, "-o", str(fifo))
    reader.join(timeout=30)
    assert out.returncode == 0, out.stderr
    assert received and received[0].startswith(b"run_id,") and received[0].count(b"\n") > 1
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_named_pipe_without_a_reader_is_given_up_on(cli: Cli, finished: tuple[Settings, str],
                                                      tmp_path: Path) -> None:
    settings, run_id = finished
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.monotonic()
    out = _cli(cli, settings, "export", run_id, "-o", str(fifo), "--force",
               timeout=PIPE_WAIT + 30)
    _one_line(out, 1, str(fifo), "named pipe", "nothing was written")
    assert PIPE_WAIT <= time.monotonic() - started < PIPE_WAIT + 30
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert _leftovers(tmp_path) == []


def _device(path: Path, minor: int) -> Path:
    """A memory device node like /dev/null (minor 3) or /dev/full (minor 7)."""
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return path


def _same_device(path: Path, before: os.stat_result) -> bool:
    after = path.lstat()
    return stat.S_ISCHR(after.st_mode) and (after.st_rdev, after.st_mode, after.st_ino) == \
        (before.st_rdev, before.st_mode, before.st_ino)


@needs_root
def test_root_writes_into_devices_and_never_replaces_them(cli: Cli, finished: tuple[Settings, str],
                                                          tmp_path: Path) -> None:
    settings, run_id = finished
    # A null and a full device of our own first: a regression fails here, before the
    # machine's /dev/null is at stake.
    for null in (_device(tmp_path / "null", 3), Path(os.devnull)):
        before = null.lstat()
        out = _cli(cli, settings, "export", run_id, "-o", str(null))
        assert out.returncode == 0, out.stderr
        assert _same_device(null, before), f"{null} was replaced"
    for full in (_device(tmp_path / "full", 7), Path("/dev/full")):
        before = full.lstat()
        out = _cli(cli, settings, "export", run_id, "-o", str(full), "--force")
        _one_line(out, 1, str(full), "disk full")
        assert "rows written" not in out.stdout
        assert _same_device(full, before), f"{full} was replaced"
    assert _leftovers(tmp_path) == []


def _fill(disk: Path) -> None:
    """Write until `disk` has no byte left."""
    with open(disk / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 512)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    if not ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    with tmpfs(tmp_path / "disk", "64k") as disk:
        yield disk


def test_a_full_disk_is_one_line_and_leaves_nothing(cli: Cli, finished: tuple[Settings, str],
                                                    full_disk: Path) -> None:
    settings, run_id = finished
    old = full_disk / "old.csv"
    old.write_text(PRECIOUS)
    _fill(full_disk)
    new = full_disk / "new.csv"
    out = _cli(cli, settings, "export", run_id, "-o", str(new))
    _one_line(out, 1, "disk full", str(new), "nothing was left there")
    assert not new.exists()
    out = _cli(cli, settings, "export", run_id, "-o", str(old), "--force")
    _one_line(out, 1, "disk full", str(old), "unchanged")
    assert old.read_text() == PRECIOUS
    assert _leftovers(full_disk) == []


def test_plot_follows_the_same_rules(
        cli: Cli, finished: tuple[Settings, str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    settings, run_id = finished
    figure = tmp_path / "figure.png"
    figure.write_text(PRECIOUS)
    refused = _cli(cli, settings, "plot", run_id, "-o", str(figure))
    _one_line(refused, 2, str(figure), "already exists")
    assert figure.read_text() == PRECIOUS
    replaced = _cli(cli, settings, "plot", run_id, "-o", str(figure), "--force", umask=0o027)
    assert replaced.returncode == 0, replaced.stderr
    assert figure.read_bytes().startswith(b"\x89PNG") and _mode(figure) == 0o640
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "elsewhere.png")
    _one_line(_cli(cli, settings, "plot", run_id, "-o", str(link), "--force"), 2, "symbolic link")
    assert link.is_symlink() and not (tmp_path / "elsewhere.png").exists()
    if ROOT:
        full = _device(tmp_path / "full.svg", 7)
        before = full.lstat()
        _one_line(_cli(cli, settings, "plot", run_id, "-o", str(full)), 1, "disk full")
        assert _same_device(full, before)
    assert _leftovers(tmp_path) == []


def test_standard_output_that_cannot_be_written_is_one_line_and_exit_1(
        cli: Cli, finished: tuple[Settings, str]) -> None:
    """`> /dev/full` (or stdout on a full disk) is the same kind of failed write: one line,
    exit 1, also under --json (whose error object cannot be printed either)."""
    settings, run_id = finished
    for args in (["export", run_id], ["compare", run_id, "--csv"], ["runs", "--json"],
                 ["logs", run_id], ["show", run_id, "--json"], ["templates"]):
        with open("/dev/full", "wb") as full:
            out = cli.run(*args, env=cli.env(settings), stdout=full,
                          stderr=subprocess.PIPE)
        assert (out.returncode, out.stderr) == \
            (1, "fusion-tui: disk full: cannot write standard output\n"), args
