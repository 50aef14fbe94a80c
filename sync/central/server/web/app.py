"""The administration web's pages: log in, the fleet of terminals, the open alarms (acknowledge), a
branch's opening hours (the week, checked as the kiosks read it, with the next seven days shown).

Server-rendered (Jinja2), Danish or English (``?lang=``, remembered in the session), usable on a
tablet. A session cookie (signed, HTTP-only, SameSite=Lax) carries the user name; every form carries
the session's CSRF token. A staff member sees the branches of their account only.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from kiosk.door.calendar import BranchCalendar
from kiosk.door.calendar_text import week_text
from kiosk.settings import AccessSettings
from kiosk.settings.base import describe_error
from kiosk.settings.calendar import BranchSettings
from sync.central.server.alarm_store import AlarmStore
from sync.central.server.alarms import AlarmEngine
from sync.central.server.config import LEVELS, ConfigRefused
from sync.central.server.revocations import Revocations
from sync.central.server.rollout import Rollout
from sync.central.server.staff_list import ROLES as STAFF_ROLES
from sync.central.server.staff_list import StaffList
from sync.central.server.store import CentralStore
from sync.central.server.tables import calendars, credentials, heartbeats
from sync.central.server.web.accounts import Account, Accounts
from sync.central.server.web.oidc import OidcSettings, role_of, who
from sync.central.server.web.texts import LANGUAGES, translate

log = logging.getLogger("sync.central.web")

ZONE = ZoneInfo("Europe/Copenhagen")
ENTRY_DAYS, MAX_ENTRY_DAYS = 7, 92  # the entries page counts this many days back (?days=N)
_DONE = {"added": "staff_card_added", "removed": "staff_card_removed", "revoked": "card_revoked",
         "ended": "revocation_ended"}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
templates = _templates = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                         autoescape=select_autoescape(["html"]))


class _SignIn(Exception):
    """No one is signed in on this session: the login page."""


class _ForeignForm(Exception):
    """A form without this session's CSRF token."""


def add_admin_web(app: FastAPI, store: CentralStore, alarms: AlarmEngine, session_key: str,
                  oidc: OidcSettings | None = None) -> None:
    """The pages under ``/admin/`` on the service's application; with ``oidc``, sign-in through the
    municipality's provider as well as with local accounts."""
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

    def language(request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            request.session["lang"] = asked
        return str(request.session.get("lang", "da"))

    def csrf(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(24)
        return str(token)

    async def form(request: Request) -> dict[str, str]:
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        values = {name: values[0] for name, values in fields.items()}
        if not secrets.compare_digest(values.get("csrf", ""), csrf(request)):
            raise _ForeignForm
        return values

    async def signed_in(request: Request) -> Account:
        """The account of the session; without one, the login page (:class:`_SignIn`)."""
        name = request.session.get("user")
        account = None if not name else await run_in_threadpool(accounts.get, str(name))
        if account is None:
            raise _SignIn
        return account

    @app.exception_handler(_SignIn)
    async def sign_in_first(request: Request, _: _SignIn) -> Response:
        return RedirectResponse(f"/admin/login?lang={language(request)}", status_code=303)

    @app.exception_handler(_ForeignForm)
    async def foreign_form(_request: Request, _: _ForeignForm) -> Response:
        return Response("the form is not from this session", status_code=403)

    def page(request: Request, template: str, account: Account | None, **values: Any) -> HTMLResponse:
        lang = language(request)
        html = _templates.get_template(template).render(
            lang=lang, languages=LANGUAGES, account=account, csrf=csrf(request),
            t=lambda key, **more: translate(key, lang, **more), **values)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

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
        except _ForeignForm:
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
        rows = await run_in_threadpool(_fleet, store, account)
        return page(request, "fleet.html", account, terminals=rows)

    @app.get("/admin/alarms", include_in_schema=False)
    async def alarm_list(request: Request) -> Response:
        account = await signed_in(request)
        open_alarms = await run_in_threadpool(AlarmStore(store).open_alarms)
        shown = [{"number": a.number, "urgent": a.urgent, "detail": a.detail, "branch": a.branch,
                  "terminal": a.terminal, "count": a.count, "when": _local(a.last_at)}
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

    @app.get("/admin/calendars", include_in_schema=False)
    async def calendar_list(request: Request) -> Response:
        account = await signed_in(request)
        branches = await run_in_threadpool(_branches, store, account)
        return page(request, "calendars.html", account, branches=branches)

    @app.get("/admin/calendars/{branch}", include_in_schema=False)
    async def calendar_page(branch: str, request: Request) -> Response:
        account = await signed_in(request)
        calendar = await run_in_threadpool(store.calendar, branch)
        if calendar is None or not account.sees(branch):
            return Response("no such branch", status_code=404)
        saved = bool(request.query_params.get("saved"))
        return _calendar_page(request, account, branch, calendar, saved=saved)

    @app.post("/admin/calendars/{branch}", include_in_schema=False)
    async def calendar_save(branch: str, request: Request) -> Response:
        account = await signed_in(request)
        values = await form(request)
        calendar = await run_in_threadpool(store.calendar, branch)
        if calendar is None or not account.sees(branch):
            return Response("no such branch", status_code=404)
        week = {day: [part.strip() for part in values.get(day, "").split(",") if part.strip()]
                for day in DAYS}
        changed = {**calendar, "week": week}
        try:
            changed["closures"] = _closures(values.get("closures", ""))
            changed["special"] = _special_days(values.get("special", ""))
            holidays = dict(calendar.get("holidays") or {})
            holidays["periods"] = [p.strip() for p in values.get("holiday_hours", "").split(",") if p.strip()]
            changed["holidays"] = holidays
            BranchSettings.model_validate(changed)
        except ValueError as exc:  # ValidationError is one
            error = ("; ".join(describe_error(dict(e)) for e in exc.errors()[:3])
                     if isinstance(exc, ValidationError) else str(exc))
            return _calendar_page(request, account, branch, changed, error=error,
                                  texts={"closures": values.get("closures", ""),
                                         "special": values.get("special", ""),
                                         "holiday_hours": values.get("holiday_hours", "")})
        await run_in_threadpool(store.set_calendar, branch, changed)
        log.info("admin web: %s changed the opening hours of %s", account.username, branch)
        before = calendar.get("week", {})
        changed_days = [f"{day}: {', '.join(week[day]) or '-'}" for day in DAYS
                        if before.get(day, []) != week[day]]
        changed_dates = [f"{part}: {values.get(part, '').strip() or '-'}" for part in ("closures", "special")
                         if calendar.get(part, []) != changed[part]]
        changes = "; ".join(changed_days + changed_dates)
        await run_in_threadpool(store.audit, account.username, "opening_hours_changed", branch, changes)
        return RedirectResponse(f"/admin/calendars/{branch}?lang={language(request)}&saved=1",
                                status_code=303)

    @app.get("/admin/config", include_in_schema=False)
    async def config_page(request: Request) -> Response:
        account = await signed_in(request)
        level = request.query_params.get("level", "defaults")
        scope = request.query_params.get("scope", "")
        saved = request.query_params.get("saved", "")
        return await _config_page(request, account, level, scope, saved=saved)

    @app.post("/admin/config", include_in_schema=False)
    async def config_save(request: Request) -> Response:
        account = await signed_in(request)
        values = await form(request)
        level, scope = values.get("level", ""), values.get("scope", "").strip()
        if not _may_edit(account, level, scope):
            return Response("not for this account", status_code=403)
        lang = language(request)
        try:
            layer = json.loads(values.get("settings", ""))
        except json.JSONDecodeError as exc:
            where = f"{exc.msg}, {exc.lineno}:{exc.colno}"
            return await _config_page(request, account, level, scope, text=values.get("settings", ""),
                                      error=f"{translate('not_json', lang)} ({where})")
        reason = values.get("reason", "")
        trial_on = values.get("terminal", "") if values.get("action") == "try" else ""
        try:
            if trial_on:
                if trial_on not in {t for t, _ in await run_in_threadpool(_reachable, store, level, scope)}:
                    raise ConfigRefused(f"terminal {trial_on}: not one this layer reaches")
                await run_in_threadpool(lambda: rollout.try_on(level, scope, trial_on, layer,
                                                               author=account.username, reason=reason))
                return RedirectResponse(f"/admin/config?lang={lang}&level={level}&scope={scope}",
                                        status_code=303)
            number = await run_in_threadpool(
                lambda: store.add_revision(level, scope, layer, author=account.username, reason=reason))
        except (ConfigRefused, ValueError) as exc:
            return await _config_page(request, account, level, scope, text=values.get("settings", ""),
                                      error=str(exc))
        await run_in_threadpool(store.audit, account.username, "configuration_saved",
                                f"{level} {scope}".strip(), f"revision {number}: {reason}")
        return RedirectResponse(f"/admin/config?lang={lang}&level={level}&scope={scope}&saved={number}",
                                status_code=303)

    @app.post("/admin/config/trial", include_in_schema=False)
    async def config_trial(request: Request) -> Response:
        account = await signed_in(request)
        values = await form(request)
        level, scope = values.get("level", ""), values.get("scope", "").strip()
        if not _may_edit(account, level, scope):
            return Response("not for this account", status_code=403)
        lang = language(request)
        try:
            if values.get("action") == "roll_out":
                number = await run_in_threadpool(
                    lambda: rollout.roll_out(level, scope, author=account.username))
                return RedirectResponse(
                    f"/admin/config?lang={lang}&level={level}&scope={scope}&saved={number}", status_code=303)
            await run_in_threadpool(lambda: rollout.abandon(level, scope, author=account.username))
        except (ConfigRefused, ValueError) as exc:
            return await _config_page(request, account, level, scope, error=str(exc))
        return RedirectResponse(f"/admin/config?lang={lang}&level={level}&scope={scope}", status_code=303)

    async def _config_page(request: Request, account: Account, level: str, scope: str, *, saved: str = "",
                           text: str | None = None, error: str = "") -> HTMLResponse:
        history = await run_in_threadpool(store.revisions, level, scope) if level in LEVELS else []
        shown = []
        for index, revision in enumerate(history):
            parent = history[index + 1]["settings"] if index + 1 < len(history) else {}
            shown.append({"number": revision["number"], "author": revision["author"],
                          "reason": revision["reason"], "text": _pretty(revision["settings"]),
                          "when": _local(dt.datetime.fromisoformat(revision["created_at"])),
                          "diff": _diff(parent, revision["settings"])})
        current = _pretty(history[0]["settings"]) if history else "{}"
        levels = [(name, {"branch": "branch_level", "terminal": "terminal_level"}.get(name, name))
                  for name in LEVELS]
        trial = await run_in_threadpool(rollout.trial, level, scope) if level in LEVELS else None
        terminals = await run_in_threadpool(_reachable, store, level, scope) if level != "terminal" else []
        trial_state = None
        if trial is not None:
            beat = next((row for row in await run_in_threadpool(_fleet, store, account)
                         if row["terminal"] == trial.terminal), {})
            carried = f".t{trial.revision}"
            trial_state = ("running" if str(beat.get("applied") or "").endswith(carried) else
                           "waiting_restart" if str(beat.get("pending") or "").endswith(carried) else
                           "refused" if carried in str(beat.get("problem") or "") else "not_yet")
        return page(request, "config.html", account, level=level, scope=scope, levels=levels, history=shown,
                    text=current if text is None else text, saved=saved, error=error,
                    editable=_may_edit(account, level, scope), trial=trial, trial_state=trial_state,
                    trial_text=_pretty(trial.proposed) if trial else "", terminals=[t for t, _ in terminals])

    staff_list = StaffList(store)
    rollout = Rollout(store)

    @app.get("/admin/staff", include_in_schema=False)
    async def staff_page(request: Request) -> Response:
        account = await signed_in(request)
        done = _DONE.get(request.query_params.get("done", ""), "")
        return await _staff_page(request, account, done=done)

    @app.post("/admin/staff", include_in_schema=False)
    async def staff_add(request: Request) -> Response:
        account = await signed_in(request)
        values = await form(request)
        if account.role != "administrator":
            return Response("for administrators", status_code=403)
        lang = language(request)
        try:
            expires = _day(values.get("expires", ""), translate("expires_hint", lang))
            branches = tuple(b.strip() for b in values.get("branches", "").split(",") if b.strip()) or ("*",)
            token = await run_in_threadpool(staff_list.add, values.get("card", ""), values.get("pin", ""),
                                            values.get("role", ""), branches, expires=expires,
                                            by=account.username)
        except ValueError as exc:
            refused = translate("staff_card_refused", lang, error=str(exc))
            return await _staff_page(request, account, error=refused)
        log.info("admin web: staff card %s added by %s", token[:12], account.username)
        return RedirectResponse(f"/admin/staff?lang={lang}&done=added&token={token[:12]}", status_code=303)

    @app.post("/admin/staff/{token}/remove", include_in_schema=False)
    async def staff_remove(token: str, request: Request) -> Response:
        account = await signed_in(request)
        await form(request)
        if account.role != "administrator":
            return Response("for administrators", status_code=403)
        if len(token) >= 8 and await run_in_threadpool(staff_list.remove, token, by=account.username):
            log.info("admin web: staff card %s removed by %s", token, account.username)
        return RedirectResponse(f"/admin/staff?lang={language(request)}&done=removed", status_code=303)

    async def _staff_page(request: Request, account: Account, *, done: str = "", error: str = "") -> Response:
        lang = language(request)
        cards = [{"short": card.token[:12], "role": card.role, "branches": card.branches,
                  "expires": card.expires.isoformat() if card.expires else "",
                  "added": _local(card.added_at), "added_by": card.added_by}
                 for card in await run_in_threadpool(staff_list.cards)
                 if "*" in account.branches or any(account.sees(b) for b in card.branches)]
        if done:
            done = translate(done, lang, token=request.query_params.get("token", "")[:12])
        return page(request, "staff.html", account, cards=cards, roles=STAFF_ROLES, done=done, error=error,
                    editable=account.role == "administrator")

    revoked = Revocations(store)

    @app.get("/admin/revocations", include_in_schema=False)
    async def revocations_page(request: Request) -> Response:
        account = await signed_in(request)
        done = _DONE.get(request.query_params.get("done", ""), "")
        return await _revocations_page(request, account, done=done)

    @app.post("/admin/revocations", include_in_schema=False)
    async def revoke(request: Request) -> Response:
        account = await signed_in(request)
        values = await form(request)
        if not _may_revoke(account):
            return Response("for staff of every branch and administrators", status_code=403)
        lang = language(request)
        try:
            until = _day(values.get("until", ""), translate("until_hint", lang))
            token = await run_in_threadpool(revoked.add, values.get("card", ""), values.get("reason", ""),
                                            until=until, by=account.username)
        except ValueError as exc:
            refused = translate("revocation_refused", lang, error=str(exc))
            return await _revocations_page(request, account, error=refused)
        log.info("admin web: card %s revoked by %s", token[:12], account.username)
        return RedirectResponse(f"/admin/revocations?lang={lang}&done=revoked&token={token[:12]}",
                                status_code=303)

    @app.post("/admin/revocations/{token}/end", include_in_schema=False)
    async def end_revocation(token: str, request: Request) -> Response:
        account = await signed_in(request)
        await form(request)
        if not _may_revoke(account):
            return Response("for staff of every branch and administrators", status_code=403)
        if len(token) >= 8 and await run_in_threadpool(revoked.remove, token, by=account.username):
            log.info("admin web: the revocation of %s ended by %s", token, account.username)
        return RedirectResponse(f"/admin/revocations?lang={language(request)}&done=ended", status_code=303)

    async def _revocations_page(request: Request, account: Account, *, done: str = "",
                                error: str = "") -> Response:
        lang = language(request)
        entries = [{"short": r.token[:12], "reason": r.reason,
                    "until": r.until.isoformat() if r.until else "", "added": _local(r.added_at),
                    "added_by": r.added_by}
                   for r in await run_in_threadpool(revoked.listed)]
        if done:
            done = translate(done, lang, token=request.query_params.get("token", "")[:12])
        return page(request, "revocations.html", account, entries=entries, done=done, error=error,
                    editable=_may_revoke(account))

    @app.get("/admin/access", include_in_schema=False)
    async def access_page(request: Request) -> Response:
        account = await signed_in(request)
        lang = language(request)
        shown: list[dict[str, Any]] = []
        for branch, name in await run_in_threadpool(_all_branches, store, account):
            effective = await run_in_threadpool(store.branch_settings, branch)
            try:
                rules = AccessSettings.model_validate(effective.get("access", {}))
            except ValidationError as exc:
                problem = "; ".join(describe_error(dict(e), "access.") for e in exc.errors()[:3])
                shown.append({"id": branch, "name": name, "error": problem})
                continue
            bands = [translate("age_band", lang, age=band.min_age, days=", ".join(band.days),
                               start=band.start, end=band.end) for band in rules.age_bands]
            shown.append({"id": branch, "name": name, "bands": bands,
                          "rules": [_rule_text(rule, rules, lang) for rule in rules.rules]})
        return page(request, "access.html", account, branches=shown)

    @app.get("/admin/entries", include_in_schema=False)
    async def entries_page(request: Request) -> Response:
        account = await signed_in(request)
        asked = request.query_params.get("days", "")
        days = int(asked) if asked.isdigit() and 1 <= int(asked) <= MAX_ENTRY_DAYS else ENTRY_DAYS
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        rows = await run_in_threadpool(store.entries_since, since)
        names = dict(await run_in_threadpool(_branches, store, account))
        per_branch: dict[str, list[int]] = {}
        for branch, at in rows:
            if account.sees(branch):
                per_branch.setdefault(branch, [0] * 24)[_local_time(at).hour] += 1
        branches = [{"id": branch, "name": names.get(branch, branch), "hours": hours, "total": sum(hours),
                     "peak": max(hours)} for branch, hours in sorted(per_branch.items())]
        return page(request, "entries.html", account, branches=branches, days=days)

    @app.get("/admin/audit", include_in_schema=False)
    async def audit_page(request: Request) -> Response:
        account = await signed_in(request)
        if account.role != "administrator":
            return Response("for administrators", status_code=403)
        entries = [{**entry, "at": _local(entry["at"])} for entry in await run_in_threadpool(store.audit_log)]
        return page(request, "audit.html", account, entries=entries)

    def _calendar_page(request: Request, account: Account, branch: str, calendar: dict[str, Any], *,
                       saved: bool = False, error: str = "", texts: dict[str, str] | None = None
                       ) -> HTMLResponse:
        lang = language(request)
        try:
            model = BranchCalendar(BranchSettings.model_validate(calendar), "da" if lang == "da" else "en")
            today = dt.datetime.now(model.zone).date()
            preview = week_text(model, branch, model.week(today), lang)
        except (ValidationError, ValueError):
            preview = ""
        week = calendar.get("week", {})
        texts = texts or {
            "closures": "\n".join(_closure_line(c) for c in calendar.get("closures", [])),
            "special": "\n".join(_special_line(d) for d in calendar.get("special", [])),
            "holiday_hours": ", ".join((calendar.get("holidays") or {}).get("periods", []))}
        return page(request, "calendar.html", account, branch=branch, name=calendar.get("name", ""),
                    days=DAYS, week={day: ", ".join(week.get(day, [])) for day in DAYS}, preview=preview,
                    saved=saved, error=error, texts=texts)


def _day(text: str, what: str) -> dt.date | None:
    """A date typed in a form (None when empty); ValueError naming the field's own hint."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise ValueError(f"{what}: {text!r}") from None


def _closure_line(closure: dict[str, Any]) -> str:
    span = str(closure["date"]) if closure.get("date") else f"{closure.get('start')}..{closure.get('end')}"
    return f"{span} {closure.get('reason', '')}".strip()


def _special_line(day: dict[str, Any]) -> str:
    name = f" ({day['name']})" if day.get("name") else ""
    return f"{day['date']}: {', '.join(day.get('periods', [])) or 'closed'}{name}"


def _closures(text: str) -> list[dict[str, Any]]:
    """``2026-12-24 Juleaften`` or ``2026-07-06..2026-07-31 Summer`` per line."""
    closures: list[dict[str, Any]] = []
    for number, line in enumerate(filter(None, (line.strip() for line in text.splitlines())), start=1):
        span, _, reason = line.partition(" ")
        first, dots, last = span.partition("..")
        try:
            days = [dt.date.fromisoformat(first)] + ([dt.date.fromisoformat(last)] if dots else [])
        except ValueError:
            raise ValueError(f"closures, line {number}: begin with a date (2026-12-24) or two "
                             f"(2026-07-06..2026-07-31)") from None
        closure: dict[str, Any] = ({"date": days[0].isoformat()} if len(days) == 1
                                   else {"start": days[0].isoformat(), "end": days[1].isoformat()})
        closures.append({**closure, "reason": reason.strip()})
    return closures


def _special_days(text: str) -> list[dict[str, Any]]:
    """``2026-12-31: 07:00-14:00 unstaffed (Nytårsaften)`` per line; ``closed`` for no hours."""
    special: list[dict[str, Any]] = []
    for number, line in enumerate(filter(None, (line.strip() for line in text.splitlines())), start=1):
        day, colon, rest = line.partition(":")
        name = ""
        if rest.rstrip().endswith(")") and "(" in rest:
            rest, _, name = rest.rstrip()[:-1].rpartition("(")
        try:
            date = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise ValueError(f"special days, line {number}: begin with a date and a colon "
                             f"(2026-12-31: 07:00-14:00 unstaffed)") from None
        if not colon:
            raise ValueError(f"special days, line {number}: a colon after the date")
        periods = [p.strip() for p in rest.split(",") if p.strip() and p.strip() != "closed"]
        special.append({"date": date.isoformat(), "name": name.strip(), "periods": periods})
    return special


def _rule_text(rule: str, rules: AccessSettings, lang: str) -> str:
    """One access rule in words, with its limits."""
    values: dict[str, object] = {
        "limit": f"{rules.fee_limit:.2f}", "field": rules.consent_field,
        "missing": translate(rules.consent_missing, lang), "unknown": translate(rules.unknown_age, lang),
        "categories": ", ".join(rules.categories) or translate("any_category", lang)}
    return translate(f"rule_{rule}", lang, **values)


def _reachable(store: CentralStore, level: str, scope: str) -> list[tuple[str, str]]:
    """The enrolled terminals a layer reaches (a trial is run on one of them)."""
    return store.terminals(scope if level == "branch" else None)


def _may_revoke(account: Account) -> bool:
    """The revocation list is the municipality's: administrators, and staff who see every branch."""
    return account.role == "administrator" or "*" in account.branches


def _may_edit(account: Account, level: str, scope: str) -> bool:
    """Administrators and technicians edit configuration; a branch's only if they see the branch;
    the municipality's and the defaults only with every branch."""
    if account.role not in ("administrator", "technician") or level not in LEVELS:
        return False
    if level == "branch":
        return account.sees(scope)
    return "*" in account.branches


def _pretty(settings: Any) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False, sort_keys=True)


def _diff(before: Any, after: Any) -> str:
    lines = difflib.unified_diff(_pretty(before).splitlines(), _pretty(after).splitlines(), lineterm="", n=2)
    return "\n".join(list(lines)[2:]) or _pretty(after)


def _branches(store: CentralStore, account: Account) -> list[tuple[str, str]]:
    with store.reading() as db:
        rows = db.execute(sa.select(calendars.c.branch, calendars.c.calendar)
                          .order_by(calendars.c.branch)).all()
    return [(branch, json.loads(text).get("name", "")) for branch, text in rows if account.sees(branch)]


def _all_branches(store: CentralStore, account: Account) -> list[tuple[str, str]]:
    """Every branch the account sees that has a calendar or an enrolled terminal, with its name."""
    named = dict(_branches(store, account))
    for _terminal, branch in store.terminals():
        if account.sees(branch):
            named.setdefault(branch, "")
    return [(branch, named[branch] or branch) for branch in sorted(named)]


def _local_time(at: dt.datetime) -> dt.datetime:
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(ZONE)


def _local(at: dt.datetime) -> str:
    return _local_time(at).strftime("%d.%m.%Y %H.%M")


def _fleet(store: CentralStore, account: Account) -> list[dict[str, Any]]:
    """Each enrolled terminal the account sees, with what its last heartbeat said."""
    with store.reading() as db:
        known = db.execute(sa.select(credentials.c.terminal, credentials.c.branch)
                           .where(credentials.c.revoked_at.is_(None)).order_by(credentials.c.branch,
                                                                                credentials.c.terminal)).all()
        latest = sa.select(sa.func.max(heartbeats.c.number)).group_by(heartbeats.c.terminal)
        beats = {row.terminal: (json.loads(row.body), row.received_at) for row in db.execute(
            sa.select(heartbeats.c.terminal, heartbeats.c.body, heartbeats.c.received_at)
            .where(heartbeats.c.number.in_(latest)))}
    rows = []
    for terminal, branch in known:
        if not account.sees(branch):
            continue
        beat, received = beats.get(terminal, ({}, None))
        config = beat.get("config") or {}
        refused = config.get("refused") or {}
        rows.append({
            "terminal": terminal, "branch": branch, "heard": _local(received) if received else None,
            "mode": beat.get("mode"),
            "devices_down": [f"{d['device']}: {d.get('detail') or d['state']}"
                             for d in beat.get("devices", ()) if d.get("state") != "ok"],
            "free_mb": (beat.get("disk") or {}).get("free_mb"),
            "applied": config.get("applied"), "pending": config.get("pending"),
            "pending_events": (beat.get("outbox") or {}).get("pending"),
            "problem": f"{refused.get('revision')}: {refused.get('error')}" if refused else None})
    return rows
