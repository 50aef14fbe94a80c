"""``library-kiosk doctor [--config FILE]``: the state of the database, the LMS, the central system
and every configured device; exit status 1 if one is not OK (no central system at all is not a
fault, but it is said)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hardware.doctor import examine
from hardware.door.watchdog import HEARTBEAT_S, MARGIN_S
from kiosk.bootstrap.central import terminal_credential
from kiosk.bootstrap.kiosk import build
from kiosk.domain.errors import KioskError
from kiosk.settings import DEMO_SETTINGS, Settings, load_settings
from kiosk.store import Store, current_revision


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="settings file (default: the demo terminal)")


def watchdog_note(mode: str, pulse_s: float, socket_path: Path | None = None) -> str:
    """What the door's crash watchdog guarantees, and what it cannot."""
    if mode == "none":
        return ("door watchdog: off (devices.door.watchdog = \"none\"). If the kiosk dies while the door is "
                "unlocked, the door stays unlocked until the kiosk is back.")
    where = (f"the door watchdog service (library-kiosk-door.service, {socket_path}) "
             if mode == "service" else "")
    return (f"door watchdog: {where}locks the door at once if the kiosk dies (its process group killed too), "
            f"at most {pulse_s + MARGIN_S:g} s after an unlock if it hangs ({pulse_s:g} s pulse + "
            f"{MARGIN_S:g} s), and ends a kiosk whose core has been silent {HEARTBEAT_S:g} s. No unlock "
            "while it is not running.\n"
            "  It cannot lock a relay board that lost its USB link while unlocked, nor act when the computer "
            "freezes or loses power: wire the relay to the door controller's exit (REX) input or fit a "
            "time-delay relay (README, \"The door\").")


def run(args: argparse.Namespace) -> int:
    settings_path = args.config or DEMO_SETTINGS
    settings = load_settings(settings_path)
    kiosk = build(settings, profile="run" if args.config else "demo", log_to_console=False)
    rows: list[tuple[str, str, str]] = []
    try:
        schema = current_revision(kiosk.store)
        rows.append(("database", "ok", f"{kiosk.locations.database} (schema {schema})"))
        try:
            status = kiosk.lms.status()
            rows.append(("lms", "ok" if status.online else "offline",
                         f"{settings.lms.kind}: {status.library_name or status.institution}".rstrip(": ")))
        except KioskError as exc:
            rows.append(("lms", "unavailable", str(exc)))
        rows.append(central_row(settings, kiosk.store))
        for health in examine(kiosk.devices):
            rows.append((health.device, health.state.value, health.detail))
    finally:
        kiosk.close()
    print(f"terminal {settings.terminal.id} ({settings.terminal.branch}), settings {settings_path}")
    for name, state, detail in rows:
        print(f"  {name:<18} {state:<12} {detail}")
    sip2 = settings.lms.sip2
    if settings.lms.kind == "sip2" and sip2.plaintext_over_network:
        print(f"warning: SIP2 to {sip2.host} without TLS (lms.sip2.allow_plaintext = true): the login "
              "password and every PIN cross the network in clear; set tls = true when the LMS offers it")
    door = settings.devices.door
    if door.kind not in ("none", "memory"):
        print(watchdog_note(door.watchdog, door.pulse_s, door.watchdog_socket))
    return 0 if all(state in ("ok", "off") for _, state, _ in rows) else 1


def central_row(settings: Settings, store: Store) -> tuple[str, str, str]:
    """The central system: not configured ("off", said plainly), built in (the demo), or asked for
    this terminal's configuration."""
    central = settings.central
    if central.kind == "none":
        return ("central", "off", 'no central system configured ([central] kind = "none"): events stay in '
                "this terminal's journal, no shared access list, no alarms reach anyone")
    if central.kind == "emulator":
        return ("central", "ok", "built in (the demo's)")
    from sync.central.client import CentralClient

    token = terminal_credential(central, store)
    if not token:
        return ("central", "unavailable",
                f"{central.url}: this terminal is not enrolled (library-kiosk enrol)")
    try:
        with CentralClient(central.url, token, retries=0, verify=central.ca_file or True,
                           timeout_s=(3, 5)) as client:
            client.terminal_config(settings.terminal.id)
    except KioskError as exc:
        return ("central", "unavailable", f"{central.url}: {exc}")
    return ("central", "ok", central.url)
