"""In-memory stand-ins of every port (the ``memory`` device kind), for tests, scenarios and
screenshots, and for the demo's card reader.

Each behaves like the real thing as far as the core can tell (state, refusals, health), and lets a
test drive it: present a card, put tags on the pad, unplug a device. :class:`ManualClock` moves only
when told to.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from kiosk.domain.central import Revoked, StaffMember
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import (
    Credential,
    DeviceHealth,
    DeviceState,
    PrinterJobStatus,
    PrintJob,
    Receipt,
    SecurityState,
    Tag,
)
from kiosk.domain.ports import CredentialListener, TagsListener
from kiosk.settings import DeviceSettings

COPENHAGEN = dt.timezone(dt.timedelta(hours=1))
RECEIPTS_KEPT = 100


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 11, 25, 20, 15, tzinfo=COPENHAGEN)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            self._mono += seconds


class _Device:
    """Shared health and plug state of an in-memory device."""

    name = "device"

    def __init__(self) -> None:
        self.plugged = True

    def unplug(self) -> None:
        self.plugged = False

    def replug(self) -> None:
        self.plugged = True

    def health(self) -> DeviceHealth:
        if self.plugged:
            return DeviceHealth(self.name, DeviceState.OK)
        return DeviceHealth(self.name, DeviceState.UNAVAILABLE, "unplugged")

    def _require(self) -> None:
        if not self.plugged:
            raise DeviceUnavailable(f"{self.name} is unplugged")


class MemoryCardReader(_Device):
    name = "card_reader"

    def __init__(self) -> None:
        super().__init__()
        self._listener: CredentialListener | None = None

    def start(self, on_credential: CredentialListener) -> None:
        self._listener = on_credential

    def stop(self) -> None:
        self._listener = None

    def present(self, credential: Credential) -> None:
        """A card is held to the reader."""
        if self.plugged and self._listener is not None:
            self._listener(credential)


class MemoryBarcodeScanner(MemoryCardReader):
    name = "barcode_scanner"

    def scan(self, credential: Credential) -> None:
        self.present(credential)


class MemoryItemReader(_Device):
    name = "rfid_pad"

    def __init__(self) -> None:
        super().__init__()
        self._tags: dict[str, Tag] = {}
        self._listener: TagsListener | None = None
        self.fail_security_writes: set[str] = set()
        self.before_write: Callable[[str], None] | None = None  # called with the uid first (a test's hook)

    def start(self, on_tags: TagsListener) -> None:
        self._listener = on_tags

    def stop(self) -> None:
        self._listener = None

    def place(self, *tags: Tag) -> None:
        for tag in tags:
            self._tags[tag.uid] = tag
        self._notify()

    def remove(self, *uids: str) -> None:
        for uid in uids:
            self._tags.pop(uid, None)
        self._notify()

    def inventory(self) -> list[Tag]:
        self._require()
        return list(self._tags.values())

    @property
    def lying(self) -> list[Tag]:
        """The tags on the pad, whether or not it can be read (a test's view of the world)."""
        return list(self._tags.values())

    def write_security(self, uid: str, state: SecurityState) -> SecurityState:
        self._require()
        if self.before_write is not None:
            self.before_write(uid)
        tag = self._tags.get(uid)
        if tag is None:
            raise DeviceUnavailable(f"tag {uid} is no longer on the pad")
        if uid not in self.fail_security_writes:
            self._tags[uid] = replace(tag, security=state)
        return self._tags[uid].security

    def _notify(self) -> None:
        if self.plugged and self._listener is not None:
            self._listener(list(self._tags.values()))


class MemoryDoorLock(_Device):
    name = "door_lock"

    def __init__(self, now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()) -> None:
        super().__init__()
        self._now = now
        self.unlocked = False
        self.pulses: list[float] = []
        self.last_pulse: tuple[dt.datetime, float] | None = None
        self.heartbeats = 0
        self.before_pulse: Callable[[], None] | None = None  # called first (a test's hook)

    def pulse(self, seconds: float) -> None:
        self._require()
        if self.before_pulse is not None:
            self.before_pulse()
        self.pulses.append(seconds)
        self.last_pulse = (self._now(), seconds)
        self.unlocked = False  # an in-memory pulse is over as soon as it is recorded

    def lock(self) -> None:
        self.unlocked = False

    def core_alive(self) -> None:
        self.heartbeats += 1


class MemoryRelayOutput(_Device):
    """A relay output (lights, alarm); ``states`` is every state set, in order."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.states: list[bool] = []

    @property
    def on(self) -> bool | None:
        return self.states[-1] if self.states else None

    def set(self, on: bool) -> None:
        self._require()
        self.states.append(on)


class MemoryDoorSensor(_Device):
    name = "door_sensor"

    def __init__(self) -> None:
        super().__init__()
        self._open = False
        self._listener: Callable[[bool], None] | None = None

    def start(self, on_change: Callable[[bool], None]) -> None:
        self._listener = on_change

    def stop(self) -> None:
        self._listener = None

    def is_open(self) -> bool:
        return self._open

    def set_open(self, is_open: bool) -> None:
        if is_open != self._open:
            self._open = is_open
            if self._listener is not None:
                self._listener(is_open)


class MemoryExitButton(_Device):
    name = "exit_button"

    def __init__(self) -> None:
        super().__init__()
        self._listener: Callable[[], None] | None = None

    def start(self, on_press: Callable[[], None]) -> None:
        self._listener = on_press

    def stop(self) -> None:
        self._listener = None

    def press(self) -> None:
        if self._listener is not None:
            self._listener()


class MemoryReceiptPrinter(_Device):
    """Keeps the last :data:`RECEIPTS_KEPT` receipts (a demo prints all night) and counts them all."""

    name = "receipt_printer"

    def __init__(self) -> None:
        super().__init__()
        self._printed: deque[Receipt] = deque(maxlen=RECEIPTS_KEPT)
        self.count = 0

    @property
    def printed(self) -> list[Receipt]:
        return list(self._printed)

    def print_receipt(self, receipt: Receipt) -> None:
        self._require()
        self._printed.append(receipt)
        self.count += 1


KEEP_JOBS = 32  # a memory printer remembers this many jobs: the kiosk follows one job at a time, for minutes


class MemoryDocumentPrinter(_Device):
    """A printer whose jobs complete at once, or after :attr:`processing_polls` questions (so that a
    screen can show the job printing); :attr:`jam_next` makes the next job fail with a paper jam.
    ``out_dir`` (the demo's printer): each document is written there as ``<job>.pdf`` (what "came
    out") and not kept in memory."""

    name = "document_printer"

    def __init__(self, processing_polls: int = 0, out_dir: Path | None = None) -> None:
        super().__init__()
        self.out_dir = out_dir
        self.jobs: dict[str, tuple[PrintJob, bytes]] = {}
        self.jam_next = False  # the next job jams: its state is "failed", its reason "media-jam"
        self.processing_polls = processing_polls  # each new job is "processing" for this many questions
        self.canceled: list[str] = []
        self._jammed: set[str] = set()
        self._polls_left: dict[str, int] = {}
        self._submitted = 0

    def submit(self, job: PrintJob, document: bytes) -> str:
        self._require()
        self._submitted += 1
        printer_id = f"fake-{self._submitted}"
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / f"{printer_id}-{job.job_id}.pdf").write_bytes(document)
            document = b""
        self.jobs[printer_id] = (job, document)
        self._polls_left[printer_id] = self.processing_polls
        if len(self.jobs) > KEEP_JOBS:  # the demo's printer runs all night: the oldest are forgotten
            oldest = next(iter(self.jobs))
            del self.jobs[oldest], self._polls_left[oldest]
            self._jammed.discard(oldest)
        if self.jam_next:
            self.jam_next = False
            self._jammed.add(printer_id)
        return printer_id

    def job_status(self, printer_job_id: str) -> PrinterJobStatus:
        if printer_job_id not in self.jobs:
            return PrinterJobStatus("unknown", detail="no such job")
        if printer_job_id in self.canceled:
            return PrinterJobStatus("canceled", sheets=0, detail="canceled")
        if self._polls_left[printer_job_id] > 0:
            self._polls_left[printer_job_id] -= 1
            return PrinterJobStatus("processing", detail="printing")
        if printer_job_id in self._jammed:
            return PrinterJobStatus("failed", ("media-jam",), sheets=0, detail="paper jam")
        job, _ = self.jobs[printer_job_id]
        sides = 2 if job.duplex else 1
        sheets = -(-job.pages // sides) * max(job.copies, 1)
        return PrinterJobStatus("completed", sheets=sheets, detail="printed")

    def job_state(self, printer_job_id: str) -> str:
        return self.job_status(printer_job_id).state

    def cancel(self, printer_job_id: str) -> None:
        """Cancel a job that has not completed (a jammed one included)."""
        if printer_job_id in self.jobs and printer_job_id not in self.canceled and (
                printer_job_id in self._jammed or self._polls_left[printer_job_id] > 0):
            self.canceled.append(printer_job_id)


class MemoryAnnouncer(_Device):
    name = "announcer"

    def __init__(self) -> None:
        super().__init__()
        self.spoken: list[tuple[str, str]] = []

    def announce(self, text: str, language: str) -> None:
        self._require()
        self.spoken.append((text, language))


class MemoryCentralService:
    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []
        self.heartbeats: list[tuple[str, tuple[DeviceHealth, ...]]] = []
        self.access: list[dict[str, object]] = []
        self.jobs: list[PrintJob] = []
        self.staff: tuple[StaffMember, ...] = ()
        self.revoked: tuple[Revoked, ...] = ()

    def terminal_config(self, terminal_id: str) -> dict[str, object]:
        return {"terminal_id": terminal_id}

    def staff_list(self, branch: str) -> tuple[StaffMember, ...]:
        return self.staff

    def revocations(self, branch: str) -> tuple[Revoked, ...]:
        return self.revoked

    def calendar(self, branch: str) -> dict[str, object]:
        return {"branch": branch, "periods": []}

    def access_list(self, cursor: str | None) -> tuple[list[dict[str, object]], str]:
        start = int(cursor or 0)
        return self.access[start:], str(len(self.access))

    def send_events(self, events: Sequence[dict[str, object]]) -> None:
        seen = {e.get("id") for e in self.events}
        self.events.extend(e for e in events if e.get("id") not in seen)

    def heartbeat(self, terminal_id: str, health: Sequence[DeviceHealth]) -> None:
        self.heartbeats.append((terminal_id, tuple(health)))

    def print_jobs(self, owner_token: str) -> list[PrintJob]:
        return [j for j in self.jobs if j.owner_token == owner_token]


def in_memory(devices: DeviceSettings) -> DeviceSettings:
    """The same devices, each ``simulated`` one as its in-memory stand-in: for tests, scenarios and
    screenshots that drive the devices themselves, one event at a time."""
    changes = {name: section.model_copy(update={"kind": "memory"})
               for name, section in devices if getattr(section, "kind", None) == "simulated"}
    return devices.model_copy(update=changes)
