"""Real IPP printers for tests: ``ippeveprinter`` (cups-ipp-utils), the IPP Everywhere printer CUPS
itself is tested with, on free ports, each with a queue in the private cupsd (``-m everywhere``).

Its paper path is a small script of ours (``ippeveprinter -c``, run for every job with the document):
it "prints" by counting the document's pages (``pdfinfo``) and telling ippeveprinter how many sides
came out (``ATTR: job-impressions-completed=N``), and appends what came out to :attr:`EvePrinter.output`;
told to, it jams (``STATE: +media-jam`` and exit 1: ippeveprinter aborts the job), stalls on a jam
until cleared, takes its time, or prints the last sheet of the tray (``STATE: +media-empty``: the
next job waits). Found by trying (CUPS 2.4.2):

- ippeveprinter does not start without D-Bus's system bus, even with ``-r off`` (no DNS-SD): its
  Avahi client connects to the bus first ("Unable to initialize DNS-SD"). It does not need
  avahi-daemon (with none on the bus it says "Ignored Avahi state 101" and goes on). So the fixture
  runs a private ``dbus-daemon`` of its own and points ``DBUS_SYSTEM_BUS_ADDRESS`` at it;
- ``-n 127.0.0.1`` or ``-n localhost`` make it fail where localhost has no IPv6 address (it binds
  the name for IPv4 and IPv6): without ``-n`` it listens on every address;
- its spool folder must exist, or every Send-Document fails and CUPS pauses the queue;
- cupsd loads a new queue's IPP Everywhere driver after ``lpadmin`` returns: a job sent in between
  is aborted by CUPS itself (2 in 25 here), so the fixture waits for the driver;
- ``-s 10,10`` makes it a colour printer, ``-2`` a duplex one, and with ``application/pdf`` in
  ``-f`` CUPS sends it the PDF itself;
- it keeps a finished job 60 s; a cancelled job's script is not stopped (the script asks, below).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hardware.cups_fixtures import PrivateCups

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
FORMATS = "application/pdf,image/pwg-raster,image/jpeg"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""

# Is this job being cancelled? (ippeveprinter marks it, but lets its script run on.)
CANCELING_TEST = """{
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job_id
  ATTR keyword requested-attributes job-state-reasons
  EXPECT job-state-reasons WITH-VALUE "processing-to-stop-point"
}
"""

ENGINE = """#!{python}
# The paper path of a test printer: ippeveprinter runs it for every job, with the document.
import os, re, subprocess, sys, time
from pathlib import Path

folder = Path({folder!r})
port = {port}


def say(line):
    print(line, file=sys.stderr, flush=True)


def behaviour():
    try:
        return (folder / "behaviour").read_text().strip()
    except OSError:
        return "print"


def canceling():
    return subprocess.run(
        ["ipptool", "-q", "-d", "job_id=" + os.environ["IPP_JOB_ID"],
         "ipp://127.0.0.1:%d/ipp/print" % port, str(folder / "canceling.test")]).returncode == 0


info = subprocess.run(["pdfinfo", sys.argv[1]], capture_output=True, text=True).stdout
found = re.search(r"^Pages:\\s+(\\d+)", info, re.MULTILINE)
pages = int(found.group(1)) if found else 1
copies = int(os.environ.get("IPP_COPIES", "1"))
mode = behaviour()
say("ATTR: job-impressions=%d" % (pages * copies))
if mode == "jam":
    say("ATTR: job-impressions-completed=1")
    say("STATE: +media-jam")
    say("ERROR: Paper jam in tray 1")
    sys.exit(1)
if mode == "stall":
    say("STATE: +media-jam")
    while behaviour() == "stall":
        time.sleep(0.05)
    say("STATE: -media-jam")
    if canceling():
        sys.exit(0)
if mode.startswith("slow"):
    time.sleep(float(mode.split()[1]))
with open(folder / "output", "a") as output:
    output.write("%s %d %d %s %s\\n" % (os.environ["IPP_JOB_NAME"], pages, copies,
                                       os.environ.get("IPP_SIDES", "one-sided"),
                                       os.environ.get("IPP_PRINT_COLOR_MODE", "auto")))
say("ATTR: job-impressions-completed=%d" % (pages * copies))
if mode == "last-sheet":
    say("STATE: +media-empty")
"""


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        raise RuntimeError(f"{name} is not installed (apt: cups-ipp-utils dbus-daemon poppler-utils)")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class PrivateBus:
    """A D-Bus system bus of our own (no avahi-daemon on it): what ippeveprinter needs to start."""

    def __init__(self, folder: Path) -> None:
        self.socket = folder / "bus.sock"
        config = folder / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=self.socket))
        self._process = subprocess.Popen(
            [_tool("dbus-daemon"), f"--config-file={config}", "--nofork", "--nopidfile"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.socket.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("dbus-daemon did not start")
            time.sleep(0.02)

    @property
    def address(self) -> str:
        return f"unix:path={self.socket}"

    def stop(self) -> None:
        _stop(self._process)


@dataclass
class EvePrinter:
    """One ippeveprinter, its folder (spool, engine, output) and the CUPS queue that prints to it."""

    name: str
    folder: Path
    port: int
    queue: str
    process: subprocess.Popen[bytes]
    scheme: str = "ipp"

    @property
    def uri(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/ipp/print"

    @property
    def output(self) -> list[str]:
        """What came out, a line a job: "<job-name> <pages> <copies> <sides> <print-color-mode>"."""
        path = self.folder / "output"
        return path.read_text().splitlines() if path.exists() else []

    def behave(self, behaviour: str) -> None:
        """How the next jobs go: "print", "jam", "stall" (a jam until told otherwise), "slow <s>",
        "last-sheet" (prints, and the tray is empty after it)."""
        (self.folder / "behaviour").write_text(behaviour)

    def kill(self) -> None:
        """Pulled from the wall: the printer and its engine, at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        _stop(self.process)


class EvePrinters:
    """Starts printers with a queue each in ``cups``; :meth:`stop_all` stops them by process group."""

    def __init__(self, cups: PrivateCups, bus: PrivateBus) -> None:
        self.cups = cups
        self.bus = bus
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-ipp-"))
        self.printers: list[EvePrinter] = []

    def start(self, name: str, *, colour: bool = True, duplex: bool = True, tls: bool = False) -> EvePrinter:
        """A printer, and a queue for it by ``ipp://`` (by ``ipps://`` with ``tls``: ippeveprinter
        speaks both on one port, with a self-signed certificate)."""
        folder = self.folder / name
        (folder / "spool").mkdir(parents=True)
        for _ in range(3):  # a free port may be taken before the printer binds it
            port = _free_port()
            engine = folder / "engine"
            engine.write_text(ENGINE.format(python=sys.executable, folder=str(folder), port=port))
            engine.chmod(0o755)
            (folder / "canceling.test").write_text(CANCELING_TEST)
            process = subprocess.Popen(
                [_tool("ippeveprinter"), "-r", "off", "-p", str(port), "-d", str(folder / "spool"), "-k",
                 "-c", str(engine), "-f", FORMATS, "-s", "10,10" if colour else "10,0",
                 *(["-2"] if duplex else []), name],
                env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address},
                stdout=subprocess.DEVNULL, stderr=(folder / "log").open("ab"), start_new_session=True)
            if self._answers(process, port):
                printer = EvePrinter(name, folder, port, name, process, "ipps" if tls else "ipp")
                self.printers.append(printer)
                subprocess.run([self.cups.lpadmin, "-h", str(self.cups.socket), "-p", name, "-v", printer.uri,
                                "-m", "everywhere", "-E"], check=True, capture_output=True,
                               timeout=START_TIMEOUT_S)
                self._wait_for_driver(name)
                return printer
            _stop(process)
        raise RuntimeError(f"ippeveprinter {name} did not start; see {folder / 'log'}")

    def _wait_for_driver(self, queue: str) -> None:
        """cupsd loads the queue's IPP Everywhere driver after lpadmin returns; a job sent before
        that is aborted ("Unable to convert file 0 to printable format")."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while "IPP Everywhere" not in self.cups.connection().getPrinterAttributes(
                queue, requested_attributes=["printer-make-and-model"]).get("printer-make-and-model", ""):
            if time.monotonic() > deadline:
                raise RuntimeError(f"CUPS did not load the IPP Everywhere driver of {queue}")
            time.sleep(0.02)

    @staticmethod
    def _answers(process: subprocess.Popen[bytes], port: int) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
            time.sleep(0.05)
        return False

    def stop_all(self) -> None:
        for printer in self.printers:
            printer.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def private_bus() -> Iterator[PrivateBus]:
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bus-"))
    bus = PrivateBus(folder)
    try:
        yield bus
    finally:
        bus.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def eve_printers(private_cups: PrivateCups, private_bus: PrivateBus) -> Iterator[Callable[..., EvePrinter]]:
    """``eve_printers(name, colour=True, duplex=True, tls=False)`` starts a printer with a queue
    ``name`` in the private cupsd; all are stopped at the end."""
    printers = EvePrinters(private_cups, private_bus)
    try:
        yield printers.start
    finally:
        printers.stop_all()
