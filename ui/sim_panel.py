"""The demo's simulator panel: present cards to the simulated reader, unplug it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.app import DemoCard
from kiosk.fakes import FakeCardReader
from kiosk.model import Credential, CredentialKind


class SimulatorPanel(QWidget):
    """A separate window beside the kiosk; what a person would do at the real devices."""

    def __init__(self, card_reader: FakeCardReader, cards: tuple[DemoCard, ...]) -> None:
        super().__init__()
        self.setWindowTitle("Simulator (demo)")
        self._reader = card_reader
        layout = QVBoxLayout(self)
        box = QGroupBox("Kortlæser / card reader")
        box_layout = QVBoxLayout(box)
        self.card_buttons: list[QPushButton] = []
        for card in cards:
            card_button = QPushButton(f"{card.label}  ·  pinkode {card.pin}")
            card_button.clicked.connect(lambda _=False, c=card.credential: self._reader.present(c))
            box_layout.addWidget(card_button)
            self.card_buttons.append(card_button)
        row = QHBoxLayout()
        self.other = QLineEdit()
        self.other.setPlaceholderText("Andet kortnummer / other card number")
        present = QPushButton("Hold mod læseren / present")
        present.clicked.connect(self._present_other)
        row.addWidget(self.other, 1)
        row.addWidget(present)
        box_layout.addLayout(row)
        self.unplugged = QCheckBox("Frakoblet / unplugged")
        self.unplugged.toggled.connect(self._toggle_plug)
        box_layout.addWidget(self.unplugged)
        layout.addWidget(box)
        layout.addStretch(1)

    def _present_other(self) -> None:
        number = self.other.text().strip()
        if number:
            self._reader.present(Credential(CredentialKind.CARD_UID, number))

    def _toggle_plug(self, unplugged: bool) -> None:
        if unplugged:
            self._reader.unplug()
        else:
            self._reader.replug()
