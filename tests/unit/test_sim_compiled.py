"""The compiled engine (sim/compiled.py) gives the pure engine's results exactly, on
every shape it implements: cores, bands across its 62-slot words (and windows longer than
a word), guard slots, k paths, fallback formats, first and last fit, warm-up, light and
saturated loads. Configurations it does not implement are refused, or run on the pure
engine under `engine = auto`."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from sim_helpers import run_sim, write_config

from fusion_tui.base.errors import ConfigError
from fusion_tui.sim.config import load_config
from fusion_tui.sim.engine import RoutingTable, simulate_iteration
from fusion_tui.sim.modulation import DEFAULT_TABLE, ModulationTable
from fusion_tui.sim.runner import AUTO_COMPILED_FROM, uses_compiled
from fusion_tui.sim.topology import load_topology

compiled = pytest.importorskip("fusion_tui.sim.compiled")

MIX = (25.0, 50.0, 100.0, 200.0, 400.0)
# One format needing 130 slots: a window longer than two words, so shifts cross words.
WIDE = ModulationTable({100.0: [("wide", 1e9, 130)]})


def table(network: str = "NSFNet", modulation: ModulationTable | None = None,
          **changes: object) -> RoutingTable:
    args: dict[str, object] = dict(k_paths=3, cores=1, c_band=100, guard_slots=1,
                                   bandwidths=MIX, probabilities=(0.1, 0.2, 0.4, 0.2, 0.1),
                                   num_requests=3000)
    args.update(changes)
    return RoutingTable.build(load_topology(network), modulation or ModulationTable(DEFAULT_TABLE),
                              **args)  # type: ignore[arg-type]


def assert_same(tab: RoutingTable, **run: object) -> None:
    """Both engines, the same arguments: equal results, field by field."""
    kwargs: dict[str, object] = dict(holding_time=1.0, num_requests=3000, seed="s:0")
    kwargs.update(run)
    pure = simulate_iteration(tab, **kwargs)  # type: ignore[arg-type]
    fast = compiled.simulate_iteration(tab, **kwargs)
    differ = [f.name for f in dataclasses.fields(pure)
              if getattr(pure, f.name) != getattr(fast, f.name)]
    assert not differ, differ
    assert pure.requests == 3000


@pytest.mark.parametrize(("cores", "c_band"), [(1, 16), (1, 62), (1, 63), (3, 100),
                                               (2, 124), (1, 125), (1, 320)])
@pytest.mark.parametrize("allocation", ["first_fit", "last_fit"])
def test_same_results_across_cores_and_words(cores: int, c_band: int, allocation: str) -> None:
    tab = table(cores=cores, c_band=c_band)
    for erlang in (50.0, 400.0):
        assert_same(tab, erlang=erlang, allocation=allocation, seed=f"w:{erlang}")


@pytest.mark.parametrize(("k_paths", "guard", "fallback", "warmup"),
                         list(itertools.product([1, 5], [0, 2], [False, True], [0, 700])))
def test_same_results_across_routing_formats_and_warm_up(k_paths: int, guard: int,
                                                         fallback: bool, warmup: int) -> None:
    tab = table(k_paths=k_paths, guard_slots=guard, fallback=fallback)
    assert_same(tab, erlang=250.0, allocation="first_fit", warmup=warmup)


def test_same_results_on_saturation_and_on_an_unreachable_bandwidth() -> None:
    """A load that blocks most requests, and 400 Gb/s beyond every format's reach on
    USNet's long paths (distance blocking)."""
    tab = table("USNet", c_band=40)
    assert_same(tab, erlang=5000.0, allocation="first_fit")
    result = compiled.simulate_iteration(tab, erlang=5000.0, holding_time=1.0,
                                         num_requests=3000, allocation="first_fit", seed="s:0")
    assert result.blocking > 0.5 and result.distance_blocked > 0


def test_same_results_with_windows_longer_than_a_word() -> None:
    tab = table(modulation=WIDE, c_band=400, guard_slots=1, bandwidths=(100.0,),
                probabilities=(1.0,))
    for allocation in ("first_fit", "last_fit"):
        assert_same(tab, erlang=3.0, allocation=allocation)


def test_what_it_implements() -> None:
    assert compiled.supports(table(), "first_fit", False)
    assert compiled.supports(table(), "last_fit", False)
    assert not compiled.supports(table(), "best_fit", False)
    assert not compiled.supports(table(), "first_fit", True)
    assert not compiled.supports(table(max_segments=4), "first_fit", False)


def _config(tmp: Path, **changes: str) -> Path:
    return write_config(tmp, **{"builtin_settings.engine": "compiled", **changes})


@pytest.mark.parametrize(("change", "value"), [
    ("general_settings.allocation_method", "best_fit"),
    ("general_settings.max_segments", "4"),
    ("debug.check_invariants", "True"),
])
def test_compiled_is_refused_for_what_it_does_not_implement(tmp_path: Path, change: str,
                                                            value: str) -> None:
    config = _config(tmp_path, **{change: value})
    with pytest.raises(ConfigError, match=r"^\[builtin_settings\] engine: the compiled"):
        load_config(config)
    done = run_sim(config, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "fusion-tui-sim: [builtin_settings] engine: the compiled engine runs first_fit or "
        "last_fit without slicing (max_segments = 1) or invariant checks; use engine = "
        "python or auto"]
    assert not (tmp_path / "output").exists()


def test_an_unknown_engine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"engine"):
        load_config(_config(tmp_path, **{"builtin_settings.engine": "turbo"}))


def test_auto_compiles_long_runs_only(tmp_path: Path) -> None:
    short = load_config(write_config(tmp_path / "short"))
    long = load_config(write_config(tmp_path / "long", **{
        "general_settings.num_requests": str(AUTO_COMPILED_FROM)}))
    best = load_config(write_config(tmp_path / "best", **{
        "general_settings.num_requests": str(AUTO_COMPILED_FROM),
        "general_settings.allocation_method": "best_fit"}))
    python = load_config(write_config(tmp_path / "python", **{
        "general_settings.num_requests": str(AUTO_COMPILED_FROM),
        "builtin_settings.engine": "python"}))
    assert short.engine == long.engine == "auto"
    assert not uses_compiled(short) and uses_compiled(long)
    assert not uses_compiled(best) and not uses_compiled(python)
    assert uses_compiled(load_config(_config(tmp_path / "compiled")))


ROOT = Path(__file__).resolve().parents[2]


def _sim_without_site_packages(config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """The real simulator in an interpreter without site-packages (`-S`): no numba, and
    no other installed package either (the simulator needs none)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from fusion_tui.sim.cli import main; "
            "sys.exit(main(sys.argv[2:]))")
    return subprocess.run(
        [sys.executable, "-S", "-c", code, str(ROOT), "--config_path", str(config),
         "--output_dir", str(out / "output"), "--workers", "1"],
        capture_output=True, text=True, timeout=120)


def test_without_numba_compiled_is_refused_and_auto_runs_the_pure_engine(tmp_path: Path
                                                                         ) -> None:
    refused = _sim_without_site_packages(_config(tmp_path / "compiled"), tmp_path / "compiled")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "fusion-tui-sim: [builtin_settings] engine: compiled needs numba, which is not "
        "installed (pip install 'fusion-tui[fast]')"]
    assert not (tmp_path / "compiled" / "output").exists()
    # Long enough for auto (2 loads x 1,000 iterations x 2,000 requests), and short:
    # FUSION's early stop ends each load after a few iterations.
    config = write_config(tmp_path / "auto", **{"general_settings.max_iters": "1000"})
    assert uses_compiled(load_config(config))  # here, where numba is installed
    done = _sim_without_site_packages(config, tmp_path / "auto")
    assert done.returncode == 0, done.stderr
    assert "Engine: compiled" not in done.stdout and "ending for Erlang" in done.stdout
    assert sorted(p.name for p in (tmp_path / "auto" / "output").iterdir()) == [
        "300.0_erlang.json", "600.0_erlang.json", "summary.csv"]
