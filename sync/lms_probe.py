"""``library-kiosk sip2``: an operator's probe of a SIP2 account, one command at a time."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from kiosk.domain.logs import redact
from kiosk.domain.model import Credential, CredentialKind
from kiosk.settings import FbsSettings, Sip2Settings
from kiosk.settings.base import validate
from sync.fbs.client import FbsClient
from sync.fbs.library import FbsLibrarySystem
from sync.sip2.client import Sip2Client
from sync.sip2.library import Sip2LibrarySystem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    connection = parser.add_argument_group("connection")
    connection.add_argument("--fbs", metavar="ENDPOINT",
                            help="FBS instead of SIP2 over TCP: its SIP2 address (https://.../rest/sip2/"
                            "DK-<agency>); --user/--password are FBS's login, --institution the agency "
                            "(default: from the address)")
    connection.add_argument("--host", default="127.0.0.1")
    connection.add_argument("--port", type=int, default=6001)
    connection.add_argument("--tls", action="store_true", help="TLS, with the certificate verified")
    connection.add_argument("--allow-plaintext", action="store_true",
                            help="plain SIP2 to another machine (the password and PINs in clear)")
    connection.add_argument("--tls-ca", type=Path, help="CA file to verify the ACS's certificate with")
    connection.add_argument("--tls-no-verify", action="store_true",
                            help="do not verify the certificate (testing only)")
    connection.add_argument("--telnet", action="store_true", help="telnet-style login before SIP2")
    connection.add_argument("--user", default="", help="SIP2 login user (CN)")
    connection.add_argument("--password", default="", help="SIP2 login password (CO)")
    connection.add_argument("--institution", default="", help="institution id (AO)")
    connection.add_argument("--location", default="", help="location code (CP, AP)")
    connection.add_argument("--terminal-password", default="", help="terminal password (AC)")
    connection.add_argument("--encoding", default="cp850", choices=("cp850", "utf-8", "latin-1"))
    connection.add_argument("--no-error-detection", action="store_true", help="no AY/AZ")
    connection.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--trace", action="store_true",
                        help="print every frame to stderr (PINs and passwords masked)")
    commands = parser.add_subparsers(dest="sip2_command", required=True, metavar="COMMAND")
    commands.add_parser("status", help="SC status (99/98)")
    patron = commands.add_parser("patron", help="patron information (63/64)")
    patron.add_argument("patron_id")
    patron.add_argument("--pin")
    patron.add_argument("--account", action="store_true", help="also list loans, holds and fees")
    item = commands.add_parser("item", help="item information (17/18)")
    item.add_argument("item_id")
    checkout = commands.add_parser("checkout", help="check an item out (11/12)")
    checkout.add_argument("patron_id")
    checkout.add_argument("item_id")
    checkout.add_argument("--pin")
    checkout.add_argument("--fee-acknowledged", action="store_true")
    checkin = commands.add_parser("checkin", help="check an item in (09/10)")
    checkin.add_argument("item_id")
    renew = commands.add_parser("renew", help="renew one loan (29/30)")
    renew.add_argument("patron_id")
    renew.add_argument("item_id")
    renew.add_argument("--pin")


def account_from_args(args: argparse.Namespace) -> Sip2Settings:
    """The account the options describe; :class:`ConfigError` naming the option when it is wrong."""
    return validate(Sip2Settings, dict(
        host=args.host, port=args.port, user=args.user, password=args.password,
        institution=args.institution, location=args.location,
        terminal_password=args.terminal_password, tls=args.tls or bool(args.tls_ca),
        tls_verify=not args.tls_no_verify, tls_ca_file=args.tls_ca, telnet=args.telnet,
        encoding=args.encoding, error_detection=not args.no_error_detection,
        timeout_s=args.timeout, keepalive_s=0, allow_plaintext=args.allow_plaintext,
    ), "sip2 (--tls, or --allow-plaintext on a private line)")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value


def _tracer(encoding: str) -> Callable[[str, bytes], None]:
    def trace(direction: str, frame: bytes) -> None:
        # Decoded as the account's encoding, so that a wrong one shows up as wrong letters.
        print(f"{direction} {redact(frame.decode(encoding, errors='replace'))}", file=sys.stderr)

    return trace


def fbs_from_args(args: argparse.Namespace) -> FbsSettings:
    """The FBS account the options describe (``--fbs``)."""
    agency = args.institution or args.fbs.rstrip("/").rsplit("/", 1)[-1]
    return validate(FbsSettings, dict(
        endpoint=args.fbs, agency=agency, login=args.user, password=args.password, location=args.location,
        tls_ca_file=args.tls_ca, timeout_s=args.timeout), "sip2 --fbs")


def run(args: argparse.Namespace) -> int:
    trace = _tracer("utf-8" if args.fbs else args.encoding) if args.trace else None
    client: Sip2Client | FbsClient
    lms: Sip2LibrarySystem
    if args.fbs:
        client = FbsClient(fbs_from_args(args), trace=trace)
        lms = FbsLibrarySystem(client)
    else:
        client = Sip2Client(account_from_args(args), trace=trace)
        lms = Sip2LibrarySystem(client)
    try:
        command = args.sip2_command
        result: Any
        if command == "status":
            result = lms.status()
        elif command == "patron":
            credential = Credential(CredentialKind.KEYED, args.patron_id)
            result = lms.authenticate_patron(credential, args.pin)
            if args.account:
                account = _plain(lms.account(args.patron_id, args.pin))
                account.pop("patron", None)  # already shown under the authentication
                result = {"authentication": _plain(result), "account": account}
        elif command == "item":
            result = lms.item_info(args.item_id)
        elif command == "checkout":
            result = lms.checkout(args.patron_id, args.item_id, pin=args.pin,
                                  fee_acknowledged=args.fee_acknowledged)
        elif command == "checkin":
            result = lms.checkin(args.item_id)
        else:
            result = lms.renew(args.patron_id, args.item_id, pin=args.pin)
        plain = _plain(result)
        if args.json:
            print(json.dumps(plain, ensure_ascii=False, indent=2))
        else:
            _print_plain(plain)
        return 0 if _succeeded(plain) else 1
    finally:
        client.close()


def _succeeded(plain: Any) -> bool:
    if isinstance(plain, dict):
        for key in ("ok", "online", "accepted"):
            if key in plain:
                return bool(plain[key])
        if "outcome" in plain:
            return bool(plain["outcome"] == "ok")
        if "authentication" in plain:
            return _succeeded(plain["authentication"])
    return True


def _print_plain(plain: Any, indent: str = "") -> None:
    """Indented key: value lines; a list of records prints one record after the other."""
    if isinstance(plain, dict):
        for key, value in plain.items():
            if key == "extra" and isinstance(value, list):
                value = {str(pair[0]): pair[1] for pair in value if isinstance(pair, list) and len(pair) == 2}
            if isinstance(value, (dict, list)) and value:
                print(f"{indent}{key}:")
                _print_plain(value, indent + "  ")
            else:
                print(f"{indent}{key}: {value if value != [] else '-'}")
    elif isinstance(plain, list):
        for number, entry in enumerate(plain, start=1):
            if isinstance(entry, dict):
                print(f"{indent}[{number}]")
                _print_plain(entry, indent + "  ")
            else:
                print(f"{indent}- {entry}")
    else:
        print(f"{indent}{plain}")
