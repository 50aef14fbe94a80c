"""The central API of ``openapi.yaml`` as a FastAPI application over a :class:`CentralStore`.

Bodies are read as raw JSON and checked by :mod:`sync.central.server.validate`, not by generated
models: the contract is the YAML document, and every error has the contract's shape
``{"error": code, "message": text}``. The store is blocking, so each call runs in the thread pool.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from kiosk.domain.wheel import VERSION
from sync.central.server import validate
from sync.central.server.alarms import AlarmEngine
from sync.central.server.ledger import InsufficientFunds, Ledger, StepRefused
from sync.central.server.payments.methods import NoProvider, PrintPayments
from sync.central.server.payments.provider import ProviderError
from sync.central.server.print_analysis import first_page_picture
from sync.central.server.print_inbox import PrintInbox
from sync.central.server.print_queue import PrintQueue, TransitionRefused
from sync.central.server.releases import Releases, offer_document
from sync.central.server.revocations import Revocations
from sync.central.server.staff_list import StaffList
from sync.central.server.store import (
    Caller,
    CentralStore,
    CursorGone,
    EventConflict,
    etag_of,
)
from sync.central.server.validate import BadRequest
from sync.central.server.web.oidc import OidcSettings

log = logging.getLogger("sync.central.server")

MAX_BODY = 8 * 1024 * 1024
CLIENT_GONE = 499
T = TypeVar("T")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large", 500: "internal_error",
          503: "unavailable"}


def error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status, headers=headers)


def create_app(store: CentralStore, alarms: AlarmEngine | None = None, *, admin_web: bool = False,
               oidc: OidcSettings | None = None, inbox: PrintInbox | None = None,
               payments: PrintPayments | None = None) -> FastAPI:
    """The API over ``store``. Every call but the enrolment names its terminal by its credential
    (``Authorization: Bearer``), and may act only for that terminal and its branch (else 403).
    ``alarms`` hears of the events and heartbeats stored (a failure there fails no request).
    ``inbox``: the service's print inbox (default: one that takes no office documents).
    ``payments``: how prints are paid (default: from balances only); with a card provider, the
    payer's pages and the provider's webhook are served too (:mod:`.web.pay_pages`)."""

    async def tell_alarms(what: str, *args: Any) -> None:
        if alarms is None:
            return
        try:
            await _call(getattr(alarms, what), *args)
        except Exception:
            log.exception("the alarm rules failed")

    app = FastAPI(title="Library kiosk central API", openapi_url=None, docs_url=None, redoc_url=None)
    inbox, queue = inbox or PrintInbox(store), PrintQueue(store)
    paying = payments or PrintPayments(Ledger(store))
    if admin_web and alarms is not None:
        from sync.central.server.web.app import add_admin_web

        add_admin_web(app, store, alarms, store.secret("admin_session"), oidc, paying)
        from sync.central.server.web.app import templates
        from sync.central.server.web.print_page import add_print_page

        add_print_page(app, inbox, templates)
    if paying.cards is not None:
        from sync.central.server.web.app import templates
        from sync.central.server.web.pay_pages import add_payer_pages

        add_payer_pages(app, paying.cards, templates)

    async def bearer(request: Request) -> Caller:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        found = (await _call(store.caller, credential.strip())
                 if scheme.lower() == "bearer" and credential.strip() else None)
        if found is None:
            raise HTTPException(401, "a valid bearer token is required",
                                headers={"WWW-Authenticate": 'Bearer realm="central"'})
        return found

    def terminal_of(caller: Caller, terminal_id: str) -> None:
        if caller.terminal != terminal_id:
            raise HTTPException(403, f"this credential is terminal {caller.terminal}'s, not {terminal_id}'s")

    def branch_of(caller: Caller, branch: str) -> None:
        if caller.branch != branch:
            raise HTTPException(403, f"terminal {caller.terminal} is of branch {caller.branch}, not {branch}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "no such resource"
        return error(exc.status_code, _CODES.get(exc.status_code, "error"), message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error(400, "bad_request", f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(BadRequest)
    async def bad(_: Request, exc: BadRequest) -> Response:
        return error(400, "bad_request", str(exc))

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, _: ClientDisconnect) -> Response:
        # The terminal went away in the middle of its request (killed, cable pulled): nothing was
        # stored and nobody hears the answer; 499 as nginx says it, for the logs.
        log.info("%s %s: the terminal went away before its request was read", request.method,
                 request.url.path)
        return Response(status_code=CLIENT_GONE)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error(500, "internal_error", "the central service failed; see its log")

    @app.post("/v1/enrol")
    async def enrol(request: Request) -> Response:
        body = validate.obj(await _json(request), "body", {"terminal_id", "token"})
        validate.identifier(body["terminal_id"], "terminal_id")
        validate.string(body["token"], "token", 1, 200)
        enrolled = await _call(store.enrol, body["terminal_id"], body["token"])
        if enrolled is None:
            log.warning("enrolment of terminal %s refused", body["terminal_id"])
            return error(401, "enrolment_refused",
                         "the token is not valid for this terminal, used or expired")
        caller, credential = enrolled
        log.info("terminal %s of branch %s enrolled", caller.terminal, caller.branch)
        return JSONResponse({"terminal_id": caller.terminal, "branch": caller.branch,
                             "credential": credential})

    checked = Depends(bearer)
    releases = Releases(store)

    @app.get("/v1/terminals/{terminal_id}/config")
    async def terminal_config(terminal_id: str, request: Request, caller: Caller = checked) -> Response:
        terminal_of(caller, terminal_id)
        config = (await _call(store.terminal_config, terminal_id, caller.branch)
                  if validate.IDENTIFIER.fullmatch(terminal_id) else None)
        if config is None:
            return error(404, "not_found", f"no such terminal: {terminal_id}")
        offered = await _call(releases.for_terminal, caller.terminal, caller.branch)
        config["release"] = offer_document(offered) if offered is not None else None
        return _conditional(request, config)

    @app.get("/v1/releases/{version}/wheel")
    async def release_wheel(version: str, caller: Caller = checked) -> Response:
        wheel = (await _call(releases.wheel, version, caller.terminal, caller.branch)
                 if VERSION.fullmatch(version) else None)
        if wheel is None:  # not offered to this terminal, or no such version: the same answer
            return error(404, "not_found", f"no release {version[:64]} offered to terminal {caller.terminal}")
        log.info("terminal %s downloads release %s (%d bytes)", caller.terminal, version, len(wheel))
        return Response(wheel, media_type="application/octet-stream")

    @app.get("/v1/branches/{branch}/calendar")
    async def calendar(branch: str, request: Request, caller: Caller = checked) -> Response:
        branch_of(caller, branch)
        found = await _call(store.calendar, branch) if validate.IDENTIFIER.fullmatch(branch) else None
        if found is None:
            return error(404, "not_found", f"no calendar for branch {branch}")
        return _conditional(request, found)

    staff_list = StaffList(store)

    @app.get("/v1/branches/{branch}/staff")
    async def staff(branch: str, request: Request, caller: Caller = checked) -> Response:
        validate.identifier(branch, "branch")
        branch_of(caller, branch)
        today = dt.datetime.now(dt.UTC).date()
        return _conditional(request, await _call(staff_list.for_branch, branch, today))

    revoked = Revocations(store)

    @app.get("/v1/branches/{branch}/revocations")
    async def revocation_list(branch: str, request: Request, caller: Caller = checked) -> Response:
        validate.identifier(branch, "branch")
        branch_of(caller, branch)
        return _conditional(request, await _call(revoked.in_force, dt.datetime.now(dt.UTC).date()))

    @app.get("/v1/branches/{branch}/access-list")
    async def access_list(branch: str, request: Request, caller: Caller = checked) -> Response:
        # One list for the municipality, served to every branch.
        validate.identifier(branch, "branch")
        branch_of(caller, branch)
        cursor = _one(request, "cursor")
        if cursor is not None and not 1 <= len(cursor) <= 200:
            raise BadRequest("cursor: 1 to 200 characters")
        limit = validate.page_limit(_one(request, "limit"))
        try:
            return JSONResponse(await _call(store.access_page, cursor, limit))
        except CursorGone:
            return error(410, "cursor_expired", "the cursor has expired: sync the whole list again")

    @app.get("/v1/print-jobs", dependencies=[checked])
    async def print_jobs(request: Request) -> Response:
        owner = _one(request, "owner")
        if owner is None or not validate.TOKEN.fullmatch(owner):
            raise BadRequest("owner: a patron token (32 hex digits) is required")
        return JSONResponse({"jobs": await _call(queue.print_queue, owner)})

    @app.post("/v1/terminals/{terminal_id}/events")
    async def events(terminal_id: str, request: Request, caller: Caller = checked) -> Response:
        validate.identifier(terminal_id, "terminal")
        terminal_of(caller, terminal_id)
        batch = validate.event_batch(await _json(request))
        try:
            accepted, duplicates = await _call(store.add_events, terminal_id, batch)
        except EventConflict as conflict:
            log.warning("terminal %s: event %s sent again with another body", terminal_id, conflict.event_id)
            return error(409, "event_conflict", str(conflict))
        new = set(accepted)
        await tell_alarms("on_events", caller.terminal, caller.branch,
                          [event for event in batch if event["id"] in new])
        return JSONResponse({"accepted": accepted, "duplicates": duplicates})

    @app.post("/v1/terminals/{terminal_id}/heartbeat")
    async def heartbeat(terminal_id: str, request: Request, caller: Caller = checked) -> Response:
        validate.identifier(terminal_id, "terminal")
        terminal_of(caller, terminal_id)
        beat = validate.heartbeat(await _json(request))
        await _call(store.add_heartbeat, terminal_id, beat)
        await tell_alarms("on_heartbeat", caller.terminal, caller.branch, beat)
        return Response(status_code=204)

    @app.get("/v1/print-jobs/{job_id}/document", dependencies=[checked])
    async def print_document(job_id: str) -> Response:
        document = await _call(inbox.document, job_id)
        if document is None:
            return error(404, "not_found", f"no document for print job {job_id} (expired, or no such job)")
        return Response(document, media_type="application/pdf")

    @app.get("/v1/print-jobs/{job_id}/preview", dependencies=[checked])
    async def print_preview(job_id: str) -> Response:
        document = await _call(inbox.document, job_id)
        if document is None:
            return error(404, "not_found", f"no document for print job {job_id} (expired, or no such job)")
        picture = await _call(first_page_picture, document)
        if picture is None:
            return error(404, "not_found", f"the first page of print job {job_id} cannot be drawn")
        return Response(picture, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/v1/print-jobs/{job_id}/pages", dependencies=[checked])
    async def print_pages(job_id: str) -> Response:
        pages = await _call(inbox.pages, job_id)
        if pages is None:
            return error(404, "not_found", f"no document for print job {job_id} (expired, or no such job)")
        return JSONResponse({"pages": [{"colour": page.colour, "size": page.size} for page in pages]})

    @app.get("/v1/balances/{owner}", dependencies=[checked])
    async def balance(owner: str) -> Response:
        if not validate.TOKEN.fullmatch(owner):
            raise BadRequest("owner: a patron token (32 hex digits) is required")
        left = await _call(paying.ledger.balance, owner)
        return JSONResponse({"owner": owner, "balance": left, "currency": "DKK"})

    @app.post("/v1/payments")
    async def authorize_payment(request: Request, caller: Caller = checked) -> Response:
        body = validate.payment_request(await _json(request))
        terminal_of(caller, body["terminal"])
        try:
            payment = await _call(paying.authorize, body["owner"], body["job_id"], body["amount"],
                                  body["terminal"], body["method"], body.get("request_id", ""))
        except InsufficientFunds as exc:
            return error(402, "insufficient_funds", str(exc))
        except NoProvider as exc:
            return error(409, "no_payment_provider", str(exc))
        except ProviderError as exc:
            log.error("print job %s: the payment provider could not open a payment: %s", body["job_id"], exc)
            return error(503, "provider_unavailable", "the payment provider cannot take a payment just now")
        except ValueError as exc:
            raise BadRequest(f"amount: {exc}") from None
        return JSONResponse(payment, status_code=201)

    @app.get("/v1/payments/{payment_id}")
    async def get_payment(payment_id: str, caller: Caller = checked) -> Response:
        try:
            found = await _call(paying.payment, payment_id)
            if found["terminal"] != caller.terminal:
                return error(403, "forbidden", f"payment {payment_id} is another terminal's")
            found = await _call(lambda: paying.payment(payment_id, ask_provider=True))
        except KeyError:
            return error(404, "not_found", f"no such payment: {payment_id}")
        return JSONResponse(found)

    @app.post("/v1/payments/{payment_id}/capture")
    async def capture_payment(payment_id: str, request: Request, caller: Caller = checked) -> Response:
        return await payment_step(payment_id, "captured", request, caller)

    @app.post("/v1/payments/{payment_id}/void")
    async def void_payment(payment_id: str, request: Request, caller: Caller = checked) -> Response:
        return await payment_step(payment_id, "voided", request, caller)

    async def payment_step(payment_id: str, state: str, request: Request, caller: Caller) -> Response:
        body = validate.payment_change(await _json(request))
        terminal_of(caller, body["terminal"])
        try:
            payment = await _call(lambda: paying.step(payment_id, state, by=f"terminal {body['terminal']}",
                                                      reason=body.get("reason", "")))
        except KeyError:
            return error(404, "not_found", f"no such payment: {payment_id}")
        except StepRefused as refused:
            return error(409, "invalid_transition", str(refused))
        return JSONResponse(payment)

    @app.post("/v1/print-jobs/{job_id}/state")
    async def print_job_state(job_id: str, request: Request, caller: Caller = checked) -> Response:
        change = validate.print_job_change(await _json(request))
        terminal_of(caller, change["terminal"])
        try:
            job = await _call(queue.set_print_job_state, job_id, change["state"], change["terminal"])
        except TransitionRefused as refused:
            return error(409, "invalid_transition", str(refused))
        if job is None:
            return error(404, "not_found", f"no such print job: {job_id}")
        return JSONResponse(job)

    return app


async def _call(function: Callable[..., T], *args: Any) -> T:
    return await run_in_threadpool(function, *args)


def _conditional(request: Request, body: Any) -> Response:
    """200 with an ETag, or 304 when the terminal's If-None-Match names the current one."""
    tag = etag_of(body)
    wanted = request.headers.get("if-none-match", "")
    tags = {part.strip().removeprefix("W/") for part in wanted.split(",")}
    if tag in tags or "*" in tags:
        return Response(status_code=304, headers={"ETag": tag})
    return JSONResponse(body, headers={"ETag": tag})


def _one(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) != 1:
        raise BadRequest(f"{name}: give it once")
    return values[0]


async def _json(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise HTTPException(413, "body too large or its length unreadable")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            raise HTTPException(413, "body too large")
    try:
        return json.loads(bytes(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body: not JSON ({exc})") from None
