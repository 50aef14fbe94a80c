"""The administration web's opening-hours pages: each branch's week, special days, closures and
holiday hours, checked as the kiosks read them before they are saved, with the next seven days as
the doors will go by them."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kiosk.door.calendar import BranchCalendar
from kiosk.door.calendar_text import week_text
from kiosk.settings.base import describe_error
from kiosk.settings.calendar import BranchSettings
from sync.central.server.web.accounts import Account
from sync.central.server.web.context import Web
from sync.central.server.web.queries import branches_seen

log = logging.getLogger("sync.central.web")

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def add_calendar_pages(app: FastAPI, web: Web) -> None:
    language, page, form, signed_in, store = web.language, web.page, web.form, web.signed_in, web.store

    @app.get("/admin/calendars", include_in_schema=False)
    async def calendar_list(request: Request) -> Response:
        account = await signed_in(request)
        branches = await run_in_threadpool(branches_seen, store, account)
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
