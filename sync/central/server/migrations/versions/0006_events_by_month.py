"""On PostgreSQL the events table is partitioned by month of arrival, so that a year of a
municipality's events stays quick to write, to read by month and to purge. (SQLite keeps one table.)

The event id stays unique through the service's own check, made under a lock on the id (a unique
index on a partitioned table must contain the partition key).

Revision ID: 0006
"""

from __future__ import annotations

import datetime as dt

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE events RENAME TO events_unpartitioned")
    op.execute("""
        CREATE TABLE events (
            number BIGSERIAL NOT NULL,
            id VARCHAR(36) NOT NULL,
            terminal VARCHAR(64) NOT NULL,
            kind VARCHAR(64) NOT NULL,
            at VARCHAR(40) NOT NULL,
            payload TEXT NOT NULL,
            received_at TIMESTAMP WITH TIME ZONE NOT NULL,
            PRIMARY KEY (number, received_at)
        ) PARTITION BY RANGE (received_at)""")
    op.execute("CREATE INDEX events_id ON events (id)")
    op.execute("CREATE TABLE events_default PARTITION OF events DEFAULT")
    today = dt.datetime.now(dt.UTC).date()
    for month in (today.replace(day=1), (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)):
        op.execute(month_partition(month))
    op.execute("INSERT INTO events (id, terminal, kind, at, payload, received_at) "
               "SELECT id, terminal, kind, at, payload, received_at FROM events_unpartitioned "
               "ORDER BY number")
    op.execute("DROP TABLE events_unpartitioned")


def month_partition(month: dt.date) -> str:
    """The statement that makes ``month``'s partition (if it is not there)."""
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return (f"CREATE TABLE IF NOT EXISTS events_{month:%Y_%m} PARTITION OF events "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')")


def downgrade() -> None:
    raise NotImplementedError("the partitioned events table is not turned back into one table")
