"""Request bodies checked as strictly as ``openapi.yaml`` says, with a message naming the field, so a
terminal sending something the contract does not allow gets a 400 instead of a quiet success."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import Any

MAX_EVENTS = 500
MAX_LIMIT, DEFAULT_LIMIT = 10_000, 5000
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TOKEN = re.compile(r"[0-9a-f]{32}")
AMOUNT = re.compile(r"[0-9]{1,7}\.[0-9]{2}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
VERIFIER = re.compile(r"scrypt\$[0-9]{4,5}\$8\$1\$(?:[0-9a-f]{2}){8,64}\$[0-9a-f]{64}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
DEVICE_STATES = ("ok", "degraded", "unavailable")
JOB_STATES = ("released", "printed", "failed", "cancelled")


class BadRequest(ValueError):
    """What is wrong with the request, for the 400's message."""


def event_batch(value: Any) -> list[dict[str, Any]]:
    batch = obj(value, "body", {"events"})
    events = batch["events"]
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise BadRequest(f"events: a list of 1 to {MAX_EVENTS} events")
    for index, event in enumerate(events):
        where = f"events[{index}]"
        obj(event, where, {"id", "kind", "at", "payload"})
        if not isinstance(event["id"], str) or not UUID.fullmatch(event["id"]):
            raise BadRequest(f"{where}.id: a UUID in lower case is required")
        if not isinstance(event["kind"], str) or not KIND.fullmatch(event["kind"]):
            raise BadRequest(f"{where}.kind: a lower-case word like entry or transaction is required")
        time(event["at"], f"{where}.at")
        if not isinstance(event["payload"], dict):
            raise BadRequest(f"{where}.payload: an object is required")
        if event["kind"] == LEARNED:
            learned(event["payload"], f"{where}.payload")
        elif event["kind"] in (REVOKED, USED):
            token(event["payload"].get("key"), f"{where}.payload.key")
    return events


# Events that change the shared access list: a terminal checked a card + PIN with the LMS and learned
# an entry, confirmed the one it has (used), or heard that the LMS does not know the card (revoked).
LEARNED, USED, REVOKED = "access_learned", "access_used", "access_revoked"
STAFF_ACTION = "staff_action"  # done in staff mode at a terminal: also a line of the audit log


def learned(payload: dict[str, Any], where: str) -> None:
    """An ``access_learned`` payload: an access-list entry as a terminal learned it (plus the
    outbox's own fields, which are not looked at)."""
    token(payload.get("key"), f"{where}.key")
    verifier = payload.get("pin_verifier")
    if not isinstance(verifier, str) or not VERIFIER.fullmatch(verifier):
        raise BadRequest(f"{where}.pin_verifier: scrypt$N$8$1$salt$hash is required")
    string(payload.get("category"), f"{where}.category", 0, 64)
    birth = payload.get("birth_date")
    if birth is not None:
        date(birth, f"{where}.birth_date")
    for flag in ("blocked", "consent"):
        if not isinstance(payload.get(flag), bool):
            raise BadRequest(f"{where}.{flag}: true or false")
    date(payload.get("expires"), f"{where}.expires")


def token(value: Any, where: str) -> None:
    if not isinstance(value, str) or not TOKEN.fullmatch(value):
        raise BadRequest(f"{where}: a patron token (32 hex digits) is required")


def date(value: Any, where: str) -> None:
    if not isinstance(value, str) or not DATE.fullmatch(value):
        raise BadRequest(f"{where}: a date YYYY-MM-DD is required")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{where}: not a valid date") from None


def heartbeat(value: Any) -> dict[str, Any]:
    """The heartbeat, checked; its ``config`` (which revision the terminal runs), ``disk`` and
    ``version`` (of the kiosk's software) are optional."""
    revisions: dict[str, Any] | None = None
    disk: dict[str, Any] | None = None
    version: str | None = None
    if isinstance(value, dict) and "version" in value:
        version = value["version"]
        string(version, "version", 1, 64)
        value = {key: item for key, item in value.items() if key != "version"}
    if isinstance(value, dict) and "disk" in value:
        disk = obj(value["disk"], "disk", {"free_mb"})
        if not _is_int(disk["free_mb"]) or disk["free_mb"] < 0:
            raise BadRequest("disk.free_mb: an integer >= 0")
        value = {key: item for key, item in value.items() if key != "disk"}
    if isinstance(value, dict) and "config" in value:
        revisions = obj(value["config"], "config", {"applied", "pending", "refused"})
        for name in ("applied", "pending"):
            if revisions[name] is not None:
                string(revisions[name], f"config.{name}", 1, 64)
        if revisions["refused"] is not None:
            refused = obj(revisions["refused"], "config.refused", {"revision", "error"})
            string(refused["revision"], "config.refused.revision", 1, 64)
            string(refused["error"], "config.refused.error", 0, 500)
        value = {key: item for key, item in value.items() if key != "config"}
    beat = obj(value, "body", {"at", "devices", "outbox", "mode"})
    time(beat["at"], "at")
    devices = beat["devices"]
    if not isinstance(devices, list) or len(devices) > 64:
        raise BadRequest("devices: a list of at most 64 devices")
    for index, device in enumerate(devices):
        where = f"devices[{index}]"
        obj(device, where, {"device", "state", "detail"})
        string(device["device"], f"{where}.device", 1, 64)
        choice(device["state"], f"{where}.state", DEVICE_STATES)
        string(device["detail"], f"{where}.detail", 0, 500)
    outbox = obj(beat["outbox"], "outbox", {"pending", "oldest_age_s"})
    if not _is_int(outbox["pending"]) or outbox["pending"] < 0:
        raise BadRequest("outbox.pending: an integer >= 0")
    age = outbox["oldest_age_s"]
    if age is not None and (not _is_number(age) or age < 0):
        raise BadRequest("outbox.oldest_age_s: a number >= 0 or null")
    choice(beat["mode"], "mode", ("online", "offline"))
    extra = {name: part for name, part in (("config", revisions), ("disk", disk), ("version", version))
             if part is not None}
    return {**beat, **extra}


def print_job_change(value: Any) -> dict[str, Any]:
    change = obj(value, "body", {"state", "terminal"})
    choice(change["state"], "state", JOB_STATES)
    identifier(change["terminal"], "terminal")
    return change


def page_limit(text: str | None) -> int:
    try:
        limit = DEFAULT_LIMIT if text is None else int(text)
    except ValueError:
        raise BadRequest("limit: not an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit: 1 to {MAX_LIMIT}")
    return limit


def obj(value: Any, where: str, keys: set[str], optional: Collection[str] = ()) -> dict[str, Any]:
    """``value`` as an object with exactly ``keys`` (and perhaps some of ``optional``)."""
    if not isinstance(value, dict):
        raise BadRequest(f"{where}: an object is required")
    if missing := sorted(keys - value.keys()):
        raise BadRequest(f"{where}: {missing[0]} is missing")
    if extra := sorted(value.keys() - keys - set(optional)):
        raise BadRequest(f"{where}: {extra[0]} is not allowed")
    return value


def time(value: Any, where: str) -> None:
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise BadRequest(f"{where}: an RFC 3339 time with an offset is required")
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{where}: not a valid time") from None


def identifier(value: Any, where: str) -> None:
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise BadRequest(f"{where}: letters, digits, '.', '_' or '-', at most 64")


def string(value: Any, where: str, shortest: int, longest: int) -> None:
    if not isinstance(value, str) or not shortest <= len(value) <= longest:
        raise BadRequest(f"{where}: a string of {shortest} to {longest} characters")


def choice(value: Any, where: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise BadRequest(f"{where}: one of {', '.join(choices)}")


def _is_int(value: Any) -> bool:
    """An integer as JSON Schema means it: 35143.0 is one too."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def payment_request(value: Any) -> dict[str, Any]:
    """A kiosk asks to hold the price of a print job: owner, job, amount ("2.10"), terminal, and how
    it is paid (``method``: "balance", the default, or "provider")."""
    body = obj(value, "body", {"owner", "job_id", "amount", "terminal"}, optional={"method", "request_id"})
    if body.setdefault("method", "balance") not in ("balance", "provider"):
        raise BadRequest("method: \"balance\" or \"provider\"")
    if not isinstance(body["owner"], str) or not TOKEN.fullmatch(body["owner"]):
        raise BadRequest("owner: a patron token (32 hex digits) is required")
    string(body["job_id"], "job_id", 1, 64)
    identifier(body["terminal"], "terminal")
    if "request_id" in body:
        string(body["request_id"], "request_id", 1, 64)
    if not isinstance(body["amount"], str) or not AMOUNT.fullmatch(body["amount"]):
        raise BadRequest("amount: a string like \"2.10\" is required")
    return body


def payment_change(value: Any) -> dict[str, Any]:
    """A kiosk captures or voids a payment: its terminal, and for a void why (in a few words)."""
    body = obj(value, "body", {"terminal"}, optional={"reason"})
    identifier(body["terminal"], "terminal")
    if "reason" in body:
        string(body["reason"], "reason", 0, 500)
    return body
