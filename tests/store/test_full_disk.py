"""A full disk: the kiosk says so, changes nothing it cannot write down first, and the database
is intact afterwards (invariant 1). Two ways to fill it: a real tmpfs filled to the last byte
(needs root, as CI has), and SQLite's own page limit (the same SQLITE_FULL error, anywhere)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose
from kiosk.domain.errors import StoreError
from kiosk.domain.events import InlineWorkers
from kiosk.domain.model import SecurityState
from kiosk.session.service import Screen
from kiosk.store import Journal, JournalState
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader
from tests.conftest import isolated_settings
from ui.visit_text import item_row

BOOK, OTHER = "5010000001", "5010000003"


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[None]:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (not root?): {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the file system has no byte left."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as file:
        for size in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    file.write(b"\0" * size)
    return filler


def cap_pages(connection: sqlite3.Connection) -> None:
    """SQLite may not grow the database any further: a write that needs a new page fails FULL."""
    count = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {count}")


def use_up_free_pages(kiosk: Kiosk) -> None:
    kiosk.store.connect_hooks.append(cap_pages)
    kiosk.store.dispose()
    for size in (2000, 500, 100, 10, 0):  # until not even a small row fits
        with pytest.raises(StoreError, match="the disk is full"):
            for _ in range(10_000):
                Journal(kiosk.store).append("padding", {"x": "y" * size})


def start(tmp_path: Path, data_dir: Path) -> Kiosk:
    settings = isolated_settings(tmp_path)
    settings = settings.model_copy(update={"paths": settings.paths.model_copy(update={"data_dir": data_dir})})
    kiosk = build(settings, profile="demo", clock=ManualClock(), workers=InlineWorkers(),
                  log_to_console=False)
    kiosk.connect_devices()
    kiosk.session.start_visit(Purpose.BORROW)
    kiosk.core.drain()
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(kiosk.demo_cards[0].credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
    kiosk.core.drain()
    assert kiosk.session.view.screen is Screen.BORROW
    return kiosk


def place(kiosk: Kiosk, item_id: str) -> Outcome:
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    pad.place(*[t for t in kiosk.demo_tags if t.item_id == item_id])
    kiosk.core.drain()
    visit = kiosk.session.view.visit
    assert visit is not None
    return {row.item_id: row.outcome for row in visit.items}[item_id]


def security(kiosk: Kiosk, item_id: str) -> set[SecurityState]:
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    return {t.security for t in pad.inventory() if t.item_id == item_id}


def lent(kiosk: Kiosk, item_id: str) -> bool:
    """Does the LMS (the demo's emulator, asked over SIP2) have the item on loan?"""
    return kiosk.lms.item_info(item_id).circulation_status == "charged"


def integrity(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def test_a_full_database_lends_nothing_says_so_and_recovers(tmp_path: Path) -> None:
    kiosk = start(tmp_path, tmp_path / "data")
    try:
        assert place(kiosk, BOOK) is Outcome.BORROWED
        use_up_free_pages(kiosk)
        assert place(kiosk, OTHER) is Outcome.NOT_SAVED
        assert security(kiosk, OTHER) == {SecurityState.SECURED}  # the tag was not touched
        assert not lent(kiosk, OTHER)  # nor was the LMS asked
        visit = kiosk.session.view.visit
        assert visit is not None
        row = next(r for r in visit.items if r.item_id == OTHER)
        assert "kan ikke gemme" in item_row(row, Purpose.BORROW, "da").status
        kiosk.store.connect_hooks.remove(cap_pages)  # staff free some space
        kiosk.store.dispose()
        assert place_again(kiosk, OTHER) is Outcome.BORROWED
        assert Journal(kiosk.store).count(JournalState.DONE) == 2
    finally:
        kiosk.close()
    assert integrity(tmp_path / "data" / "kiosk.sqlite3") == "ok"


def place_again(kiosk: Kiosk, item_id: str) -> Outcome:
    pad = kiosk.devices.item_reader
    assert isinstance(pad, MemoryItemReader)
    pad.remove(*[t.uid for t in pad.inventory() if t.item_id == item_id])
    kiosk.core.drain()
    return place(kiosk, item_id)


def test_a_really_full_disk(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    with tmpfs(mount, "8m"):
        kiosk = start(tmp_path, mount / "data")
        try:
            assert place(kiosk, BOOK) is Outcome.BORROWED
            filler = fill(mount)
            outcome = place(kiosk, OTHER)
            journal = Journal(kiosk.store)
            if outcome is Outcome.NOT_SAVED:
                assert security(kiosk, OTHER) == {SecurityState.SECURED} and not lent(kiosk, OTHER)
            else:  # SQLite still had room in its own files: then the loan is whole and journaled
                assert outcome is Outcome.BORROWED and lent(kiosk, OTHER)
            os.remove(filler)
            assert place_again(kiosk, OTHER) is Outcome.BORROWED
            assert journal.count(JournalState.DONE) >= 2
        finally:
            kiosk.close()
        assert integrity(mount / "data" / "kiosk.sqlite3") == "ok"
