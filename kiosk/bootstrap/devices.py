"""Building a terminal's devices from its settings: real drivers, or the simulated ones.

Drivers are imported only when a terminal uses them, so a kiosk without (say) CUPS does not need
pycups to start.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from typing import Any, Literal

from kiosk.domain.errors import ConfigError
from kiosk.domain.model import SecurityState, Tag
from kiosk.domain.ports import (
    Announcer,
    BarcodeScanner,
    CardReader,
    Devices,
    DocumentPrinter,
    DoorLock,
    DoorSensor,
    ItemReader,
    ReceiptPrinter,
    RelayOutput,
)
from kiosk.settings import DeviceSettings
from kiosk.testing.memory import (
    FakeAnnouncer,
    FakeBarcodeScanner,
    FakeCardReader,
    FakeDocumentPrinter,
    FakeDoorLock,
    FakeDoorSensor,
    FakeItemReader,
    FakeReceiptPrinter,
    FakeRelayOutput,
)

Closer = Callable[[], None]


def demo_tags(seed: Mapping[str, Any]) -> list[Tag]:
    """One secured tag per part of every item in the seed data, for the simulated pad."""
    tags = []
    for number, item in enumerate(seed.get("items", []), start=1):
        parts = int(item.get("parts_in_set", 1))
        for part in range(1, parts + 1):
            tags.append(Tag(uid=f"E0040150{number:04X}{part:04X}", item_id=str(item["id"]),
                            owner_library=str(item.get("owner", "")), part_number=part,
                            parts_in_set=parts, security=SecurityState.SECURED))
    return tags


def build_devices(settings: DeviceSettings, closers: list[Closer]) -> Devices:
    """The devices the settings ask for; each real driver's ``close`` is added to ``closers``."""
    boards: dict[str, Any] = {}
    return Devices(
        card_reader=_card_reader(settings, closers),
        item_reader=_item_reader(settings, closers),
        barcode_scanner=_barcode_scanner(settings, closers),
        door_lock=_door_lock(settings, closers, boards),
        door_sensor=_door_sensor(settings, closers, boards),
        lights=_relay_output("lights", settings, closers, boards),
        alarm=_relay_output("alarm", settings, closers, boards),
        receipt_printer=_receipt_printer(settings, closers),
        document_printer=_document_printer(settings),
        announcer=_announcer(settings, closers),
    )


def _card_reader(settings: DeviceSettings, closers: list[Closer]) -> CardReader:
    if settings.card_reader.kind == "simulated":
        return FakeCardReader()
    from hardware.cards.pcsc import PcscCardReader, PcscSettings

    reader = PcscCardReader(PcscSettings.from_settings(settings.card_reader))
    closers.append(reader.stop)
    return reader


def _item_reader(settings: DeviceSettings, closers: list[Closer]) -> ItemReader | None:
    kind = settings.rfid_pad.kind
    if kind == "none":
        return None
    if kind == "simulated":
        return FakeItemReader()
    from hardware.rfid.feig import FeigReader, FeigSettings
    from hardware.rfid.tagdata import decode_tag_data

    reader = FeigReader(FeigSettings.from_pad_settings(settings.rfid_pad), decode_tag=decode_tag_data)
    closers.append(reader.stop)
    return reader


def _barcode_scanner(settings: DeviceSettings, closers: list[Closer]) -> BarcodeScanner | None:
    config = settings.barcode_scanner
    if config.kind == "none":
        return None
    if config.kind == "simulated":
        return FakeBarcodeScanner()
    if config.kind == "wedge":
        from hardware.scanner.wedge_source import KeyboardWedgeScanner

        return KeyboardWedgeScanner()
    from hardware.scanner.serial_scanner import ScannerSettings, SerialBarcodeScanner

    scanner = SerialBarcodeScanner(ScannerSettings(port=config.port, baudrate=config.baudrate,
                                                   prefix=config.prefix, suffix=config.suffix))
    closers.append(scanner.stop)
    return scanner


def _door_lock(settings: DeviceSettings, closers: list[Closer], boards: dict[str, Any]) -> DoorLock | None:
    config = settings.door
    if config.kind == "none":
        return None
    if config.kind == "simulated":
        return FakeDoorLock()
    from hardware.door.relay import RelayDoorLock
    from hardware.door.watchdog import supervised_door_lock

    board = _relay_board(config.kind, config.port, boards, closers)
    lock: RelayDoorLock
    if config.watchdog:
        lock = supervised_door_lock(board, config.channel, max_pulse_s=max(30.0, config.pulse_s),
                                    owns_board=False)
    else:
        lock = RelayDoorLock(board, config.channel, max_pulse_s=max(30.0, config.pulse_s))
    closers.append(lock.close)  # runs before the board's close: the relay goes off first
    return lock


def _door_sensor(settings: DeviceSettings, closers: list[Closer], boards: dict[str, Any]
                 ) -> DoorSensor | None:
    config = settings.door_sensor
    if config.kind == "none":
        return None
    if config.kind == "simulated":
        return FakeDoorSensor()
    from hardware.door.relay import NumatoBoard, NumatoDoorSensor

    board = _relay_board("numato", config.port, boards, closers)
    assert isinstance(board, NumatoBoard)
    sensor = NumatoDoorSensor(board, config.pin, open_level=config.open_when == "high")
    closers.append(sensor.stop)
    return sensor


def _relay_output(name: Literal["lights", "alarm"], settings: DeviceSettings, closers: list[Closer],
                  boards: dict[str, Any]) -> RelayOutput | None:
    config = settings.lights if name == "lights" else settings.alarm
    if config.kind == "none":
        return None
    if config.kind == "simulated":
        return FakeRelayOutput(name)
    from hardware.door.relay import RelayChannelOutput

    door = settings.door
    if door.kind == config.kind and door.port == config.port and door.channel == config.channel:
        raise ConfigError(f"devices.{name}: channel {config.channel} on {config.port} is the door's")
    return RelayChannelOutput(_relay_board(config.kind, config.port, boards, closers), config.channel, name)


def _relay_board(kind: str, port: str, boards: dict[str, Any], closers: list[Closer]) -> Any:
    """One board object per serial port, shared by the lock and the door contact."""
    from hardware.door.relay import LcusBoard, NumatoBoard

    if port not in boards:
        board = LcusBoard(port) if kind == "lcus" else NumatoBoard(port)
        closers.insert(0, board.close)  # closers run in reverse: the board closes last
        boards[port] = board
    elif not isinstance(boards[port], LcusBoard if kind == "lcus" else NumatoBoard):
        raise ConfigError(f"devices: {port} cannot be both an LCUS and a Numato board")
    return boards[port]


def _receipt_printer(settings: DeviceSettings, closers: list[Closer]) -> ReceiptPrinter | None:
    config = settings.receipt_printer
    if config.kind == "none":
        return None
    if config.kind == "simulated":
        return FakeReceiptPrinter()
    from hardware.printers.receipt import EscPosReceiptPrinter, connection_from_settings

    printer = EscPosReceiptPrinter(connection_from_settings(config), columns=config.columns)
    closers.append(printer.close)
    return printer


def _document_printer(settings: DeviceSettings) -> DocumentPrinter | None:
    config = settings.document_printer
    if config.kind == "none":
        return None
    if config.kind == "simulated":
        return FakeDocumentPrinter()
    if not config.queue:
        raise ConfigError("devices.document_printer.queue: name the CUPS queue to print to")
    from hardware.printers.cups_printer import CupsDocumentPrinter, server_from_settings

    host, port = server_from_settings(config)
    return CupsDocumentPrinter(config.queue, host=host, port=port)


def _announcer(settings: DeviceSettings, closers: list[Closer]) -> Announcer | None:
    config = settings.announcer
    if config.kind == "none":
        return None
    if config.kind == "simulated":
        return FakeAnnouncer()
    from hardware.announcer import AudioFileAnnouncer, SpeechAnnouncer

    player = tuple(shlex.split(config.player))
    speech = SpeechAnnouncer(player=player)
    closers.append(speech.close)
    if config.kind == "speech":
        return speech
    if config.files_dir is None:
        raise ConfigError("devices.announcer.files_dir: the \"files\" announcer needs a folder")
    files = AudioFileAnnouncer(config.files_dir, player=player, fallback=speech)
    closers.append(files.close)
    return files
