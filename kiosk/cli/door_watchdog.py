"""``library-kiosk door-watchdog --config FILE``: the door relay's crash watchdog as a service
(``library-kiosk-door.service``), for a kiosk whose ``[devices.door] watchdog = "service"``.

It reads the board, port, channel, pulse and socket from the settings' ``[devices.door]`` and runs
:mod:`hardware.door.watchdog_service` with them: the relay is OFF at most the pulse plus
:data:`hardware.door.watchdog.MARGIN_S` after an unlock, as in the spawn mode.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hardware.door.watchdog import MARGIN_S
from hardware.door.watchdog_service import add_arguments as add_service_arguments
from hardware.door.watchdog_service import run_service
from kiosk.domain.errors import ConfigError
from kiosk.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="the terminal's settings file")
    add_service_arguments(parser)
    parser.set_defaults(socket=None)  # the settings' devices.door.watchdog_socket unless given


def run(args: argparse.Namespace) -> int:
    door = load_settings(args.config).devices.door
    if door.kind not in ("lcus", "numato"):
        raise ConfigError(f"{args.config}: devices.door.kind is {door.kind!r}: the door watchdog service "
                          "needs a relay board (\"lcus\" or \"numato\")")
    if door.watchdog != "service":
        raise ConfigError(f"{args.config}: devices.door.watchdog is {door.watchdog!r}: set it to \"service\" "
                          "so that the kiosk connects to this service")
    return run_service(door.kind, door.port, door.channel, args.socket or door.watchdog_socket,
                       max_open_s=door.pulse_s + MARGIN_S, heartbeat_s=args.heartbeat_seconds,
                       retry_for_s=args.retry_for)
