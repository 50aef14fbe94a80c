"""Settings: one TOML file, validated once on load into typed, frozen objects.

An unknown key, a wrong type or a missing required value is a :class:`ConfigError` that names the
file and the key (``terminal.idle_timeout_s``). Relative paths in the file are relative to the file.
``config/default.toml`` documents every setting; a test keeps it and this module in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kiosk.domain.errors import ConfigError
from kiosk.door.access_model import AccessSettings
from kiosk.door.supervision import DoorSupervisionSettings
from kiosk.offline.sealing import OfflineSettings
from kiosk.settings.tomlfile import read_toml
from kiosk.store.entry_log import EntryLogSettings

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DEMO_SETTINGS = CONFIG_DIR / "demo" / "terminal.toml"
DEMO_DOOR_SETTINGS = CONFIG_DIR / "demo" / "door.toml"
DEFAULT_SETTINGS = CONFIG_DIR / "default.toml"

Language = Literal["da", "en"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TerminalSettings(_Section):
    id: str = Field(min_length=1)
    branch: str = Field(min_length=1)
    name: str = ""
    language: Language = "da"
    languages: tuple[Language, ...] = Field(default=("da", "en"), strict=False, min_length=1)
    fullscreen: bool = True
    # "kiosk": borrow, return, account (needs an RFID pad); "door": the entrance panel outside, for
    # unstaffed hours (card, PIN, access rules, unlock).
    role: Literal["kiosk", "door"] = "kiosk"
    # At the door: seconds to wait for the LMS before deciding without it.
    lms_budget_s: float = Field(default=3.0, gt=0, le=30, strict=False)

    @model_validator(mode="after")
    def _default_language_offered(self) -> TerminalSettings:
        if self.language not in self.languages:
            raise ValueError(f"language {self.language!r} is not in languages")
        return self


class SessionSettings(_Section):
    idle_timeout_s: int = Field(default=60, ge=10, le=3600)
    idle_warning_s: int = Field(default=10, ge=1, le=600)
    pin_min_length: int = Field(default=4, ge=1, le=12)
    pin_max_length: int = Field(default=6, ge=1, le=12)
    max_pin_attempts: int = Field(default=3, ge=1, le=10)
    pin_lockout_s: int = Field(default=900, ge=0, le=86400)

    @model_validator(mode="after")
    def _consistent(self) -> SessionSettings:
        if self.idle_warning_s >= self.idle_timeout_s:
            raise ValueError("idle_warning_s must be shorter than idle_timeout_s")
        if self.pin_min_length > self.pin_max_length:
            raise ValueError("pin_min_length must not exceed pin_max_length")
        return self


class PathSettings(_Section):
    data_dir: Path | None = None
    log_dir: Path | None = None


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: int = Field(default=5_000_000, ge=10_000)
    backups: int = Field(default=5, ge=0, le=100)
    console: bool = True


class Sip2Settings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=6001, ge=1, le=65535)
    user: str = ""
    password: str = Field(default="", repr=False)
    institution: str = ""
    location: str = ""
    terminal_password: str = Field(default="", repr=False)
    tls: bool = False
    tls_verify: bool = True
    tls_ca_file: Path | None = None
    telnet: bool = False
    encoding: Literal["cp850", "utf-8", "latin-1"] = "cp850"
    error_detection: bool = True
    timeout_s: float = Field(default=10.0, gt=0, le=120, strict=False)
    retries: int = Field(default=3, ge=0, le=10)
    keepalive_s: float = Field(default=60.0, ge=0, le=3600, strict=False)
    page_size: int = Field(default=50, ge=1, le=500)


class LmsSettings(_Section):
    kind: Literal["sip2", "emulator", "memory"] = "sip2"
    seed: Path | None = None
    sip2: Sip2Settings = Sip2Settings()

    @model_validator(mode="after")
    def _seed_when_needed(self) -> LmsSettings:
        if self.kind in ("emulator", "memory") and self.seed is None:
            raise ValueError(f"seed: the {self.kind!r} LMS needs a seed file")
        return self


class CardReaderSettings(_Section):
    kind: Literal["simulated", "pcsc"] = "simulated"
    reader: str = ""
    uid_byte_order: Literal["as_read", "reversed"] = "as_read"
    uid_format: Literal["hex", "decimal"] = "hex"
    number_source: Literal["uid", "memory"] = "uid"
    memory_first_block: int = Field(default=0, ge=0, le=255)
    memory_block_count: int = Field(default=5, ge=1, le=64)
    memory_block_size: int = Field(default=4, ge=1, le=32)
    memory_offset: int = Field(default=3, ge=0, le=1024)
    memory_length: int = Field(default=16, ge=1, le=64)


class RfidPadSettings(_Section):
    kind: Literal["none", "simulated", "feig"] = "none"
    port: str = "/dev/ttyUSB0"
    baudrate: int = Field(default=38400, gt=0)
    address: int = Field(default=0xFF, ge=0, le=0xFF)
    poll_interval_s: float = Field(default=0.25, gt=0, le=5, strict=False)
    user_blocks: int = Field(default=8, ge=1, le=64)
    security: Literal["afi", "eas"] = "afi"
    afi_secured: int = Field(default=0x07, ge=0, le=0xFF)
    afi_unsecured: int = Field(default=0xC2, ge=0, le=0xFF)


class BarcodeScannerSettings(_Section):
    kind: Literal["none", "simulated", "serial", "wedge"] = "none"
    port: str = "/dev/ttyACM0"
    baudrate: int = Field(default=9600, gt=0)
    prefix: str = ""
    suffix: str = ""


class DoorSettings(_Section):
    kind: Literal["none", "simulated", "lcus", "numato"] = "none"
    port: str = "/dev/ttyUSB1"
    channel: int = Field(default=1, ge=0, le=32)
    pulse_s: float = Field(default=5.0, gt=0, le=60, strict=False)
    watchdog: bool = True


class DoorSensorSettings(_Section):
    kind: Literal["none", "simulated", "numato"] = "none"
    port: str = "/dev/ttyACM1"
    pin: int = Field(default=0, ge=0, le=63)
    open_when: Literal["high", "low"] = "high"


class RelayOutputSettings(_Section):
    """A relay output the opening calendar switches and leaves as set (lights, the intruder alarm)."""

    kind: Literal["none", "simulated", "lcus", "numato"] = "none"
    port: str = "/dev/ttyUSB1"
    channel: int = Field(default=2, ge=0, le=32)


class ReceiptPrinterSettings(_Section):
    kind: Literal["none", "simulated", "serial", "usb", "network", "file"] = "none"
    port: str = "/dev/ttyUSB2"
    baudrate: int = Field(default=19200, gt=0)
    usb_vendor: int = Field(default=0x04B8, ge=0, le=0xFFFF)
    usb_product: int = Field(default=0x0202, ge=0, le=0xFFFF)
    host: str = ""
    tcp_port: int = Field(default=9100, ge=1, le=65535)
    columns: int = Field(default=42, ge=20, le=80)


class DocumentPrinterSettings(_Section):
    kind: Literal["none", "simulated", "cups"] = "none"
    queue: str = ""
    cups_server: str = ""


class AnnouncerSettings(_Section):
    kind: Literal["none", "simulated", "speech", "files"] = "none"
    player: str = "aplay"
    files_dir: Path | None = None


class DeviceSettings(_Section):
    card_reader: CardReaderSettings = CardReaderSettings()
    rfid_pad: RfidPadSettings = RfidPadSettings()
    barcode_scanner: BarcodeScannerSettings = BarcodeScannerSettings()
    door: DoorSettings = DoorSettings()
    door_sensor: DoorSensorSettings = DoorSensorSettings()
    lights: RelayOutputSettings = RelayOutputSettings()
    alarm: RelayOutputSettings = RelayOutputSettings()
    receipt_printer: ReceiptPrinterSettings = ReceiptPrinterSettings()
    document_printer: DocumentPrinterSettings = DocumentPrinterSettings()
    announcer: AnnouncerSettings = AnnouncerSettings()


class CentralSettings(_Section):
    """``[central]``: the municipality's central system (configuration, access list, events)."""

    kind: Literal["none", "http", "emulator"] = "none"
    url: str = ""  # https://... (kind "http")
    token: str = Field(default="", repr=False)  # the bearer token; else $LIBRARY_KIOSK_CENTRAL_TOKEN
    ca_file: Path | None = None  # a private CA bundle; default: the system's CAs
    seed: Path | None = None  # kind "emulator": the built-in emulator's seed (the demo's central.toml)
    config_every_s: float = Field(default=300.0, gt=0, le=86_400, strict=False)
    access_every_s: float = Field(default=60.0, gt=0, le=86_400, strict=False)
    heartbeat_every_s: float = Field(default=60.0, gt=0, le=86_400, strict=False)
    outbox_batch: int = Field(default=200, ge=1, le=500)

    @model_validator(mode="after")
    def _complete(self) -> CentralSettings:
        if self.kind == "http" and not self.url.startswith(("https://", "http://")):
            raise ValueError("url: the central system's address (https://...) is needed for kind 'http'")
        if self.kind == "emulator" and self.seed is None:
            raise ValueError("seed: the 'emulator' central system needs a seed file")
        return self


class ReceiptEmailSettings(_Section):
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    user: str = ""
    password: str = Field(default="", repr=False)
    sender: str = ""
    timeout_s: float = Field(default=10.0, gt=0, le=120, strict=False)

    @model_validator(mode="after")
    def _sender_when_on(self) -> ReceiptEmailSettings:
        if self.smtp_host and "@" not in self.sender:
            raise ValueError("sender: an e-mail address is needed when smtp_host is set")
        return self


class CalendarSettings(_Section):
    # The branch's opening calendar (TOML; see config/demo/calendar.toml), relative to this file.
    file: Path | None = None


class Settings(_Section):
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

    source: Path | None = Field(default=None, exclude=True)


def describe_error(error: dict[str, Any]) -> str:
    """One pydantic error as 'key: problem (got value)'."""
    key = ".".join(str(part) for part in error["loc"]) or "(file)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown setting"
    if kind == "missing":
        return f"{key}: required setting is missing"
    value = error.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}{shown}"


def parse_settings(data: dict[str, Any], source: Path | None = None) -> Settings:
    """Validate already-parsed TOML data. Relative paths are resolved against ``source``'s folder."""
    where = str(source) if source else "<settings>"
    _paths_to_path(data)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(describe_error(e) for e in exc.errors())  # type: ignore[arg-type]
        raise ConfigError(f"{where}: {problems}") from None
    if source is not None:
        base = source.resolve().parent
        ca_file = _resolve(base, settings.lms.sip2.tls_ca_file)
        if ca_file is not None and not ca_file.is_file():
            raise ConfigError(f"{where}: lms.sip2.tls_ca_file: {ca_file} not found")
        settings = settings.model_copy(
            update={
                "source": source,
                "paths": settings.paths.model_copy(
                    update={
                        "data_dir": _resolve(base, settings.paths.data_dir),
                        "log_dir": _resolve(base, settings.paths.log_dir),
                    }
                ),
                "access": settings.access.model_copy(update={
                    "revocation_list": _resolve(base, settings.access.revocation_list),
                    "staff_list": _resolve(base, settings.access.staff_list)}),
                "calendar": settings.calendar.model_copy(
                    update={"file": _resolve(base, settings.calendar.file)}),
                "devices": settings.devices.model_copy(update={
                    "announcer": settings.devices.announcer.model_copy(
                        update={"files_dir": _resolve(base, settings.devices.announcer.files_dir)}),
                }),
                "central": settings.central.model_copy(update={
                    "ca_file": _resolve(base, settings.central.ca_file),
                    "seed": _resolve(base, settings.central.seed)}),
                "lms": settings.lms.model_copy(update={
                    "seed": _resolve(base, settings.lms.seed),
                    "sip2": settings.lms.sip2.model_copy(
                        update={"tls_ca_file": _resolve(base, settings.lms.sip2.tls_ca_file)}),
                }),
            }
        )
    return settings


def _resolve(base: Path, path: Path | None) -> Path | None:
    if path is None:
        return None
    path = path.expanduser()
    return path if path.is_absolute() else (base / path)


_PATH_KEYS = (("paths", "data_dir"), ("paths", "log_dir"), ("lms", "seed"),
              ("lms", "sip2", "tls_ca_file"), ("devices", "announcer", "files_dir"), ("calendar", "file"),
              ("central", "ca_file"), ("central", "seed"))


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
