"""The access list tables: the municipality's patrons for offline door decisions, by keyed hash.

Declared on the same :class:`~kiosk.store.schema.Base` as the journal; the tables are created by the
migration ``0004_access_cache``. Import this module (``kiosk.store.access_cache`` does) before using it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.store.schema import Base


class AccessEntryRow(Base):
    """One patron of one generation of the list. Only the rows of the live generation count.

    ``key`` is HMAC-SHA256 of the card number under the municipality's access list key (32 hex
    characters); ``pin_n``, ``pin_salt`` and ``pin_hash`` are the parts of a slow salted scrypt
    verifier ``scrypt$n$8$1$salt$hash``, kept as bytes because the text form would double the size of
    the list. Neither a card number, a PIN nor a name is ever stored (invariant 3). Dates are ISO
    ``YYYY-MM-DD`` text.
    """

    __tablename__ = "access_entry"
    __table_args__ = ({"sqlite_with_rowid": False},)

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    pin_n: Mapped[int] = mapped_column(Integer, nullable=False)
    pin_salt: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    pin_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    blocked: Mapped[bool] = mapped_column(Boolean, nullable=False)
    consent: Mapped[bool] = mapped_column(Boolean, nullable=False)
    expires: Mapped[str] = mapped_column(String(10), nullable=False)


class AccessMetaRow(Base):
    """The one row (``id`` 1) that says which generation is live and where the list stands.

    ``cursor`` is the central system's cursor after the last page applied to the live list; times
    are naive UTC.
    """

    __tablename__ = "access_meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    live_generation: Mapped[int] = mapped_column(Integer, nullable=False)
    cursor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    entries: Mapped[int] = mapped_column(Integer, nullable=False)
    full_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delta_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AccessFillRow(Base):
    """A full refresh being received: its pages, appended in order (``seq``), until the last one is
    in and the rows are copied into a new generation of :class:`AccessEntryRow`. Empty otherwise."""

    __tablename__ = "access_fill"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(32), nullable=False)
    pin_n: Mapped[int] = mapped_column(Integer, nullable=False)
    pin_salt: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    pin_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    blocked: Mapped[bool] = mapped_column(Boolean, nullable=False)
    consent: Mapped[bool] = mapped_column(Boolean, nullable=False)
    expires: Mapped[str] = mapped_column(String(10), nullable=False)
