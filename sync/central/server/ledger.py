"""Print release's money on the central service: each patron's prepaid balance (kept by their token,
in whole øre, never a float) and every payment made from it for a print job.

A payment is *authorized* when the kiosk is about to print (the amount is held: taken from the
balance), *captured* once the printer's own job completed, *voided* when the job failed (the amount
goes back), and *refunded* by staff afterwards with a reason (back as well). Each step is one
transaction; asking again for a step already taken answers the payment as it is (a retried request),
asking for one that does not follow is refused. Top-ups and refunds are in the audit log.

A payment by card on the provider's page is kept in the same table with ``method`` "provider";
its steps are :mod:`sync.central.server.payments.card`'s, never this ledger's (no balance moves)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from sync.central.server.store import CentralStore
from sync.central.server.tables import balances, payments

STEPS = {"captured": {"authorized"}, "voided": {"authorized"}, "refunded": {"captured"}}
RETURNS_MONEY = {"voided", "refunded"}


class InsufficientFunds(Exception):
    """The balance does not cover the amount."""


class StepRefused(Exception):
    """The payment is not in a state this step follows (or does not exist: :class:`KeyError`)."""


def ore(amount: Decimal | str) -> int:
    """An amount in the currency's main unit as whole øre; ValueError for anything else."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError):
        raise ValueError(f"{amount!r} is not an amount") from None
    if value != value.quantize(Decimal("0.01")) or value < 0:
        raise ValueError(f"{amount}: an amount of at least 0 with at most two decimals")
    return int(value * 100)


def amount(whole_ore: int) -> str:
    return f"{Decimal(whole_ore) / 100:.2f}"


class Ledger:
    def __init__(self, store: CentralStore, currency: str = "DKK") -> None:
        self._store, self._currency = store, currency

    def balance(self, owner: str) -> str:
        with self._store.reading() as db:
            found = db.execute(sa.select(balances.c.ore).where(balances.c.owner == owner)).scalar()
        return amount(int(found or 0))

    def top_up(self, owner: str, value: Decimal | str, *, by: str, reason: str) -> str:
        """Add to a balance (staff, or an online payment); the new balance. Audited."""
        add = ore(value)
        if add <= 0:
            raise ValueError("a top-up is above 0")
        with self._store.writing() as db:
            new = self._add(db, owner, add)
        self._store.audit(by, "balance_topped_up", owner[:12], f"{amount(add)} {self._currency}: {reason}")
        return amount(new)

    def authorize(self, owner: str, job_id: str, value: Decimal | str, terminal: str,
                  request_id: str = "") -> dict[str, Any]:
        """Hold the amount for a job: taken from the balance now. :class:`InsufficientFunds`.
        ``request_id``: the terminal's own id for this hold; asked again (an answer lost on the
        way, a retry), the hold made the first time is answered, and nothing is taken twice."""
        hold = ore(value)
        now = dt.datetime.now(dt.UTC)
        payment_id = payment_id_for(terminal, request_id)
        if request_id and (made := self._made(payment_id)) is not None:
            return made
        try:
            return self._hold(owner, job_id, hold, terminal, payment_id, now)
        except sa.exc.IntegrityError:  # the same request, at the same moment, was first
            made = self._made(payment_id)
            if made is None:
                raise
            return made

    def _made(self, payment_id: str) -> dict[str, Any] | None:
        try:
            return self.payment(payment_id)
        except KeyError:
            return None

    def _hold(self, owner: str, job_id: str, hold: int, terminal: str, payment_id: str,
              now: dt.datetime) -> dict[str, Any]:
        with self._store.writing() as db:
            current = int(db.execute(sa.select(balances.c.ore).where(balances.c.owner == owner)
                                     .with_for_update()).scalar() or 0)
            if current < hold:
                raise InsufficientFunds(f"the balance is {amount(current)} {self._currency}, "
                                        f"the job costs {amount(hold)}")
            self._add(db, owner, -hold)
            db.execute(sa.insert(payments).values(
                id=payment_id, owner=owner, job_id=job_id[:64], ore=hold, currency=self._currency,
                state="authorized", terminal=terminal[:64], reason="", created_at=now, updated_at=now,
                method="balance"))
        return self.payment(payment_id)

    def step(self, payment_id: str, state: str, *, by: str, reason: str = "") -> dict[str, Any]:
        """Capture, void or refund; the payment as it is now. :class:`KeyError` when there is no
        such payment, :class:`StepRefused` when the step does not follow."""
        with self._store.writing() as db:
            row = db.execute(sa.select(payments.c.state, payments.c.owner, payments.c.ore, payments.c.method)
                             .where(payments.c.id == payment_id).with_for_update()).first()
            if row is None:
                raise KeyError(payment_id)
            current, owner, held, method = row
            if method != "balance":  # its money is at the provider, not in a balance
                raise StepRefused(f"payment {payment_id} is paid through the provider")
            if current != state:
                if current not in STEPS[state]:
                    raise StepRefused(f"payment {payment_id} is {current}; it cannot be {state}")
                if state in RETURNS_MONEY:
                    self._add(db, owner, int(held))
                db.execute(sa.update(payments).where(payments.c.id == payment_id).values(
                    state=state, reason=reason[:500], updated_at=dt.datetime.now(dt.UTC)))
        if state == "refunded" and current != state:
            self._store.audit(by, "payment_refunded", payment_id, f"{amount(int(held))}: {reason}")
        return self.payment(payment_id)

    def payment(self, payment_id: str) -> dict[str, Any]:
        with self._store.reading() as db:
            row = db.execute(sa.select(payments).where(payments.c.id == payment_id)).mappings().first()
        if row is None:
            raise KeyError(payment_id)
        return _wire(row)

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest payments as the API shows them, with what a provider last said of a step it
        has yet to confirm (``provider_error``, for staff)."""
        with self._store.reading() as db:
            rows = db.execute(sa.select(payments).order_by(payments.c.created_at.desc()).limit(limit)
                              ).mappings().all()
        return [{**_wire(row), "provider_error": row["provider_error"]} for row in rows]

    def _add(self, db: sa.Connection, owner: str, change: int) -> int:
        current = db.execute(sa.select(balances.c.ore).where(balances.c.owner == owner)).scalar()
        new = int(current or 0) + change
        if current is None:
            db.execute(sa.insert(balances).values(owner=owner, ore=new, currency=self._currency))
        else:
            db.execute(sa.update(balances).where(balances.c.owner == owner).values(ore=new))
        return new


def payment_id_for(terminal: str, request_id: str) -> str:
    """A payment's id: made from the terminal's request id when it gave one (the same request, the
    same payment), else new."""
    if not request_id:
        return f"pay-{uuid.uuid4().hex[:20]}"
    return "pay-" + hashlib.sha256(f"{terminal}\x00{request_id}".encode()).hexdigest()[:20]


def _wire(row: sa.RowMapping) -> dict[str, Any]:
    """A payment as the API answers it (``Payment`` of openapi.yaml)."""
    expires = row["expires_at"]
    return {"id": row["id"], "owner": row["owner"], "job_id": row["job_id"],
            "amount": amount(int(row["ore"])), "currency": row["currency"], "state": row["state"],
            "terminal": row["terminal"], "reason": row["reason"], "method": row["method"],
            "pay_url": row["pay_url"], "expires_at": expires.isoformat() if expires is not None else None,
            "pending": bool(row["pending"])}
