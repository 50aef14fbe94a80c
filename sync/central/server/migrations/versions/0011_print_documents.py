"""Print release: the documents of the jobs patrons send (normalised PDFs), each page's colour and
paper size as the price was made from them, and when the job expires.

Revision ID: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_documents",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.Column("pages", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("print_documents_expires", "print_documents", ["expires_at"])


def downgrade() -> None:
    op.drop_table("print_documents")
