"""Sweeps: a grid of runs from one template (`sweeps`), and each run's sweep and point;
an index on `origin_id` (a retried point's run names the run it replaces).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("overrides_json", sa.Text(), nullable=False),
        sa.Column("grid_json", sa.Text(), nullable=False),
        sa.Column("seeds_json", sa.Text(), nullable=True),
        sa.Column("split_loads", sa.Boolean(), nullable=False),
        sa.Column("executor", sa.String(20), nullable=False),
        sa.Column("array_limit", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_sweeps_created_at", "sweeps", ["created_at"])
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("sweep_id", sa.String(12), nullable=True))
        batch.add_column(sa.Column("point_json", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_runs_sweep_id", "sweeps", ["sweep_id"], ["id"])
    op.create_index("ix_runs_sweep_id", "runs", ["sweep_id"])
    op.create_index("ix_runs_origin_id", "runs", ["origin_id"])  # a sweep's current runs


def downgrade() -> None:
    op.drop_index("ix_runs_origin_id", "runs")
    op.drop_index("ix_runs_sweep_id", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_sweep_id", type_="foreignkey")
        batch.drop_column("point_json")
        batch.drop_column("sweep_id")
    op.drop_index("ix_sweeps_created_at", "sweeps")
    op.drop_table("sweeps")
