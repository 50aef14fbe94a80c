"""SIP2 errors. Each is an :class:`~kiosk.domain.errors.LmsError`, so the core can catch them by meaning."""

from __future__ import annotations

from kiosk.domain.errors import LmsError, LmsProtocolError, LmsUnavailable


class Sip2Error(LmsError):
    """Something went wrong talking SIP2."""


class Sip2ConnectionError(Sip2Error, LmsUnavailable):
    """The ACS cannot be reached, or the connection broke."""


class Sip2Timeout(Sip2ConnectionError):
    """No (usable) answer within the time and the retries allowed."""


class Sip2TlsError(Sip2ConnectionError):
    """TLS failed (certificate, hostname, handshake). Never followed by a plain-text attempt."""


class Sip2LoginError(Sip2Error):
    """The ACS refused our login (93): the account settings are wrong."""


class Sip2ProtocolError(Sip2Error, LmsProtocolError):
    """The ACS answered something that does not fit the request."""


class Sip2OutcomeUnknown(Sip2ConnectionError):
    """A checkout, checkin or renewal was sent, and the connection broke before the answer.

    It may or may not have been applied: the caller reconciles (item information) rather than
    sending it again blindly.
    """
