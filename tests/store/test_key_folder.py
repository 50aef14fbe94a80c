"""Keys are not beside what they protect, and what the kiosk writes is its user's alone: the key
folder is beside the data folder (never in it), keys are files of their own (0600 in 0700), the
database and the logs are 0600 in 0700 folders, and keys of an older installation move out."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.bootstrap.kiosk import build
from kiosk.settings import DEMO_SETTINGS, load_settings
from kiosk.store import open_store
from kiosk.store.keys import KEY_NAME, PSEUDONYM_KEY_FILE, offline_sealing_key, pseudonymizer
from kiosk.testing.memory import in_memory

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_kiosk_keeps_its_keys_out_of_the_data_folder_and_everything_private(tmp_path: Path) -> None:
    base = load_settings(DEMO_SETTINGS)
    data, logs = tmp_path / "data", tmp_path / "log"
    data.mkdir(mode=0o755)  # as an older version, or an installer, left it
    settings = base.model_copy(update={
        "paths": base.paths.model_copy(update={"data_dir": data, "log_dir": logs}),
        "devices": in_memory(base.devices)})
    kiosk = build(settings, profile="demo", log_to_console=False)
    kiosk.close()
    keys = tmp_path / "data-keys"
    assert mode(data) == 0o700 and mode(logs) == 0o700 and mode(keys) == 0o700
    assert [p.name for p in data.glob("*.key")] == []  # no key in the data folder
    assert {p.name for p in keys.iterdir()} >= {"pseudonym.key", "offline.key"}
    assert all(mode(p) == 0o600 for p in keys.iterdir())
    assert all(mode(p) == 0o600 for p in data.glob("kiosk.sqlite3*"))
    assert all(mode(p) == 0o600 for p in logs.glob("kiosk.log*"))
    with sqlite3.connect(data / "kiosk.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM cache WHERE key = ?", (KEY_NAME,)).fetchone() == (0,)
    key = (keys / PSEUDONYM_KEY_FILE).read_text()
    assert key.encode() not in b"".join(p.read_bytes() for p in data.glob("kiosk.sqlite3*"))


def test_an_older_installations_keys_move_out_and_keep_their_meaning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data / "kiosk.sqlite3")
    with sqlite3.connect(data / "kiosk.sqlite3") as db:  # the pseudonym key where it used to be
        db.execute("INSERT INTO cache (key, value, etag, updated_at) VALUES (?, ?, NULL, ?)",
                   (KEY_NAME, '"' + "ab" * 32 + '"', "2026-01-01 00:00:00.000000"))
    (data / "offline.key").write_text("cd" * 32)
    from kiosk.domain.privacy import Pseudonymizer

    assert pseudonymizer(store)("0101901234") == Pseudonymizer(bytes.fromhex("ab" * 32))("0101901234")
    assert offline_sealing_key(store, old_file=data / "offline.key") == bytes.fromhex("cd" * 32)
    store.close()
    assert not (data / "offline.key").exists()
    with sqlite3.connect(data / "kiosk.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM cache WHERE key = ?", (KEY_NAME,)).fetchone() == (0,)
    assert (tmp_path / "data-keys" / "pseudonym.key").read_text() == "ab" * 32


def test_a_systemd_credential_is_used_and_nothing_written(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "pseudonym.key").write_text("ef" * 32)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    store = open_store(tmp_path / "data" / "kiosk.sqlite3")
    from kiosk.domain.privacy import Pseudonymizer

    assert pseudonymizer(store)("x") == Pseudonymizer(bytes.fromhex("ef" * 32))("x")
    store.close()
    assert not (tmp_path / "data-keys" / "pseudonym.key").exists()


def test_the_command_makes_its_files_private_whatever_the_umask(tmp_path: Path) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text(f'[terminal]\nid = "t1"\nbranch = "viby"\n[paths]\ndata_dir = "{tmp_path}/data"\n'
                      f'log_dir = "{tmp_path}/log"\n', encoding="utf-8")
    subprocess.run([sys.executable, "-m", "kiosk.cli.main", "staff-report", "--config", str(config)],
                   cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True, capture_output=True,
                   preexec_fn=lambda: os.umask(0o022))
    made = list((tmp_path / "data").iterdir())
    assert made and all(mode(p) == 0o600 for p in made if p.is_file())
