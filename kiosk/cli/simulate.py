"""``library-kiosk simulate SCENARIO``: a scenario file run against the real kiosk, offscreen, with
the demo's devices; against the built-in LMS emulator or any SIP2 server (``--sip2``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kiosk.bootstrap.demo import read_seed
from kiosk.cli.args import LANGUAGES, screen_size
from kiosk.domain.errors import ConfigError
from kiosk.settings import DEMO_DOOR_SETTINGS, DEMO_SETTINGS, Sip2Settings
from kiosk.settings.base import validate
from kiosk.simulate.build import DEMO_SEED, build_for_simulation, check_against_seed
from kiosk.simulate.scenario import ScenarioError, load_scenario


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT, e.g. lms.example.dk:6001")
    return host.strip("[]"), int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``library-kiosk simulate``."""
    parser.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario file (TOML)")
    parser.add_argument("--fbs", action="store_true",
                        help="the built-in LMS emulator speaks FBS and the kiosk is configured for FBS")
    parser.add_argument("--sip2", type=_address, metavar="HOST:PORT",
                        help="run against this SIP2 server instead of the built-in LMS emulator")
    parser.add_argument("--user", default="", help="SIP2 login user (with --sip2)")
    parser.add_argument("--password", default="", help="SIP2 login password (with --sip2)")
    parser.add_argument("--institution", default="", help="SIP2 institution id, AO (with --sip2)")
    parser.add_argument("--location", default="", help="SIP2 location code, CP (with --sip2)")
    parser.add_argument("--encoding", default="cp850", choices=("cp850", "utf-8", "latin-1"))
    parser.add_argument("--tls", action="store_true", help="TLS to the SIP2 server (with --sip2)")
    parser.add_argument("--allow-plaintext", action="store_true",
                        help="plain SIP2 to another machine (with --sip2; the password and PINs in clear)")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="save the steps' screenshots here (PNG)")
    parser.add_argument("--lang", choices=LANGUAGES, help="the kiosk's language (default: the "
                        "scenario's, else Danish)")
    parser.add_argument("--size", type=screen_size, default=(1080, 1920), help="WIDTHxHEIGHT in pixels")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="keep the terminal's database here (default: a temporary folder, removed): "
                        "an offline journal one run leaves is replayed by the next, or by run")


def _fail(message: str) -> int:
    print(f"library-kiosk simulate: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run one scenario; 0 if every expectation held, 1 if one did not, 2 for a bad scenario."""
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        return _fail(str(exc))
    target = None
    if args.sip2 is not None and args.fbs:
        return _fail("--fbs and --sip2 exclude each other")
    if args.sip2 is not None:
        needs = scenario.emulator_steps()
        if needs:
            return _fail(f"{args.scenario.name}: step {needs[0].number} ({needs[0].do}): needs the "
                         "built-in LMS emulator, which --sip2 replaces")
    seed = scenario.lms or DEMO_SEED
    try:
        if args.sip2 is not None:
            target = validate(Sip2Settings, dict(
                host=args.sip2[0], port=args.sip2[1], user=args.user, password=args.password,
                institution=args.institution, location=args.location, encoding=args.encoding, tls=args.tls,
                allow_plaintext=args.allow_plaintext),
                "--sip2 (--tls, or --allow-plaintext on a private line)")
        check_against_seed(scenario, read_seed(seed), outside_lms=target is not None)
        simulation = build_for_simulation(
            seed, sip2=target, language=args.lang or scenario.language, start=scenario.start,
            data_dir=args.data_dir, central=scenario.central, fbs=args.fbs,
            settings_path=DEMO_DOOR_SETTINGS if scenario.terminal == "door" else DEMO_SETTINGS)
    except ConfigError as exc:
        return _fail(str(exc))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from kiosk.simulate.runner import run_scenario

        return run_scenario(scenario, simulation, out=sys.stdout, screenshots=args.screenshots,
                            size=args.size)
    finally:
        simulation.close()
