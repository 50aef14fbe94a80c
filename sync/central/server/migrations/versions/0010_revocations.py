"""The municipality's revocation list: cards that may not come in during unstaffed hours whatever the
LMS says (a ban after an incident), by token under the access-list key, with an end date and a
reason in a word or two (never a name).

Revision ID: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revocations",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("until", sa.String(10)),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("revocations")
