"""A sweep's grid: paired axes (`--zip`) instead of a full grid, and how a grid grows
(`sweep extend`): every bad request is one line naming what is wrong."""

from __future__ import annotations

import pytest

from fusion_tui.base.errors import ConfigError
from fusion_tui.sweeps.grid import (
    SEED_KEY,
    Grid,
    grown,
    parse_axis,
    parse_loads,
    parse_zip,
)

K = parse_axis("routing_settings.k_paths=1,2,3")
ALLOC = parse_axis("general_settings.allocation_method=first_fit,best_fit,last_fit")
MOD = parse_axis("general_settings.mod_assumption=a,b")


def test_zipped_axes_are_paired_and_crossed_with_the_others() -> None:
    grid = Grid((K, MOD, ALLOC), (1, 2), zipped=parse_zip("k_paths,allocation_method"))
    points = grid.combinations()
    assert grid.size == len(points) == 3 * 2 * 2
    pairs = {(p[K.key], p[ALLOC.key]) for p in points}
    assert pairs == {("1", "first_fit"), ("2", "best_fit"), ("3", "last_fit")}
    assert list(points[0]) == [K.key, MOD.key, ALLOC.key, SEED_KEY]  # the grid's key order
    assert [(p[K.key], p[MOD.key], p[SEED_KEY]) for p in points[:4]] == \
        [("1", "a", "1"), ("1", "a", "2"), ("1", "b", "1"), ("1", "b", "2")]
    assert grid.zipped == (K.key, ALLOC.key)  # short names resolved


def test_a_full_grid_is_unchanged() -> None:
    assert len(Grid((K, ALLOC)).combinations()) == 9


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Grid((K, MOD), zipped=parse_zip("k_paths,mod_assumption")),
     "--zip k_paths,mod_assumption: paired axes need as many values each, not 3 and 2"),
    (lambda: Grid((K, ALLOC), zipped=parse_zip("k_paths,nosuch")),
     "--zip nosuch: not one of the --grid keys"),
    (lambda: parse_zip("k_paths"), "expected two or more grid keys"),
    (lambda: Grid((K,), loads=("300",)), "--loads: only a sweep with one run per load"),
    (lambda: parse_loads("300,x"), "expected numbers"),
    (lambda: parse_loads("300,300"), "listed twice"),
    (lambda: parse_loads("-3"), "positive"),
])
def test_bad_grids_say_what_is_wrong(make: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make()  # type: ignore[operator]
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_grid_grows_by_values_seeds_and_loads() -> None:
    grid = Grid((K, ALLOC), (1, 2), zipped=(K.key, ALLOC.key))
    more = grown(grid, (parse_axis("routing_settings.k_paths=4"),
                        parse_axis("general_settings.allocation_method=priority_first")),
                 (3,), (), ())
    assert more.axes[0].values == ("1", "2", "3", "4") and more.seeds == (1, 2, 3)
    assert more.size == 4 * 3 and more.zipped == grid.zipped
    split = Grid((), (1,), split_loads=True)
    assert grown(split, (), (2,), ("900",), ("300", "600")).loads == ("300", "600", "900")
    assert grown(split, (), (2,), (), ("300", "600")).loads == ("300", "600")


@pytest.mark.parametrize(("axes", "seeds", "loads", "message"), [
    ((), (), (), "nothing to add"),
    ((parse_axis("routing_settings.nosuch=1"),), (), (),
     "--grid routing_settings.nosuch: not swept by this sweep"),
    ((parse_axis("routing_settings.k_paths=2,9"),), (), (),
     "--grid routing_settings.k_paths: 2 already in the sweep"),
    ((), (2, 5), (), "--seeds: seed(s) 2 already in the sweep"),
    ((), (), ("900",), "--loads: the sweep runs every load in each of its runs"),
    ((parse_axis("routing_settings.k_paths=9"),), (), (),
     "paired axes need as many values each, not 4 and 3"),
])
def test_growing_refuses_what_does_not_fit(axes: tuple[object, ...], seeds: tuple[int, ...],
                                           loads: tuple[str, ...], message: str) -> None:
    grid = Grid((K, ALLOC), (1, 2), zipped=(K.key, ALLOC.key))
    with pytest.raises(ConfigError) as caught:
        grown(grid, axes, seeds, loads, ())  # type: ignore[arg-type]
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_seeds_cannot_be_added_to_a_sweep_without_seeds() -> None:
    with pytest.raises(ConfigError, match="no seeds to add to"):
        grown(Grid((K,)), (), (1,), (), ())


def test_the_matrix_of_a_paired_grid_has_only_its_pairs_as_rows() -> None:
    from fusion_tui.sweeps.matrix import build_matrix

    grid = Grid((K, ALLOC, MOD), (1,), zipped=(K.key, ALLOC.key))
    matrix = build_matrix(grid, [], results={})
    assert matrix.rows == [("1", "first_fit"), ("2", "best_fit"), ("3", "last_fit")]
    assert matrix.columns == ["a", "b"] and len(matrix.cells) == 6
    assert build_matrix(Grid((K, ALLOC)), [], results={}).rows == [("1",), ("2",), ("3",)]
