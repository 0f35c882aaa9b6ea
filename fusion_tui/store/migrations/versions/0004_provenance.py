"""Provenance of every run: a hash of its frozen config, its seed, where it came from
(simulator and version, FUSION's git commit, host, executor), and the run it restarts.

Runs made before this revision have none (their config could have changed on disk since).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("config_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("seed", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("provenance_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("origin_id", sa.String(12), nullable=True))
    op.create_index("ix_runs_config_hash", "runs", ["config_hash"])


def downgrade() -> None:
    op.drop_index("ix_runs_config_hash", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("origin_id")
        batch.drop_column("provenance_json")
        batch.drop_column("seed")
        batch.drop_column("config_hash")
