"""Paying for a print through a payment provider's hosted page: a payment's method ("balance" or
"provider"), the provider's reference and hosted page (never card data), the short link a QR code
carries, when an unpaid one expires, and a step the service decided that the provider has yet to
confirm (``pending``), with when it is tried again and what the provider last said.

The state grows to 16 characters for ``awaiting_payer``.

Revision ID: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as table:
        table.alter_column("state", type_=sa.String(16), existing_type=sa.String(12), existing_nullable=False)
        table.add_column(sa.Column("method", sa.String(10), nullable=False, server_default="balance"))
        table.add_column(sa.Column("provider_ref", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("hosted_url", sa.Text, nullable=False, server_default=""))
        table.add_column(sa.Column("short_id", sa.String(16)))
        table.add_column(sa.Column("pay_url", sa.String(300), nullable=False, server_default=""))
        table.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("pending", sa.Boolean, nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("tries", sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("retry_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("provider_error", sa.Text, nullable=False, server_default=""))
    op.create_index("payments_short_id", "payments", ["short_id"], unique=True)
    op.create_index("payments_provider_ref", "payments", ["provider_ref"])
    op.create_index("payments_state", "payments", ["state"])
    op.create_index("payments_pending", "payments", ["pending"])


def downgrade() -> None:
    for index in ("payments_pending", "payments_state", "payments_provider_ref", "payments_short_id"):
        op.drop_index(index, "payments")
    with op.batch_alter_table("payments") as table:
        for column in ("provider_error", "retry_at", "tries", "pending", "expires_at", "pay_url", "short_id",
                       "hosted_url", "provider_ref", "method"):
            table.drop_column(column)
        table.alter_column("state", type_=sa.String(12), existing_type=sa.String(16), existing_nullable=False)
