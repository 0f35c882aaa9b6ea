"""Tags, notes and filters as a user runs them: real `fusion-tui` processes on real runs,
on SQLite and PostgreSQL. Also where tags and notes show (show, sweep show, export,
compare), the export's seed and interval columns, and `show`'s times against the audit
trail of a real run."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from helpers import Cli, poll_until

from fusion_tui.base.settings import DEFAULT_BUILTIN_COMMAND, Settings

HOSTILE = "[bold]x[/] \x1b[31m"  # markup and a terminal escape: data, never either
T95_DF1 = 12.706204736174698  # Student's t, two-sided 95%, 1 degree of freedom


@pytest.fixture
def cli_settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
def sim_settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url, simulator_command=DEFAULT_BUILTIN_COMMAND)


def _labels(cli: Cli, settings: Settings, ref: str) -> tuple[list[str], str | None]:
    shown = cli.json(settings, "show", ref)
    return shown["tags"], shown["note"]


def _refused(cli: Cli, settings: Settings, *args: str, message: str) -> None:
    out = cli(settings, *args)
    assert out.returncode == 2, out
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
    assert out.stdout == ""


def test_tag_and_note_round_trip_and_bad_input_changes_nothing(
        cli: Cli, cli_settings: Settings) -> None:
    a = cli.json(cli_settings, "new", "-t", "fake")["id"]
    b = cli.json(cli_settings, "new", "-t", "fake")["id"]
    both = cli.json(cli_settings, "tag", a, b[:6], "+baseline", "+k3")
    assert [(d["id"], d["kind"], d["tags"]) for d in both] == [
        (a, "run", ["baseline", "k3"]), (b, "run", ["baseline", "k3"])]
    one = cli.json(cli_settings, "tag", a, "--remove", "k3", "+paper:fig2")
    assert one == {"id": a, "kind": "run", "tags": ["baseline", "paper:fig2"], "note": None}
    listed = cli(cli_settings, "tag", a)
    assert listed.stdout == f"run {a} tags: baseline paper:fig2\n"
    note = f"first {HOSTILE}\nsecond line".replace("\x1b", "")
    noted = cli(cli_settings, "note", a, note)
    assert noted.returncode == 0, noted.stderr
    assert noted.stdout == f"run {a} note: first [bold]x[/] [31m\n" \
                           f"{'':22} second line\n"
    assert _labels(cli, cli_settings, a) == (["baseline", "paper:fig2"],
                                             "first [bold]x[/] [31m\nsecond line")

    # Bad input: one line, exit 2, nothing changed (not even the good part of it).
    _refused(cli, cli_settings, "tag", a, b, "+fine", "+bad tag",
             message="tag 'bad tag': a space is not allowed")
    _refused(cli, cli_settings, "tag", a, "0123456789ab", "+fine",
             message="no run or sweep with id '0123456789ab'")
    _refused(cli, cli_settings, "tag", a, "+fine", "-r", "fine",
             message="tag 'fine' is both added and removed")
    _refused(cli, cli_settings, "tag", a, "baseline",
             message="'baseline' is not a run or sweep id; a tag to add is written +TAG")
    _refused(cli, cli_settings, "note", a, f"red {HOSTILE}",
             message="note: the control character U+001B is not allowed")
    _refused(cli, cli_settings, "note", a, "x" * 2001, message="note: 2001 characters")
    _refused(cli, cli_settings, "note", a, "x", "--clear", message="TEXT or --clear, not both")
    assert _labels(cli, cli_settings, a) == (["baseline", "paper:fig2"],
                                             "first [bold]x[/] [31m\nsecond line")
    assert _labels(cli, cli_settings, b) == (["baseline", "k3"], None)

    shown = cli(cli_settings, "show", a).stdout
    assert "tags             baseline paper:fig2\n" in shown
    assert shown.endswith("note             first [bold]x[/] [31m\n"
                          "                 second line\n")
    events = cli.json(cli_settings, "show", a)["events"]
    assert [(e["kind"], e["detail"]) for e in events if e["kind"] in ("tagged", "noted")] == [
        ("tagged", "+baseline +k3"), ("tagged", "+paper:fig2 -k3"),
        ("noted", f"set ({len(note)} characters)")]
    assert cli.json(cli_settings, "note", a, "--clear")["note"] is None
    assert cli.json(cli_settings, "note", "@last")["note"] is None  # @last: the newest run
    assert cli.json(cli_settings, "tag", "-", "+newest")["id"] == b

    # A sweep is tagged and noted the same way, and says so in `sweep show`.
    sweep = cli.json(cli_settings, "sweep", "new", "-t", "fake", "--grid",
                     "fake.sleep=0.01,0.02")["id"]
    assert cli.json(cli_settings, "tag", sweep, "+grid")["kind"] == "sweep"
    cli.json(cli_settings, "note", sweep[:6], "why this grid")
    shown_sweep = cli.json(cli_settings, "sweep", "show", sweep)
    assert (shown_sweep["tags"], shown_sweep["note"]) == (["grid"], "why this grid")
    text = cli(cli_settings, "sweep", "show", sweep).stdout
    assert "tags       grid\n" in text and "note       why this grid\n" in text
    assert "TAGS" in cli(cli_settings, "sweep", "list").stdout


def test_filters_from_the_command_line_on_real_runs(cli: Cli, cli_settings: Settings) -> None:
    cli.json(cli_settings, "parallel", "4")
    k3 = cli.json(cli_settings, "new", "-t", "fake", "--set", "routing_settings.k_paths=3")["id"]
    k1 = cli.json(cli_settings, "new", "-t", "fake")["id"]
    slow = cli.json(cli_settings, "new", "-t", "fake", "--set", "fake.sleep=30",
                    "--set", "routing_settings.k_paths=3",
                    "--set", "general_settings.holding_time=2")["id"]
    sweep = cli.json(cli_settings, "sweep", "new", "-t", "fake", "--grid",
                     "routing_settings.k_paths=2,3")
    in_sweep = {r["point"]["routing_settings.k_paths"]: r["id"] for r in sweep["runs"]}
    for run_id in (k3, k1, *in_sweep.values()):
        assert cli(cli_settings, "wait", run_id).returncode == 0
    poll_until(lambda: cli.json(cli_settings, "show", slow)["status"],
               lambda status: status == "RUNNING")
    cli.json(cli_settings, "tag", k3, slow, in_sweep["3"], "+baseline")
    cli.json(cli_settings, "tag", k1, "+baseline", "+other")

    def ids(*args: str) -> set[str]:
        return {r["id"] for r in cli.json(cli_settings, "runs", *args)}

    assert ids("--where", "k_paths=3") == {k3, slow, in_sweep["3"]}
    assert ids("--where", "holding_time=2.00") == {slow}  # numbers by value: 2 = 2.00
    assert ids("--where", "general_settings.holding_time=1") == {k3, k1, *in_sweep.values()}
    assert ids("--status", "RUNNING", "--tag", "baseline", "--where", "k_paths=3") == {slow}
    assert ids("--status", "completed,running", "--tag", "baseline", "--tag", "other") == {k1}
    assert ids("--sweep", sweep["id"][:5], "--tag", "baseline") == {in_sweep["3"]}
    assert ids("--template", "FAKE", "--where", "routing_settings.k_paths=2") == {in_sweep["2"]}
    assert ids("--where", "k_paths=3", "--where", "allocation_method=FIRST_FIT",
               "--status", "completed") == {k3, in_sweep["3"]}
    assert cli(cli_settings, "runs", "--tag", "nobody").stdout == "No runs match.\n"
    table = cli(cli_settings, "runs", "--tag", "other").stdout
    assert table.splitlines()[0].split()[-2:] == ["TAGS", "RUN"]
    assert "baseline other" in table
    _refused(cli, cli_settings, "runs", "--where", "k_paths", message="expected key=value")
    _refused(cli, cli_settings, "runs", "--sweep", "ffffffffffff",
             message="no sweep with id 'ffffffffffff'")
    _refused(cli, cli_settings, "cancel", "--status", "COMPLETED",
             message="cancel: --status takes PENDING, RUNNING here")

    # cancel and clean select by the same filters
    cancelled = cli.json(cli_settings, "cancel", "--tag", "baseline")
    assert [r["id"] for r in cancelled] == [slow]
    assert cli(cli_settings, "wait", slow).returncode == 130
    cleaned = cli.json(cli_settings, "clean", "--tag", "other", "--yes")
    assert cleaned == {"deleted": [k1]}
    assert ids() == {k3, slow, *in_sweep.values()}


def _export(cli: Cli, settings: Settings, *ids: str) -> list[dict[str, str]]:
    out = cli(settings, "export", *ids, "--format", "csv")
    assert out.returncode == 0, out.stderr
    return list(csv.DictReader(io.StringIO(out.stdout)))


def test_export_and_compare_show_tags_notes_one_seed_and_every_interval(
        cli: Cli, sim_settings: Settings) -> None:
    """The real built-in simulator: one seed column; bit-rate rows carry the run's own 95%
    interval over its iterations, as its result files give it; tags and notes in the
    export and in `compare`."""
    cli.json(sim_settings, "parallel", "2")
    made = cli.json(sim_settings, "sweep", "new", "-t", "minimal", "--grid",
                    "routing_settings.k_paths=1,2", "--seeds", "1-2")
    poll_until(lambda: cli.json(sim_settings, "sweep", "show", made["id"]),
               lambda d: d["counts"] == {"COMPLETED": 4}, timeout=120, interval=0.5)
    first = made["runs"][0]["id"]
    cli.json(sim_settings, "tag", first, "+baseline")
    cli.json(sim_settings, "note", first, f"=cmd|' /C calc'!A0 {HOSTILE}".replace("\x1b", ""))
    rows = _export(cli, sim_settings, made["id"])
    assert len(rows) == 4 * 2 * 2
    columns = list(rows[0])
    assert "seed" in columns and "builtin_settings.seed" not in columns
    assert columns[-1] == "note" and "tags" in columns
    for row in rows:
        run = next(r for r in made["runs"] if r["id"] == row["run_id"])
        assert row["seed"] == run["point"]["builtin_settings.seed"]
        data = json.loads((Path(cli.json(sim_settings, "show", row["run_id"])["run_dir"])
                           / "output" / f"{float(row['erlang'])}_erlang.json").read_text())
        key = "sim_block_list" if row["metric"] == "blocking" else "sim_br_block_list"
        values = data["iter_stats"]["1"][key]
        mean = statistics.fmean(values)
        half = T95_DF1 * statistics.stdev(values) / math.sqrt(2)
        assert float(row["ci95_low"]) == pytest.approx(max(0.0, mean - half), rel=1e-9)
        assert float(row["ci95_high"]) == pytest.approx(mean + half, rel=1e-9)
        tagged = row["run_id"] == first
        assert row["tags"] == ("baseline" if tagged else "")
        # a note a spreadsheet would run as a formula is quoted
        assert row["note"] == ("'=cmd|' /C calc'!A0 [bold]x[/] [31m" if tagged else "")

    compared = cli.json(sim_settings, "compare", made["id"])
    groups = {g["label"]: g for g in compared["groups"]}
    assert groups["k_paths=1"]["tags"] == ["baseline"] and groups["k_paths=2"]["tags"] == []
    assert groups["k_paths=1"]["notes"] == {first: "=cmd|' /C calc'!A0 [bold]x[/] [31m"}
    text = cli(sim_settings, "compare", made["id"]).stdout
    assert "G1  k_paths=1  (2 runs)  tags: baseline\n" in text
    assert f"  G1 {first}  =cmd|' /C calc'!A0 [bold]x[/] [31m\n" in text
    as_csv = list(csv.DictReader(io.StringIO(
        cli(sim_settings, "compare", made["id"], "--csv").stdout)))
    assert {r["group"]: r["tags"] for r in as_csv} == {"k_paths=1": "baseline",
                                                       "k_paths=2": ""}


def test_show_times_are_the_audit_trails(cli: Cli, sim_settings: Settings) -> None:
    """A real run of the built-in simulator: `show`'s started and completed times are
    those of its `started` and `completed` events, to the microsecond (they once came
    from the claim and the report's arrival, about 2 s apart from the events)."""
    made = cli.json(sim_settings, "new", "-t", "minimal",
                    "--set", "general_settings.num_requests=20000", "--wait")
    shown: dict[str, Any] = cli.json(sim_settings, "show", made["id"])
    at = {e["kind"]: e["at"] for e in shown["events"]}
    assert shown["status"] == "COMPLETED"
    assert shown["started_at"] == at["started"] and shown["completed_at"] == at["completed"]
    assert shown["created_at"] < shown["started_at"] < shown["completed_at"]
    text = cli(sim_settings, "show", made["id"]).stdout
    for key in ("started", "completed"):
        clock = datetime.fromisoformat(shown[f"{key}_at"]).strftime("%Y-%m-%d %H:%M:%S")
        assert f"\n{key:<16} {clock} " in text
