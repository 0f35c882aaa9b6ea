"""Listing a folder tree and removing it by that list, on real folders: links are
unlinked and never followed (also a folder swapped for a link after the listing), what
was made after the listing goes too, and what cannot go is named."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fusion_tui.base.tree_removal import Listing, Unremovable, list_removable, remove_listed


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder and a file that no removal may touch."""
    keep = tmp_path / "outside"
    (keep / "inner").mkdir(parents=True)
    (keep / "inner" / "precious.txt").write_text("keep me")
    (keep / "precious.txt").write_text("keep me too")
    return keep


def _untouched(outside: Path) -> bool:
    return ((outside / "inner" / "precious.txt").read_text() == "keep me"
            and (outside / "precious.txt").read_text() == "keep me too")


@pytest.fixture
def tree(tmp_path: Path, outside: Path) -> Path:
    """A run-like folder with files, a nested folder, and links out of it."""
    root = tmp_path / "runs" / "0123456789ab"
    (root / "logs" / "deep").mkdir(parents=True)
    (root / "config.ini").write_text("[general]\n")
    (root / "logs" / "sim.log").write_text("a line\n")
    (root / "logs" / "deep" / "x.json").write_text("{}")
    (root / "to-folder").symlink_to(outside)
    (root / "logs" / "to-file").symlink_to(outside / "precious.txt")
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    return root


def _names(listing: Listing) -> set[str]:
    """Every path in `listing`, relative to its root."""
    found = set(listing.others)
    for name, inner in listing.folders:
        found |= {name} | {f"{name}/{n}" for n in _names(inner)}
    return found


def test_a_tree_is_listed_then_removed_and_links_out_of_it_are_not_followed(
        tree: Path, outside: Path) -> None:
    listing = list_removable(str(tree))
    assert listing is not None
    assert _names(listing) == {"config.ini", "to-folder", "dangling", "logs", "logs/sim.log",
                               "logs/to-file", "logs/deep", "logs/deep/x.json"}
    assert dict(listing.folders).keys() == {"logs"}  # a link to a folder is not a folder here
    assert remove_listed(str(tree), listing) == []
    assert not tree.exists() and not os.path.lexists(tree)
    assert _untouched(outside)


def test_a_folder_swapped_for_a_link_after_the_listing_is_not_entered(
        tree: Path, outside: Path) -> None:
    listing = list_removable(str(tree))
    assert listing is not None
    shutil.rmtree(tree / "logs")
    (tree / "logs").symlink_to(outside / "inner")  # listed as a folder: now a link to ours
    (outside / "inner" / "sim.log").write_text("not the run's")
    (outside / "inner" / "deep").mkdir()
    assert remove_listed(str(tree), listing) == []
    assert not os.path.lexists(tree)
    assert _untouched(outside)
    assert (outside / "inner" / "sim.log").read_text() == "not the run's"
    assert (outside / "inner" / "deep").is_dir()


def test_what_was_made_after_the_listing_goes_too(tree: Path) -> None:
    listing = list_removable(str(tree))
    assert listing is not None
    (tree / "logs" / "late.log").write_text("written after")
    (tree / "new" / "deeper").mkdir(parents=True)
    assert remove_listed(str(tree), listing) == []
    assert not os.path.lexists(tree)


def test_no_tree_to_remove_at_a_link_a_file_or_nothing(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "link").symlink_to(outside)
    (tmp_path / "file").write_text("x")
    for name in ("link", "file", "missing"):
        assert list_removable(str(tmp_path / name)) is None
    assert _untouched(outside)


@pytest.fixture
def mounted(tree: Path) -> Iterator[Path]:
    inner = tree / "logs" / "mounted"
    inner.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(inner)], check=True)
    try:
        yield inner
    finally:
        subprocess.run(["umount", str(inner)], check=True)


def test_a_mount_point_in_the_tree_is_refused_before_anything_changes(
        tree: Path, mounted: Path) -> None:
    before = sorted(tree.rglob("*"))
    with pytest.raises(Unremovable) as refused:
        list_removable(str(tree))
    assert str(refused.value) == f"{mounted} is a mount point"
    assert sorted(tree.rglob("*")) == before


def test_what_cannot_go_is_named(tree: Path, tmp_path: Path) -> None:
    busy = tree / "logs" / "busy.txt"
    busy.write_text("x")
    source = tmp_path / "bind-source.txt"
    source.write_text("y")
    listing = list_removable(str(tree))  # a file bound over a file: not a mount of folders
    assert listing is not None
    subprocess.run(["mount", "--bind", str(source), str(busy)], check=True)
    try:
        failures = remove_listed(str(tree), listing)
        assert failures[0] == f"{busy}: Device or resource busy", failures
        assert [p.name for p in tree.rglob("*")] == ["logs", "busy.txt"]
    finally:
        subprocess.run(["umount", str(busy)], check=True)
    assert source.read_text() == "y"
