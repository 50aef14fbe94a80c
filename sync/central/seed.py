"""Seed data for the central service: a TOML file like ``config/demo/central.toml``.

::

    [central]
    access_list_key = "…64 hex digits…"   # the municipality's key for patron tokens
    calendar = "calendar.toml"            # every branch of this calendar file (relative to this file)

    [[terminals]]                         # id and free-form settings
    id = "demo-1"
    settings = { central = { heartbeat_every_s = 60 } }  # a terminal-level configuration revision

    [[patrons]]                           # card, pin; category, birth_date, blocked, consent, expires
    card = "1000000001"
    pin = "1234"

    [[staff]]                             # cards that open staff mode: card, pin, role (branches)
    card = "9900000003"
    pin = "8642"
    role = "technician"

    [[accounts]]                          # staff of the administration web: user, password, role
    user = "admin"                        # (and branches; default all)
    password = "demo-admin-2026"
    role = "administrator"

    [[print_jobs]]                        # id, card, title, pages (color: a coloured first page);
                                          # made into a real document, priced as an upload is
    id = "pj-1001"
    card = "1000000001"
    title = "Ansøgning.pdf"
    pages = 2

    [[balances]]                          # a patron's prepaid print balance: card, amount
    card = "1000000001"
    amount = "25.00"

Every problem is a :class:`~kiosk.domain.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kiosk.domain.errors import ConfigError
from kiosk.settings.tomlfile import read_toml
from sync.central.sample_documents import sample_document
from sync.central.service import CentralService

PATRON_KEYS = {"card", "pin", "category", "birth_date", "blocked", "consent", "expires"}
SEED_KEEP = dt.timedelta(days=3650)  # a seeded print job's document is kept (the demo's)
JOB_KEYS = {"id", "card", "title", "pages", "copies", "color", "duplex", "price", "currency", "submitted_at",
            "state"}


@dataclass(frozen=True)
class Seed:
    access_list_key: bytes | None
    calendars: dict[str, dict[str, Any]]
    terminals: dict[str, dict[str, Any]]
    patrons: tuple[dict[str, Any], ...]
    print_jobs: tuple[dict[str, Any], ...]
    accounts: tuple[dict[str, Any], ...] = ()
    staff: tuple[dict[str, Any], ...] = ()
    balances: tuple[dict[str, Any], ...] = ()


def load_seed(path: Path) -> Seed:
    data = read_toml(path, "central seed")
    unknown = sorted(data.keys() - {"central", "terminals", "patrons", "print_jobs", "accounts",
                                  "staff", "balances"})
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]}: unknown table")
    central = _table(data.get("central", {}), path, "central", {"access_list_key", "calendar"})
    key = None
    if "access_list_key" in central:
        try:
            key = bytes.fromhex(_typed(central["access_list_key"], str, path, "central.access_list_key"))
        except ValueError:
            raise ConfigError(f"{path}: central.access_list_key: not hex digits") from None
        if len(key) < 16:
            raise ConfigError(f"{path}: central.access_list_key: at least 16 bytes (32 hex digits)")
    calendars: dict[str, dict[str, Any]] = {}
    if "calendar" in central:
        calendar_path = path.parent / _typed(central["calendar"], str, path, "central.calendar")
        branches = read_toml(calendar_path, "calendar").get("branches", {})
        calendars = {str(branch): dict(table) for branch, table in branches.items()}
    terminals = {}
    for index, terminal in enumerate(_list(data, "terminals", path)):
        where = f"terminals[{index}]"
        terminal = _table(terminal, path, where, {"id", "settings"}, required={"id"})
        terminals[_typed(terminal["id"], str, path, f"{where}.id")] = dict(
            _typed(terminal.get("settings", {}), dict, path, f"{where}.settings"))
    patrons = tuple(_patron(patron, path, f"patrons[{index}]")
                    for index, patron in enumerate(_list(data, "patrons", path)))
    jobs = tuple(_job(job, path, f"print_jobs[{index}]")
                 for index, job in enumerate(_list(data, "print_jobs", path)))
    accounts = []
    for index, account in enumerate(_list(data, "accounts", path)):
        where = f"accounts[{index}]"
        account = _table(account, path, where, {"user", "password", "role", "branches"},
                         required={"user", "password", "role"})
        accounts.append({"username": _typed(account["user"], str, path, f"{where}.user"),
                         "password": _typed(account["password"], str, path, f"{where}.password"),
                         "role": _typed(account["role"], str, path, f"{where}.role"),
                         "branches": tuple(_typed(account.get("branches", ["*"]), list, path,
                                                  f"{where}.branches"))})
    staff = []
    for index, card in enumerate(_list(data, "staff", path)):
        where = f"staff[{index}]"
        card = _table(card, path, where, {"card", "pin", "role", "branches"},
                      required={"card", "pin", "role"})
        staff.append({"card_number": _typed(card["card"], str, path, f"{where}.card"),
                      "pin": _typed(card["pin"], str, path, f"{where}.pin"),
                      "role": _typed(card["role"], str, path, f"{where}.role"),
                      "branches": tuple(_typed(card.get("branches", ["*"]), list, path,
                                               f"{where}.branches"))})
    balances = []
    for index, balance in enumerate(_list(data, "balances", path)):
        where = f"balances[{index}]"
        balance = _table(balance, path, where, {"card", "amount"}, required={"card", "amount"})
        amount = _typed(balance["amount"], str, path, f"{where}.amount")
        try:
            if Decimal(amount) <= 0:
                raise InvalidOperation
        except InvalidOperation:
            raise ConfigError(f"{path}: {where}.amount: an amount above 0 like \"25.00\"") from None
        balances.append({"card": _typed(balance["card"], str, path, f"{where}.card"), "amount": amount})
    return Seed(key, calendars, terminals, patrons, jobs, tuple(accounts), tuple(staff), tuple(balances))


def apply_seed(seed: Seed, central: CentralService) -> None:
    """Put the seed into the service's database (slow-hashing every patron's PIN)."""
    for branch, calendar in seed.calendars.items():
        central.set_calendar(branch, calendar)
    for terminal_id, settings in seed.terminals.items():
        central.set_terminal_config(terminal_id, settings)
    for patron in seed.patrons:
        central.upsert_patron(**patron)
    for account in seed.accounts:
        central.add_account(**account)
    for card in seed.staff:
        central.add_staff(**card, by="seed")
    for job in seed.print_jobs:
        # A real document (its pages, colour and price read as an upload's are), kept for years: the
        # demo's jobs print at the kiosk like any other.
        document = sample_document(job["title"], job["pages"], colour=job.get("color", False))
        central.send_to_print(document, job["title"], card=job["card"], job_id=job["id"],
                              now=job.get("submitted_at"), keep=SEED_KEEP)
    for balance in seed.balances:
        central.top_up(balance["card"], balance["amount"], by="seed", reason="demo")


def _patron(value: Any, path: Path, where: str) -> dict[str, Any]:
    patron = _table(value, path, where, PATRON_KEYS, required={"card", "pin"})
    out: dict[str, Any] = {"card_number": _typed(patron["card"], str, path, f"{where}.card"),
                           "pin": _typed(patron["pin"], str, path, f"{where}.pin")}
    for name, kind in (("category", str), ("blocked", bool), ("consent", bool)):
        if name in patron:
            out[name] = _typed(patron[name], kind, path, f"{where}.{name}")
    for name in ("birth_date", "expires"):
        if name in patron:
            out[name] = _date(patron[name], path, f"{where}.{name}")
    return out


def _job(value: Any, path: Path, where: str) -> dict[str, Any]:
    job = _table(value, path, where, JOB_KEYS, required={"id", "card", "title", "pages"})
    out: dict[str, Any] = {}
    for name, kind in (("id", str), ("card", str), ("title", str), ("pages", int), ("copies", int),
                       ("color", bool), ("duplex", bool), ("currency", str), ("state", str)):
        if name in job:
            out[name] = _typed(job[name], kind, path, f"{where}.{name}")
    if "price" in job:
        try:
            out["price"] = Decimal(_typed(job["price"], str, path, f"{where}.price"))
        except InvalidOperation:
            raise ConfigError(f"{path}: {where}.price: not a decimal like \"6.00\"") from None
    if "submitted_at" in job:
        when = job["submitted_at"]
        if not isinstance(when, dt.datetime) or when.tzinfo is None:
            raise ConfigError(f"{path}: {where}.submitted_at: a time with an offset, "
                              "like 2026-11-25T09:14:00+01:00")
        out["submitted_at"] = when
    if out.get("state", "held") not in ("held", "released", "printed", "failed", "cancelled"):
        raise ConfigError(f"{path}: {where}.state: one of held, released, printed, failed, cancelled")
    return out


def _list(data: dict[str, Any], name: str, path: Path) -> list[Any]:
    return list(_typed(data.get(name, []), list, path, name))


def _table(value: Any, path: Path, where: str, allowed: set[str],
           required: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    table: dict[str, Any] = _typed(value, dict, path, where)
    if unknown := sorted(table.keys() - allowed):
        raise ConfigError(f"{path}: {where}.{unknown[0]}: unknown key")
    if missing := sorted(required - table.keys()):
        raise ConfigError(f"{path}: {where}.{missing[0]}: missing")
    return table


def _typed(value: Any, kind: type, path: Path, where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: {where}: a {kind.__name__} is required (got {value!r})")
    return value


def _date(value: Any, path: Path, where: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ConfigError(f"{path}: {where}: a date like 2028-12-31 is required")
    return value
