"""``library-kiosk staff-report``: what staff must see after unstaffed hours, from the terminal's
own journal: offline transactions the LMS refused on replay, those still waiting for it,
transactions that need a person (a tag and the LMS disagree), and the outbox towards the central
system (how many events wait, and how old the oldest is; or, with no central system configured,
that they are kept here and never sent). Tokens only, never who."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from kiosk.circulation.reconcile import STALE_AFTER_S
from kiosk.circulation.results import JournalOutcome
from kiosk.offline.replay import records, records_with_time, staff_report
from kiosk.store import Journal, JournalState, Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="settings file (default: the demo terminal)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def report(store: Store, now: dt.datetime, *, central: bool = True) -> dict[str, Any]:
    """``central``: whether a central system is configured (else the outbox is never sent)."""
    journal = Journal(store)
    rejected, waiting = staff_report(journal)
    attention = records(journal, (JournalOutcome.NEEDS_ATTENTION,))
    # In doubt: the LMS gave no usable answer, or the kiosk stopped in the middle; the kiosk settles
    # them with the LMS when it runs, and staff see how long each has waited.
    stale = now - dt.timedelta(seconds=STALE_AFTER_S)
    doubtful = [{**vars(r), "age_s": round((now - created).total_seconds())}
                for r, created in records_with_time(journal, (JournalState.PENDING, JournalState.IN_DOUBT))
                if r.state == JournalState.IN_DOUBT or created < stale]
    pending, oldest = journal.outbox_stats()
    age = (now - oldest).total_seconds() if oldest is not None else None
    return {"rejected_replays": [vars(r) for r in rejected], "waiting_replays": [vars(r) for r in waiting],
            "needs_attention": [vars(r) for r in attention], "in_doubt": doubtful,
            "outbox": {"pending": pending, "oldest_age_s": round(age, 1) if age is not None else None,
                       "central_configured": central}}


def text(data: dict[str, Any]) -> str:
    lines = []
    for key, title in (("rejected_replays", "Offline transactions the LMS refused on replay"),
                       ("waiting_replays", "Offline transactions not yet replayed"),
                       ("needs_attention", "Transactions that need staff (tag and LMS disagree)"),
                       ("in_doubt", "Transactions in doubt, not yet settled with the LMS")):
        rows = data[key]
        lines.append(f"{title}: {len(rows)}")
        lines += [f"  {r['at'][:16].replace('T', ' ')}  {r['kind']:<8} item {r['item']:<14} "
                  f"patron {r['patron'][:12] or '-':<12} "
                  f"{'for ' + _duration(r['age_s']) + ' ' if 'age_s' in r else ''}{r['error']}".rstrip()
                  for r in rows]
    outbox = data["outbox"]
    age = outbox["oldest_age_s"]
    if not outbox["central_configured"]:
        lines.append(f"No central system is configured ([central] kind = \"none\"): {outbox['pending']} "
                     "events are kept in this terminal's journal and never sent")
    else:
        lines.append(f"Outbox to the central system: {outbox['pending']} waiting"
                     + (f", the oldest for {_duration(age)}" if age is not None else ""))
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes} min {int(seconds % 60)} s"


def run(args: argparse.Namespace) -> int:
    from kiosk.bootstrap.paths import locations
    from kiosk.settings import DEMO_SETTINGS, load_settings
    from kiosk.store import open_store

    settings = load_settings(args.config or DEMO_SETTINGS)
    store = open_store(locations(settings, "run" if args.config else "demo").database,
                       key_dir=settings.paths.key_dir)
    try:
        data = report(store, dt.datetime.now(dt.UTC), central=settings.central.kind != "none")
    finally:
        store.close()
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text(data))
    return 1 if data["rejected_replays"] or data["needs_attention"] or data["in_doubt"] else 0
