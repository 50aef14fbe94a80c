"""The central service's tables, in SQLAlchemy Core so that one schema serves SQLite and PostgreSQL.

JSON bodies are kept as canonical JSON text (sorted keys, no spaces): what was stored is what is
served, byte for byte, so an ETag computed over it is stable across both databases.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect

metadata = MetaData()


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A point in time: written in UTC, read back with its zone, on SQLite (which keeps no zone and
    would store the local clock time of whatever offset it is given) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a time without a zone cannot be stored")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

# name -> value: the access list's change sequence ("seq"), how far it is compacted ("compacted"),
# and the municipality's key for patron tokens ("access_list_key", hex).
meta = Table(
    "meta", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Configuration revisions: never changed once written. A terminal's configuration is the newest
# revision of each layer that applies to it, merged: defaults, municipality, its branch, itself.
config_revisions = Table(
    "config_revisions", metadata,
    Column("number", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("level", String(16), nullable=False),  # defaults, municipality, branch, terminal
    Column("scope", String(64), nullable=False),  # "" for defaults and municipality; a branch; a terminal
    Column("settings", Text, nullable=False),  # this layer's part, canonical JSON
    Column("author", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("parent", BigInteger),  # the revision of the same layer it replaced
    Column("created_at", UtcDateTime(), nullable=False),
    Index("config_revisions_layer", "level", "scope", "number"),
)

calendars = Table(
    "calendars", metadata,
    Column("branch", String(64), primary_key=True),
    Column("calendar", Text, nullable=False),
)

# The shared access list. A row keeps the number of its last change; a deleted entry stays as a
# tombstone (deleted true) until the change log is compacted past it.
access = Table(
    "access", metadata,
    Column("key", String(32), primary_key=True),
    Column("pin_verifier", Text, nullable=False),
    Column("category", String(64), nullable=False),
    Column("birth_date", String(10)),
    Column("blocked", Boolean, nullable=False),
    Column("consent", Boolean, nullable=False),
    Column("expires", String(10), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("seq", BigInteger, nullable=False),
    # The last time a terminal confirmed the entry online (or it was loaded): unused ones are purged.
    Column("used_at", UtcDateTime()),
    # The time of the online check the entry was learned from, if it was.
    Column("learned_at", UtcDateTime()),
    Index("access_seq", "seq"),
    Index("access_used_at", "used_at"),
)

events = Table(
    "events", metadata,
    Column("number", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("terminal", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

heartbeats = Table(
    "heartbeats", metadata,
    Column("number", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("terminal", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Index("heartbeats_terminal", "terminal", "number"),
)

print_jobs = Table(
    "print_jobs", metadata,
    Column("number", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("owner", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("copies", Integer, nullable=False),
    Column("color", Boolean, nullable=False),
    Column("duplex", Boolean, nullable=False),
    Column("price", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("submitted_utc", UtcDateTime(), nullable=False),  # for ordering across offsets
    Column("state", String(16), nullable=False),
    Column("terminal", String(64)),
    Index("print_jobs_owner", "owner"),
)

# The documents of print jobs patrons sent (print release), with each page's colour and size.
print_documents = Table(
    "print_documents", metadata,
    Column("job_id", String(64), primary_key=True),
    Column("document", LargeBinary, nullable=False),  # the normalised PDF
    Column("pages", Text, nullable=False),  # JSON: [[colour, size], ...]
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("print_documents_expires", "expires_at"),
)

# Print release's money: prepaid balances (øre) and the payments made from them.
balances = Table(
    "balances", metadata,
    Column("owner", String(32), primary_key=True),  # the patron's token
    Column("ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
)
payments = Table(
    "payments", metadata,
    Column("id", String(40), primary_key=True),
    Column("owner", String(32), nullable=False),
    Column("job_id", String(64), nullable=False),
    Column("ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # authorized, captured, voided, refunded; by a provider also awaiting_payer and expired
    Column("state", String(16), nullable=False),
    Column("terminal", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("method", String(10), nullable=False, server_default="balance"),  # balance, provider
    # The provider's own reference and hosted page for this payment: never card data.
    Column("provider_ref", String(64), nullable=False, server_default=""),
    Column("hosted_url", Text, nullable=False, server_default=""),
    Column("short_id", String(16)),  # the /pay/<short_id> link a QR code carries
    Column("pay_url", String(300), nullable=False, server_default=""),
    Column("expires_at", UtcDateTime()),  # an unpaid provider payment expires then
    # The state was decided here and the provider has yet to confirm it (capture, cancel, refund):
    # tried again at retry_at (None: not again; provider_error says why) by the maintenance round.
    Column("pending", Boolean, nullable=False, server_default=false()),
    Column("tries", Integer, nullable=False, server_default="0"),
    Column("retry_at", UtcDateTime()),
    Column("provider_error", Text, nullable=False, server_default=""),
    Index("payments_owner", "owner"),
    Index("payments_short_id", "short_id", unique=True),
    Index("payments_provider_ref", "provider_ref"),
    Index("payments_state", "state"),
    Index("payments_pending", "pending"),
)

# A terminal's own credential (SHA-256 of 256 random bits) and the branch it may act for.
credentials = Table(
    "credentials", metadata,
    Column("terminal", String(64), primary_key=True),
    Column("branch", String(64), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
)

# One-time enrolment tokens (SHA-256), each for one terminal of one branch, until it expires.
enrolments = Table(
    "enrolments", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("terminal", String(64), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
)

# Alarms for people: one row per terminal and kind while it is open (not acknowledged).
alarms = Table(
    "alarms", metadata,
    Column("number", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("terminal", String(64), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("detail", Text, nullable=False),
    Column("first_at", UtcDateTime(), nullable=False),
    Column("last_at", UtcDateTime(), nullable=False),
    Column("count", Integer, nullable=False),
    Column("notified_at", UtcDateTime()),
    Column("acknowledged_at", UtcDateTime()),
    Column("acknowledged_by", String(128)),
    Index("alarms_open", "terminal", "kind", "acknowledged_at"),
)

# Staff accounts of the administration web (local ones; argon2 hashes).
accounts = Table(
    "accounts", metadata,
    Column("username", String(128), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),  # administrator, technician, staff
    Column("branches", Text, nullable=False),  # JSON list of branches; ["*"]: every branch
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled", Boolean, nullable=False),
)

# The staff list: cards that open staff mode at the terminals (tokens under the access-list key).
staff_cards = Table(
    "staff_cards", metadata,
    Column("token", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # staff, technician, administrator
    Column("pin_verifier", String(200), nullable=False),
    Column("branches", Text, nullable=False),  # JSON list of branches; ["*"]: every branch
    Column("expires", String(10)),  # ISO date; after it the card no longer opens staff mode
    Column("added_at", UtcDateTime(), nullable=False),
    Column("added_by", String(128), nullable=False),
)

# The revocation list: cards kept out in unstaffed hours whatever the LMS says (tokens, as above).
revocations = Table(
    "revocations", metadata,
    Column("token", String(64), primary_key=True),
    Column("until", String(10)),  # ISO date, the last day; None: until taken off
    Column("reason", String(200), nullable=False),  # a word or two, never a name
    Column("added_at", UtcDateTime(), nullable=False),
    Column("added_by", String(128), nullable=False),
)

# The audit log: who did what, and when.
audit = Table(
    "audit", metadata,
    Column("number", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("who", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=False),
    Column("detail", Text, nullable=False),
)

# Releases of the kiosk the service hands to terminals: each wheel as it was added (its bytes here,
# so that every instance of the service over one database serves the same file), and which version
# is offered to all terminals, a branch's or one terminal (the narrowest offer wins).
releases = Table(
    "releases", metadata,
    Column("version", String(64), primary_key=True),
    Column("filename", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("wheel", LargeBinary, nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
    Column("added_by", String(128), nullable=False),
)
release_offers = Table(
    "release_offers", metadata,
    Column("scope_kind", String(8), primary_key=True),  # all, branch, terminal
    Column("scope", String(64), primary_key=True),  # the branch or terminal; "" for all
    Column("version", String(64), nullable=False),
    Column("offered_at", UtcDateTime(), nullable=False),
    Column("offered_by", String(128), nullable=False),
)
