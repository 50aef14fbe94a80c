"""The staff list: cards that open staff mode at the terminals, by token under the municipality's
access-list key (never the card number), with a role, the branches, an expiry and a PIN verifier.

Revision ID: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_cards",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("pin_verifier", sa.String(200), nullable=False),
        sa.Column("branches", sa.Text, nullable=False),
        sa.Column("expires", sa.String(10)),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_cards")
