"""Where the kiosk keeps its database and logs: platformdirs, unless the settings say otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from kiosk.settings import Settings

APP_NAME = "library-kiosk"


@dataclass(frozen=True)
class Locations:
    data_dir: Path
    log_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"


def locations(settings: Settings, profile: str = "run") -> Locations:
    """Folders from the settings, else the platform's; the demo gets folders of its own."""
    sub = "" if profile == "run" else profile
    data_dir = settings.paths.data_dir or Path(
        platformdirs.user_data_dir(APP_NAME, appauthor=False)) / sub
    log_dir = settings.paths.log_dir or Path(
        platformdirs.user_log_dir(APP_NAME, appauthor=False)) / sub
    return Locations(data_dir=data_dir, log_dir=log_dir)
