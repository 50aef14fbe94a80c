"""python-escpos's classes and constants the receipt printer uses; import through
:func:`hardware.printers.escpos_lib.load`, which prepares python-escpos's cache first."""

from __future__ import annotations

from escpos.constants import RT_MASK_ONLINE, RT_STATUS_ONLINE  # type: ignore[import-untyped]
from escpos.escpos import Escpos  # type: ignore[import-untyped]
from escpos.exceptions import Error as EscposError  # type: ignore[import-untyped]
from escpos.printer import File, Network, Serial, Usb  # type: ignore[import-untyped]

__all__ = [
    "RT_MASK_ONLINE",
    "RT_STATUS_ONLINE",
    "Escpos",
    "EscposError",
    "File",
    "Network",
    "SerialPrinter",
    "Usb",
]


class SerialPrinter(Serial):  # type: ignore[misc]  # python-escpos is untyped
    """python-escpos's Serial reads a status answer with ``read(16)``, which on a serial port waits
    out the whole timeout; a DLE EOT answer is exactly one byte (Epson ESC/POS reference)."""

    def _read(self) -> bytes:
        return bytes(self.device.read(1))
