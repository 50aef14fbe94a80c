"""FBS over HTTPS: the kiosk trusts FBS's certificate only through the system's CAs or the one it
was given (lms.fbs.tls_ca_file); a certificate it cannot trust means nothing was sent."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.domain.errors import LmsUnavailable
from kiosk.settings import FbsSettings
from kiosk.simulate.build import DEMO_SEED
from sync.fbs.client import FbsClient
from sync.fbs.emulator import FbsEmulator
from sync.fbs.library import FbsLibrarySystem
from sync.sip2.emulator_data import load_data
from tests.tls import self_signed


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory)


@pytest.fixture
def https_fbs(certificate: tuple[Path, Path]) -> Iterator[FbsEmulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    emulator = FbsEmulator(load_data(DEMO_SEED), login="kiosk", password="kiosk", tls_context=context).start()
    yield emulator
    emulator.stop()


def lms(url: str, ca_file: Path | None) -> FbsLibrarySystem:
    return FbsLibrarySystem(FbsClient(FbsSettings(endpoint=url, agency="DK-775100", login="kiosk",
                                                  password="kiosk", tls_ca_file=ca_file, retries=0,
                                                  timeout_s=5.0)))


def test_fbs_over_https_with_the_ca_it_was_given(https_fbs: FbsEmulator,
                                                 certificate: tuple[Path, Path]) -> None:
    assert https_fbs.url.startswith("https://")
    assert lms(https_fbs.url, certificate[0]).item_info("5010000001").title == "Kongens Fald"


def test_a_certificate_it_cannot_trust_sends_nothing(https_fbs: FbsEmulator) -> None:
    with pytest.raises(LmsUnavailable, match="TLS"):
        lms(https_fbs.url, None).checkout("1000000001", "5010000001", pin="1234")
    assert https_fbs.transactions == []  # not even the loan's question reached it
