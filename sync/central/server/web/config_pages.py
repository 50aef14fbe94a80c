"""The administration web's configuration pages: each layer's revisions with their diffs, a new one
checked in words, an earlier one used again, and a change tried on one terminal first."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.central.server.config import LEVELS, ConfigRefused
from sync.central.server.rollout import Rollout
from sync.central.server.store import CentralStore
from sync.central.server.web.accounts import Account
from sync.central.server.web.context import Web
from sync.central.server.web.queries import fleet_rows, local_text
from sync.central.server.web.texts import translate

log = logging.getLogger("sync.central.web")


def add_config_pages(app: FastAPI, web: Web) -> None:
    language, page, form, signed_in, store = web.language, web.page, web.form, web.signed_in, web.store
    rollout = Rollout(store)

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
                          "when": local_text(dt.datetime.fromisoformat(revision["created_at"])),
                          "diff": _diff(parent, revision["settings"])})
        current = _pretty(history[0]["settings"]) if history else "{}"
        levels = [(name, {"branch": "branch_level", "terminal": "terminal_level"}.get(name, name))
                  for name in LEVELS]
        trial = await run_in_threadpool(rollout.trial, level, scope) if level in LEVELS else None
        terminals = await run_in_threadpool(_reachable, store, level, scope) if level != "terminal" else []
        trial_state = None
        if trial is not None:
            beat = next((row for row in await run_in_threadpool(fleet_rows, store, account)
                         if row["terminal"] == trial.terminal), {})
            carried = f".t{trial.revision}"
            trial_state = ("running" if str(beat.get("applied") or "").endswith(carried) else
                           "waiting_restart" if str(beat.get("pending") or "").endswith(carried) else
                           "refused" if carried in str(beat.get("problem") or "") else "not_yet")
        return page(request, "config.html", account, level=level, scope=scope, levels=levels, history=shown,
                    text=current if text is None else text, saved=saved, error=error,
                    editable=_may_edit(account, level, scope), trial=trial, trial_state=trial_state,
                    trial_text=_pretty(trial.proposed) if trial else "", terminals=[t for t, _ in terminals])



def _reachable(store: CentralStore, level: str, scope: str) -> list[tuple[str, str]]:
    """The enrolled terminals a layer reaches (a trial is run on one of them)."""
    return store.terminals(scope if level == "branch" else None)


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
