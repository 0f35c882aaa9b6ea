"""Progress file reader, FUSION log parser and the state they feed; fuzzed with hypothesis."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from fusion_tui.kinds.formats.loglines import FusionLogParser
from fusion_tui.monitor.lines import LineReader
from fusion_tui.monitor.progress import (
    ProgressReader,
    ProgressState,
    planned_loads,
    planned_totals,
)
from fusion_tui.monitor.tracker import ProgressTracker

GUI_EVENTS = [
    {"type": "start", "ts": "2024-01-15T10:00:00Z",
     "config": {"total_erlangs": 2, "total_iterations": 3, "erlang_start": 50}},
    {"type": "erlang_start", "erlang": 50, "erlang_index": 0, "total_erlangs": 2},
    {"type": "iteration", "erlang": 50, "iteration": 1, "total_iterations": 3,
     "metrics": {"blocking_prob": 0.0234, "mean_hops": 2.3}, "extra": [1, 2]},
    {"type": "iteration", "erlang": 50, "iteration": 2, "total_iterations": 3},
    {"type": "erlang_complete", "erlang": 50,
     "metrics": {"mean_blocking": 0.022, "ci_lower": 0.019, "ci_upper": 0.025}},
    {"type": "erlang_start", "erlang": 60, "erlang_index": 1, "total_erlangs": 2},
    {"type": "iteration", "erlang": 60, "iteration": 1, "total_iterations": 3},
    {"type": "something_new", "erlang": 60},
]


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_gui_schema(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in GUI_EVENTS))
    reader, state = ProgressReader(path), ProgressState()
    for event in reader.poll():
        state.apply(event)
    assert state.cache() == {"current_erlang": 60.0, "current_erlang_index": 1,
                             "total_erlangs": 2, "current_iteration": 1, "total_iterations": 3}
    point = state.points[50.0]
    assert (point.complete, point.blocking, point.ci_lower, point.ci_upper) == (
        True, 0.022, 0.019, 0.025)
    assert reader.skipped == 0


def test_seed_short_form(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    lines = [{"erlang": 300.0, "iteration": 1, "total_iterations": 2, "timestamp": "t"},
             {"erlang": 300.0, "iteration": 2, "total_iterations": 2, "timestamp": "t"},
             {"erlang": 400.0, "iteration": 1, "total_iterations": 2, "timestamp": "t"}]
    path.write_text("".join(json.dumps(e) + "\n" for e in lines))
    state = ProgressState()
    for event in ProgressReader(path).poll():
        state.apply(event)
    assert (state.current_erlang, state.erlang_index, state.current_iteration) == (400.0, 1, 1)


def test_garbage_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    good = json.dumps({"type": "iteration", "erlang": 1, "iteration": 1}).encode()
    path.write_bytes(b"\n   \n{not json}\n\xff\xfe\x00bad utf8\n[1, 2]\n\"text\"\n"
                     + good + b"\n" + good[:10])
    reader = ProgressReader(path)
    events = reader.poll()
    assert [e.iteration for e in events] == [1]
    assert reader.skipped == 4
    _append(path, good[10:] + b"\n")
    assert [e.type for e in reader.poll()] == ["iteration"]
    assert reader.poll() == []


def test_reader_restarts_after_truncation(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"erlang": 1, "iteration": 1}\n{"erlang": 1, "iteration": 2}\n')
    reader = ProgressReader(path)
    assert len(reader.poll()) == 2
    path.write_text('{"erlang": 2, "iteration": 1}\n')
    assert [e.erlang for e in reader.poll()] == [2.0]


def test_missing_file_is_not_an_error(tmp_path: Path) -> None:
    assert ProgressReader(tmp_path / "absent.jsonl").poll() == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.binary(max_size=40),
    st.sampled_from([json.dumps(e).encode() for e in GUI_EVENTS]),
    st.just(b"\n"),
), max_size=30), st.integers(min_value=1, max_value=17))
def test_reader_survives_any_bytes_in_any_chunks(pieces: list[bytes], chunk: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.jsonl"
        data = b"".join(pieces)
        path.write_bytes(b"")
        reader, state = ProgressReader(path), ProgressState()
        events = []
        for i in range(0, len(data), chunk):
            _append(path, data[i:i + chunk])
            for event in reader.poll():
                state.apply(event)
                events.append(event)
        _append(path, b"\n")
        events.extend(reader.poll())
        whole = ProgressReader(path)
        assert len(whole.poll()) == len(events)
        assert whole.skipped == reader.skipped


FUSION_LOG = """\
2026-11-22 10:07:40,775 - fusion.utils.logging_config - INFO - Starting simulation for 300.0 Erlang (load 1/3)
2026-11-22 10:07:41,799 - fusion.core.simulation - INFO - Iteration 1 out of 4 completed for Erlang: 300.0
2026-11-22 10:07:41,799 - fusion.core.simulation - INFO - Mean of blocking: 0.0
2026-11-22 10:07:42,001 - fusion.core.simulation - INFO - Iteration 2 out of 4 completed for Erlang: 300.0
2026-11-22 10:07:44,608 - fusion.utils.logging_config - INFO - Simulation finished for Erlang: 300.0 finished for simulation number: s1.
2026-11-22 10:07:44,608 - fusion.utils.logging_config - INFO - Completed 300.0 Erlang in 3.83 seconds
2026-11-22 10:07:44,700 - fusion.utils.logging_config - INFO - Starting simulation for 600.0 Erlang (load 2/3)
2026-11-22 10:07:45,000 - fusion.core.simulation - INFO - Progress: 10/40 - Mean of blocking: 0.0123
2026-11-22 10:07:46,000 - fusion.core.simulation - INFO - Confidence interval of 4.87% reached. 12 iterations completed for Erlang: 600.0
2026-11-22 10:07:46,100 - fusion.utils.logging_config - INFO - Starting simulation for 900.0 Erlang (load 3/3)
2026-11-22 10:07:47,000 - fusion.core.simulation - INFO - Maximum iterations (4) completed for Erlang: 900.0
2026-11-22 10:07:36,010 - fusion.utils.logging_config - INFO - BATCH SIMULATION SUMMARY
2026-11-22 10:07:47,500 - fusion.core.simulation - ERROR - Simulation error: out of [memory]
"""  # noqa: E501


def test_fusion_log_lines() -> None:
    parser, state = FusionLogParser(), ProgressState()
    events = [e for line in FUSION_LOG.splitlines() if (e := parser.parse(line))]
    assert [e.type for e in events] == [
        "erlang_start", "iteration", "iteration", "iteration", "erlang_complete",
        "erlang_start", "iteration", "erlang_complete", "erlang_start", "erlang_complete",
        "error"]
    for event in events[:4]:
        state.apply(event)
    assert state.cache() == {"current_erlang": 300.0, "current_erlang_index": 0,
                             "total_erlangs": 3, "current_iteration": 2, "total_iterations": 4}
    assert state.points[300.0].blocking == 0.0
    for event in events[4:]:
        state.apply(event)
    assert (state.current_erlang, state.erlang_index) == (900.0, 2)
    assert state.points[600.0].complete
    assert state.error == "Simulation error: out of [memory]"


def test_bare_message_lines_are_understood() -> None:
    event = FusionLogParser().parse("Iteration 3 out of 9 completed for Erlang: 450")
    assert event is not None and (event.iteration, event.total_iterations, event.erlang) == (
        3, 9, 450.0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=120), st.sampled_from(FUSION_LOG.splitlines())),
                max_size=40))
def test_fusion_log_parser_never_crashes(lines: list[str]) -> None:
    parser, state = FusionLogParser(), ProgressState()
    for line in lines:
        event = parser.parse(line)
        if event is not None:
            state.apply(event)


def test_tracker_prefers_progress_file_and_falls_back_to_log(tmp_path: Path) -> None:
    progress, log = tmp_path / "progress.jsonl", tmp_path / "sim.log"
    log.write_text(FUSION_LOG)
    tracker = ProgressTracker(progress, log, None, FusionLogParser())
    assert tracker.poll() and tracker.source == "log"
    assert tracker.state.current_erlang == 900.0
    progress.write_text(json.dumps({"type": "iteration", "erlang": 5, "iteration": 1,
                                    "total_iterations": 2}) + "\n")
    assert tracker.poll() and tracker.source == "progress"
    assert (tracker.state.current_erlang, tracker.state.current_iteration) == (5.0, 1)
    assert not tracker.poll()


def test_line_reader_splits_long_lines(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"a" * 25 + b"\nshort\n" + b"b" * 12)
    reader = LineReader(path, max_line=10)
    assert reader.read_lines() == [b"a" * 10, b"a" * 10, b"a" * 5, b"short", b"b" * 10]
    assert reader.pending == b"b" * 2


def _plan(erlang_stop: int, iterations: int) -> str:
    return ("[general_settings]\nerlang_start = 10\n"
            f"erlang_stop = {erlang_stop}\nerlang_step = 10\nmax_iters = {iterations}\n")


def test_a_plan_read_twice_is_read_again_once_its_file_changes(tmp_path: Path) -> None:
    """A supervisor reads its run's plan twice (parsed once); a file that changed in
    between, or another file, is read anew, never taken from the last one's plan."""
    config, other = tmp_path / "config.ini", tmp_path / "other.ini"
    config.write_text(_plan(30, 2))
    other.write_text(_plan(50, 4))
    assert planned_totals(config) == (3, 2)
    assert planned_loads(config) == [10.0, 20.0, 30.0]
    assert planned_totals(other) == (5, 4)
    replaced = tmp_path / "new.ini"
    replaced.write_text(_plan(20, 7))
    replaced.replace(config)
    assert planned_totals(config) == (2, 7)
    config.write_text("not a plan")
    assert planned_totals(config) == (None, None)
