"""Which line of FUSION a checkout holds, told from its files and its `.git` (never by
importing it: that would run its code and take seconds):

- the 6.x line: a `fusion/` package (`fusion/__init__.py`) with a `pyproject.toml`; its
  entry is `python -m fusion.cli.run_sim run_sim`;
- the 5.5 line (tag v5.5.1 and the `feature/grooming-new` branch that descends from it):
  a top-level `run_sim.py` beside `src/`, no `fusion/` package; the branch adds required
  keys (`snr_margin`...) to its `arg_scripts/config_args.py`.

Both kinds of FUSION run use it: `doctor` says which line it found, and a template of one
line pointed at a checkout of the other is told so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fusion_tui.base.git import git_commit
from fusion_tui.base.safefile import read_text

SIX = "6.x"
FIVE_FIVE = "5.5"
LINE_NAMES = {SIX: "the FUSION 6.x line", FIVE_FIVE: "FUSION's 5.5 line"}
_LIMIT = 1 << 20
_BRANCH = re.compile(r"ref: refs/heads/(\S+)\Z")


@dataclass(frozen=True)
class Checkout:
    line: str | None  # SIX, FIVE_FIVE, or None: not a FUSION checkout
    evidence: str  # the files that told, for messages
    commit: str | None
    branch: str | None
    tag: str | None  # a tag at that commit (v5.5.1), when the .git names one
    grooming_keys: bool  # the 5.5 line's grooming branch keys (snr_margin...) are read

    def describe(self) -> str:
        """`FUSION's 5.5 line (top-level run_sim.py; git 2db135b2 on feature/grooming-new)`."""
        if self.line is None:
            return "not a FUSION checkout"
        git = [f"git {self.commit[:8]}" if self.commit else "no git commit found"]
        if self.branch:
            git.append(f"on {self.branch}")
        if self.tag:
            git.append(f"tag {self.tag}")
        if self.grooming_keys:
            git.append("with the grooming branch's keys")
        return f"{LINE_NAMES[self.line]} ({self.evidence}; {' '.join(git)})"


def _is_file(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink()
    except OSError:
        return False


def _branch(home: Path) -> str | None:
    try:
        head = read_text(home / ".git" / "HEAD", _LIMIT).strip()
    except (OSError, UnicodeDecodeError):
        return None
    match = _BRANCH.match(head)
    return match.group(1) if match else None


def _tag_at(home: Path, commit: str | None) -> str | None:
    """A tag naming `commit` in the checkout's refs (loose or packed; an annotated tag's
    peeled line counts)."""
    if commit is None:
        return None
    git = home / ".git"
    try:
        tags = git / "refs" / "tags"
        for entry in sorted(tags.iterdir()) if tags.is_dir() else []:
            if read_text(entry, _LIMIT).strip() == commit:
                return entry.name
        lines = read_text(git / "packed-refs", _LIMIT).splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    last_tag = None
    for line in lines:
        parts = line.split()
        if line.startswith("^") and last_tag and line[1:].strip() == commit:
            return last_tag
        last_tag = None
        if len(parts) == 2 and parts[1].startswith("refs/tags/"):
            last_tag = parts[1][len("refs/tags/"):]
            if parts[0] == commit:
                return last_tag
    return None


def _reads_grooming_keys(home: Path) -> bool:
    try:
        return "snr_margin" in read_text(home / "arg_scripts" / "config_args.py", _LIMIT)
    except (OSError, UnicodeDecodeError):
        return False


def identify(home: Path) -> Checkout:
    """The line of the FUSION checkout at `home` (None when it is neither)."""
    if _is_file(home / "fusion" / "__init__.py"):
        line, evidence = SIX, "a fusion/ package"
    elif _is_file(home / "run_sim.py") and (home / "src").is_dir():
        line, evidence = FIVE_FIVE, "a top-level run_sim.py and src/"
    else:
        return Checkout(None, "neither a fusion/ package nor a top-level run_sim.py", None,
                        None, None, False)
    commit = git_commit(home)
    grooming = line == FIVE_FIVE and _reads_grooming_keys(home)
    return Checkout(line, evidence, commit, _branch(home), _tag_at(home, commit), grooming)
