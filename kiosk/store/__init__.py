"""The local store: SQLite in WAL mode, read and written in plain SQL; its tables declared in
SQLAlchemy 2 and migrated by Alembic, both loaded only when the database is behind."""

from kiosk.store.db import Store, current_revision, head_revision, open_store
from kiosk.store.journal import Journal, JournalEntry, JournalState

__all__ = [
    "Journal",
    "JournalEntry",
    "JournalState",
    "Store",
    "current_revision",
    "head_revision",
    "open_store",
]
