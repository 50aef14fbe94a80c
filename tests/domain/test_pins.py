"""PIN verifiers: only the full scrypt cost is ever checked against (a cheaper one would make a stolen
list quicker to search)."""

from __future__ import annotations

import pytest

from kiosk.domain.pins import pin_verifier, verify_pin


def test_a_verifier_checks_its_pin() -> None:
    verifier = pin_verifier("1234")
    assert verify_pin("1234", verifier) and not verify_pin("4321", verifier)


@pytest.mark.parametrize("n", [2**10, 2**12, 2**13])
def test_a_cheaper_verifier_is_never_a_match(n: int) -> None:
    assert not verify_pin("1234", pin_verifier("1234", n=n))
