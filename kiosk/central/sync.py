"""Central sync: pull the terminal's config, the branch's calendar, the access list and the branch's
staff and revocation lists; send the heartbeat (DESIGN.md §4); download the version of the kiosk
the configuration offers (:mod:`kiosk.central.releases`). The outbox (:mod:`kiosk.central.outbox`)
pushes the events.

Each job runs on its own interval. On the core thread :meth:`CentralSync.due_work` says whether one
is due (and claims the run); :meth:`CentralSync.run_due` runs them on a worker, config first, so
that a new access-list key is used at once. A job that fails keeps what was received last and is
tried again after a backoff (exponential with jitter, at most its interval); when the central system
is unreachable the jobs after it wait too. Nothing here raises into the kiosk.

What was received is kept in the store, so a restart works offline at once: the config (with the
access-list key, hex), the calendar and the staff list (with when it came: it is used for
:data:`STAFF_KEPT` at most) in the cache table, the access list in its
:class:`AccessCache`. The cache's keys are HMACs under the municipality's key, so a new key needs
a new list: it is fetched whole under the new key while the old list keeps answering, and replaces
it when its last page is in. The key the live list was made with is kept beside it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from pydantic import ValidationError

from kiosk.central.config import Offer, TerminalConfiguration
from kiosk.central.outbox import Backoff, Outbox, OutboxStats
from kiosk.central.releases import ReleaseDownloads
from kiosk.domain.central import (
    AccessEntry,
    AccessPage,
    CalendarReceived,
    ConfigApplied,
    ReleaseOffer,
    RestartWanted,
    StaffMember,
    TerminalConfig,
)
from kiosk.domain.errors import CentralRejected, CentralUnavailable, CursorExpired, KioskError, StoreError
from kiosk.domain.events import Core, Tick
from kiosk.domain.model import AuthOutcome, AuthResult, Credential, DeviceHealth
from kiosk.domain.ports import CentralService, Clock
from kiosk.domain.privacy import Pseudonymizer
from kiosk.settings.calendar import BranchSettings
from kiosk.store import Store
from kiosk.store.access_cache import DEFAULT_CONSENT_FIELD, AccessCache
from kiosk.store.access_page import AccessListError
from kiosk.store.db import from_sql_json, sql_time
from kiosk.store.keys import keep_key, read_key

log = logging.getLogger(__name__)

CONFIG_KEY = "central.config"
CALENDAR_KEY = "central.calendar"
STAFF_KEY = "central.staff"  # the branch's staff list as last received, and when
REVOKED_KEY = "central.revocations"  # the revocation list as last received (kept however old)
STAFF_KEPT = dt.timedelta(days=3)  # the staff list is used this long after the last fetch, no longer
LIST_KEY = "central.access_list"  # where an older version kept the live list's key ({"key": hex})
CONFIG_KEY_FILE = "access-list.key"  # the access-list key of the terminal config, in the key folder
LIST_KEY_FILE = "access-list-live.key"  # the key the live access list is hashed with
MAX_PAGES = 10_000  # a central system that always says "more" must not hold a worker for ever
MAX_DEVICES, MAX_DEVICE_NAME, MAX_DETAIL = 64, 64, 500  # the contract's limits of a heartbeat
FIRST_RETRY_S = 5.0

Mode = Literal["online", "offline"]


class SyncJob(StrEnum):
    CONFIG = "config"
    CALENDAR = "calendar"
    ACCESS_LIST = "access_list"
    LISTS = "lists"  # the branch's staff list and revocation list
    HEARTBEAT = "heartbeat"


@dataclass
class _Timer:
    every_s: float
    backoff: Backoff
    next_at: float


def wire_page(page: AccessPage) -> dict[str, Any]:
    """An access-list page in the wire shape :meth:`AccessCache.apply` takes."""
    return {"entries": [_wire_entry(entry) for entry in page.entries], "cursor": page.cursor,
            "more": page.more, "full": page.full}


def _wire_entry(entry: AccessEntry) -> dict[str, Any]:
    return {"key": entry.key, "pin_verifier": entry.pin_verifier, "category": entry.category,
            "birth_date": entry.birth_date.isoformat() if entry.birth_date else None,
            "blocked": entry.blocked, "consent": entry.consent, "expires": entry.expires.isoformat(),
            "deleted": entry.deleted}


class CentralSync:
    """Keeps the terminal in step with the central system (see the module's docstring).

    ``health``, ``outbox_stats`` and ``mode`` are called on the worker for each heartbeat, so they
    must be safe to call from another thread (e.g. return the last snapshot). ``consent_field`` is
    the LMS field the door's consent rule reads (as for :class:`AccessCache`).
    """

    def __init__(self, central: CentralService, store: Store, terminal_id: str, branch: str, clock: Clock,
                 *, health: Callable[[], Sequence[DeviceHealth]], outbox_stats: Callable[[], OutboxStats],
                 mode: Callable[[], Mode], config_every_s: float = 300.0, access_every_s: float = 60.0,
                 heartbeat_every_s: float = 60.0, page_size: int = 5000,
                 consent_field: str = DEFAULT_CONSENT_FIELD, rng: random.Random | None = None,
                 configuration: TerminalConfiguration | None = None,
                 disk_free_mb: Callable[[], float] | None = None, version: str | None = None,
                 releases: ReleaseDownloads | None = None) -> None:
        self._central, self._store, self._clock = central, store, clock
        self._terminal, self._branch = terminal_id, branch
        self._health, self._outbox_stats, self._mode = health, outbox_stats, mode
        self._page_size, self._consent_field = page_size, consent_field
        self._configuration = configuration
        self._disk_free_mb = disk_free_mb
        self._version, self._releases = version, releases
        rng = rng or random.Random()
        start = clock.monotonic()
        intervals = {SyncJob.CONFIG: config_every_s, SyncJob.CALENDAR: config_every_s,
                     SyncJob.ACCESS_LIST: access_every_s, SyncJob.LISTS: config_every_s,
                     SyncJob.HEARTBEAT: heartbeat_every_s}
        self._timers = {job: _Timer(every, Backoff(min(FIRST_RETRY_S, every), every, rng), start)
                        for job, every in intervals.items()}
        self._lock = threading.Lock()
        self._in_flight = False
        self._config = self._load_config()
        self._calendar: dict[str, Any] | None = self._load(CALENDAR_KEY)
        self._refused_calendar: dict[str, Any] | None = None
        self._staff = self._load_staff()
        self._revoked = self._load_revoked()
        self._core: Core | None = None
        # The cache that answers (made with the live list's key) and the one that receives pages
        # (made with the config's key): the same but while a list under a new key comes in.
        self._live_key = self._load_list_key()
        self._live: AccessCache | None = None
        self._writer: AccessCache | None = None
        self._writer_key: bytes | None = None
        key = self._live_key or (self._config.access_list_key if self._config else None)
        if key is not None:
            self._live = self._writer = self._open_cache(key)

    def set_intervals(self, *, config_every_s: float, access_every_s: float,
                      heartbeat_every_s: float) -> None:
        """New intervals (a configuration revision in force): each job's next run moves with them."""
        intervals = {SyncJob.CONFIG: config_every_s, SyncJob.CALENDAR: config_every_s,
                     SyncJob.ACCESS_LIST: access_every_s, SyncJob.LISTS: config_every_s,
                     SyncJob.HEARTBEAT: heartbeat_every_s}
        with self._lock:
            for job, every in intervals.items():
                timer = self._timers[job]
                timer.next_at = min(timer.next_at, self._clock.monotonic() + every)
                timer.every_s = every
                timer.backoff.cap_s = max(every, timer.backoff.base_s)

    # -- what the kiosk reads (any thread) -----------------------------------------------------------
    def config(self) -> TerminalConfig | None:
        """The terminal's config as last received (also from an earlier run); None before the first."""
        return self._config

    def calendar(self) -> dict[str, Any] | None:
        """The branch's calendar as last received and accepted (a branch table of a calendar file);
        None before the first. A new one is also posted to the core as :class:`CalendarReceived`."""
        return self._calendar

    def access_cache(self) -> AccessCache | None:
        """The access list for offline logins and door decisions; None before the first config."""
        return self._live

    def staff_list(self) -> tuple[bytes, tuple[StaffMember, ...]] | None:
        """The branch's staff list and the key its tokens are made with, while it is fresh (received
        within :data:`STAFF_KEPT`); None before the first, and once it is older: a card taken off the
        list centrally must stop working even if this terminal cannot hear of it."""
        staff, config = self._staff, self._config
        if staff is None or config is None:
            return None
        received, members = staff
        if self._clock.now() - received > STAFF_KEPT:
            return None
        today = self._clock.now().date()
        return config.access_list_key, tuple(m for m in members if m.expires is None or today <= m.expires)

    def cached_auth(self, credential: Credential, pin: str | None) -> AuthResult | None:
        """The cached access list's answer for a card and PIN, when the LMS gives none; None when
        there is no list yet or the card is not on it."""
        cache = self._live
        if cache is None:
            return None
        answer = cache.check(credential.value, pin)
        return None if answer.auth.outcome is AuthOutcome.UNKNOWN_PATRON else answer.auth

    def attach(self, core: Core, outbox: Outbox) -> None:
        """Send the outbox and run the sync's due jobs on the core's workers, as the ticks find
        them due; one run of each at a time. A new calendar is posted to ``core``."""
        self._core = core

        def report(what: str) -> Callable[[object, BaseException | None], None]:
            def done(_result: object, error: BaseException | None) -> None:
                if error is not None:
                    log.error("%s failed unexpectedly: %s", what, error)
            return done

        def tick(_event: Tick) -> None:
            if outbox.due():
                core.run_in_worker(outbox.send_once, report("the outbox"))
            if self.due_work():
                core.run_in_worker(self.run_due, report("the central sync"))

        core.on(Tick, tick)

    # -- the core thread ---------------------------------------------------------------------------
    def due_work(self) -> bool:
        """A job is due and none is running; True claims the run: call :meth:`run_due` on a worker."""
        with self._lock:
            if self._in_flight or not self._due_jobs():
                return False
            self._in_flight = True
            return True

    # -- the worker --------------------------------------------------------------------------------
    def run_due(self) -> tuple[SyncJob, ...]:
        """Run every job whose time has come; the jobs that succeeded. Blocks; never raises a
        failure of the central system, of its data or of the store (they are logged)."""
        done: list[SyncJob] = []
        try:
            for job in SyncJob:
                with self._lock:
                    if job not in self._due_jobs():
                        continue
                outcome = self._run(job)
                if outcome is None:
                    done.append(job)
                elif isinstance(outcome, CentralUnavailable):
                    self._postpone_due()
                    break
        finally:
            with self._lock:
                self._in_flight = False
        return tuple(done)

    def _run(self, job: SyncJob) -> Exception | None:
        """Run one job and set its timer; the error it failed with, if it did."""
        error: Exception | None = None
        try:
            {SyncJob.CONFIG: self._sync_config, SyncJob.CALENDAR: self._sync_calendar,
             SyncJob.ACCESS_LIST: self._sync_access_list, SyncJob.LISTS: self._sync_lists,
             SyncJob.HEARTBEAT: self._send_heartbeat}[job]()
        except CentralUnavailable as exc:
            log.info("central sync: %s: central system unreachable: %s", job.value, exc)
            error = exc
        except (KioskError, ValueError) as exc:
            log.error("central sync: %s failed: %s", job.value, exc)
            error = exc
        except Exception as exc:  # a bug must not stop the other jobs, nor be retried every tick
            log.exception("central sync: %s failed unexpectedly", job.value)
            error = exc
        with self._lock:
            self._after(job, error is None)
        return error

    def _after(self, job: SyncJob, ok: bool) -> None:
        timer = self._timers[job]
        if ok:
            timer.backoff.succeeded()
            timer.next_at = self._clock.monotonic() + timer.every_s
        else:
            timer.next_at = self._clock.monotonic() + timer.backoff.failed()

    def _postpone_due(self) -> None:
        """The central system is unreachable: the jobs still due wait as if they had failed."""
        with self._lock:
            for job in self._due_jobs():
                self._after(job, False)

    def _due_jobs(self) -> list[SyncJob]:
        now = self._clock.monotonic()
        return [job for job, timer in self._timers.items()
                if now >= timer.next_at and (job is not SyncJob.ACCESS_LIST or self._config is not None)]

    # -- the jobs ----------------------------------------------------------------------------------
    def _sync_config(self) -> None:
        config = self._central.terminal_config(self._terminal)
        if config.terminal_id != self._terminal:
            raise CentralUnavailable(f"terminal config: for terminal {config.terminal_id!r}, not this one")
        if len(config.access_list_key) < 16:
            raise CentralUnavailable("terminal config: the access-list key is shorter than 16 bytes")
        previous = self._config
        if self._configuration is not None and config.revision:
            offer = self._configuration.offer(config.revision, config.settings)
            if offer is Offer.RESTART and self._core is not None:
                self._core.post(RestartWanted(f"configuration revision {config.revision}"))
            elif offer is Offer.LIVE and self._core is not None:
                self._core.post(ConfigApplied(config.revision, dict(config.settings)))
        if self._releases is not None:  # each time: a download that failed is tried again later
            self._releases.fetch(config.release)
        if previous == config:
            return
        keep_key(self._store, CONFIG_KEY_FILE, config.access_list_key)  # in the key folder, not the database
        self._save(CONFIG_KEY, {"terminal_id": config.terminal_id, "settings": dict(config.settings)})
        self._config = config
        if previous is None or previous.access_list_key != config.access_list_key:
            log.info("central sync: %s access-list key", "first" if previous is None else "new")
            with self._lock:
                self._timers[SyncJob.ACCESS_LIST].next_at = self._clock.monotonic()
        else:
            log.info("central sync: new terminal config")

    def _sync_calendar(self) -> None:
        try:
            calendar = self._central.calendar(self._branch)
        except CentralRejected as exc:
            if exc.status != 404:
                raise
            log.info("central sync: the central system has no calendar for branch %s", self._branch)
            return
        if calendar == self._calendar or calendar == self._refused_calendar:
            return
        try:
            BranchSettings.model_validate(calendar)
        except ValidationError as exc:
            self._refused_calendar = calendar
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
            log.error("central sync: the calendar for branch %s is not one this kiosk can use, the one "
                      "before stays (%s)", self._branch, problem)
            return
        self._save(CALENDAR_KEY, calendar)
        self._calendar = calendar
        log.info("central sync: new calendar for branch %s", self._branch)
        if self._core is not None:
            self._core.post(CalendarReceived(calendar))

    @property
    def releases(self) -> ReleaseDownloads | None:
        """The downloads of the versions the central service offers (None: not done here)."""
        return self._releases

    def offered_release(self) -> ReleaseOffer | None:
        """The version the last configuration offered (None before the first of this run)."""
        config = self._config
        return config.release if config is not None else None

    @property
    def service(self) -> CentralService:
        """The central service itself (the print desk asks it for the patron's queue and payments)."""
        return self._central

    def patron_token(self, value: str) -> str | None:
        """The pseudonymous token the central service knows a card number (or ``"code:<digits>"``,
        a release code) by: the print queue's owner; None before the first configuration."""
        config = self._config
        return Pseudonymizer(config.access_list_key)(value) if config is not None else None

    def revoked(self, card_number: str) -> bool:
        """Is this card (or patron identifier) on the central revocation list today? The list as
        last received, however old: a revocation must not lapse because the network did."""
        config = self._config
        if config is None or not self._revoked:
            return False
        token = Pseudonymizer(config.access_list_key)(card_number)
        if token not in self._revoked:
            return False
        until = self._revoked[token]
        return until is None or self._clock.now().date() <= until

    def _sync_lists(self) -> None:
        if self._config is None:
            return  # the tokens are made with the config's key: the config comes first
        revoked = {entry.token: entry.until for entry in self._central.revocations(self._branch)}
        if revoked != self._revoked:
            self._save(REVOKED_KEY, {t: u.isoformat() if u else None for t, u in revoked.items()})
            log.info("central sync: revocation list of branch %s: %d cards", self._branch, len(revoked))
            self._revoked = revoked
        self._sync_staff()

    def _load_revoked(self) -> dict[str, dt.date | None]:
        value = self._load(REVOKED_KEY)
        try:
            return {str(t): dt.date.fromisoformat(u) if u else None for t, u in (value or {}).items()}
        except (AttributeError, TypeError, ValueError) as exc:
            log.error("central sync: the kept revocation list is not readable (%s): none until the next", exc)
            return {}

    def _sync_staff(self) -> None:
        members = self._central.staff_list(self._branch)
        now = self._clock.now()
        self._save(STAFF_KEY, {"received": now.isoformat(), "staff": [
            {"token": m.token, "role": m.role, "pin_verifier": m.pin_verifier,
             "expires": m.expires.isoformat() if m.expires else None} for m in members]})
        if self._staff is None or self._staff[1] != members:
            log.info("central sync: staff list of branch %s: %d cards", self._branch, len(members))
        self._staff = (now, members)

    def _load_staff(self) -> tuple[dt.datetime, tuple[StaffMember, ...]] | None:
        value = self._load(STAFF_KEY)
        try:
            if not isinstance(value, dict):
                return None
            return dt.datetime.fromisoformat(value["received"]), tuple(
                StaffMember(str(m["token"]), str(m["role"]), str(m["pin_verifier"]),
                            dt.date.fromisoformat(m["expires"]) if m.get("expires") else None)
                for m in value["staff"])
        except (KeyError, TypeError, ValueError) as exc:
            log.error("central sync: the kept staff list is not readable (%s): none until the next", exc)
            return None

    def _sync_access_list(self) -> None:
        config = self._config
        if config is None:
            return
        key = config.access_list_key
        writer = self._writer
        if writer is None or self._writer_key != key:
            writer = self._writer = self._open_cache(key)
            log.info("central sync: the access list is fetched whole under the new key")
        # Under a new key the live list's cursor is worth nothing: start from the beginning, unless
        # a full refresh under the new key is already coming in.
        fresh = self._live_key != key and not writer.stats().refreshing
        cursor = None if fresh else writer.cursor
        expired = False
        for _ in range(MAX_PAGES):
            try:
                page = self._central.access_list(self._branch, cursor, self._page_size)
            except CursorExpired:
                if expired or cursor is None:
                    raise
                expired = True
                log.info("central sync: access-list cursor expired: the list is fetched whole")
                writer.abandon_full()
                cursor = None
                continue
            try:
                writer.apply(wire_page(page))
            except AccessListError:
                writer.abandon_full()
                raise
            if page.full and not page.more:
                self._list_is_live(writer, key)
            cursor = page.cursor
            if not page.more:
                return
        raise CentralUnavailable(f"access list: still more after {MAX_PAGES} pages")

    def _list_is_live(self, cache: AccessCache, key: bytes) -> None:
        if self._live_key != key:
            keep_key(self._store, LIST_KEY_FILE, key)
            self._live_key = key
        self._live = cache

    def _send_heartbeat(self) -> None:
        stats = self._outbox_stats()
        devices = [replace(device, device=device.device[:MAX_DEVICE_NAME] or "device",
                           detail=device.detail[:MAX_DETAIL]) for device in self._health()][:MAX_DEVICES]
        self._central.heartbeat(self._terminal, devices, pending=stats.pending,
                                oldest_age_s=stats.oldest_age_s, mode=self._mode(), at=self._clock.now(),
                                config=self._configuration.report() if self._configuration else None,
                                disk_free_mb=self._disk_free() if self._disk_free_mb else None,
                                version=self._version)

    def _disk_free(self) -> float | None:
        assert self._disk_free_mb is not None
        try:
            return self._disk_free_mb()
        except OSError:
            return None

    # -- the store ---------------------------------------------------------------------------------
    def _open_cache(self, key: bytes) -> AccessCache:
        cache = AccessCache(self._store, key, self._clock.now, consent_field=self._consent_field)
        self._writer_key = key
        return cache

    def _load_config(self) -> TerminalConfig | None:
        value = self._load(CONFIG_KEY)
        try:
            if value is None:
                return None
            if "access_list_key" in value:  # an older version kept the key in the database: moved out
                keep_key(self._store, CONFIG_KEY_FILE, bytes.fromhex(value["access_list_key"]))
                value = {k: v for k, v in value.items() if k != "access_list_key"}
                self._save(CONFIG_KEY, value)
            key = read_key(self._store, CONFIG_KEY_FILE)
            if key is None:
                log.warning("central sync: the access-list key is missing from the key folder; waiting for "
                            "the terminal config")
                return None
            return TerminalConfig(str(value["terminal_id"]), dict(value["settings"]), key)
        except (KeyError, TypeError, ValueError):
            log.warning("central sync: the kept terminal config is unreadable; waiting for a new one")
            return None

    def _load_list_key(self) -> bytes | None:
        value = self._load(LIST_KEY)
        try:
            if value is not None:  # an older version kept the key in the database: moved out
                keep_key(self._store, LIST_KEY_FILE, bytes.fromhex(value["key"]))
                self._delete(LIST_KEY)
            return read_key(self._store, LIST_KEY_FILE)
        except (KeyError, TypeError, ValueError):
            log.warning("central sync: the kept access-list key is unreadable; the list is fetched whole")
            return None

    def _load(self, key: str) -> Any:
        with _store_errors(f"read {key}"), self._store.connection() as conn:
            row = conn.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()
        return None if row is None else from_sql_json(row[0])

    def _delete(self, key: str) -> None:
        with _store_errors(f"drop {key}"), self._store.transaction() as conn:
            conn.execute("DELETE FROM cache WHERE key = ?", (key,))

    def _save(self, key: str, value: Any) -> None:
        with _store_errors(f"keep {key}"), self._store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO cache (key, value, etag, updated_at) VALUES (?, ?, NULL, ?)",
                         (key, json.dumps(value), sql_time(self._clock.now())))


@contextlib.contextmanager
def _store_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, ValueError) as exc:  # ValueError: a kept value that is not JSON
        raise StoreError(f"central sync: cannot {doing} ({type(exc).__name__})") from exc
