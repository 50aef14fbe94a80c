"""``library-kiosk central``: the municipality's central service, in the foreground until SIGINT or
SIGTERM. Also ``python -m sync.central.cli``. Terminals enrol with a one-time token from
``library-kiosk central-admin`` (:mod:`sync.central.admin_cli`). With ``--mail-in HOST:PORT
--print-address ADDRESS`` it also takes documents to print by e-mail (:mod:`sync.central.server.mail_in`)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import ssl
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from kiosk.domain.errors import ConfigError
from sync.central.seed import apply_seed, load_seed
from sync.central.server.alarms import AlarmSettings, load_alarm_settings
from sync.central.server.mail_in import MailInSettings, SmtpReplies, load_reply_smtp, mail_in_settings
from sync.central.server.payments.settings import PaymentSettings, load_payment_settings
from sync.central.server.web.oidc import load_oidc_settings
from sync.central.service import CentralService
from sync.serving import serve_until_signalled, server_tls


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 = any free port)")
    parser.add_argument("--db", required=True, help="the database: an SQLite file (created if new) or a "
                        "postgresql://user@host/name URL")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--seed", type=Path, help="seed data (TOML, see config/demo/central.toml), loaded "
                        "into a new database only")
    parser.add_argument("--cursor-retention", type=int, help="access-list cursors more than N changes "
                        "behind expire (410)")
    parser.add_argument("--alarms", type=Path, help="who hears of alarms, and how (TOML: SMTP, SMS "
                        "gateway, recipients per branch, quiet hours; README, \"The central service: "
                        "configuration, calendars, alarms\")")
    parser.add_argument("--retention-days", type=int, default=90, help="events and heartbeats are kept "
                        "this long (default 90)")
    parser.add_argument("--access-unused-days", type=int, default=180, help="access-list entries no "
                        "terminal confirmed for this long are taken off (default 180)")
    parser.add_argument("--oidc", type=Path, help="sign-in to the administration web through the "
                        "municipality's OpenID Connect provider (TOML with an [oidc] table)")
    parser.add_argument("--mail-in", metavar="HOST:PORT", help="also take documents to print by e-mail: "
                        "an SMTP listener here, behind the municipality's mail server (README, \"Print "
                        "release\"); needs --print-address and an SMTP server for the replies")
    parser.add_argument("--print-address", metavar="ADDRESS", help="the one address --mail-in takes mail "
                        "for, e.g. print@library.example")
    parser.add_argument("--reply-smtp", type=Path, metavar="FILE", help="where the replies to e-mailed "
                        "documents go out: TOML with an [smtp] table as in the alarms file (default: the "
                        "--alarms file's)")
    parser.add_argument("--mail-relay", action="append", default=[], metavar="NETWORK", help="only these "
                        "addresses or networks may connect to --mail-in (the municipality's mail servers; "
                        "repeatable; default: any)")
    paying = parser.add_mutually_exclusive_group()
    paying.add_argument("--payments", type=Path, help="card payments for prints through a payment provider's "
                        "hosted page (TOML with a [payments] table: provider, keys, public URL; README, "
                        "\"Paying for a print\")")
    paying.add_argument("--payment-provider", choices=["simulated"], help="simulated: card payments through "
                        "the simulated provider, served under /sim-provider (the demo's)")
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate (with --tls-key): serve HTTPS")
    parser.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM. 0 on a clean stop, 2 on bad seed data or arguments."""
    try:
        seed = load_seed(args.seed) if args.seed is not None else None
        alarms = load_alarm_settings(args.alarms) if args.alarms is not None else None
        oidc = load_oidc_settings(args.oidc) if args.oidc is not None else None
        mail_in, replies = _mail_in(args, alarms)
        payments = load_payment_settings(args.payments) if args.payments is not None else None
        if args.payment_provider == "simulated":
            payments = PaymentSettings(provider="simulated")
        central = CentralService(args.db, host=args.host, port=args.port,
                                  tls_context=server_tls(args.tls_cert, args.tls_key),
                                  cursor_retention=args.cursor_retention,
                                  access_list_key=seed.access_list_key if seed else None, alarms=alarms,
                                  retention=dt.timedelta(days=args.retention_days),
                                  access_unused=dt.timedelta(days=args.access_unused_days), oidc=oidc,
                                  mail_in=mail_in, replies=replies, payments=payments)
        if seed is not None and central.created:
            apply_seed(seed, central)
    except (ConfigError, ValueError, OSError, ssl.SSLError, SQLAlchemyError) as exc:
        print(f"central: {exc}", file=sys.stderr)
        return 2

    def start() -> str:
        central.start()
        return central.url

    return serve_until_signalled("central", start, central.stop, f"{args.host}:{args.port}")


def _mail_in(args: argparse.Namespace,
             alarms: AlarmSettings | None) -> tuple[MailInSettings | None, SmtpReplies | None]:
    if args.mail_in is None:
        if args.print_address or args.reply_smtp or args.mail_relay:
            raise ConfigError("--print-address, --reply-smtp and --mail-relay go with --mail-in")
        return None, None
    if not args.print_address:
        raise ConfigError("--mail-in needs --print-address (the address it takes mail for)")
    settings = mail_in_settings(args.mail_in, args.print_address, tuple(args.mail_relay))
    smtp = alarms.smtp if alarms is not None else None
    if args.reply_smtp is not None:
        smtp = load_reply_smtp(args.reply_smtp)
    if smtp is None:
        raise ConfigError("--mail-in needs an SMTP server for the replies: --reply-smtp FILE, or [smtp] in "
                          "the --alarms file")
    return settings, SmtpReplies(smtp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="central", description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
