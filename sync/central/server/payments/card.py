"""A print paid by card on the payment provider's hosted page, which the patron opens on their phone
from a QR code at the kiosk. The same life as a payment from the balance (held, then taken when the
printer printed, or given back), with the provider holding the money:

``awaiting_payer`` (the page is open, until ``expires_at``) -> ``authorized`` when the provider says
the card was authorized for the exact amount (its signed notification, or the service asking it:
the notification may never come) -> ``captured`` or ``voided`` as the kiosk says -> ``refunded`` by
staff. An unpaid one becomes ``voided`` (the card was declined, the payer cancelled on the page or
the kiosk gave up) or ``expired``.

Capture, void (a cancel at the provider), expiry and refund are decided here, written down, then
forwarded to the provider. Until the provider confirms, the payment shows the decided state with
``pending`` true; a provider that cannot be reached is asked again by the maintenance round, with a
growing pause; one that refuses is not asked again, and staff see its answer on the Printing page.
So the kiosk's capture or void never waits for a provider that is down: the decision is the
service's. Every step is in the audit log with the print job's id. Card data never comes here."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sync.central.server.ledger import Ledger, StepRefused, amount, ore, payment_id_for
from sync.central.server.payments.provider import (
    PaymentProvider,
    ProviderError,
    ProviderRefused,
    ProviderStatus,
)
from sync.central.server.store import CentralStore
from sync.central.server.tables import payments

log = logging.getLogger("sync.central.payments")

STEPS = {"captured": {"authorized"}, "voided": {"authorized", "awaiting_payer"}, "refunded": {"captured"}}
FORWARDED = {"captured": "capture", "voided": "cancel", "expired": "cancel", "refunded": "refund"}
MAX_PAUSE = dt.timedelta(minutes=15)
WEBHOOK_PATH = "/payment-provider/webhook"


class NotOpen(Exception):
    """No payment waits for its payer under this link (none, paid, expired)."""


class CardPayments:
    """Payments through ``provider``. ``public_url`` is where a payer's phone reaches this service
    (the links in the QR codes); an unpaid payment expires after ``expires_after``; a step the
    provider could not be told of is tried again after ``retry_after``, then twice as long each time
    (at most 15 minutes)."""

    def __init__(self, store: CentralStore, provider: PaymentProvider, public_url: Callable[[], str], *,
                 currency: str = "DKK", expires_after: dt.timedelta = dt.timedelta(minutes=10),
                 retry_after: dt.timedelta = dt.timedelta(seconds=30),
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.provider = provider
        self._store, self._public_url, self._currency = store, public_url, currency
        self._expires_after, self._retry_after, self._now = expires_after, retry_after, now
        self._ledger = Ledger(store, currency)

    # -- the kiosk's steps -----------------------------------------------------------------------

    def start(self, owner: str, job_id: str, value: Decimal | str, terminal: str,
              request_id: str = "") -> dict[str, Any]:
        """Open the provider's page for the job's price: the payment, awaiting its payer, with the
        short link (``pay_url``) for the QR code. :class:`ProviderError` when the provider cannot
        open one (nothing is stored then). ``request_id``: asked again, the payment opened the first
        time is answered (no second page)."""
        price = ore(value)
        if price <= 0:
            raise ValueError("a card payment is above 0")
        payment_id = payment_id_for(terminal, request_id) if request_id else f"pay-{uuid.uuid4().hex[:16]}"
        if request_id:
            with contextlib.suppress(KeyError):
                return self._ledger.payment(payment_id)
        short = secrets.token_urlsafe(6)
        base = self._public_url().rstrip("/")
        session = self.provider.create_session(
            amount_ore=price, currency=self._currency, reference=payment_id.removeprefix("pay-"),
            return_url=f"{base}/pay/{short}/done", cancel_url=f"{base}/pay/{short}/cancelled",
            callback_url=base + WEBHOOK_PATH)
        now = self._now()
        with self._store.writing() as db:
            db.execute(sa.insert(payments).values(
                id=payment_id, owner=owner, job_id=job_id[:64], ore=price, currency=self._currency,
                state="awaiting_payer", terminal=terminal[:64], reason="", created_at=now, updated_at=now,
                method="provider", provider_ref=session.provider_ref[:64], hosted_url=session.hosted_url,
                short_id=short, pay_url=f"{base}/pay/{short}", expires_at=now + self._expires_after))
        self._audit(f"terminal {terminal}", "payment_awaiting_payer", payment_id, job_id, price,
                    f"at {self.provider.name} {session.provider_ref}")
        log.info("payment %s for print job %s: %s %s, awaiting the payer at %s", payment_id, job_id,
                 amount(price), self._currency, self.provider.name)
        return self._ledger.payment(payment_id)

    def step(self, payment_id: str, state: str, *, by: str, reason: str = "") -> dict[str, Any]:
        """Capture, void or refund: decided and written down now, then forwarded to the provider
        (``pending`` until it confirms). The payment as it is; :class:`KeyError`, :class:`StepRefused`."""
        if state not in STEPS:
            raise StepRefused(f"a payment cannot be set to {state}")
        now = self._now()
        with self._store.writing() as db:
            row = db.execute(sa.select(payments).where(payments.c.id == payment_id)
                             .where(payments.c.method == "provider").with_for_update()).mappings().first()
            if row is None:
                raise KeyError(payment_id)
            current = row["state"]
            if (current, state) == ("expired", "voided"):  # both: nothing taken, nobody can pay
                state = current
            if current != state:
                if current not in STEPS[state]:
                    raise StepRefused(f"payment {payment_id} is {current}; it cannot be {state}")
                self._decide(db, payment_id, state, reason, now)
        if current != state:
            self._audit(by, f"payment_{state}", payment_id, row["job_id"], int(row["ore"]), reason)
            self._forward(payment_id)
        return self._ledger.payment(payment_id)

    def refresh(self, payment_id: str) -> None:
        """While the payment awaits its payer: expire it when its time is up, else ask the provider
        whether the payer paid (a provider that does not answer changes nothing)."""
        row = self._row(payment_id)
        if row is None or row["state"] != "awaiting_payer":
            return
        if self._now() >= row["expires_at"]:
            self._expire(payment_id)
            return
        try:
            status = self.provider.status(row["provider_ref"])
        except ProviderError as exc:
            log.info("payment %s: the provider did not say whether it was paid: %s", payment_id, exc)
            return
        self._heard(payment_id, status, by=f"{self.provider.name} (asked)")

    def notified(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """A notification from the provider (its webhook): True when it was about one of ours.
        :class:`~.provider.ForgedNotification` when its signature is not the provider's."""
        provider_ref, status = self.provider.notification(body, headers)
        with self._store.reading() as db:
            payment_id = db.execute(sa.select(payments.c.id).where(payments.c.method == "provider")
                                    .where(payments.c.provider_ref == provider_ref)).scalar()
        if payment_id is None:
            log.info("a notification from %s about payment %s, none of ours", self.provider.name,
                     provider_ref[:64])
            return False
        self._heard(payment_id, status, by=f"{self.provider.name} (notified)")
        return True

    # -- the payer's phone -----------------------------------------------------------------------

    def hosted_page(self, short: str) -> str:
        """The provider's page of the payment under ``/pay/<short>``; :class:`NotOpen`."""
        row = self._by_short(short)
        if row is None or row["state"] != "awaiting_payer":
            raise NotOpen(short)
        if self._now() >= row["expires_at"]:
            self._expire(row["id"])
            raise NotOpen(short)
        return str(row["hosted_url"])

    def payer_back(self, short: str) -> str:
        """The payer came back from the provider's page: the payment's state once the provider was
        asked. :class:`NotOpen` for a link that is none of ours."""
        row = self._by_short(short)
        if row is None:
            raise NotOpen(short)
        self.refresh(row["id"])
        return str(self._ledger.payment(row["id"])["state"])

    def payer_gave_up(self, short: str) -> str:
        """The payer cancelled on the provider's page: voided, unless they paid after all."""
        state = self.payer_back(short)
        if state != "awaiting_payer":
            return state
        row = self._by_short(short)
        assert row is not None
        voided = self.step(row["id"], "voided", by="payer", reason="cancelled on the provider's page")
        return str(voided["state"])

    # -- the maintenance round -------------------------------------------------------------------

    def settle(self, now: dt.datetime | None = None) -> None:
        """Expire unpaid payments whose time is up and ask the provider about the others; tell the
        provider what it has yet to confirm, where its pause is over."""
        now = now or self._now()
        with self._store.reading() as db:
            waiting = db.execute(sa.select(payments.c.id).where(payments.c.method == "provider")
                                 .where(payments.c.state == "awaiting_payer")).scalars().all()
            due = db.execute(sa.select(payments.c.id).where(payments.c.method == "provider")
                             .where(payments.c.pending.is_(True)).where(payments.c.retry_at <= now)
                             ).scalars().all()
        for payment_id in waiting:
            row = self._row(payment_id)
            if row is not None and now >= row["expires_at"]:
                self._expire(payment_id)
            else:
                self.refresh(payment_id)
        for payment_id in due:
            with self._store.writing() as db:  # claimed, so that no other round tells the provider too
                claimed = db.execute(sa.update(payments).where(payments.c.id == payment_id)
                                     .where(payments.c.pending.is_(True)).where(payments.c.retry_at <= now)
                                     .values(retry_at=self._now() + self._retry_after)).rowcount
            if claimed:
                self._forward(payment_id)

    # -- inside ----------------------------------------------------------------------------------

    def _heard(self, payment_id: str, status: ProviderStatus, *, by: str) -> None:
        """What the provider says of a payment awaiting its payer (or of one given up on, that the
        payer paid all the same: that hold is released)."""
        row = self._row(payment_id)
        if row is not None and row["state"] in ("voided", "expired") and status.state == "authorized":
            self._release_late(row, by)
            return
        if row is None or row["state"] != "awaiting_payer" or status.state == "open":
            return
        if status.state in ("authorized", "captured") and status.amount_ore == int(row["ore"]):
            if self._move(payment_id, "awaiting_payer", "authorized"):
                self._audit(by, "payment_authorized", payment_id, row["job_id"], int(row["ore"]))
                log.info("payment %s for print job %s authorized by the payer's card", payment_id,
                         row["job_id"])
            return
        if status.state in ("authorized", "captured"):
            why = (f"the provider authorized {amount(status.amount_ore)}, not {amount(int(row['ore']))}")
            log.error("payment %s: %s", payment_id, why)
        else:
            why = {"declined": "the card was declined", "cancelled": "cancelled at the provider",
                   "refunded": "refunded at the provider"}[status.state]
        self.step(payment_id, "voided", by=by, reason=why)

    def _release_late(self, row: sa.RowMapping, by: str) -> None:
        now = self._now()
        with self._store.writing() as db:
            db.execute(sa.update(payments).where(payments.c.id == row["id"])
                       .where(payments.c.state == row["state"])
                       .values(pending=True, tries=0, retry_at=now + self._retry_after, provider_error=""))
        self._audit(by, "payment_authorized_too_late", row["id"], row["job_id"], int(row["ore"]),
                    f"the payment was {row['state']} already: the hold is released")
        self._forward(row["id"])

    def _expire(self, payment_id: str) -> None:
        now = self._now()
        with self._store.writing() as db:
            row = db.execute(sa.select(payments).where(payments.c.id == payment_id).with_for_update()
                             ).mappings().first()
            if row is None or row["state"] != "awaiting_payer":
                return
            self._decide(db, payment_id, "expired", "the payer did not pay in time", now)
        self._audit("central", "payment_expired", payment_id, row["job_id"], int(row["ore"]))
        self._forward(payment_id)

    def _decide(self, db: sa.Connection, payment_id: str, state: str, reason: str, now: dt.datetime) -> None:
        db.execute(sa.update(payments).where(payments.c.id == payment_id).values(
            state=state, reason=reason[:500], updated_at=now, pending=True, tries=0,
            retry_at=now + self._retry_after, provider_error=""))

    def _forward(self, payment_id: str) -> None:
        """Tell the provider of the step decided; ``pending`` ends when it has done it."""
        row = self._row(payment_id)
        if row is None or not row["pending"]:
            return
        state, ref, price = row["state"], row["provider_ref"], int(row["ore"])
        operation = FORWARDED[state]
        try:
            if operation == "capture":
                self.provider.capture(ref, price)
            elif operation == "cancel":
                self.provider.cancel(ref)
            else:
                self.provider.refund(ref, price)
        except ProviderError as exc:
            self._not_done(row, exc)
            return
        with self._store.writing() as db:
            db.execute(sa.update(payments).where(payments.c.id == payment_id).where(payments.c.state == state)
                       .values(pending=False, retry_at=None, provider_error="", updated_at=self._now()))
        self._audit(self.provider.name, f"provider_{operation}", payment_id, row["job_id"], price)
        log.info("payment %s: %s done at %s", payment_id, operation, self.provider.name)

    def _not_done(self, row: sa.RowMapping, exc: ProviderError) -> None:
        tries = int(row["tries"]) + 1
        final = isinstance(exc, ProviderRefused)
        pause = min(self._retry_after * 2 ** (tries - 1), MAX_PAUSE)
        with self._store.writing() as db:
            still = db.execute(sa.update(payments).where(payments.c.id == row["id"])
                               .where(payments.c.state == row["state"]).where(payments.c.pending.is_(True))
                               .values(tries=tries, provider_error=str(exc)[:500],
                                       retry_at=None if final else self._now() + pause)).rowcount
        if not still:  # done meanwhile (another round told the provider first)
            return
        operation = FORWARDED[row["state"]]
        if final:
            log.error("payment %s: %s refused the %s: %s", row["id"], self.provider.name, operation, exc)
            self._audit(self.provider.name, f"provider_refused_{operation}", row["id"], row["job_id"],
                        int(row["ore"]), str(exc))
        else:
            log.warning("payment %s: the %s waits for %s (try %d, again in %d s): %s", row["id"], operation,
                        self.provider.name, tries, pause.total_seconds(), exc)

    def _move(self, payment_id: str, current: str, state: str) -> bool:
        with self._store.writing() as db:
            moved = db.execute(sa.update(payments).where(payments.c.id == payment_id)
                               .where(payments.c.state == current)
                               .values(state=state, updated_at=self._now())).rowcount
        return bool(moved)

    def _row(self, payment_id: str) -> sa.RowMapping | None:
        with self._store.reading() as db:
            return db.execute(sa.select(payments).where(payments.c.id == payment_id)
                              .where(payments.c.method == "provider")).mappings().first()

    def _by_short(self, short: str) -> sa.RowMapping | None:
        if not 4 <= len(short) <= 16:
            return None
        with self._store.reading() as db:
            return db.execute(sa.select(payments).where(payments.c.short_id == short)).mappings().first()

    def _audit(self, by: str, action: str, payment_id: str, job_id: str, price: int,
               detail: str = "") -> None:
        what = f"print job {job_id}: {amount(price)} {self._currency}"
        self._store.audit(by, action, payment_id, f"{what}; {detail}" if detail else what)
