"""Queue state in the store: the concurrency limit and whether the queue is paused.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "queue_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("max_concurrent", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "max_concurrent": 1, "paused": False,
                            "updated_at": datetime.now(UTC).replace(tzinfo=None)}])


def downgrade() -> None:
    op.drop_table("queue_state")
