"""Error hierarchy, one small family per area.

Catch these where a decision is made (a service, a screen), not everywhere. The message of an error
is for staff and the log; it never contains a PIN, a CPR number or a patron's name.
"""

from __future__ import annotations


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose."""


class ConfigError(KioskError):
    """A settings file is missing, unreadable or invalid. The message names the file and key."""


class StoreError(KioskError):
    """The local database cannot be opened, migrated or written."""


class LmsError(KioskError):
    """The library management system could not answer."""


class LmsUnavailable(LmsError):
    """The LMS cannot be reached (connection refused, timed out, closed)."""


class LmsProtocolError(LmsError):
    """The LMS answered something we cannot understand."""


class LmsOutcomeUnknown(LmsUnavailable):
    """A request that changes something (a checkout, a checkin) went out, and no usable answer came
    back, not even to the question what became of the item. It may or may not have been applied:
    never take it as not done, never send it again blindly; it is settled later
    (:mod:`kiosk.circulation.reconcile`) or by staff."""


class DeviceError(KioskError):
    """A device failed."""


class DeviceUnavailable(DeviceError):
    """A device is unplugged, powered off or not answering."""


class MailError(KioskError):
    """An e-mail (a receipt) could not be handed to the mail server."""


class CentralError(KioskError):
    """The central system could not be used."""


class CentralUnavailable(CentralError):
    """No usable answer (connection, timeout, 5xx after retries, or a garbled body): work offline."""


class CentralRejected(CentralError):
    """The central system refused the request (4xx); ``code`` is its stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class CursorExpired(CentralRejected):
    """The access-list cursor is unknown or expired (410): sync the whole list again."""


class PaymentError(KioskError):
    """A payment for a print job could not be made or settled."""


class InsufficientBalance(PaymentError):
    """The patron's prepaid balance does not cover the price."""


class PaymentUnavailable(PaymentError):
    """Card payments cannot be taken: the central service has no payment provider."""
