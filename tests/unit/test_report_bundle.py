"""The bundle's pieces in-process: a sweep's grid through its spec and back (every field
of `Grid`, whatever it holds), member names that would leave the bundle, and the one
folder a bundle may be packed in."""

from __future__ import annotations

import json

import pytest

from fusion_tui.base.errors import ConfigError
from fusion_tui.report.bundle import _member_name, _unwrapped, grid_from, sweep_spec
from fusion_tui.store.models import Sweep
from fusion_tui.store.status import utcnow
from fusion_tui.sweeps.grid import Grid, parse_axis


@pytest.mark.parametrize("grid", [
    Grid((parse_axis("routing_settings.k_paths=1,3"),), (1, 2, 3)),
    Grid((parse_axis("x.y=[1,2],[3,4]"),), (), True),
    Grid((), (7,), False),
])
def test_a_grid_survives_its_spec_and_json(grid: Grid) -> None:
    sweep = Sweep(id="0123456789ab", name="n", template="minimal", overrides_json='["a.b=1"]',
                  grid_json=json.dumps(grid.as_json()),
                  seeds_json=json.dumps(list(grid.seeds)) if grid.seeds else None,
                  split_loads=grid.split_loads, executor="local", created_at=utcnow())
    spec = json.loads(json.dumps(sweep_spec(sweep)))
    assert grid_from(spec["grid"]) == grid
    assert spec["overrides"] == ["a.b=1"] and spec["template"] == "minimal"


@pytest.mark.parametrize("name", ["/etc/passwd", "bundle/../../x", "..", "a\\..\\b", "a\x00b"])
def test_names_that_leave_the_bundle_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="would leave the bundle"):
        _member_name(name, "bundle b")


def test_one_wrapping_folder_is_taken_off_whatever_its_name() -> None:
    assert _member_name("./bundle/./configs/a.ini", "b") == "bundle/configs/a.ini"
    assert _unwrapped({"paper/manifest.json": b"", "paper/configs/a.ini": b""}) == {
        "manifest.json": b"", "configs/a.ini": b""}
    flat = {"manifest.json": b"", "configs/a.ini": b""}
    assert _unwrapped(flat) == flat
