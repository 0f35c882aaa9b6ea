"""Sweeps on the local queue with the real built-in simulator: a grid x seeds reaches
all-COMPLETED; compare equals what the result files say; export round-trips through the
csv module; retry re-creates only failed points; bad input leaves nothing behind."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import statistics
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from helpers import Cli, flaky_command, poll_until

from fusion_tui.base.numbers import interval_text, value_text
from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings
from fusion_tui.services import Services, open_services
from fusion_tui.store.status import RunStatus

T95_DF2 = 4.302652729911275  # Student's t, two-sided 95%, 2 degrees of freedom (3 seeds)
GRID = ["--grid", "routing_settings.k_paths=1,2",
        "--grid", "general_settings.allocation_method=first_fit,best_fit",
        "--seeds", "1-3", "--set", "general_settings.num_requests=400"]


@pytest.fixture
def sim_settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url, simulator_command=DEFAULT_BUILTIN_COMMAND)


@pytest.fixture
def sim_services(sim_settings: Settings,
                 services_with: Callable[[Settings], Services]) -> Services:
    svc = services_with(sim_settings)
    svc.store.set_queue(max_concurrent=4)  # short runs: mostly Python start-ups
    return svc


@pytest.fixture
def lite_settings(tmp_path: Path, sqlite_url: str) -> Settings:
    """The built-in simulator on SQLite, for cases where the store's kind does not matter."""
    return make_settings(tmp_path, sqlite_url, simulator_command=DEFAULT_BUILTIN_COMMAND)


@pytest.fixture
def lite_services(lite_settings: Settings,
                  services_with: Callable[[Settings], Services]) -> Services:
    svc = services_with(lite_settings)
    svc.store.set_queue(max_concurrent=2)
    return svc


def _json(cli: Cli, settings: Settings, *args: str) -> Any:
    out = cli(settings, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _finished(cli: Cli, settings: Settings, sweep_id: str, timeout: float = 120) -> dict[str, Any]:
    return poll_until(lambda: _json(cli, settings, "sweep", "show", sweep_id),
                      lambda d: d["finished"] == d["total"], timeout=timeout, interval=0.5)


def _result(run_dir: str, erlang: float) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(run_dir) / "output" /
                                       f"{erlang}_erlang.json").read_text())
    return data


def test_grid_sweep_completes_and_compare_and_export_match_the_result_files(
        cli: Cli, sim_settings: Settings, sim_services: Services) -> None:
    made = _json(cli, sim_settings, "sweep", "new", "-t", "minimal", "-n", "fit study", *GRID)
    assert made["total"] == 12 and len({tuple(r["point"].items()) for r in made["runs"]}) == 12
    shown = _finished(cli, sim_settings, made["id"])
    assert shown["counts"] == {"COMPLETED": 12} and shown["eta_seconds"] is None
    assert [a["key"] for a in shown["grid"]] == ["routing_settings.k_paths",
                                                 "general_settings.allocation_method"]
    runs = {r.id: r for r in sim_services.sweeps.store.runs(made["id"])}
    for run in runs.values():  # each run's frozen config is its point
        config = json.loads(run.config_json)
        point = json.loads(run.point_json or "{}")
        assert config["routing_settings"]["k_paths"] == point["routing_settings.k_paths"]
        assert config["builtin_settings"]["seed"] == point["builtin_settings.seed"]
        assert run.seed == int(point["builtin_settings.seed"])

    compared = _json(cli, sim_settings, "compare", made["id"][:6])
    assert compared["group_by"] == ["routing_settings.k_paths",
                                    "general_settings.allocation_method"]
    assert len(compared["groups"]) == 4
    assert len(compared["tests"]) == 6 * 2  # every pair of groups, at each load
    for group in compared["groups"]:
        assert len(group["runs"]) == 3
        for point in group["points"]:
            values = [_result(runs[rid].run_dir, point["erlang"])["blocking_mean"]
                      for rid in group["runs"]]
            half = T95_DF2 * statistics.stdev(values) / math.sqrt(3)
            assert point["n"] == 3 and point["basis"] == "runs"
            assert point["mean"] == pytest.approx(statistics.fmean(values), rel=1e-12)
            assert point["ci95_low"] == pytest.approx(max(0.0, statistics.fmean(values) - half),
                                                      rel=1e-9)
            assert point["ci95_high"] == pytest.approx(statistics.fmean(values) + half, rel=1e-9)
    differing = {d["key"] for d in compared["differing_parameters"]}
    assert differing == {"routing_settings.k_paths", "general_settings.allocation_method"}

    two = _json(cli, sim_settings, "compare", made["id"], "--by", "k_paths",
                "--metric", "bit_rate_blocking")
    assert [g["label"] for g in two["groups"]] == ["k_paths=1", "k_paths=2"]
    assert [t["erlang"] for t in two["tests"]] == [300.0, 600.0]
    for test in two["tests"]:
        if test["p_value"] is None:  # paired over seeds, every seed's difference 0 here
            assert test["pairing"] == "paired (3 seeds)" and test["difference"] == 0
        else:
            assert 0.0 <= test["p_value"] <= 1.0
        means = [next(p["mean"] for p in g["points"] if p["erlang"] == test["erlang"])
                 for g in two["groups"]]
        assert test["difference"] == pytest.approx(means[0] - means[1])
    text = cli(sim_settings, "compare", made["id"], "--by", "k_paths", "--long")
    assert text.returncode == 0 and "paired (3 seeds)" in text.stdout
    assert "G1  k_paths=1  (6 runs)  pools allocation_method=best_fit,first_fit" in text.stdout
    by_k = _json(cli, sim_settings, "compare", made["id"], "--by", "k_paths")
    for group in by_k["groups"]:  # the numbers follow the one rule (base/numbers.py)
        for p in group["points"]:
            mean = value_text(p["mean"], p["ci95_low"], p["ci95_high"])
            interval = interval_text(p["ci95_low"], p["ci95_high"])
            assert re.search(rf"{re.escape(mean)} +{re.escape(interval)}", text.stdout)

    exported = cli(sim_settings, "export", made["id"], "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 12 * 2 * 2  # runs x loads x metrics
    for row in rows:
        data = _result(runs[row["run_id"]].run_dir, float(row["erlang"]))
        key = "blocking_mean" if row["metric"] == "blocking" else "bit_rate_blocking_mean"
        assert float(row["value"]) == data[key]
        assert row["seed"] == json.loads(
            runs[row["run_id"]].point_json or "{}")["builtin_settings.seed"]
        assert "builtin_settings.seed" not in row  # one seed column
        assert row["routing_settings.k_paths"] == json.loads(
            runs[row["run_id"]].point_json or "{}")["routing_settings.k_paths"]
        assert row["config_hash"] == runs[row["run_id"]].config_hash
        assert row["simulator"] == "builtin" and row["simulator_version"]
    # A group whose runs came from different simulator versions is warned about.
    first = next(iter(runs.values()))
    with sim_services.store.session(write=True) as session:
        older = session.get(type(first), first.id)
        assert older is not None
        older.provenance_json = json.dumps({"simulator": "builtin",
                                            "simulator_version": "0.0.9"})
    warned = cli(sim_settings, "compare", made["id"], "--json")
    assert warned.returncode == 0
    (warning,) = json.loads(warned.stdout)["warnings"]
    assert "mixes simulator versions: builtin 0.0.9, builtin 0.1.0" in warning
    assert "warning: group" in warned.stderr
    as_json = _json(cli, sim_settings, "export", made["id"], "--format", "json",
                    "-o", str(Path(sim_settings.home) / "out.json"))
    assert as_json["rows"] == 48
    assert len(json.loads((Path(sim_settings.home) / "out.json").read_text())) == 48


def test_retry_recreates_only_the_failed_points(cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    fail_file = tmp_path / "fail-seed"
    fail_file.write_text("2\n")
    settings = make_settings(tmp_path, sqlite_url, simulator_command=flaky_command(fail_file))
    svc = open_services(settings)
    try:
        svc.store.set_queue(max_concurrent=2)
        made = _json(cli, settings, "sweep", "new", "-t", "minimal", "--grid",
                     "routing_settings.k_paths=1,2", "--seeds", "1-3")
        first = _finished(cli, settings, made["id"])
        failed = {r["id"] for r in first["runs"] if r["status"] == "FAILED"}
        kept = {r["id"] for r in first["runs"] if r["status"] == "COMPLETED"}
        assert len(failed) == 2 and len(kept) == 4
        assert all(r["point"]["builtin_settings.seed"] == "2" for r in first["runs"]
                   if r["id"] in failed)
        fail_file.unlink()
        retried = _json(cli, settings, "sweep", "retry", made["id"])
        assert len(retried["new_runs"]) == 2
        second = _finished(cli, settings, made["id"])
        assert second["counts"] == {"COMPLETED": 6} and second["replaced_runs"] == 2
        ids = {r["id"] for r in second["runs"]}
        assert kept <= ids and not failed & ids
        origins = {r["origin_id"] for r in second["runs"] if r["id"] in retried["new_runs"]}
        assert origins == failed
        for new in retried["new_runs"]:
            run = svc.manager.get(new)
            old = svc.manager.get(run.origin_id or "")
            assert run.point_json == old.point_json and run.config_hash == old.config_hash
            assert run.sweep_id == made["id"]
        again = cli(settings, "sweep", "retry", made["id"])
        assert again.returncode == 0 and "nothing to retry" in again.stdout
        # The replaced runs stay in the store (their logs say why they failed); compare
        # uses only the current run of each point.
        assert len(svc.sweeps.store.runs(made["id"], current=False)) == 8
        compared = _json(cli, settings, "compare", made["id"])
        assert sorted(len(g["runs"]) for g in compared["groups"]) == [3, 3]
    finally:
        svc.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--grid", "routing_settings.k_paths=1,0"], "grid point k_paths=0"),
    (["--grid", "routing_settings.k_paths=1,x"], "grid point k_paths=x"),
    (["--grid", "routing_settings.nosuchkey=1,2"], "nosuchkey"),
    (["--grid", "routing_settings.k_paths"], "expected section.key=v1,v2"),
    (["--grid", "general_settings.request_distribution={\"50\": 1.0"], "unbalanced"),
    (["--seeds", "5-1"], "runs backwards"),
    (["--seeds", "1,1"], "listed twice"),
    (["--seeds", "1-3", "--grid", "builtin_settings.seed=4,5"], "both set the seed"),
    (["--grid", "routing_settings.k_paths=1,2", "--set", "routing_settings.k_paths=3"],
     "also swept"),
    (["--split-loads", "--grid", "general_settings.erlang_stop=600,900"], "--split-loads"),
    (["--seeds", "1-2", "--array-limit", "2"], "--array-limit is for a Slurm job array"),
    (["--seeds", "1-2", "-n", "bad\x1b[2Jname"], "control characters"),
    ([], "at least one --grid"),
])
def test_bad_sweep_input_is_one_line_and_leaves_nothing(
        cli: Cli, lite_settings: Settings, lite_services: Services, args: list[str],
        message: str) -> None:
    """The real command's entry point, in this process (thirteen cases, no start-ups)."""
    out = cli.inline(lite_settings, "sweep", "new", "-t", "minimal", *args)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
    assert lite_services.store.list_runs() == []
    assert lite_services.sweeps.listing() == []
    assert sorted(p.name for p in lite_settings.runs_dir.iterdir()
                  if not p.name.startswith(".")) == []
    assert not (lite_settings.runs_dir / ".sweeps").exists() or \
        not any((lite_settings.runs_dir / ".sweeps").iterdir())


def test_split_loads_makes_one_run_per_load(cli: Cli, lite_settings: Settings,
                                            lite_services: Services) -> None:
    made = _json(cli, lite_settings, "sweep", "new", "-t", "minimal", "--seeds", "1,2",
                 "--split-loads")
    assert sorted((r["point"]["erlang"], r["point"]["builtin_settings.seed"])
                  for r in made["runs"]) == [("300", "1"), ("300", "2"), ("600", "1"),
                                             ("600", "2")]
    _finished(cli, lite_settings, made["id"])
    for run in lite_services.sweeps.store.runs(made["id"]):
        assert run.total_erlangs == 1
        erlang = float(json.loads(run.point_json or "{}")["erlang"])
        assert [p.name for p in sorted((Path(run.run_dir) / "output").glob("*_erlang.json"))] \
            == [f"{erlang}_erlang.json"]
    compared = _json(cli, lite_settings, "compare", made["id"])
    assert [g["label"] for g in compared["groups"]] == ["all runs"]
    assert [(p["erlang"], p["n"]) for p in compared["groups"][0]["points"]] == \
        [(300.0, 2), (600.0, 2)]


def test_cancel_and_rm_a_sweep(cli: Cli, tmp_path: Path, sqlite_url: str) -> None:
    """Cancel and delete go through every run of the sweep (the store's side of it is
    the same code on both stores, proven with PostgreSQL above)."""
    settings = make_settings(tmp_path, sqlite_url)
    with closing(open_services(settings)) as services:
        _cancel_and_rm(cli, settings, services)


def _cancel_and_rm(cli: Cli, settings: Settings, services: Services) -> None:
    made = _json(cli, settings, "sweep", "new", "-t", "fake", "--grid", "fake.sleep=30,31,32")
    poll_until(lambda: services.sweeps.detail(made["id"]).runs,
               lambda runs: any(r.status == RunStatus.RUNNING for r in runs))
    refused = cli(settings, "sweep", "rm", made["id"])
    assert refused.returncode == 2 and "unfinished" in refused.stderr
    cancelled = _json(cli, settings, "sweep", "cancel", made["id"])
    assert len(cancelled["cancelled"]) == 3
    done = _finished(cli, settings, made["id"], timeout=60)
    assert done["counts"] == {"CANCELLED": 3}
    folders = [Path(r.run_dir) for r in services.sweeps.store.runs(made["id"])]
    removed = _json(cli, settings, "sweep", "rm", made["id"][:5])
    assert removed == {"id": made["id"], "deleted": True, "runs": 3, "kept_runs": []}
    assert not any(f.exists() for f in folders)
    assert services.sweeps.listing() == [] and services.store.list_runs() == []
    gone = cli(settings, "sweep", "show", made["id"])
    assert gone.returncode == 2 and "no sweep with id" in gone.stderr


def test_hostile_sweep_name_is_data(
        cli: Cli, lite_settings: Settings, lite_services: Services) -> None:
    lite_services.store.set_queue(paused=True)  # nothing needs to run for this
    name = "[red]$(touch pwned)`id`[/red]"
    made = _json(cli, lite_settings, "sweep", "new", "-t", "minimal", "-n", name, "--seeds", "1")
    assert made["name"] == name
    listed = cli(lite_settings, "sweep", "list")
    assert name in listed.stdout
    assert not (Path.cwd() / "pwned").exists()


def test_plot_draws_a_pdf(cli: Cli, lite_settings: Settings, lite_services: Services,
                          tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    made = _json(cli, lite_settings, "sweep", "new", "-t", "minimal", "--grid",
                 "routing_settings.k_paths=1,2", "--seeds", "1-2")
    _finished(cli, lite_settings, made["id"])
    figure = tmp_path / "figure.pdf"
    out = _json(cli, lite_settings, "plot", made["id"], "-o", str(figure))
    assert out["lines"] == 2
    assert figure.read_bytes().startswith(b"%PDF") and figure.stat().st_size > 1000
    wrong = cli(lite_settings, "plot", made["id"], "-o", str(tmp_path / "figure.gif"))
    assert wrong.returncode == 2 and ".pdf, .png, .svg or .pgf" in wrong.stderr


def test_plot_without_matplotlib_says_how_to_get_it(cli: Cli, lite_settings: Settings,
                                                    lite_services: Services,
                                                    tmp_path: Path) -> None:
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for this test')\n")
    lite_services.store.set_queue(paused=True)  # the hint comes before any result is read
    made = _json(cli, lite_settings, "sweep", "new", "-t", "minimal", "--seeds", "1")
    figure = tmp_path / "figure.png"
    out = cli(lite_settings, "plot", made["id"], "-o", str(figure),
              PYTHONPATH=str(blocker.parent))
    assert out.returncode == 2
    assert out.stderr == "fusion-tui: figures need matplotlib: pip install " \
                         "'fusion-tui[plots]'\n"
    assert not figure.exists()


def test_compare_of_loose_runs_groups_by_what_differs(cli: Cli, lite_settings: Settings,
                                                      lite_services: Services) -> None:
    a = lite_services.manager.create("minimal", overrides=["routing_settings.k_paths=1"])
    b = lite_services.manager.create("minimal", overrides=["routing_settings.k_paths=3"])
    for run in (a, b):
        lite_services.manager.wait(run.id, timeout=60)
    compared = _json(cli, lite_settings, "compare", a.id, b.id)
    assert compared["group_by"] == ["routing_settings.k_paths"]
    assert all(p["basis"] == "iterations" and p["n"] == 1
               for g in compared["groups"] for p in g["points"])
    for group, run in zip(compared["groups"], (a, b), strict=True):
        for point in group["points"]:
            data = _result(run.run_dir, point["erlang"])
            assert point["mean"] == data["blocking_mean"]
            assert point["ci95_low"] == pytest.approx(data["fusion_tui"]["ci95_low"])
    assert len(compared["tests"]) == 2
    missing = cli(lite_settings, "compare", a.id, "fffffffffff0")
    assert missing.returncode == 2 and "no run or sweep" in missing.stderr


def test_seeds_on_a_fusion_template_are_refused_with_the_reason(
        cli: Cli, lite_settings: Settings, lite_services: Services) -> None:
    """FUSION 6.1 seeds every run's traffic alike: replicas of a FUSION template would be
    the same run twice, so `--seeds` is refused before anything is made (and before
    FUSION's checkout is even looked for)."""
    out = cli.inline(lite_settings, "sweep", "new", "-t", "fusion", "--grid",
                     "general_settings.allocation_method=first_fit,priority_first",
                     "--seeds", "1-2")
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "--seeds: template 'fusion' runs FUSION 6.1" in out.stderr
    assert "replicas would be the same run" in out.stderr
    assert lite_services.store.list_runs() == [] and lite_services.sweeps.listing() == []
