"""What every emulator handler shares: the request context, the record, the screen texts.

Screen messages (AF) are Danish, then English after `` / ``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sync.sip2.codec import Message, format_date, parse_date
from sync.sip2.emulator_model import EmulatorData, Item, Patron

TEXT = {
    "unknown_item": "Ukendt materiale / Unknown item",
    "unknown_patron": "Ukendt låner / Unknown patron",
    "wrong_pin": "Forkert pinkode / Wrong PIN",
    "blocked": "Dit lånerkort er spærret. Kontakt personalet / Your card is blocked. Please ask staff",
    "fees": "Du har gebyrer over grænsen / Your fees are over the limit",
    "limit": "Du har lånt det største antal materialer / You have reached the loan limit",
    "not_for_loan": "Materialet kan ikke lånes / This item cannot be borrowed",
    "reserved": "Materialet er reserveret til en anden låner / Reserved for another patron",
    "lost": "Materialet er registreret som tabt / The item is registered as lost",
    "missing": "Materialet er registreret som savnet / The item is registered as missing",
    "on_loan_other": "Materialet er udlånt til en anden låner / The item is on loan to another patron",
    "already_yours": "Du har allerede lånt materialet / You already have this item",
    "not_yours": "Materialet er ikke udlånt til dig / The item is not on loan to you",
    "max_renewals": "Materialet kan ikke fornyes flere gange / No more renewals allowed",
    "checked_out": "Udlånt / Checked out",
    "renewed": "Fornyet / Renewed",
    "checked_in": "Afleveret / Checked in",
    "not_on_loan": "Materialet var ikke udlånt / The item was not on loan",
    "hold_shelf": "Materialet skal på reserveringshylden / Put the item on the hold shelf",
    "transit": "Materialet skal sendes til {owner} / Send the item to {owner}",
    "cancelled": "Annulleret / Cancelled",
    "nothing_to_cancel": "Intet at annullere / Nothing to cancel",
    "goodbye": "Tak for besøget / Thank you for your visit",
    "paid": "Betaling modtaget / Payment received",
    "payment_refused": "Betalingen kan ikke modtages / The payment cannot be accepted",
    "hold_placed": "Reservering oprettet / Hold placed",
    "hold_cancelled": "Reservering slettet / Hold cancelled",
    "no_such_hold": "Ingen reservering fundet / No such hold",
    "title_hold": "Titelreservering understøttes ikke / Title holds are not supported",
    "welcome": "Demo-LMS klar / Demo LMS ready",
}


def fee_text(amount: Decimal) -> str:
    danish = f"{amount:.2f}".replace(".", ",")
    return f"Lån af dette materiale koster {danish} kr. / Borrowing this item costs {amount:.2f} DKK"


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


@dataclass(frozen=True)
class TransactionRecord:
    """What the emulator did with one request, for tests to assert on (no PIN, no name)."""

    command: str
    patron: str = ""
    item: str = ""
    ok: bool = True
    detail: str = ""


@dataclass
class Outcome:
    response: Message
    record: TransactionRecord
    mutated: bool = False


@dataclass
class Context:
    """The state and the moment one request is handled in."""

    data: EmulatorData
    now: dt.datetime

    @property
    def zone(self) -> ZoneInfo:
        """The LMS's local time zone: dates without a zone are read and written in it."""
        return ZoneInfo(self.data.library.time_zone)

    @property
    def date(self) -> str:
        return format_date(self.now, self.zone)

    def patron(self, request: Message) -> Patron | None:
        return self.data.patrons.get(request.get("AA"))

    def item(self, request: Message) -> Item | None:
        return self.data.items.get(request.get("AB"))

    @staticmethod
    def pin_wrong(patron: Patron, request: Message) -> bool:
        """True only when a PIN was given and it is wrong (AD is optional in 11, 29, 63...)."""
        return request.has("AD") and request.get("AD") != patron.pin

    def due_from(self, start: dt.datetime, item: Item) -> dt.datetime:
        zone = self.zone
        days = self.data.rules.loan_days_for(item.media_type)
        day = start.astimezone(zone).date() + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)

    def overdue(self, item: Item) -> bool:
        return item.loan is not None and item.loan.due < self.now

    def when(self, text: str) -> dt.datetime | None:
        """An 18-character SIP date from a request, made timezone-aware."""
        parsed = parse_date(text, self.zone)
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed


Handler = Callable[[Context, Message], Outcome]
