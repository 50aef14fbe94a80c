"""The central API of ``openapi.yaml`` over the emulator's store: a request in, a reply out.

No sockets here (:mod:`sync.central.emulator` serves it over HTTP). Request bodies are checked as
strictly as the document says, with a message naming the field, so that a terminal sending
something the contract does not allow gets a 400 instead of a quiet success.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sync.central.emulator_store import (
    CentralStore,
    CursorGone,
    EventConflict,
    TransitionRefused,
    etag_of,
)

log = logging.getLogger("sync.central.emulator")

MAX_EVENTS = 500
MAX_LIMIT, DEFAULT_LIMIT = 10_000, 5000
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TOKEN = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
DEVICE_STATES = ("ok", "degraded", "unavailable")
JOB_STATES = ("released", "printed", "failed", "cancelled")


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, as on the request line
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # JSON-shaped; None: no body
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, code: str, message: str, **headers: str) -> Reply:
        return cls(status, {"error": code, "message": message}, headers)


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.body)
        self.reply = reply


def _bad(message: str) -> _Refused:
    return _Refused(Reply.error(400, "bad_request", message))


Handler = Callable[["CentralApi", Request, str, dict[str, list[str]]], Reply]


class CentralApi:
    """Answers requests of the contract from ``store``, for the bearer ``token``."""

    def __init__(self, store: CentralStore, token: str) -> None:
        self._store = store
        self._token = f"Bearer {token}".encode()

    def handle(self, request: Request) -> Reply:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, self._token):
            return Reply.error(401, "unauthorized", "a valid bearer token is required",
                               **{"WWW-Authenticate": 'Bearer realm="central"'})
        parts = urlsplit(request.target)
        query = parse_qs(parts.query, keep_blank_values=True)
        allowed = []
        for method, pattern, handler in ROUTES:
            if match := pattern.fullmatch(parts.path):
                if method == request.method:
                    try:
                        return handler(self, request, unquote(match.group(1) or ""), query)
                    except _Refused as refused:
                        return refused.reply
                allowed.append(method)
        if allowed:
            methods = ", ".join(allowed)
            return Reply.error(405, "method_not_allowed", f"use {methods}", Allow=methods)
        return Reply.error(404, "not_found", f"no such resource: {parts.path}")

    # -- GET -----------------------------------------------------------------------------------

    def terminal_config(self, request: Request, terminal: str, query: dict[str, list[str]]) -> Reply:
        config = self._store.terminal_config(terminal) if IDENTIFIER.fullmatch(terminal) else None
        if config is None:
            return Reply.error(404, "not_found", f"no such terminal: {terminal}")
        return _conditional(request, config)

    def calendar(self, request: Request, branch: str, query: dict[str, list[str]]) -> Reply:
        calendar = self._store.calendar(branch) if IDENTIFIER.fullmatch(branch) else None
        if calendar is None:
            return Reply.error(404, "not_found", f"no calendar for branch {branch}")
        return _conditional(request, calendar)

    def access_list(self, request: Request, branch: str, query: dict[str, list[str]]) -> Reply:
        # The emulator keeps one list for the municipality and serves it to every branch.
        _identifier(branch, "branch")
        cursor = _one(query, "cursor")
        if cursor is not None and not 1 <= len(cursor) <= 200:
            raise _bad("cursor: 1 to 200 characters")
        limit_text = _one(query, "limit")
        try:
            limit = DEFAULT_LIMIT if limit_text is None else int(limit_text)
        except ValueError:
            raise _bad("limit: not an integer") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise _bad(f"limit: 1 to {MAX_LIMIT}")
        try:
            return Reply(200, self._store.access_page(cursor, limit))
        except CursorGone:
            return Reply.error(410, "cursor_expired", "the cursor has expired: sync the whole list again")

    def print_jobs(self, request: Request, _: str, query: dict[str, list[str]]) -> Reply:
        owner = _one(query, "owner")
        if owner is None or not TOKEN.fullmatch(owner):
            raise _bad("owner: a patron token (32 hex digits) is required")
        return Reply(200, {"jobs": self._store.print_queue(owner)})

    # -- POST ----------------------------------------------------------------------------------

    def events(self, request: Request, terminal: str, query: dict[str, list[str]]) -> Reply:
        _identifier(terminal, "terminal")
        batch = _object(_json(request), "body", {"events"})
        events = batch["events"]
        if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
            raise _bad(f"events: a list of 1 to {MAX_EVENTS} events")
        for index, event in enumerate(events):
            _event(event, f"events[{index}]")
        try:
            accepted, duplicates = self._store.add_events(terminal, events)
        except EventConflict as conflict:
            log.warning("terminal %s: event %s sent again with another body", terminal, conflict.event_id)
            return Reply.error(409, "event_conflict", str(conflict))
        return Reply(200, {"accepted": accepted, "duplicates": duplicates})

    def heartbeat(self, request: Request, terminal: str, query: dict[str, list[str]]) -> Reply:
        _identifier(terminal, "terminal")
        beat = _object(_json(request), "body", {"at", "devices", "outbox", "mode"})
        _time(beat["at"], "at")
        devices = beat["devices"]
        if not isinstance(devices, list) or len(devices) > 64:
            raise _bad("devices: a list of at most 64 devices")
        for index, device in enumerate(devices):
            where = f"devices[{index}]"
            _object(device, where, {"device", "state", "detail"})
            _string(device["device"], f"{where}.device", 1, 64)
            _choice(device["state"], f"{where}.state", DEVICE_STATES)
            _string(device["detail"], f"{where}.detail", 0, 500)
        outbox = _object(beat["outbox"], "outbox", {"pending", "oldest_age_s"})
        if not _is_int(outbox["pending"]) or outbox["pending"] < 0:
            raise _bad("outbox.pending: an integer >= 0")
        age = outbox["oldest_age_s"]
        if age is not None and (not _is_number(age) or age < 0):
            raise _bad("outbox.oldest_age_s: a number >= 0 or null")
        _choice(beat["mode"], "mode", ("online", "offline"))
        self._store.add_heartbeat(terminal, beat)
        return Reply(204)

    def print_job_state(self, request: Request, job_id: str, query: dict[str, list[str]]) -> Reply:
        change = _object(_json(request), "body", {"state", "terminal"})
        _choice(change["state"], "state", JOB_STATES)
        _identifier(change["terminal"], "terminal")
        try:
            job = self._store.set_print_job_state(job_id, change["state"], change["terminal"])
        except TransitionRefused as refused:
            return Reply.error(409, "invalid_transition", str(refused))
        if job is None:
            return Reply.error(404, "not_found", f"no such print job: {job_id}")
        return Reply(200, job)


ROUTES: tuple[tuple[str, re.Pattern[str], Handler], ...] = (
    ("GET", re.compile(r"/v1/terminals/([^/]+)/config"), CentralApi.terminal_config),
    ("GET", re.compile(r"/v1/branches/([^/]+)/calendar"), CentralApi.calendar),
    ("GET", re.compile(r"/v1/branches/([^/]+)/access-list"), CentralApi.access_list),
    ("POST", re.compile(r"/v1/terminals/([^/]+)/events"), CentralApi.events),
    ("POST", re.compile(r"/v1/terminals/([^/]+)/heartbeat"), CentralApi.heartbeat),
    ("GET", re.compile(r"/v1/print-jobs()"), CentralApi.print_jobs),
    ("POST", re.compile(r"/v1/print-jobs/([^/]+)/state"), CentralApi.print_job_state),
)


def _conditional(request: Request, body: Any) -> Reply:
    """200 with an ETag, or 304 when the terminal's If-None-Match names the current one."""
    tag = etag_of(body)
    wanted = request.headers.get("if-none-match", "")
    tags = {part.strip().removeprefix("W/") for part in wanted.split(",")}
    if tag in tags or "*" in tags:
        return Reply(304, None, {"ETag": tag})
    return Reply(200, body, {"ETag": tag})


def _json(request: Request) -> Any:
    try:
        return json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(f"body: not JSON ({exc})") from None


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise _bad(f"{name}: give it once")
    return values[0]


def _object(value: Any, where: str, keys: set[str]) -> dict[str, Any]:
    """``value`` as an object with exactly ``keys``."""
    if not isinstance(value, dict):
        raise _bad(f"{where}: an object is required")
    if missing := sorted(keys - value.keys()):
        raise _bad(f"{where}: {missing[0]} is missing")
    if extra := sorted(value.keys() - keys):
        raise _bad(f"{where}: {extra[0]} is not allowed")
    return value


def _event(event: Any, where: str) -> None:
    _object(event, where, {"id", "kind", "at", "payload"})
    if not isinstance(event["id"], str) or not UUID.fullmatch(event["id"]):
        raise _bad(f"{where}.id: a UUID in lower case is required")
    if not isinstance(event["kind"], str) or not KIND.fullmatch(event["kind"]):
        raise _bad(f"{where}.kind: a lower-case word like entry or transaction is required")
    _time(event["at"], f"{where}.at")
    if not isinstance(event["payload"], dict):
        raise _bad(f"{where}.payload: an object is required")


def _time(value: Any, where: str) -> None:
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise _bad(f"{where}: an RFC 3339 time with an offset is required")
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise _bad(f"{where}: not a valid time") from None


def _identifier(value: Any, where: str) -> None:
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise _bad(f"{where}: letters, digits, '.', '_' or '-', at most 64")


def _string(value: Any, where: str, shortest: int, longest: int) -> None:
    if not isinstance(value, str) or not shortest <= len(value) <= longest:
        raise _bad(f"{where}: a string of {shortest} to {longest} characters")


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise _bad(f"{where}: one of {', '.join(choices)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
