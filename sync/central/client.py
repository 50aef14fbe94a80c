"""The terminal's client of the municipality's central system (the contract in ``openapi.yaml``).

One :class:`requests.Session` with keep-alive, connect and read timeouts, TLS verified (against the
system's CAs or a given CA bundle), and retries with exponential backoff on connection errors and on
429/502/503/504 (honouring Retry-After, at most :data:`MAX_RETRY_AFTER_S`). POSTs are retried too:
every POST of the contract is safe to repeat (events are idempotent by id). Configuration and
calendars are fetched conditionally: the last ETag and body per URL are kept in ``etags`` (any
mutable mapping, e.g. one the caller persists), and a 304 returns the kept body.

What the caller gets is either a value or one of three errors: :class:`CentralUnavailable` (no
answer, or 5xx after the retries, or an answer that breaks the contract: work offline and try
later), :class:`CentralRejected` (a 4xx: the server's error code and message) and its
:class:`CursorExpired` (410: sync the access list again from the start). The bearer token is never
put in a message or a log line.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry

from kiosk.domain.central import (
    AccessEntry,
    AccessPage,
    CentralEvent,
    CentralPrintJob,
    EventReceipt,
    PaymentHold,
    PaymentMethod,
    PaymentState,
    PrintJobState,
    ReleaseOffer,
    Revoked,
    StaffMember,
    TerminalConfig,
)
from kiosk.domain.errors import (
    CentralError,
    CentralRejected,
    CentralUnavailable,
    CursorExpired,
    InsufficientBalance,
    PaymentUnavailable,
)
from kiosk.domain.model import DeviceHealth, PrintJob
from kiosk.domain.wheel import VERSION
from kiosk.printing.pricing import PageInk

log = logging.getLogger("sync.central.client")
STAFF_ROLES = ("staff", "technician", "administrator")

MAX_EVENTS_PER_BATCH = 500
MAX_RETRY_AFTER_S = 30.0
MAX_BODY_BYTES = 32 * 1024 * 1024  # decoded; an access-list page of 5,000 entries is about 1 MB
DEADLINE_S = 60.0  # for a whole answer, however slowly it trickles in
RETRY_STATUSES = (429, 502, 503, 504)
T = TypeVar("T")


class _Retry(Retry):
    """urllib3's Retry, with a cap on how long a Retry-After may make the terminal wait."""

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER_S)


class _Bearer(requests.auth.AuthBase):
    """As session auth (not a plain header) so that a ~/.netrc never replaces it."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self) -> str:
        return "_Bearer(<hidden>)"


class CentralClient:
    """The central API at ``base_url`` (without ``/v1``) for a terminal holding ``token``.

    ``timeout_s`` is (connect, read) in seconds; ``retries`` how often a failed request is tried
    again, waiting ``backoff`` * 2**n seconds between tries (the first retry at once); ``verify`` is
    True (the system's CAs), or the path of a CA bundle for a private CA.
    """

    def __init__(self, base_url: str, token: str, *, timeout_s: float | tuple[float, float] = (3.05, 10),
                 retries: int = 3, backoff: float = 0.5, verify: bool | str | Path = True,
                 etags: MutableMapping[str, tuple[str, Any]] | None = None,
                 max_body_bytes: int = MAX_BODY_BYTES, deadline_s: float = DEADLINE_S) -> None:
        if verify is False:
            raise ValueError("TLS verification cannot be turned off; give the CA bundle instead")
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s
        self._max_body, self._deadline_s = max_body_bytes, deadline_s
        self._verify: bool | str = str(verify) if isinstance(verify, Path) else verify
        self._etags: MutableMapping[str, tuple[str, Any]] = {} if etags is None else etags
        retry = _Retry(total=retries, backoff_factor=backoff, status_forcelist=RETRY_STATUSES,
                       allowed_methods=frozenset({"GET", "POST"}), respect_retry_after_header=True,
                       raise_on_status=False, raise_on_redirect=False)
        self.session = requests.Session()
        self.session.auth = _Bearer(token)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "library-kiosk"})
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- enrolment -----------------------------------------------------------------------------

    def enrol(self, terminal_id: str, token: str) -> tuple[str, str]:
        """Trade a one-time enrolment token for the terminal's own credential: (its branch, the
        credential). :class:`CentralRejected` (401) when the token is not valid for this terminal."""
        what = "enrolment"
        body = _object(self._request("POST", "/v1/enrol", json_body={"terminal_id": terminal_id,
                                                                     "token": token}), what)
        return _field(body, "branch", str, what), _field(body, "credential", str, what)

    # -- pull ----------------------------------------------------------------------------------

    def terminal_config(self, terminal_id: str) -> TerminalConfig:
        what = "terminal config"
        path = f"/v1/terminals/{_segment(terminal_id)}/config"
        body = _object(self._request("GET", path, conditional=True), what)
        key_hex = _field(body, "access_list_key", str, what)
        try:
            key = bytes.fromhex(key_hex)
        except ValueError:
            raise CentralUnavailable(f"{what}: access_list_key is not hex") from None
        revision = body.get("revision", "")
        return TerminalConfig(_field(body, "terminal_id", str, what), _field(body, "settings", dict, what),
                              key, revision if isinstance(revision, str) else "",
                              _release(body.get("release"), what))

    def release_wheel(self, offer: ReleaseOffer, write: Callable[[bytes], None], max_bytes: int) -> None:
        """Stream the wheel of ``offer`` into ``write``, chunk by chunk, never more than ``max_bytes``
        (:class:`CentralUnavailable` when it breaks off or grows past that; :class:`CentralRejected`
        404 when the service does not offer that version to this terminal). Only a path of this
        service's releases is fetched: the terminal's credential goes nowhere else."""
        path = offer.url
        if not _RELEASE_PATH.fullmatch(path):
            raise CentralUnavailable(f"release {offer.version[:64]}: {path[:100]!r} is no release of "
                                     "the service")
        try:
            response = self.session.get(self._base + path, timeout=self._timeout, verify=self._verify,
                                        allow_redirects=False, stream=True,
                                        headers={"Accept": "application/octet-stream"})
        except requests.exceptions.SSLError as exc:
            raise CentralUnavailable(f"GET {path}: TLS failed (certificate not trusted?): {exc}") from None
        except requests.RequestException as exc:
            raise CentralUnavailable(f"GET {path}: no answer ({type(exc).__name__}: {exc})") from None
        with response:
            if response.status_code != 200:
                content = self._read_body(response, time.monotonic() + self._deadline_s, f"GET {path}")
                code, message = _error(response, content)
                if 400 <= response.status_code < 500 and response.status_code != 429:
                    raise CentralRejected(response.status_code, code, message)
                raise CentralUnavailable(f"GET {path}: HTTP {response.status_code} {code}: {message}")
            size = 0
            try:
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > max_bytes:
                        raise CentralUnavailable(f"GET {path}: larger than the {max_bytes} bytes offered")
                    write(chunk)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                raise CentralUnavailable(f"GET {path}: the download broke off ({type(exc).__name__})"
                                         ) from None

    def calendar(self, branch: str) -> dict[str, Any]:
        """The branch's calendar: a branch table of a calendar file, dates as ISO strings."""
        path = f"/v1/branches/{_segment(branch)}/calendar"
        return _object(self._request("GET", path, conditional=True), "calendar")

    def staff_list(self, branch: str) -> tuple[StaffMember, ...]:
        """The branch's staff list; an entry that is not one is refused with the whole list (the
        terminal keeps the one it had)."""
        what = "staff list"
        body = _object(self._request("GET", f"/v1/branches/{_segment(branch)}/staff", conditional=True), what)
        cards = _field(body, "staff", list, what)
        members = []
        for number, card in enumerate(cards):
            where = f"{what}: entry {number}"
            if not isinstance(card, dict):
                raise CentralUnavailable(f"{where} is not an object")
            token, role = _field(card, "token", str, where), _field(card, "role", str, where)
            verifier, expires = _field(card, "pin_verifier", str, where), card.get("expires")
            if not re.fullmatch(r"[0-9a-f]{32}", token) or role not in STAFF_ROLES:
                raise CentralUnavailable(f"{where}: not a staff card (token {token[:8]!r}, "
                                         f"role {role[:20]!r})")
            if not verifier.startswith("scrypt$"):
                raise CentralUnavailable(f"{where}: the PIN verifier is not one the kiosk checks")
            try:
                day = dt.date.fromisoformat(expires) if isinstance(expires, str) else None
            except ValueError:
                raise CentralUnavailable(f"{where}: expires is not a date") from None
            members.append(StaffMember(token, role, verifier, day))
        return tuple(members)

    def revocations(self, branch: str) -> tuple[Revoked, ...]:
        """The cards the branch's doors keep out; a list with an entry that is not one is refused
        whole (the terminal keeps the one it had)."""
        what = "revocation list"
        body = _object(self._request("GET", f"/v1/branches/{_segment(branch)}/revocations", conditional=True),
                       what)
        revoked = []
        for number, entry in enumerate(_field(body, "revoked", list, what)):
            where = f"{what}: entry {number}"
            if not isinstance(entry, dict):
                raise CentralUnavailable(f"{where} is not an object")
            token, until = _field(entry, "token", str, where), entry.get("until")
            if not re.fullmatch(r"[0-9a-f]{32}", token):
                raise CentralUnavailable(f"{where}: not a token")
            try:
                day = dt.date.fromisoformat(until) if isinstance(until, str) else None
            except ValueError:
                raise CentralUnavailable(f"{where}: until is not a date") from None
            revoked.append(Revoked(token, day))
        return tuple(revoked)

    def access_list(self, branch: str, cursor: str | None = None, limit: int = 5000) -> AccessPage:
        """One page of the access list: from the start without ``cursor``, else what follows it."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        what = "access list"
        path = f"/v1/branches/{_segment(branch)}/access-list"
        body = _object(self._request("GET", path, params=params), what)
        entries = _field(body, "entries", list, what)
        return AccessPage(tuple(_access_entry(entry, f"{what} entry {n}") for n, entry in enumerate(entries)),
                          _field(body, "cursor", str, what), _field(body, "more", bool, what),
                          _field(body, "full", bool, what))

    def print_jobs(self, owner: str) -> list[CentralPrintJob]:
        """The patron's print queue (jobs not printed or cancelled yet); ``owner`` is their token."""
        body = _object(self._request("GET", "/v1/print-jobs", params={"owner": owner}), "print jobs")
        return [_print_job(job, owner) for job in _field(body, "jobs", list, "print jobs")]

    # -- push ----------------------------------------------------------------------------------

    def send_events(self, terminal_id: str, events: Sequence[CentralEvent]) -> EventReceipt:
        """Deliver the events (in batches of at most 500); which were new and which seen before."""
        accepted: list[str] = []
        duplicates: list[str] = []
        path = f"/v1/terminals/{_segment(terminal_id)}/events"
        for start in range(0, len(events), MAX_EVENTS_PER_BATCH):
            batch = [_event_json(event) for event in events[start:start + MAX_EVENTS_PER_BATCH]]
            body = _object(self._request("POST", path, json_body={"events": batch}), "event receipt")
            accepted += _strings(_field(body, "accepted", list, "event receipt"), "event receipt")
            duplicates += _strings(_field(body, "duplicates", list, "event receipt"), "event receipt")
        return EventReceipt(tuple(accepted), tuple(duplicates))

    def heartbeat(self, terminal_id: str, devices: Sequence[DeviceHealth], *, pending: int,
                  oldest_age_s: float | None, mode: Literal["online", "offline"],
                  at: dt.datetime | None = None, config: Mapping[str, Any] | None = None,
                  disk_free_mb: float | None = None, version: str | None = None) -> None:
        """Tell the central system the terminal is alive, how its devices and its outbox are, and
        (``config``) which configuration revision it runs, waits to apply or refused and why, how
        much room its data folder's disk has left, and (``version``) which version of the kiosk runs."""
        when = at or dt.datetime.now(dt.UTC)
        body: dict[str, Any] = {
            "at": _rfc3339(when), "mode": mode,
            "devices": [{"device": d.device, "state": d.state.value, "detail": d.detail} for d in devices],
            "outbox": {"pending": pending, "oldest_age_s": oldest_age_s}}
        if config is not None:
            refused = config.get("refused")
            body["config"] = {"applied": config.get("applied"), "pending": config.get("pending"),
                              "refused": None if not refused else {
                                  "revision": refused["revision"], "error": str(refused["error"])[:500]}}
        if disk_free_mb is not None:
            body["disk"] = {"free_mb": max(0, int(disk_free_mb))}
        if version:
            body["version"] = version[:64]
        self._request("POST", f"/v1/terminals/{_segment(terminal_id)}/heartbeat", json_body=body)

    def print_pages(self, job_id: str) -> tuple[PageInk, ...]:
        """Each page of a job's document (colour, paper size), as its price was made from them."""
        what = "print job pages"
        body = _object(self._request("GET", f"/v1/print-jobs/{_segment(job_id)}/pages"), what)
        pages = []
        for number, page in enumerate(_field(body, "pages", list, what)):
            if not isinstance(page, dict) or not isinstance(page.get("colour"), bool) \
                    or not isinstance(page.get("size"), str):
                raise CentralUnavailable(f"{what}: page {number + 1} is not a page")
            pages.append(PageInk(page["colour"], page["size"]))
        return tuple(pages)

    # -- paying for print jobs (the kiosk's Payment port, on the prepaid balances) --------------

    def balance(self, owner: str) -> Decimal:
        body = _object(self._request("GET", f"/v1/balances/{_segment(owner)}"), "balance")
        return _money(_field(body, "balance", str, "balance"), "balance")

    def authorize(self, owner: str, job_id: str, amount: Decimal, terminal: str, *,
                  method: PaymentMethod = "balance", request_id: str = "") -> PaymentHold:
        """Hold the price from the balance (:class:`InsufficientBalance`), or by card on the payment
        provider's page (``method="provider"``: the hold awaits its payer, with ``pay_url`` and
        ``expires_at``; :class:`PaymentUnavailable` when the service has no provider)."""
        request: dict[str, str] = {"owner": owner, "job_id": job_id, "amount": f"{amount:.2f}",
                                   "terminal": terminal}
        if method != "balance":
            request["method"] = method
        if request_id:  # a retry of this request (a lost answer) is answered the same payment
            request["request_id"] = request_id
        try:
            body = self._request("POST", "/v1/payments", json_body=request)
        except CentralRejected as refused:
            if refused.status == 402:
                raise InsufficientBalance(refused.message) from None
            if refused.status == 409 and refused.code == "no_payment_provider":
                raise PaymentUnavailable(refused.message) from None
            raise
        return _payment(body)

    def payment(self, payment_id: str) -> PaymentHold:
        """The payment as it is now; one awaiting its payer is brought up to date with the provider
        by the service (poll this while the patron pays on their phone)."""
        return _payment(self._request("GET", f"/v1/payments/{_segment(payment_id)}"))

    def capture(self, payment_id: str, terminal: str) -> PaymentHold:
        return _payment(self._request("POST", f"/v1/payments/{_segment(payment_id)}/capture",
                                      json_body={"terminal": terminal}))

    def void(self, payment_id: str, terminal: str, reason: str) -> PaymentHold:
        return _payment(self._request("POST", f"/v1/payments/{_segment(payment_id)}/void",
                                      json_body={"terminal": terminal, "reason": reason[:500]}))

    def print_document(self, job_id: str) -> bytes:
        """A job's document (a PDF), while the job is kept."""
        document = self._request("GET", f"/v1/print-jobs/{_segment(job_id)}/document", raw=True)
        if not isinstance(document, bytes) or not document.startswith(b"%PDF-"):
            raise CentralUnavailable("print job document: not a PDF")
        return document

    def print_preview(self, job_id: str) -> bytes:
        """A picture (PNG) of the first page of a job's document, drawn by the service."""
        picture = self._request("GET", f"/v1/print-jobs/{_segment(job_id)}/preview", raw=True)
        if not isinstance(picture, bytes) or not picture.startswith(b"\x89PNG\r\n\x1a\n"):
            raise CentralUnavailable("print job preview: not a PNG")
        return picture

    def set_print_job_state(self, job_id: str, state: PrintJobState, terminal_id: str, *,
                            owner: str = "") -> CentralPrintJob:
        """Release, print, fail or cancel a job; the job as it is now (:class:`CentralRejected` 409 if
        it cannot go there). The answer does not name the owner: ``owner`` goes into the job."""
        body = self._request("POST", f"/v1/print-jobs/{_segment(job_id)}/state",
                             json_body={"state": state, "terminal": terminal_id})
        return _print_job(body, owner)

    # -- transport -----------------------------------------------------------------------------

    def _read_body(self, response: requests.Response, deadline: float, what: str) -> bytes:
        """The decoded body, read as it comes: at most ``max_body_bytes`` (a gzip bomb stops there,
        not in memory) and by ``deadline`` (a body trickled a byte at a time never restarts the wait)."""
        if getattr(response, "_content_consumed", False):  # a response hook has read it already
            if len(response.content or b"") > self._max_body:
                raise CentralUnavailable(f"{what}: an answer larger than {self._max_body} bytes")
            return response.content or b""
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise CentralUnavailable(f"{what}: the answer took longer than {self._deadline_s:g} s")
            try:
                chunk = raw.read1(16384, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise CentralUnavailable(f"{what}: the answer broke off ({type(exc).__name__})") from None
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self._max_body:
                raise CentralUnavailable(f"{what}: an answer larger than {self._max_body} bytes")
            chunks.append(chunk)

    def _request(self, method: str, path: str, *, params: Mapping[str, str | int] | None = None,
                 json_body: Any = None, conditional: bool = False, raw: bool = False) -> Any:
        """The decoded body of a 2xx (None for 204; ``raw``: its bytes), the kept body on a 304, or
        an error."""
        url = self._base + path
        headers = {}
        kept = self._etags.get(url) if conditional else None
        if kept is not None:
            headers["If-None-Match"] = kept[0]
        deadline = time.monotonic() + self._deadline_s
        try:
            response = self.session.request(method, url, params=params, json=json_body, headers=headers,
                                            timeout=self._timeout, verify=self._verify, allow_redirects=False,
                                            stream=True)
            with response:
                content = self._read_body(response, deadline, f"{method} {path}")
        except requests.exceptions.SSLError as exc:
            log.warning("central %s %s: TLS failed: %s", method, path, exc)
            raise CentralUnavailable(f"{method} {path}: TLS failed (certificate not trusted?): {exc}"
                                     ) from None
        except requests.RequestException as exc:
            log.info("central %s %s: no answer: %s", method, path, type(exc).__name__)
            raise CentralUnavailable(f"{method} {path}: no answer ({type(exc).__name__}: {exc})") from None
        status = response.status_code
        if status == 304 and kept is not None:
            return copy.deepcopy(kept[1])
        if status == 204:
            return None
        if 200 <= status < 300 and raw:
            return content
        if 200 <= status < 300:
            body = _decode(response, content, f"{method} {path}")
            if conditional and (tag := response.headers.get("ETag")):
                self._etags[url] = (tag, copy.deepcopy(body))
            return body
        code, message = _error(response, content)
        if 400 <= status < 500 and status != 429:
            log.warning("central %s %s: refused, HTTP %d %s", method, path, status, code)
            raise (CursorExpired if status == 410 else CentralRejected)(status, code, message)
        log.info("central %s %s: HTTP %d %s", method, path, status, code)
        raise CentralUnavailable(f"{method} {path}: HTTP {status} {code}: {message}")


# -- reading answers ---------------------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _decode(response: requests.Response, content: bytes, what: str) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        raise CentralUnavailable(f"{what}: HTTP {response.status_code} with a body that is not JSON "
                                 f"({len(content)} bytes)") from None


def _error(response: requests.Response, content: bytes) -> tuple[str, str]:
    """The error code and message of a refusal; made up from the status if the body has none."""
    try:
        body = json.loads(content)
        code, message = body["error"], body["message"]
        if isinstance(code, str) and isinstance(message, str):
            return code, message
    except (ValueError, KeyError, TypeError, RecursionError):
        pass
    return f"http_{response.status_code}", response.reason or "no error body"


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CentralUnavailable(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


_RELEASE_PATH = re.compile(r"/v1/releases/[0-9A-Za-z][0-9A-Za-z.+!_-]{0,63}/wheel")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _release(value: Any, what: str) -> ReleaseOffer | None:
    """The release offer of a configuration document (None: none offered); one that breaks the
    contract is none, and said in the log, so that the rest of the configuration still counts."""
    if value is None:
        return None
    try:
        offer = ReleaseOffer(str(value["version"]), str(value["sha256"]), value["size"], str(value["url"]))
    except (TypeError, KeyError):
        offer = None
    if (offer is None or not VERSION.fullmatch(offer.version) or not _SHA256.fullmatch(offer.sha256)
            or not isinstance(offer.size, int) or isinstance(offer.size, bool) or offer.size < 1
            or offer.url != f"/v1/releases/{offer.version}/wheel"):
        log.error("%s: a release offer this kiosk cannot use: %.200r", what, value)
        return None
    return offer


def _field(body: Mapping[str, Any], name: str, kind: type[T], what: str) -> T:
    value = body.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        shown = "missing" if name not in body else f"a {type(value).__name__}"
        raise CentralUnavailable(f"{what}: {name} should be a {kind.__name__}, is {shown}")
    return value


def _strings(values: list[Any], what: str) -> list[str]:
    if not all(isinstance(value, str) for value in values):
        raise CentralUnavailable(f"{what}: ids should be strings")
    return values


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CentralUnavailable(f"{what}: {value!r} is not a date like 2028-12-31")


def _time(value: Any, what: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise CentralUnavailable(f"{what}: {value!r} is not a time with an offset")
    return when


def _access_entry(value: Any, what: str) -> AccessEntry:
    entry = _object(value, what)
    birth = entry.get("birth_date")
    return AccessEntry(
        key=_field(entry, "key", str, what), pin_verifier=_field(entry, "pin_verifier", str, what),
        category=_field(entry, "category", str, what),
        birth_date=None if birth is None else _date(birth, f"{what}: birth_date"),
        blocked=_field(entry, "blocked", bool, what), consent=_field(entry, "consent", bool, what),
        expires=_date(entry.get("expires"), f"{what}: expires"), deleted=_field(entry, "deleted", bool, what))


def _print_job(value: Any, owner: str) -> CentralPrintJob:
    what = "print job"
    job = _object(value, what)
    try:
        price = Decimal(_field(job, "price", str, what))
    except InvalidOperation:
        raise CentralUnavailable(f"{what}: price {job['price']!r} is not a decimal") from None
    state = _field(job, "state", str, what)
    if state not in ("held", "released", "printed", "failed", "cancelled"):
        raise CentralUnavailable(f"{what}: unknown state {state!r}")
    return CentralPrintJob(
        job=PrintJob(job_id=_field(job, "id", str, what), owner_token=owner,
                     document_name=_field(job, "title", str, what), pages=_field(job, "pages", int, what),
                     copies=_field(job, "copies", int, what), colour=_field(job, "color", bool, what),
                     cost=price),
        duplex=_field(job, "duplex", bool, what), currency=_field(job, "currency", str, what),
        submitted_at=_time(job.get("submitted_at"), f"{what}: submitted_at"),
        state=cast(PrintJobState, state))


# -- writing requests --------------------------------------------------------------------------

def _segment(value: str) -> str:
    """A path segment, quoted so that an id cannot change the path."""
    return quote(value, safe="")


def _rfc3339(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("a time for the central system needs a time zone")
    return when.isoformat()


def _event_json(event: CentralEvent) -> dict[str, Any]:
    return {"id": event.id, "kind": event.kind, "at": _rfc3339(event.at), "payload": dict(event.payload)}



__all__ = ["AccessEntry", "AccessPage", "CentralClient", "CentralError", "CentralEvent", "CentralPrintJob",
           "CentralRejected", "CentralUnavailable", "CursorExpired", "EventReceipt", "PrintJobState",
           "TerminalConfig"]


def _money(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CentralUnavailable(f"{what}: {text[:20]!r} is not an amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise CentralUnavailable(f"{what}: {text[:20]!r} is not an amount")
    return value


def _payment(body: Any) -> PaymentHold:
    what = "payment"
    payment = _object(body, what)
    state = _field(payment, "state", str, what)
    if state not in get_args(PaymentState):
        raise CentralUnavailable(f"{what}: state {state[:20]!r} is none the kiosk knows")
    money = _money(_field(payment, "amount", str, what), what)
    pay_url, expires = payment.get("pay_url", ""), payment.get("expires_at")
    if not isinstance(pay_url, str) or (pay_url and not pay_url.startswith(("https://", "http://"))):
        raise CentralUnavailable(f"{what}: pay_url is not a link")
    return PaymentHold(_field(payment, "id", str, what), _field(payment, "job_id", str, what), money,
                       _field(payment, "currency", str, what), cast(PaymentState, state), pay_url,
                       None if expires is None else _time(expires, f"{what}: expires_at"))
