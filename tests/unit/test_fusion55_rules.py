"""FUSION's 5.5 line without running it: which line a checkout is, its template and rules,
its loads, its printed lines as progress, and the settings it crashes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from fusion_checkout import fusion_sections

from fusion_tui.base.errors import ConfigError
from fusion_tui.kinds.formats.checkout import FIVE_FIVE, SIX, identify
from fusion_tui.kinds.fusion55 import schema
from fusion_tui.kinds.fusion55.loglines import Fusion55LogParser
from fusion_tui.kinds.registry import kind_for
from fusion_tui.monitor.progress import ProgressState

COMMIT = "9af6e764" + "1" * 32


def _checkout(root: Path, *files: str) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir(exist_ok=True)
        else:
            path.write_text("")
    return root


def test_a_checkout_is_told_by_its_files_and_its_git(tmp_path: Path) -> None:
    six = identify(_checkout(tmp_path / "a", "fusion/__init__.py", "pyproject.toml"))
    assert six.line == SIX and six.describe().startswith("the FUSION 6.x line")
    old = _checkout(tmp_path / "b", "run_sim.py", "src/")
    git = old / ".git"
    git.mkdir()
    (git / "HEAD").write_text(COMMIT + "\n")  # detached at the tag
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{'2' * 40} refs/tags/v5.5.1\n"
                                     f"^{COMMIT}\n")
    found = identify(old)
    assert (found.line, found.commit, found.branch, found.tag, found.grooming_keys) == \
        (FIVE_FIVE, COMMIT, None, "v5.5.1", False)
    assert found.describe() == ("FUSION's 5.5 line (a top-level run_sim.py and src/; "
                                "git 9af6e764 tag v5.5.1)")
    neither = identify(_checkout(tmp_path / "c", "README.md"))
    assert neither.line is None and neither.describe() == "not a FUSION checkout"


def test_a_link_named_run_sim_is_no_checkout(tmp_path: Path) -> None:
    home = _checkout(tmp_path / "h", "src/")
    (home / "run_sim.py").symlink_to("/etc/passwd")
    assert identify(home).line is None


def test_the_shipped_template_holds_what_the_line_requires() -> None:
    sections = fusion_sections("fusion55")
    schema.validate(sections)
    for section, keys in schema.REQUIRED.items():
        assert set(keys) <= set(sections[section]), section
    kind = kind_for("fusion55")
    assert kind.loads(sections) == [300.0, 600.0, 900.0]  # erlang_stop = 1200 is left out
    assert kind.warnings(sections) == []
    assert "cores_per_link x Erlang" in kind.load_meaning


@pytest.mark.parametrize(("section", "key", "value", "said"), [
    ("general_settings", "erlang_start", "300.0", "expects a whole number"),
    ("general_settings", "erlang_step", "0", "must be greater than 0"),
    ("general_settings", "request_distribution", "{'25': 0.5, '50'", "ast.literal_eval"),
    ("general_settings", "request_distribution", "{'25': 0.5}", "the shares give 500 of 1000"),
    ("general_settings", "k_paths", None, "k_paths: missing: FUSION's 5.5 line requires it "
                                          "(it reads k_paths from [general_settings] only"),
    ("snr_settings", "snr_margin", None, "snr_margin: missing"),
    ("rl_settings", None, None, "[rl_settings]: missing section"),
])
def test_its_rules(section: str, key: str | None, value: str | None, said: str) -> None:
    sections = fusion_sections("fusion55")
    if key is None:
        del sections[section]
    elif value is None:
        del sections[section][key]
    else:
        sections[section][key] = value
    with pytest.raises(ConfigError, match=None) as caught:
        schema.validate(sections)
    assert said in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("changes", "said"), [
    ({"guard_slots": "2"}, "guard_slots = 2: FUSION's 5.5 line crashes in its first iteration"),
    ({"allocation_method": "best_fit"}, "best_fit with guard_slots = 1"),
    ({"allocation_method": "priority_first"}, "IndexError"),
    ({"route_method": "shortest_path"}, "AttributeError: 'SDNProps' object has no attribute"),
    ({"can_partially_serve": "True"}, "(the grooming branch) crashes"),
    ({"dynamic_lps": "True", "max_segments": "2"}, "dynamic_lps = True with max_segments = 2"),
])
def test_settings_it_crashes_on_are_one_warning_each(changes: dict[str, str], said: str) -> None:
    sections = fusion_sections("fusion55")
    sections["general_settings"].update(changes)
    warnings = kind_for("fusion55").warnings(sections)
    assert len(warnings) == 1 and said in warnings[0], warnings


BRANCH_LINES = """Loading network data and generating input files...

Data load complete. Paths propagated to workers.
--- Launching 1 Processes (Timestamp: 10_52_12_592073) ---
Process s1 target output: output/Unknown/1207/10_52_12_592073
[Process s1] Running Erlang: 100.0...
[Engine] thread=, offset=0, my_iteration_units=4, erlang=100.0
Simulation started for Erlang: 100.0 simulation number: .

Iteration 1 out of 2 completed for Erlang: 100.0

Mean of blocking: 0.25

CHILD= iteration=0, done_units=1
CHILD= iteration=1, done_units=2
Simulation finished for Erlang: 100.0 finished for simulation number: .

[Process s1] Running Erlang: 200.0...
[Engine] thread=, offset=2, my_iteration_units=4, erlang=200.0

!!! CRITICAL ERROR in Process s1 !!!
Failed while running Erlang: 200.0
Traceback (most recent call last):
  File "run_sim.py", line 80, in run
BufferError: Attempted to allocate a taken spectrum.
All simulations completed.
"""


def _fold(lines: str) -> ProgressState:
    parser = Fusion55LogParser()
    state = ProgressState.planned((2, 2))
    for line in lines.splitlines():
        event = parser.parse(line)
        if event is not None:
            state.apply(event)
    return state


def test_progress_from_the_branchs_printed_lines() -> None:
    state = _fold(BRANCH_LINES)
    assert state.output_dir == "1207/10_52_12_592073"
    assert state.points[100.0].complete and state.points[100.0].iterations_done == 2
    assert state.points[100.0].blocking == 0.25
    assert state.current_erlang == 200.0 and state.erlang_index == 1
    assert not state.points.get(200.0) or not state.points[200.0].complete
    assert state.failure == ("FUSION's worker s1 crashed while running Erlang 200 | "
                             "BufferError: Attempted to allocate a taken spectrum.")


def test_progress_from_v551s_printed_lines() -> None:
    state = _fold("""Starting simulation for thread s1 at 1207_10_52_23_879289.
Launching simulations for erlangs: [100.0, 200.0]
[Engine] thread=s1, offset=0, my_iteration_units=4, erlang=100.0
CHILD=s1 iteration=0, done_units=1
Confidence interval of 4.78% reached. 6, ending and saving results for Erlang: 100.0
Process Process-1:
Traceback (most recent call last):
  File "x.py", line 1, in <module>
TypeError: SimStats.save_stats() takes 2 positional arguments but 3 were given
""")
    assert state.output_dir == "1207/10_52_23_879289/s1"
    assert state.points[100.0].complete and state.points[100.0].iterations_done == 6
    assert state.failure == ("FUSION's worker process died (Process Process-1) | TypeError: "
                             "SimStats.save_stats() takes 2 positional arguments but 3 were "
                             "given")


def test_a_hostile_folder_line_never_leaves_the_output_tree(tmp_path: Path) -> None:
    """The start line's folder is data: `..` cannot take the copy outside data/output."""
    from fusion_tui.kinds.formats.mirror import allowed_source

    home = tmp_path / "FUSION"
    (home / "data" / "output" / "NSFNet" / "1207" / "10_52_23_879289").mkdir(parents=True)
    (home / "data" / "etc").mkdir()  # where the hostile name leads: it exists
    state = _fold("Starting simulation for thread ../../../../etc at 1207_10_52_23_879289.\n")
    logged = home / "data" / "output" / "NSFNet" / str(state.output_dir)
    assert Path(logged).resolve() == (home / "data" / "etc").resolve()
    assert allowed_source(str(logged), home) is None


def test_the_live_view_plans_the_loads_this_line_runs(tmp_path: Path) -> None:
    """The detail screen's tail counts 300 and 600 for 300..900 by 300, as the line does,
    so its overall progress is not a third short."""
    from fusion_tui.base.rundir import RunPaths
    from fusion_tui.config.templates import RunConfig, Template
    from fusion_tui.runs.tail import RunTail

    sections = fusion_sections("fusion55")
    sections["general_settings"]["erlang_stop"] = "900"
    paths = RunPaths(tmp_path / "run")
    paths.create()
    paths.config.write_text(RunConfig(Template("fusion55", tmp_path, "fusion55", ""),
                                      sections).to_ini())
    tail = RunTail(paths, kind_for("fusion55"))
    assert tail.state.total_erlangs == 2
