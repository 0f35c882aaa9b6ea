"""Runs that wait, in the store and the queue: the claim leaves a run alone until its
start time has come and every run it needs has COMPLETED (an injected `now`, never a
sleep), a run whose needed run ended otherwise is ended down the chain, and the words
every front end shows for why a run waits; `--at` and `--delay` as people write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.owner import current_user
from fusion_tui.base.start_time import after_delay, parse_at, parse_duration
from fusion_tui.runs.waiting import short_waiting, waiting_text
from fusion_tui.services import Services
from fusion_tui.store.models import Run, RunDependency
from fusion_tui.store.runs_repo import RunStore
from fusion_tui.store.status import RunStatus, to_local, utcnow

NOW = datetime(2026, 12, 7, 12, 0, 0)


def _run(store: RunStore, n: int, *, status: RunStatus = RunStatus.PENDING,
         start_after: datetime | None = None, needs: tuple[str, ...] = ()) -> str:
    run_id = f"{n:012x}"
    run = Run(id=run_id, status=status, config_json="{}", template="t",
              run_dir=f"/tmp/{run_id}", created_at=NOW + timedelta(seconds=n),
              owner=current_user(), executor="local", start_after=start_after)
    run.needs = [RunDependency(run_id=run_id, needs_id=x) for x in needs]
    store.add(run)
    return run_id


def _claimed(store: RunStore, now: datetime) -> list[str]:
    return [r.id for r in store.claim_pending("local", "here", current_user(), now=now)]


def test_a_run_is_claimed_only_once_its_start_time_has_come(store: RunStore) -> None:
    store.set_queue(max_concurrent=5)
    later = _run(store, 1, start_after=NOW + timedelta(hours=2))
    now_ = _run(store, 2)
    assert _claimed(store, NOW) == [now_]  # the waiting run lets the next one by
    assert _claimed(store, NOW + timedelta(hours=1, minutes=59)) == []
    assert store.get(later).status == RunStatus.PENDING  # type: ignore[union-attr]
    assert _claimed(store, NOW + timedelta(hours=2)) == [later]


def test_a_run_is_claimed_only_once_every_run_it_needs_has_completed(store: RunStore) -> None:
    store.set_queue(max_concurrent=5)
    a = _run(store, 1, status=RunStatus.RUNNING)
    b = _run(store, 2, status=RunStatus.COMPLETED)
    c = _run(store, 3, needs=(a, b))
    assert _claimed(store, NOW) == []
    assert store.waiting_on([c]) == {c: [a]}
    assert store.finish(a, RunStatus.COMPLETED, exit_code=0)
    assert store.waiting_on([c]) == {}
    assert _claimed(store, NOW) == [c]


def test_the_limit_counts_only_runs_that_may_start(store: RunStore) -> None:
    """A waiting run at the head of the queue takes no slot: with a limit of 1 the next
    due run starts."""
    waiting = _run(store, 1, start_after=NOW + timedelta(days=1))
    due = _run(store, 2)
    assert _claimed(store, NOW) == [due]
    assert store.get(waiting).status == RunStatus.PENDING  # type: ignore[union-attr]


def test_a_failed_need_ends_its_waiting_runs_down_the_chain(store: RunStore) -> None:
    a = _run(store, 1, status=RunStatus.RUNNING)
    b = _run(store, 2, needs=(a,))
    c = _run(store, 3, needs=(b,))
    other = _run(store, 4)
    assert store.cancel_blocked(["local"]) == []
    assert store.finish(a, RunStatus.FAILED, exit_code=3)
    ended = store.cancel_blocked(["local"])
    assert [e.run_id for e in ended] == [b, c]
    for run_id, reason in ((b, f"not started: run {a}, which it was to run after, ended "
                               "FAILED"),
                           (c, f"not started: run {b}, which it was to run after, ended "
                               "CANCELLED")):
        run = store.get(run_id)
        assert run is not None and run.status == RunStatus.CANCELLED
        assert run.error_message == reason and run.started_at is None
    assert store.get(other).status == RunStatus.PENDING  # type: ignore[union-attr]


def test_a_deleted_need_ends_its_waiting_run(store: RunStore) -> None:
    a = _run(store, 1, status=RunStatus.COMPLETED)
    b = _run(store, 2, needs=(a,), start_after=NOW + timedelta(days=1))
    assert store.delete_finished(a)
    [ended] = store.cancel_blocked(["local"])
    assert ended.run_id == b
    assert ended.reason == f"not started: run {a}, which it was to run after, was deleted"


def test_another_users_waiting_runs_are_theirs_to_end(store: RunStore) -> None:
    a = _run(store, 1, status=RunStatus.FAILED)
    b = _run(store, 2, needs=(a,))
    store.update_progress(b, owner="someone-else")
    assert store.cancel_blocked(["local"]) == []
    assert [e.run_id for e in store.cancel_blocked(["local"], "someone-else")] == [b]


def test_why_a_run_waits_in_words() -> None:
    at = NOW + timedelta(hours=2)
    clock = to_local(at).strftime("%H:%M")
    assert waiting_text("PENDING", None, ["aaaaaaaaaaaa"], NOW) == \
        "waiting for run aaaaaaaaaaaa"
    assert waiting_text("PENDING", at, ["a" * 12, "b" * 12, "c" * 12, "d" * 12], NOW) == \
        f"waiting for runs {'a' * 12}, {'b' * 12}, {'c' * 12} (+1 more); starts at {clock}"
    assert waiting_text("PENDING", at, [], NOW) == f"starts at {clock}"
    assert waiting_text("PENDING", at, [], at) is None  # its time has come
    assert waiting_text("RUNNING", at, ["a" * 12], NOW) is None
    tomorrow = to_local(NOW + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    assert waiting_text("PENDING", NOW + timedelta(days=1), [], NOW) == f"starts at {tomorrow}"
    assert short_waiting("PENDING", at, ["a" * 12, "b" * 12], NOW) == "after aaaaaa+"
    assert short_waiting("PENDING", at, [], NOW) == f"at {clock}"
    assert short_waiting("PENDING", None, [], NOW) is None
    # Another day fits the list's 12 cells too: the clock and how many days on, then
    # the date alone.
    for days in (1, 6, 7, 400):
        later = NOW + timedelta(days=days)
        short = short_waiting("PENDING", later, [], NOW)
        assert short is not None and len(short) <= 12
        local = to_local(later)
        gap = (local.date() - to_local(NOW).date()).days
        assert short == (f"at {local:%H:%M}+{gap}d" if gap < 7 else f"at {local:%m-%d}")


def test_delay_and_at_as_people_write_them() -> None:
    assert [parse_duration(x) for x in ("30s", "5m", "2h", "1d", "1.5h", " 1W ")] == \
        [30, 300, 7200, 86400, 5400, 604800]
    assert after_delay("90s", NOW) == NOW + timedelta(seconds=90)
    for bad in ("5", "soon", "-5m", "5 minutes", "0s"):
        with pytest.raises(ValueError):
            after_delay(bad, NOW)
    local_now = NOW.replace(tzinfo=UTC).astimezone()
    later_today = (local_now + timedelta(minutes=30)).strftime("%H:%M")
    earlier = (local_now - timedelta(minutes=30)).strftime("%H:%M")
    assert parse_at(later_today, NOW) - NOW <= timedelta(minutes=30)
    assert timedelta(hours=23) < parse_at(earlier, NOW) - NOW <= timedelta(hours=24)  # tomorrow
    iso = (local_now + timedelta(days=1)).replace(tzinfo=None).isoformat(timespec="minutes")
    assert parse_at(iso, NOW) == NOW + timedelta(days=1)
    assert parse_at("2026-12-07T13:00+00:00", NOW) == NOW + timedelta(hours=1)
    with pytest.raises(ValueError, match="that time has passed"):
        parse_at("2026-12-07T11:00+00:00", NOW)
    for passed in ("0001-01-01T00:00", "0001-01-01T00:00+05:00"):  # year 0 in UTC or local
        with pytest.raises(ValueError, match=re.escape(f"--at {passed}: that time has passed")):
            parse_at(passed, NOW)
    for far in ("9999-12-31T23:59", "9999-12-31T23:59+14:00", "9999-12-31T23:59-12:00"):
        with pytest.raises(ValueError, match=re.escape(f"--at {far}: too far ahead")):
            parse_at(far, NOW)
    assert parse_at("2027-12-07T12:00+00:00", NOW) == NOW + timedelta(days=365)
    with pytest.raises(ValueError, match="--delay 367d: too far ahead"):
        after_delay("367d", NOW)
    for bad in ("25:00", "tomorrow", "2026-13-01T00:00"):
        with pytest.raises(ValueError, match=f"--at {bad}"):
            parse_at(bad, NOW)


def test_a_start_time_after_now_is_due_later_not_now(store: RunStore) -> None:
    """The claim's `now` is the store's clock unless given: a run due a day from the
    real now is not claimed now."""
    store.set_queue(max_concurrent=5)
    _run(store, 1, start_after=utcnow() + timedelta(days=1))
    assert store.claim_pending("local", "here", current_user()) == []


def test_a_local_run_waits_only_for_local_runs_of_its_owner(services: Services) -> None:
    services.store.set_queue(paused=True)
    theirs = services.manager.create("fake")
    services.store.update_progress(theirs.id, owner="someone-else")
    with pytest.raises(ConfigError, match=f"--after: run {theirs.id} is someone-else's; a "
                                          "local run can wait only for your own runs"):
        services.manager.create("fake", after=[services.manager.get(theirs.id)])
    assert services.store.count_runs() == 1
