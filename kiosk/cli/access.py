"""``library-kiosk access``: explain an access decision rule by rule; revoke cards; add staff cards.

``check`` asks the demo LMS (config/demo/lms.toml, in memory) unless ``--lms-seed`` or ``--sip2``
says otherwise, so it needs no server. Exit status: 0 allowed, 1 refused, 2 bad input. The PIN is
never printed; the card number only masked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from kiosk.bootstrap.door import access_rules
from kiosk.cli.args import LANGUAGES
from kiosk.domain.errors import ConfigError, KioskError, LmsError
from kiosk.domain.model import AuthResult, Credential, CredentialKind, Patron
from kiosk.domain.ports import LibrarySystem
from kiosk.door.access_model import AccessDecision, Verdict
from kiosk.door.access_rules import Pseudonym
from kiosk.door.calendar import BranchCalendar, OpeningKind
from kiosk.settings import CONFIG_DIR, AccessSettings, load_access_settings
from kiosk.settings.calendar import load_calendar
from kiosk.store.access_lists import revoke, staff_entry
from kiosk.store.keys import pseudonymizer
from kiosk.testing.memory_lms import MemoryLibrarySystem

DEMO_RULES = CONFIG_DIR / "demo" / "access.toml"
DEMO_SEED = CONFIG_DIR / "demo" / "lms.toml"
DEMO_CALENDAR = CONFIG_DIR / "demo" / "calendar.toml"

# host, port -> an LMS over SIP2; the composition root (kiosk/cli.py) passes one in.
Sip2Connector = Callable[[str, int], LibrarySystem]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="access_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="explain, rule by rule, whether a card may come in")
    check.add_argument("--credential", required=True, help="card number, barcode or CPR number")
    check.add_argument("--kind", choices=[k.value for k in CredentialKind], default="card_uid",
                       help="how the card was read (health_card: the number is a CPR number)")
    check.add_argument("--pin", help="the PIN (never printed)")
    check.add_argument("--at", help="local time, e.g. 2026-11-25T20:15 (default: now)")
    check.add_argument("--rules", type=Path, default=DEMO_RULES, help="rules file with an [access] table")
    lms = check.add_mutually_exclusive_group()
    lms.add_argument("--lms-seed", type=Path, help="LMS seed file for the in-memory LMS (default: demo)")
    lms.add_argument("--sip2", metavar="HOST:PORT", help="ask a real LMS over SIP2")
    check.add_argument("--calendar", type=Path, default=DEMO_CALENDAR,
                       help="the opening calendar that says what hours it is at --at (default: demo)")
    check.add_argument("--branch", help="branch id in the calendar file (default: its only branch)")
    check.add_argument("--opening", choices=[k.value for k in OpeningKind], default=None,
                       help="pretend it is these hours, whatever the calendar says")
    check.add_argument("--lang", choices=LANGUAGES, default="da")
    _data_dir(check)

    for name, text in (("revoke", "add a card to the revocation list (stored as a token)"),
                       ("staff-add", "add a staff or cleaner card to the whitelist (PIN asked for)")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--credential", required=True, help="card number")
        action.add_argument("--file", type=Path, required=True, help="the list file to add to")
        if name == "staff-add":
            action.add_argument("--role", default="staff", help="a role, not a name: cleaner, staff, ...")
            action.add_argument("--not-when-closed", action="store_true",
                                help="only in unstaffed hours, not when the branch is closed")
        _data_dir(action)


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path,
                        help="the terminal's data folder, where the pseudonym key is (default: demo)")


def run(args: argparse.Namespace, *, connect_sip2: Sip2Connector | None = None) -> int:
    try:
        if args.access_command == "check":
            return _check(args, connect_sip2)
        pseudonym = _pseudonym(args.data_dir)
        if args.access_command == "revoke":
            token = revoke(args.file, args.credential, pseudonym, dt.date.today())
            print(f"revoked: token {token[:8]}… in {args.file}")
            return 0
        pin = getpass.getpass("PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
        if not (pin.isascii() and pin.isdigit()):
            print("library-kiosk access: the PIN must be digits", file=sys.stderr)
            return 2
        entry = staff_entry(args.credential, pin, pseudonym, args.role, not args.not_when_closed)
        with args.file.open("a", encoding="utf-8") as file:
            file.write("\n" + entry.to_toml())
        print(f"added {entry.role}: token {entry.token[:8]}… to {args.file}")
        return 0
    except KioskError as exc:
        print(f"library-kiosk access: {exc}", file=sys.stderr)
        return 2


def _pseudonym(data_dir: Path | None) -> Pseudonym:
    """The installation's pseudonym key, from the terminal's database (the demo's by default)."""
    from kiosk.bootstrap.paths import locations
    from kiosk.settings import load_settings
    from kiosk.store import open_store

    if data_dir is None:
        data_dir = locations(load_settings(CONFIG_DIR / "demo" / "terminal.toml"), "demo").data_dir
    store = open_store(data_dir / "kiosk.sqlite3")
    try:
        return pseudonymizer(store)
    finally:
        store.close()


def _when(text: str | None, settings: AccessSettings) -> dt.datetime:
    if text is None:
        return dt.datetime.now(settings.zone)
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--at: {text!r} is not a time like 2026-11-25T20:15") from None
    return at.replace(tzinfo=settings.zone) if at.tzinfo is None else at


def _check(args: argparse.Namespace, connect_sip2: Sip2Connector | None) -> int:
    settings = load_access_settings(args.rules)
    at = _when(args.at, settings)
    if args.opening is not None:
        opening, hours = OpeningKind(args.opening), f"{args.opening} hours (as given)"
    else:  # what the branch's calendar says it is at that moment: Christmas Day is closed
        branch_id, branch = load_calendar(args.calendar).pick(args.branch)
        opening = BranchCalendar(branch).opening_at(at)
        hours = f"{opening.value.replace('_', ' ')} hours (calendar of {branch_id})"
    lists = settings.revocation_list or settings.staff_list
    rules = access_rules(settings, _pseudonym(args.data_dir) if lists else None)
    credential = Credential(CredentialKind(args.kind), args.credential.strip())
    if not credential.value:
        raise ConfigError("--credential: empty")
    if args.sip2:
        if connect_sip2 is None:
            raise ConfigError("--sip2: not available here")
        host, _, port = args.sip2.rpartition(":")
        if not host or not (port.isascii() and port.isdigit()):
            raise ConfigError(f"--sip2: {args.sip2!r} is not HOST:PORT")
        lms = connect_sip2(host, int(port))
        source = f"SIP2 {host}:{port}"
    else:
        seed_path = args.lms_seed or DEMO_SEED
        lms, source = seeded_lms(_read_seed(seed_path)), f"in-memory LMS from {seed_path.name}"
    auth: AuthResult | None
    try:
        auth = lms.authenticate_patron(credential, args.pin)
    except LmsError as exc:
        auth, source = None, f"{source}: no answer ({type(exc).__name__})"
    decision = rules.decide(credential, auth, opening, at, args.lang, pin=args.pin)
    print(explain(decision, credential, at.astimezone(settings.zone), hours, source))
    return 0 if decision.allowed else 1


def explain(decision: AccessDecision, credential: Credential, local: dt.datetime, hours: str,
            source: str) -> str:
    """The decision as staff read it: every rule, its verdict and why; then what the patron sees."""
    lines = [f"Access check: {credential} at {local:%a %Y-%m-%d %H:%M %Z}, {hours}, {source}"]
    decided = False
    for result in decision.trace:
        verdict = result.verdict.value.upper() if result.verdict in (Verdict.REFUSE, Verdict.ALLOW) \
            else result.verdict.value
        after = "  (after the decision)" if decided else ""
        reason = f"{result.reason.value}: " if result.verdict is Verdict.REFUSE else ""
        lines.append(f"  {result.rule:<16} {verdict:<7} {reason}{result.detail}{after}")
        decided = decided or result.rule == decision.rule
    outcome = "ALLOWED" if decision.allowed else "REFUSED"
    lines += [f"Decision: {outcome} ({decision.reason.value}, rule {decision.rule})",
              f"Patron sees ({decision.language}): {decision.message}",
              f"Staff detail: {decision.staff_detail}"]
    return "\n".join(lines)


def _read_seed(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--lms-seed: {path} not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def seeded_lms(seed: dict[str, Any]) -> MemoryLibrarySystem:
    """The in-memory LMS of a seed file, with the consent flag (``unstaffed_access``) the SIP2
    emulator sends as vendor field ZU, and the patron's language."""
    lms = MemoryLibrarySystem.from_seed(seed)
    for p in seed.get("patrons", []):
        auth = lms.authenticate_patron(Credential(CredentialKind.CARD_UID, str(p["id"])), str(p["pin"]))
        if auth.patron is not None:
            patron: Patron = replace(auth.patron, language=str(p.get("language", "")), extra=(
                ("ZU", "Y" if p.get("unstaffed_access", True) else "N"),))
            lms.add_patron(patron, str(p["pin"]))
    return lms
