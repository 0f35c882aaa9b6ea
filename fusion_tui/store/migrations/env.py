"""Alembic environment: migrations always run on a connection handed in by `migrate.py`."""

from __future__ import annotations

from alembic import context

from fusion_tui.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through fusion_tui.store.migrate (fusion-tui db upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
