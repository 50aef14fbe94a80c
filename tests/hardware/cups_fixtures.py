"""A private CUPS for printer tests: its own cupsd, its own folders, its own socket, a cups-pdf queue.

``cupsd -f`` runs as root (the cups-pdf backend is mode 0700, so CUPS only runs it as root) with
every folder under one test folder and a Unix socket instead of port 631, so it neither sees nor
disturbs a system CUPS. :meth:`PrivateCups.stop` and :meth:`PrivateCups.start` take the daemon away
and bring it back with the same queues, as when the print server restarts.

Two things cannot live under pytest's ``tmp_path``:

- the folder itself: CUPS runs filters as user ``lp``, which must traverse into the spool, and
  pytest's ``/tmp/pytest-of-root`` is mode 0700; so the folder is a ``mkdtemp`` made 0755 and
  removed at the end;
- the cups-pdf settings: cups-pdf 3.0.1 reads them only from ``/etc/cups`` (compiled in), as
  ``cups-pdf-<instance>.conf`` for a device URI ``cups-pdf:/<instance>``; the fixture writes one
  uniquely named file there pointing the output into the test folder, and deletes it at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import cups  # type: ignore[import-not-found]
import pytest

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_CONFIG_FOLDER = Path("/etc/cups")  # compiled into cups-pdf 3.0.1 (`strings` shows it)


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        raise RuntimeError(f"{name} is not installed (apt: cups cups-bsd printer-driver-cups-pdf)")
    return path


class PrivateCups:
    """A cupsd of our own, reachable at :attr:`socket` (give that to ``cups.Connection(host=...)``)."""

    def __init__(self) -> None:
        self.cupsd = _tool("cupsd")
        self.lpadmin = _tool("lpadmin")
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
        self.folder.chmod(0o755)
        self.socket = self.folder / "cups.sock"
        self.output = self.folder / "pdf"
        self.instance = f"kiosktest{uuid.uuid4().hex[:8]}"
        self.cups_pdf_config = CUPS_PDF_CONFIG_FOLDER / f"cups-pdf-{self.instance}.conf"
        self._process: subprocess.Popen[bytes] | None = None
        self._write_config()

    @property
    def running(self) -> bool:
        return self._process is not None

    @property
    def error_log(self) -> Path:
        return self.folder / "log" / "error_log"

    def _write_config(self) -> None:
        f = self.folder
        for sub in ("conf", "spool", "cache", "state", "log", "pdf", "pdf-spool"):
            (f / sub).mkdir(mode=0o755, exist_ok=True)
        (f / "conf" / "cupsd.conf").write_text(
            f"Listen {self.socket}\n"
            "Browsing No\nWebInterface No\nLogLevel info\nDefaultAuthType None\n"
            # A failed job must not stop the queue: tests stop it on purpose when they want that.
            "ErrorPolicy abort-job\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        (f / "conf" / "cups-files.conf").write_text(
            f"ServerRoot {f / 'conf'}\nRequestRoot {f / 'spool'}\nCacheDir {f / 'cache'}\n"
            f"StateDir {f / 'state'}\nPrintcap {f / 'printcap'}\n"
            f"AccessLog {f / 'log' / 'access_log'}\nErrorLog {self.error_log}\n"
            f"PageLog {f / 'log' / 'page_log'}\nSystemGroup root\nFileDevice No\n"
        )
        self.cups_pdf_config.write_text(
            f"Out {self.output}\nAnonDirName {self.output}\nSpool {f / 'pdf-spool'}\n"
            f"Log {f / 'log'}\nGrp root\n"
        )

    def start(self) -> PrivateCups:
        if self._process is not None:
            return self
        conf = self.folder / "conf"
        self._process = subprocess.Popen(
            [self.cupsd, "-f", "-c", str(conf / "cupsd.conf"), "-s", str(conf / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"cupsd did not start; see {self.error_log}")
            try:
                cups.Connection(host=str(self.socket)).getPrinters()
                return self
            except (RuntimeError, cups.IPPError, cups.HTTPError):
                time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def add_pdf_queue(self, queue: str) -> str:
        """A queue that writes every job as a PDF into :attr:`output`."""
        subprocess.run(
            [self.lpadmin, "-h", str(self.socket), "-p", queue, "-v", f"cups-pdf:/{self.instance}",
             "-P", str(CUPS_PDF_PPD), "-E"],
            check=True, capture_output=True, timeout=START_TIMEOUT_S,
        )
        return queue

    def connection(self) -> cups.Connection:
        return cups.Connection(host=str(self.socket))

    def pdfs(self) -> list[Path]:
        return sorted(self.output.glob("*.pdf"))

    def remove(self) -> None:
        self.stop()
        self.cups_pdf_config.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_cups() -> Iterator[PrivateCups]:
    """A running private cupsd with a cups-pdf queue named ``KioskPDF``; stopped by pid at the end."""
    if os.geteuid() != 0:
        pytest.skip("a private cupsd with the cups-pdf backend (mode 0700) must run as root")
    server = PrivateCups()
    try:
        server.start()
        server.add_pdf_queue("KioskPDF")
        yield server
    finally:
        server.remove()
