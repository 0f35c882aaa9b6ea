"""Persistence: engine and session factory, ORM models, migrations and run queries."""
