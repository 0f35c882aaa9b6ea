"""Following a simulator's result folder into the run's output/ (kinds/formats/follower.py):
a folder named before it is made (FUSION 6.1 logs `Saving to:` and then makes it; the 5.5
line's start line comes before its first save) is copied once it exists."""

from __future__ import annotations

from pathlib import Path

from fusion_tui.base.rundir import RunPaths
from fusion_tui.kinds.formats.follower import FolderFollower
from fusion_tui.monitor.progress import ProgressState


def test_a_folder_named_before_it_exists_is_followed_once_it_does(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "run")
    paths.create()
    home = tmp_path / "FUSION"
    output = home / "data" / "output"
    output.mkdir(parents=True)
    folder = output / "NSFNet" / "1207" / "10_00_00_000000"
    said: list[str] = []
    follower = FolderFollower(paths, 1 << 20, said.append,
                              lambda _progress: (str(folder), folder if folder.is_dir() else None))
    follower.sync(ProgressState(), now=True)
    assert said == [] and list(paths.output.iterdir()) == []
    folder.mkdir(parents=True)
    (folder / "300.0_erlang.json").write_text('{"blocking_mean": 0.1}')
    follower.sync(ProgressState(), now=True)
    assert (paths.output / "300.0_erlang.json").read_text() == '{"blocking_mean": 0.1}'
    assert not any("not copying" in s for s in said)


def test_a_folder_outside_the_output_tree_is_said_once_and_never_copied(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "run")
    paths.create()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "300.0_erlang.json").write_text("{}")
    said: list[str] = []
    follower = FolderFollower(paths, 1 << 20, said.append, lambda _p: (str(elsewhere), None))
    follower.sync(ProgressState(), now=True)
    follower.sync(ProgressState(), now=True)
    assert len(said) == 1 and "not copying results" in said[0]
    assert list(paths.output.iterdir()) == []
