"""Artifact listing and path-traversal refusal on a real directory tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fusion_tui.base.ids import InvalidRunId
from fusion_tui.base.rundir import RunPaths
from fusion_tui.runs.artifacts import UnsafePath, list_artifacts, resolve_artifact


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    paths = RunPaths.for_run(tmp_path / "runs", "0123456789ab")
    paths.create()
    (paths.output / "300_erlang.json").write_text("{}")
    (paths.output / "sub").mkdir()
    (paths.output / "sub" / "summary.csv").write_text("a,b\n1,2\n")
    (paths.output / ".hidden").write_text("x")
    (paths.output / ".cache").mkdir()
    (paths.output / ".cache" / "in-hidden.txt").write_text("x")
    sibling = paths.root / "output2"
    sibling.mkdir()
    (sibling / "x").write_text("secret")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    os.symlink(outside, paths.output / "escape-link")
    os.symlink(sibling / "x", paths.output / "sibling-link")
    os.symlink(paths.output / "300_erlang.json", paths.output / "inside-link")
    os.symlink(paths.output / "loop", paths.output / "loop")
    return paths.root


def test_listing_skips_hidden_and_escaping_links(run_dir: Path) -> None:
    listed = {a.path: a.size for a in list_artifacts(run_dir)}
    assert listed == {"300_erlang.json": 2, "inside-link": 2, "sub/summary.csv": 8}


def test_resolves_files_inside_output(run_dir: Path) -> None:
    assert resolve_artifact(run_dir, "sub/summary.csv").read_text() == "a,b\n1,2\n"
    assert resolve_artifact(run_dir, "inside-link").name == "300_erlang.json"


@pytest.mark.parametrize("relative,message", [
    ("../config.ini", "'..' is not allowed"),
    ("sub/../../config.ini", "'..' is not allowed"),
    ("..\\config.ini", "'..' is not allowed"),
    ("/etc/passwd", "absolute paths are not allowed"),
    ("C:\\Windows\\win.ini", "absolute paths are not allowed"),
    ("escape-link", "leads outside"),
    ("sibling-link", "leads outside"),
    ("sub", "is not a file"),
    ("", "empty"),
    ("a\x00b", "NUL"),
    ("loop", "symlink loop"),
])
def test_refuses_unsafe_paths(run_dir: Path, relative: str, message: str) -> None:
    with pytest.raises(UnsafePath, match=message):
        resolve_artifact(run_dir, relative)


def test_missing_artifact(run_dir: Path) -> None:
    with pytest.raises(FileNotFoundError):
        resolve_artifact(run_dir, "nope.json")


@pytest.mark.parametrize("bad", ["../../etc", "0123456789AB", "0123456789a", "", "x" * 12])
def test_run_ids_are_checked_before_paths_are_built(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidRunId):
        RunPaths.for_run(tmp_path, bad)
