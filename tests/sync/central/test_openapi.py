"""The contract document itself: valid OpenAPI 3.1, and written so both sides can be checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from sync.central.server.api import create_app
from sync.central.server.store import CentralStore
from tests.sync.central.conftest import Contract


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_operation_but_enrolment_requires_the_bearer_token_and_documents_401(
        spec: dict[str, Any]) -> None:
    assert spec["security"] == [{"bearer": []}]
    for item in spec["paths"].values():
        for operation in item.values():
            assert operation.get("security", [{"bearer": []}]) == (
                [] if operation["operationId"] == "enrol" else [{"bearer": []}])
            assert "401" in operation["responses"], operation["operationId"]


def test_our_objects_allow_no_other_properties(spec: dict[str, Any]) -> None:
    free_form = {"Calendar"}
    for name, schema in spec["components"]["schemas"].items():
        if schema.get("type") == "object" and name not in free_form:
            assert schema.get("additionalProperties") is False, name


def test_every_body_schema_is_a_named_component(contract: Contract) -> None:
    for _, _, operation in contract.operations:
        bodies = [contract.resolve(r) for r in operation["responses"].values()]
        if "requestBody" in operation:
            bodies.append(contract.resolve(operation["requestBody"]))
        for body in bodies:
            for media in body.get("content", {}).values():
                assert media["schema"]["$ref"].startswith("#/components/schemas/"), operation["operationId"]


def test_the_service_serves_exactly_the_documented_operations(contract: Contract, tmp_path: Path) -> None:
    documented = sorted((method, pattern.pattern) for method, pattern, _ in contract.operations)
    store = CentralStore(tmp_path / "central.db")
    try:
        app = create_app(store)
    finally:
        store.close()
    served = sorted((method, re.sub(r"\{[^}]+\}", "[^/]+", route.path))
                    for route in app.routes if isinstance(route, APIRoute) for method in route.methods)
    assert served == documented


def test_errors_have_a_code_and_a_message(contract: Contract) -> None:
    contract.validate({"$ref": "#/components/schemas/Error"},
                      {"error": "cursor_expired", "message": "sync again"}, "an error")
