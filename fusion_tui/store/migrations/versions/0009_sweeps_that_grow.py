"""Sweeps that grow: a sweep can reuse another's COMPLETED run as one of its points, pair
axes instead of a full grid, and list its loads when it was extended with more.

- `sweep_members`: (sweep, run, the point the run stands for in that sweep): a run
  reused by a sweep that does not own it (`runs.sweep_id` stays its owner's). Removed
  with the sweep or with the run.
- `sweeps.zip_json`: the grid keys paired (`--zip`), null for a full grid.
- `sweeps.loads_json`: a split-loads sweep's loads once extended (`sweep extend
  --loads`), null while they are the config's own.

Existing rows keep every value; the new columns start empty. The downgrade drops them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sweeps", sa.Column("zip_json", sa.Text(), nullable=True))
    op.add_column("sweeps", sa.Column("loads_json", sa.Text(), nullable=True))
    op.create_table(
        "sweep_members",
        sa.Column("sweep_id", sa.String(12), sa.ForeignKey("sweeps.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("run_id", sa.String(12), sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("point_json", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_sweep_members_run_id", "sweep_members", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_sweep_members_run_id", "sweep_members")
    op.drop_table("sweep_members")
    op.drop_column("sweeps", "loads_json")
    op.drop_column("sweeps", "zip_json")
