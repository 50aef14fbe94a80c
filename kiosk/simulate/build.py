"""The composition root of ``library-kiosk simulate``: a kiosk built to be driven by a scenario.

The kiosk is the real one (settings, store, session, circulation, SIP2 client), single-threaded
(:class:`~kiosk.domain.events.InlineWorkers`) on a :class:`~kiosk.testing.memory.ManualClock`, with the
devices of the demo terminal. Its LMS is a fresh SIP2 emulator seeded from the scenario's seed file
(so scenarios never see each other's loans), or any SIP2 server given with ``--sip2``. The window
and the steps are :mod:`kiosk.simulate.runner`'s job; this module builds, and hands over.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from kiosk.bootstrap.demo import demo_cards, read_seed
from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.results import Outcome
from kiosk.domain.errors import ConfigError
from kiosk.domain.events import InlineWorkers
from kiosk.domain.model import Credential, CredentialKind, SecurityState, Tag
from kiosk.settings import (
    DEMO_SETTINGS,
    CentralSettings,
    FbsSettings,
    LmsSettings,
    Settings,
    Sip2Settings,
    load_settings,
)
from kiosk.simulate.scenario import (
    COMMANDS,
    ExpectItem,
    ExpectJournal,
    ExpectReceipt,
    ExpectTransaction,
    FailSecurity,
    Place,
    PresentCard,
    Remove,
    Scenario,
    ScenarioError,
    TypePin,
)
from kiosk.testing.memory import (
    ManualClock,
    MemoryBarcodeScanner,
    MemoryCardReader,
    MemoryDoorLock,
    MemoryDoorSensor,
    MemoryItemReader,
    MemoryReceiptPrinter,
    in_memory,
)

DEMO_SEED = DEMO_SETTINGS.parent / "lms.toml"
RESTART_S = 5.0  # how long the kiosk is away between a kill and its restart
_COMMAND_NAMES = {code: name for name, code in COMMANDS.items()}


@dataclasses.dataclass(frozen=True)
class LmsTransaction:
    """A request the LMS emulator applied (no PIN, no name)."""

    code: str
    item: str = ""
    ok: bool = True
    detail: str = ""

    @property
    def command(self) -> str:
        return _COMMAND_NAMES.get(self.code, self.code)


class LmsControl(Protocol):
    """What a scenario may do to the built-in LMS emulator."""

    def stop(self) -> None: ...

    def restart(self) -> None:
        """Listen again, on the same port, with the loans it had."""
        ...

    def apply_quirks(self, changes: Mapping[str, Any]) -> None: ...

    def transactions(self) -> list[LmsTransaction]: ...


class _EmulatorControl:
    def __init__(self, emulator: Any) -> None:
        self._emulator = emulator

    def stop(self) -> None:
        self._emulator.stop()

    def restart(self) -> None:
        self._emulator.stop()
        self._emulator.start()

    def apply_quirks(self, changes: Mapping[str, Any]) -> None:
        self._emulator.update_quirks(**changes)

    def transactions(self) -> list[LmsTransaction]:
        return [LmsTransaction(r.command, r.item or "", r.ok, r.detail or "")
                for r in self._emulator.transactions]


@dataclasses.dataclass
class Simulation:
    """A built kiosk and the handles a scenario drives it by. :meth:`close` when done."""

    kiosk: Kiosk
    clock: ManualClock
    card_reader: MemoryCardReader
    scanner: MemoryBarcodeScanner | None
    pad: MemoryItemReader | None  # None at the door
    printer: MemoryReceiptPrinter | None
    lms: LmsControl | None  # None against an outside SIP2 server
    seed: Path
    folder: Path  # logs (and, without a data_dir, the database): removed by close()
    settings: Settings | None = None  # what the kiosk was built with: what restart() builds again
    stop_lms: Callable[[], None] | None = None  # the built-in emulator's, run by close()
    kills: int = 0

    def restart(self) -> None:
        """kill -9 and a restart: the kiosk is dropped where it stands (its connections and database
        closed, nothing finished or sent) and built again on the same database, LMS and clock, after
        :data:`RESTART_S` on the clock. What is physical stays: the tags on the pad (in the state
        they are in), the door's contact, the receipts already printed, the pulses already given."""
        assert self.settings is not None
        self.clock.advance(RESTART_S)
        old, old_pad, old_printer = self.kiosk, self.pad, self.printer
        old_lock = old.devices.door_lock
        old_sensor = old.devices.door_sensor
        tags = old_pad.lying if old_pad is not None else []
        old.close()
        kiosk = _assemble(self.settings, self.clock, self.seed)
        devices = kiosk.devices
        pad, printer = devices.item_reader, devices.receipt_printer
        if isinstance(pad, MemoryItemReader):
            pad.place(*tags)  # before the kiosk listens: they were lying there when it started
        if isinstance(printer, MemoryReceiptPrinter) and old_printer is not None:
            for receipt in old_printer.printed:
                printer.print_receipt(receipt)
            printer.count = old_printer.count
        lock, sensor = devices.door_lock, devices.door_sensor
        if isinstance(lock, MemoryDoorLock) and isinstance(old_lock, MemoryDoorLock):
            lock.pulses.extend(old_lock.pulses)
        if isinstance(sensor, MemoryDoorSensor) and isinstance(old_sensor, MemoryDoorSensor):
            sensor.set_open(old_sensor.is_open())
        assert isinstance(devices.card_reader, MemoryCardReader)
        scanner = devices.barcode_scanner
        self.kiosk, self.card_reader = kiosk, devices.card_reader
        self.scanner = scanner if isinstance(scanner, MemoryBarcodeScanner) else None
        self.pad = pad if isinstance(pad, MemoryItemReader) else None
        self.printer = printer if isinstance(printer, MemoryReceiptPrinter) else None
        self.kills += 1

    # -- the devices, as a scenario's steps use them ----------------------------------------------
    def present(self, action: PresentCard) -> str | None:
        """Hold the card to the reader (or the scanner); returns a seed patron's PIN."""
        if action.patron is not None:
            card = self.kiosk.demo_cards[action.patron - 1]
            self.card_reader.present(card.credential)
            return card.pin
        if action.card is not None:
            self.card_reader.present(Credential(CredentialKind.CARD_UID, action.card))
            return None
        if self.scanner is None:
            raise ConfigError("this terminal has no barcode scanner to read the card with")
        kind = CredentialKind.BARCODE if action.barcode is not None else CredentialKind.HEALTH_CARD
        self.scanner.scan(Credential(kind, action.barcode or action.cpr or ""))
        return None

    def seed_tags(self, item: str | None, parts: tuple[int, ...] = (), items: tuple[str, ...] = ()
                  ) -> list[Tag]:
        """The demo tags of these items (of ``item``, only ``parts`` if given). An item the seed does
        not have (one of an outside LMS's own) gets a secured tag of its own: one part, or as many
        as ``parts`` names."""
        wanted = ((item,) if item else ()) + items
        tags = [t for t in self.kiosk.demo_tags
                if t.item_id in wanted and (not parts or t.part_number in parts)]
        known = {t.item_id for t in self.kiosk.demo_tags}
        for other in (w for w in wanted if w not in known):
            numbers = parts if other == item and parts else (1,)
            tags += [Tag(uid=f"sim-{other}-{n}", item_id=other, part_number=n, parts_in_set=max(numbers),
                         security=SecurityState.SECURED) for n in numbers]
        return tags

    def _pad(self) -> MemoryItemReader:
        if self.pad is None:
            raise ConfigError("this terminal has no RFID pad (the door panel lends nothing)")
        return self.pad

    def place(self, action: Place) -> None:
        pad = self._pad()
        if action.tags:
            tags = [Tag(uid=t.uid, item_id=t.item, owner_library=t.owner, part_number=t.part,
                        parts_in_set=t.parts_in_set,
                        security=SecurityState.SECURED if t.secured else SecurityState.UNSECURED)
                    for t in action.tags]
        else:
            # A tag already on the pad keeps its state (a loan unsecured it); a new one comes secured.
            lying = {t.uid: t for t in pad.inventory()}
            tags = [lying.get(t.uid, t) for t in self.seed_tags(action.item, action.parts, action.items)]
        pad.place(*tags)

    def remove(self, action: Remove) -> None:
        pad = self._pad()
        if action.all:
            uids = [t.uid for t in pad.inventory()]
        else:
            uids = list(action.uids) or [t.uid for t in self.seed_tags(action.item, action.parts,
                                                                        action.items)]
        pad.remove(*uids)

    def fail_security(self, action: FailSecurity) -> None:
        uids = list(action.uids) or [t.uid for t in self.seed_tags(action.item, action.parts)]
        self._pad().fail_security_writes.update(uids)

    # -- what the world saw -------------------------------------------------------------------------
    def check(self, expectation: ExpectItem | ExpectTransaction | ExpectReceipt | ExpectJournal,
              outcomes: Mapping[str, Outcome]) -> tuple[bool, Any, Any]:
        """(held, expected, actual) for an expectation on items, the LMS, receipts or the journal."""
        if isinstance(expectation, ExpectItem):
            outcome = outcomes.get(expectation.item)
            return (outcome is expectation.outcome, expectation.outcome.value,
                    outcome.value if outcome else None)
        if isinstance(expectation, ExpectTransaction):
            if self.lms is None:
                raise ConfigError("expect_transaction needs the built-in LMS emulator")
            seen = [t for t in self.lms.transactions() if t.code == expectation.code
                    and (expectation.item is None or t.item == expectation.item)
                    and (expectation.ok is None or t.ok is expectation.ok)]
            count = expectation.count
            wanted = {"command": expectation.command, "item": expectation.item, "ok": expectation.ok,
                      "count": count if count is not None else "at least 1"}
            return (len(seen) == count if count is not None else bool(seen)), wanted, {"count": len(seen)}
        if isinstance(expectation, ExpectReceipt):
            printed = self.printer.printed if self.printer is not None else []
            texts = ["\n".join([r.title, *(line.text for line in r.lines), r.footer]) for r in printed]
            held = expectation.count is None or len(printed) == expectation.count
            if expectation.contains is not None:
                held = held and any(expectation.contains in text for text in texts)
            return (held, {"contains": expectation.contains, "count": expectation.count},
                    {"receipts": len(printed)})
        count = self.kiosk.journal.count(expectation.state)
        return count == expectation.count, {expectation.state: expectation.count}, {expectation.state: count}

    def close(self) -> None:
        self.kiosk.close()
        if self.stop_lms is not None:
            self.stop_lms()
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_kiosk", False):
                root.removeHandler(handler)
                handler.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def build_for_simulation(
    seed: Path = DEMO_SEED,
    *,
    sip2: Sip2Settings | None = None,
    settings_path: Path = DEMO_SETTINGS,
    language: str | None = None,
    start: dt.datetime | None = None,
    data_dir: Path | None = None,
    central: bool = False,
    fbs: bool = False,
) -> Simulation:
    """The demo terminal in a temporary folder, against a fresh emulator on ``seed`` or ``sip2``.

    ``seed`` also gives the demo patrons (cards, PINs) and tags a scenario refers to; ``start`` (naive:
    local time at the branch) is where the clock starts. ``data_dir`` keeps the terminal's database
    (its journal: offline loans to replay, what was in doubt) there, for the next run or ``run``.
    ``central`` runs the terminal's built-in central system emulator (the access list it caches).
    ``fbs``: the built-in emulator speaks FBS (SIP2 in XML over HTTP) and the kiosk is configured for
    FBS.
    """
    base = load_settings(settings_path)
    clock = ManualClock(_aware(start, base.access.zone) if start is not None else None)
    folder = Path(tempfile.mkdtemp(prefix="kiosk-simulate-"))
    emulator: Any = None
    try:
        lms: LmsSettings
        if fbs:
            emulator, lms = _start_fbs_emulator(seed, clock)
        else:
            if sip2 is None:
                emulator, sip2 = _start_emulator(seed, clock)
            lms = LmsSettings(kind="sip2", sip2=sip2.model_copy(update={"keepalive_s": 0.0, "timeout_s": 5.0,
                                                                        "retries": 1}))
        settings = _settings(base, folder, lms, language, central)
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            settings = settings.model_copy(update={
                "paths": settings.paths.model_copy(update={"data_dir": data_dir.resolve()})})
        kiosk = _assemble(settings, clock, seed)
    except BaseException:
        if emulator is not None:
            emulator.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    devices = kiosk.devices
    pad = devices.item_reader
    if not isinstance(devices.card_reader, MemoryCardReader) or not isinstance(pad, MemoryItemReader | None):
        kiosk.close()
        if emulator is not None:
            emulator.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise ConfigError(f"{settings_path}: simulate needs a simulated card reader and RFID pad")
    scanner, printer = devices.barcode_scanner, devices.receipt_printer
    return Simulation(
        kiosk=kiosk, clock=clock, card_reader=devices.card_reader,
        scanner=scanner if isinstance(scanner, MemoryBarcodeScanner) else None,
        pad=pad,
        printer=printer if isinstance(printer, MemoryReceiptPrinter) else None,
        lms=_EmulatorControl(emulator) if emulator is not None else None,
        seed=seed, folder=folder, settings=settings, stop_lms=emulator.stop if emulator is not None else None,
    )


def _assemble(settings: Settings, clock: ManualClock, seed: Path) -> Kiosk:
    """The kiosk, single-threaded on ``clock``, with the seed's people and things to refer to."""
    from kiosk.bootstrap.demo import demo_tags

    seed_data = read_seed(seed)
    kiosk = build(settings, profile="demo", clock=clock, workers=InlineWorkers(), log_to_console=False)
    kiosk.demo_cards = demo_cards(seed_data)
    kiosk.demo_tags = tuple(demo_tags(seed_data))
    kiosk.demo_titles = {str(i["id"]): str(i.get("title", "")) for i in seed_data.get("items", [])}
    return kiosk


def _aware(start: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A local time at the branch as a fixed-offset time (the manual clock adds seconds to it)."""
    if start.tzinfo is not None:
        return start
    aware = start.replace(tzinfo=zone)
    offset = aware.utcoffset()
    assert offset is not None
    return aware.astimezone(dt.timezone(offset))


def _load(seed: Path) -> Any:
    from sync.sip2.emulator_data import load_data

    try:
        return load_data(seed)
    except ValueError as exc:
        raise ConfigError(f"lms seed: {exc}") from None


def _start_emulator(seed: Path, clock: ManualClock) -> tuple[Any, Sip2Settings]:
    from sync.sip2.emulator import Sip2Emulator

    data = _load(seed)
    password = secrets.token_hex(8)
    emulator = Sip2Emulator(data, host="127.0.0.1", port=0, user="kiosk", password=password,
                            clock=clock.now)
    emulator.start()
    host, port = emulator.address
    return emulator, Sip2Settings(host=host, port=port, user="kiosk", password=password,
                                  institution=data.library.institution, location=data.library.location)


def _start_fbs_emulator(seed: Path, clock: ManualClock) -> tuple[Any, LmsSettings]:
    from sync.fbs.emulator import FbsEmulator

    data = _load(seed)
    password = secrets.token_hex(8)
    emulator = FbsEmulator(data, login="kiosk", password=password, clock=clock.now).start()
    return emulator, LmsSettings(kind="fbs", fbs=FbsSettings(
        endpoint=emulator.url, agency=data.library.institution, login="kiosk", password=password,
        location=data.library.location, timeout_s=5.0, retries=1))


def _settings(base: Settings, folder: Path, lms: LmsSettings, language: str | None, central: bool
              ) -> Settings:
    paths = base.paths.model_copy(update={"data_dir": folder / "data", "log_dir": folder / "log"})
    logging_settings = base.logging.model_copy(update={"console": False})
    update: dict[str, Any] = {"paths": paths, "logging": logging_settings, "devices": in_memory(base.devices),
                              "lms": lms}
    if not central:
        update["central"] = CentralSettings()
    elif base.central.kind != "emulator":
        raise ConfigError("central = true: this terminal's settings have no built-in central system emulator")
    if language is not None:
        update["terminal"] = base.terminal.model_copy(update={"language": language})
    return base.model_copy(update=update)


def check_against_seed(scenario: Scenario, seed: Mapping[str, Any], *, outside_lms: bool = False) -> None:
    """The patrons and items the steps name exist in the seed the kiosk will run on. Against an
    outside LMS (``--sip2``) an item may be one of the server's own, not in the seed."""
    where = scenario.source.name if scenario.source is not None else "<scenario>"
    patrons = len(seed.get("patrons", []))
    parts = {str(i.get("id")): int(i.get("parts_in_set", 1)) for i in seed.get("items", [])}
    presented = False
    for step in scenario.steps:
        action, prefix = step.action, f"{where}: step {step.number} ({step.do}): "
        if isinstance(action, PresentCard):
            presented = action.patron is not None
            if action.patron is not None and action.patron > patrons:
                raise ScenarioError(f"{prefix}patron: {action.patron} is past the seed's {patrons} "
                                    "patrons")
        elif isinstance(action, TypePin) and action.pin is None and not presented:
            raise ScenarioError(f"{prefix}pin: required unless a seed patron was presented before")
        elif isinstance(action, Place | Remove | FailSecurity):
            named = ((action.item,) if action.item else ()) + getattr(action, "items", ())
            for item in named:
                if item not in parts and not outside_lms:
                    raise ScenarioError(f"{prefix}item: {item} is not in the seed's items")
            for part in action.parts:
                if action.item in parts and not 1 <= part <= parts[action.item]:
                    raise ScenarioError(f"{prefix}parts: item {action.item} has parts 1 to "
                                        f"{parts[action.item]} (got {part})")
