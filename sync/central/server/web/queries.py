"""What the administration web's pages read from the store: the fleet as the heartbeats tell it,
the branches an account sees, and times in the branch's zone."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from sync.central.server.releases import Releases
from sync.central.server.store import CentralStore
from sync.central.server.tables import calendars, credentials, heartbeats
from sync.central.server.web.accounts import Account

ZONE = ZoneInfo("Europe/Copenhagen")


def branches_seen(store: CentralStore, account: Account) -> list[tuple[str, str]]:
    with store.reading() as db:
        rows = db.execute(sa.select(calendars.c.branch, calendars.c.calendar)
                          .order_by(calendars.c.branch)).all()
    return [(branch, json.loads(text).get("name", "")) for branch, text in rows if account.sees(branch)]


def all_branches(store: CentralStore, account: Account) -> list[tuple[str, str]]:
    """Every branch the account sees that has a calendar or an enrolled terminal, with its name."""
    named = dict(branches_seen(store, account))
    for _terminal, branch in store.terminals():
        if account.sees(branch):
            named.setdefault(branch, "")
    return [(branch, named[branch] or branch) for branch in sorted(named)]


def local_time(at: dt.datetime) -> dt.datetime:
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(ZONE)


def local_text(at: dt.datetime) -> str:
    return local_time(at).strftime("%d.%m.%Y %H.%M")


def fleet_rows(store: CentralStore, account: Account) -> list[dict[str, Any]]:
    """Each enrolled terminal the account sees, with what its last heartbeat said."""
    with store.reading() as db:
        known = db.execute(sa.select(credentials.c.terminal, credentials.c.branch)
                           .where(credentials.c.revoked_at.is_(None)).order_by(credentials.c.branch,
                                                                                credentials.c.terminal)).all()
        latest = sa.select(sa.func.max(heartbeats.c.number)).group_by(heartbeats.c.terminal)
        beats = {row.terminal: (json.loads(row.body), row.received_at) for row in db.execute(
            sa.select(heartbeats.c.terminal, heartbeats.c.body, heartbeats.c.received_at)
            .where(heartbeats.c.number.in_(latest)))}
    rows, offered_to = [], Releases(store).offered_versions()
    for terminal, branch in known:
        if not account.sees(branch):
            continue
        beat, received = beats.get(terminal, ({}, None))
        config = beat.get("config") or {}
        refused = config.get("refused") or {}
        rows.append({
            "terminal": terminal, "branch": branch, "heard": local_text(received) if received else None,
            "mode": beat.get("mode"),
            "devices_down": [f"{d['device']}: {d.get('detail') or d['state']}"
                             for d in beat.get("devices", ()) if d.get("state") != "ok"],
            "free_mb": (beat.get("disk") or {}).get("free_mb"),
            "applied": config.get("applied"), "pending": config.get("pending"),
            "pending_events": (beat.get("outbox") or {}).get("pending"),
            "version": beat.get("version"), "offered": offered_to(terminal, branch),
            "problem": f"{refused.get('revision')}: {refused.get('error')}" if refused else None})
    return rows
