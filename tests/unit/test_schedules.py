"""Recurring schedules: cron expressions checked in one line, due times in local time, a
tick that starts each due schedule once however many due times were missed (an injected
`now`), a due time claimed once, pause and resume."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from fusion_tui.base.errors import ConfigError
from fusion_tui.schedules.cron import CronRule
from fusion_tui.schedules.manager import next_due, spec_of
from fusion_tui.schedules.spec import StartSpec
from fusion_tui.services import Services
from fusion_tui.store.models import Schedule
from fusion_tui.store.schedules_repo import ScheduleStore
from fusion_tui.sweeps.grid import Grid, parse_axis


@pytest.fixture
def berlin() -> Iterator[None]:
    """The local zone is Europe/Berlin (UTC+1 in December) for the case."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


WITHIN = "is not a number, range, list, step or name within"


@pytest.mark.parametrize(("text", "problem"), [
    ("61 * * * *", f"the minute field '61' {WITHIN} 0-59"),
    ("0 25 * * *", f"the hour field '25' {WITHIN} 0-23"),
    ("0 0 * 13 *", f"the month field '13' {WITHIN} 1-12 or jan-dec"),
    ("*/0 * * * *", f"the minute field '*/0' {WITHIN} 0-59"),
    ("a b c d e", f"the minute field 'a' {WITHIN} 0-59"),
    ("* * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 3"),
    ("* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
    ("0 0 30 2 *", "it never comes due (no such date)"),
    ("@reboot", "expected one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
                "@hourly"),
])
def test_a_bad_cron_expression_is_one_line_naming_it(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CronRule.parse(text)
    assert str(caught.value) == f"cron expression {text!r}: {problem}"


def test_due_times_are_local_like_crontabs(berlin: None) -> None:
    rule = CronRule.parse("0  2 * * *")
    assert rule.expression == "0 2 * * *"
    now = datetime(2026, 12, 7, 12, 0)  # 13:00 in Berlin
    assert rule.latest_due(now) == datetime(2026, 12, 7, 1, 0)  # 02:00 Berlin is 01:00 UTC
    assert rule.next_after(now) == datetime(2026, 12, 8, 1, 0)
    assert rule.latest_due(datetime(2026, 12, 7, 1, 0)) == datetime(2026, 12, 7, 1, 0)
    assert rule.latest_due(datetime(2026, 12, 7, 0, 59, 59)) == datetime(2026, 12, 6, 1, 0)
    summer = datetime(2026, 7, 7, 12, 0)  # UTC+2
    assert rule.latest_due(summer) == datetime(2026, 7, 7, 0, 0)
    assert CronRule.parse("@hourly").next_after(now) == datetime(2026, 12, 7, 13, 0)


def _set_created(services: Services, schedule_id: str, when: datetime) -> None:
    with services.store.session(write=True) as s:
        s.execute(update(Schedule).where(Schedule.id == schedule_id).values(created_at=when))


def test_a_tick_starts_a_missed_schedule_once(services: Services) -> None:
    services.store.set_queue(paused=True)  # the runs are made, not run
    schedules = services.schedules
    made = schedules.add("0 2 * * *", StartSpec("fake", name="nightly"))
    assert spec_of(made).what() == "run of fake"
    now = datetime(2026, 12, 10, 12, 0)
    _set_created(services, made.id, now - timedelta(days=3))  # three 02:00s missed
    latest = CronRule("0 2 * * *").latest_due(now)
    [ticked] = schedules.tick(now)
    assert (ticked.due, ticked.problem) == (latest, None) and ticked.started
    again = schedules.resolve(made.id)
    assert (again.last_due_at, again.last_started_id) == (latest, ticked.started)
    run = services.manager.get(ticked.started)
    assert run.status == "PENDING" and run.name is not None and run.name.startswith("nightly ")
    assert schedules.tick(now) == []  # caught up: nothing more until the next 02:00
    assert schedules.tick(now + timedelta(hours=11)) == []
    [next_one] = schedules.tick(now + timedelta(days=1))
    assert next_one.started != ticked.started
    assert services.store.count_runs() == 2
    assert next_due(schedules.resolve(made.id), now + timedelta(days=1)) == \
        CronRule("0 2 * * *").next_after(now + timedelta(days=1))


def test_a_tick_starts_a_sweep_schedule_as_one_sweep(services: Services) -> None:
    services.store.set_queue(paused=True)
    grid = Grid((parse_axis("routing_settings.k_paths=1,2"),), (1, 2))
    made = services.schedules.add("*/5 * * * *", StartSpec("fake", grid=grid))
    assert spec_of(made).what() == "sweep of fake (4 points)"
    now = datetime(2026, 12, 10, 12, 7)
    _set_created(services, made.id, now - timedelta(minutes=30))
    [ticked] = services.schedules.tick(now)
    assert ticked.started is not None
    assert len(services.sweeps.detail(ticked.started).runs) == 4


def test_a_due_time_is_claimed_once(services: Services) -> None:
    made = services.schedules.add("@hourly", StartSpec("fake"))
    store = ScheduleStore(services.store)
    due = made.created_at + timedelta(hours=1)
    assert store.claim(made.id, due) is True
    assert store.claim(made.id, due) is False  # a second tick at the same time
    assert store.claim(made.id, due - timedelta(hours=1)) is False


def test_paused_schedules_start_nothing_and_resume_from_now(services: Services) -> None:
    services.store.set_queue(paused=True)
    made = services.schedules.add("0 2 * * *", StartSpec("fake"))
    now = datetime(2026, 12, 10, 12, 0)
    _set_created(services, made.id, now - timedelta(days=3))
    assert services.schedules.pause(made.id).paused
    assert services.schedules.tick(now) == []
    assert next_due(services.schedules.resolve(made.id), now) is None
    resumed = services.schedules.resume(made.id, now)
    assert not resumed.paused and resumed.last_due_at == CronRule("0 2 * * *").latest_due(now)
    assert services.schedules.tick(now) == []  # what came due while paused is skipped
    assert services.store.count_runs() == 0


def test_bad_input_stores_nothing(services: Services) -> None:
    for cron, spec, message in (
            ("61 * * * *", StartSpec("fake"), "cron expression '61 * * * *': the minute field"),
            ("0 2 * * *", StartSpec("nope"), "unknown template 'nope'"),
            ("0 2 * * *", StartSpec("fake", overrides=("general_settings.max_iters=0",)),
             "max_iters"),
            ("0 2 * * *", StartSpec("fake", name="x" * 300), "name")):
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("*", r"\*")):
            services.schedules.add(cron, spec)
    assert services.schedules.listing() == []


def test_a_schedule_whose_template_went_away_says_so_once(services: Services,
                                                          tmp_path: object) -> None:
    template = services.settings.user_templates_dir / "mine.ini"
    template.parent.mkdir(parents=True, exist_ok=True)
    source = next(d / "fake.ini" for d in services.settings.template_dirs
                  if (d / "fake.ini").exists())
    template.write_text(source.read_text())
    made = services.schedules.add("@hourly", StartSpec("mine"))
    template.unlink()
    now = made.created_at + timedelta(hours=2)
    [ticked] = services.schedules.tick(now)
    assert ticked.started is None and ticked.problem is not None
    assert "unknown template 'mine'" in ticked.problem
    assert services.schedules.tick(now) == []  # not again every minute
    assert services.schedules.resolve(made.id).last_due_at == ticked.due
