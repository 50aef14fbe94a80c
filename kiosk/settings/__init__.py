"""Settings: one TOML file, validated once on load into typed, frozen objects.

An unknown key, a wrong type or a missing required value is a :class:`ConfigError` that names the
file and the key (``terminal.idle_timeout_s``). Relative paths in the file are relative to the file.
``config/default.toml`` documents every setting; a test keeps it and this module in step.
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import Field

from kiosk.domain.errors import ConfigError
from kiosk.settings.base import Section, describe_error, validate
from kiosk.settings.central import CentralSettings
from kiosk.settings.devices import (
    AnnouncerSettings,
    BarcodeScannerSettings,
    CardReaderSettings,
    DeviceSettings,
    DocumentPrinterSettings,
    DoorSensorSettings,
    DoorSettings,
    ExitButtonSettings,
    ReceiptPrinterSettings,
    RelayOutputSettings,
    RfidPadSettings,
)
from kiosk.settings.door import (
    DEFAULT_RETENTION_DAYS,
    RULE_NAMES,
    WEEKDAYS,
    AccessSettings,
    AgeBand,
    CalendarSettings,
    DoorSupervisionSettings,
    EntryLogSettings,
    RuleName,
    Weekday,
    load_access_settings,
)
from kiosk.settings.lms import FbsSettings, LmsSettings, OfflineSettings, Sip2Settings
from kiosk.settings.printing import PrintingSettings
from kiosk.settings.speech import SpeechSettings, TactileKeySettings
from kiosk.settings.terminal import (
    Language,
    LoggingSettings,
    PathSettings,
    ReceiptEmailSettings,
    Role,
    ScreenSettings,
    SessionSettings,
    TerminalSettings,
    UpdateSettings,
)
from kiosk.settings.tomlfile import read_toml

__all__ = [
    "CONFIG_DIR",
    "DEFAULT_RETENTION_DAYS",
    "DEFAULT_SETTINGS",
    "DEMO_DOOR_SETTINGS",
    "DEMO_SETTINGS",
    "RULE_NAMES",
    "WEEKDAYS",
    "AccessSettings",
    "AgeBand",
    "AnnouncerSettings",
    "BarcodeScannerSettings",
    "CalendarSettings",
    "CardReaderSettings",
    "CentralSettings",
    "DeviceSettings",
    "DocumentPrinterSettings",
    "DoorSensorSettings",
    "DoorSettings",
    "DoorSupervisionSettings",
    "EntryLogSettings",
    "ExitButtonSettings",
    "FbsSettings",
    "Language",
    "LmsSettings",
    "LoggingSettings",
    "OfflineSettings",
    "PathSettings",
    "ReceiptEmailSettings",
    "ReceiptPrinterSettings",
    "RelayOutputSettings",
    "RfidPadSettings",
    "Role",
    "RuleName",
    "ScreenSettings",
    "SessionSettings",
    "Settings",
    "Sip2Settings",
    "SpeechSettings",
    "TactileKeySettings",
    "TerminalSettings",
    "UpdateSettings",
    "Weekday",
    "describe_error",
    "load_access_settings",
    "load_settings",
    "parse_settings",
    "validate",
]

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DEMO_SETTINGS = CONFIG_DIR / "demo" / "terminal.toml"
DEMO_DOOR_SETTINGS = CONFIG_DIR / "demo" / "door.toml"
DEFAULT_SETTINGS = CONFIG_DIR / "default.toml"


class Settings(Section):
    terminal: TerminalSettings
    session: SessionSettings = SessionSettings()
    paths: PathSettings = PathSettings()
    logging: LoggingSettings = LoggingSettings()
    lms: LmsSettings = LmsSettings()
    devices: DeviceSettings = DeviceSettings()
    receipt_email: ReceiptEmailSettings = ReceiptEmailSettings()
    calendar: CalendarSettings = CalendarSettings()
    access: AccessSettings = AccessSettings()
    door_supervision: DoorSupervisionSettings = DoorSupervisionSettings()
    entry_log: EntryLogSettings = EntryLogSettings()
    offline: OfflineSettings = OfflineSettings()
    central: CentralSettings = CentralSettings()
    printing: PrintingSettings = PrintingSettings()
    updates: UpdateSettings = UpdateSettings()
    speech: SpeechSettings = SpeechSettings()

    source: Path | None = Field(default=None, exclude=True)


def parse_settings(data: dict[str, Any], source: Path | None = None) -> Settings:
    """Validate already-parsed TOML data. Relative paths are resolved against ``source``'s folder."""
    where = str(source) if source else "<settings>"
    _paths_to_path(data)
    settings = validate(Settings, data, where)
    if source is not None:
        base = source.resolve().parent

        def resolve(key: str, settings: Settings = settings) -> Path | None:
            return _resolve(base, attrgetter(key)(settings), f"{where}: {key}")

        for key in ("lms.sip2.tls_ca_file", "lms.fbs.tls_ca_file"):
            ca_file = resolve(key)
            if ca_file is not None and not ca_file.is_file():
                raise ConfigError(f"{where}: {key}: {ca_file} not found")
        settings = settings.model_copy(
            update={
                "source": source,
                "paths": settings.paths.model_copy(
                    update={
                        "data_dir": resolve("paths.data_dir"),
                        "log_dir": resolve("paths.log_dir"),
                        "key_dir": resolve("paths.key_dir"),
                    }
                ),
                "access": settings.access.model_copy(update={
                    "revocation_list": resolve("access.revocation_list"),
                    "staff_list": resolve("access.staff_list")}),
                "calendar": settings.calendar.model_copy(
                    update={"file": resolve("calendar.file")}),
                "devices": settings.devices.model_copy(update={
                    "announcer": settings.devices.announcer.model_copy(
                        update={"files_dir": resolve("devices.announcer.files_dir")}),
                    "door": settings.devices.door.model_copy(
                        update={"watchdog_socket": resolve("devices.door.watchdog_socket")}),
                }),
                "central": settings.central.model_copy(update={
                    "ca_file": resolve("central.ca_file"),
                    "seed": resolve("central.seed")}),
                "lms": settings.lms.model_copy(update={
                    "seed": resolve("lms.seed"),
                    "sip2": settings.lms.sip2.model_copy(
                        update={"tls_ca_file": resolve("lms.sip2.tls_ca_file")}),
                    "fbs": settings.lms.fbs.model_copy(
                        update={"tls_ca_file": resolve("lms.fbs.tls_ca_file")}),
                }),
            }
        )
    return settings


def _resolve(base: Path, path: Path | None, key: str) -> Path | None:
    if path is None:
        return None
    try:
        path = path.expanduser()
    except RuntimeError:  # "~nosuchuser/x"
        raise ConfigError(f"{key}: {str(path)!r}: there is no such user, so no home folder") from None
    return path if path.is_absolute() else (base / path)


_PATH_KEYS = (("paths", "data_dir"), ("paths", "log_dir"), ("paths", "key_dir"), ("lms", "seed"),
              ("lms", "sip2", "tls_ca_file"), ("lms", "fbs", "tls_ca_file"),
              ("devices", "announcer", "files_dir"), ("calendar", "file"), ("central", "ca_file"),
              ("central", "seed"), ("devices", "door", "watchdog_socket"))


def _paths_to_path(data: dict[str, Any]) -> None:
    """Strict mode wants Path objects for Path fields; TOML has only strings."""
    for *sections, key in _PATH_KEYS:
        table: Any = data
        for section in sections:
            table = table.get(section) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(table.get(key), str):
            value = table[key]
            table[key] = Path(value) if value else None


def load_settings(path: Path) -> Settings:
    """Read and validate a settings file. Every problem is a :class:`ConfigError` naming ``path``."""
    return parse_settings(read_toml(path, "settings"), path)
