"""The demo's simulator panel: what a person would do at the devices.

Present a card or scan a barcode, put tagged items on the pad and take them off, open and close the
door, and pull any device's cable to see how the kiosk copes. It acts on the byte simulators behind
the terminal's ``simulated`` devices (:class:`hardware.simulated.Simulators`), so everything it does
reaches the kiosk through the real drivers; the card reader is the in-memory one.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

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

from hardware.headset import SW_HEADPHONE_INSERT, input_event
from hardware.rfid import TagContent, split_isil
from hardware.rfid.feig_sim import VirtualTag
from hardware.rfid.tagdata import encode_tag_data
from hardware.simulated import Simulators
from kiosk.bootstrap.demo import DemoCard
from kiosk.bootstrap.kiosk import Kiosk
from kiosk.bootstrap.speech import simulated_jack
from kiosk.domain.errors import ConfigError
from kiosk.domain.model import Credential, CredentialKind, SecurityState, Tag
from kiosk.settings import DeviceSettings
from kiosk.testing.memory import MemoryBarcodeScanner, MemoryCardReader

log = logging.getLogger(__name__)

SECURITY_TEXT = {SecurityState.SECURED: "sikret / secured",
                 SecurityState.UNSECURED: "afsikret / unsecured", SecurityState.UNKNOWN: "?"}
CABLE_NAMES = {"rfid_pad": "RFID-plade / pad", "barcode_scanner": "stregkodelæser / scanner",
               "relay_board": "relækort / relay board", "receipt_printer": "kvitteringsprinter / printer",
               "card_reader": "kortlæser / card reader"}


def virtual_tag(tag: Tag, institution: str) -> VirtualTag:
    """The demo tag as a real ISO 28560-3 tag on the simulated pad (its owner: the library's ISIL)."""
    country, library = split_isil(tag.owner_library or institution)
    content = TagContent(item_id=tag.item_id, library=library, country=country or "DK",
                         part_number=tag.part_number, parts_in_set=tag.parts_in_set)
    return VirtualTag(tag.uid, bytearray(encode_tag_data(content, memory_size=32)), afi=0x07)


class SimulatorPanel(QWidget):
    """A separate window beside the kiosk."""

    def __init__(self, card_reader: object, simulators: Simulators, settings: DeviceSettings,
                 cards: tuple[DemoCard, ...], tags: tuple[Tag, ...], *, institution: str,
                 titles: Mapping[str, str] | None = None, scanner: object = None,
                 lms_down: Callable[[bool], None] | None = None, jack: Path | None = None) -> None:
        """``lms_down``: a box that stops the LMS (True) and starts it again (the demo branch's);
        ``jack``: the FIFO of the simulated headphone jack (a box plugs a headset in)."""
        super().__init__()
        self._lms_down = lms_down
        self.setWindowTitle("Simulator (demo)")
        self._simulators = simulators
        self._settings = settings
        self._titles = dict(titles or {})
        self._tags = {tag.uid: tag for tag in tags}
        self._virtual = {tag.uid: virtual_tag(tag, institution) for tag in tags}
        layout = QVBoxLayout(self)
        self._card_reader = card_reader if isinstance(card_reader, MemoryCardReader) else None
        self._memory_scanner = scanner if isinstance(scanner, MemoryBarcodeScanner) else None
        layout.addWidget(self._card_box(cards))
        if simulators.pad is not None:
            layout.addWidget(self._pad_box())
        if simulators.board is not None:
            layout.addWidget(self._door_box())
        if simulators.printer is not None:
            self.receipts = QLabel("Kvitteringer / receipts: 0")
            layout.addWidget(self.receipts)
        layout.addWidget(self._plug_box())
        if jack is not None:
            self._jack = jack
            self.headset = QCheckBox("Hovedtelefon i stikket / headset plugged in")
            self.headset.toggled.connect(self.plug_headset)
            layout.addWidget(self.headset)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(300)

    @classmethod
    def beside(cls, kiosk: Kiosk, lms_down: Callable[[bool], None] | None = None) -> SimulatorPanel:
        """The panel for a kiosk built on the demo's settings (its simulated devices)."""
        if kiosk.simulators is None:
            raise ConfigError("the simulator panel needs simulated devices (config/demo/*.toml)")
        devices = kiosk.devices
        return cls(devices.card_reader, kiosk.simulators, kiosk.settings.devices, kiosk.demo_cards,
                   kiosk.demo_tags, institution=kiosk.institution, titles=kiosk.demo_titles,
                   scanner=devices.barcode_scanner, lms_down=lms_down,
                   jack=simulated_jack(kiosk.locations.data_dir)
                   if kiosk.settings.speech.headset == "simulated" else None)

    # -- cards ------------------------------------------------------------------------------------
    def _card_box(self, cards: tuple[DemoCard, ...]) -> QGroupBox:
        box = QGroupBox("Kortlæser / card reader")
        column = QVBoxLayout(box)
        self.card_buttons: list[QPushButton] = []
        for card in cards:
            card_button = QPushButton(f"{card.label}  ·  pinkode {card.pin}")
            card_button.clicked.connect(lambda _=False, c=card.credential: self.present(c))
            column.addWidget(card_button)
            self.card_buttons.append(card_button)
        row = QHBoxLayout()
        self.other = QLineEdit()
        self.other.setPlaceholderText("Andet kortnummer / other card number")
        present = QPushButton("Hold mod læseren")
        present.clicked.connect(self._present_other)
        row.addWidget(self.other, 1)
        row.addWidget(present)
        if self._simulators.scanner is not None or self._memory_scanner is not None:
            scan = QPushButton("Scan stregkode")
            scan.clicked.connect(self._scan)
            row.addWidget(scan)
        column.addLayout(row)
        return box

    def present(self, credential: Credential) -> None:
        if self._card_reader is not None:
            self._card_reader.present(credential)

    def _present_other(self) -> None:
        number = self.other.text().strip()
        if number:
            self.present(Credential(CredentialKind.CARD_UID, number))

    def _scan(self) -> None:
        number = self.other.text().strip()
        if not number:
            return
        if self._simulators.scanner is not None:
            with contextlib.suppress(OSError):  # the cable is pulled: nothing arrives, as with a real one
                self._simulators.scanner.scan(number)
        elif self._memory_scanner is not None:
            self._memory_scanner.scan(Credential(CredentialKind.BARCODE, number))

    # -- RFID pad ---------------------------------------------------------------------------------
    def _pad_box(self) -> QGroupBox:
        box = QGroupBox("RFID-plade: sæt flueben = læg på pladen / tick = on the pad")
        column = QVBoxLayout(box)
        self.pad_list = QListWidget()
        for tag in self._tags.values():
            entry = QListWidgetItem(self._tag_text(tag))
            entry.setData(Qt.ItemDataRole.UserRole, tag.uid)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.pad_list.addItem(entry)
        self.pad_list.itemChanged.connect(self._on_pad_change)
        column.addWidget(self.pad_list)
        clear = QPushButton("Tag alt af pladen / clear the pad")
        clear.clicked.connect(self.clear_pad)
        column.addWidget(clear)
        return box

    def security(self, uid: str) -> SecurityState:
        """The tag's theft protection as the pad's simulator holds it (it stays with the tag)."""
        afi = self._virtual[uid].afi
        pad = self._settings.rfid_pad
        return {pad.afi_secured: SecurityState.SECURED,
                pad.afi_unsecured: SecurityState.UNSECURED}.get(afi, SecurityState.UNKNOWN)

    def _tag_text(self, tag: Tag) -> str:
        part = f" (del {tag.part_number}/{tag.parts_in_set})" if tag.parts_in_set > 1 else ""
        title = self._titles.get(tag.item_id, "")
        return f"{title or tag.item_id}{part} · {tag.item_id} · {SECURITY_TEXT[self.security(tag.uid)]}"

    def _on_pad_change(self, entry: QListWidgetItem) -> None:
        pad = self._simulators.pad
        assert pad is not None
        uid = str(entry.data(Qt.ItemDataRole.UserRole))
        if entry.checkState() == Qt.CheckState.Checked:
            pad.place(self._virtual[uid])
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
        if self._settings.door_sensor.kind == "simulated":
            self.door_button = QPushButton("Åbn døren / open the door")
            self.door_button.setCheckable(True)
            self.door_button.toggled.connect(self.set_door_open)
            row.addWidget(self.door_button)
        if self._settings.exit_button.kind == "simulated":
            self.exit_button = QPushButton("Udgangsknap / exit button")
            self.exit_button.pressed.connect(lambda: self.set_exit_pressed(True))
            self.exit_button.released.connect(lambda: self.set_exit_pressed(False))
            row.addWidget(self.exit_button)
        self.relays = QLabel("")  # the lights and the intruder alarm, as the calendar set them
        row.addWidget(self.relays)
        return box

    def set_door_open(self, is_open: bool) -> None:
        board, sensor = self._simulators.board, self._settings.door_sensor
        if board is not None:
            board.set_input(sensor.pin, is_open == (sensor.open_when == "high"))

    def set_exit_pressed(self, pressed: bool) -> None:
        board, button = self._simulators.board, self._settings.exit_button
        if board is not None:
            board.set_input(button.pin, pressed == (button.pressed_when == "high"))

    def plug_headset(self, plugged: bool) -> None:
        """What the sound card's jack sends: an EV_SW SW_HEADPHONE_INSERT record."""
        try:
            fd = os.open(self._jack, os.O_WRONLY | os.O_NONBLOCK)  # never waits for a reader
        except OSError as exc:
            log.warning("the simulated headphone jack is not being read: %s", exc)
            return
        try:
            os.write(fd, input_event(SW_HEADPHONE_INSERT, int(plugged)))
        finally:
            os.close(fd)

    # -- cables -----------------------------------------------------------------------------------
    def _plug_box(self) -> QGroupBox:
        box = QGroupBox("Træk stikket / pull the cable")
        grid = QGridLayout(box)
        self.unplug_boxes: dict[str, QCheckBox] = {}
        switches: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            role: (cable.unplug, cable.plug) for role, cable in self._simulators.cables.items()}
        if self._card_reader is not None:
            switches["card_reader"] = (self._card_reader.unplug, self._card_reader.replug)
        for role, (unplug, replug) in switches.items():
            check = QCheckBox(CABLE_NAMES.get(role, role.replace("_", " ")))
            check.toggled.connect(lambda off, u=unplug, r=replug: u() if off else r())
            grid.addWidget(check, len(self.unplug_boxes) // 2, len(self.unplug_boxes) % 2)
            self.unplug_boxes[role] = check
        if self._lms_down is not None:
            self.lms_down = QCheckBox("Biblioteksystemet svarer ikke / the LMS is down")
            self.lms_down.toggled.connect(self._lms_down)
            grid.addWidget(self.lms_down, (len(self.unplug_boxes) + 1) // 2 + 1, 0, 1, 2)
        return box

    # -- state shown ------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._simulators.pad is not None:
            self.pad_list.blockSignals(True)
            for row in range(self.pad_list.count()):
                entry = self.pad_list.item(row)
                entry.setText(self._tag_text(self._tags[str(entry.data(Qt.ItemDataRole.UserRole))]))
            self.pad_list.blockSignals(False)
        board = self._simulators.board
        if board is not None:
            devices = self._settings
            if devices.door.kind == "simulated" and board.is_on(devices.door.channel):
                self.door_state.setText("Døren er låst op / unlocked")
            else:
                pulses = board.switched_on.get(devices.door.channel, 0)
                self.door_state.setText(f"Låst / locked · {pulses} oplåsninger / unlocks")
            words = {("lights", True): "lys tændt / lights on",
                     ("lights", False): "lys slukket / lights off",
                     ("alarm", True): "alarm tilkoblet / armed",
                     ("alarm", False): "alarm frakoblet / disarmed"}
            outputs = [(name, section.channel) for name, section in (("lights", devices.lights),
                                                                      ("alarm", devices.alarm))
                       if section.kind == "simulated"]
            self.relays.setText(" · ".join(words[(name, board.is_on(channel))]
                                           for name, channel in outputs))
        printer = self._simulators.printer
        if printer is not None:
            self.receipts.setText(f"Kvitteringer / receipts: {printer.receipt_count}")
