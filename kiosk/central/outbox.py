"""The outbox: journal rows go to the central system in batches, each once (DESIGN.md §3, §4).

Every row of the journal is written before it is acted on; this worker delivers it afterwards. A row
is sent when its outcome is known (the rule is the journal's, :data:`OUTBOX_FINAL_STATES`): events
(entries, door alarms, anything that is not a checkout or a checkin) at once, checkouts and checkins
only in a final state (never while pending, offline or replaying). The event is built from the row
alone (:func:`central_event`), so the resend of a batch whose answer was lost (the network broke,
the process was killed) is byte for byte the same, and the central system, idempotent by event id,
counts it once. A row is marked sent (``sent_at``) only after the central system acknowledged it.
All state is in the journal: a restart just goes on.

While the central system is unreachable the outbox backs off exponentially with jitter, up to
``max_backoff_s``. An event the central system refuses (400, 409: a bug on one side) is never
dropped nor rewritten: it is singled out by halving the batch, logged as an error with its id, kept
unsent, and tried again after ``max_backoff_s`` (and after every restart); the rest goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.domain.central import CentralEvent
from kiosk.domain.errors import CentralRejected, CentralUnavailable
from kiosk.domain.ports import CentralService, Clock
from kiosk.store import Journal, JournalEntry

log = logging.getLogger(__name__)

WIRE_KINDS = {"checkout": "transaction", "checkin": "transaction", "door_alarm": "alarm", "entry": "entry",
              "update_rolled_back": "alarm"}
PRIVATE_FIELDS = ("patron_sealed",)  # the sealed patron identifier of an offline loan stays here
MAX_BATCH = 500  # the contract's most events per request
EVENT_REFUSALS = (400, 409, 422)  # a refusal of something in the batch (not of the terminal)


@dataclass(frozen=True)
class OutboxStats:
    """What staff and the heartbeat see: events waiting (``pending``) and the age of the oldest of
    them in seconds (None when none waits); ``held``: transactions not sent because their outcome is
    not known yet; ``refused``: events the central system refused (see the log), kept to try again."""

    pending: int
    oldest_age_s: float | None
    held: int = 0
    refused: int = 0


def central_event(entry: JournalEntry) -> CentralEvent:
    """The event for a journal row, from the row only: the same row gives the same event."""
    payload = {key: value for key, value in entry.payload.items() if key not in PRIVATE_FIELDS}
    payload.update(type=entry.kind, state=entry.state, error=entry.last_error)
    return CentralEvent(id=entry.id, kind=WIRE_KINDS.get(entry.kind, entry.kind), at=_utc(entry.created_at),
                        payload=payload)


def _utc(at: dt.datetime) -> dt.datetime:
    """A time from the store: SQLite keeps no offset, and the journal writes UTC."""
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


class Backoff:
    """Exponential backoff with jitter: after the n-th failure in a row, wait between half and all
    of min(``cap_s``, ``base_s`` * 2**(n-1)) seconds, so that terminals do not all come back at once."""

    def __init__(self, base_s: float, cap_s: float, rng: random.Random) -> None:
        if not 0 < base_s <= cap_s:
            raise ValueError("backoff: 0 < base <= cap")
        self.base_s, self.cap_s, self._rng = base_s, cap_s, rng
        self.failures = 0

    def failed(self) -> float:
        """One more failure; how long to wait before the next try."""
        self.failures += 1
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.failures - 1, 60))
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    def succeeded(self) -> None:
        self.failures = 0


class Outbox:
    """Delivers the journal to the central system.

    On the core thread, :meth:`due` says whether to run :meth:`send_once` now (on a worker); a True
    claims the run, so until that send_once returns, due() says False. ``backoff_s`` is both the
    first wait after a failure and the interval between looks at the journal when all is well.
    """

    def __init__(self, journal: Journal, central: CentralService, terminal_id: str, clock: Clock, *,
                 batch: int = 200, backoff_s: float = 5.0, max_backoff_s: float = 600.0,
                 rng: random.Random | None = None) -> None:
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"outbox batch: 1 to {MAX_BATCH} events")
        self._journal, self._central, self._terminal, self._clock = journal, central, terminal_id, clock
        self._batch = batch
        self._interval = backoff_s
        self._backoff = Backoff(backoff_s, max_backoff_s, rng or random.Random())
        self._lock = threading.Lock()  # guards what the core thread and the worker share
        self._sending = threading.Lock()  # one send_once at a time
        self._in_flight = False
        self._next_try = clock.monotonic()
        self._refused: dict[str, float] = {}  # event id -> monotonic time to try it again
        self._floor = 0  # every row below this seq is sent

    @property
    def batch(self) -> int:
        return self._batch

    @batch.setter
    def batch(self, events: int) -> None:
        """How many events go in one request (a configuration revision in force)."""
        if not 1 <= events <= MAX_BATCH:
            raise ValueError(f"outbox batch: 1 to {MAX_BATCH} events")
        self._batch = events

    # -- the core thread ---------------------------------------------------------------------------
    def due(self) -> bool:
        """Time for a try and none in flight; True claims the run (see the class)."""
        with self._lock:
            if self._in_flight or self._clock.monotonic() < self._next_try:
                return False
            self._in_flight = True
            return True

    @property
    def retry_in_s(self) -> float:
        """Seconds until the next try is due (0: due now)."""
        with self._lock:
            return max(0.0, self._next_try - self._clock.monotonic())

    def stats(self) -> OutboxStats:
        """Reads the journal: any thread."""
        counts = self._journal.outbox_counts(self._floor)
        self._raise_floor(counts.floor)
        age = None
        if counts.oldest_created_at is not None:
            age = max(0.0, (self._clock.now() - counts.oldest_created_at).total_seconds())
        with self._lock:
            refused = len(self._refused)
        return OutboxStats(counts.unsent, age, counts.held, refused)

    # -- the worker --------------------------------------------------------------------------------
    def send_once(self) -> int:
        """Send batches until nothing is left or the central system fails; how many events it
        acknowledged. Blocks (run it on a worker). Failures are logged and end in a backoff, never
        in an exception; only the unexpected (a store error) propagates, also after a backoff."""
        if not self._sending.acquire(blocking=False):
            return 0
        sent, failed = 0, True
        try:
            sent, failed = self._send_all()
        finally:
            self._sending.release()
            with self._lock:
                self._in_flight = False
                if failed:
                    delay = self._backoff.failed()
                else:
                    delay = self._interval
                    self._backoff.succeeded()
                self._next_try = self._clock.monotonic() + delay
        if sent:
            log.info("outbox: %d events delivered to the central system", sent)
        return sent

    def _send_all(self) -> tuple[int, bool]:
        """(events acknowledged, whether to back off)."""
        counts = self._journal.outbox_counts(self._floor)
        self._raise_floor(counts.floor)
        sent = refused = 0
        while rows := self._journal.unsent(self._batch, from_seq=self._floor, exclude=self._refused_now()):
            try:
                delivered, rejected = self._deliver(rows)
            except CentralUnavailable as exc:
                level = logging.WARNING if self._backoff.failures == 0 else logging.INFO
                log.log(level, "outbox: central system unreachable, %d events wait: %s",
                        counts.unsent - sent, exc)
                return sent, True
            except CentralRejected as exc:
                log.error("outbox: the central system refuses the terminal's events: %s", exc)
                return sent, True
            sent, refused = sent + delivered, refused + rejected
        return sent, refused > 0

    def _deliver(self, rows: Sequence[JournalEntry]) -> tuple[int, int]:
        """Send these rows, halving the batch to single out what the central system refuses;
        (acknowledged, refused)."""
        try:
            receipt = self._central.send_events(self._terminal, [central_event(row) for row in rows])
        except CentralRejected as exc:
            if exc.status not in EVENT_REFUSALS:
                raise
            if len(rows) > 1:
                half = len(rows) // 2
                first, second = self._deliver(rows[:half]), self._deliver(rows[half:])
                return first[0] + second[0], first[1] + second[1]
            with self._lock:
                self._refused[rows[0].id] = self._clock.monotonic() + self._backoff.cap_s
            log.error("outbox: the central system refused event %s (a %s row, seq %d): %s; kept, tried "
                      "again in %.0f s", rows[0].id, rows[0].kind, rows[0].seq, exc, self._backoff.cap_s)
            return 0, 1
        acknowledged = set(receipt.accepted) | set(receipt.duplicates)
        done = [row.id for row in rows if row.id in acknowledged]
        self._journal.mark_sent(done, self._clock.now().astimezone(dt.UTC))
        with self._lock:
            for entry_id in done:
                self._refused.pop(entry_id, None)
        if len(done) < len(rows):
            raise CentralUnavailable(f"the receipt leaves out {len(rows) - len(done)} of {len(rows)} events")
        return len(done), 0

    def _refused_now(self) -> list[str]:
        """The refused events not to try again yet."""
        now = self._clock.monotonic()
        with self._lock:
            return [entry_id for entry_id, until in self._refused.items() if until > now]

    def _raise_floor(self, floor: int) -> None:
        # A floor read at any time stays true: rows below it are sent, new rows come above it.
        with self._lock:
            self._floor = max(self._floor, floor)
