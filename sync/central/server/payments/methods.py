"""Which rules a print payment follows: a patron's prepaid balance (:class:`~..ledger.Ledger`), or a
card on the payment provider's page (:class:`~.card.CardPayments`), when the service has a
provider. The API, the administration web and the service's own methods go through here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from sync.central.server.ledger import Ledger, StepRefused
from sync.central.server.payments.card import CardPayments

Method = Literal["balance", "provider"]


class NoProvider(Exception):
    """A card payment was asked for, and the service has no payment provider configured."""


class PrintPayments:
    def __init__(self, ledger: Ledger, cards: CardPayments | None = None) -> None:
        self.ledger, self.cards = ledger, cards

    def authorize(self, owner: str, job_id: str, value: Decimal | str, terminal: str,
                  method: Method = "balance", request_id: str = "") -> dict[str, Any]:
        """From the balance: held now (:class:`~..ledger.InsufficientFunds`). By card: the
        provider's page opened, awaiting the payer (:class:`NoProvider`,
        :class:`~.provider.ProviderError`). ``request_id``: the terminal's id for the request; the
        same again answers the payment made the first time."""
        if method == "balance":
            return self.ledger.authorize(owner, job_id, value, terminal, request_id)
        if self.cards is None:
            raise NoProvider("this central service takes no card payments (no payment provider is set up)")
        return self.cards.start(owner, job_id, value, terminal, request_id)

    def step(self, payment_id: str, state: str, *, by: str, reason: str = "") -> dict[str, Any]:
        """Capture, void or refund, by the payment's own rules. :class:`KeyError`, :class:`StepRefused`."""
        if self.ledger.payment(payment_id)["method"] == "balance":
            return self.ledger.step(payment_id, state, by=by, reason=reason)
        if self.cards is None:
            raise StepRefused(f"payment {payment_id} is a card payment and no provider is configured now")
        return self.cards.step(payment_id, state, by=by, reason=reason)

    def payment(self, payment_id: str, *, ask_provider: bool = False) -> dict[str, Any]:
        """The payment (:class:`KeyError`); ``ask_provider``: one awaiting its payer is brought up
        to date with the provider first (the kiosk polls this while the patron pays)."""
        found = self.ledger.payment(payment_id)
        if ask_provider and found["state"] == "awaiting_payer" and self.cards is not None:
            self.cards.refresh(payment_id)
            found = self.ledger.payment(payment_id)
        return found

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.ledger.recent(limit)
