"""Fixtures for the central API: the service on a free port, a client of it, and the contract.

Every exchange of the fixture client is checked against ``sync/central/openapi.yaml``: the request
body the client sends against the request schema, the status against the operation's list, the
response body against its schema. Raw requests the tests send on purpose (no token, bad bodies)
have only their responses checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sync.central.client import CentralClient
from sync.central.service import CentralService
from tests.postgres import PostgresCluster
from tests.postgres import postgres_cluster as postgres_cluster

SPEC_PATH = Path(__file__).resolve().parents[3] / "sync" / "central" / "openapi.yaml"
TOKEN = "test-token-7f3a"  # the credential of the terminal TERMINAL of BRANCH on every test service
TERMINAL, BRANCH = "demo-1", "hovedbiblioteket"
BASE = "urn:central-api"
VERIFIER = "scrypt$16384$8$1$" + "ab" * 16 + "$" + "cd" * 32


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


class Contract:
    """Checks exchanges against the OpenAPI document; ``seen`` holds (operationId, status) pairs."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.registry: Registry[Any] = Registry().with_resource(
            BASE, Resource.from_contents(spec, default_specification=DRAFT202012))
        self.operations: list[tuple[str, re.Pattern[str], dict[str, Any]]] = []
        for template, item in spec["paths"].items():
            pattern = re.compile(re.sub(r"\{[^}]+\}", "[^/]+", template))
            for method, operation in item.items():
                self.operations.append((method.upper(), pattern, operation))
        self.seen: set[tuple[str, int]] = set()

    def operation(self, method: str, url: str) -> dict[str, Any]:
        path = requests.utils.urlparse(url).path
        for op_method, pattern, operation in self.operations:
            if op_method == method and pattern.fullmatch(path):
                return operation
        raise AssertionError(f"{method} {path} is no operation of the contract")

    def validate(self, schema: dict[str, Any], value: Any, what: str) -> None:
        if "$ref" in schema:
            schema = {"$ref": BASE + schema["$ref"]}
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in Draft202012Validator(schema, registry=self.registry).iter_errors(value)]
        assert not errors, f"{what} breaks the contract: {errors}"

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def check_request(self, request: requests.PreparedRequest) -> None:
        assert request.method is not None and request.url is not None
        operation = self.operation(request.method, request.url)
        what = f"request of {operation['operationId']}"
        query = requests.utils.urlparse(request.url).query
        given = {part.split("=", 1)[0] for part in query.split("&") if part}
        params = [self.resolve(p) for p in operation.get("parameters", [])]
        known = {p["name"] for p in params if p["in"] == "query"}
        required = {p["name"] for p in params if p["in"] == "query" and p.get("required")}
        assert given <= known and required <= given, f"{what}: query {sorted(given)}, allowed {sorted(known)}"
        assert request.headers.get("Authorization", "").startswith("Bearer "), f"{what}: no bearer token"
        body = operation.get("requestBody")
        if body is None:
            assert not request.body, f"{what}: a body where the contract has none"
            return
        assert request.headers.get("Content-Type") == "application/json", what
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        assert isinstance(raw, str), what
        self.validate(self.resolve(body)["content"]["application/json"]["schema"],
                      requests.models.complexjson.loads(raw), what)

    def check_response(self, response: requests.Response) -> None:
        request = response.request
        assert request.method is not None and request.url is not None
        operation = self.operation(request.method, request.url)
        status = response.status_code
        what = f"{status} of {operation['operationId']}"
        assert str(status) in operation["responses"], f"{what}: status not in the contract"
        self.seen.add((operation["operationId"], status))
        documented = self.resolve(operation["responses"][str(status)])
        for name, header in documented.get("headers", {}).items():
            header = self.resolve(header)
            if header.get("required"):
                assert name in response.headers, f"{what}: header {name} missing"
            if name in response.headers:
                value: Any = response.headers[name]
                if header["schema"].get("type") == "integer":
                    value = int(value)
                self.validate(header["schema"], value, f"{what} header {name}")
        content = documented.get("content")
        if content is None:
            assert response.content == b"", f"{what}: a body where the contract has none"
            return
        media = response.headers.get("Content-Type", "").split(";")[0].strip()
        assert media in content, f"{what}: {media or 'no media type'}, the contract says {', '.join(content)}"
        if media == "application/json":
            self.validate(content[media]["schema"], response.json(), what)
        else:  # a document (a PDF): the contract says its type, not its shape
            assert response.content, f"{what}: an empty {media}"

    def exchange_hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.check_request(response.request)
        self.check_response(response)
        return response

    def response_hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.check_response(response)
        return response


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return load_spec()


@pytest.fixture
def contract(spec: dict[str, Any]) -> Contract:
    return Contract(spec)


CentralFactory = Callable[..., CentralService]


@pytest.fixture(params=["sqlite", "postgresql"])
def central_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the service keeps its state: every test of the API runs on an SQLite file and on a real
    PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "central.db"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.database()


@pytest.fixture
def make_central(central_database: Path | str) -> Iterator[CentralFactory]:
    """Start central services (default database: :func:`central_database`) with the terminal
    TERMINAL of BRANCH enrolled under the credential TOKEN; all are stopped at the end."""
    started: list[CentralService] = []

    def make(db: Path | str | None = None, **kwargs: Any) -> CentralService:
        emulator = CentralService(db or central_database, **kwargs)
        emulator.enrol(TERMINAL, BRANCH, TOKEN)
        emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def central(make_central: CentralFactory) -> CentralService:
    return make_central()


ClientFactory = Callable[..., CentralClient]


@pytest.fixture
def make_client(contract: Contract) -> Iterator[ClientFactory]:
    """Clients whose every exchange is checked against the contract; quick retries."""
    clients: list[CentralClient] = []

    def make(server: CentralService | str, *, checked: bool = True, **kwargs: Any) -> CentralClient:
        """``checked=False``: for answers that break the contract on purpose; ``token``: another
        terminal's credential (default: TERMINAL's)."""
        kwargs.setdefault("backoff", 0.01)
        kwargs.setdefault("timeout_s", (2, 5))
        token = kwargs.pop("token", TOKEN)
        url = server if isinstance(server, str) else server.url
        client = CentralClient(url, token, **kwargs)
        if checked:
            client.session.hooks["response"].append(contract.exchange_hook)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory, central: CentralService) -> CentralClient:
    return make_client(central)


@pytest.fixture
def raw(contract: Contract) -> Iterator[requests.Session]:
    """A plain session for requests the client would never send; their responses are checked."""
    session = requests.Session()
    session.hooks["response"].append(contract.response_hook)
    yield session
    session.close()


def access_entry(number: int, **changes: Any) -> dict[str, Any]:
    """A precomputed access-list entry (wire shape) with a made-up token and verifier."""
    entry = {"key": f"{number:032x}", "pin_verifier": VERIFIER, "category": "adult",
             "birth_date": "1980-01-01", "blocked": False, "consent": True, "expires": "2030-12-31"}
    return {**entry, **changes}
