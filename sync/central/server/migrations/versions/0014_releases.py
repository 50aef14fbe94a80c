"""Releases of the kiosk: the wheels the service hands to terminals, and the offers of a version to
all terminals, a branch's or one terminal.

Revision ID: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("wheel", sa.LargeBinary, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "release_offers",
        sa.Column("scope_kind", sa.String(8), primary_key=True),
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(64), sa.ForeignKey("releases.version"), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_by", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("release_offers")
    op.drop_table("releases")
