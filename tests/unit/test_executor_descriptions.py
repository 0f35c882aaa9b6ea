"""The executors' descriptions, which the CLI and the app are built from, agree with the
executors, the settings and the templates."""

from __future__ import annotations

import argparse

from fusion_tui.cli.executor_flags import add_executor_flags, executor_options
from fusion_tui.config.templates import META_KEYS
from fusion_tui.executors.descriptions import DESCRIPTIONS, TABLES, description_of
from fusion_tui.executors.local.executor import LocalExecutor
from fusion_tui.executors.slurm.executor import SlurmExecutor


def test_every_executor_is_described_by_the_description_the_front_ends_use() -> None:
    executors = (LocalExecutor, SlurmExecutor)
    assert {cls.description.name for cls in executors} == set(DESCRIPTIONS)
    for cls in executors:
        assert DESCRIPTIONS[cls.description.name] is cls.description


def test_every_option_has_its_setting_its_template_key_and_its_flag() -> None:
    """An option's default is a setting of its own executor's table, and its template
    key is no key of the template's own."""
    parser = argparse.ArgumentParser()
    add_executor_flags(parser)
    args = parser.parse_args([])
    for description in DESCRIPTIONS.values():
        assert sorted(o.place for o in description.options) == list(
            range(len(description.options)))
        for option in description.options:
            assert option.setting in description.table.named()
            assert option.name not in META_KEYS
    assert set(executor_options(args)) == {o.name for d in DESCRIPTIONS.values()
                                           for o in d.options}


def test_each_executor_declares_its_own_settings_table() -> None:
    assert [t.name for t in TABLES] == list(DESCRIPTIONS)
    names = [name for t in TABLES for name in t.named()]
    assert len(names) == len(set(names))


def test_a_run_of_an_executor_no_longer_known_is_shown_by_its_name() -> None:
    assert description_of("elsewhere").where("node1") == "elsewhere"
