"""``library-kiosk lms-emulator``: run the SIP2 LMS emulator until SIGINT or SIGTERM.

Also runnable as ``python -m sync.lms_emulator --port 0 --data config/demo/lms.toml``; with ``--fbs`` it
speaks FBS (:mod:`sync.fbs.emulator`).
Prints ``listening on HOST:PORT`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import logging
import ssl
import sys
from pathlib import Path

from sync.serving import serve_until_signalled, server_tls
from sync.sip2.emulator import Quirks, Sip2Emulator
from sync.sip2.emulator_data import EmulatorDataError, load_data

log = logging.getLogger("sync.sip2.emulator")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, required=True, help="TCP port (0 = any free port)")
    parser.add_argument("--data", type=Path, required=True, help="seed data (.toml or .json)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--state", type=Path, help="JSON state file: loaded if it exists, saved after "
                        "each change")
    parser.add_argument("--user", default="kiosk", help="login user id (93 CN)")
    parser.add_argument("--password", default="kiosk", help="login password (93 CO)")
    parser.add_argument("--institution", help="institution id (AO), overriding the data")
    parser.add_argument("--crlf", action="store_true", help="end replies with CR LF")
    parser.add_argument("--no-error-detection", action="store_true", help="never send AY/AZ")
    parser.add_argument("--encoding", default="cp850", choices=["cp850", "utf-8", "latin-1"])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--drop-after", type=int, help="close a connection after N messages")
    parser.add_argument("--garbage-every", type=int, help="every Nth reply is garbage")
    parser.add_argument("--telnet", action="store_true", help="login:/password: prompts before SIP")
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate (with --tls-key): serve TLS")
    parser.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    parser.add_argument("--fbs", action="store_true", help="speak FBS (SIP2 in XML over HTTP; HTTPS with "
                        "--tls-cert) instead of SIP2 over TCP; --user/--password are FBS's login")


def build(args: argparse.Namespace) -> Sip2Emulator:
    """The emulator the arguments describe (not started)."""
    state: Path | None = args.state
    data = load_data(state if state is not None and state.exists() else args.data)
    if args.institution:
        data.library.institution = args.institution
    quirks = Quirks(crlf=args.crlf, error_detection=not args.no_error_detection, encoding=args.encoding,
                    delay=args.delay, drop_after=args.drop_after, garbage_every=args.garbage_every)
    return Sip2Emulator(data, host=args.host, port=args.port, user=args.user, password=args.password,
                        quirks=quirks, tls_context=server_tls(args.tls_cert, args.tls_key),
                        telnet=args.telnet, state_path=state)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM. 0 on a clean stop, 2 on bad data or arguments."""
    if args.fbs:
        return _run_fbs(args)
    try:
        server = build(args)
    except (EmulatorDataError, ValueError, OSError, ssl.SSLError) as exc:
        print(f"lms-emulator: {exc}", file=sys.stderr)
        return 2

    def start() -> str:
        server.start()
        host, port = server.address
        return f"{host}:{port}"

    return serve_until_signalled("lms-emulator", start, server.stop, f"{args.host}:{args.port}")


def _run_fbs(args: argparse.Namespace) -> int:
    from sync.fbs.emulator import FbsEmulator

    try:
        data = load_data(args.data)
        if args.institution:
            data.library.institution = args.institution
        fbs = FbsEmulator(data, host=args.host, port=args.port, login=args.user, password=args.password,
                          tls_context=server_tls(args.tls_cert, args.tls_key))
    except (EmulatorDataError, ValueError, OSError, ssl.SSLError) as exc:
        print(f"lms-emulator: {exc}", file=sys.stderr)
        return 2

    def start() -> str:
        return fbs.start().url

    return serve_until_signalled("lms-emulator", start, fbs.stop, f"{args.host}:{args.port}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lms-emulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
