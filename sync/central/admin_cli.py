"""``library-kiosk central-admin --db FILE|URL ACTION``: look after the terminals the central service
knows, on its database (the service may be running).

* ``enrolment --terminal T --branch B [--valid-hours 24]``: a one-time token; on the terminal,
  ``library-kiosk enrol --config FILE --token TOKEN`` trades it for the terminal's own credential.
* ``credential --terminal T --branch B``: a credential made at once, for provisioning tools that put
  it in the terminal's settings or environment themselves (it is printed once, kept only hashed).
* ``revoke --terminal T``: the terminal's credential stops working at once; it must enrol again.
* ``config --level defaults|municipality|branch|terminal [--scope B|T] --file layer.toml --author A
  --reason R``: a new configuration revision of a layer (tables of a settings file), refused in
  words when any terminal it reaches could not run it; ``history --level L [--scope S]`` lists them.
* ``account --user U --role administrator|technician|staff [--branches B ...]``: a staff account for
  the administration web (``/admin/``); the password is read from standard input.
* ``staff --card N --role staff|technician|administrator [--branches B ...] [--expires DATE]``: a
  card that opens staff mode at the terminals (the PIN is read from standard input; the service
  keeps the card's token and a PIN verifier only); ``staff-remove --card N|--token T``;
  ``staff-list``.
* ``revoke-card --card N --reason WORDS [--until DATE]``: the doors keep the card out in unstaffed
  hours whatever the LMS says; ``revoke-card-end --card N|--token T``; ``revoked``.
* ``alarms``: the open alarms; ``ack --alarm N --by NAME``: acknowledge one (its repeats stop).
* ``release add WHEEL``: keep a wheel of library-kiosk as the release of its version (refused in
  words when it is not one); ``release offer VERSION --all|--branch B|--terminal T``: the terminals
  it reaches download it and install it when the kiosk is not in use (the narrowest offer wins);
  ``release withdraw --all|--branch B|--terminal T``; ``release list``: the releases, the offers,
  and the version each terminal should run and last said it runs.
* ``calendar --branch B --file calendar.toml``: the branch's opening calendar (the branch's table of
  a calendar file, checked as the kiosks read it); the branch's doors go by it from their next sync,
  without a restart.

Also ``python -m sync.central.admin_cli``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from kiosk.domain.errors import ConfigError
from kiosk.settings.calendar import BranchSettings
from kiosk.settings.tomlfile import read_toml
from sync.central.server.alarm_store import AlarmStore
from sync.central.server.config import LEVELS, ConfigRefused
from sync.central.server.ledger import Ledger
from sync.central.server.releases import ReleaseRefused, Releases, Scope
from sync.central.server.revocations import Revocations
from sync.central.server.staff_list import ROLES as STAFF_ROLES
from sync.central.server.staff_list import StaffList
from sync.central.server.store import CentralStore
from sync.central.server.validate import IDENTIFIER
from sync.central.server.web.accounts import ROLES, Accounts


def _identifier(text: str) -> str:
    if not IDENTIFIER.fullmatch(text):
        raise argparse.ArgumentTypeError("letters, digits, '.', '_' or '-', at most 64")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the service's database: an SQLite file or a "
                        "postgresql://user@host/name URL")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    enrolment = actions.add_parser("enrolment", help="a one-time enrolment token for a terminal")
    credential = actions.add_parser("credential", help="a terminal's credential, made at once")
    for sub in (enrolment, credential):
        sub.add_argument("--terminal", type=_identifier, required=True, help="the terminal's id")
        sub.add_argument("--branch", type=_identifier, required=True, help="the branch it belongs to")
    enrolment.add_argument("--valid-hours", type=float, default=24.0, help="how long the token works "
                           "(default 24)")
    revoke = actions.add_parser("revoke", help="a terminal's credential stops working")
    revoke.add_argument("--terminal", type=_identifier, required=True, help="the terminal's id")
    layer = actions.add_parser("config", help="a new configuration revision of a layer")
    history = actions.add_parser("history", help="a configuration layer's revisions, newest first")
    for sub in (layer, history):
        sub.add_argument("--level", choices=LEVELS, required=True)
        sub.add_argument("--scope", default="", help="the branch or terminal (for those levels)")
    layer.add_argument("--file", type=Path, required=True, help="the layer: tables of a settings file")
    layer.add_argument("--author", required=True, help="who makes the change")
    layer.add_argument("--reason", default="", help="why")
    account = actions.add_parser("account", help="a staff account for the administration web (password "
                                 "on standard input)")
    account.add_argument("--user", required=True)
    account.add_argument("--role", choices=ROLES, required=True)
    account.add_argument("--branches", nargs="+", default=["*"], help="the branches it sees (default: all)")
    staff = actions.add_parser("staff", help="a card that opens staff mode at the terminals (PIN on "
                               "standard input)")
    staff.add_argument("--card", required=True, help="the card number (kept only as a token)")
    staff.add_argument("--role", choices=STAFF_ROLES, required=True)
    staff.add_argument("--branches", nargs="+", default=["*"], help="where it works (default: everywhere)")
    staff.add_argument("--expires", type=dt.date.fromisoformat, help="the last day it works (YYYY-MM-DD)")
    unstaff = actions.add_parser("staff-remove", help="a staff card stops opening staff mode")
    which = unstaff.add_mutually_exclusive_group(required=True)
    which.add_argument("--card", help="the card number")
    which.add_argument("--token", help="the card's token, or its first 8 characters or more")
    actions.add_parser("staff-list", help="the staff cards, by token")
    banned = actions.add_parser("revoke-card", help="the doors keep a card out in unstaffed hours")
    banned.add_argument("--card", required=True, help="the card number (kept only as a token)")
    banned.add_argument("--reason", required=True, help="a few words, never a name")
    banned.add_argument("--until", type=dt.date.fromisoformat, help="the last day (YYYY-MM-DD)")
    unbanned = actions.add_parser("revoke-card-end", help="a card's revocation ends now")
    which = unbanned.add_mutually_exclusive_group(required=True)
    which.add_argument("--card", help="the card number")
    which.add_argument("--token", help="the card's token, or its first 8 characters or more")
    actions.add_parser("revoked", help="the revoked cards, by token")
    top_up = actions.add_parser("top-up", help="add to a patron's prepaid print balance (audited)")
    top_up.add_argument("--card", required=True, help="the card number (kept only as a token)")
    top_up.add_argument("--amount", required=True, help="in the currency's main unit, e.g. 50.00")
    top_up.add_argument("--reason", required=True, help="a few words, e.g. paid in cash at the desk")
    actions.add_parser("alarms", help="the open alarms")
    ack = actions.add_parser("ack", help="acknowledge an alarm: its repeats stop")
    ack.add_argument("--alarm", type=int, required=True, help="the alarm's number")
    ack.add_argument("--by", required=True, help="who acknowledges it")
    calendar = actions.add_parser("calendar", help="a branch's opening calendar, from a calendar file")
    calendar.add_argument("--branch", type=_identifier, required=True,
                          help="the branch (its table in the file)")
    calendar.add_argument("--file", type=Path, required=True,
                          help="a calendar file (like config/demo/calendar.toml)")
    release = actions.add_parser("release", help="versions of the kiosk the terminals install")
    steps = release.add_subparsers(dest="step", required=True, metavar="STEP")
    steps.add_parser("add", help="keep a wheel of library-kiosk").add_argument("wheel", type=Path)
    offer = steps.add_parser("offer", help="offer a version to terminals")
    offer.add_argument("version")
    withdraw = steps.add_parser("withdraw", help="end an offer (terminals keep what they run)")
    for sub in (offer, withdraw):
        reach = sub.add_mutually_exclusive_group(required=True)
        reach.add_argument("--terminal", type=_identifier, help="one terminal")
        reach.add_argument("--branch", type=_identifier, help="a branch's terminals")
        reach.add_argument("--all", action="store_true", help="every terminal")
    steps.add_parser("list", help="the releases, the offers and what each terminal runs")


def run(args: argparse.Namespace) -> int:
    """0 when done, 1 when there was nothing to revoke, 2 when the database cannot be used or the
    calendar is not one the kiosks can use."""
    try:
        if args.action == "calendar":
            branch = calendar_of(args.file, args.branch)
        elif args.action == "config":
            layer = read_toml(args.file, "configuration layer")
    except ConfigError as exc:
        print(f"central-admin: {exc}", file=sys.stderr)
        return 2
    if "://" not in args.db and not Path(args.db).exists():
        print(f"central-admin: {args.db}: no such database (the service makes it: library-kiosk central "
              f"--db {args.db})", file=sys.stderr)
        return 2
    try:
        store = CentralStore(args.db)
    except (SQLAlchemyError, ValueError, OSError) as exc:
        print(f"central-admin: {args.db}: {exc}", file=sys.stderr)
        return 2
    operator = f"central-admin ({getpass.getuser()})"
    try:
        if args.action == "enrolment":
            hours = args.valid_hours
            token = store.enrolment_token(args.terminal, args.branch, dt.timedelta(hours=hours))
            store.audit(operator, "enrolment_token_made", args.terminal, f"branch {args.branch}, {hours:g} h")
            print(f"enrolment token for terminal {args.terminal} ({args.branch}), valid {hours:g} h, once:")
            print(token)
        elif args.action == "credential":
            print(store.issue_credential(args.terminal, args.branch))
            store.audit(operator, "credential_made", args.terminal, f"branch {args.branch}")
        elif args.action == "config":
            try:
                number = store.add_revision(args.level, args.scope, layer, author=args.author,
                                            reason=args.reason)
            except ConfigRefused as exc:
                print(f"central-admin: {args.file}: refused: {exc}", file=sys.stderr)
                return 2
            print(f"{args.level} {args.scope}: revision {number} saved".replace("  ", " "))
            store.audit(operator, "configuration_saved", f"{args.level} {args.scope}".strip(),
                        f"revision {number}: {args.reason}")
        elif args.action == "history":
            if not store.revisions(args.level, args.scope):
                print(f"{args.level} {args.scope}: no revisions".replace("  ", " "))
            for revision in store.revisions(args.level, args.scope):
                print(f"{revision['number']:>6}  {revision['created_at']}  {revision['author']}: "
                      f"{revision['reason'] or '-'}  {json.dumps(revision['settings'], ensure_ascii=False)}")
        elif args.action == "account":
            password = sys.stdin.readline().rstrip("\n")
            try:
                Accounts(store).set(args.user, password, args.role, tuple(args.branches))
                store.audit(operator, "account_saved", args.user, f"{args.role}, {', '.join(args.branches)}")
            except ValueError as exc:
                print(f"central-admin: {exc}", file=sys.stderr)
                return 2
            print(f"account {args.user} ({args.role}, branches {', '.join(args.branches)}) saved")
        elif args.action == "staff":
            pin = sys.stdin.readline().strip()
            try:
                token = StaffList(store).add(args.card, pin, args.role, tuple(args.branches),
                                             expires=args.expires, by=operator)
            except ValueError as exc:
                print(f"central-admin: {exc}", file=sys.stderr)
                return 2
            print(f"staff card {token[:12]} ({args.role}, branches {', '.join(args.branches)}"
                  + (f", until {args.expires.isoformat()}" if args.expires else "") + ") saved")
        elif args.action == "staff-remove":
            if not StaffList(store).remove(args.card or args.token, by=operator):
                print("central-admin: no such staff card (or the token's start is not unique)",
                      file=sys.stderr)
                return 1
            print("staff card removed: the terminals drop it at their next sync")
        elif args.action == "staff-list":
            cards = StaffList(store).cards()
            if not cards:
                print("no staff cards")
            for card in cards:
                print(f"{card.token[:12]}  {card.role:<13}  {', '.join(card.branches):<20}  "
                      f"until {card.expires.isoformat() if card.expires else '-':<10}  "
                      f"added {card.added_at:%Y-%m-%d} by {card.added_by}")
        elif args.action == "revoke-card":
            try:
                token = Revocations(store).add(args.card, args.reason, until=args.until, by=operator)
            except ValueError as exc:
                print(f"central-admin: {exc}", file=sys.stderr)
                return 2
            print(f"card {token[:12]} revoked" + (f" until {args.until.isoformat()}" if args.until else "")
                  + ": the doors keep it out from their next sync")
        elif args.action == "revoke-card-end":
            if not Revocations(store).remove(args.card or args.token, by=operator):
                print("central-admin: no such revoked card (or the token's start is not unique)",
                      file=sys.stderr)
                return 1
            print("revocation ended: the doors let the card in again from their next sync")
        elif args.action == "top-up":
            try:
                balance = Ledger(store).top_up(store.card_token(args.card), args.amount, by=operator,
                                               reason=args.reason)
            except (ValueError, ArithmeticError) as exc:
                print(f"central-admin: top-up: {exc}", file=sys.stderr)
                return 2
            print(f"print balance topped up: now {balance}")
        elif args.action == "revoked":
            listed = Revocations(store).listed()
            if not listed:
                print("no revoked cards")
            for entry in listed:
                print(f"{entry.token[:12]}  until {entry.until.isoformat() if entry.until else '-':<10}  "
                      f"{entry.reason}  (added {entry.added_at:%Y-%m-%d} by {entry.added_by})")
        elif args.action == "alarms":
            if not AlarmStore(store).open_alarms():
                print("no open alarms")
            for alarm in AlarmStore(store).open_alarms():
                level = "URGENT" if alarm.urgent else "notice"
                print(f"{alarm.number:>6}  {level}  {alarm.branch}/{alarm.terminal}  {alarm.kind}  "
                      f"x{alarm.count}  last {alarm.last_at:%Y-%m-%d %H:%M} UTC  {alarm.detail}")
        elif args.action == "ack":
            if not AlarmStore(store).acknowledge(args.alarm, args.by, dt.datetime.now(dt.UTC)):
                print(f"central-admin: alarm {args.alarm} is not open", file=sys.stderr)
                return 1
            print(f"alarm {args.alarm} acknowledged by {args.by}")
            store.audit(args.by, "alarm_acknowledged", f"alarm {args.alarm}", f"with {operator}")
        elif args.action == "release":
            return release(Releases(store), args, operator)
        elif args.action == "calendar":
            store.set_calendar(args.branch, branch)
            store.audit(operator, "opening_hours_changed", args.branch, f"from {args.file}")
            print(f"branch {args.branch}: calendar from {args.file} served from now on")
        elif store.revoke(args.terminal):
            print(f"terminal {args.terminal}: credential revoked")
            store.audit(operator, "credential_revoked", args.terminal)
        else:
            print(f"terminal {args.terminal} has no credential to revoke", file=sys.stderr)
            return 1
    finally:
        store.close()
    return 0


def release(releases: Releases, args: argparse.Namespace, operator: str) -> int:
    if args.step == "add":
        try:
            added = releases.add(args.wheel, by=operator)
        except ReleaseRefused as exc:
            print(f"central-admin: refused: {exc}", file=sys.stderr)
            return 2
        print(f"release {added.version} kept ({added.size} bytes, sha256 {added.sha256}); offer it with "
              f"release offer {added.version} --all|--branch B|--terminal T")
        return 0
    if args.step == "list":
        for found in releases.listed():
            print(f"release {found.version:<12} {found.size:>10} bytes  sha256 {found.sha256[:16]}…  "
                  f"added {found.added_at:%Y-%m-%d} by {found.added_by}")
        for offer in releases.offers():
            print(f"offer   {offer.version:<12} to {offer.reaches}  (since {offer.offered_at:%Y-%m-%d %H:%M} "
                  f"UTC, by {offer.offered_by})")
        for terminal in releases.terminals():
            seen = f"said at {terminal.seen_at:%Y-%m-%d %H:%M} UTC" if terminal.seen_at else "never heard"
            state = ("" if terminal.offered is None or terminal.offered == terminal.running
                     else "  <- not yet")
            print(f"terminal {terminal.terminal} ({terminal.branch}): offered {terminal.offered or '-'}, "
                  f"runs {terminal.running or '?'} ({seen}){state}")
        return 0
    kind: Scope = "all" if args.all else "branch" if args.branch else "terminal"
    scope = args.branch or args.terminal or ""
    if args.step == "offer":
        try:
            made = releases.offer(args.version, kind, scope, by=operator)
        except ReleaseRefused as exc:
            print(f"central-admin: {exc}", file=sys.stderr)
            return 2
        print(f"release {made.version} offered to {made.reaches}: they download it at their next "
              "configuration sync and install it when the kiosk is not in use")
        return 0
    withdrawn = releases.withdraw(kind, scope, by=operator)
    if withdrawn is None:
        print("central-admin: no offer there to withdraw", file=sys.stderr)
        return 1
    print(f"offer of {withdrawn} withdrawn; terminals keep the version they run")
    return 0


def calendar_of(path: Path, branch: str) -> dict[str, Any]:
    """The branch's table of a calendar file, checked with the kiosk's own calendar model;
    :class:`ConfigError` naming what is wrong."""
    table = read_toml(path, "calendar").get("branches", {}).get(branch)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: no [branches.{branch}] table")
    try:
        BranchSettings.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise ConfigError(f"{path}: branches.{branch}.{where}: {first['msg']}") from None
    return dict(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="central-admin", description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
