"""Each user's own queue (`owner_queues`: limit and pause per owner) instead of one queue
for the whole store; `queue_state` keeps only the shared Slurm poll time.

The old global limit and pause become the settings of every user the store knows (each
owner of a run or a sweep, and the user upgrading): that is what each of them had in
force before, so nobody's queue changes at the upgrade. A user who comes later starts
with the default (one run at a time, running).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from fusion_tui.base.owner import current_user

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def upgrade() -> None:
    table = op.create_table(
        "owner_queues",
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("max_concurrent", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    conn = op.get_bind()
    row = conn.execute(sa.text("SELECT max_concurrent, paused FROM queue_state "
                               "WHERE id = 1")).first()
    limit, paused = (int(row[0]), bool(row[1])) if row is not None else (1, False)
    owners = {str(o) for (o,) in conn.execute(sa.text(
        "SELECT owner FROM runs WHERE owner IS NOT NULL "
        "UNION SELECT owner FROM sweeps WHERE owner IS NOT NULL"))}
    owners.add(current_user())
    op.bulk_insert(table, [{"owner": o, "max_concurrent": limit, "paused": paused,
                            "updated_at": _now()} for o in sorted(owners)])
    with op.batch_alter_table("queue_state") as batch:
        batch.drop_column("max_concurrent")
        batch.drop_column("paused")


def downgrade() -> None:
    """One queue again: the downgrading user's settings become everyone's."""
    with op.batch_alter_table("queue_state") as batch:
        batch.add_column(sa.Column("max_concurrent", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paused", sa.Boolean(), nullable=True))
    conn = op.get_bind()
    row = conn.execute(sa.text("SELECT max_concurrent, paused FROM owner_queues "
                               "WHERE owner = :o"), {"o": current_user()}).first()
    limit, paused = (int(row[0]), bool(row[1])) if row is not None else (1, False)
    if conn.execute(sa.text("SELECT id FROM queue_state WHERE id = 1")).first() is None:
        conn.execute(sa.text("INSERT INTO queue_state (id, updated_at) VALUES (1, :t)"),
                     {"t": _now()})
    conn.execute(sa.text("UPDATE queue_state SET max_concurrent = :m, paused = :p"),
                 {"m": limit, "p": paused})
    with op.batch_alter_table("queue_state") as batch:
        batch.alter_column("max_concurrent", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("paused", existing_type=sa.Boolean(), nullable=False)
    op.drop_table("owner_queues")
