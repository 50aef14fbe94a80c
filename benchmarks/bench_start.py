"""Start-up: from process start to the kiosk's first painted frame, against a bare PySide6 window.

Each run is a fresh ``python`` process (the way systemd starts the kiosk): ``library-kiosk run`` on
the demo terminal's (or the door's) settings as a branch would have them: SIP2 to an LMS and HTTP to
the central system, each in another process (the emulators), the devices on their simulators, the
data in a temporary folder, offscreen. The first run of a folder is the *first
start* (the database and the keys are made); every later run on the same folder is a *restart*,
which is what a kiosk does every morning and after every crash. The reference is a process that
imports PySide6 and paints one window with one label, measured in the same run, on the same machine.

The probe (:func:`probe`) runs inside the child: it makes the QApplication, watches for the first
paint of a top-level window, and when that paint has finished writes the wall time and the resident
memory (RSS) to a file and ends the event loop; the parent takes its own wall time just before it
starts the child.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import DEMO_TERMINALS, ROOT, BranchServers, Result, branch_servers, rss_mb

RUNS = 7
SETTLE_S = 3.0  # after the first frame: the devices' first health checks, the first syncs


def probe(out: Path, what: str, config: Path | None) -> int:
    """In the child: start ``what`` ("kiosk" or "bare") and write when its first frame was painted."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QWidget

    app = QApplication.instance() or QApplication([])

    frame: dict[str, float] = {}

    def painted() -> None:
        frame.update(painted=time.time(), rss_mb=rss_mb())
        QTimer.singleShot(int(SETTLE_S * 1000), settled)

    def settled() -> None:
        frame.update(settled_rss_mb=rss_mb())
        out.write_text(json.dumps(frame), encoding="utf-8")
        app.quit()

    class FirstFrame(QObject):
        seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (not self.seen and event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                    and watched.isWindow()):
                self.seen = True
                QTimer.singleShot(0, painted)  # after this paint pass (children included) has finished
            return False

    first = FirstFrame()
    app.installEventFilter(first)
    if what == "bare":
        window = QWidget()
        QLabel("Velkommen", window)
        window.resize(720, 1100)
        window.show()
        return app.exec()
    from kiosk.cli.main import main

    assert config is not None
    return main(["run", "--config", str(config)])


ROLES = {"kiosk": "terminal.toml", "door": "door.toml"}


def _config(folder: Path, role: str, servers: BranchServers) -> Path:
    """The demo terminal's (or door's) settings as a branch would write them: SIP2 to the LMS and
    HTTP to the central system in other processes, the devices on their simulators, the data, keys
    and logs in ``folder``, no console log."""
    from kiosk.settings import DEMO_SETTINGS

    demo = DEMO_SETTINGS.parent
    text = (demo / ROLES[role]).read_text(encoding="utf-8")
    for name in ("calendar.toml", "access.toml"):
        text = text.replace(f'"{name}"', json.dumps(str(demo / name)))
    host, _, port = servers.lms.rpartition(":")
    credential = servers.credentials[DEMO_TERMINALS[0 if role == "kiosk" else 1]]
    text = text.replace('[lms]\nkind = "emulator"\nseed = "lms.toml"\n',
                        f'[lms]\nkind = "sip2"\n[lms.sip2]\nhost = "{host}"\nport = {port}\nuser = "kiosk"\n'
                        f'password = "kiosk"\n')
    text = text.replace('kind = "emulator"\nseed = "central.toml"\n',
                        f'kind = "http"\nurl = "{servers.central}"\ntoken = "{credential}"\n')
    assert '"emulator"' not in text, "the demo settings changed: update the benchmark"
    text = text.replace('level = "INFO"', 'level = "WARNING"\nconsole = false')
    text += (f'\n[paths]\ndata_dir = {json.dumps(str(folder / "data"))}\n'
             f'log_dir = {json.dumps(str(folder / "log"))}\n')
    config = folder / f"{role}.toml"
    config.write_text(text, encoding="utf-8")
    return config


def start_once(what: str, config: Path | None, scratch: Path) -> tuple[float, float, float]:
    """Seconds from process start to the first painted frame, the RSS (MB) then, and the RSS
    :data:`SETTLE_S` later."""
    out = scratch / "frame.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    command = [sys.executable, "-m", "benchmarks.bench_start", "--probe", str(out), what]
    if config is not None:
        command.append(str(config))
    started = time.time()
    subprocess.run(command, env=env, check=True, timeout=120, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=ROOT)
    frame = json.loads(out.read_text(encoding="utf-8"))
    return frame["painted"] - started, frame["rss_mb"], frame["settled_rss_mb"]


def _result(name: str, unit: str, values: list[float]) -> Result:
    return Result(name, unit, statistics.median(values), min(values), max(values), len(values))


def measure(runs: int = RUNS) -> dict[str, list[float]]:
    """Interleaved runs of the bare window, the kiosk (first start, restart) and the door (restart)."""
    figures: dict[str, list[float]] = {name: [] for name in (
        "bare", "bare_rss", "first", "restart", "rss", "settled_rss", "door", "door_rss")}
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        scratch = Path(tmp)
        with branch_servers(scratch) as servers:
            for run in range(runs):
                folder = scratch / f"run{run}"
                folder.mkdir()
                kiosk, door = _config(folder, "kiosk", servers), _config(folder, "door", servers)
                seconds, _rss, _settled = start_once("kiosk", kiosk, scratch)
                figures["first"].append(seconds)
                start_once("kiosk", door, scratch)  # the door's first start (its own database)
                for name, config in (("bare", None), ("restart", kiosk), ("door", door)):
                    seconds, rss, settled = start_once("kiosk" if config else "bare", config, scratch)
                    figures[name].append(seconds)
                    if name == "restart":
                        figures["settled_rss"].append(settled)
                    figures["bare_rss" if name == "bare" else "rss" if name == "restart" else "door_rss"
                            ].append(rss)
    return figures


def run() -> list[Result]:
    figures = measure()
    bare = statistics.median(figures["bare"])
    ratios = [restart / bare for restart in figures["restart"]]
    ms = {name: [s * 1000 for s in values] for name, values in figures.items() if "rss" not in name}
    return [
        _result("start: bare PySide6 window, first frame", "ms", ms["bare"]),
        _result("start: kiosk restart, first frame", "ms", ms["restart"]),
        _result("start: kiosk restart / bare window", "x", ratios),
        _result("start: kiosk first start, first frame", "ms", ms["first"]),
        _result("start: door restart, first frame", "ms", ms["door"]),
        _result("start: kiosk RSS at first frame", "MB", figures["rss"]),
        _result(f"start: kiosk RSS {SETTLE_S:.0f} s after it", "MB", figures["settled_rss"]),
        _result("start: door RSS at first frame", "MB", figures["door_rss"]),
        _result("start: bare window RSS at first frame", "MB", figures["bare_rss"]),
    ]


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--probe":
        sys.exit(probe(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]) if len(sys.argv) > 4 else None))
    for result in run():
        print(result.line())
