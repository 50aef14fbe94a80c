"""The quick fuzz profile of ``make test``: every target a few hundred inputs, with no crash (an
exception other than the documented ones), no hang and no memory blow-up. ``make fuzz`` runs the
long profile (200,000 inputs and more)."""

from __future__ import annotations

import pytest

from tests.fuzz.targets import Target, run, targets

QUICK = {"sip2-client": 60, "central-client": 100, "ipp-client": 100}  # over real TCP: slower per input


@pytest.mark.parametrize("target", targets(), ids=lambda t: t.name)
def test_no_input_crashes_hangs_or_blows_up_the_target(target: Target) -> None:
    report = run(target, QUICK.get(target.name, 300))
    assert report.tried > 0 and report.ok, "\n".join([report.line(), *report.crashes, *report.hangs])
