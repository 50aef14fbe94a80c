"""Releases of the kiosk on the central service: ``central-admin release add|offer|withdraw|list`` on
the service's database, the offer in each terminal's configuration document, and the wheel served to
the terminals it is offered to, and to no other.

Real parts: a real wheel of this tree (built by pip, as the update tests build theirs), the admin
command's own code on the database the running service uses (SQLite and PostgreSQL), the service
over HTTP, the real client with every exchange checked against the contract.
"""

from __future__ import annotations

import contextlib
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.domain.central import ReleaseOffer
from kiosk.domain.errors import CentralRejected, CentralUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState
from sync.central import admin_cli
from sync.central.server.releases import Releases
from sync.central.server.store import CentralStore
from sync.central.service import CentralService
from tests.cli.kiosk_releases import NEW, build_wheel
from tests.sync.central.conftest import BRANCH, TERMINAL, ClientFactory, Contract

pytestmark = pytest.mark.slow
OTHER_TERMINAL, OTHER_BRANCH = "demo-2", "filial-nord"


@pytest.fixture(scope="session")
def kiosk_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("release-wheel")
    return build_wheel(NEW, work / "out", work)


def admin(database: Path | str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = admin_cli.main(["--db", str(database), *args])
    out, err = capsys.readouterr()
    return code, out, err


def other_wheel(folder: Path, project: str, version: str, name: str) -> Path:
    """A well-made wheel of ``project`` (or a zip without metadata when ``project`` is empty)."""
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("something/__init__.py", "")
        if project:
            archive.writestr(f"{project.replace('-', '_')}-{version}.dist-info/METADATA",
                             f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n")
    return path


def offer_of(client: ClientFactory, central: CentralService, token: str | None = None) -> object:
    kwargs = {"token": token} if token else {}
    return client(central, **kwargs).terminal_config(TERMINAL if token is None else OTHER_TERMINAL).release


def download(client: ClientFactory, central: CentralService, version: str, token: str | None = None,
             size: int = 50_000_000, **options: Any) -> bytes:
    chunks: list[bytes] = []
    kwargs: dict[str, Any] = {**options, **({"token": token} if token else {})}
    client(central, **kwargs).release_wheel(ReleaseOffer(version, "0" * 64, size,
                                                         f"/v1/releases/{version}/wheel"),
                                            chunks.append, size)
    return b"".join(chunks)


def test_an_offered_release_reaches_the_terminal_with_its_size_and_sha256_and_downloads_whole(
        central: CentralService, central_database: Path | str, make_client: ClientFactory,
        kiosk_wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central.set_terminal_config(TERMINAL, {"terminal": {"language": "da"}})
    assert offer_of(make_client, central) is None
    code, out, err = admin(central_database, "release", "add", str(kiosk_wheel), capsys=capsys)
    assert code == 0, err
    digest = hashlib.sha256(kiosk_wheel.read_bytes()).hexdigest()
    assert f"release {NEW} kept" in out and digest in out
    assert offer_of(make_client, central) is None  # kept, not yet offered
    code, out, err = admin(central_database, "release", "offer", NEW, "--branch", BRANCH, capsys=capsys)
    assert code == 0, err
    offer = make_client(central).terminal_config(TERMINAL).release
    assert offer is not None
    assert (offer.version, offer.sha256, offer.size, offer.url) == (
        NEW, digest, kiosk_wheel.stat().st_size, f"/v1/releases/{NEW}/wheel")
    assert download(make_client, central, NEW) == kiosk_wheel.read_bytes()
    assert [row["action"] for row in central.audit_log()][:2] == ["release_offered", "release_added"]


def test_a_terminal_may_download_only_the_version_offered_to_it(
        central: CentralService, central_database: Path | str, make_client: ClientFactory,
        kiosk_wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = central.enrol(OTHER_TERMINAL, OTHER_BRANCH)
    for terminal in (TERMINAL, OTHER_TERMINAL):
        central.set_terminal_config(terminal, {"terminal": {"language": "da"}})
    assert admin(central_database, "release", "add", str(kiosk_wheel), capsys=capsys)[0] == 0
    assert admin(central_database, "release", "offer", NEW, "--terminal", TERMINAL, capsys=capsys)[0] == 0
    assert offer_of(make_client, central, token=other) is None
    with pytest.raises(CentralRejected) as refused:
        download(make_client, central, NEW, token=other)
    assert refused.value.status == 404
    with pytest.raises(CentralRejected) as unknown:
        download(make_client, central, "7.7.7")
    assert unknown.value.status == 404
    assert download(make_client, central, NEW) == kiosk_wheel.read_bytes()
    # Withdrawn: the terminal is told nothing, and the wheel is no longer served to it.
    code, out, _ = admin(central_database, "release", "withdraw", "--terminal", TERMINAL, capsys=capsys)
    assert code == 0 and f"offer of {NEW} withdrawn" in out
    assert offer_of(make_client, central) is None
    with pytest.raises(CentralRejected):
        download(make_client, central, NEW)


def test_the_narrowest_offer_wins_and_list_shows_what_each_terminal_runs(
        central: CentralService, central_database: Path | str, make_client: ClientFactory,
        kiosk_wheel: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central.set_terminal_config(TERMINAL, {"terminal": {"language": "da"}})
    older = tmp_path / "older"
    older.mkdir()
    old_wheel = other_wheel(older, "library-kiosk", "0.8.0", "library_kiosk-0.8.0-py3-none-any.whl")
    for wheel in (kiosk_wheel, old_wheel):
        assert admin(central_database, "release", "add", str(wheel), capsys=capsys)[0] == 0
    assert admin(central_database, "release", "offer", NEW, "--all", capsys=capsys)[0] == 0
    assert admin(central_database, "release", "offer", "0.8.0", "--terminal", TERMINAL, capsys=capsys)[0] == 0
    release = make_client(central).terminal_config(TERMINAL).release
    assert release is not None and release.version == "0.8.0"
    make_client(central).heartbeat(TERMINAL, [DeviceHealth("card_reader", DeviceState.OK)], pending=0,
                                   oldest_age_s=None, mode="online", version="0.7.5")
    code, out, _ = admin(central_database, "release", "list", capsys=capsys)
    assert code == 0
    assert f"offer   {NEW:<12} to all terminals" in out and "to terminal demo-1" in out
    assert "terminal demo-1 (hovedbiblioteket): offered 0.8.0, runs 0.7.5" in out and "<- not yet" in out
    assert central.heartbeats()[-1]["version"] == "0.7.5"


def test_release_add_refuses_what_is_not_a_wheel_of_the_kiosk(
        central: CentralService, central_database: Path | str, kiosk_wheel: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    renamed = tmp_path / "kiosk.whl"
    renamed.write_bytes(kiosk_wheel.read_bytes())
    cases = {
        other_wheel(tmp_path, "requests", "2.0.0", "requests-2.0.0-py3-none-any.whl"): "not of library-kiosk",
        other_wheel(tmp_path, "", "", "library_kiosk-1.0.0-py3-none-any.whl"): "not a wheel",
        tmp_path / "missing.whl": "cannot be read",
        renamed: f"only as library_kiosk-{NEW}-py3-none-any.whl",
    }
    (tmp_path / "text.whl").write_text("not a zip")
    cases[tmp_path / "text.whl"] = "not a readable wheel"
    for wheel, said in cases.items():
        code, _, err = admin(central_database, "release", "add", str(wheel), capsys=capsys)
        assert code == 2 and said in err, (wheel, err)
    code, _, err = admin(central_database, "release", "offer", "1.0.0", "--all", capsys=capsys)
    assert code == 2 and "no release 1.0.0 here" in err
    with contextlib.closing(CentralStore(central_database)) as store:
        assert Releases(store).listed() == []


def test_a_version_is_never_replaced_by_other_contents(
        central: CentralService, central_database: Path | str, kiosk_wheel: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert admin(central_database, "release", "add", str(kiosk_wheel), capsys=capsys)[0] == 0
    again = admin(central_database, "release", "add", str(kiosk_wheel), capsys=capsys)
    assert again[0] == 0  # the same file twice: nothing changes
    other = tmp_path / kiosk_wheel.name
    with zipfile.ZipFile(kiosk_wheel) as source, zipfile.ZipFile(other, "w") as copy:
        for item in source.infolist():
            copy.writestr(item, source.read(item.filename))
        copy.writestr("extra.txt", "something else")
    code, _, err = admin(central_database, "release", "add", str(other), capsys=capsys)
    assert code == 2 and "never replaced" in err


def test_every_status_of_the_wheel_download_is_the_contract_s(
        central: CentralService, central_database: Path | str, make_client: ClientFactory,
        raw: requests.Session, contract: Contract, kiosk_wheel: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert admin(central_database, "release", "add", str(kiosk_wheel), capsys=capsys)[0] == 0
    assert admin(central_database, "release", "offer", NEW, "--all", capsys=capsys)[0] == 0
    assert download(make_client, central, NEW) == kiosk_wheel.read_bytes()  # 200
    raw.get(f"{central.url}/v1/releases/{NEW}/wheel")  # 401: no credential
    with pytest.raises(CentralRejected):
        download(make_client, central, "0.0.1")  # 404
    central.fail_next(1, retry_after=0)
    with pytest.raises(CentralUnavailable):
        download(make_client, central, NEW, retries=0)  # 503
    assert {status for op, status in contract.seen if op == "getReleaseWheel"} == {200, 401, 404, 503}
