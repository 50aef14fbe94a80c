"""The demo's simulator panel: what a person would do at the devices.

Present a card or scan a barcode, put tagged items on the pad and take them off, open and close the
door, and unplug any device to see how the kiosk copes. It drives the simulated devices only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.bootstrap.demo import DemoCard
from kiosk.domain.model import Credential, CredentialKind, SecurityState, Tag
from kiosk.domain.ports import Clock, Devices
from kiosk.testing.memory import (
    FakeBarcodeScanner,
    FakeCardReader,
    FakeDoorLock,
    FakeDoorSensor,
    FakeItemReader,
    FakeReceiptPrinter,
)

SECURITY_TEXT = {SecurityState.SECURED: "sikret / secured", SecurityState.UNSECURED: "afsikret / unsecured",
                 SecurityState.UNKNOWN: "?"}


class SimulatorPanel(QWidget):
    """A separate window beside the kiosk."""

    def __init__(self, devices: Devices, cards: tuple[DemoCard, ...], tags: tuple[Tag, ...],
                 clock: Clock, titles: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._titles = dict(titles or {})
        self.setWindowTitle("Simulator (demo)")
        self._devices = devices
        self._clock = clock
        self._tags = {tag.uid: tag for tag in tags}
        layout = QVBoxLayout(self)
        reader = devices.card_reader
        if isinstance(reader, FakeCardReader):
            layout.addWidget(self._card_box(reader, cards))
        if isinstance(devices.item_reader, FakeItemReader):
            layout.addWidget(self._pad_box(devices.item_reader))
        if isinstance(devices.door_lock, FakeDoorLock) or isinstance(devices.door_sensor, FakeDoorSensor):
            layout.addWidget(self._door_box())
        if isinstance(devices.receipt_printer, FakeReceiptPrinter):
            self.receipts = QLabel("Kvitteringer / receipts: 0")
            layout.addWidget(self.receipts)
        layout.addWidget(self._plug_box())
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(300)

    # -- cards ------------------------------------------------------------------------------------
    def _card_box(self, reader: FakeCardReader, cards: tuple[DemoCard, ...]) -> QGroupBox:
        box = QGroupBox("Kortlæser / card reader")
        column = QVBoxLayout(box)
        self.card_buttons: list[QPushButton] = []
        for card in cards:
            card_button = QPushButton(f"{card.label}  ·  pinkode {card.pin}")
            card_button.clicked.connect(lambda _=False, c=card.credential: reader.present(c))
            column.addWidget(card_button)
            self.card_buttons.append(card_button)
        row = QHBoxLayout()
        self.other = QLineEdit()
        self.other.setPlaceholderText("Andet kortnummer / other card number")
        present = QPushButton("Hold mod læseren")
        present.clicked.connect(lambda: self._present_other(reader))
        row.addWidget(self.other, 1)
        row.addWidget(present)
        scanner = self._devices.barcode_scanner
        if isinstance(scanner, FakeBarcodeScanner):
            scan = QPushButton("Scan stregkode")
            scan.clicked.connect(lambda: self._scan(scanner))
            row.addWidget(scan)
        column.addLayout(row)
        return box

    def _present_other(self, reader: FakeCardReader) -> None:
        number = self.other.text().strip()
        if number:
            reader.present(Credential(CredentialKind.CARD_UID, number))

    def _scan(self, scanner: FakeBarcodeScanner) -> None:
        number = self.other.text().strip()
        if number:
            scanner.scan(Credential(CredentialKind.BARCODE, number))

    # -- RFID pad ---------------------------------------------------------------------------------
    def _pad_box(self, pad: FakeItemReader) -> QGroupBox:
        box = QGroupBox("RFID-plade: sæt flueben = læg på pladen / tick = on the pad")
        column = QVBoxLayout(box)
        self.pad_list = QListWidget()
        for tag in self._tags.values():
            entry = QListWidgetItem(self._tag_text(tag))
            entry.setData(Qt.ItemDataRole.UserRole, tag.uid)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.pad_list.addItem(entry)
        self.pad_list.itemChanged.connect(lambda entry: self._on_pad_change(pad, entry))
        column.addWidget(self.pad_list)
        clear = QPushButton("Tag alt af pladen / clear the pad")
        clear.clicked.connect(self.clear_pad)
        column.addWidget(clear)
        return box

    def _tag_text(self, tag: Tag, security: SecurityState | None = None) -> str:
        part = f" (del {tag.part_number}/{tag.parts_in_set})" if tag.parts_in_set > 1 else ""
        title = self._titles.get(tag.item_id, "")
        return f"{title or tag.item_id}{part} · {tag.item_id} · {SECURITY_TEXT[security or tag.security]}"

    def _on_pad_change(self, pad: FakeItemReader, entry: QListWidgetItem) -> None:
        uid = str(entry.data(Qt.ItemDataRole.UserRole))
        if entry.checkState() == Qt.CheckState.Checked:
            pad.place(self._tags[uid])
        else:
            pad.remove(uid)

    def clear_pad(self) -> None:
        for row in range(self.pad_list.count()):
            self.pad_list.item(row).setCheckState(Qt.CheckState.Unchecked)

    # -- door -------------------------------------------------------------------------------------
    def _door_box(self) -> QGroupBox:
        box = QGroupBox("Dør / door")
        row = QHBoxLayout(box)
        self.door_state = QLabel("")
        row.addWidget(self.door_state, 1)
        sensor = self._devices.door_sensor
        if isinstance(sensor, FakeDoorSensor):
            self.door_button = QPushButton("Åbn døren / open the door")
            self.door_button.setCheckable(True)
            self.door_button.toggled.connect(sensor.set_open)
            row.addWidget(self.door_button)
        self.relays = QLabel("")  # the lights and the intruder alarm, as the calendar set them
        row.addWidget(self.relays)
        return box

    # -- unplugging -------------------------------------------------------------------------------
    def _plug_box(self) -> QGroupBox:
        box = QGroupBox("Frakobl / unplug")
        grid = QGridLayout(box)
        self.unplug_boxes: dict[str, QCheckBox] = {}
        for role, device in self._devices.present():
            unplug, replug = getattr(device, "unplug", None), getattr(device, "replug", None)
            if not (callable(unplug) and callable(replug)):
                continue
            check = QCheckBox(role.replace("_", " "))
            check.toggled.connect(lambda off, u=unplug, r=replug: u() if off else r())
            grid.addWidget(check, len(self.unplug_boxes) // 2, len(self.unplug_boxes) % 2)
            self.unplug_boxes[role] = check
        return box

    # -- state shown ------------------------------------------------------------------------------
    def refresh(self) -> None:
        pad = self._devices.item_reader
        if isinstance(pad, FakeItemReader) and pad.plugged:
            on_pad = {tag.uid: tag.security for tag in pad.inventory()}
            self.pad_list.blockSignals(True)
            for row in range(self.pad_list.count()):
                entry = self.pad_list.item(row)
                uid = str(entry.data(Qt.ItemDataRole.UserRole))
                entry.setText(self._tag_text(self._tags[uid], on_pad.get(uid)))
            self.pad_list.blockSignals(False)
        lock = self._devices.door_lock
        if isinstance(lock, FakeDoorLock) and hasattr(self, "door_state"):
            last = lock.last_pulse
            if last is not None and self._clock.now() < last[0] + dt.timedelta(seconds=last[1]):
                self.door_state.setText("Døren er låst op / unlocked")
            else:
                self.door_state.setText(f"Låst / locked · {len(lock.pulses)} oplåsninger / unlocks")
        if hasattr(self, "relays"):
            outputs = self._devices.outputs()
            words = {("lights", True): "lys tændt / lights on", ("lights", False): "lys slukket / lights off",
                     ("alarm", True): "alarm tilkoblet / armed",
                     ("alarm", False): "alarm frakoblet / disarmed"}
            self.relays.setText(" · ".join(words[(name, bool(getattr(output, "on", False)))]
                                           for name, output in sorted(outputs.items())))
        printer = self._devices.receipt_printer
        if isinstance(printer, FakeReceiptPrinter):
            self.receipts.setText(f"Kvitteringer / receipts: {printer.count}")
