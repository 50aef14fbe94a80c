"""``[devices.*]``: the terminal's devices, each a real driver, ``simulated`` (the real driver on
its byte simulator) or ``memory`` (an in-memory double)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from kiosk.settings.base import Section


class CardReaderSettings(Section):
    kind: Literal["memory", "pcsc"] = "memory"
    reader: str = ""
    uid_byte_order: Literal["as_read", "reversed"] = "as_read"
    uid_format: Literal["hex", "decimal"] = "hex"
    number_source: Literal["uid", "memory"] = "uid"
    memory_first_block: int = Field(default=0, ge=0, le=255)
    memory_block_count: int = Field(default=5, ge=1, le=64)
    memory_block_size: int = Field(default=4, ge=1, le=32)
    memory_offset: int = Field(default=3, ge=0, le=1024)
    memory_length: int = Field(default=16, ge=1, le=64)


class RfidPadSettings(Section):
    kind: Literal["none", "memory", "simulated", "feig"] = "none"
    port: str = "/dev/ttyUSB0"
    baudrate: int = Field(default=38400, gt=0)
    address: int = Field(default=0xFF, ge=0, le=0xFF)
    poll_interval_s: float = Field(default=0.25, gt=0, le=5, strict=False)
    user_blocks: int = Field(default=8, ge=1, le=64)
    security: Literal["afi", "eas"] = "afi"
    afi_secured: int = Field(default=0x07, ge=0, le=0xFF)
    afi_unsecured: int = Field(default=0xC2, ge=0, le=0xFF)


class BarcodeScannerSettings(Section):
    kind: Literal["none", "memory", "simulated", "serial", "wedge"] = "none"
    port: str = "/dev/ttyACM0"
    baudrate: int = Field(default=9600, gt=0)
    prefix: str = ""
    suffix: str = ""


class DoorSettings(Section):
    kind: Literal["none", "memory", "simulated", "lcus", "numato"] = "none"
    port: str = "/dev/ttyUSB1"
    channel: int = Field(default=1, ge=0, le=32)
    pulse_s: float = Field(default=5.0, gt=0, le=60, strict=False)
    # "spawn": the kiosk starts the crash watchdog beside itself; "service": it connects to the
    # door watchdog's own unit at watchdog_socket; "none". true and false (older files) are
    # "spawn" and "none".
    watchdog: Literal["spawn", "service", "none"] = "spawn"
    watchdog_socket: Path = Path("/run/library-kiosk/door.sock")

    @field_validator("watchdog", mode="before")
    @classmethod
    def _watchdog_was_a_switch(cls, value: object) -> object:
        if isinstance(value, bool):
            return "spawn" if value else "none"
        return value


class DoorSensorSettings(Section):
    kind: Literal["none", "memory", "simulated", "numato"] = "none"
    port: str = "/dev/ttyACM1"
    pin: int = Field(default=0, ge=0, le=63)
    open_when: Literal["high", "low"] = "high"


class ExitButtonSettings(Section):
    """``[devices.exit_button]``: the request-to-exit (REX) button or exit sensor inside the door."""

    kind: Literal["none", "memory", "simulated", "numato"] = "none"
    port: str = "/dev/ttyACM1"
    pin: int = Field(default=1, ge=0, le=63)
    pressed_when: Literal["high", "low"] = "high"


class RelayOutputSettings(Section):
    """A relay output the opening calendar switches and leaves as set (lights, the intruder alarm)."""

    kind: Literal["none", "memory", "simulated", "lcus", "numato"] = "none"
    port: str = "/dev/ttyUSB1"
    channel: int = Field(default=2, ge=0, le=32)


class ReceiptPrinterSettings(Section):
    kind: Literal["none", "memory", "simulated", "serial", "usb", "network", "file"] = "none"
    port: str = "/dev/ttyUSB2"
    baudrate: int = Field(default=19200, gt=0)
    usb_vendor: int = Field(default=0x04B8, ge=0, le=0xFFFF)
    usb_product: int = Field(default=0x0202, ge=0, le=0xFFFF)
    host: str = ""
    tcp_port: int = Field(default=9100, ge=1, le=65535)
    columns: int = Field(default=42, ge=20, le=80)


class DocumentPrinterSettings(Section):
    # "simulated": the demo's printer (a few seconds a job; each document written into the data
    # folder's printed/); "cups": a CUPS queue (an IPP Everywhere printer, followed on the printer).
    kind: Literal["none", "memory", "simulated", "cups"] = "none"
    queue: str = ""
    cups_server: str = ""


class AnnouncerSettings(Section):
    kind: Literal["none", "memory", "speech", "files"] = "none"
    player: str = "aplay"
    files_dir: Path | None = None


class DeviceSettings(Section):
    card_reader: CardReaderSettings = CardReaderSettings()
    rfid_pad: RfidPadSettings = RfidPadSettings()
    barcode_scanner: BarcodeScannerSettings = BarcodeScannerSettings()
    door: DoorSettings = DoorSettings()
    door_sensor: DoorSensorSettings = DoorSensorSettings()
    exit_button: ExitButtonSettings = ExitButtonSettings()
    lights: RelayOutputSettings = RelayOutputSettings()
    alarm: RelayOutputSettings = RelayOutputSettings()
    receipt_printer: ReceiptPrinterSettings = ReceiptPrinterSettings()
    document_printer: DocumentPrinterSettings = DocumentPrinterSettings()
    announcer: AnnouncerSettings = AnnouncerSettings()

    @model_validator(mode="after")
    def _inputs_apart(self) -> DeviceSettings:
        sensor, button = self.door_sensor, self.exit_button
        if ("none" not in (sensor.kind, button.kind) and sensor.kind == button.kind != "memory"
                and (sensor.port == button.port or sensor.kind == "simulated") and sensor.pin == button.pin):
            raise ValueError(f"exit_button: GPIO {button.pin} is the door contact's (door_sensor.pin)")
        return self
