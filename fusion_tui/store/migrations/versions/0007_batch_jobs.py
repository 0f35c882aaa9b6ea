"""Batch jobs of any batch scheduler's executor, not Slurm's only; a poll time per executor.

- `batch_jobs` replaces `slurm_jobs`: the same columns plus `executor`, the executor
  whose job it is. Every `slurm_jobs` row (of a run the store still has) becomes a
  `batch_jobs` row of the executor `slurm`, every value kept.
- `executor_polls` (executor, polled_at) replaces `queue_state`, whose last column was
  Slurm's shared poll time (`slurm_polled_at`): a poll time becomes the `slurm` row.

The downgrade makes `slurm_jobs` of the `slurm` rows (a job of another executor has no
place in revision 0006) and `queue_state` with Slurm's poll time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SLURM = "slurm"
# The columns `slurm_jobs` and `batch_jobs` share, in this order.
_JOB_COLUMNS = ("run_id", "job_id", "state", "reason", "node", "elapsed_seconds",
                "time_limit", "attempt", "options_json", "submitted_at", "checked_at",
                "left_queue_at")


def _job_columns(*more: sa.Column[Any]) -> list[sa.Column[Any]]:
    """The columns of `slurm_jobs`, with `more` after the run's id for `batch_jobs`."""
    return [
        sa.Column("run_id", sa.String(12), sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        *more,
        sa.Column("job_id", sa.String(32), nullable=True),
        sa.Column("state", sa.String(32), nullable=True),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("node", sa.String(255), nullable=True),
        sa.Column("elapsed_seconds", sa.Integer(), nullable=True),
        sa.Column("time_limit", sa.String(32), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("left_queue_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table("batch_jobs",
                    *_job_columns(sa.Column("executor", sa.String(20), nullable=False)))
    op.create_index("ix_batch_jobs_job_id", "batch_jobs", ["job_id"])
    columns = ", ".join(_JOB_COLUMNS)
    selected = ", ".join(f"j.{c}" for c in _JOB_COLUMNS)
    op.execute(f"INSERT INTO batch_jobs ({columns}, executor) SELECT {selected}, '{SLURM}' "
               "FROM slurm_jobs j JOIN runs r ON r.id = j.run_id")

    op.create_table(
        "executor_polls",
        sa.Column("executor", sa.String(20), primary_key=True),
        sa.Column("polled_at", sa.DateTime(), nullable=True),
    )
    # queue_state has one row (id 1); the newest time, should there be more
    op.execute(f"INSERT INTO executor_polls (executor, polled_at) SELECT '{SLURM}', "
               "max(slurm_polled_at) FROM queue_state HAVING max(slurm_polled_at) IS NOT NULL")

    op.drop_index("ix_slurm_jobs_job_id", "slurm_jobs")
    op.drop_table("slurm_jobs")
    op.drop_table("queue_state")


def downgrade() -> None:
    state = op.create_table(
        "queue_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("slurm_polled_at", sa.DateTime(), nullable=True),
    )
    op.bulk_insert(state, [{"id": 1, "updated_at": datetime.now(UTC).replace(tzinfo=None)}])
    op.execute(f"UPDATE queue_state SET slurm_polled_at = (SELECT polled_at FROM "
               f"executor_polls WHERE executor = '{SLURM}')")

    op.create_table("slurm_jobs", *_job_columns())
    op.create_index("ix_slurm_jobs_job_id", "slurm_jobs", ["job_id"])
    columns = ", ".join(_JOB_COLUMNS)
    op.execute(f"INSERT INTO slurm_jobs ({columns}) SELECT {columns} FROM batch_jobs "
               f"WHERE executor = '{SLURM}'")

    op.drop_table("executor_polls")
    op.drop_index("ix_batch_jobs_job_id", "batch_jobs")
    op.drop_table("batch_jobs")

