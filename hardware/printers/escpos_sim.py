"""A simulated ESC/POS receipt printer, on the far end of a pty or on a TCP port (like port 9100).

The simulator reads the byte stream a driver sends and does what an Epson-compatible printer does
with it: ESC @ (initialise), ESC t n (code table, also in the middle of a line), ESC E n (bold),
ESC a n (alignment), text, LF, ESC d n (print and feed), GS v 0 (raster image), GS V (cut), and
answers the real-time status queries DLE EOT n with the status a test has set (paper low, paper out,
offline). What ends up on paper is kept as receipts of decoded text lines and images, each cut off
the roll by a GS V, so tests assert on what the patron would read.
A byte the simulator does not understand is recorded in :attr:`errors`, never silently skipped.

Run one against a socat pty pair by hand::

    socat pty,raw,echo=0,link=/tmp/receipt pty,raw,echo=0,link=/tmp/receipt-sim &
    python -m hardware.printers.escpos_sim --port /tmp/receipt-sim [--paper low|out]
    python -m hardware.printers.escpos_sim --tcp 127.0.0.1:9100
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Self

log = logging.getLogger(__name__)

ESC, GS, DLE, EOT, LF, CR = 0x1B, 0x1D, 0x10, 0x04, 0x0A, 0x0D
POLL_S = 0.05
# ESC t n: the character code tables of Epson TM printers (ESC/POS command reference, "ESC t").
CODE_TABLES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857", 14: "cp737",
               15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 32: "cp720",
               33: "cp775", 34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864", 38: "cp869",
               39: "iso8859_2", 40: "iso8859_15", 45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254",
               49: "cp1255", 50: "cp1256", 51: "cp1257", 52: "cp1258"}
# DLE EOT n answers (Epson, "DLE EOT"): bits 1 and 4 are always set, bit 7 always clear.
STATUS_FIXED = 0x12
OFFLINE = 0x08  # n=1: offline
PAPER_STOPPED = 0x20  # n=2: printing stopped because the paper ran out
NEAR_END = 0x0C  # n=4: roll paper near-end sensor
PAPER_END = 0x60  # n=4: roll paper end sensor


class PaperStatus(StrEnum):
    OK = "ok"
    LOW = "low"
    OUT = "out"


@dataclass(frozen=True)
class PrintedLine:
    text: str
    bold: bool = False
    centred: bool = False


@dataclass(frozen=True)
class PrintedImage:
    """A raster image (GS v 0): ``width`` x ``height`` dots, rows of ``width / 8`` bytes, the high
    bit the leftmost dot, a set bit a black dot."""

    width: int
    height: int
    dots: bytes

    def black(self, x: int, y: int) -> bool:
        return bool(self.dots[y * (self.width // 8) + x // 8] & (0x80 >> (x % 8)))


@dataclass(frozen=True)
class PrintedReceipt:
    """The lines and images on one piece of paper, from the previous cut to this one."""

    lines: tuple[PrintedLine, ...]
    images: tuple[PrintedImage, ...] = ()

    @property
    def text(self) -> list[str]:
        return [line.text for line in self.lines]


class EscPosParser:
    """The printer's mind: bytes in, printed lines, receipts and status answers out. Not thread-safe
    (the simulators lock around it)."""

    def __init__(self, *, paper: PaperStatus = PaperStatus.OK, online: bool = True) -> None:
        self.paper = paper
        self.online = online
        self.receipts: list[PrintedReceipt] = []
        self.receipt_count = 0  # every receipt printed, also those no longer in :attr:`receipts`
        self.errors: list[str] = []
        self.received = bytearray()  # every byte, as it arrived
        self.on_line: Callable[[PrintedLine], None] | None = None
        self._pending = b""
        self._reset()
        self._printed: list[PrintedLine] = []
        self._images: list[PrintedImage] = []
        self._halted = False

    def _reset(self) -> None:
        """ESC @: modes back to power-on defaults, the line buffer emptied (paper stays as it is)."""
        self._codec = CODE_TABLES[0]
        self._bold = False
        self._centred = False
        self._line: list[str] = []  # each character decoded in the code table it was sent in
        self._line_bold: list[bool] = []

    def halt(self) -> None:
        """Drop every byte not yet processed (the cable was pulled while they were in flight)."""
        self._halted = True

    def feed(self, data: bytes) -> bytes:
        """Process ``data``; return the status answers to send back, in order."""
        self.received += data
        buffer = self._pending + data
        answers = bytearray()
        i = 0
        while i < len(buffer) and not self._halted:
            used = self._command(buffer, i, answers)
            if used == 0:
                break
            i += used
        self._pending = b"" if self._halted else buffer[i:]
        self._halted = False
        return bytes(answers)

    def _command(self, buf: bytes, i: int, answers: bytearray) -> int:
        """Handle the command at ``buf[i]``; return how many bytes it took, 0 if incomplete."""
        b = buf[i]
        if b == LF:
            self._end_line()
            return 1
        if b == CR:  # ignored when auto line feed is off (Epson default on serial)
            return 1
        if b >= 0x20:
            self._line.append(bytes([b]).decode(self._codec, errors="replace"))
            self._line_bold.append(self._bold)
            return 1
        if b not in (ESC, GS, DLE):
            self.errors.append(f"unexpected control byte {b:02x}")
            return 1
        if i + 1 >= len(buf):
            return 0
        op = (b, buf[i + 1])
        if op == (ESC, ord("@")):
            self._reset()
            return 2
        if i + 2 >= len(buf):
            return 0
        n = buf[i + 2]
        if op == (GS, ord("v")):
            return self._raster(buf, i)
        if op == (ESC, ord("t")):
            if n not in CODE_TABLES:
                self.errors.append(f"ESC t {n}: no such code table")
            self._codec = CODE_TABLES.get(n, self._codec)
        elif op == (ESC, ord("E")):
            self._bold = bool(n & 1)
        elif op == (ESC, ord("a")):
            self._centred = n in (1, 49)
        elif op == (ESC, ord("d")):
            if self._line:
                self._end_line()
        elif op == (GS, ord("V")):
            if n in (65, 66):  # GS V m n: feed n dots, then cut
                if i + 3 >= len(buf):
                    return 0
                self._cut()
                return 4
            if n not in (0, 1, 48, 49):
                self.errors.append(f"GS V {n}: no such cut mode")
            self._cut()
        elif op == (DLE, EOT):
            answers.append(self._status(n))
        else:
            self.errors.append(f"unknown command {buf[i]:02x} {buf[i + 1]:02x}")
            return 1
        return 3

    def _raster(self, buf: bytes, i: int) -> int:
        """GS v 0 m xL xH yL yH d1...dk: a raster image, (xL + 256 xH) bytes by (yL + 256 yH) rows."""
        if i + 8 > len(buf):
            return 0
        if buf[i + 2] not in (0, 48) or buf[i + 3] not in (0, 48):  # '0'; mode 0: normal size
            self.errors.append(f"GS v {buf[i + 2]} {buf[i + 3]}: no such raster mode")
            return 4
        row_bytes, rows = buf[i + 4] + 256 * buf[i + 5], buf[i + 6] + 256 * buf[i + 7]
        end = i + 8 + row_bytes * rows
        if end > len(buf):
            return 0
        if self.paper is PaperStatus.OUT:
            self.errors.append("printed an image with no paper")
        else:
            self._images.append(PrintedImage(row_bytes * 8, rows, bytes(buf[i + 8:end])))
        return end - i

    def _status(self, n: int) -> int:
        offline = not self.online or self.paper is PaperStatus.OUT
        if n == 1:
            return STATUS_FIXED | (OFFLINE if offline else 0)
        if n == 2:
            return STATUS_FIXED | (PAPER_STOPPED if self.paper is PaperStatus.OUT else 0)
        if n == 4:
            return STATUS_FIXED | {PaperStatus.OK: 0, PaperStatus.LOW: NEAR_END,
                                   PaperStatus.OUT: NEAR_END | PAPER_END}[self.paper]
        if n != 3:
            self.errors.append(f"DLE EOT {n}: no such status")
        return STATUS_FIXED

    def _end_line(self) -> None:
        text = "".join(self._line)
        bold = bool(self._line_bold) and all(self._line_bold)
        line = PrintedLine(text, bold, self._centred)
        self._line.clear()
        self._line_bold.clear()
        if self.paper is PaperStatus.OUT:
            self.errors.append(f"printed with no paper: {text!r}")
            return
        self._printed.append(line)
        if self.on_line is not None:
            self.on_line(line)

    def _cut(self) -> None:
        if self._line:
            self._end_line()
        self.receipts.append(PrintedReceipt(tuple(self._printed), tuple(self._images)))
        self.receipt_count += 1
        self._printed = []
        self._images = []


class _Simulator:
    """The reading thread and the record, common to the pty and TCP printers."""

    def __init__(self, *, paper: PaperStatus, online: bool,
                 on_receipt: Callable[[PrintedReceipt], None] | None, keep: int | None = None) -> None:
        """``keep``: how many receipts (and kilobytes received) the record holds (None: all)."""
        self.parser = EscPosParser(paper=paper, online=online)
        self.keep = keep
        self.parser.on_line = self._on_line
        self.on_receipt = on_receipt
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pull_at: tuple[str, Callable[[], None]] | None = None

    def set_status(self, *, paper: PaperStatus | None = None, online: bool | None = None) -> None:
        """What the next status queries answer (and whether text reaches paper)."""
        with self._cond:
            self.parser.paper = self.parser.paper if paper is None else paper
            self.parser.online = self.parser.online if online is None else online

    @property
    def receipts(self) -> list[PrintedReceipt]:
        with self._cond:
            return list(self.parser.receipts)

    @property
    def errors(self) -> list[str]:
        """Bytes the simulator did not understand, or printing with no paper; [] when all was well."""
        with self._cond:
            return list(self.parser.errors)

    @property
    def receipt_count(self) -> int:
        with self._cond:
            return self.parser.receipt_count

    @property
    def received(self) -> bytes:
        with self._cond:
            return bytes(self.parser.received)

    def wait_for_receipts(self, count: int, timeout_s: float = 5.0) -> list[PrintedReceipt]:
        """The receipts once there are at least ``count``; :class:`TimeoutError` if they do not come."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.parser.receipts) >= count, timeout_s):
                raise TimeoutError(f"{len(self.parser.receipts)} receipts after {timeout_s} s, not {count}")
            return list(self.parser.receipts)

    def pull_cable_at(self, line_text: str, unplug: Callable[[], None]) -> None:
        """When the line ``line_text`` has printed, call ``unplug`` and lose what was still in flight."""
        self._pull_at = (line_text, unplug)

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _on_line(self, line: PrintedLine) -> None:
        if self._pull_at is not None and line.text == self._pull_at[0]:
            unplug, self._pull_at = self._pull_at[1], None
            log.info("simulated receipt printer: cable pulled after %r", line.text)
            unplug()
            self.parser.halt()

    def _consume(self, data: bytes) -> bytes:
        with self._cond:
            before = len(self.parser.receipts)
            answers = self.parser.feed(data)
            new = self.parser.receipts[before:]
            if self.keep is not None:
                del self.parser.receipts[:-self.keep]
                del self.parser.received[:-self.keep * 1024]
            self._cond.notify_all()
        for receipt in new:
            if self.on_receipt is not None:
                self.on_receipt(receipt)
        return answers

    def _serve(self, read: Callable[[], bytes], write: Callable[[bytes], object]) -> None:
        """Read and answer until the peer goes away (OSError or end of stream) or stop()."""
        while not self._stop.is_set():
            data = read()
            if data:
                answers = self._consume(data)
                if answers:
                    write(answers)

    def _run(self) -> None:
        raise NotImplementedError


class EscPosSimulator(_Simulator):
    """A receipt printer on the simulator end of a pty pair. It survives an unplug: it waits for
    the path to come back and carries on, paper and all, as a printer does when re-cabled."""

    def __init__(self, port: str | Path, *, paper: PaperStatus = PaperStatus.OK, online: bool = True,
                 on_receipt: Callable[[PrintedReceipt], None] | None = None, keep: int | None = None) -> None:
        super().__init__(paper=paper, online=online, on_receipt=on_receipt, keep=keep)
        self.port = Path(port)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            except OSError:
                time.sleep(POLL_S)
                continue

            def read(fd: int = fd) -> bytes:
                if not select.select([fd], [], [], POLL_S)[0]:
                    return b""
                data = os.read(fd, 4096)
                if not data:
                    raise EOFError
                return data

            def write(data: bytes, fd: int = fd) -> None:
                os.write(fd, data)

            try:
                self._serve(read, write)
            except (OSError, EOFError):
                log.info("simulated receipt printer: %s unplugged", self.port)
            finally:
                os.close(fd)
            time.sleep(POLL_S)


class EscPosNetworkSimulator(_Simulator):
    """A network receipt printer: listens on ``host:port`` (port 0 lets the OS choose; see
    :attr:`address`), one connection at a time, like a printer's raw port 9100."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, paper: PaperStatus = PaperStatus.OK,
                 online: bool = True, on_receipt: Callable[[PrintedReceipt], None] | None = None) -> None:
        super().__init__(paper=paper, online=online, on_receipt=on_receipt)
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(POLL_S)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]

    def stop(self) -> None:
        super().stop()
        self._listener.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                peer, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with peer:
                peer.settimeout(POLL_S)

                def read(peer: socket.socket = peer) -> bytes:
                    try:
                        data = peer.recv(4096)
                    except TimeoutError:
                        return b""
                    if not data:
                        raise EOFError
                    return data

                try:
                    self._serve(read, peer.sendall)
                except (OSError, EOFError):
                    log.info("simulated network receipt printer: connection closed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A simulated ESC/POS receipt printer.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=Path, help="the simulator end of a pty pair")
    where.add_argument("--tcp", metavar="HOST:PORT", help="listen like a network printer")
    parser.add_argument("--paper", choices=[p.value for p in PaperStatus], default="ok")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def show(receipt: PrintedReceipt) -> None:
        for line in receipt.lines:
            print(("*" if line.bold else " ") + line.text, flush=True)
        print("-" * 8 + " cut " + "-" * 8, flush=True)

    simulator: _Simulator
    if args.port is not None:
        simulator = EscPosSimulator(args.port, paper=PaperStatus(args.paper), on_receipt=show)
    else:
        host, _, port = args.tcp.rpartition(":")
        simulator = EscPosNetworkSimulator(host or "127.0.0.1", int(port), paper=PaperStatus(args.paper),
                                           on_receipt=show)
        print(f"listening on {simulator.address[0]}:{simulator.address[1]}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    simulator.start()
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    simulator.stop()
    for error in simulator.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if simulator.errors else 0


if __name__ == "__main__":
    sys.exit(main())
