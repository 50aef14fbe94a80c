"""The card payment provider as the central service uses it: a hosted page for one payment, then its
authorization captured, cancelled or refunded. Card data never reaches the service: it knows the
provider's reference of the payment and the address of its page, nothing more.

Amounts are whole øre (the smallest unit of the currency), as in the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

ProviderState = Literal["open", "authorized", "declined", "captured", "cancelled", "refunded"]


class ProviderError(Exception):
    """The provider could not do what was asked. The message is for staff and the log: it never
    holds a key."""


class ProviderUnavailable(ProviderError):
    """No usable answer (no connection, a timeout, 5xx, 429): try again later."""


class ProviderRefused(ProviderError):
    """The provider answered and said no (4xx, or an operation it declined): trying again will not
    help."""


class ForgedNotification(ProviderError):
    """A notification whose signature is not the provider's (or that is not one at all)."""


@dataclass(frozen=True)
class HostedSession:
    """A payment opened at the provider: its reference there and the page the payer pays on."""

    provider_ref: str
    hosted_url: str


@dataclass(frozen=True)
class ProviderStatus:
    """Where a payment is at the provider. ``open``: nobody has paid yet; ``declined``: the card was
    refused; ``authorized``: the amount is held on the card; ``captured``, ``cancelled``,
    ``refunded``: those operations went through. ``amount_ore``: the amount authorized (0 before)."""

    state: ProviderState
    amount_ore: int = 0


class PaymentProvider(Protocol):
    """A provider's REST API. Every call blocks (the service calls it from its thread pool) and
    raises :class:`ProviderUnavailable` or :class:`ProviderRefused`; capture, cancel and refund are
    idempotent: asked again for what was done, they do nothing."""

    name: str

    def create_session(self, *, amount_ore: int, currency: str, reference: str, return_url: str,
                       cancel_url: str, callback_url: str) -> HostedSession:
        """A payment of ``amount_ore`` to be authorized (never captured) on the provider's page.
        ``reference``: the service's id of it, 4 to 20 letters and digits; the payer's browser is
        sent to ``return_url`` after paying, to ``cancel_url`` when they give up; the provider
        notifies ``callback_url``."""
        ...

    def status(self, provider_ref: str) -> ProviderStatus: ...

    def capture(self, provider_ref: str, amount_ore: int) -> None: ...

    def cancel(self, provider_ref: str) -> None:
        """Nobody can pay any longer, and an authorization is released."""
        ...

    def refund(self, provider_ref: str, amount_ore: int) -> None: ...

    def notification(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, ProviderStatus]:
        """The payment a notification (webhook) is about and its status, once the signature over the
        raw ``body`` is checked (``headers``: lower-case names); :class:`ForgedNotification`."""
        ...
