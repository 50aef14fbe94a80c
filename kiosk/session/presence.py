"""Who is at the terminal right now: the card, the patron once known, the PIN while it is needed,
what they came for and what lies on the pad. The parts of the session share this one record; the
privacy reset (:mod:`kiosk.session.idle`) empties it."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.circulation.view import Purpose
from kiosk.domain.model import Credential, Patron, Tag


@dataclass
class Presence:
    credential: Credential | None = None
    patron: Patron | None = None
    pin: str | None = None
    purpose: Purpose | None = None
    # Bumped whenever the person changes or gives up: an answer that comes back for an older
    # generation belongs to someone who has left, and is dropped.
    generation: int = 0
    tags: tuple[Tag, ...] = ()  # on the pad now (a device fact, kept across patrons)
    chosen_language: str | None = None  # chosen on the screen during this visit

    def chose_language(self, language: str) -> None:
        self.chosen_language = language

    def forget(self) -> None:
        self.generation += 1
        self.credential = self.patron = self.pin = None
        self.purpose = None
        self.chosen_language = None
