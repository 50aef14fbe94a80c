"""The learned access list: when each entry was last confirmed by a terminal's online check
(``used_at``, for purging entries nobody uses) and the check's own time (``learned_at``, so that an
older check arriving late does not undo a newer one).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access") as table:
        table.add_column(sa.Column("used_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("learned_at", sa.DateTime(timezone=True)))
    op.execute(sa.text("UPDATE access SET used_at = CURRENT_TIMESTAMP"))
    op.create_index("access_used_at", "access", ["used_at"])


def downgrade() -> None:
    op.drop_index("access_used_at", "access")
    with op.batch_alter_table("access") as table:
        table.drop_column("learned_at")
        table.drop_column("used_at")
