"""A simulated serial barcode scanner and card reader: it "scans" by writing bytes to a serial port.

Put it on the far end of a pty pair (``socat``) and point :class:`SerialBarcodeScanner` at the near
end: the driver then reads exactly the bytes a scanner in CDC-ACM mode would send. Used by the tests
and the demo; also runnable: ``python -m hardware.scanner.scanner_sim PORT CODE...``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hardware.scanner.magstripe import encode_track2

DEFAULT_HEALTH_CARD = {
    "card_type": "9",
    "nationality": "208",
    "usage_area": "1",
    "issuer": "004",
    "insurance_group": "1",
    "gp_number": "041173",
    "region": "083",
    "municipality": "461",
    "valid_from": "010814",
}


def health_card_track2(cpr: str, *, with_lrc: bool = False, sentinels: bool = True,
                       **fields: str) -> str:
    """A Danish health card's track 2 for ``cpr``, laid out as research §6.3 describes.
    ``fields`` overrides any of :data:`DEFAULT_HEALTH_CARD`."""
    f = {**DEFAULT_HEALTH_CARD, **fields}
    data = (f["card_type"] + f["nationality"] + f["usage_area"] + f["issuer"] + cpr
            + f["insurance_group"] + f["gp_number"] + f["region"] + f["municipality"] + f["valid_from"])
    return encode_track2(data, with_lrc=with_lrc) if sentinels else data


def track1(name: str = "DOE^JOHN", address: str = "ALLEEN 7") -> str:
    """A health card's track 1 (name and address), for two-track swipes."""
    return f"%{name:<34.34}{address:<34.34}4615000?"


class ScannerSimulator:
    """Writes codes to a serial device path the way a scanner does. Reopens the path after an
    unplug, so one simulator serves a whole test across unplug/replug."""

    def __init__(self, path: Path | str, *, terminator: bytes = b"\r\n", prefix: bytes = b"",
                 suffix: bytes = b"", encoding: str = "utf-8") -> None:
        self.path = Path(path)
        self.terminator = terminator
        self.prefix = prefix
        self.suffix = suffix
        self.encoding = encoding
        self._fd: int | None = None

    def scan(self, code: str) -> bytes:
        """Send one code with the configured prefix, suffix and terminator; returns the bytes sent."""
        frame = self.prefix + code.encode(self.encoding) + self.suffix + self.terminator
        self.send_raw(frame)
        return frame

    def swipe_health_card(self, cpr: str, *, with_lrc: bool = False, with_track1: bool = False) -> bytes:
        text = health_card_track2(cpr, with_lrc=with_lrc)
        return self.scan(track1() + text if with_track1 else text)

    def send_raw(self, data: bytes) -> None:
        """Write ``data`` as it is (for split or garbled frames)."""
        for attempt in (1, 2):
            try:
                fd = self._open()
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                return
            except OSError:
                self.close()  # the pty went away with an unplug: open the new one and try once more
                if attempt == 2:
                    raise

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_NOCTTY)
        return self._fd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send codes to a serial port as a barcode scanner.")
    parser.add_argument("port", help="the simulator end of a pty pair, e.g. /tmp/tty-simulator")
    parser.add_argument("codes", nargs="+", help="codes to send; health:CPR sends a health card swipe")
    args = parser.parse_args(argv)
    simulator = ScannerSimulator(args.port)
    try:
        for code in args.codes:
            if code.startswith("health:"):
                simulator.swipe_health_card(code.removeprefix("health:"))
            else:
                simulator.scan(code)
    except OSError as exc:
        print(f"cannot write to {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        simulator.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
