"""`library-kiosk staff-report`: refused and waiting offline replays, transactions that need staff,
and the outbox, from the terminal's own database; tokens, never who."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kiosk.circulation.results import JournalOutcome
from kiosk.cli.main import main
from kiosk.settings import DEMO_SETTINGS
from kiosk.store import Journal, JournalState, open_store


def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(
        DEMO_SETTINGS.read_text()
        .replace('seed = "lms.toml"', f'seed = "{DEMO_SETTINGS.parent}/lms.toml"')
        .replace('seed = "central.toml"', f'seed = "{DEMO_SETTINGS.parent}/central.toml"')
        + f'\n[paths]\ndata_dir = "{tmp_path}/d"\nlog_dir = "{tmp_path}/l"\n'
    )
    return path


def test_the_report_lists_what_staff_must_see(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = settings_file(tmp_path)
    store = open_store(tmp_path / "d" / "kiosk.sqlite3")
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    journal = Journal(store, now=lambda: an_hour_ago)
    rejected = journal.append(
        "checkout",
        {
            "item": "5010000003",
            "patron": "a1b2c3d4e5f6a7b8",
            "at": "2026-11-25T21:10:00+01:00",
            "patron_sealed": "c2VhbGVk",
        },
        state=JournalState.OFFLINE,
    )
    journal.mark(rejected.id, JournalState.REPLAY_REJECTED, error="Materialet er reserveret")
    journal.append(
        "checkin", {"item": "5010000001", "at": "2026-11-25T21:20:00+01:00"}, state=JournalState.OFFLINE
    )
    odd = journal.append("checkin", {"item": "5010000009", "at": "2026-11-25T21:30:00+01:00"})
    journal.mark(odd.id, JournalOutcome.NEEDS_ATTENTION, error="returned, tag not secured")
    journal.append("entry", {"token": "f00d", "decision": "allowed"})
    store.close()

    assert main(["staff-report", "--config", str(path)]) == 1  # staff must act
    out = capsys.readouterr().out
    assert "refused on replay: 1" in out and "5010000003" in out and "Materialet er reserveret" in out
    assert "not yet replayed: 1" in out and "need staff (tag and LMS disagree): 1" in out
    assert "Outbox to the central system: 3 waiting, the oldest for 1 h 0 min" in out
    assert "c2VhbGVk" not in out

    assert main(["staff-report", "--config", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [r["item"] for r in data["rejected_replays"]] == ["5010000003"]
    assert data["outbox"]["pending"] == 3


def test_a_quiet_night_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staff-report", "--config", str(settings_file(tmp_path))]) == 0
    assert "Outbox to the central system: 0 waiting" in capsys.readouterr().out


def test_a_transaction_left_in_doubt_is_listed_with_its_age_and_calls_for_staff(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = settings_file(tmp_path)
    store = open_store(tmp_path / "d" / "kiosk.sqlite3")
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    Journal(store, now=lambda: an_hour_ago).append(
        "checkout", {"item": "5010000001", "patron": "f" * 32, "at": an_hour_ago.isoformat()})
    Journal(store).append("checkin", {"item": "5010000003", "at": dt.datetime.now(dt.UTC).isoformat()})
    store.close()
    assert main(["staff-report", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Transactions in doubt, not yet settled with the LMS: 1" in out  # the fresh one may be under way
    assert "5010000001" in out and "for 1 h 0 min" in out
    assert main(["staff-report", "--config", str(path), "--json"]) == 1
    [row] = json.loads(capsys.readouterr().out)["in_doubt"]
    assert row["item"] == "5010000001" and 3590 <= row["age_s"] <= 3700


def test_without_a_central_system_the_report_says_the_events_are_never_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "terminal.toml"
    path.write_text(settings_file(tmp_path).read_text().replace(
        f'kind = "emulator"\nseed = "{DEMO_SETTINGS.parent}/central.toml"', 'kind = "none"'))
    store = open_store(tmp_path / "d" / "kiosk.sqlite3")
    Journal(store).append("entry", {"token": "f00d", "decision": "allowed"})
    store.close()
    assert main(["staff-report", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert 'No central system is configured ([central] kind = "none"): 1 events are kept' in out
    assert "Outbox to the central system" not in out
