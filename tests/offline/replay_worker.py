"""A kiosk process that replays its offline journal and exits: the victim of the kill -9 tests.

``python -m tests.offline.replay_worker DATA_DIR PORT``: builds the real kiosk (threaded core, SIP2 to the
emulator on PORT) on DATA_DIR, lets the offline mode probe and replay, and exits 0 once nothing is
left to replay and the mode is online (1 after a minute)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kiosk.bootstrap.kiosk import build
from kiosk.offline.replay import WAITING
from kiosk.settings import (
    DEMO_SETTINGS,
    CentralSettings,
    LmsSettings,
    OfflineSettings,
    Settings,
    Sip2Settings,
    load_settings,
)
from kiosk.store import Journal
from kiosk.testing.memory import in_memory


def settings_for(data_dir: Path, port: int) -> Settings:
    base = load_settings(DEMO_SETTINGS)
    paths = base.paths.model_copy(update={"data_dir": data_dir, "log_dir": data_dir / "log"})
    account = Sip2Settings.model_validate({"host": "127.0.0.1", "port": port, "user": "kiosk",
                                           "password": "kiosk", "keepalive_s": 0.0, "timeout_s": 2.0,
                                           "retries": 1})
    logging_settings = base.logging.model_copy(update={"console": False})
    return base.model_copy(update={
        "paths": paths, "logging": logging_settings, "lms": LmsSettings(kind="sip2", sip2=account),
        "central": CentralSettings(), "devices": in_memory(base.devices),
        "offline": OfflineSettings(max_items_per_patron=100, probe_interval_s=0.2)})


def main(argv: list[str]) -> int:
    kiosk = build(settings_for(Path(argv[0]), int(argv[1])), profile="run", log_to_console=False)
    kiosk.start()
    try:
        deadline = time.monotonic() + 60
        journal = Journal(kiosk.store)
        while time.monotonic() < deadline:
            if kiosk.mode is not None and kiosk.mode.online and not journal.in_states(WAITING, limit=1):
                return 0
            time.sleep(0.05)
        return 1
    finally:
        kiosk.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
