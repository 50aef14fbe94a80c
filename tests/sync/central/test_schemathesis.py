"""The live central service against its OpenAPI document, with requests schemathesis generates from
the document itself: every answer must be one the document allows (status, headers, body), and none a
server error. The requests carry a real terminal's credential and name that terminal and its branch,
so that the bodies, not the 403 of a stranger, decide the answer (the contract tests provoke 403)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from sync.central.service import CentralService
from tests.sync.central.conftest import BRANCH, SPEC_PATH, TERMINAL, TOKEN, access_entry

schema = schemathesis.openapi.from_path(SPEC_PATH)
# Requests the document allows: every one must get an answer it allows. (What it does not allow is
# refused with a 400 naming the field: test_contract.py, test_learned.py.)
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralService]:
    central = CentralService(Path(tmp_path_factory.mktemp("central")) / "central.db")
    central.enrol(TERMINAL, BRANCH, TOKEN)
    central.set_terminal_config(TERMINAL, {"central": {"heartbeat_every_s": 60}})
    central.set_calendar(BRANCH, {"zone": "Europe/Copenhagen"})
    central.bulk_load([access_entry(n) for n in range(3)])
    central.add_print_job("1000000001", "Ansøgning.pdf", 2, job_id="pj-1")
    central.start()
    yield central
    central.stop()


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_live_service_keeps_the_contract(case: schemathesis.Case, live: CentralService) -> None:
    ours = {"terminal_id": TERMINAL, "branch": BRANCH}
    if case.path_parameters:
        case.path_parameters = {name: ours.get(name, value) for name, value in case.path_parameters.items()}
    # A cursor the document allows but the service never gave out is gone (410): state, not schema.
    excluded = [positive_data_acceptance] if case.operation.path.endswith("/access-list") else []
    case.call_and_validate(base_url=live.url, headers={"Authorization": f"Bearer {TOKEN}"},
                           excluded_checks=excluded)
