"""The executors' descriptions, which the CLI and the app are built from, agree with the
executors, the settings and the templates."""

from __future__ import annotations

import argparse
from dataclasses import fields

from fusion_tui.base.settings import Settings
from fusion_tui.cli.executor_flags import add_executor_flags, executor_options
from fusion_tui.config.templates import META_KEYS
from fusion_tui.executors.descriptions import DESCRIPTIONS, description_of
from fusion_tui.executors.local.executor import LocalExecutor
from fusion_tui.executors.slurm.executor import SlurmExecutor


def test_every_executor_is_described_by_the_description_the_front_ends_use() -> None:
    executors = (LocalExecutor, SlurmExecutor)
    assert {cls.description.name for cls in executors} == set(DESCRIPTIONS)
    for cls in executors:
        assert DESCRIPTIONS[cls.description.name] is cls.description


def test_every_option_has_its_setting_its_template_key_and_its_flag() -> None:
    settings = {f.name for f in fields(Settings)}
    parser = argparse.ArgumentParser()
    add_executor_flags(parser)
    args = parser.parse_args([])
    for description in DESCRIPTIONS.values():
        assert sorted(o.place for o in description.options) == list(
            range(len(description.options)))
        for option in description.options:
            assert option.setting in settings
            assert option.name in META_KEYS
    assert set(executor_options(args)) == {o.name for d in DESCRIPTIONS.values()
                                           for o in d.options}


def test_a_run_of_an_executor_no_longer_known_is_shown_by_its_name() -> None:
    assert description_of("elsewhere").where("node1") == "elsewhere"
