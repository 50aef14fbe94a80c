"""The administration web's lists: the staff cards, the municipality's revoked cards, each branch's
access rules in words, and the entries per hour."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kiosk.settings import AccessSettings
from kiosk.settings.base import describe_error
from sync.central.server.ledger import StepRefused
from sync.central.server.revocations import Revocations
from sync.central.server.staff_list import ROLES as STAFF_ROLES
from sync.central.server.staff_list import StaffList
from sync.central.server.web.accounts import Account
from sync.central.server.web.context import Web
from sync.central.server.web.queries import all_branches, branches_seen, local_text, local_time
from sync.central.server.web.texts import translate

log = logging.getLogger("sync.central.web")

ENTRY_DAYS, MAX_ENTRY_DAYS = 7, 92  # the entries page counts this many days back (?days=N)
_DONE = {"added": "staff_card_added", "removed": "staff_card_removed", "revoked": "card_revoked",
         "ended": "revocation_ended"}


def add_list_pages(app: FastAPI, web: Web) -> None:
    language, page, form, signed_in, store = web.language, web.page, web.form, web.signed_in, web.store
    staff_list = StaffList(store)


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
                  "added": local_text(card.added_at), "added_by": card.added_by}
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
                    "until": r.until.isoformat() if r.until else "", "added": local_text(r.added_at),
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
        for branch, name in await run_in_threadpool(all_branches, store, account):
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

    payments = web.payments
    ledger = payments.ledger
    patron_token = store.card_token

    @app.get("/admin/prints", include_in_schema=False)
    async def prints_page(request: Request) -> Response:
        account = await signed_in(request)
        lang = language(request)
        done = request.query_params.get("done", "")
        message = (translate("topped_up", lang, balance=request.query_params.get("balance", "")[:12])
                   if done == "topped_up" else translate("refunded", lang) if done == "refunded" else "")
        return page(request, "prints.html", account, payments=await run_in_threadpool(payments.recent),
                    done=message, error="")

    @app.post("/admin/prints/top-up", include_in_schema=False)
    async def top_up(request: Request) -> Response:
        account = await signed_in(request)
        values = await form(request)
        lang = language(request)
        card, reason = values.get("card", "").strip(), values.get("reason", "").strip()
        try:
            if not 4 <= len(card) <= 64 or not reason:
                raise ValueError("a card number and why")
            left = await run_in_threadpool(lambda: ledger.top_up(patron_token(card), values.get("amount", "")
                                                                 .strip().replace(",", "."),
                                                                 by=account.username, reason=reason))
        except ValueError as exc:
            return page(request, "prints.html", account, payments=await run_in_threadpool(payments.recent),
                        done="", error=translate("top_up_refused", lang, error=str(exc)))
        return RedirectResponse(f"/admin/prints?lang={lang}&done=topped_up&balance={left}", status_code=303)

    @app.post("/admin/prints/{payment_id}/refund", include_in_schema=False)
    async def refund(payment_id: str, request: Request) -> Response:
        account = await signed_in(request)
        values = await form(request)
        reason = values.get("reason", "").strip()
        if reason:
            with contextlib.suppress(KeyError, StepRefused):  # the page shows the payment as it is
                await run_in_threadpool(lambda: payments.step(payment_id, "refunded", by=account.username,
                                                              reason=reason))
        return RedirectResponse(f"/admin/prints?lang={language(request)}&done=refunded", status_code=303)

    @app.get("/admin/entries", include_in_schema=False)
    async def entries_page(request: Request) -> Response:
        account = await signed_in(request)
        asked = request.query_params.get("days", "")
        days = int(asked) if asked.isdigit() and 1 <= int(asked) <= MAX_ENTRY_DAYS else ENTRY_DAYS
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        rows = await run_in_threadpool(store.entries_since, since)
        names = dict(await run_in_threadpool(branches_seen, store, account))
        per_branch: dict[str, list[int]] = {}
        for branch, at in rows:
            if account.sees(branch):
                per_branch.setdefault(branch, [0] * 24)[local_time(at).hour] += 1
        branches = [{"id": branch, "name": names.get(branch, branch), "hours": hours, "total": sum(hours),
                     "peak": max(hours)} for branch, hours in sorted(per_branch.items())]
        return page(request, "entries.html", account, branches=branches, days=days)



def _day(text: str, what: str) -> dt.date | None:
    """A date typed in a form (None when empty); ValueError naming the field's own hint."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise ValueError(f"{what}: {text!r}") from None


def _rule_text(rule: str, rules: AccessSettings, lang: str) -> str:
    """One access rule in words, with its limits."""
    values: dict[str, object] = {
        "limit": f"{rules.fee_limit:.2f}", "field": rules.consent_field,
        "missing": translate(rules.consent_missing, lang), "unknown": translate(rules.unknown_age, lang),
        "categories": ", ".join(rules.categories) or translate("any_category", lang)}
    return translate(f"rule_{rule}", lang, **values)


def _may_revoke(account: Account) -> bool:
    """The revocation list is the municipality's: administrators, and staff who see every branch."""
    return account.role == "administrator" or "*" in account.branches
