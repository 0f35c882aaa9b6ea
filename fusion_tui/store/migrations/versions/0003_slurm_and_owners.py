"""Slurm jobs, run owners, and the statuses of Slurm's own endings.

- `runs.owner`: the OS user who created the run. Runs made before this revision are
  given to the user who upgrades the store (until now a store had one user).
- `runs.status` may now also be TIMEOUT, OUT_OF_MEMORY, NODE_FAIL or PREEMPTED; a CHECK
  constraint names every status, so a store never holds one this code cannot show.
- `slurm_jobs`: one row per run on the Slurm executor (job id, last known state,
  reason, node, elapsed, time limit, attempt, the options it was submitted with).
- `queue_state.slurm_polled_at`: when a client last asked Slurm about our jobs, so that
  several clients share one poll per interval.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import getpass

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
            "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED")
OLD_STATUSES = STATUSES[:5]


def _check(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _owner() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def upgrade() -> None:
    with op.batch_alter_table("runs", recreate="always") as batch:
        batch.add_column(sa.Column("owner", sa.String(64), nullable=True))
        batch.create_check_constraint("ck_runs_status", _check(STATUSES))
    op.execute(sa.text("UPDATE runs SET owner = :owner WHERE owner IS NULL")
               .bindparams(owner=_owner()))
    op.create_index("ix_runs_owner_created_at", "runs", ["owner", "created_at"])
    op.create_table(
        "slurm_jobs",
        sa.Column("run_id", sa.String(12), sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
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
    )
    op.create_index("ix_slurm_jobs_job_id", "slurm_jobs", ["job_id"])
    op.add_column("queue_state", sa.Column("slurm_polled_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue_state") as batch:
        batch.drop_column("slurm_polled_at")
    op.drop_table("slurm_jobs")
    op.drop_index("ix_runs_owner_created_at", "runs")
    op.execute(sa.text("UPDATE runs SET status = 'FAILED' WHERE status NOT IN ("
                       + ", ".join(f"'{s}'" for s in OLD_STATUSES) + ")"))
    with op.batch_alter_table("runs", recreate="always") as batch:
        batch.drop_constraint("ck_runs_status", type_="check")
        batch.drop_column("owner")
