"""The administration web: log in (local accounts, or the municipality's OpenID Connect), the fleet
of terminals, the open alarms (acknowledge), the audit log; and, from their own modules, the opening
hours (:mod:`.calendar_pages`), the configuration (:mod:`.config_pages`) and the lists: staff cards,
revoked cards, access rules, entries (:mod:`.list_pages`).

Server-rendered (Jinja2), Danish or English (``?lang=``, remembered in the session), usable on a
tablet. A session cookie (signed, HTTP-only, SameSite=Lax) carries the user name; every form carries
the session's CSRF token. A staff member sees the branches of their account only.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from sync.central.server.alarm_store import AlarmStore
from sync.central.server.alarms import AlarmEngine
from sync.central.server.ledger import Ledger
from sync.central.server.payments.methods import PrintPayments
from sync.central.server.store import CentralStore
from sync.central.server.web.accounts import Accounts
from sync.central.server.web.calendar_pages import add_calendar_pages
from sync.central.server.web.config_pages import add_config_pages
from sync.central.server.web.context import ForeignForm, SignIn, Web
from sync.central.server.web.list_pages import add_list_pages
from sync.central.server.web.oidc import OidcSettings, role_of, who
from sync.central.server.web.queries import fleet_rows, local_text
from sync.central.server.web.texts import translate

log = logging.getLogger("sync.central.web")

templates = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                        autoescape=select_autoescape(["html"]))


def add_admin_web(app: FastAPI, store: CentralStore, alarms: AlarmEngine, session_key: str,
                  oidc: OidcSettings | None = None, payments: PrintPayments | None = None) -> None:
    """The pages under ``/admin/`` on the service's application; with ``oidc``, sign-in through the
    municipality's provider as well as with local accounts. ``payments``: how the service takes
    money for prints (default: from balances only)."""
    app.add_middleware(SessionMiddleware, secret_key=session_key, session_cookie="admin_session",
                       same_site="lax", https_only=False, max_age=12 * 3600)
    accounts = Accounts(store)
    provider = None
    if oidc is not None:
        from authlib.integrations.starlette_client import OAuth

        registry = OAuth()
        registry.register("municipality", client_id=oidc.client_id, client_secret=oidc.client_secret or None,
                          server_metadata_url=oidc.metadata_url, client_kwargs={"scope": oidc.scope})
        provider = registry.create_client("municipality")

    web = Web(store, accounts, templates, payments or PrintPayments(Ledger(store)))
    language, page, form, signed_in = web.language, web.page, web.form, web.signed_in

    @app.exception_handler(SignIn)
    async def sign_in_first(request: Request, _: SignIn) -> Response:
        return RedirectResponse(f"/admin/login?lang={language(request)}", status_code=303)

    @app.exception_handler(ForeignForm)
    async def foreign_form(_request: Request, _: ForeignForm) -> Response:
        return Response("the form is not from this session", status_code=403)

    @app.get("/admin/login", include_in_schema=False)
    async def login_page(request: Request) -> Response:
        return page(request, "login.html", None, failed=False, oidc=oidc.name if oidc else None)

    @app.get("/admin/oidc/login", include_in_schema=False)
    async def oidc_login(request: Request) -> Response:
        language(request)
        if provider is None:
            return Response("no OpenID Connect provider is configured", status_code=404)
        try:
            return await provider.authorize_redirect(request, str(request.url_for("oidc_callback")))  # type: ignore[no-any-return]
        except Exception as exc:  # the provider cannot be reached, or its metadata is broken
            log.error("admin web: the OpenID Connect provider's metadata: %s", exc)
            return page(request, "login.html", None, failed=False, oidc=oidc.name if oidc else None,
                        problem=translate("oidc_unreachable", language(request)))

    @app.get("/admin/oidc/callback", include_in_schema=False, name="oidc_callback")
    async def oidc_callback(request: Request) -> Response:
        lang = language(request)
        if provider is None or oidc is None:
            return Response("no OpenID Connect provider is configured", status_code=404)
        try:
            token = await provider.authorize_access_token(request)
        except Exception as exc:  # a refusal, a forged or stale answer, an unreachable provider
            log.warning("admin web: an OpenID Connect sign-in failed: %s", exc)
            await run_in_threadpool(store.audit, "?", "login_failed", "oidc", str(exc)[:200])
            return page(request, "login.html", None, failed=False, oidc=oidc.name,
                        problem=translate("oidc_failed", lang))
        claims = dict(token.get("userinfo") or {})
        name, granted = who(claims), role_of(oidc, claims)
        if not name or granted is None:
            log.warning("admin web: %r signed in through OpenID Connect with no role here", name)
            await run_in_threadpool(store.audit, name or "?", "login_refused", "oidc",
                                    "no role in the claims")
            return page(request, "login.html", None, failed=False, oidc=oidc.name,
                        problem=translate("oidc_no_role", lang))
        account = await run_in_threadpool(accounts.set_external, name, *granted)
        request.session.update(user=account.username, csrf=secrets.token_urlsafe(24))
        log.info("admin web: %s logged in through OpenID Connect (%s)", account.username, account.role)
        await run_in_threadpool(store.audit, account.username, "login", "oidc",
                                f"{account.role}, {', '.join(account.branches)}")
        return RedirectResponse(f"/admin/?lang={lang}", status_code=303)

    @app.post("/admin/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        try:
            values = await form(request)
        except ForeignForm:
            return page(request, "login.html", None, failed=True)
        account = await run_in_threadpool(accounts.login, values.get("username", ""),
                                          values.get("password", ""))
        if account is None:
            log.warning("admin web: a failed login for %r", values.get("username", "")[:64])
            who = values.get("username", "")[:64] or "?"
            await run_in_threadpool(store.audit, who, "login_failed", "web")
            return page(request, "login.html", None, failed=True)
        request.session.update(user=account.username, csrf=secrets.token_urlsafe(24))
        log.info("admin web: %s logged in", account.username)
        await run_in_threadpool(store.audit, account.username, "login", "web")
        return RedirectResponse(f"/admin/?lang={language(request)}", status_code=303)

    @app.post("/admin/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        lang = language(request)
        request.session.clear()
        return RedirectResponse(f"/admin/login?lang={lang}", status_code=303)

    @app.get("/admin/", include_in_schema=False)
    async def fleet(request: Request) -> Response:
        account = await signed_in(request)
        rows = await run_in_threadpool(fleet_rows, store, account)
        return page(request, "fleet.html", account, terminals=rows)

    @app.get("/admin/alarms", include_in_schema=False)
    async def alarm_list(request: Request) -> Response:
        account = await signed_in(request)
        open_alarms = await run_in_threadpool(AlarmStore(store).open_alarms)
        shown = [{"number": a.number, "urgent": a.urgent, "detail": a.detail, "branch": a.branch,
                  "terminal": a.terminal, "count": a.count, "when": local_text(a.last_at)}
                 for a in open_alarms if account.sees(a.branch)]
        return page(request, "alarms.html", account, alarms=shown, done=request.query_params.get("done"))

    @app.post("/admin/alarms/{number}/ack", include_in_schema=False)
    async def acknowledge(number: int, request: Request) -> Response:
        account = await signed_in(request)
        await form(request)
        visible = {a.number for a in await run_in_threadpool(AlarmStore(store).open_alarms)
                   if account.sees(a.branch)}
        if number in visible and await run_in_threadpool(alarms.acknowledge, number, account.username):
            log.info("admin web: alarm %d acknowledged by %s", number, account.username)
            await run_in_threadpool(store.audit, account.username, "alarm_acknowledged", f"alarm {number}")
        return RedirectResponse(f"/admin/alarms?lang={language(request)}&done={number}", status_code=303)


    @app.get("/admin/audit", include_in_schema=False)
    async def audit_page(request: Request) -> Response:
        account = await signed_in(request)
        if account.role != "administrator":
            return Response("for administrators", status_code=403)
        log_entries = await run_in_threadpool(store.audit_log)
        entries = [{**entry, "at": local_text(entry["at"])} for entry in log_entries]
        return page(request, "audit.html", account, entries=entries)


    add_calendar_pages(app, web)
    add_config_pages(app, web)
    add_list_pages(app, web)
