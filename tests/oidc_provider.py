"""An OpenID Connect provider for tests: the municipality's sign-in (Entra ID in Aarhus) stands at
the edge of this machine, so the tests run a small one of their own over real HTTP: discovery, an
authorization endpoint that signs in whoever :attr:`OidcProvider.person` is (no form: the person
has already typed their password there), the token endpoint with an RS256-signed ID token, and the
key set. Codes are single-use and bound to the client, the redirect address and the nonce."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey

from sync.central.server.serve import Serving

CLIENT_ID, CLIENT_SECRET = "kiosk-admin", "client-secret-7c1e"


class OidcProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-1"})
        self.person: dict[str, Any] = {"sub": "u-1", "preferred_username": "anne@aarhus.dk",
                                       "roles": ["Selvbetjening.Administrator"]}
        self._codes: dict[str, dict[str, Any]] = {}
        self.tokens_issued = 0
        app = FastAPI()
        app.get("/.well-known/openid-configuration")(self._discovery)
        app.get("/authorize")(self._authorize)
        app.post("/token")(self._token)
        app.get("/jwks")(self._jwks)
        self._serving = Serving(app, name="oidc-provider")
        self.issuer = self._serving.url

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> OidcProvider:
        self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop()

    async def _discovery(self) -> Response:
        return JSONResponse({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                             "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                             "response_types_supported": ["code"], "subject_types_supported": ["public"],
                             "id_token_signing_alg_values_supported": ["RS256"],
                             "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                                       "client_secret_post"]})

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return Response("unknown client", status_code=400)
        code = secrets.token_urlsafe(16)
        self._codes[code] = {"redirect_uri": query["redirect_uri"], "nonce": query.get("nonce"),
                             "person": dict(self.person)}
        answer = urlencode({"code": code, "state": query["state"]})
        return RedirectResponse(f"{query['redirect_uri']}?{answer}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = {name: values[0] for name, values in parse_qs((await request.body()).decode()).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        grant = self._codes.pop(str(form.get("code")), None)
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET) or grant is None \
                or grant["redirect_uri"] != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **grant["person"]}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        self.tokens_issued += 1
        id_token = jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, self.key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "expires_in": 300, "id_token": id_token})

    async def _jwks(self) -> Response:
        return JSONResponse({"keys": [{**self.key.as_dict(private=False), "use": "sig", "alg": "RS256"}]})
