"""An FBS for tests and the demo: the SIP2 emulator's library (the same seed data and rules), served
as FBS serves it: one HTTP POST per SIP2 message in FBS's XML envelope, the account checked on every
request, and FBS's field conventions in the replies (titles in CH with the record number in AJ,
``%``-separated loan, hold and fee records, patron numbers with the ``LN:`` prefix, the branch first in
AQ, every list at once for a patron information with every summary flag set).

``library-kiosk lms-emulator --fbs --port P`` runs one; the kiosk's ``[lms] kind = "emulator"`` with
``protocol = "fbs"`` starts one of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import ssl
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sync.fbs.envelope import EnvelopeError, reply_xml, request_text, rest_error_xml
from sync.sip2.codec import Message, Sip2DecodeError, decode, encode
from sync.sip2.emulator import TRANSACTION_LOG
from sync.sip2.emulator_context import TransactionRecord
from sync.sip2.emulator_handlers import handle
from sync.sip2.emulator_model import EmulatorData, Item
from sync.sip2.emulator_quirks import Quirks

log = logging.getLogger(__name__)

LISTS = ("AS", "AT", "AU", "AV", "BU", "CD")  # the summary flags' order (SIP2 63)
MAX_BODY = 1_048_576
LOST_REPLY_HOLD_S = 60.0  # how long a "lost" reply keeps the connection waiting


class FbsEmulator:
    """Thread-safe: every request has its thread, the library one lock.

    Of the SIP2 emulator's quirks (:class:`~sync.sip2.emulator_quirks.Quirks`) it honours ``delay``,
    ``garbage_every`` (an HTML error page instead of the reply, as a proxy in front of FBS sends),
    ``no_reply_commands`` and ``lost_reply_commands`` (no answer: the connection hangs, as a lost
    packet leaves it, until the client gives up or the emulator stops);
    ``drop_after`` it meets anyway: every connection is closed after its one answer, as FBS's are.
    """

    def __init__(self, data: EmulatorData, *, host: str = "127.0.0.1", port: int = 0, login: str = "kiosk",
                 password: str = "kiosk", tls_context: ssl.SSLContext | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self._data = data
        self._host, self._port = host, port
        self._login, self._password = login, password
        self._tls = tls_context
        self._clock = clock or (lambda: dt.datetime.now().astimezone())
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._transactions: deque[TransactionRecord] = deque(maxlen=TRANSACTION_LOG)
        self._quirks = Quirks(encoding="utf-8")
        self._answered = 0
        self._stopping = threading.Event()

    @property
    def quirks(self) -> Quirks:
        return self._quirks

    def update_quirks(self, **changes: Any) -> Quirks:
        self._quirks = dataclasses.replace(self._quirks, **changes)
        return self._quirks

    @property
    def data(self) -> EmulatorData:
        return self._data

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def transactions(self) -> list[TransactionRecord]:
        """The last :data:`~sync.sip2.emulator.TRANSACTION_LOG` requests applied, oldest first."""
        with self._lock:
            return list(self._transactions)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the FBS emulator is not started")
        host, port = str(self._server.server_address[0]), int(self._server.server_address[1])
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{host}:{port}/rest/sip2/{self._data.library.institution}"

    def start(self) -> FbsEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                answer = emulator.answer(self.path, self.rfile.read(min(length, MAX_BODY + 1)))
                if answer is None:  # a reply lost on the way
                    self.close_connection = True
                    return
                status, body = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/xml;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._stopping.clear()
        server = ThreadingHTTPServer((self._host, self._port), Handler)
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._port = int(server.server_address[1])  # a restart listens where the kiosk already asks
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fbs-emulator", daemon=True)
        self._thread.start()
        log.info("FBS emulator at %s", self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("FBS emulator stopped")

    # -- one request --------------------------------------------------------------------------------
    def answer(self, path: str, body: bytes) -> tuple[int, bytes] | None:
        """(HTTP status, reply document) for one POSTed envelope; None: no answer (a quirk)."""
        if not path.rstrip("/").endswith(f"/rest/sip2/{self._data.library.institution}"):
            return 404, rest_error_xml("NOT_FOUND", str(uuid.uuid4()))
        try:
            login, password, text = request_text(body)
        except EnvelopeError as exc:
            return 400, rest_error_xml(f"BAD_REQUEST: {exc}", str(uuid.uuid4()))
        if not password:
            return 200, reply_xml(error="Required field: LOGIN_PASSWORD must be set!")
        if (login, password) != (self._login, self._password):
            return 401, rest_error_xml("AUTHENTICATION_FAILED", str(uuid.uuid4()))
        try:
            request = decode(text.encode("utf-8"), encoding="utf-8", verify=False)
        except Sip2DecodeError as exc:
            return 200, reply_xml(error=f"Invalid SIP2 message: {exc}")
        quirks = self._quirks
        if request.command in quirks.no_reply_commands:
            self._stopping.wait(LOST_REPLY_HOLD_S)
            return None
        with self._lock:
            now = self._clock()
            try:
                response = self._respond(request, now)
            except Exception:
                log.exception("FBS emulator: %s failed", request.command)
                return 500, rest_error_xml("INTERNAL_ERROR", str(uuid.uuid4()))
            self._answered += 1
            answered = self._answered
        if quirks.delay:
            time.sleep(quirks.delay)
        if request.command in quirks.lost_reply_commands:
            self._stopping.wait(LOST_REPLY_HOLD_S)
            return None
        if quirks.garbage_every and answered % quirks.garbage_every == 0:
            return 502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        if response is None:
            return 200, reply_xml(error=f"Unsupported message: {request.command}")
        return 200, reply_xml(response=encode(response, encoding="utf-8", error_detection=False).decode())

    def _respond(self, request: Message, now: dt.datetime) -> Message | None:
        if request.command == "63" and request.fixed.get("summary", "").count("Y") > 1:
            return self._whole_account(request, now)
        outcome = handle(self._data, request, now)
        if outcome is None:
            return None
        self._transactions.append(outcome.record)
        return self._fbs(outcome.response, now)

    def _whole_account(self, request: Message, now: dt.datetime) -> Message | None:
        """Every list in one answer, as FBS gives them (SIP2 proper allows one per message)."""
        fields: list[tuple[str, str]] = []
        first: Message | None = None
        for position, code in enumerate(LISTS):
            single = Message("63", {**request.fixed, "summary": " " * position + "Y"}, list(request.fields))
            outcome = handle(self._data, single, now)
            if outcome is None:
                return None
            if first is None:
                first = outcome.response
                self._transactions.append(outcome.record)
            fields += [(c, v) for c, v in outcome.response.fields if c == code]
        assert first is not None
        first.fields = [(c, v) for c, v in first.fields if c not in LISTS] + fields
        return self._fbs(first, now)

    # -- FBS's conventions --------------------------------------------------------------------------
    def _fbs(self, response: Message, now: dt.datetime) -> Message:
        fields: list[tuple[str, str]] = []
        item = self._data.items.get(response.get("AB"))
        for code, value in response.fields:
            if code == "AJ" and item is not None:
                fields.append(("AJ", _record(item.item_id)))
            elif code == "AA" and response.command in ("64", "24", "10") and value:
                fields.append(("AA", f"LN:{value}"))
            elif code == "AQ" and item is not None:
                fields.append(("AQ", f"{item.owner or item.location}%{item.location or 'Voksen'}%%"))
            elif code in ("AU", "AT"):
                fields.append((code, self._loan_record(value)))
            elif code == "AS":
                fields.append((code, self._hold_record(value, now, ready=True)))
            elif code == "CD":
                fields.append((code, self._hold_record(value, now, ready=False)))
            elif code == "AV":
                fields.append((code, self._fee_record(value)))
            elif code in ("BM", "BN"):
                fields.append((code, self._renewal_record(value, renewed=code == "BM")))
            elif code == "CH" and item is not None:
                continue  # FBS's CH holds the title (below); parts in set are not sent
            else:
                fields.append((code, value))
        if item is not None and response.command in ("12", "10", "18", "30"):
            fields.append(("CH", _properties(item)))
        return Message(response.command, dict(response.fixed), fields)

    def _loan_record(self, item_id: str) -> str:
        item = self._data.items.get(item_id)
        if item is None:
            return item_id
        due = item.loan.due.strftime("%Y%m%d") if item.loan is not None else ""
        return f"{item.item_id}%{due}%{_properties(item)}"

    def _hold_record(self, item_id: str, now: dt.datetime, *, ready: bool) -> str:
        item = self._data.items.get(item_id)
        if item is None:
            return item_id
        if ready:
            by = (now + dt.timedelta(days=7)).strftime("%Y%m%d")
            branch = f"{self._data.library.institution} - {self._data.library.location.capitalize()}"
            return f"{_record(item_id)}%{item_id}%{zlib.crc32(item_id.encode()) % 100000}%{by}%{branch}%" \
                   f"{_properties(item)}"
        return f"{_record(item_id)}%{item_id}%{(now + dt.timedelta(days=90)).strftime('%Y%m%d')}%" \
               f"{_properties(item)}"

    def _fee_record(self, text: str) -> str:
        """The SIP2 emulator's ``<fee id> <amount> <description>`` as FBS's fee record."""
        fee_id, _, rest = text.partition(" ")
        amount, _, description = rest.partition(" ")
        fee = next((f for p in self._data.patrons.values() for f in p.fees if f.fee_id == fee_id), None)
        item = self._data.items.get(fee.item_id) if fee is not None and fee.item_id else None
        title = _properties(item) if item is not None else f"{description}%%%%"
        return f"{fee.item_id if fee else ''}%{fee_id}%%{amount}%{title}"

    def _renewal_record(self, item_id: str, *, renewed: bool) -> str:
        item = self._data.items.get(item_id)
        if item is None:
            return item_id
        due = item.loan.due.strftime("%Y%m%d") if item.loan is not None else ""
        return f"{item_id}%{due}%{_properties(item)}" if renewed else \
            f"{item_id}%UNSUCCESSFUL%{due}%{_properties(item)}"


def _record(item_id: str) -> str:
    """A bibliographic record number for the item (FBS's AJ): eight digits, the same every time."""
    return f"{zlib.crc32(item_id.encode()) % 100_000_000:08d}"


def _properties(item: Item) -> str:
    """``title%author%material type%sub type%classification``, HTML-escaped as FBS sends titles."""
    return "%".join((_entities(item.title), _entities(item.author), "a", "xx", _entities(item.call_number)))


def _entities(text: str) -> str:
    return (text.replace("&", "&amp;").replace("%", "&#37;").replace("|", "&#124;")
            .replace("<", "&lt;").replace(">", "&gt;"))
