"""The receipt printer: an Epson-compatible ESC/POS printer through python-escpos.

Receipts are printed in code table PC865 (Nordic; ESC t 5 on Epson TM printers), which holds
æøå ÆØÅ, wrapped to the paper's width, title bold and centred, then fed and cut. A receipt in another
language takes the code tables its letters need (python-escpos chooses them from the printer's
profile: PC852 for Polish, PC857 for Turkish, a Cyrillic one for Ukrainian); one in Arabic or Farsi,
whose letters join and read right to left, is printed as a picture (:mod:`receipt_image`). Where the
connection can read back (serial, network, USB), the printer is asked for its status (DLE EOT)
before a receipt (paper out or offline: nothing is printed) and after it (no answer: the receipt is
not confirmed). A file connection (``/dev/usb/lp0``, any path) is write-only and reports no status.
"""

from __future__ import annotations

import logging
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import serial

from hardware.link import BACKOFF_S, DEVICE_FAILURES, DeviceLink
from hardware.printers import escpos_lib
from hardware.printers.receipt_image import draw_receipt, needs_image, receipt_texts
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState, Receipt
from kiosk.settings import ReceiptPrinterSettings

log = logging.getLogger(__name__)

CODE_PAGE = "CP865"
PROFILE = "TM-T88V"  # any python-escpos profile that maps CP865 to ESC t 5 and can cut
# Characters PC865 lacks that receipts (and LMS titles) often carry; anything else becomes "?".
PLAIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "„": '"',
                       "…": "...", "\u00a0": " ", "€": "EUR"})


@dataclass(frozen=True)
class SerialConnection:
    path: str
    baudrate: int = 19200
    # python-escpos's default. On Linux it only means pyserial leaves DTR alone at open (termios
    # has no DSR/DTR flow control); pyserial ignores ENOTTY from the modem-line ioctls it makes at
    # open (serialposix.py), so a pty, which has no modem lines, opens either way.
    dsrdtr: bool = True


@dataclass(frozen=True)
class UsbConnection:
    vendor_id: int
    product_id: int
    in_ep: int = 0x82
    out_ep: int = 0x01


@dataclass(frozen=True)
class NetworkConnection:
    host: str
    port: int = 9100


@dataclass(frozen=True)
class FileConnection:
    """A device file (``/dev/usb/lp0``) or any path; opened for writing, so a file is truncated."""

    path: str


Connection = SerialConnection | UsbConnection | NetworkConnection | FileConnection


def connection_from_settings(settings: ReceiptPrinterSettings) -> Connection:
    """The connection a ``[devices.receipt_printer]`` section describes (kind serial/usb/network/file)."""
    if settings.kind == "serial":
        return SerialConnection(settings.port, settings.baudrate)
    if settings.kind == "usb":
        return UsbConnection(settings.usb_vendor, settings.usb_product)
    if settings.kind == "network":
        return NetworkConnection(settings.host, settings.tcp_port)
    if settings.kind == "file":
        return FileConnection(settings.port)
    raise ValueError(f"receipt printer kind {settings.kind!r} has no connection")


def describe(connection: Connection) -> str:
    if isinstance(connection, SerialConnection):
        return f"serial {connection.path}"
    if isinstance(connection, UsbConnection):
        return f"USB {connection.vendor_id:04x}:{connection.product_id:04x}"
    if isinstance(connection, NetworkConnection):
        return f"network {connection.host}:{connection.port}"
    return f"file {connection.path}"


def wrap(text: str, columns: int) -> list[str]:
    """``text`` as printed lines of at most ``columns`` characters; an empty text is one empty line."""
    lines: list[str] = []
    for paragraph in text.translate(PLAIN).splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, columns, break_on_hyphens=False) or [""])
    return lines


Escpos = Any  # python-escpos's printer (untyped), from :mod:`hardware.printers.escpos_classes`


class _NoAnswer(Exception):
    """The printer did not answer a status query."""


@dataclass(frozen=True)
class _Status:
    online: bool
    paper: int  # python-escpos paper_status(): 2 enough, 1 near end, 0 out


class EscPosReceiptPrinter:
    """The :class:`kiosk.domain.ports.ReceiptPrinter` for an ESC/POS printer. Thread-safe.

    :meth:`print_receipt` returns once the printer has the whole receipt (confirmed by a status
    answer where the connection can read); otherwise it raises :class:`DeviceUnavailable` with a
    sentence for staff (paper out, offline, unplugged). After an unplug the printer is reopened by
    itself on the next use; a receipt torn off mid-way is cut off before the next one starts.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        columns: int = 42,
        name: str = "receipt printer",
        profile: str = PROFILE,
        timeout_s: float = 1.0,
        backoff_s: Sequence[float] = BACKOFF_S,
        cache_dir: Path | None = None,
    ) -> None:
        """``cache_dir``: a private folder for python-escpos's printer database (see
        :mod:`hardware.printers.escpos_lib`); python-escpos is imported when the printer is first
        opened."""
        if columns < 20:
            raise ValueError(f"a receipt needs at least 20 columns, not {columns}")
        self.connection = connection
        self.columns = columns
        self.name = name
        self._profile = profile
        self._timeout_s = timeout_s
        self._can_read = not isinstance(connection, FileConnection)
        self._lock = threading.Lock()
        self._unfinished = False
        self._last_status: str = ""
        self._cache_dir = cache_dir
        self._lib: ModuleType | None = None
        # python-escpos's own errors are turned into DeviceUnavailable where they are caught.
        self._link: DeviceLink[Escpos] = DeviceLink(name, self._open, self._close, backoff_s=backoff_s,
                                                    failures=DEVICE_FAILURES)

    @property
    def _failures(self) -> tuple[type[BaseException], ...]:
        """What a printer that stopped working raises (python-escpos is loaded once it is open)."""
        return (*DEVICE_FAILURES, _NoAnswer, *((self._lib.EscposError,) if self._lib is not None else ()))

    def print_receipt(self, receipt: Receipt) -> None:
        with self._lock:
            printer = self._link.get()
            try:
                if self._can_read:
                    self._refuse_unless_ready(self._status(printer))
                torn, self._unfinished = self._unfinished, True
                self._render(printer, receipt, cut_first=torn)
                if self._can_read:
                    self._confirm(printer)
                self._unfinished = False
            except self._failures as exc:
                self._link.fail(exc if not isinstance(exc, _NoAnswer) else "not answering")
                raise DeviceUnavailable(f"{self.name}: {self._link.health().detail}") from exc
        log.info("%s: receipt printed (%d lines)", self.name, len(receipt.lines))

    def health(self) -> DeviceHealth:
        """OK, DEGRADED "paper low", or UNAVAILABLE with why (paper out, offline, not answering,
        cannot open). Asks the printer, so it may block for up to the timeout."""
        with self._lock:
            try:
                printer = self._link.get()
            except DeviceUnavailable:
                return self._link.health()
            if not self._can_read:
                return DeviceHealth(self.name, DeviceState.OK, "write-only connection: no paper status")
            try:
                status = self._status(printer)
            except self._failures as exc:
                self._link.fail(exc if not isinstance(exc, _NoAnswer) else "not answering")
                return self._link.health()
            return self._health_of(status)

    def close(self) -> None:
        with self._lock:
            self._link.close()

    def _open(self) -> Escpos:
        conn = self.connection
        lib = self._lib = escpos_lib.load(self._cache_dir)
        printer: Escpos
        if isinstance(conn, SerialConnection):
            printer = lib.SerialPrinter(devfile=conn.path, baudrate=conn.baudrate, timeout=self._timeout_s,
                             dsrdtr=conn.dsrdtr, profile=self._profile)
        elif isinstance(conn, UsbConnection):
            printer = lib.Usb(conn.vendor_id, conn.product_id, timeout=int(self._timeout_s * 1000),
                          in_ep=conn.in_ep, out_ep=conn.out_ep, profile=self._profile)
        elif isinstance(conn, NetworkConnection):
            printer = lib.Network(conn.host, conn.port, timeout=self._timeout_s, profile=self._profile)
        else:
            printer = lib.File(conn.path, profile=self._profile)
        try:
            printer.open()
        except (lib.EscposError, *DEVICE_FAILURES, ValueError) as exc:  # pyusb without a backend: ValueError
            printer.device = False  # so python-escpos's __del__ does not try to close it again
            raise DeviceUnavailable(f"cannot open {describe(conn)}: {str(exc).splitlines()[0]}") from exc
        return printer

    @staticmethod
    def _close(printer: Escpos) -> None:
        try:
            printer.close()
        finally:
            printer.device = False

    def _render(self, printer: Escpos, receipt: Receipt, *, cut_first: bool) -> None:
        printer.hw("INIT")
        # ESC @ resets the code table to 0, but python-escpos only sends ESC t when it thinks the
        # table changes: make it forget, so every receipt selects its table itself.
        printer.magic.encoding = None
        texts = [text.translate(PLAIN) for text in receipt_texts(receipt)]
        encoder = printer.magic.encoder

        def printable(char: str) -> bool:
            return ord(char) < 128 or encoder.find_suitable_encoding(char) is not None

        if needs_image(texts, printable):  # Arabic, Farsi; a character no code table holds
            printer.charcode(CODE_PAGE)
            if cut_first:
                printer.cut()
            media = printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
            most = int(media) if str(media).isdigit() else None
            printer.image(draw_receipt(receipt, self.columns, most), impl="bitImageRaster")
            printer.cut()
            return
        danish = all(encoder.can_encode(CODE_PAGE, char) for text in texts for char in text)
        # PC865 for Danish and English; otherwise python-escpos picks a code table for each
        # character from the printer's profile (PC852 for Polish, PC857 for Turkish, ...).
        printer.charcode(CODE_PAGE if danish else "AUTO")
        if cut_first:  # the last receipt stopped half-way: cut it off so no patron takes it along
            printer.cut()
        printer.set(align="center", bold=True)
        for line in wrap(receipt.title, self.columns):
            printer.textln(line)
        printer.set(align="left", bold=False)
        bold = False
        for receipt_line in receipt.lines:
            if receipt_line.bold != bold:
                bold = receipt_line.bold
                printer.set(bold=bold)
            for line in wrap(receipt_line.text, self.columns):
                printer.textln(line)
        if bold:
            printer.set(bold=False)
        if receipt.footer:
            printer.ln()
            printer.set(align="center")
            for line in wrap(receipt.footer, self.columns):
                printer.textln(line)
            printer.set(align="left")
        printer.cut()

    def _status(self, printer: Escpos) -> _Status:
        """Ask DLE EOT 1 (online) and DLE EOT 4 (paper sensor)."""
        lib = self._lib
        assert lib is not None  # loaded by _open
        self._drop_stale_answers(printer)
        answer = bytes(printer.query_status(lib.RT_STATUS_ONLINE))
        if not answer:
            raise _NoAnswer
        online = not answer[0] & lib.RT_MASK_ONLINE  # the test python-escpos's is_online() makes
        self._drop_stale_answers(printer)
        return _Status(online, printer.paper_status())

    @staticmethod
    def _drop_stale_answers(printer: Escpos) -> None:
        if isinstance(printer.device, serial.Serial):
            printer.device.reset_input_buffer()

    def _refuse_unless_ready(self, status: _Status) -> None:
        health = self._health_of(status)
        if health.state is DeviceState.UNAVAILABLE:
            raise DeviceUnavailable(f"{self.name}: {health.detail}; nothing printed")

    def _confirm(self, printer: Escpos) -> None:
        status = self._status(printer)
        health = self._health_of(status)
        if health.state is DeviceState.UNAVAILABLE:
            raise DeviceUnavailable(
                f"{self.name}: {health.detail} while printing; the receipt may be cut short"
            )

    def _health_of(self, status: _Status) -> DeviceHealth:
        if status.paper == 0:
            health = DeviceHealth(self.name, DeviceState.UNAVAILABLE, "paper out")
        elif not status.online:
            health = DeviceHealth(self.name, DeviceState.UNAVAILABLE, "offline (cover open?)")
        elif status.paper == 1:
            health = DeviceHealth(self.name, DeviceState.DEGRADED, "paper low")
        else:
            health = DeviceHealth(self.name, DeviceState.OK)
        if health.detail != self._last_status:
            log.info("%s: %s", self.name, health.detail or "ready")
            self._last_status = health.detail
        return health
