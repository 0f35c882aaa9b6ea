"""End to end in a real terminal: the installed `fusion-tui` inside tmux, driven with
send-keys and read with capture-pane. Create a run, watch it progress, cancel it; the
README's first run exactly as shipped; the real app killed or hung up under its runs."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAKE_COMMAND, TESTS

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (.ci/run installs it)")


def _fusion_tui() -> str:
    local = Path(sys.executable).parent / "fusion-tui"
    found = str(local) if local.exists() else shutil.which("fusion-tui")
    if found is None:
        pytest.skip("the fusion-tui command is not installed")
    return found


# Every terminal gets a tmux server of its own (`-L`, no config file), and the app in it an
# environment built here from nothing: the default tmux server's environment is whatever
# shell first started it, so a FUSION_TUI_* variable there (a lab's database URL, another
# simulator) would reach the app under test.
KEPT = ("PATH", "LANG", "LC_ALL", "TZ")


def clean_env(env: dict[str, str], home: Path) -> dict[str, str]:
    """What the app in a test terminal sees: `env`, its own HOME and XDG folders under
    `home`, and from the caller only what finds programs and prints text."""
    import os

    base = {k: os.environ[k] for k in KEPT if k in os.environ}
    return {**base, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"), "TERM": "xterm-256color", **env}


class Terminal:
    def __init__(self, name: str) -> None:
        self.name = name
        self.socket = name

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              check=check, capture_output=True, text=True)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", self.name, "-p").stdout

    def wait_for(self, pattern: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} never appeared; screen:\n{self.screen()}")


def _open(env: dict[str, str], size: tuple[int, int] = (120, 35),
          home: Path | None = None) -> Terminal:
    """The installed app in a new private tmux server; `home` (default: a folder beside
    FUSION_TUI_HOME) is its HOME, so it never reads the caller's settings or store."""
    if home is None:
        home = Path(env["FUSION_TUI_HOME"]).parent / "user-home"
    home.mkdir(parents=True, exist_ok=True)
    terminal = Terminal(f"ft-{uuid.uuid4().hex[:8]}")
    command = " ".join(f"{k}={shlex.quote(v)}" for k, v in clean_env(env, home).items())
    terminal.tmux("new-session", "-d", "-s", terminal.name, "-x", str(size[0]), "-y",
                  str(size[1]), f"env -i {command} {shlex.quote(_fusion_tui())}")
    return terminal


def create_by_keys(terminal: Terminal, count: int, created: str,
                   form: str = "Test template for the fake simulator") -> None:
    """From an empty run list: `n`, the fake template's form (once `form` shows),
    ctrl+s; `count` times."""
    terminal.wait_for("No runs yet")
    for _ in range(count):
        terminal.keys("n")
        terminal.wait_for(form)
        terminal.keys("C-s")
        terminal.wait_for(created)
        terminal.wait_for(r"runs \d+-\d+ of \d+")  # back on the run list


def _close(terminal: Terminal) -> None:
    """Kill the terminal's whole private server (its one session)."""
    terminal.tmux("kill-server", check=False)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    home = tmp_path / "home"
    (home / "templates").mkdir(parents=True)
    slow = (TESTS / "data" / "templates" / "fake.ini").read_text()
    slow = slow.replace("max_iters = 2", "max_iters = 30").replace("sleep = 0.05", "sleep = 0.3")
    (home / "templates" / "minimal.ini").write_text(slow)
    terminal = _open({"FUSION_TUI_HOME": str(home), "FUSION_TUI_SIMULATOR_COMMAND": FAKE_COMMAND})
    try:
        yield terminal
    finally:
        _close(terminal)


def _percent(screen: str) -> int:
    for line in screen.splitlines():
        if "RUNNING" in line and (m := re.search(r"(\d+)%", line)):
            return int(m.group(1))
    return -1


def test_create_watch_and_cancel_in_tmux(terminal: Terminal, tmp_path: Path) -> None:
    terminal.wait_for("No runs yet")
    terminal.keys("n")
    terminal.wait_for("new run")
    terminal.wait_for("Test template for the fake simulator")
    terminal.keys("C-s")
    terminal.wait_for("RUNNING")
    first = _percent(terminal.wait_for(r"RUNNING.*\d+%"))
    deadline = time.monotonic() + 20
    later = first
    while later <= first and time.monotonic() < deadline:
        time.sleep(0.3)
        later = _percent(terminal.screen())
    assert later > first, f"progress did not advance past {first}%"
    terminal.keys("c")
    terminal.wait_for("Cancel runs")
    terminal.keys("y")
    terminal.wait_for("CANCELLED", timeout=30)
    runs = [p for p in (tmp_path / "home" / "runs").iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1
    status = json.loads((runs[0] / "status.json").read_text())
    assert status["status"] == "CANCELLED"
    pids = json.loads((runs[0] / "output" / "pids.json").read_text())
    alive = subprocess.run(["ps", "-o", "pid=", "-p", ",".join(map(str, pids))],
                           capture_output=True, text=True).stdout.split()
    assert alive == []


def test_the_readme_first_run_as_shipped(tmp_path: Path) -> None:
    """`n`, then `ctrl+s` on the shipped `minimal` template, the built-in simulator."""
    home = tmp_path / "home"
    terminal = _open({"FUSION_TUI_HOME": str(home), "TERM": "xterm-256color"})
    try:
        terminal.wait_for("No runs yet")
        terminal.keys("n")
        terminal.wait_for("new run")
        terminal.wait_for("minimal")
        terminal.keys("C-s")
        terminal.wait_for(r"COMPLETED", timeout=120)
        runs = [p for p in (home / "runs").iterdir() if not p.name.startswith(".")]
        assert len(runs) == 1
        status = json.loads((runs[0] / "status.json").read_text())
        assert (status["status"], status["exit_code"]) == ("COMPLETED", 0)
        names = sorted(p.name for p in (runs[0] / "output").iterdir())
        assert "summary.csv" in names and any(n.endswith("_erlang.json") for n in names)
    finally:
        _close(terminal)


def test_the_app_under_test_sees_none_of_the_callers_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lab's database URL and another simulator in the environment of whoever runs the
    suite (and so of a tmux server it starts) never reach the app in a test terminal, nor
    does the caller's home: the app runs in its own tmux server with its own HOME."""
    import os

    caller_home = tmp_path / "caller-home"
    caller_home.mkdir()
    decoy_store = tmp_path / "lab-store.db"
    monkeypatch.setenv("HOME", str(caller_home))
    monkeypatch.setenv("FUSION_TUI_DATABASE_URL", f"sqlite:///{decoy_store}")
    monkeypatch.setenv("FUSION_TUI_SIMULATOR_COMMAND", "/bin/false")
    monkeypatch.setenv("FUSION_TUI_LEAK_CANARY", "1")
    home = tmp_path / "home"
    terminal = _open({"FUSION_TUI_HOME": str(home)})
    try:
        terminal.wait_for("No runs yet")
        seen = dict(entry.split("=", 1) for entry in Path(
            f"/proc/{_app_pid(terminal)}/environ").read_text().split("\0") if "=" in entry)
        assert {k for k in seen if k.startswith("FUSION_TUI_")} == {"FUSION_TUI_HOME"}
        assert seen["HOME"] == str(tmp_path / "user-home")
        default = subprocess.run(["tmux", "list-sessions", "-F", "#{session_name}"],
                                 capture_output=True, text=True, env={**os.environ})
        assert terminal.name not in default.stdout  # not on the default server
    finally:
        _close(terminal)
    assert not decoy_store.exists()
    assert not any(caller_home.iterdir())


def _pane_pid(terminal: Terminal) -> int:
    out = terminal.tmux("list-panes", "-t", terminal.name, "-F", "#{pane_pid}").stdout
    return int(out.split()[0])


def _app_pid(terminal: Terminal) -> int:
    """The fusion-tui process in the pane (`env` execs it, so usually the pane itself)."""
    import psutil

    pane = psutil.Process(_pane_pid(terminal))
    for proc in [pane, *pane.children(recursive=True)]:
        if any("fusion-tui" in part for part in proc.cmdline()):
            return proc.pid
    raise AssertionError("no fusion-tui process in the pane")


@pytest.mark.parametrize("how", ["kill -9", "hang-up (tmux session killed)"])
def test_runs_survive_the_real_app_and_the_queue_moves_on(tmp_path: Path, how: str) -> None:
    import os
    import signal

    from helpers import alive

    home = tmp_path / "home"
    (home / "templates").mkdir(parents=True)
    slow = (TESTS / "data" / "templates" / "fake.ini").read_text()
    (home / "templates" / "minimal.ini").write_text(slow.replace("sleep = 0.05", "sleep = 0.5"))
    terminal = _open({"FUSION_TUI_HOME": str(home), "FUSION_TUI_SIMULATOR_COMMAND": FAKE_COMMAND,
                      "TERM": "xterm-256color"})
    try:
        create_by_keys(terminal, 2, "queue: 1 at once")
        terminal.wait_for(r"RUNNING[\s\S]*PENDING|PENDING[\s\S]*RUNNING")
        app = _app_pid(terminal)
        if how == "kill -9":
            os.kill(app, signal.SIGKILL)
        else:
            _close(terminal)
        deadline = time.monotonic() + 10
        while alive(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(app)
        runs = [p for p in (home / "runs").iterdir() if not p.name.startswith(".")]
        assert len(runs) == 2

        def outcome(run: Path) -> str | None:
            try:
                return str(json.loads((run / "status.json").read_text()).get("status"))
            except (OSError, ValueError):
                return None

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and \
                not all(outcome(r) == "COMPLETED" for r in runs):
            time.sleep(0.2)
        assert [outcome(r) for r in runs] == ["COMPLETED", "COMPLETED"]
    finally:
        _close(terminal)


def _xterm_256(index: int) -> tuple[int, int, int]:
    """xterm's colour `index` (0-255) as RGB."""
    base = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
            (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
            (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
    if index < 16:
        return base[index]
    if index >= 232:
        grey = 8 + (index - 232) * 10
        return (grey, grey, grey)
    index -= 16
    steps = [0, 95, 135, 175, 215, 255]
    return (steps[index // 36], steps[index // 6 % 6], steps[index % 6])


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(rgb: tuple[int, int, int]) -> float:
        r, g, b = ((v / 255 / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055)
                    ** 2.4) for v in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    low, high = sorted((lum(a), lum(b)))
    return (high + 0.05) / (low + 0.05)


Colours = tuple[tuple[int, int, int], tuple[int, int, int], list[int]]


def _pieces(line: str) -> Iterator[tuple[str, Colours]]:
    """Each run of text of `line` (capture-pane -e output) with its (text, background)
    colours as seen and the SGR parameters in force; the terminal's defaults are light
    on black."""
    fg, bg, reverse = (229, 229, 229), (0, 0, 0), False
    params: list[int] = []
    for part in re.split(r"(\x1b\[[\d;]*m)", line):
        if not part.startswith("\x1b["):
            if part:
                yield part, ((bg, fg, params) if reverse else (fg, bg, params))
            continue
        codes = [int(c) for c in part[2:-1].split(";") if c] or [0]
        params = list(params)
        i = 0
        while i < len(codes):
            code = codes[i]
            if code == 0:
                fg, bg, reverse, params = (229, 229, 229), (0, 0, 0), False, []
            elif code == 7:
                reverse = True
            elif code in (38, 48) and codes[i + 1] == 5:
                colour = _xterm_256(codes[i + 2])
                fg, bg = (colour, bg) if code == 38 else (fg, colour)
                i += 2
            elif code in (38, 48) and codes[i + 1] == 2:
                colour = (codes[i + 2], codes[i + 3], codes[i + 4])
                fg, bg = (colour, bg) if code == 38 else (fg, colour)
                i += 4
            elif 30 <= code <= 37 or 90 <= code <= 97:
                fg = _xterm_256(code - 30 if code < 90 else code - 82)
            elif 40 <= code <= 47 or 100 <= code <= 107:
                bg = _xterm_256(code - 40 if code < 100 else code - 92)
            elif code == 39:
                fg = (229, 229, 229)
            elif code == 49:
                bg = (0, 0, 0)
            if code:
                params.append(code)
            i += 1


def _colours_at(screen: str, text: str) -> Colours:
    """The colours where `text` starts on `screen`."""
    line = next(x for x in screen.splitlines() if text in re.sub(r"\x1b\[[\d;]*m", "", x))
    return next(colours for piece, colours in _pieces(line) if text[:1] in piece)


def test_statuses_read_without_colour_and_in_16_colours_in_a_real_terminal(
        tmp_path: Path) -> None:
    """A cancelled run in a real terminal: with NO_COLOR (a 256-colour terminal: greys)
    its status is readable on its row (the report was grey 237 on 233); in 16 colours
    (TERM=linux) each status is the terminal's own colour, readable on black; with both,
    no colour at all."""
    home = tmp_path / "home"
    (home / "templates").mkdir(parents=True)
    slow = (TESTS / "data" / "templates" / "fake.ini").read_text()
    (home / "templates" / "minimal.ini").write_text(
        slow.replace("max_iters = 2", "max_iters = 30").replace("sleep = 0.05", "sleep = 0.3"))
    env = {"FUSION_TUI_HOME": str(home), "FUSION_TUI_SIMULATOR_COMMAND": FAKE_COMMAND}
    terminal = _open({**env, "NO_COLOR": "1"}, size=(80, 24))
    try:
        create_by_keys(terminal, 2, "RUNNING")
        terminal.keys("c")
        terminal.wait_for("Cancel run")
        terminal.keys("y")
        terminal.wait_for("CANCELLED", timeout=30)
        screen = terminal.tmux("capture-pane", "-e", "-t", terminal.name, "-p").stdout
        for line in screen.splitlines():  # every character, the statuses among them
            for piece, (fg, bg, _) in _pieces(line):
                if piece.strip():
                    assert fg[0] == fg[1] == fg[2] and bg[0] == bg[1] == bg[2], piece
                    assert _contrast(fg, bg) >= 4.0, (piece, fg, bg)
        assert "■ CANCELLED" in screen and "▶ RUNNING" in screen
    finally:
        _close(terminal)
    for extra, coloured in (({"TERM": "linux"}, True), ({"TERM": "linux", "NO_COLOR": "1"},
                                                        False)):
        terminal = _open({**env, **extra}, size=(80, 24))
        try:
            terminal.wait_for("CANCELLED")
            terminal.wait_for(r"runs \d+-\d+ of \d+")
            screen = terminal.tmux("capture-pane", "-e", "-t", terminal.name, "-p").stdout
            for status in ("■ CANCELLED", "▶ RUNNING"):
                fg, bg, params = _colours_at(screen, status)
                assert _contrast(fg, bg) >= 3.0, (extra, status, fg, bg)
                assert not {38, 48} & set(params)  # 16 colours at most
            if not coloured:
                codes = {int(c) for s in re.findall(r"\x1b\[([\d;]*)m", screen)
                         for c in s.split(";") if c}
                assert not codes & {*range(30, 38), *range(40, 48), *range(90, 98),
                                    *range(100, 108), 38, 48}, codes
        finally:
            _close(terminal)
