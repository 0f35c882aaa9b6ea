"""Daily use: a run's result at a glance, tags and notes, dependencies, a start time, and
recurring schedules.

- `runs`: `result_load`, `result_blocking`, `result_low`, `result_high` (the mean
  blocking at the run's last load with its interval, cached for the run list; empty
  until known), `note` (free text), `start_after` (a queued run starts no earlier).
- `sweeps`: `note`.
- `run_tags` and `sweep_tags`: (run or sweep, tag) pairs, removed with their run/sweep.
- `run_dependencies`: (run, needed run): the run starts only when every needed run has
  COMPLETED.
- `schedules`: a cron expression and what it starts (a run or a sweep, as JSON), its
  owner, whether it is paused, and the last due time it started.

Existing rows keep every value; the new columns start empty. The downgrade drops them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_RUN_COLUMNS = ("result_load", "result_blocking", "result_low", "result_high")


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ adds and drops columns in place): a batch copy of
    # `runs` would drop the table, and with foreign keys on that deletes its jobs' rows.
    for name in _RUN_COLUMNS:
        op.add_column("runs", sa.Column(name, sa.Float(), nullable=True))
    op.add_column("runs", sa.Column("note", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("start_after", sa.DateTime(), nullable=True))
    op.add_column("sweeps", sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "run_tags",
        sa.Column("run_id", sa.String(12), sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
    )
    op.create_index("ix_run_tags_tag", "run_tags", ["tag"])
    op.create_table(
        "sweep_tags",
        sa.Column("sweep_id", sa.String(12), sa.ForeignKey("sweeps.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
    )
    op.create_index("ix_sweep_tags_tag", "sweep_tags", ["tag"])
    op.create_table(
        "run_dependencies",
        sa.Column("run_id", sa.String(12), sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("needs_id", sa.String(12), primary_key=True),
    )
    op.create_index("ix_run_dependencies_needs_id", "run_dependencies", ["needs_id"])
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("cron", sa.String(100), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_due_at", sa.DateTime(), nullable=True),
        sa.Column("last_started_id", sa.String(12), nullable=True),
    )
    op.create_index("ix_schedules_owner", "schedules", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_schedules_owner", "schedules")
    op.drop_table("schedules")
    op.drop_index("ix_run_dependencies_needs_id", "run_dependencies")
    op.drop_table("run_dependencies")
    op.drop_index("ix_sweep_tags_tag", "sweep_tags")
    op.drop_table("sweep_tags")
    op.drop_index("ix_run_tags_tag", "run_tags")
    op.drop_table("run_tags")
    op.drop_column("sweeps", "note")
    for name in ("start_after", "note", *reversed(_RUN_COLUMNS)):
        op.drop_column("runs", name)
