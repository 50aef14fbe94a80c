"""Alembic environment: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from kiosk.store import access_schema, entry_schema  # noqa: F401  (their tables in Base.metadata)
from kiosk.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes one
    raise RuntimeError("run migrations through kiosk.store.open_store")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
