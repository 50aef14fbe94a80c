"""The entry log table: who came to the door when, as a pseudonymous token, and what was decided.

Declared on the same :class:`~kiosk.store.schema.Base` as the journal; the table is created by the
migration ``0003_entry_log``. Import this module (``kiosk.store.entry_log`` does) before using it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.store.schema import Base


class EntryLogRow(Base):
    """One door decision. ``at`` is stored in UTC; ``flags`` is a comma-separated list of codes.

    ``token`` is the installation's keyed hash of the credential, never a CPR number, card number or
    name (invariant 3); ``id`` is a UUID shared with the journal row that reports the entry.
    """

    __tablename__ = "entry_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    terminal: Mapped[str] = mapped_column(String(60), nullable=False)
    children: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    flags: Mapped[str] = mapped_column(String(200), nullable=False, default="")
