"""Alarms: what a person must hear of (a door forced, a terminal silent, a device down), one row per
terminal and kind while it is open, with how often it happened, when it was last sent and who
acknowledged it.

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NUMBER = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "alarms",
        sa.Column("number", NUMBER, primary_key=True, autoincrement=True),
        sa.Column("terminal", sa.String(64), nullable=False),
        sa.Column("branch", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", sa.String(128)),
    )
    op.create_index("alarms_open", "alarms", ["terminal", "kind", "acknowledged_at"])


def downgrade() -> None:
    op.drop_table("alarms")
