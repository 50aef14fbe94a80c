"""The channel to FBS: each SIP2 message one HTTPS POST in FBS's XML envelope, on one ``requests``
session (its connections reused).

:class:`FbsClient` offers what :class:`~sync.sip2.library.Sip2LibrarySystem` asks of a SIP2 client
(``request``, ``account``, ``institution``, ``connect``, ``disconnect``, ``close``), so the same
adapter speaks to FBS; there is no login (93), no sequence number, no checksum and no resend (97).

Failures, as for SIP2 over TCP: a request that never left (no connection) is
:class:`~sync.sip2.errors.Sip2ConnectionError` (the LMS is unavailable), and is tried again; a
request that changes nothing is tried again after any failure, within ``timeout_s`` for all tries;
a request that changes something (a loan, a return, a renewal) and fails after it was sent (no
answer in time, a broken connection, a server error, an answer that cannot be read) is
:class:`~sync.sip2.errors.Sip2OutcomeUnknown`, never sent twice by this class. FBS's own refusal of
a message (its ``<error>`` text, or a REST error with a correlation id) is :class:`FbsRefused`: the
message was not applied.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import requests

from kiosk.settings import Sip2Settings
from kiosk.settings.lms import FbsSettings
from sync.fbs.envelope import EnvelopeError, parse_reply, request_xml
from sync.sip2.client import CHANGING
from sync.sip2.codec import Message, Sip2DecodeError, decode, encode, message
from sync.sip2.errors import Sip2ConnectionError, Sip2Error, Sip2OutcomeUnknown, Sip2ProtocolError
from sync.sip2.spec import MESSAGES

log = logging.getLogger(__name__)

Trace = Callable[[str, bytes], None]
MAX_REPLY_BYTES = 1_048_576
RETRY_PAUSE_S = 0.2


class FbsRefused(Sip2Error):
    """FBS answered with an error instead of a SIP2 reply: the request was not applied."""


class _NotSent(Sip2ConnectionError):
    """No connection: the request never reached FBS."""


class _Failed(Sip2ConnectionError):
    """The request went out and no usable answer came back."""


class FbsClient:
    def __init__(self, settings: FbsSettings, *, trace: Trace | None = None) -> None:
        if not settings.endpoint or not settings.agency:
            raise ValueError("FBS needs lms.fbs.endpoint and lms.fbs.agency")
        self.settings = settings
        # The SIP2 account as the adapter reads it: the agency is the institution (AO).
        self.account = Sip2Settings(institution=settings.agency, location=settings.location,
                                    retries=settings.retries, page_size=settings.page_size,
                                    language=settings.language, timeout_s=settings.timeout_s,
                                    connect_timeout_s=settings.connect_timeout_s, encoding="utf-8")
        self.acs_status: Message | None = None
        self._trace = trace
        self._lock = threading.Lock()
        self._session = self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Content-Type": "application/xml; charset=UTF-8",
                                "Accept": "application/xml", "User-Agent": "library-kiosk"})
        return session

    @property
    def _verify(self) -> str | bool:
        """Given with every request: a session's own ``verify`` loses to $REQUESTS_CA_BUNDLE."""
        return str(self.settings.tls_ca_file) if self.settings.tls_ca_file else True

    @property
    def institution(self) -> str:
        return self.settings.agency

    def connect(self) -> Message:
        """Ask FBS for its status (99/98); there is no login to make."""
        self.acs_status = self.request(message("99", {"status_code": "0", "max_print_width": "080",
                                                      "protocol_version": "2.00"}))
        return self.acs_status

    def disconnect(self) -> None:
        """Drop the pooled connections: the next request opens a new one."""
        with self._lock:
            self._session.close()
            self._session = self._new_session()

    def close(self) -> None:
        with self._lock:
            self._session.close()

    # -- requests ---------------------------------------------------------------------------------
    def request(self, request: Message) -> Message:
        """Send ``request`` and return FBS's SIP2 answer (see the module for the failures)."""
        spec = MESSAGES[request.command]
        assert spec.response is not None, f"{request.command} has no response"
        changing = request.command in CHANGING
        text = encode(request, encoding="utf-8", error_detection=False).decode("utf-8")
        body = request_xml(self.settings.login, self.settings.password, text)
        deadline = time.monotonic() + self.settings.timeout_s
        attempts = 0
        with self._lock:
            while True:
                attempts += 1
                if self._trace:  # the SIP2 message, not the envelope with the account's password
                    self._trace("->", text.encode("utf-8"))
                try:
                    return self._exchange(body, spec.response, deadline)
                except FbsRefused:
                    raise
                except _NotSent as exc:
                    failure: Sip2Error = exc
                except (_Failed, Sip2ProtocolError) as exc:
                    if changing:
                        raise Sip2OutcomeUnknown(f"{spec.name}: {exc}") from None
                    failure = exc
                if attempts > self.settings.retries or time.monotonic() + RETRY_PAUSE_S >= deadline:
                    if isinstance(failure, Sip2ProtocolError):
                        raise failure
                    raise Sip2ConnectionError(f"FBS: {failure}") from None
                log.info("FBS %s failed (%s); trying again (attempt %d)", spec.name, failure, attempts + 1)
                time.sleep(RETRY_PAUSE_S)

    def _exchange(self, body: bytes, expected: str, deadline: float) -> Message:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _NotSent("no time left for the request")
        try:
            with self._session.post(self.settings.endpoint, data=body, stream=True, verify=self._verify,
                                    timeout=(min(self.settings.connect_timeout_s, left), left)) as answer:
                data = self._read(answer, deadline)
                status = answer.status_code
        except requests.exceptions.ConnectTimeout as exc:
            raise _NotSent(f"cannot connect to {self.settings.endpoint}: timed out") from exc
        except requests.exceptions.SSLError as exc:
            raise _NotSent(f"TLS with {self.settings.endpoint} failed: {_first_line(exc)}") from exc
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise _NotSent(f"cannot connect to {self.settings.endpoint}: {_first_line(exc)}") from exc
            raise _Failed(f"the connection broke: {_first_line(exc)}") from exc
        except requests.exceptions.Timeout as exc:
            raise _Failed("no answer in time") from exc
        except requests.exceptions.RequestException as exc:
            raise _Failed(_first_line(exc)) from exc
        return self._reply(data, status, expected)

    def _read(self, answer: requests.Response, deadline: float) -> bytes:
        data = bytearray()
        for chunk in answer.iter_content(chunk_size=65536):
            data += chunk
            if len(data) > MAX_REPLY_BYTES:
                raise _Failed(f"the answer is larger than {MAX_REPLY_BYTES} bytes")
            if time.monotonic() > deadline:
                raise _Failed("no whole answer in time")
        return bytes(data)

    def _reply(self, data: bytes, status: int, expected: str) -> Message:
        try:
            reply = parse_reply(data) if data.strip() else None
        except EnvelopeError as exc:
            if status >= 500:
                raise _Failed(f"FBS failed (HTTP {status})") from None
            raise Sip2ProtocolError(f"FBS's answer cannot be read: {exc}") from None
        if reply is not None and reply.error is not None:
            log.warning("FBS refused the request: %s", reply.error)
            raise FbsRefused(f"FBS refused the request: {reply.error}")
        if reply is None or reply.response is None:
            if status >= 500:
                raise _Failed(f"FBS failed (HTTP {status})")
            raise FbsRefused(f"FBS answered HTTP {status} without a reply")
        if self._trace:
            self._trace("<-", reply.response.encode("utf-8"))
        try:
            decoded = decode(reply.response.encode("utf-8"), encoding="utf-8", verify=False)
        except Sip2DecodeError as exc:
            raise Sip2ProtocolError(f"FBS's SIP2 reply cannot be read: {exc}") from None
        if decoded.command != expected:
            raise Sip2ProtocolError(f"FBS answered {decoded.command}, not {expected}")
        return decoded


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """Connection refused, no route, a name that does not resolve: nothing was sent."""
    cause: BaseException | None = exc
    while cause is not None:
        name = type(cause).__name__
        if name in ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError"):
            return True
        reason = getattr(cause, "reason", None)
        cause = reason if isinstance(reason, BaseException) else cause.__context__
    return False


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
