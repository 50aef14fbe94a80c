"""Configuration as immutable revisions, layered defaults -> municipality -> branch -> terminal. The
per-terminal settings of before become each terminal's first terminal-level revision.

Revision ID: 0004
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NUMBER = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    revisions = op.create_table(
        "config_revisions",
        sa.Column("number", NUMBER, primary_key=True, autoincrement=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("parent", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("config_revisions_layer", "config_revisions", ["level", "scope", "number"])
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, settings FROM terminals ORDER BY id")).all()
    now = dt.datetime.now(dt.UTC)
    if rows:
        reason = "the terminal's settings before revisions"
        op.bulk_insert(revisions, [{"level": "terminal", "scope": terminal, "settings": settings,
                                    "author": "migration", "reason": reason, "parent": None,
                                    "created_at": now} for terminal, settings in rows])
    op.drop_table("terminals")


def downgrade() -> None:
    op.create_table("terminals", sa.Column("id", sa.String(64), primary_key=True),
                    sa.Column("settings", sa.Text, nullable=False))
    op.drop_table("config_revisions")
