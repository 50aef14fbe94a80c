"""The SIP2 client: one connection, serialised requests, error detection, retries, keep-alive.

What it guarantees to a caller:

* Requests are serialised (a lock); any thread may call.
* The connection is opened on demand: telnet-style login if configured, then 93, then 99 with
  protocol "2.00" (Koha stays at protocol level 1 otherwise and refuses 2.00-only messages).
* With error detection, every request carries AY/AZ; a reply with a bad checksum or unreadable bytes
  gets a 97 (request ACS resend); a 96 gets the same frame again; a reply with another AY is
  discarded, except the answer to a 97, which may carry any AY (Koha and Evergreen answer AY0).
* A request that changes something (checkout, checkin, renew, fee paid) is never blindly sent
  again. On a timeout on a live connection the *same frame with the same AY* is re-sent, which a
  conforming ACS answers by replaying its last response. If the connection broke, or error
  detection is off, :class:`Sip2OutcomeUnknown` is raised and the caller reconciles.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk.settings import Sip2Settings
from sync.sip2.codec import (
    ChecksumError,
    Message,
    Sip2DecodeError,
    decode,
    encode,
    message,
)
from sync.sip2.errors import (
    Sip2ConnectionError,
    Sip2LoginError,
    Sip2OutcomeUnknown,
    Sip2ProtocolError,
    Sip2Timeout,
)
from sync.sip2.spec import MESSAGES
from sync.sip2.transport import Connection, Endpoint

log = logging.getLogger(__name__)

REQUEST_ACS_RESEND = b"97AZFEF5"

# What each request may change in the LMS: these are never re-sent blindly.
CHANGING = frozenset({"11", "09", "29", "65", "37", "15", "19", "01", "25"})

Trace = Callable[[str, bytes], None]


class _NotSent(Sip2ConnectionError):
    """The connection was found broken before the request went out: safe to send it again."""


def endpoint(account: Sip2Settings) -> Endpoint:
    """Where the account's ACS listens, and how to reach it."""
    return Endpoint(account.host, account.port, account.tls, account.tls_verify, account.tls_ca_file,
                    account.connect_timeout_s, account.max_message_bytes)


class Sip2Client:
    """A thread-safe SIP2 session with one ACS."""

    def __init__(self, account: Sip2Settings, *, trace: Trace | None = None) -> None:
        self.account = account
        self._trace = trace
        self._lock = threading.RLock()
        self._conn = Connection(endpoint(account))
        self._sequence = -1
        self._last_used = time.monotonic()
        self.acs_status: Message | None = None
        self._keepalive: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- connection -------------------------------------------------------------------------------
    @property
    def institution(self) -> str:
        """The configured institution id, else the one the ACS announced in its 98."""
        if self.account.institution:
            return self.account.institution
        return self.acs_status.get("AO") if self.acs_status is not None else ""

    @property
    def connected(self) -> bool:
        return self._conn.is_open

    def connect(self) -> Message:
        """(Re)open the connection, log in, and return the ACS status (98)."""
        with self._lock:
            self._conn.close()
            self._conn.open()
            try:
                if self.account.telnet:
                    self._telnet_login()
                if self.account.user or not self.account.telnet:
                    login = message("93", {"uid_algorithm": "0", "pwd_algorithm": "0"},
                                    [("CN", self.account.user), ("CO", self.account.password)]
                                    + ([("CP", self.account.location)] if self.account.location else []))
                    reply = self._exchange(login, "94")
                    if not reply.flag("ok"):
                        raise Sip2LoginError(f"the ACS refused the login of user {self.account.user!r}")
                status = self._exchange(self._sc_status(), "98")
            except BaseException:
                self._conn.close()
                raise
            self.acs_status = status
            log.info("connected to ACS %s:%d (online %s)", self.account.host, self.account.port,
                     status.fixed.get("online_status"))
            return status

    def disconnect(self) -> None:
        """Drop the connection; the next request opens a new one (93, then 99)."""
        with self._lock:
            self._conn.close()

    def close(self) -> None:
        """Drop the connection and stop the keep-alive for good."""
        self._stopping.set()
        with self._lock:
            if self._conn.is_open:
                log.info("closing the connection to %s:%d", self.account.host, self.account.port)
            self._conn.close()

    def start_keepalive(self) -> None:
        """Send 99 whenever the connection has been idle for ``keepalive_s``; reconnect if broken."""
        if self._keepalive is not None or self.account.keepalive_s <= 0:
            return
        self._stopping.clear()
        self._keepalive = threading.Thread(target=self._keepalive_loop, name="sip2-keepalive", daemon=True)
        self._keepalive.start()

    def _keepalive_loop(self) -> None:
        period = self.account.keepalive_s
        while not self._stopping.wait(min(period, 5.0)):
            if time.monotonic() - self._last_used < period:
                continue
            try:
                self.request(self._sc_status())
            except Sip2ConnectionError as exc:
                log.warning("keep-alive to %s failed: %s", self.account.host, exc)
            except Exception:
                log.exception("keep-alive failed")

    def _telnet_login(self) -> None:
        timeout = self.account.timeout_s
        self._conn.read_until(b"login:", timeout)
        self._conn.send_line(self.account.user.encode(self.account.encoding), b"\r\n")
        self._conn.read_until(b"password:", timeout)
        self._conn.send_line(self.account.password.encode(self.account.encoding), b"\r\n")
        banner = self._conn.receive(timeout)
        if b"ok" not in banner.lower():
            raise Sip2LoginError("the ACS refused the telnet login")

    def _sc_status(self) -> Message:
        return message("99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"})

    # -- requests ---------------------------------------------------------------------------------
    def request(self, request: Message) -> Message:
        """Send ``request`` and return the ACS's answer, connecting first if needed.

        Requests that change nothing are retried on a fresh connection if the old one broke.
        """
        expected = MESSAGES[request.command].response
        assert expected is not None, f"{request.command} has no response"
        with self._lock:
            attempts = 0
            while True:
                attempts += 1
                if not self._conn.is_open:
                    try:
                        self.connect()
                    except Sip2ConnectionError:
                        if attempts > self.account.retries:
                            raise  # nothing was sent: not an unknown outcome
                        log.info("SIP2 connection failed; trying again (attempt %d)", attempts)
                        continue
                try:
                    reply = self._exchange(request, expected)
                    self._last_used = time.monotonic()
                    return reply
                except _NotSent:
                    if attempts > self.account.retries:
                        raise
                except Sip2OutcomeUnknown:
                    raise
                except Sip2Timeout:
                    # The retries were spent on this connection; more would only keep the patron waiting.
                    self._conn.close()
                    if request.command in CHANGING:
                        raise Sip2OutcomeUnknown(
                            f"no answer to {MESSAGES[request.command].name} in time") from None
                    raise
                except Sip2ConnectionError:
                    self._conn.close()
                    if request.command in CHANGING:
                        raise Sip2OutcomeUnknown(
                            f"connection lost during {MESSAGES[request.command].name}") from None
                except Sip2ProtocolError as exc:
                    # An answer that cannot be read says nothing of whether the request was applied.
                    if request.command in CHANGING:
                        self._conn.close()
                        raise Sip2OutcomeUnknown(
                            f"no readable answer to {MESSAGES[request.command].name}: {exc}") from None
                    raise
                    if attempts > self.account.retries:
                        raise
                log.info("SIP2 connection lost; reconnecting (attempt %d)", attempts)

    def _next_sequence(self) -> int:
        self._sequence = (self._sequence + 1) % 10
        return self._sequence

    def _send(self, data: bytes) -> None:
        if self._trace:
            self._trace("->", data)
        self._conn.send_line(data)

    def _exchange(self, request: Message, expected: str) -> Message:
        """One request/response with the error-detection rules of the spec (§2.3 of the digest)."""
        account = self.account
        sequence = self._next_sequence() if account.error_detection else None
        frame = encode(request, encoding=account.encoding, sequence=sequence,
                       error_detection=account.error_detection)
        try:
            self._conn.discard_pending()
            self._send(frame)
        except Sip2ConnectionError as exc:
            raise _NotSent(str(exc)) from None
        retries = account.retries
        resends = 0
        sent_97 = False
        discarded = 0
        # One deadline for the whole request: stale frames, resend requests and our resends do not
        # start the wait again (each wait is at most timeout_s, and there are at most retries + 1).
        deadline = time.monotonic() + account.timeout_s * (retries + 1)
        late = f"no answer to {MESSAGES[request.command].name} in time"
        while True:
            try:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Sip2Timeout(late)
                raw = self._conn.receive(min(account.timeout_s, left))
            except Sip2Timeout:
                # A spent deadline is the end, not a cue to resend; and a changing request without
                # sequence numbers is never sent twice.
                spent = time.monotonic() >= deadline
                if request.command in CHANGING and (spent or not account.error_detection):
                    self._conn.close()
                    raise Sip2OutcomeUnknown(late) from None
                if spent:
                    self._conn.close()
                    raise
                resends += 1
                if resends > retries:
                    self._conn.close()
                    raise
                log.info("no answer in time; sending the same frame again (%d of %d)", resends, retries)
                self._send(frame)  # same AY: a conforming ACS replays its last response
                sent_97 = False
                continue
            if self._trace:
                self._trace("<-", raw)
            try:
                reply = decode(raw, encoding=account.encoding, verify=True)
            except Sip2DecodeError as exc:
                resends += 1
                if resends > retries:
                    self._conn.close()
                    raise Sip2ProtocolError(f"unreadable answers from the ACS: {exc}") from None
                kind = "bad checksum" if isinstance(exc, ChecksumError) else "unreadable answer"
                log.info("%s from the ACS; asking it to resend", kind)
                self._send(REQUEST_ACS_RESEND)
                sent_97 = True
                continue
            if reply.command == "96":
                if sent_97:
                    self._conn.close()
                    raise Sip2ProtocolError("the ACS asked us to resend our resend request")
                resends += 1
                if resends > retries:
                    self._conn.close()
                    raise Sip2ProtocolError(f"the ACS kept asking for a resend of {request.name}")
                self._send(frame)
                continue
            stale = (reply.command != expected
                     or (sequence is not None and reply.sequence is not None
                         and reply.sequence != sequence and not sent_97))
            if stale:
                discarded += 1
                if discarded > 10:
                    self._conn.close()
                    raise Sip2ProtocolError(f"expected {expected}, the ACS keeps sending {reply.command}")
                continue
            return reply
