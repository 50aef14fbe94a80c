"""A barcode scanner or magnetic card reader in serial mode (USB CDC-ACM, /dev/ttyACM*).

Serial mode is immune to keyboard focus and layout (research §6.1). The scanner sends each code
followed by CR, LF or CR LF, optionally with a prefix and suffix configured on the scanner. A reader
thread turns each code into a :class:`Credential` and hands it to the listener; what is not a
credential is refused with one warning line that never contains the code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import serial

from hardware.link import BACKOFF_S, DEVICE_FAILURES, DeviceLink
from hardware.scanner.classify import DEFAULT_RULES, ClassifierRules, ScanRefused, classify
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import DeviceHealth
from kiosk.domain.ports import CredentialListener

log = logging.getLogger(__name__)

TERMINATORS = b"\r\n"


@dataclass(frozen=True)
class ScannerSettings:
    """How the scanner is connected and configured. ``prefix``/``suffix`` are what the scanner was
    set to add around each code (removed before classifying); ``encoding`` is how it sends text."""

    port: str
    baudrate: int = 9600
    prefix: str = ""
    suffix: str = ""
    encoding: str = "utf-8"
    max_code_length: int = 512
    read_timeout_s: float = 0.1
    name: str = "barcode_scanner"


class SerialBarcodeScanner:
    """The :class:`kiosk.domain.ports.BarcodeScanner` port over pyserial.

    The listener is called from the reader thread, one credential per code. Unplugging the scanner
    shows as UNAVAILABLE in :meth:`health`; when it comes back the thread reopens it by itself.
    """

    def __init__(
        self,
        settings: ScannerSettings,
        rules: ClassifierRules = DEFAULT_RULES,
        *,
        backoff_s: Sequence[float] = BACKOFF_S,
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.link: DeviceLink[serial.Serial] = DeviceLink(
            settings.name, self._open, _close, backoff_s=backoff_s,
        )
        self._retry_s = min(backoff_s) if backoff_s else 0.2
        self._listener: CredentialListener | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_credential: CredentialListener) -> None:
        """Begin reading; ``on_credential`` is called from the reader thread."""
        self._listener = on_credential
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"{self.settings.name}-reader",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and close the port; returns once the reader thread has ended."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=max(2.0, self.settings.read_timeout_s * 10))
        self.link.close()
        self._listener = None

    def health(self) -> DeviceHealth:
        return self.link.health()

    def probe(self) -> None:
        """Open the port if it is not open (for the doctor); :class:`DeviceUnavailable` if it cannot be."""
        self.link.get()

    def _open(self) -> serial.Serial:
        return serial.Serial(self.settings.port, self.settings.baudrate,
                             timeout=self.settings.read_timeout_s, exclusive=True)

    def _run(self) -> None:
        buffer = bytearray()
        while not self._stopping.is_set():
            try:
                port = self.link.get()
            except DeviceUnavailable:
                buffer.clear()  # half a code from before the unplug is not a code
                self._stopping.wait(self._retry_s)
                continue
            try:
                chunk = port.read(max(1, port.in_waiting))
            except (*DEVICE_FAILURES, serial.SerialException) as exc:
                self.link.fail(exc)
                continue
            if chunk:
                buffer.extend(chunk)
                self._take_codes(buffer)

    def _take_codes(self, buffer: bytearray) -> None:
        while True:
            ends = [i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0]
            if not ends:
                if len(buffer) > self.settings.max_code_length:
                    log.warning("%s: discarded %d bytes without a line end", self.settings.name,
                                len(buffer))
                    buffer.clear()
                return
            end = min(ends)
            line = bytes(buffer[:end])
            del buffer[:end + 1]
            if line:
                self._deliver(line)

    def _deliver(self, line: bytes) -> None:
        name = self.settings.name
        code = line.decode(self.settings.encoding, errors="replace")
        code = _strip_affix(code, self.settings.prefix, self.settings.suffix)
        try:
            credential = classify(code, self.rules)
        except ScanRefused as exc:
            log.warning("%s: scan refused (%s): %s", name, exc.reason, exc)
            return
        log.info("%s: read a %s credential", name, credential.kind.value)
        listener = self._listener
        if listener is None:
            return
        try:
            listener(credential)
        except Exception as exc:  # a listener bug must not stop the scanner
            log.error("%s: the credential listener failed: %s", name, type(exc).__name__)


def _strip_affix(code: str, prefix: str, suffix: str) -> str:
    if prefix and code.startswith(prefix):
        code = code[len(prefix):]
    if suffix and code.endswith(suffix):
        code = code[: -len(suffix)]
    return code


def _close(port: serial.Serial) -> None:
    port.close()
