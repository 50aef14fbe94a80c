"""Terminals are known: each enrols once with a one-time token and then calls with a credential of
its own, kept here only as a SHA-256 (it is 256 random bits, so a slow hash adds nothing), revocable.

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
        "credentials",
        sa.Column("terminal", sa.String(64), primary_key=True),
        sa.Column("branch", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "enrolments",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("terminal", sa.String(64), nullable=False),
        sa.Column("branch", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("enrolments")
    op.drop_table("credentials")
