"""Indexes for a store of 100,000 runs and more (issue 23).

- `ix_runs_owner_status_created_at` (owner, status, created_at): one owner's runs of a
  status, newest first (`runs --status X` reads its page down it, for the user's runs
  and for those of nobody), and the runs per status of one owner (`stats`).
- `ix_runs_status_owner_started_completed` (status, owner, started_at, completed_at):
  the durations of completed runs, everyone's or one owner's (`stats`), read from the
  index alone.

No column changes; the downgrade drops them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_runs_owner_status_created_at": ["owner", "status", "created_at"],
    "ix_runs_status_owner_started_completed": ["status", "owner", "started_at", "completed_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "runs", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="runs")
