"""The installation's keys, in files of their own in the key folder (``Store.key_dir``: beside the
data folder, never in it or in the database), each readable by the kiosk's user only (0600 in a
0700 folder). With systemd credentials (``LoadCredential=pseudonym.key:...``), a key in
``$CREDENTIALS_DIRECTORY`` is used as it is and never written.

* ``pseudonym.key``: the pseudonym key (entry-log, journal and PIN-failure tokens). With only the
  database, a token of a CPR number could be searched for in 0.3 s once the key was beside it.
* ``offline.key``: the sealing key of offline loans' patron identifiers.
* ``access-list.key`` and ``access-list-live.key``: the municipality's access-list key as the terminal
  config gives it, and the one the cached access list is hashed with (the same but while a list
  under a new key comes in).

Keys of an older installation (the pseudonym key in the database, the sealing key in the data
folder) are moved here on first use, so that the tokens already written keep their meaning.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kiosk.domain.errors import StoreError
from kiosk.domain.privacy import Pseudonymizer
from kiosk.store.db import Store, from_sql_json, private_folder

KEY_NAME = "pseudonym_key"  # where an older installation kept it: a row of the cache table
PSEUDONYM_KEY_FILE = "pseudonym.key"
SEALING_KEY_FILE = "offline.key"


def _key_dir(store: Store) -> Path:
    if store.key_dir is None:
        raise StoreError("the store has no key folder")
    return store.key_dir


def _credential(name: str) -> Path | None:
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if folder and (Path(folder) / name).is_file():
        return Path(folder) / name
    return None


def pseudonymizer(store: Store) -> Pseudonymizer:
    """The installation's pseudonymizer; its key is made at first use, in the key folder."""
    key_file = _credential(PSEUDONYM_KEY_FILE) or _key_dir(store) / PSEUDONYM_KEY_FILE
    if not key_file.exists():
        with store.transaction() as conn:
            row = conn.execute("SELECT value FROM cache WHERE key = ?", (KEY_NAME,)).fetchone()
            if row is not None:  # an older installation's: moved out of the database, same key
                _write_key(key_file, bytes.fromhex(str(from_sql_json(row[0]))))
                conn.execute("DELETE FROM cache WHERE key = ?", (KEY_NAME,))
    return Pseudonymizer(sealing_key(key_file))


def offline_sealing_key(store: Store, old_file: Path | None = None) -> bytes:
    """The sealing key of offline loans; ``old_file`` is where an older installation kept it."""
    key_file = _credential(SEALING_KEY_FILE) or _key_dir(store) / SEALING_KEY_FILE
    if old_file is not None and old_file.exists() and not key_file.exists():
        _write_key(key_file, bytes.fromhex(old_file.read_text(encoding="ascii").strip()))
        old_file.unlink()
    return sealing_key(key_file)


def read_key(store: Store, name: str) -> bytes | None:
    """The key kept as ``name`` (a systemd credential first), None when there is none."""
    return read_key_in(_key_dir(store), name)


def read_key_in(key_dir: Path, name: str) -> bytes | None:
    """:func:`read_key` from a key folder, without the store (the updater, as root)."""
    key_file = _credential(name) or key_dir / name
    try:
        return bytes.fromhex(key_file.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{key_file}: not a key ({exc})") from None


def keep_key(store: Store, name: str, key: bytes) -> None:
    """Keep ``key`` as ``name`` (0600, replacing the one there, atomically)."""
    final = _key_dir(store) / name
    temporary = final.with_name(f".{name}.{secrets.token_hex(4)}")
    _write_key(temporary, key)
    try:
        os.replace(temporary, final)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"{final}: cannot write the key ({exc.strerror})") from None


def _write_key(key_file: Path, key: bytes) -> bool:
    """Write ``key`` to a new ``key_file`` (0600 in a 0700 folder); False if the file exists already
    (made by another process meanwhile: that one stands)."""
    try:
        private_folder(key_file.parent)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(key.hex())
            file.flush()
            os.fsync(file.fileno())
    except FileExistsError:
        return False
    except OSError as exc:
        raise StoreError(f"{key_file}: cannot write the key ({exc.strerror})") from None
    return True


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
        raise StoreError(f"{key_file}: not a key ({exc})") from None
    key = secrets.token_bytes(32)
    return key if _write_key(key_file, key) else sealing_key(key_file)
