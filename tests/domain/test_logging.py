"""No PIN, CPR number or patron name reaches the log file, whichever logger it is passed to."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.bootstrap.log_files import setup_logging
from kiosk.domain.logs import SecretRegistry, redact
from kiosk.testing.memory import MemoryCardReader

CPR = "0707614285"
CPR_DASHED = "070761-4285"


def log_text(log_dir: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return (log_dir / "kiosk.log").read_text(encoding="utf-8")


def test_pin_cpr_and_name_from_a_real_session_never_reach_the_file(kiosk: Kiosk) -> None:
    log_dir = kiosk.locations.log_dir
    card = kiosk.demo_cards[0]
    reader = kiosk.card_reader
    assert isinstance(reader, MemoryCardReader)
    reader.present(card.credential)
    kiosk.core.drain()
    kiosk.session.submit_pin(card.pin)
    kiosk.core.drain()
    assert kiosk.session.patron is not None  # logged in: the name and PIN are now known secrets

    third_party = logging.getLogger("some.library.we.use")
    third_party.warning("patron %s typed %s", "Anna Jensen", card.pin)
    third_party.error("lookup for %s failed", CPR)
    logging.getLogger("kiosk.anything").info("dict dump: {'name': 'Jensen, Anna', 'pin': '%s'}",
                                             card.pin)
    try:
        raise ValueError(f"bad patron record Jensen, Anna cpr={CPR_DASHED} pin {card.pin}")
    except ValueError:
        logging.getLogger("crash").exception("unexpected error")

    text = log_text(log_dir)
    assert "patron authenticated" in text  # the log is written at all
    assert "unexpected error" in text and "Traceback" in text
    for secret in (card.pin, "Anna", "Jensen", CPR, CPR_DASHED):
        assert secret not in text, f"{secret!r} leaked into the log"


def test_secrets_are_redacted_at_any_level_and_in_arguments(tmp_path: Path) -> None:
    setup_logging(tmp_path, console=False, level="DEBUG")
    from kiosk.domain.logs import SECRETS

    SECRETS.add("4711", "Mette Frederiksen")
    logging.getLogger("x").debug("pin=%s name=%s", "4711", "Mette Frederiksen")
    logging.getLogger("y").info("%s", {"cpr": "311299-1234"})
    text = log_text(tmp_path)
    assert "4711" not in text and "Mette" not in text and "Frederiksen" not in text
    assert "311299-1234" not in text and "3112991234" not in text


def test_keyed_and_sip2_secrets_are_masked_without_registration() -> None:
    empty = SecretRegistry()
    line = "63001 AOdokk1|AA1000000001|AD1234|AEJensen, Anna|ACterm1nal|BLY|; login CNkiosk|COs3cret|"
    masked = redact(line, empty)
    assert "1234" not in masked and "Jensen" not in masked and "s3cret" not in masked
    assert "term1nal" not in masked  # the terminal password (AC), like the login password (CO)
    assert "AA1000000001" in masked  # card numbers are not secret in themselves
    assert redact("password: hunter2 and pin=9876", empty) == "password: *** and pin=***"


def test_cpr_like_numbers_are_masked_but_ordinary_numbers_kept() -> None:
    empty = SecretRegistry()
    assert redact("cpr 0707614285 here", empty) == "cpr *** here"
    assert redact("item 5010000001 and port 6001", empty) == "item 5010000001 and port 6001"


def test_timestamps_stay_readable_while_a_pin_is_registered(tmp_path: Path) -> None:
    setup_logging(tmp_path, console=False)
    from kiosk.domain.logs import SECRETS

    SECRETS.add("2026")
    logging.getLogger("z").info("hello")
    assert log_text(tmp_path).startswith("2026-")
