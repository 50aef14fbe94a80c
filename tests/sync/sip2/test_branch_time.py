"""Dates to the LMS are the branch's time, whatever zone the machine is set to.

SIP2 dates carry no zone; the LMS reads them as its local time. A kiosk whose machine is set to UTC
(or anything else) must still say 23:59 Copenhagen time for an offline loan due at the end of the day.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from kiosk.settings import DEMO_SETTINGS
from sync.sip2.codec import format_date, parse_date
from tests.conftest import REPO

CPH = ZoneInfo("Europe/Copenhagen")


@pytest.mark.parametrize("machine_zone", ["UTC", "America/New_York", "Europe/Copenhagen"])
def test_an_offline_loan_due_at_the_end_of_the_day_reaches_the_lms_as_23_59_branch_time(
        machine_zone: str) -> None:
    env = {**os.environ, "TZ": machine_zone, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "tests.sync.sip2.branch_time_worker",
                           str(DEMO_SETTINGS.parent / "lms.toml")], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    due = dt.datetime.fromisoformat(report["due"])
    now = dt.datetime.fromisoformat(report["now"])
    assert report["offset_h"] == now.astimezone(CPH).utcoffset().total_seconds() / 3600  # type: ignore[union-attr]
    assert due.strftime("%H:%M") == "23:59"
    # The no-block due date (BH... is not it: the fixed part ends with the 18-character nb_due_date).
    assert f"{due:%Y%m%d}    235900" in report["checkout"]
    assert f"{now.astimezone(CPH):%Y%m%d}    {now.astimezone(CPH):%H%M}" in report["checkout"]


def test_a_blank_zone_date_from_the_lms_is_the_branchs_local_time() -> None:
    parsed = parse_date("20261219    235900", CPH)
    assert parsed == dt.datetime(2026, 12, 19, 23, 59, tzinfo=CPH)
    assert format_date(parsed.astimezone(ZoneInfo("America/New_York")), CPH) == "20261219    235900"
