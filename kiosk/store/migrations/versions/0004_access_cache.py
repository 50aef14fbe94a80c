"""The access list cache: patrons by keyed hash, in generations, for offline door decisions.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_entry",
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("pin_n", sa.Integer, nullable=False),
        sa.Column("pin_salt", sa.LargeBinary(64), nullable=False),
        sa.Column("pin_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=True),
        sa.Column("blocked", sa.Boolean, nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("expires", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("generation", "key"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "access_fill",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("pin_n", sa.Integer, nullable=False),
        sa.Column("pin_salt", sa.LargeBinary(64), nullable=False),
        sa.Column("pin_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=True),
        sa.Column("blocked", sa.Boolean, nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("expires", sa.String(10), nullable=False),
    )
    meta = op.create_table(
        "access_meta",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("live_generation", sa.Integer, nullable=False),
        sa.Column("cursor", sa.String(200), nullable=True),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("full_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delta_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.bulk_insert(meta, [{"id": 1, "live_generation": 0, "cursor": None, "entries": 0}])


def downgrade() -> None:
    op.drop_table("access_meta")
    op.drop_table("access_fill")
    op.drop_table("access_entry")
