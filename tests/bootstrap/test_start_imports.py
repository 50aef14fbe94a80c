"""What a start costs: a restarted kiosk (its database current) imports nothing its role does not use.

Measured with ``benchmarks/bench_start.py``: Alembic and SQLAlchemy (0.4 s, 40 MB), every country of
the holidays package (0.2 s, 11 MB), python-escpos before the first receipt (0.2 s, 14 MB),
QtMultimedia (17 MB) and the door's assembly in a borrowing kiosk were all loaded on every start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS

# A terminal's central service is another machine's: its server stack is never loaded either.
NEVER_AT_START = ("sqlalchemy", "alembic", "escpos", "PySide6.QtMultimedia", "fastapi", "uvicorn",
                  "sync.central.server")
ROLES = {"kiosk": (DEMO_SETTINGS, ("kiosk.bootstrap.door",)), "door": (DEMO_DOOR_SETTINGS, ())}

CHILD = """
import json, sys
from pathlib import Path
from kiosk.bootstrap.gui import run_gui  # what `library-kiosk run` imports
from kiosk.bootstrap.kiosk import build
from kiosk.settings import load_settings
kiosk = build(load_settings(Path(sys.argv[1])), profile="run", log_to_console=False)
kiosk.close()
print(json.dumps(sorted(sys.modules)))
"""


def _settings(tmp_path: Path, source: Path) -> Path:
    """The demo terminal, but with its central service elsewhere (as at a branch; nobody listens)."""
    text = source.read_text(encoding="utf-8").replace(
        'kind = "emulator"\nseed = "central.toml"\n',
        'kind = "http"\nurl = "http://127.0.0.1:9"\ntoken = "t"\n')
    assert 'url = "http://127.0.0.1:9"' in text
    for name in ("calendar.toml", "lms.toml", "central.toml", "access.toml"):
        text = text.replace(f'"{name}"', json.dumps(str(source.parent / name)))
    text += (f'\n[paths]\ndata_dir = {json.dumps(str(tmp_path / "data"))}\n'
             f'log_dir = {json.dumps(str(tmp_path / "log"))}\n')
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _started(settings: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(settings)], capture_output=True, text=True,
                          timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_restart_imports_only_what_the_role_uses(tmp_path: Path, role: str) -> None:
    source, also_never = ROLES[role]
    settings = _settings(tmp_path, source)
    first = _started(settings)  # a new database: the migrations run, with Alembic
    assert "alembic" in first
    again = _started(settings)
    loaded = sorted(name for name in again
                    if any(name == never or name.startswith(f"{never}.")
                           for never in (*NEVER_AT_START, *also_never)))
    assert loaded == []
    # The one country of the branch's calendar, not the package that imports all 250 of them.
    assert "holidays.countries" not in again
    countries = [name for name in again if name.startswith("holidays.countries.")]
    assert countries == ["holidays.countries.denmark"]
