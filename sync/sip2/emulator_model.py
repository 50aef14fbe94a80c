"""The emulator's typed state (library, rules, patrons, items, loans) and its JSON form.

:mod:`sync.sip2.emulator_data` reads and validates seed and state files into these types.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ITEM_STATUSES = ("available", "lost", "missing", "on_hold_shelf", "in_transit")

# ISO 639-2 -> SIP2 language code (3M spec, "Language" table).
LANGUAGES = {
    "und": "000", "eng": "001", "fre": "002", "fra": "002", "ger": "003", "deu": "003",
    "ita": "004", "dut": "005", "nld": "005", "swe": "006", "fin": "007", "spa": "008",
    "dan": "009", "por": "010", "nor": "012", "nob": "012", "nno": "012", "heb": "013",
    "jpn": "014", "rus": "015", "ara": "016", "pol": "017", "gre": "018", "ell": "018",
    "chi": "019", "zho": "019", "kor": "020", "tam": "022", "may": "023", "msa": "023",
    "ice": "025", "isl": "025",
}

# Free-text media types -> SIP2 media type codes (000 other ... 010 book with audio tape).
MEDIA_TYPES = {
    "other": "000", "book": "001", "magazine": "002", "journal": "003", "bound journal": "003",
    "audio tape": "004", "audiobook": "004", "cassette": "004", "video tape": "005", "vhs": "005",
    "cd": "006", "cdrom": "006", "dvd": "006", "blu-ray": "006", "bluray": "006", "game": "006",
    "music": "006", "diskette": "007", "book with diskette": "008", "book with cd": "009",
    "book with audio tape": "010",
}


@dataclass
class Library:
    institution: str = "DK-775100"
    name: str = "Demo-bibliotek"
    location: str = "hovedbiblioteket"
    currency: str = "DKK"
    time_zone: str = "Europe/Copenhagen"  # the LMS's local time: SIP2 dates without a zone are in it


@dataclass
class Rules:
    loan_days: int = 28
    max_renewals: int = 3
    fee_limit: Decimal = Decimal("200.00")
    loan_days_by_media: dict[str, int] = field(default_factory=dict)
    hold_items_limit: int = 25
    overdue_items_limit: int = 50
    charged_items_limit: int = 100

    def loan_days_for(self, media_type: str) -> int:
        return self.loan_days_by_media.get(media_type, self.loan_days)


@dataclass
class Fee:
    fee_id: str
    amount: Decimal
    description: str = "Gebyr"
    item_id: str = ""


@dataclass
class Patron:
    patron_id: str
    pin: str = ""
    name: str = ""
    birth_date: dt.date | None = None
    category: str = ""
    email: str = ""
    language: str = "000"
    blocked: bool = False
    block_message: str = ""
    fees: list[Fee] = field(default_factory=list)
    unstaffed_access: bool = True

    @property
    def fee_total(self) -> Decimal:
        return sum((f.amount for f in self.fees), Decimal("0.00"))


@dataclass
class Loan:
    patron_id: str
    due: dt.datetime
    since: dt.datetime | None = None
    renewals: int = 0


@dataclass
class ItemSnapshot:
    """An item's circulation state before the last checkout or checkin, for BI cancel."""

    loan: Loan | None
    status: str
    holds: list[str]


@dataclass
class Item:
    item_id: str
    title: str = ""
    author: str = ""
    media_type: str = ""
    owner: str = ""
    parts_in_set: int = 1
    for_loan: bool = True
    status: str = "available"
    holds: list[str] = field(default_factory=list)
    fee: Decimal | None = None
    location: str = ""
    call_number: str = ""
    loan: Loan | None = None
    returned_at: dt.datetime | None = None
    undo: ItemSnapshot | None = None

    @property
    def media_code(self) -> str:
        text = self.media_type.strip().lower()
        if len(text) == 3 and text.isdigit():
            return text
        return MEDIA_TYPES.get(text, "000")


@dataclass
class EmulatorData:
    library: Library = field(default_factory=Library)
    rules: Rules = field(default_factory=Rules)
    patrons: dict[str, Patron] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    next_transaction: int = 1

    def loans_of(self, patron_id: str) -> list[Item]:
        """The patron's loans, oldest first (then by item id)."""
        loans = [i for i in self.items.values() if i.loan is not None and i.loan.patron_id == patron_id]
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return sorted(loans, key=lambda i: (i.loan.since or epoch if i.loan else epoch, i.item_id))

    def new_transaction_id(self) -> str:
        number = self.next_transaction
        self.next_transaction += 1
        return f"T{number:08d}"


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _loan_dict(loan: Loan, *, patron: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"patron": loan.patron_id} if patron else {}
    out |= {"due": loan.due.isoformat(), "renewals": loan.renewals}
    if loan.since is not None:
        out["since"] = loan.since.isoformat()
    return out


def _snapshot_dict(snapshot: ItemSnapshot) -> dict[str, Any]:
    out: dict[str, Any] = {"status": snapshot.status, "holds": list(snapshot.holds)}
    if snapshot.loan is not None:
        out["loan"] = _loan_dict(snapshot.loan, patron=True)
    return out


def data_to_dict(data: EmulatorData) -> dict[str, Any]:
    """The state as a JSON-ready document that :func:`parse_data` reads back."""
    lib, rules = data.library, data.rules
    patrons = []
    for p in data.patrons.values():
        entry: dict[str, Any] = {
            "id": p.patron_id, "pin": p.pin, "name": p.name, "category": p.category,
            "email": p.email, "language": p.language, "blocked": p.blocked,
            "block_message": p.block_message, "unstaffed_access": p.unstaffed_access,
            "fees": [{"id": f.fee_id, "amount": _money(f.amount), "description": f.description,
                      "item": f.item_id} for f in p.fees],
        }
        if p.birth_date is not None:
            entry["birth_date"] = p.birth_date.isoformat()
        patrons.append(entry)
    items = []
    for i in data.items.values():
        item: dict[str, Any] = {
            "id": i.item_id, "title": i.title, "author": i.author, "media_type": i.media_type,
            "owner": i.owner, "parts_in_set": i.parts_in_set, "for_loan": i.for_loan,
            "status": i.status, "holds": list(i.holds), "location": i.location,
            "call_number": i.call_number,
        }
        if i.fee is not None:
            item["fee"] = _money(i.fee)
        if i.loan is not None:
            item["loan"] = _loan_dict(i.loan, patron=True)
        if i.returned_at is not None:
            item["returned_at"] = i.returned_at.isoformat()
        if i.undo is not None:
            item["undo"] = _snapshot_dict(i.undo)
        items.append(item)
    return {
        "library": {"institution": lib.institution, "name": lib.name, "location": lib.location,
                    "currency": lib.currency, "time_zone": lib.time_zone},
        "rules": {"loan_days": rules.loan_days, "max_renewals": rules.max_renewals,
                  "fee_limit": _money(rules.fee_limit), "loan_days_by_media": rules.loan_days_by_media,
                  "hold_items_limit": rules.hold_items_limit,
                  "overdue_items_limit": rules.overdue_items_limit,
                  "charged_items_limit": rules.charged_items_limit},
        "patrons": patrons,
        "items": items,
        "next_transaction": data.next_transaction,
    }


def save_data(data: EmulatorData, path: Path | str) -> None:
    """Write the state as JSON atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    text = json.dumps(data_to_dict(data), ensure_ascii=False, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
