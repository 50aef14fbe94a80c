"""TLS: the client trusts the central system only through a CA it was given (or the system's)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from sync.central.client import CentralUnavailable
from sync.central.service import CentralService
from tests.sync.central.conftest import ClientFactory
from tests.tls import self_signed


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory)


@pytest.fixture
def tls_central(make_central: Any, certificate: tuple[Path, Path]) -> CentralService:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    central: CentralService = make_central(tls_context=context)
    central.set_terminal_config("demo-1", {"central": {"heartbeat_every_s": 60}})
    return central


def test_a_certificate_from_an_unknown_ca_is_refused(tls_central: CentralService,
                                                    make_client: ClientFactory) -> None:
    assert tls_central.url.startswith("https://")
    with pytest.raises(CentralUnavailable, match="TLS failed"):
        make_client(tls_central, retries=0).terminal_config("demo-1")


def test_the_private_ca_given_as_verify_is_trusted(tls_central: CentralService, make_client: ClientFactory,
                                                  certificate: tuple[Path, Path]) -> None:
    cert, _ = certificate
    client = make_client(tls_central, verify=cert)
    assert client.terminal_config("demo-1").settings == {"central": {"heartbeat_every_s": 60}}
    assert client.terminal_config("demo-1").terminal_id == "demo-1"
    assert [e.status for e in tls_central.exchanges()] == [200, 304]


def test_plain_http_to_the_tls_port_gets_no_answer(tls_central: CentralService,
                                                   make_client: ClientFactory) -> None:
    client = make_client(tls_central.url.replace("https://", "http://"), retries=0)
    with pytest.raises(CentralUnavailable):
        client.terminal_config("demo-1")
