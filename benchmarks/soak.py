"""The soak: the demo kiosk as it runs at a branch, through thousands of patron visits in one process.

The real window offscreen, the real core thread and workers, the Qt bridge, the simulator panel, the
real drivers on their byte simulators (FEIG pad, ESC/POS printer, serial scanner): the demo
terminal, but with the SIP2 LMS and the central service each in a process of its own, as at a
branch, so that what is measured is the kiosk. Each visit borrows two books with card and PIN,
prints a receipt, and returns the books. Every ``--every`` visits it prints the kiosk's resident
memory (RSS, after a garbage collection and a ``malloc_trim``, so that the phase of the kiosk's
own 5-minute trim does not decide the figure), ``None``'s reference count, the pace and the two
servers' RSS; at the end, the
kiosk's growth per 1,000 visits after the first checkpoint (start-up and warm-up excluded), as a
least-squares slope over the checkpoints.

    python -m benchmarks.soak [--visits 10000] [--every 1000]   (make soak)

Exit status 1 when the growth passes ``--max-growth-mb`` per 1,000 visits, 2 when a visit fails.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import gc
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from PySide6.QtCore import QEventLoop, QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from benchmarks.common import BranchServers, branch_servers, rss_mb
from kiosk.bootstrap.demo import demo_cards, demo_tags, read_seed
from kiosk.bootstrap.kiosk import build
from kiosk.bootstrap.memory import trim_malloc, tune_malloc
from kiosk.circulation.view import ReceiptChoice
from kiosk.session.service import SessionView
from kiosk.settings import DEMO_SETTINGS, LmsSettings, Settings, Sip2Settings, load_settings
from kiosk.simulate.panel import SimulatorPanel
from kiosk.simulate.patron import borrow_and_return, hands_for, print_a_document
from kiosk.testing.memory import in_memory
from sync.central.sample_documents import sample_document
from ui.bridge import CoreBridge
from ui.main_window import KioskWindow
from ui.sounds import Sounds

SETTLE_TIMEOUT_S = 30.0


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares growth per visit through (visits, MB) points."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def _qt_message(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    if "propagateSizeHints" not in message:  # said by the offscreen platform at every show()
        print(f"qt: {message}", file=sys.stderr)


def soak_settings(folder: Path, servers: BranchServers) -> Settings:
    """The demo terminal with its database and logs in ``folder``, on the LMS and central service of
    ``servers``."""
    settings = load_settings(DEMO_SETTINGS)
    paths = settings.paths.model_copy(update={"data_dir": folder / "data", "log_dir": folder / "log"})
    logging = settings.logging.model_copy(update={"console": False})
    host, _, port = servers.lms.rpartition(":")
    account = Sip2Settings.model_validate({"host": host, "port": int(port), "user": "kiosk",
                                           "password": "kiosk"})
    return settings.model_copy(update={
        "paths": paths, "logging": logging, "lms": LmsSettings(kind="sip2", sip2=account),
        "central": settings.central.model_copy(update={"kind": "http", "url": servers.central,
                                                       "token": servers.credentials[settings.terminal.id],
                                                       "seed": None})})


def send_to_print(servers: BranchServers, card: str, visit: int) -> None:
    """A document sent for the patron with ``card`` through the central service's upload page."""
    document = sample_document(f"Soak {visit}.pdf", 1)
    answer = requests.post(f"{servers.central}/print", files={"document": (f"soak-{visit}.pdf", document)},
                           data={"card": card}, timeout=60)
    answer.raise_for_status()


def top_up(servers: BranchServers, folder: Path, card: str, prints: int) -> None:
    """Enough on the patron's print balance for every print of the soak (as staff do it)."""
    subprocess.run([sys.executable, "-m", "sync.central.admin_cli", "--db", str(folder / "central.db"),
                    "top-up", "--card", card, "--amount", f"{prints + 10}.00", "--reason", "soak"],
                   check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000, help="report every N visits")
    parser.add_argument("--max-growth-mb", type=float, default=0.1, help="per 1,000 visits")
    parser.add_argument("--print-every", type=int, default=50, help="every N visits, also send a "
                        "document to the central service and release it at the kiosk (0: never)")
    parser.add_argument("--memory", action="store_true", help="the devices in memory instead of the "
                        "drivers on their simulators (faster; to look for what grows)")
    args = parser.parse_args(argv)

    tune_malloc()  # as library-kiosk does, before any thread starts
    # Stopped from outside: end through the finally blocks, so the LMS and central processes end too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp, branch_servers(Path(tmp)) as servers:
        settings = soak_settings(Path(tmp), servers)
        if args.memory:
            settings = settings.model_copy(update={"devices": in_memory(settings.devices)})
        kiosk = build(settings, profile="demo")
        seed = read_seed(DEMO_SETTINGS.parent / "lms.toml")  # the patrons and tags the LMS process has
        kiosk.demo_cards, kiosk.demo_tags = demo_cards(seed), tuple(demo_tags(seed))
        kiosk.demo_titles = {str(i["id"]): str(i.get("title", "")) for i in seed.get("items", [])}
        window = KioskWindow(kiosk.session, title="Soak", languages=kiosk.settings.terminal.languages,
                             now=kiosk.clock.now, sounds=Sounds(audible=False))
        bridge = CoreBridge(kiosk.core)
        bridge.notified.connect(window.show_view)
        panel = SimulatorPanel.beside(kiosk) if kiosk.simulators is not None else None
        hands = hands_for(kiosk)
        window.resize(1080, 1920)
        window.show()
        if panel is not None:
            panel.show()
        kiosk.start()

        def settle(expected: Callable[[SessionView], bool]) -> None:
            deadline = time.monotonic() + SETTLE_TIMEOUT_S
            while window.view is None or not expected(window.view):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the kiosk did not get there: {window.view}")
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
                time.sleep(0.001)

        if args.print_every:
            top_up(servers, Path(tmp), kiosk.demo_cards[0].credential.value, args.visits // args.print_every)
        print(f"python {sys.version.split()[0]}, PySide6 {_pyside_version()}; {args.visits:,} visits, "
              f"each: card + PIN, 2 loans, a printed receipt, 2 returns"
              + (f"; every {args.print_every}: a document sent and printed" if args.print_every else ""))
        print(f"{'visits':>8} {'RSS MB':>9} {'None refs':>10} {'visits/s':>9} {'LMS MB':>8} "
              f"{'central MB':>10}")
        points: list[tuple[int, float]] = []
        started = last = time.monotonic()
        try:
            for visit in range(1, args.visits + 1):
                borrow_and_return(kiosk, hands, settle, receipt=ReceiptChoice.PRINT)
                if args.print_every and visit % args.print_every == 0:
                    send_to_print(servers, kiosk.demo_cards[0].credential.value, visit)
                    print_a_document(kiosk, hands, settle)
                if visit % args.every == 0 or visit == 1:
                    gc.collect()
                    trim_malloc()  # what is held, not where the kiosk's 5-minute trim happens to be
                    now, rss = time.monotonic(), rss_mb()
                    pace = (args.every if visit > 1 else 1) / max(now - last, 1e-9)
                    last = now
                    if visit >= args.every:
                        points.append((visit, rss))
                    lms_rss, central_rss = (rss_mb(pid) for pid in servers.pids)
                    print(f"{visit:>8,} {rss:>9.1f} {sys.getrefcount(None):>10,} {pace:>9.1f} "
                          f"{lms_rss:>8.1f} {central_rss:>10.1f}", flush=True)
        except (AssertionError, TimeoutError) as exc:
            print(f"visit {visit} failed: {exc}", file=sys.stderr)
            return 2
        finally:
            bridge.notified.disconnect(window.show_view)
            kiosk.stop()
            window.deleteLater()
            if panel is not None:
                panel.deleteLater()
    minutes = (time.monotonic() - started) / 60
    growth = slope(points) * 1000 if len(points) >= 2 else 0.0
    print(f"{args.visits:,} visits in {minutes:.1f} min, no crash; RSS growth after the first "
          f"{args.every:,}: {growth:+.3f} MB per 1,000 visits (limit {args.max_growth_mb})")
    return 0 if growth <= args.max_growth_mb else 1


def _pyside_version() -> str:
    import PySide6

    return str(PySide6.__version__)


if __name__ == "__main__":
    sys.exit(main())
