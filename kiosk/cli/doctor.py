"""``library-kiosk doctor [--config FILE]``: the state of the database, the LMS and every configured
device; exit status 1 if one is not OK."""

from __future__ import annotations

import argparse
from pathlib import Path

from hardware.doctor import examine
from kiosk.bootstrap.kiosk import build
from kiosk.domain.errors import KioskError
from kiosk.settings import DEMO_SETTINGS, load_settings
from kiosk.store import current_revision


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="settings file (default: the demo terminal)")


def run(args: argparse.Namespace) -> int:
    settings_path = args.config or DEMO_SETTINGS
    settings = load_settings(settings_path)
    kiosk = build(settings, profile="run" if args.config else "demo", log_to_console=False)
    rows: list[tuple[str, str, str]] = []
    try:
        schema = current_revision(kiosk.store.engine)
        rows.append(("database", "ok", f"{kiosk.locations.database} (schema {schema})"))
        try:
            status = kiosk.lms.status()
            rows.append(("lms", "ok" if status.online else "offline",
                         f"{settings.lms.kind}: {status.library_name or status.institution}".rstrip(": ")))
        except KioskError as exc:
            rows.append(("lms", "unavailable", str(exc)))
        for health in examine(kiosk.devices):
            rows.append((health.device, health.state.value, health.detail))
    finally:
        kiosk.close()
    print(f"terminal {settings.terminal.id} ({settings.terminal.branch}), settings {settings_path}")
    for name, state, detail in rows:
        print(f"  {name:<18} {state:<12} {detail}")
    return 0 if all(state == "ok" for _, state, _ in rows) else 1
