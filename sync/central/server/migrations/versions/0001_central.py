"""The central service's first schema: terminals, calendars, the access list, events, heartbeats and
print jobs.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NUMBER = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite autoincrements INTEGER keys only


def upgrade() -> None:
    op.create_table("meta", sa.Column("name", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    op.create_table("terminals", sa.Column("id", sa.String(64), primary_key=True),
                    sa.Column("settings", sa.Text, nullable=False))
    op.create_table("calendars", sa.Column("branch", sa.String(64), primary_key=True),
                    sa.Column("calendar", sa.Text, nullable=False))
    op.create_table(
        "access",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("pin_verifier", sa.Text, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("birth_date", sa.String(10)),
        sa.Column("blocked", sa.Boolean, nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("expires", sa.String(10), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index("access_seq", "access", ["seq"])
    op.create_table(
        "events",
        sa.Column("number", NUMBER, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("terminal", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "heartbeats",
        sa.Column("number", NUMBER, primary_key=True, autoincrement=True),
        sa.Column("terminal", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("heartbeats_terminal", "heartbeats", ["terminal", "number"])
    op.create_table(
        "print_jobs",
        sa.Column("number", NUMBER, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("copies", sa.Integer, nullable=False),
        sa.Column("color", sa.Boolean, nullable=False),
        sa.Column("duplex", sa.Boolean, nullable=False),
        sa.Column("price", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("submitted_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("terminal", sa.String(64)),
    )
    op.create_index("print_jobs_owner", "print_jobs", ["owner"])


def downgrade() -> None:
    for table in ("print_jobs", "heartbeats", "events", "access", "calendars", "terminals", "meta"):
        op.drop_table(table)
