"""The local store: SQLite through SQLAlchemy 2, in WAL mode, migrated by Alembic on open."""

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
