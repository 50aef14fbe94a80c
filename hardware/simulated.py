"""The byte simulators behind a terminal's ``simulated`` devices, each on an in-process serial cable
(:class:`~hardware.cable.SerialCable`): the real driver opens the cable's device end, the simulator
its other end. The demo runs this, so that everyday use exercises the drivers, and its panel plays
the person at the devices through the simulators (puts tags on the pad, opens the door, scans a
card, reads the printed receipts, pulls a cable).

The simulators keep only their last few records (``keep``): a demo left running all night must
not grow.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from hardware.cable import SerialCable
from hardware.door.relay_sim import NumatoSimulator
from hardware.printers.escpos_sim import EscPosSimulator
from hardware.rfid.feig_sim import FeigSimulator
from hardware.scanner.scanner_sim import ScannerSimulator

KEEP = 100
BOARD_RELAYS, BOARD_INPUTS = 8, 8  # the simulated Numato board: door, lights, alarm; the door contact


class Simulators:
    """Made as the terminal's devices are built; :meth:`close` after the drivers are closed."""

    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder
        self.keep = keep
        self.cables: dict[str, SerialCable] = {}  # by device role; the relay board's is "relay_board"
        self.pad: FeigSimulator | None = None
        self.board: NumatoSimulator | None = None
        self.scanner: ScannerSimulator | None = None
        self.printer: EscPosSimulator | None = None
        self._stops: list[Callable[[], None]] = []

    def _cable(self, role: str) -> SerialCable:
        cable = SerialCable(self.folder, role).plug()
        self.cables[role] = cable
        return cable

    def pad_port(self) -> str:
        """The FEIG pad's port; its simulator answers on the other end."""
        cable = self._cable("rfid_pad")
        self.pad = FeigSimulator(cable.simulator, keep=self.keep).start()
        self._stops.append(self.pad.stop)
        return str(cable.device)

    def board_port(self) -> str:
        """The Numato relay board's port (one board for the door, its contact, lights and alarm)."""
        if self.board is None:
            cable = self._cable("relay_board")
            self.board = NumatoSimulator(cable.simulator, channels=BOARD_RELAYS, gpios=BOARD_INPUTS,
                                         keep=self.keep, reopen=True).start()
            self._stops.append(self.board.stop)
        return str(self.cables["relay_board"].device)

    def scanner_port(self) -> str:
        cable = self._cable("barcode_scanner")
        self.scanner = ScannerSimulator(cable.simulator)
        self._stops.append(self.scanner.close)
        return str(cable.device)

    def printer_port(self) -> str:
        cable = self._cable("receipt_printer")
        self.printer = EscPosSimulator(cable.simulator, keep=self.keep).start()
        self._stops.append(self.printer.stop)
        return str(cable.device)

    def close(self) -> None:
        for stop in reversed(self._stops):
            with contextlib.suppress(Exception):
                stop()
        self._stops.clear()
        for cable in self.cables.values():
            cable.close()
