"""What every page of the administration web shares: the language of the session, its CSRF token,
the signed-in account, and rendering a template with them."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from starlette.concurrency import run_in_threadpool

from sync.central.server.payments.methods import PrintPayments
from sync.central.server.store import CentralStore
from sync.central.server.web.accounts import Account, Accounts
from sync.central.server.web.texts import LANGUAGES, translate


class SignIn(Exception):
    """No one is signed in on this session: the login page."""


class ForeignForm(Exception):
    """A form without this session's CSRF token."""


class Web:
    def __init__(self, store: CentralStore, accounts: Accounts, templates: Environment,
                 payments: PrintPayments) -> None:
        self.store, self.accounts, self._templates, self.payments = store, accounts, templates, payments

    def language(self, request: Request) -> str:
        """The page's language: ``?lang=`` (then remembered in the session), else the session's."""
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            request.session["lang"] = asked
        return str(request.session.get("lang", "da"))

    def csrf(self, request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(24)
        return str(token)

    async def form(self, request: Request) -> dict[str, str]:
        """A posted form's fields; :class:`ForeignForm` without this session's CSRF token."""
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        values = {name: values[0] for name, values in fields.items()}
        if not secrets.compare_digest(values.get("csrf", ""), self.csrf(request)):
            raise ForeignForm
        return values

    async def signed_in(self, request: Request) -> Account:
        """The account of the session; without one, the login page (:class:`SignIn`)."""
        name = request.session.get("user")
        account = None if not name else await run_in_threadpool(self.accounts.get, str(name))
        if account is None:
            raise SignIn
        return account

    def page(self, request: Request, template: str, account: Account | None, **values: Any) -> HTMLResponse:
        lang = self.language(request)
        html = self._templates.get_template(template).render(
            lang=lang, languages=LANGUAGES, account=account, csrf=self.csrf(request),
            t=lambda key, **more: translate(key, lang, **more), **values)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})
