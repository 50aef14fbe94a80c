"""A keyboard-wedge scanner as a :class:`~kiosk.domain.ports.BarcodeScanner`.

The UI's :class:`ui.wedge.WedgeFilter` catches the scanner's fast key bursts and hands each raw
string to :meth:`KeyboardWedgeScanner.feed`; this class classifies it (library card, health card)
and gives the credential to the listener, so the core sees a wedge scanner like any other.
"""

from __future__ import annotations

import logging

from hardware.scanner.classify import DEFAULT_RULES, ClassifierRules, ScanRefused, classify
from kiosk.domain.model import DeviceHealth, DeviceState
from kiosk.domain.ports import CredentialListener

log = logging.getLogger(__name__)


class KeyboardWedgeScanner:
    name = "barcode_scanner"

    def __init__(self, rules: ClassifierRules = DEFAULT_RULES) -> None:
        self._rules = rules
        self._listener: CredentialListener | None = None

    def start(self, on_credential: CredentialListener) -> None:
        self._listener = on_credential

    def stop(self) -> None:
        self._listener = None

    def feed(self, raw: str) -> None:
        """A burst the wedge filter caught. Refusals are logged without the scanned text."""
        try:
            credential = classify(raw, self._rules)
        except ScanRefused as refused:
            log.warning("scan refused (%s)", refused.reason)
            return
        if self._listener is not None:
            self._listener(credential)

    def health(self) -> DeviceHealth:
        # A keyboard wedge cannot be asked whether it is there; it is as present as the keyboard.
        return DeviceHealth(self.name, DeviceState.OK, "keyboard wedge")
