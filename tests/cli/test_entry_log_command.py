"""`library-kiosk entry-log export` gives staff the door's entries as CSV, tokens only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.cli.main import main
from kiosk.store import open_store
from kiosk.store.entry_log import EntryDecision, EntryLog


def test_export_and_purge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "door.toml"
    settings.write_text(f'[terminal]\nid = "door-1"\nbranch = "viby"\nrole = "door"\n'
                        f'[paths]\ndata_dir = "{tmp_path}/data"\nlog_dir = "{tmp_path}/log"\n'
                        f'[logging]\nconsole = false\n', encoding="utf-8")
    store = open_store(tmp_path / "data" / "kiosk.sqlite3")
    now = dt.datetime.now().astimezone()
    log = EntryLog(store, lambda: now)
    log.record(token="a" * 32, decision=EntryDecision.ALLOWED, reason="ok", terminal="door-1")
    log.record(token="b" * 32, decision=EntryDecision.REFUSED, reason="too_young_at_this_time",
               terminal="door-1", at=now - dt.timedelta(days=40))
    store.close()

    out = tmp_path / "entries.csv"
    assert main(["entry-log", "export", "--config", str(settings), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("time,token,decision,reason") and len(lines) == 2  # last 7 days only
    assert "a" * 32 in lines[1] and ",allowed,ok," in lines[1]
    capsys.readouterr()
    assert main(["entry-log", "purge", "--config", str(settings)]) == 0
    assert capsys.readouterr().out.startswith("1 entries older than 30 days deleted")
