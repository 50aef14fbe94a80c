"""Alembic environment of the central service: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from sync.central.server.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes one
    raise RuntimeError("run migrations through sync.central.server.store.open_database")

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
