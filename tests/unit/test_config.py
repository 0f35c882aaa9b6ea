"""Templates, overrides and validation; bad input leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TESTS, make_settings
from hypothesis import given
from hypothesis import strategies as st

from fusion_tui.base.errors import ConfigError
from fusion_tui.base.resources import shipped_templates_dir
from fusion_tui.config.overrides import parse_override
from fusion_tui.config.schema import erlang_values
from fusion_tui.config.templates import build_config, list_templates
from fusion_tui.kinds.registry import kind_for
from fusion_tui.services import open_services

SHIPPED = [shipped_templates_dir()]
RUN_DIR = Path("/nonexistent/runs/new")


def test_shipped_templates_are_valid() -> None:
    names = {t.name: t for t in list_templates(SHIPPED)}
    assert {"minimal", "default", "fusion"} <= set(names)
    assert names["fusion"].simulator == "fusion"
    assert names["minimal"].simulator == names["default"].simulator == "builtin"
    for name in names:
        build_config(name, [], SHIPPED, RUN_DIR, kind_for)


def test_erlang_list_is_inclusive() -> None:
    config = build_config("minimal", [parse_override("general_settings.erlang_stop=900")],
                          SHIPPED, RUN_DIR, kind_for)
    assert erlang_values(config.sections) == [300.0, 600.0, 900.0]
    half = build_config("minimal", [parse_override("general_settings.erlang_step=0.1"),
                                    parse_override("general_settings.erlang_start=0.1"),
                                    parse_override("general_settings.erlang_stop=0.3")],
                        SHIPPED, RUN_DIR, kind_for)
    assert len(erlang_values(half.sections)) == 3


def test_overrides_merge_and_freeze() -> None:
    config = build_config("minimal", [parse_override("routing_settings.k_paths=3"),
                                      parse_override("general_settings.thread_num=x=y %s")],
                          SHIPPED, RUN_DIR, kind_for)
    ini = config.to_ini()
    assert "k_paths = 3" in ini
    assert "thread_num = x=y %s" in ini
    assert "[fusion_tui]" not in ini


@pytest.mark.parametrize("text,message", [
    ("general_settings.max_iters", "expected section.key=value"),
    ("max_iters=3", "expected section.key=value"),
    (".x=1", "section and key may hold only"),
    ("a b.c=1", "section and key may hold only"),
])
def test_bad_override_syntax(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_override(text)


@given(st.text(max_size=60))
def test_override_parser_never_crashes(text: str) -> None:
    try:
        o = parse_override(text)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    assert f"{o.section}.{o.key}" == text.partition("=")[0].strip()
    assert "=" in text


@given(st.from_regex(r"[a-z_]{1,10}\.[a-z_]{1,10}", fullmatch=True),
       st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=30))
def test_override_round_trip(target: str, value: str) -> None:
    o = parse_override(f"{target}={value}")
    assert (f"{o.section}.{o.key}", o.value) == (target, value.strip())


BAD_CREATES = [
    ({"template": "nope"}, "unknown template 'nope'"),
    ({"template": "../../etc/passwd"}, "not a template name"),
    ({"template": "broken"}, "cannot parse INI"),
    ({"template": "fake", "overrides": ["spectrum_settings.c_band=None"]},
     r"\[spectrum_settings\] c_band: missing required key"),
    ({"template": "fake", "overrides": ["general_settings.max_iters=two"]},
     r"\[general_settings\] max_iters: expected an integer, got 'two'"),
    ({"template": "fake", "overrides": ["general_settings.holding_time=fast"]},
     r"\[general_settings\] holding_time: expected a number"),
    ({"template": "fake", "overrides": ["general_settings.erlang_stop=50"]},
     r"\[general_settings\] erlang_stop: must not be below erlang_start"),
    ({"template": "fake", "overrides": ["general_settings.erlang_step=0"]},
     r"\[general_settings\] erlang_step: must be greater than 0"),
    ({"template": "fake", "overrides": ["general_settings.erlang_step=-5"]},
     r"\[general_settings\] erlang_step: must be greater than 0"),
    ({"template": "fake", "overrides": ["general_settings.num_requests=-1"]},
     r"\[general_settings\] num_requests: must be at least 1"),
    ({"template": "fake", "overrides": ["general_settings.guard_slots=-1"]},
     r"\[general_settings\] guard_slots: must be at least 0"),
    ({"template": "fake", "overrides": ["topology_settings.cores_per_link=0"]},
     r"\[topology_settings\] cores_per_link: must be at least 1"),
    ({"template": "fake", "overrides": ["general_settings.allocation_method=random"]},
     r"\[general_settings\] allocation_method: expected one of first_fit"),
    ({"template": "fake", "overrides": ["general_settings.request_distribution={\"100\": 0.5}"]},
     r"\[general_settings\] request_distribution: probabilities must sum to 1"),
    ({"template": "fake", "overrides": ["general_settings.request_distribution=[1"]},
     r"\[general_settings\] request_distribution: invalid JSON"),
    ({"template": "fake", "overrides": ["general_settings.allocation_method=priority_first"]},
     r"\[general_settings\] allocation_method: expected one of first_fit"),
    ({"template": "fake", "overrides": ["general_settings.erlang_strat=1"]},
     r"\[general_settings\] erlang_strat: unknown key"),
    ({"template": "fake", "name": "bad\x1b[31mname"}, "name: control characters"),
    ({"template": "fake", "name": "x" * 300}, "name: at most 255 characters"),
]


@pytest.mark.parametrize("kwargs,message", BAD_CREATES,
                         ids=[m[:40] for _, m in BAD_CREATES])
def test_bad_input_is_refused_and_leaves_nothing(
        tmp_path: Path, sqlite_url: str, kwargs: dict[str, object], message: str) -> None:
    settings = make_settings(tmp_path, sqlite_url)
    settings.user_templates_dir.mkdir(parents=True)
    (settings.user_templates_dir / "broken.ini").write_text("[general_settings\nx = 1\n")
    svc = open_services(settings)
    try:
        template = str(kwargs.pop("template"))
        with pytest.raises(ConfigError, match=message) as info:
            svc.manager.create(template, **kwargs)  # type: ignore[arg-type]
        assert "\n" not in str(info.value)
        assert svc.store.count_runs() == 0
        assert list(settings.runs_dir.iterdir()) == []
    finally:
        svc.close()


@pytest.mark.parametrize("command,message", [
    ("{python} sim.py --config {config}", "unknown placeholder {config}"),
    ("no-such-simulator-anywhere {config_path}", "'no-such-simulator-anywhere' not found"),
    ("/nonexistent/sim {config_path}", "is not an executable file"),
    ("'unterminated {config_path}", "cannot split command"),
])
def test_bad_simulator_command_leaves_nothing(
        tmp_path: Path, sqlite_url: str, command: str, message: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, simulator_command=command)
    svc = open_services(settings)
    try:
        with pytest.raises(ConfigError, match=message):
            svc.manager.create("fake")
        assert svc.store.count_runs() == 0
        assert list(settings.runs_dir.iterdir()) == []
    finally:
        svc.close()


def test_missing_fusion_checkout_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, fusion_command="true {config_path}",
                             fusion_home=tmp_path / "no-fusion-here")
    svc = open_services(settings)
    try:
        with pytest.raises(ConfigError, match=r"working directory .* does not exist"):
            svc.manager.create("fusion")
        assert svc.store.count_runs() == 0
    finally:
        svc.close()


def test_user_template_shadows_shipped(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path, sqlite_url)
    settings.user_templates_dir.mkdir(parents=True)
    text = (shipped_templates_dir() / "minimal.ini").read_text()
    (settings.user_templates_dir / "minimal.ini").write_text(
        text.replace("max_iters = 2", "max_iters = 7"))
    config = build_config("minimal", [], settings.template_dirs, RUN_DIR, kind_for)
    assert config.iterations == 7


@pytest.mark.parametrize("meta,message", [
    ("executr = slurm", r"\[fusion_tui\] executr: template 'odd': not a fusion-tui key"),
    ("executor = kubernetes", r"\[fusion_tui\] executor: expected one of local, slurm"),
    ("executor = slurm\ntime = soon", r"template 'odd' \[fusion_tui\]: time: expected a Slurm"),
    ("executor = slurm\nextra_args = --output=/etc/x", "--output is not allowed here"),
    ("executor = slurm\ncpus_per_task = 0", "cpus_per_task: expected a whole number"),
])
def test_a_templates_executor_section_is_checked(tmp_path: Path, meta: str,
                                                 message: str) -> None:
    """What a template asks of the executor is checked like everything else, before
    anything is made (these are refused before Slurm would be asked)."""
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}")
    settings.user_templates_dir.mkdir(parents=True)
    text = (TESTS / "data" / "templates" / "fake.ini").read_text()
    (settings.user_templates_dir / "odd.ini").write_text(
        text.replace("simulator = builtin", f"simulator = builtin\n{meta}"))
    svc = open_services(settings)
    try:
        with pytest.raises(ConfigError, match=message):
            svc.manager.create("odd")
        assert svc.store.count_runs() == 0 and list(settings.runs_dir.iterdir()) == []
    finally:
        svc.close()


def test_slurm_options_on_a_local_run_are_refused(tmp_path: Path) -> None:
    svc = open_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}"))
    try:
        with pytest.raises(ConfigError, match=r"^Slurm options were given but the run's "
                           r"executor is local \(add --executor slurm\)$"):
            svc.manager.create("fake", executor_options={"partition": "compute"})
    finally:
        svc.close()


@pytest.mark.parametrize("text,seconds", [
    ("30", 1800), ("1:30", 90), ("2:00:00", 7200), ("1-0", 86400), ("1-2:30", 95400),
    ("1-02:03:04", 93784), ("UNLIMITED", None), ("infinite", None),
])
def test_slurm_time_limits_read_as_slurm_reads_them(text: str, seconds: int | None) -> None:
    from fusion_tui.executors.slurm.options import time_limit_seconds

    assert time_limit_seconds(text) == seconds


def test_a_hostile_run_name_never_reaches_the_job_script_as_code(tmp_path: Path) -> None:
    """The name becomes a job name of safe characters; paths are quoted; a path Slurm
    could not read back (a quote, a line break) is refused."""
    from fusion_tui.base.rundir import RunPaths
    from fusion_tui.executors.slurm.jobscript import job_name, render
    from fusion_tui.executors.slurm.options import SlurmOptions

    hostile = "$(touch /tmp/pwned); `id` [red]x[/red] \x1b[31m"
    assert job_name("0123456789ab", hostile) == "ft-0123456789ab-touch_tmp_pwned_id_red_x_red_31m"
    paths = RunPaths(tmp_path / "my runs" / "0123456789ab")
    text = render("0123456789ab", hostile, paths, SlurmOptions(time="10"), warning_seconds=60,
                  env={"FUSION_TUI_HOME": "/home/a b/$(x)"}, python="/usr/bin/python3",
                  package_parent="/opt/ft")
    assert "$(touch" not in text and "`id`" not in text and "\x1b" not in text
    assert f'#SBATCH --chdir="{paths.root}"' in text
    assert "export FUSION_TUI_HOME='/home/a b/$(x)'" in text
    with pytest.raises(ConfigError, match="must not contain quotes or line breaks"):
        render("0123456789ab", None, RunPaths(tmp_path / 'q"uote' / "0123456789ab"),
               SlurmOptions(), warning_seconds=0, env={}, python="p", package_parent="/")
