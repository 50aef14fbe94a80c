"""The entry log: door decisions with a pseudonymous token, purged after the retention period.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entry_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.String(64), nullable=True),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("terminal", sa.String(60), nullable=False),
        sa.Column("children", sa.Integer, nullable=False, server_default="0"),
        sa.Column("flags", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("ix_entry_log_at", "entry_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_entry_log_at", "entry_log")
    op.drop_table("entry_log")
