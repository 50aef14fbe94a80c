"""The central service in one object: store, API and server, with what the demo and the tests need
around it (seed data, recorded exchanges, faults on demand).

The same FastAPI application and store that a municipality runs; only :meth:`fail_next`,
:meth:`garble_next` and :attr:`delay_s` are for tests, as a layer outside the API. Usage::

    central = CentralService(tmp_path / "central.db")   # or "postgresql://..."
    credential = central.enrol("kiosk-1", "hovedbiblioteket")   # the terminal's bearer token
    central.upsert_patron("1000000001", "1234", category="adult")
    central.start()               # listening on central.url (port 0 = OS-chosen)
    central.fail_next(2)          # the next two requests are answered 503
    ...
    central.stop()

``library-kiosk central --port P --db FILE|URL [--seed config/demo/central.toml]`` runs it until
SIGINT or SIGTERM (:mod:`sync.central.cli`) and prints ``listening on URL`` once it accepts
connections.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import secrets
import ssl
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from kiosk.domain.pins import pin_verifier
from sync.central.server.alarm_store import Alarm, AlarmStore
from sync.central.server.alarms import AlarmEngine, AlarmSettings, Channel
from sync.central.server.api import create_app
from sync.central.server.ledger import Ledger
from sync.central.server.mail_in import MailIn, MailInSettings, ReplyMailer
from sync.central.server.notify import default_channels
from sync.central.server.office import OfficeConverter
from sync.central.server.payments.card import CardPayments
from sync.central.server.payments.methods import PrintPayments
from sync.central.server.payments.quickpay import QuickPayProvider
from sync.central.server.payments.settings import SIMULATED_MOUNT, PaymentSettings
from sync.central.server.payments.simulator import SimulatedProvider
from sync.central.server.print_inbox import PrintInbox
from sync.central.server.print_queue import PrintQueue
from sync.central.server.revocations import Revocations
from sync.central.server.serve import Serving
from sync.central.server.staff_list import StaffList
from sync.central.server.store import CentralStore
from sync.central.server.web.oidc import OidcSettings

__all__ = ["CentralService", "Exchange"]

log = logging.getLogger("sync.central.server")

EXCHANGE_LOG = 1000  # requests kept for ``exchanges()``, so that a demo running all night does not grow

GARBLED = b'{"jobs": [{"id": "pj-1", "title": '


@dataclass(frozen=True)
class Exchange:
    """One request the service answered: what was asked, the status, and the body bytes sent."""

    method: str
    path: str
    status: int
    body_bytes: int


@dataclass(frozen=True)
class _Fault:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()


class CentralService:
    """The central service on ``host:port`` with its state in ``database`` (an SQLite file, or a
    ``postgresql://`` URL).

    ``access_list_key`` is the municipality's key for patron tokens; a new database makes one up.
    ``cursor_retention``: when set, access-list cursors more than that many changes behind are
    answered 410 (the change log is compacted after every change); otherwise only :meth:`compact`
    expires them. ``office``: converts office documents sent to print (default: LibreOffice's
    ``soffice`` if it is installed; else they are refused as not accepted here). ``mail_in``: also
    take documents to print by e-mail (:mod:`sync.central.server.mail_in`), answering through
    ``replies``.
    """

    def __init__(self, database: Path | str, *, host: str = "127.0.0.1", port: int = 0,
                 tls_context: ssl.SSLContext | None = None, access_list_key: bytes | None = None,
                 cursor_retention: int | None = None, alarms: AlarmSettings | None = None,
                 channels: Sequence[Channel] | None = None, alarm_tick_s: float = 15.0,
                 retention: dt.timedelta = dt.timedelta(days=90),
                 access_unused: dt.timedelta = dt.timedelta(days=180),
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 oidc: OidcSettings | None = None, office: OfficeConverter | None = None,
                 mail_in: MailInSettings | None = None, replies: ReplyMailer | None = None,
                 payments: PaymentSettings | None = None) -> None:
        self.database = database
        self.host = host
        self.simulated_provider: SimulatedProvider | None = None
        self.delay_s = 0.0
        self._port = port
        self._tls = tls_context
        self._retention = cursor_retention
        self._store = CentralStore(database, access_list_key=access_list_key, now=now)
        self._alarms = AlarmEngine(AlarmStore(self._store), alarms or AlarmSettings(),
                                   channels if channels is not None else default_channels(alarms), now)
        self._alarm_tick_s = alarm_tick_s
        self._history_retention = retention
        self._access_unused = access_unused
        self._purged_on: dt.date | None = None
        self._now = now
        self._inbox = PrintInbox(self._store, office=office or OfficeConverter.installed())
        self._cards = None if payments is None else self._card_payments(payments)
        self._payments = PrintPayments(Ledger(self._store), self._cards)
        self._app = create_app(self._store, self._alarms, admin_web=True, oidc=oidc, inbox=self._inbox,
                               payments=self._payments)
        if self.simulated_provider is not None:
            self._app.mount(SIMULATED_MOUNT, self.simulated_provider.app)
        if mail_in is not None and replies is None:
            raise ValueError("taking documents by e-mail needs an SMTP server for the replies")
        self._mail_in = MailIn(mail_in, self._inbox, replies) if mail_in and replies else None
        self._pseudonym = self._store.card_token
        self._lock = threading.Lock()
        self._faults: deque[_Fault] = deque()
        self._exchanges: deque[Exchange] = deque(maxlen=EXCHANGE_LOG)
        self._stopping = threading.Event()
        self._serving: Serving | None = None
        self._maintenance: threading.Thread | None = None

    def _card_payments(self, settings: PaymentSettings) -> CardPayments:
        """Card payments through the configured provider; ``simulated``: the simulated provider,
        mounted under /sim-provider with keys made up now, spoken to by the real QuickPay adapter."""
        api_url: str | Callable[[], str] = settings.api_url
        api_key, private_key = settings.api_key, settings.private_key
        if settings.provider == "simulated":
            api_key, private_key = secrets.token_hex(16), secrets.token_hex(16)
            self.simulated_provider = SimulatedProvider(api_key, private_key)
            api_url = lambda: self.url + SIMULATED_MOUNT  # noqa: E731 - known once it listens
        provider = QuickPayProvider(api_url, api_key, private_key, language=settings.language)
        return CardPayments(self._store, provider, lambda: settings.public_url or self.url,
                            expires_after=dt.timedelta(minutes=settings.expires_min),
                            retry_after=dt.timedelta(seconds=settings.retry_s), now=self._now)

    @property
    def created(self) -> bool:
        """True if the database was new when the service opened it."""
        return self._store.created

    # -- running -------------------------------------------------------------------------------

    def start(self) -> None:
        self._serving = Serving(self._asgi, host=self.host, port=self._port, tls=self._tls,
                                name="central-service")
        self._serving.start()
        if self._mail_in is not None:
            self._mail_in.start()
        self._maintenance = threading.Thread(target=self._maintain, name="central-maintenance", daemon=True)
        self._maintenance.start()
        log.info("central service listening on %s", self.url)

    def _maintain(self) -> None:
        """Every few seconds the alarms' sweep and sending; once a day the purge of old history."""
        while not self._stopping.wait(self._alarm_tick_s):
            try:
                self._alarms.tick()
                if self._purged_on != self._now().date():
                    self.purge_history()
                self._inbox.purge(self._now())  # expired print jobs: their documents go
            except Exception:
                log.exception("the maintenance round failed")
            try:
                self.settle_payments()
            except Exception:
                log.exception("the card payments' round failed")

    def settle_payments(self, now: dt.datetime | None = None) -> None:
        """The card payments' round now (the maintenance thread makes one every ``alarm_tick_s``):
        unpaid ones expire, the provider is asked about the others and told the steps it has yet
        to confirm. ``now``: as if it were then."""
        if self._cards is not None:
            self._cards.settle(now)

    def purge_history(self) -> tuple[int, int]:
        """The daily round: events and heartbeats older than the retention go (each terminal's last
        heartbeat stays), and so do access-list entries nobody used for ``access_unused``."""
        self._purged_on = self._now().date()
        self._store.make_partitions()
        unused = self.purge_access(self._access_unused)
        if unused:
            log.info("took %d access-list entries nobody used for %d days off the list", unused,
                     self._access_unused.days)
        gone = self._store.purge_history(self._history_retention)
        if any(gone):
            log.info("purged %d events and %d heartbeats older than %d days", *gone,
                     self._history_retention.days)
        return gone

    def stop(self) -> None:
        """Stop serving, drop open connections and close the database. The object is done then;
        stopping it again does nothing."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._mail_in is not None:
            self._mail_in.stop()
        if self._serving is not None:
            self._serving.stop()
        if self._maintenance is not None:
            self._maintenance.join(timeout=10)
        self._store.close()

    def __enter__(self) -> CentralService:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._serving is None:
            raise RuntimeError("the central service is not started")
        return self._serving.port

    @property
    def url(self) -> str:
        """The base URL the API's paths (``/v1/...``) go under."""
        if self._serving is None:
            raise RuntimeError("the central service is not started")
        return self._serving.url

    # -- what the central system knows -----------------------------------------------------------

    @property
    def access_list_key(self) -> bytes:
        return self._store.access_list_key

    def patron_token(self, card_number: str) -> str:
        """The patron's pseudonymous token: access-list key and print-job owner."""
        return self._pseudonym(card_number)

    def upsert_patron(self, card_number: str, pin: str, *, category: str = "adult",
                      birth_date: dt.date | None = None, blocked: bool = False, consent: bool = True,
                      expires: dt.date | None = None) -> str:
        """Add or change a patron on the access list (a change for the cursors); their token."""
        token = self.patron_token(card_number)
        expires = expires or dt.date.today() + dt.timedelta(days=730)
        self._store.upsert_entries([{
            "key": token, "pin_verifier": pin_verifier(pin), "category": category,
            "birth_date": birth_date.isoformat() if birth_date else None, "blocked": blocked,
            "consent": consent, "expires": expires.isoformat()}])
        self._retain()
        return token

    def delete_patron(self, card_number: str) -> bool:
        """Take a patron off the access list; False if they were not on it."""
        return self.delete_entry(self.patron_token(card_number))

    def delete_entry(self, key: str) -> bool:
        """Take the entry with this token off the access list (for bulk-loaded entries)."""
        deleted = self._store.delete_entry(key)
        self._retain()
        return deleted

    def bulk_load(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Store precomputed entries (the wire shape: key, pin_verifier, category, birth_date, blocked,
        consent, expires) in one transaction, e.g. half a million for a benchmark; how many."""
        count = self._store.upsert_entries(entries)
        self._retain()
        return count

    def purge_access(self, unused_for: dt.timedelta, now: dt.datetime | None = None) -> int:
        """Take entries nobody used for ``unused_for`` (and expired ones) off the list; how many."""
        count = self._store.purge_access(unused_for, now)
        self._retain()
        return count

    def compact(self, keep_changes: int = 0) -> None:
        """Forget deletions older than the last ``keep_changes`` changes: older cursors get 410."""
        self._store.compact(keep_changes)

    def _retain(self) -> None:
        if self._retention is not None:
            self._store.compact(self._retention)

    # -- alarms --------------------------------------------------------------------------------

    def alarms(self) -> list[Alarm]:
        """Every alarm, open or acknowledged, oldest first."""
        return AlarmStore(self._store).all_alarms()

    def tick_alarms(self) -> None:
        """The alarms' round now (the maintenance thread makes one every ``alarm_tick_s``)."""
        self._alarms.tick()

    def acknowledge(self, number: int, by: str) -> bool:
        """Stop an alarm's repeats; False if it is not open."""
        return self._alarms.acknowledge(number, by)

    def add_account(self, username: str, password: str, role: str = "administrator",
                    branches: tuple[str, ...] = ("*",)) -> None:
        """A staff account for the administration web (``/admin/``)."""
        from sync.central.server.web.accounts import Accounts

        Accounts(self._store).set(username, password, role, branches)

    def enrol(self, terminal_id: str, branch: str, credential: str | None = None) -> str:
        """The terminal's credential (its bearer token), made here without an enrolment token (the
        built-in demo service, tests); ``credential``: this one instead of a random one."""
        return self._store.issue_credential(terminal_id, branch, credential)

    def enrolment_token(self, terminal_id: str, branch: str,
                        valid_for: dt.timedelta = dt.timedelta(hours=24)) -> str:
        """A one-time token with which the terminal enrols (``library-kiosk enrol``)."""
        return self._store.enrolment_token(terminal_id, branch, valid_for)

    def revoke(self, terminal_id: str) -> bool:
        """The terminal's credential stops working (it must enrol again); False if it had none."""
        return self._store.revoke(terminal_id)

    def set_terminal_config(self, terminal_id: str, settings: Mapping[str, Any]) -> int:
        """A terminal-level configuration revision (checked: :class:`ConfigRefused`); its number."""
        return self._store.set_terminal_config(terminal_id, settings)

    def revisions(self, level: str, scope: str = "") -> list[dict[str, Any]]:
        """A configuration layer's revisions, newest first."""
        return self._store.revisions(level, scope)

    def add_revision(self, level: str, scope: str, settings: Mapping[str, Any], *, author: str,
                     reason: str = "") -> int:
        """A new revision of a configuration layer, once checked (:class:`ConfigRefused`)."""
        return self._store.add_revision(level, scope, settings, author=author, reason=reason)

    def set_calendar(self, branch: str, calendar: Mapping[str, Any]) -> None:
        """The branch's calendar: a branch table of a calendar file; dates become ISO strings."""
        self._store.set_calendar(branch, calendar)

    def calendar_of(self, branch: str) -> dict[str, Any] | None:
        """The branch's calendar as served (dates as ISO strings); None if it has none."""
        return self._store.calendar(branch)

    def add_print_job(self, card_number: str, title: str, pages: int, *, copies: int = 1,
                      color: bool = False, duplex: bool = False, price: Decimal | str = "0.00",
                      currency: str = "DKK", job_id: str | None = None,
                      submitted_at: dt.datetime | None = None, state: str = "held") -> dict[str, Any]:
        """Queue a print job for the patron with this card; the job as the API lists it."""
        when = submitted_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
        job = {"id": job_id or f"pj-{os.urandom(4).hex()}", "title": title, "pages": pages, "copies": copies,
               "color": color, "duplex": duplex, "price": f"{Decimal(price):.2f}", "currency": currency,
               "submitted_at": when.isoformat(), "state": state}
        return PrintQueue(self._store).add_print_job(self.patron_token(card_number), job)

    def print_job(self, job_id: str) -> dict[str, Any] | None:
        return PrintQueue(self._store).print_job(job_id)

    # -- what it was sent ------------------------------------------------------------------------

    def events(self) -> list[dict[str, Any]]:
        """Stored events in arrival order: id, terminal, kind, at, payload, received_at."""
        return self._store.events()

    def add_staff(self, card_number: str, pin: str, role: str, branches: tuple[str, ...] = ("*",), *,
                  expires: dt.date | None = None, by: str = "central-admin") -> str:
        """Put a card on the staff list (its token and a PIN verifier, never the number or the PIN)."""
        return StaffList(self._store).add(card_number, pin, role, branches, expires=expires, by=by)

    def remove_staff(self, token_or_card: str, *, by: str = "central-admin") -> bool:
        return StaffList(self._store).remove(token_or_card, by=by)

    def revoke_card(self, card_number: str, reason: str, *, until: dt.date | None = None,
                    by: str = "central-admin") -> str:
        """Put a card on the revocation list (by its token); the token."""
        return Revocations(self._store).add(card_number, reason, until=until, by=by)

    def end_revocation(self, token_or_card: str, *, by: str = "central-admin") -> bool:
        return Revocations(self._store).remove(token_or_card, by=by)

    def send_to_print(self, data: bytes, name: str, *, card: str = "", now: dt.datetime | None = None,
                      job_id: str = "", keep: dt.timedelta | None = None) -> Any:
        """What the print upload page does with a document (the tests' and the seed's way in)."""
        return self._inbox.send(data, name, card=card, now=now, job_id=job_id, keep=keep)

    def print_code_owner(self, code: str) -> str:
        """The queue a release code opens."""
        return self._inbox.code_owner(code)

    def top_up(self, card_number: str, amount: str, *, by: str = "staff", reason: str = "") -> str:
        """Add to a patron's prepaid print balance (by their card's token); the new balance."""
        return Ledger(self._store).top_up(self.patron_token(card_number), amount, by=by, reason=reason)

    def refund(self, payment_id: str, *, by: str, reason: str) -> dict[str, Any]:
        """Staff give a captured payment back (to the balance, or the card through the provider)."""
        return self._payments.step(payment_id, "refunded", by=by, reason=reason)

    def payment(self, payment_id: str) -> dict[str, Any]:
        """A payment as stored (the provider is not asked)."""
        return self._payments.payment(payment_id)

    def recent_payments(self) -> list[dict[str, Any]]:
        """The newest payments as the Printing page lists them (with ``provider_error``)."""
        return self._payments.recent()

    def purge_print_jobs(self, now: dt.datetime | None = None) -> int:
        return self._inbox.purge(now)

    def entries_since(self, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """(branch, when) of each entry the doors let in since ``since`` (the entries chart's)."""
        return self._store.entries_since(since)

    def audit_log(self) -> list[dict[str, Any]]:
        """The audit log, the newest first (the web's and central-admin's actions, and staff mode's
        at the terminals)."""
        return self._store.audit_log()

    def heartbeats(self) -> list[dict[str, Any]]:
        """Heartbeats in arrival order: terminal, received_at and the body's fields."""
        return self._store.heartbeats()

    def exchanges(self) -> list[Exchange]:
        """The last :data:`EXCHANGE_LOG` requests answered, in order."""
        with self._lock:
            return list(self._exchanges)

    # -- faults ----------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503, *, retry_after: int | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (and Retry-After), before anything else."""
        body = json.dumps({"error": "unavailable" if status == 503 else "internal_error",
                           "message": "the service was told to fail this request"}).encode()
        headers: tuple[tuple[bytes, bytes], ...] = ((b"content-type", b"application/json"),)
        if retry_after is not None:
            headers += ((b"retry-after", str(retry_after).encode()),)
        with self._lock:
            self._faults.extend([_Fault(status, body, headers)] * count)

    def garble_next(self, count: int = 1, body: bytes = GARBLED) -> None:
        """Answer the next ``count`` requests 200 with ``body`` (by default, not even JSON)."""
        with self._lock:
            self._faults.extend([_Fault(200, body)] * count)

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The API with the faults in front and every answer recorded."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        waited = 0.0
        while waited < self.delay_s:
            if self._stopping.is_set():
                return  # stopped meanwhile: no answer
            await asyncio.sleep(0.05)
            waited += 0.05
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        method, path = scope["method"], scope["path"]

        async def recorded(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                # Recorded before it is sent, so a client that has the answer finds it in exchanges().
                self.record(Exchange(method, path, message["status"],
                                     int(headers.get(b"content-length", b"0") or 0)))
            await send(message)

        if fault is None:
            await self._app(scope, receive, recorded)
            return
        await recorded({"type": "http.response.start", "status": fault.status,
                        "headers": [*fault.headers, (b"content-length", str(len(fault.body)).encode())]})
        await send({"type": "http.response.body", "body": fault.body})

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

