"""Seed data and state of the SIP2 LMS emulator: loading, validating, saving.

The seed is TOML (``.toml``) or JSON (``.json``); the saved state is the same format in JSON with
the run-time fields filled in, so a state file is also a valid seed. Every table is optional except
that patrons and items need ``id``. Unknown keys, wrong types and dangling references raise
:class:`EmulatorDataError` naming the file and the key (e.g. ``lms.toml: patrons[2].fees: ...``)::

    [library]
    institution = "DK-775100"            # AO
    name = "Aarhus Kommunes Biblioteker"  # AM in 98
    location = "hovedbiblioteket"         # AN in 98, AQ/CT in 10, default item owner
    currency = "DKK"                      # BH
    time_zone = "Europe/Copenhagen"       # the LMS's local time: dates without a zone are in it

    [rules]
    loan_days = 28
    max_renewals = 3
    fee_limit = "200.00"                  # fees above it: patron status pos 10 'Y', checkout refused
    hold_items_limit = 25                 # BZ
    overdue_items_limit = 50              # CA
    charged_items_limit = 100             # CB; at the limit checkout is refused (pos 5 'Y')
    [rules.loan_days_by_media]            # optional, e.g. dvd = 7
    dvd = 7

    [[patrons]]
    id = "1000000001"                     # AA
    pin = "1234"                          # AD
    name = "Jensen, Anna"                 # AE
    birth_date = 1988-04-12               # PB (TOML date or "YYYY-MM-DD")
    category = "adult"                    # PC
    email = "anna@example.org"            # BE
    language = "dan"                      # ISO 639-2 or a 3-digit SIP code ("dan" -> "009")
    blocked = false                       # patron status pos 0-3 'Y'
    block_message = "Kontakt personalet"  # AF when blocked
    fees = "350.00"                       # one fee (the state writes a list of fees)
    unstaffed_access = true               # vendor field ZU in 64
    loans = [{ item = "5010000001", due = 2026-12-01 }]   # also: since, renewals

    [[items]]
    id = "5010000001"                     # AB
    title = "Kongens Fald"                # AJ
    author = "Johannes V. Jensen"
    media_type = "book"                   # CK: book 001, magazine 002, dvd/cd 006, ...
    owner = "DK-775160"                   # BG; another branch -> transit on checkin
    parts_in_set = 1                      # CH "parts=N"
    for_loan = true
    status = "available"                  # available, lost, missing, on_hold_shelf, in_transit
    holds = ["1000000002"]                # hold queue, first in line first
    fee = "10.00"                         # rental fee: checkout needs BO=Y
    location = "Voksen, skønlitteratur"
    call_number = "99.4 Jensen"           # CS

The saved state adds, per item, ``loan = {patron, due, since, renewals}``, ``returned_at`` and
``undo`` (the state before the last checkout/checkin, for BI cancel), writes ``fees`` as a list and
keeps ``next_transaction`` (the BK counter) at the top level.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.domain.errors import ConfigError
from sync.sip2.emulator_model import (
    ITEM_STATUSES,
    LANGUAGES,
    EmulatorData,
    Fee,
    Item,
    ItemSnapshot,
    Library,
    Loan,
    Patron,
    Rules,
    data_to_dict,
    save_data,
)

__all__ = ["EmulatorData", "EmulatorDataError", "Fee", "Item", "ItemSnapshot", "Library", "Loan",
           "Patron", "Rules", "data_to_dict", "load_data", "parse_data", "save_data"]


class EmulatorDataError(ConfigError, ValueError):
    """Seed or state data that cannot be used. The message names the file and the key."""


T = TypeVar("T")


class _Reader:
    """One table of the input, with its place for error messages."""

    def __init__(self, source: str, where: str, table: object) -> None:
        self.source, self.where = source, where
        if not isinstance(table, Mapping):
            self.fail("", f"expected a table, got {type(table).__name__}")
        self.table: Mapping[str, Any] = table

    def fail(self, key: str, why: str) -> NoReturn:
        place = f"{self.where}.{key}" if self.where and key else (self.where or key)
        raise EmulatorDataError(f"{self.source}: {place}: {why}")

    def only(self, *keys: str) -> None:
        for key in self.table:
            if key not in keys:
                self.fail(str(key), f"unknown key (expected one of: {', '.join(keys)})")

    def get(self, key: str, kind: type[T], default: T) -> T:
        value = self.table.get(key, default)
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.fail(key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        if required and key not in self.table:
            self.fail(key, "missing")
        value = self.table.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool) and key == "id":
            return str(value)
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {type(value).__name__}")
        if required and not value.strip():
            self.fail(key, "must not be empty")
        return str(value)

    def number(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.get(key, int, default)
        if value < minimum:
            self.fail(key, f"must be at least {minimum}")
        return value

    def money(self, key: str, default: Decimal | None) -> Decimal | None:
        value = self.table.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(key, f"expected a decimal string such as \"10.00\", got {type(value).__name__}")
        try:
            amount = Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount < 0:
            self.fail(key, f"not a non-negative amount: {value!r}")
        return amount.quantize(Decimal("0.01"))

    def date(self, key: str) -> dt.date | None:
        value = self.table.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(key, f"expected a date YYYY-MM-DD, got {value!r}")

    def moment(self, key: str, *, required: bool = False) -> dt.datetime | None:
        """A date (end of that day, local time) or a date-time (naive means local)."""
        value = self.table.get(key)
        if value is None:
            if required:
                self.fail(key, "missing")
            return None
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value) if "T" in value or " " in value \
                    else dt.date.fromisoformat(value)
            except ValueError:
                self.fail(key, f"expected a date or date-time, got {value!r}")
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.astimezone()
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time(23, 59, 59)).astimezone()
        self.fail(key, f"expected a date or date-time, got {type(value).__name__}")

    def children(self, key: str) -> list[_Reader]:
        value = self.table.get(key, [])
        if not isinstance(value, list):
            self.fail(key, f"expected a list of tables, got {type(value).__name__}")
        return [_Reader(self.source, f"{self.where + '.' if self.where else ''}{key}[{n}]", v)
                for n, v in enumerate(value)]

    def strings(self, key: str) -> list[str]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "expected a list of strings")
        return [str(v) for v in value]


def _language(reader: _Reader) -> str:
    value = reader.text("language", "000").strip().lower()
    if len(value) == 3 and value.isdigit():
        return value
    if value not in LANGUAGES:
        reader.fail("language", f"unknown language {value!r} (use e.g. dan, eng or a SIP code)")
    return LANGUAGES[value]


def _fees(reader: _Reader, patron_id: str) -> list[Fee]:
    """``fees = "350.00"`` (one fee, seed style) or a list of fee tables (state style)."""
    if not isinstance(reader.table.get("fees"), list):
        amount = reader.money("fees", Decimal("0.00")) or Decimal("0.00")
        return [Fee(f"F{patron_id}-1", amount)] if amount > 0 else []
    fees = []
    for fee in reader.children("fees"):
        fee.only("id", "amount", "description", "item")
        fees.append(Fee(fee.text("id", required=True), fee.money("amount", None) or Decimal("0.00"),
                        fee.text("description", "Gebyr"), fee.text("item")))
    return fees


def _loan(reader: _Reader, patron_id: str) -> tuple[str, Loan]:
    """A loan in a patron's ``loans`` list (seed style)."""
    reader.only("item", "due", "since", "renewals")
    due = reader.moment("due", required=True)
    assert due is not None
    return reader.text("item", required=True), Loan(
        patron_id, due, reader.moment("since"), reader.number("renewals", 0))


def _item_loan(reader: _Reader) -> Loan:
    """A loan on an item (state style)."""
    reader.only("patron", "due", "since", "renewals")
    due = reader.moment("due", required=True)
    assert due is not None
    return Loan(reader.text("patron", required=True), due, reader.moment("since"),
                reader.number("renewals", 0))


def _snapshot(reader: _Reader) -> ItemSnapshot:
    reader.only("loan", "status", "holds")
    raw = reader.table.get("loan")
    loan = None if raw is None else _item_loan(_Reader(reader.source, f"{reader.where}.loan", raw))
    return ItemSnapshot(loan, reader.text("status", "available"), reader.strings("holds"))


def parse_data(raw: object, source: str) -> EmulatorData:
    """Validate a decoded seed or state document. ``source`` names it in error messages."""
    top = _Reader(source, "", raw)
    top.only("library", "rules", "patrons", "items", "next_transaction")
    lib = _Reader(source, "library", top.table.get("library", {}))
    lib.only("institution", "name", "location", "currency", "time_zone")
    defaults = Library()
    library = Library(lib.text("institution", defaults.institution), lib.text("name", defaults.name),
                      lib.text("location", defaults.location), lib.text("currency", defaults.currency),
                      lib.text("time_zone", defaults.time_zone))
    try:
        ZoneInfo(library.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise EmulatorDataError(f"{source}: library.time_zone: unknown zone {library.time_zone!r}") from None
    rules = _rules(_Reader(source, "rules", top.table.get("rules", {})))
    data = EmulatorData(library, rules, next_transaction=top.number("next_transaction", 1, 1))
    pending_loans: list[tuple[_Reader, str, Loan]] = []
    for p in top.children("patrons"):
        p.only("id", "pin", "name", "birth_date", "category", "email", "language", "blocked",
               "block_message", "fees", "unstaffed_access", "loans")
        pid = p.text("id", required=True)
        if pid in data.patrons:
            p.fail("id", f"duplicate patron id {pid!r}")
        data.patrons[pid] = Patron(
            pid, p.text("pin"), p.text("name"), p.date("birth_date"), p.text("category"),
            p.text("email"), _language(p), p.get("blocked", bool, False), p.text("block_message"),
            _fees(p, pid), p.get("unstaffed_access", bool, True))
        pending_loans += [(loan, *_loan(loan, pid)) for loan in p.children("loans")]
    for i in top.children("items"):
        _add_item(data, i)
    for reader, item_id, loan in pending_loans:
        item = data.items.get(item_id)
        if item is None:
            reader.fail("item", f"unknown item {item_id!r}")
        elif item.loan is not None:
            reader.fail("item", f"item {item_id!r} is already on loan")
        else:
            item.loan = loan
    return data


def _rules(r: _Reader) -> Rules:
    r.only("loan_days", "max_renewals", "fee_limit", "loan_days_by_media", "hold_items_limit",
           "overdue_items_limit", "charged_items_limit")
    d = Rules()
    by_media = _Reader(r.source, "rules.loan_days_by_media", r.table.get("loan_days_by_media", {}))
    return Rules(
        r.number("loan_days", d.loan_days, 1), r.number("max_renewals", d.max_renewals),
        r.money("fee_limit", d.fee_limit) or Decimal("0.00"),
        {str(k): by_media.number(str(k), 0, 1) for k in by_media.table},
        r.number("hold_items_limit", d.hold_items_limit),
        r.number("overdue_items_limit", d.overdue_items_limit),
        r.number("charged_items_limit", d.charged_items_limit))


def _add_item(data: EmulatorData, i: _Reader) -> None:
    i.only("id", "title", "author", "media_type", "owner", "parts_in_set", "for_loan", "status",
           "holds", "fee", "location", "call_number", "loan", "returned_at", "undo")
    iid = i.text("id", required=True)
    if iid in data.items:
        i.fail("id", f"duplicate item id {iid!r}")
    status = i.text("status", "available")
    if status not in ITEM_STATUSES:
        i.fail("status", f"unknown status {status!r} (expected one of: {', '.join(ITEM_STATUSES)})")
    holds = i.strings("holds")
    for patron_id in holds:
        if patron_id not in data.patrons:
            i.fail("holds", f"unknown patron {patron_id!r}")
    item = Item(iid, i.text("title"), i.text("author"), i.text("media_type"),
                i.text("owner", data.library.location), i.number("parts_in_set", 1, 1),
                i.get("for_loan", bool, True), status, holds, i.money("fee", None),
                i.text("location"), i.text("call_number"), returned_at=i.moment("returned_at"))
    if i.table.get("loan") is not None:
        loan_reader = _Reader(i.source, f"{i.where}.loan", i.table["loan"])
        item.loan = _item_loan(loan_reader)
        if item.loan.patron_id not in data.patrons:
            loan_reader.fail("patron", f"unknown patron {item.loan.patron_id!r}")
    if i.table.get("undo") is not None:
        item.undo = _snapshot(_Reader(i.source, f"{i.where}.undo", i.table["undo"]))
    data.items[iid] = item


def _parse_file(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EmulatorDataError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EmulatorDataError(f"{path}: cannot be read: {exc}") from None
    readers: dict[str, Callable[[str], object]] = {".toml": tomllib.loads, ".json": json.loads}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise EmulatorDataError(f"{path}: unknown format (use .toml or .json)")
    try:
        return reader(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise EmulatorDataError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None


def load_data(path: Path | str) -> EmulatorData:
    """Read and validate a seed (``.toml`` or ``.json``) or a saved state (``.json``)."""
    path = Path(path)
    return parse_data(_parse_file(path), path.name)
