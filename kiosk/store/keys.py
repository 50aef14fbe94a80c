"""The installation's keys: the pseudonym key (for entry-log and journal tokens, kept in the
database) and the sealing key of offline loans (in a file of its own beside the database)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from sqlalchemy import select

from kiosk.domain.errors import StoreError
from kiosk.domain.privacy import Pseudonymizer
from kiosk.store.db import Store
from kiosk.store.schema import CacheRow

KEY_NAME = "pseudonym_key"


def pseudonymizer(store: Store) -> Pseudonymizer:
    """The installation's pseudonymizer; its key is made at first use and kept in the database."""
    with store.session() as session, session.begin():
        row = session.execute(select(CacheRow).where(CacheRow.key == KEY_NAME)).scalar_one_or_none()
        if row is None:
            row = CacheRow(key=KEY_NAME, value=secrets.token_hex(32), etag=None,
                           updated_at=dt.datetime.now(dt.UTC))
            session.add(row)
        key = bytes.fromhex(str(row.value))
    return Pseudonymizer(key)


def sealing_key(key_file: Path) -> bytes:
    """The 32-byte key in ``key_file``, made at first use (readable by the kiosk's user only)."""
    try:
        key = bytes.fromhex(key_file.read_text(encoding="ascii").strip())
        if len(key) != 32:
            raise ValueError(f"{len(key)} bytes, not 32")
        return key
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise StoreError(f"{key_file}: not a sealing key ({exc})") from None
    key = secrets.token_bytes(32)
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(key.hex())
            file.flush()
            os.fsync(file.fileno())
    except FileExistsError:  # made by another process meanwhile: use that one
        return sealing_key(key_file)
    except OSError as exc:
        raise StoreError(f"{key_file}: cannot write the sealing key ({exc.strerror})") from None
    return key
