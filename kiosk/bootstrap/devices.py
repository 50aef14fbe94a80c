"""Building a terminal's devices from its settings: each a real driver on its real device, the
same driver on its byte simulator over an in-process cable (``simulated``: :mod:`hardware.simulated`),
an in-memory stand-in (``memory``), or none.

Drivers are imported only when a terminal uses them, so a kiosk without (say) CUPS does not need
pycups to start.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from kiosk.domain.errors import ConfigError
from kiosk.domain.ports import (
    Announcer,
    BarcodeScanner,
    CardReader,
    Devices,
    DocumentPrinter,
    DoorLock,
    DoorSensor,
    ExitButton,
    ItemReader,
    ReceiptPrinter,
    RelayOutput,
)
from kiosk.settings import DeviceSettings
from kiosk.testing.memory import (
    MemoryAnnouncer,
    MemoryBarcodeScanner,
    MemoryCardReader,
    MemoryDocumentPrinter,
    MemoryDoorLock,
    MemoryDoorSensor,
    MemoryExitButton,
    MemoryItemReader,
    MemoryReceiptPrinter,
    MemoryRelayOutput,
)

Closer = Callable[[], None]


def build_devices(settings: DeviceSettings, closers: list[Closer], simulators: Any = None,
                  cache_dir: Path | None = None) -> Devices:
    """The devices the settings ask for; the ``simulated`` ones on ``simulators`` (see
    :func:`simulators_for`). Each driver's ``close`` is added to ``closers``. ``cache_dir``: a
    private folder where a driver may keep what it would otherwise work out on every start."""
    boards: dict[str, Any] = {}
    if simulators is None and "simulated" in _kinds(settings):
        raise ConfigError("devices: a simulated device needs its simulators (the demo makes them)")
    return Devices(
        card_reader=_card_reader(settings, closers),
        item_reader=_item_reader(settings, closers, simulators),
        barcode_scanner=_barcode_scanner(settings, closers, simulators),
        door_lock=_door_lock(settings, closers, boards, simulators),
        door_sensor=_door_sensor(settings, closers, boards, simulators),
        exit_button=_exit_button(settings, closers, boards, simulators),
        lights=_relay_output("lights", settings, closers, boards, simulators),
        alarm=_relay_output("alarm", settings, closers, boards, simulators),
        receipt_printer=_receipt_printer(settings, closers, simulators, cache_dir),
        document_printer=_document_printer(settings, cache_dir),
        announcer=_announcer(settings, closers),
    )


def simulators_for(settings: DeviceSettings, closers: list[Closer], folder: Path) -> Any:
    """The simulators behind the ``simulated`` devices (a :class:`hardware.simulated.Simulators`,
    its cables in ``folder``), or None when there are none; stopped by the first of ``closers``."""
    if "simulated" not in _kinds(settings):
        return None
    from hardware.simulated import Simulators

    simulators = Simulators(folder)
    closers.insert(0, simulators.close)  # closers run in reverse: the simulators stop last
    return simulators


def _kinds(settings: DeviceSettings) -> set[str]:
    return {str(getattr(section, "kind", "")) for _name, section in settings}


def _card_reader(settings: DeviceSettings, closers: list[Closer]) -> CardReader:
    if settings.card_reader.kind == "memory":
        return MemoryCardReader()
    from hardware.cards.pcsc import PcscCardReader, PcscSettings

    reader = PcscCardReader(PcscSettings.from_settings(settings.card_reader))
    closers.append(reader.stop)
    return reader


def _item_reader(settings: DeviceSettings, closers: list[Closer], simulators: Any) -> ItemReader | None:
    config = settings.rfid_pad
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryItemReader()
    from hardware.rfid.feig import FeigReader, FeigSettings
    from hardware.rfid.tagdata import decode_tag_data

    if config.kind == "simulated":
        config = config.model_copy(update={"port": simulators.pad_port()})
    reader = FeigReader(FeigSettings.from_pad_settings(config), decode_tag=decode_tag_data)
    closers.append(reader.stop)
    return reader


def _barcode_scanner(settings: DeviceSettings, closers: list[Closer], simulators: Any
                     ) -> BarcodeScanner | None:
    config = settings.barcode_scanner
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryBarcodeScanner()
    if config.kind == "wedge":
        from hardware.scanner.wedge_source import KeyboardWedgeScanner

        return KeyboardWedgeScanner()
    from hardware.scanner.serial_scanner import ScannerSettings, SerialBarcodeScanner

    port = simulators.scanner_port() if config.kind == "simulated" else config.port
    scanner = SerialBarcodeScanner(ScannerSettings(port=port, baudrate=config.baudrate,
                                                   prefix=config.prefix, suffix=config.suffix))
    closers.append(scanner.stop)
    return scanner


def _door_lock(settings: DeviceSettings, closers: list[Closer], boards: dict[str, Any], simulators: Any
               ) -> DoorLock | None:
    config = settings.door
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryDoorLock()
    from hardware.door.relay import RelayDoorLock
    from hardware.door.watchdog import supervised_door_lock
    from hardware.door.watchdog_service import ServiceWatchdog

    board = _relay_board(config.kind, config.port, boards, closers, simulators)
    lock: RelayDoorLock
    if config.watchdog == "spawn":
        # The watchdog's limit is the configured pulse plus its margin: the only pulse the kiosk sends.
        lock = supervised_door_lock(board, config.channel, max_pulse_s=config.pulse_s, owns_board=False)
    elif config.watchdog == "service":  # its limits come from the same settings file (door-watchdog)
        lock = RelayDoorLock(board, config.channel, max_pulse_s=config.pulse_s,
                             watchdog=ServiceWatchdog(config.watchdog_socket))
    else:
        lock = RelayDoorLock(board, config.channel, max_pulse_s=config.pulse_s)
    closers.append(lock.close)  # runs before the board's close: the relay goes off first
    return lock


def _door_sensor(settings: DeviceSettings, closers: list[Closer], boards: dict[str, Any], simulators: Any
                 ) -> DoorSensor | None:
    config = settings.door_sensor
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryDoorSensor()
    from hardware.door.contact import NumatoDoorSensor

    board = _input_board(config.kind, config.port, boards, closers, simulators)
    sensor = NumatoDoorSensor(board, config.pin, open_level=config.open_when == "high")
    closers.append(sensor.stop)
    return sensor


def _exit_button(settings: DeviceSettings, closers: list[Closer], boards: dict[str, Any], simulators: Any
                 ) -> ExitButton | None:
    config = settings.exit_button
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryExitButton()
    from hardware.door.contact import NumatoExitButton

    board = _input_board(config.kind, config.port, boards, closers, simulators)
    button = NumatoExitButton(board, config.pin, pressed_level=config.pressed_when == "high")
    closers.append(button.stop)
    return button


def _relay_output(name: Literal["lights", "alarm"], settings: DeviceSettings, closers: list[Closer],
                  boards: dict[str, Any], simulators: Any) -> RelayOutput | None:
    config = settings.lights if name == "lights" else settings.alarm
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryRelayOutput(name)
    from hardware.door.relay import RelayChannelOutput

    door = settings.door
    same_board = door.kind == config.kind and (door.port == config.port or config.kind == "simulated")
    if same_board and door.channel == config.channel:
        raise ConfigError(f"devices.{name}: channel {config.channel} on {config.port} is the door's")
    board = _relay_board(config.kind, config.port, boards, closers, simulators)
    return RelayChannelOutput(board, config.channel, name)


def _input_board(kind: str, port: str, boards: dict[str, Any], closers: list[Closer], simulators: Any
                 ) -> Any:
    """The Numato board whose GPIO inputs carry the door contact and the exit button (shared with
    the lock and the outputs on the same port)."""
    from hardware.door.relay import NumatoBoard

    board = _relay_board(kind, port, boards, closers, simulators)
    assert isinstance(board, NumatoBoard)  # _relay_board refuses an LCUS board on a Numato's port
    return board


def _relay_board(kind: str, port: str, boards: dict[str, Any], closers: list[Closer], simulators: Any) -> Any:
    """One board object per serial port, shared by the lock, the door contact and the outputs. A
    ``simulated`` board is a Numato board's simulator."""
    from hardware.door.relay import LcusBoard, NumatoBoard

    if kind == "simulated":
        kind, port = "numato", simulators.board_port()
    if port not in boards:
        board = LcusBoard(port) if kind == "lcus" else NumatoBoard(port)
        closers.insert(1 if simulators is not None else 0, board.close)  # closes after its users
        boards[port] = board
    elif not isinstance(boards[port], LcusBoard if kind == "lcus" else NumatoBoard):
        raise ConfigError(f"devices: {port} cannot be both an LCUS and a Numato board")
    return boards[port]


def _receipt_printer(settings: DeviceSettings, closers: list[Closer], simulators: Any,
                     cache_dir: Path | None) -> ReceiptPrinter | None:
    config = settings.receipt_printer
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryReceiptPrinter()
    from hardware.printers.receipt import EscPosReceiptPrinter, connection_from_settings

    if config.kind == "simulated":
        config = config.model_copy(update={"kind": "serial", "port": simulators.printer_port()})
    printer = EscPosReceiptPrinter(connection_from_settings(config), columns=config.columns,
                                   cache_dir=cache_dir)
    closers.append(printer.close)
    return printer


DEMO_PRINT_POLLS = 3  # the demo's printer takes a few seconds a job, so the screen shows it printing


def _document_printer(settings: DeviceSettings, cache_dir: Path | None) -> DocumentPrinter | None:
    config = settings.document_printer
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryDocumentPrinter()
    if config.kind == "simulated":  # the demo's: what it prints lands in the data folder's printed/
        return MemoryDocumentPrinter(DEMO_PRINT_POLLS, cache_dir.parent / "printed" if cache_dir else None)
    if not config.queue:
        raise ConfigError("devices.document_printer.queue: name the CUPS queue to print to")
    from hardware.printers.cups_printer import CupsDocumentPrinter, server_from_settings

    host, port = server_from_settings(config)
    return CupsDocumentPrinter(config.queue, host=host, port=port)


def _announcer(settings: DeviceSettings, closers: list[Closer]) -> Announcer | None:
    config = settings.announcer
    if config.kind == "none":
        return None
    if config.kind == "memory":
        return MemoryAnnouncer()
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
