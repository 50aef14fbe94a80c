"""The kiosk must run all night: no Qt call may cost the interpreter a reference to ``None``.

PySide6/shiboken6 6.12.0 drops one reference to ``None`` on every Qt call that returns nothing; on
Python 3.11, where ``None`` is not immortal, its count reaches zero after some thousands of screens and
the process aborts (``none_dealloc``). ``pyproject.toml`` keeps such a build out; this test proves
the build installed here is clean, with the real window going through whole visits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VISITS = 125  # about 3,000 screen updates: a leaking build loses some 125,000 references
# gc and Qt's caches may move the count a little either way; a leak moves it by one per call.
NOISE = 200


def test_thousands_of_screen_updates_keep_none_alive(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "tests.ui.qt_refcount_worker", str(tmp_path), str(VISITS)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, f"the kiosk process died (exit {done.returncode}):\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["updates"] >= 3000
    assert report["none_after"] >= report["none_before"] - NOISE, report
