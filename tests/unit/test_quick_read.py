"""The quick read path of the commands that only look (`cli/quick.py`, `store/quick_read.py`)
prints exactly what the usual path prints, on SQLite and on PostgreSQL; it runs the
store's own statements (`store/read_sql.py`, regenerated here and compared); it steps
aside whenever opening the store would change something; and a read command answered
that way never imports SQLAlchemy, Alembic or Textual."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from helpers import Cli, migrate_to

from fusion_tui.base.owner import current_user
from fusion_tui.base.settings import Settings
from fusion_tui.cli.command import OnStore
from fusion_tui.cli.dispatch import build_parser
from fusion_tui.cli.failures import failed
from fusion_tui.cli.quick import answer_quickly
from fusion_tui.services import Services, open_services
from fusion_tui.store import read_statements
from fusion_tui.store.models import (
    BatchJob,
    EventKind,
    Run,
    RunDependency,
    RunEvent,
    RunTag,
    Sweep,
    SweepTag,
)
from fusion_tui.store.quick_read import open_quick
from fusion_tui.store.run_row import EventRow, JobRow, RunRow
from fusion_tui.store.status import RunStatus, utcnow

ME = current_user()
BASE = utcnow().replace(microsecond=123456) - timedelta(days=2)


def _run(i: int, status: RunStatus, **values: object) -> Run:
    started = None if status == RunStatus.PENDING else BASE + timedelta(minutes=i, seconds=1)
    fields: dict[str, object] = dict(
        id=f"{i:03x}a{i * 7919 % 65536:08x}", name=f"run [b]{i}\x1b[31m" if i % 3 else None,
        status=status.value, config_json=json.dumps({"general": {"k": str(i % 3)}}),
        template=("minimal", "Default")[i % 2], simulator="builtin", executor="local",
        owner=(ME, "someone-else", None)[i % 3], run_dir=f"/nonexistent/runs/{i}",
        created_at=BASE + timedelta(seconds=i // 2), started_at=started,
        completed_at=None if started is None else started + timedelta(minutes=3, seconds=i),
        exit_code=None if started is None else (0 if status == RunStatus.COMPLETED else 1),
        current_erlang=300.0 + i, current_erlang_index=i % 3, total_erlangs=3,
        current_iteration=i % 4, total_iterations=4, seed=i,
        provenance_json=json.dumps({"simulator_version": "0.1"}),
        config_hash="ab" * 32, hostname="elsewhere")
    if status != RunStatus.PENDING:  # results read already (else `runs` reads them first)
        fields.update(result_load=600.0, result_blocking=0.01 * i, result_low=0.005 * i,
                      result_high=0.02 * i)
    fields.update(values)
    return Run(**fields)


def _fill(svc: Services) -> list[Run]:
    statuses = [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMEOUT]
    runs = [_run(i, statuses[i % len(statuses)]) for i in range(30)]
    runs.append(_run(30, RunStatus.PENDING, note="waits\nfor two"))
    runs.append(_run(31, RunStatus.COMPLETED, executor="slurm", sweep_id="5eeb0000a1b2",
                     point_json=json.dumps({"general.k_paths": 3, "s": 1}),
                     error_message="a\nlong story"))
    runs.append(_run(32, RunStatus.CANCELLED, sweep_id="5eeb0000a1b2", origin_id=runs[31].id,
                     point_json=json.dumps({"general.k_paths": 3, "s": 1})))  # its retry
    with svc.store.session(write=True) as s:
        s.add(Sweep(id="5eeb0000a1b2", name="a [b]sweep", template="minimal",
                    overrides_json='["general.k=1"]',
                    grid_json='[["general.k_paths", ["3", "4"]]]', seeds_json="[1, 2]",
                    split_loads=True, executor="slurm", owner=ME, created_at=BASE,
                    tags=[SweepTag(tag="x")], note="a note"))
        s.add(Sweep(id="5eeb0000ffff", name=None, template="minimal", overrides_json="[]",
                    grid_json="[]", seeds_json="[7]", executor="local", owner="someone-else",
                    created_at=BASE + timedelta(hours=1)))
        s.flush()
        s.add_all(runs)
        s.flush()
        s.add_all([RunTag(run_id=runs[0].id, tag="a"), RunTag(run_id=runs[0].id, tag="b"),
                   RunTag(run_id=runs[3].id, tag="b"),
                   RunDependency(run_id=runs[30].id, needs_id=runs[1].id),
                   RunDependency(run_id=runs[30].id, needs_id=runs[0].id),
                   BatchJob(run_id=runs[31].id, executor="slurm", job_id="4242",
                            state="COMPLETED", node="n1", elapsed_seconds=61, attempt=1,
                            options_json="{}", submitted_at=BASE, checked_at=BASE)])
        s.add_all([RunEvent(run_id=runs[3].id, kind=k.value, at=BASE + timedelta(seconds=n),
                            detail=d)
                   for n, (k, d) in enumerate([(EventKind.CREATED, "template minimal"),
                                               (EventKind.RESULTS, "3 file(s) copied"),
                                               (EventKind.FAILED, "exit code 1")])])
    return runs


@pytest.fixture
def filled(settings: Settings, services: Services) -> Iterator[tuple[Settings, list[Run]]]:
    runs = _fill(services)
    services.close()
    yield settings, runs


def _usual(settings: Settings, argv: list[str]) -> tuple[int, str, str]:
    args = build_parser().parse_args(argv)
    handler = args.handler
    assert isinstance(handler, OnStore)
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        svc = open_services(settings)
        try:
            svc.manager.reconcile(schedule=handler.schedule)
            code = handler.run(args, svc)
        except Exception as exc:
            code = failed(exc, argv, settings)
        finally:
            svc.close()
    return code, out.getvalue(), err.getvalue()


def _quick(settings: Settings, argv: list[str]) -> tuple[int, str, str] | None:
    args = build_parser().parse_args(argv)
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = answer_quickly(args.handler, args, settings)
        except Exception as exc:
            code = failed(exc, argv, settings)
    return None if code is None else (code, out.getvalue(), err.getvalue())


def _same(quick: tuple[int, str, str], usual: tuple[int, str, str]) -> None:
    assert quick[1].splitlines() == usual[1].splitlines()
    assert quick == usual


COMMANDS = [
    ["runs"], ["runs", "--json"], ["runs", "--all"], ["runs", "--all", "--json"],
    ["runs", "--all", "--limit", "4"], ["runs", "--all", "--status", "completed,FAILED"],
    ["runs", "--all", "--status", "failed", "--status", "timeout", "--status", "pending",
     "--json"],
    ["runs", "--tag", "b"], ["runs", "--all", "--tag", "a", "--tag", "b", "--json"],
    ["runs", "--all", "--template", "DEFAULT"], ["runs", "--status", "running"],
    ["show", "@last"], ["show", "-", "--json"], ["show", "zzz"], ["show", "12"],
    ["show", "ffffffffffff"], ["stats"], ["stats", "--json"], ["stats", "--all", "--json"],
    ["sweep", "list"], ["sweep", "list", "--json"], ["sweep", "list", "--all"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_both_read_paths_print_the_same(filled: tuple[Settings, list[Run]],
                                        argv: list[str]) -> None:
    settings, _runs = filled
    quick = _quick(settings, argv)
    assert quick is not None, "the quick path stepped aside"
    _same(quick, _usual(settings, argv))


@pytest.mark.parametrize("index", [0, 3, 30, 31])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_show_is_the_same_both_ways(filled: tuple[Settings, list[Run]], index: int,
                                    json_flag: list[str]) -> None:
    """A run with tags, with events (a results note), waiting on two runs, of a sweep
    on a batch executor with its job; by full id and by prefix."""
    settings, runs = filled
    for ref in (runs[index].id, runs[index].id[:7]):
        argv = ["show", ref, *json_flag]
        quick = _quick(settings, argv)
        assert quick is not None
        _same(quick, _usual(settings, argv))
        assert quick[0] == 0


def test_filters_it_keeps_no_statement_for_go_the_usual_way(
        filled: tuple[Settings, list[Run]]) -> None:
    settings, _runs = filled
    for argv in (["runs", "--where", "k=1"], ["runs", "--status", "failed,completed,timeout,"
                                                          "cancelled"],
                 ["runs", "--tag", "a", "--tag", "b", "--tag", "c"]):
        assert _quick(settings, argv) is None


def test_a_finished_run_whose_results_are_unread_goes_the_usual_way(
        settings: Settings, services: Services) -> None:
    """The usual way reads a listed run's results once and caches them."""
    with services.store.session(write=True) as s:
        s.add(_run(1, RunStatus.COMPLETED, result_load=None, result_blocking=None,
                   result_low=None, result_high=None, owner=ME))
    services.close()
    assert _quick(settings, ["runs"]) is None


def test_a_running_run_whose_supervisor_is_gone_goes_the_usual_way(
        settings: Settings, services: Services, tmp_path: Path, cli: Cli) -> None:
    """Its adoption at the command's start is kept: the usual way settles it."""
    import socket

    folder = tmp_path / "gone"
    with services.store.session(write=True) as s:
        s.add(_run(1, RunStatus.RUNNING, owner=ME, hostname=socket.gethostname(),
                   run_dir=str(folder), completed_at=None))
    services.close()
    assert _quick(settings, ["runs"]) is None
    done = cli(settings, "runs", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["status"] == RunStatus.FAILED.value  # its folder is gone


def test_someone_elses_or_another_hosts_running_run_is_left_alone(
        settings: Settings, services: Services) -> None:
    with services.store.session(write=True) as s:
        s.add(_run(1, RunStatus.RUNNING, owner="someone-else", completed_at=None))
        s.add(_run(2, RunStatus.RUNNING, owner=ME, hostname="elsewhere", completed_at=None))
    services.close()
    assert _quick(settings, ["runs", "--all", "--json"]) is not None


def test_a_queued_run_sends_a_command_that_starts_runs_the_usual_way(
        filled: tuple[Settings, list[Run]]) -> None:
    settings, runs = filled
    args = build_parser().parse_args(["show", runs[3].id])
    assert dataclasses.replace(args.handler, schedule=True) is not None
    assert answer_quickly(dataclasses.replace(args.handler, schedule=True), args,
                          settings) is None  # run 30 is PENDING


def test_an_older_store_is_migrated_the_usual_way(settings: Settings, services: Services,
                                                  cli: Cli) -> None:
    _fill(services)
    with services.engine.begin() as conn:
        migrate_to(conn, "0007", down=True)
    services.close()
    assert open_quick(settings.database_url, 1.0) is None
    assert _quick(settings, ["runs"]) is None
    done = cli(settings, "runs", "--all", "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 33
    store = open_quick(settings.database_url, 1.0)  # migrated: now the quick way answers
    assert store is not None
    store.close()


def test_a_newer_store_is_still_refused(settings: Settings, services: Services,
                                        cli: Cli) -> None:
    with services.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    services.close()
    done = cli(settings, "runs")
    assert done.returncode == 2
    assert "schema revision 9999" in done.stderr


def test_read_sql_is_what_the_store_statements_compile_to() -> None:
    """After changing a statement: `python -m fusion_tui.store.read_statements`."""
    assert read_statements.TARGET.read_text() == read_statements.generate()


def test_a_run_row_has_the_tables_columns() -> None:
    names = [f.name for f in dataclasses.fields(RunRow)]
    assert names[:len(Run.__table__.columns)] == [c.name for c in Run.__table__.columns]
    assert [f.name for f in dataclasses.fields(JobRow)] == \
        [c.name for c in BatchJob.__table__.columns]
    assert [f.name for f in dataclasses.fields(EventRow)] == \
        [c.name for c in RunEvent.__table__.columns]


@pytest.fixture
def ended(settings: Settings, services: Services, tmp_path: Path
          ) -> Iterator[tuple[Settings, list[Run]]]:
    """The filled store with nothing queued (so `wait`, which also starts queued runs,
    may go the quick way) and run 3 with a real log."""
    runs = _fill(services)
    folder = tmp_path / "run3"
    (folder / "logs").mkdir(parents=True)
    (folder / "logs" / "sim.log").write_text("".join(f"line {i} \x1b[31mred\n"
                                                      for i in range(50)) + "no end")
    with services.store.session(write=True) as s:
        cancelled = s.get(Run, runs[30].id)
        assert cancelled is not None
        cancelled.status, cancelled.result_load = RunStatus.CANCELLED.value, 600.0
        with_log = s.get(Run, runs[3].id)
        assert with_log is not None
        with_log.run_dir = str(folder)
    services.close()
    yield settings, runs


@pytest.mark.parametrize("argv", [
    ["wait", "{0}"], ["wait", "{0}", "{1}", "--json"], ["wait", "{3}"], ["wait", "{2}"],
    ["wait", "--all"], ["wait", "--all", "--json"], ["wait"],
    ["logs", "{3}", "--lines", "5"], ["logs", "{3}", "--lines", "5", "--json"],
    ["logs", "{3}", "--lines", "3", "--raw"], ["logs", "{3}"], ["logs", "{0}", "--lines", "2"],
], ids=" ".join)
def test_wait_and_logs_are_the_same_both_ways(ended: tuple[Settings, list[Run]],
                                              argv: list[str]) -> None:
    settings, runs = ended
    argv = [a.format(*(r.id for r in runs)) for a in argv]
    quick = _quick(settings, argv)
    assert quick is not None
    _same(quick, _usual(settings, argv))


def test_wait_for_a_run_that_has_not_ended_goes_the_usual_way(
        filled: tuple[Settings, list[Run]]) -> None:
    settings, runs = filled
    args = build_parser().parse_args(["wait", runs[30].id])
    assert answer_quickly(dataclasses.replace(args.handler, schedule=False), args,
                          settings) is None


HEAVY = ("sqlalchemy", "alembic", "textual")


@pytest.mark.parametrize("argv", [
    ["runs"], ["runs", "--json", "--all"], ["runs", "--status", "failed", "--tag", "b"],
    ["show", "@last"], ["show", "-", "--json"], ["wait", "{0}"], ["wait", "{0}", "--json"],
    ["logs", "{3}", "--lines", "5"], ["logs", "{3}", "--lines", "5", "--json"],
    ["stats"], ["stats", "--all", "--json"], ["sweep", "list", "--all"],
], ids=" ".join)
def test_a_read_command_imports_no_sqlalchemy(ended: tuple[Settings, list[Run]],
                                              argv: list[str], cli: Cli) -> None:
    settings, runs = ended
    argv = [a.format(*(r.id for r in runs)) for a in argv]
    code = ("import sys\nfrom fusion_tui.cli import main\ncode = main(sys.argv[1:])\n"
            f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})\n"
            "print('HEAVY', heavy, code, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code, *argv], env=cli.env(settings),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "HEAVY [] 0" in done.stderr, done.stderr
    assert done.stdout == cli(settings, *argv).stdout


@pytest.mark.parametrize("flags", [["--all"], [], ["--all", "--status", "completed,failed"]],
                         ids=" ".join)
def test_pages_by_keyset_walk_the_whole_list_both_ways(filled: tuple[Settings, list[Run]],
                                                       flags: list[str]) -> None:
    """`runs --before ID` with each page's last id: every run once, in the list's order
    (runs made in the same second included), the same both ways."""
    settings, _runs = filled
    whole = _quick(settings, ["runs", "--json", "--limit", "1000", *flags])
    assert whole is not None
    expected = [r["id"] for r in json.loads(whole[1])]
    seen: list[str] = []
    before: list[str] = []
    while True:
        argv = ["runs", "--json", "--limit", "4", *flags, *before]
        quick = _quick(settings, argv)
        assert quick is not None
        _same(quick, _usual(settings, argv))
        page = [r["id"] for r in json.loads(quick[1])]
        if not page:
            break
        seen += page
        before = ["--before", page[-1]]
    assert seen == expected and len(expected) > 8


def test_a_page_after_an_unknown_run_is_refused_both_ways(
        filled: tuple[Settings, list[Run]]) -> None:
    settings, _runs = filled
    argv = ["runs", "--before", "abcdef"]
    quick = _quick(settings, argv)
    assert quick is not None and quick[0] == 2
    _same(quick, _usual(settings, argv))
    assert "no run with id 'abcdef'" in quick[2]
