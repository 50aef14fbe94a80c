"""Receipts by e-mail: a real SMTP conversation with a local server, and the visit that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kiosk.bootstrap.kiosk import Kiosk, build
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.domain.errors import MailError
from kiosk.domain.events import InlineWorkers
from kiosk.domain.model import Receipt, ReceiptLine
from kiosk.session.service import Message, Screen
from kiosk.settings import ReceiptEmailSettings
from kiosk.testing.memory import ManualClock, MemoryCardReader, MemoryItemReader
from sync.mail import SmtpReceiptMailer
from tests.conftest import isolated_settings
from tests.net import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def settings(port: int) -> ReceiptEmailSettings:
    return ReceiptEmailSettings(smtp_host="127.0.0.1", smtp_port=port, starttls=False,
                                sender="kvittering@bibliotek.example")


def test_a_receipt_is_sent_as_plain_text(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    receipt = Receipt("Lånekvittering", (ReceiptLine("Kongens Fald", bold=True),
                                         ReceiptLine("  Afleveres senest 23. december")), "Tak for besøget")
    SmtpReceiptMailer(settings(port)).send("anna@example.org", receipt)
    [(recipients, raw)] = inbox.messages
    assert recipients == ["anna@example.org"]
    mail = message_from_bytes(raw)
    assert mail["Subject"] == "Lånekvittering" or "L=C3=A5nekvittering" in str(mail["Subject"])
    body = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert "Kongens Fald" in body and "Afleveres senest 23. december" in body


def test_no_server_is_a_clear_mail_error() -> None:
    mailer = SmtpReceiptMailer(settings(free_port()))
    with pytest.raises(MailError, match="did not take the receipt"):
        mailer.send("anna@example.org", Receipt("Lånekvittering", ()))
    assert not mailer.health().ok


def test_a_borrower_with_an_address_can_have_the_receipt_e_mailed(smtp: tuple[Inbox, int],
                                                                   tmp_path: Path) -> None:
    inbox, port = smtp
    base = isolated_settings(tmp_path)
    kiosk: Kiosk = build(base.model_copy(update={"receipt_email": settings(port)}), profile="demo",
                         clock=ManualClock(), workers=InlineWorkers(), log_to_console=False)
    try:
        kiosk.connect_devices()
        kiosk.session.start_visit(Purpose.BORROW)
        kiosk.core.drain()
        reader = kiosk.card_reader
        assert isinstance(reader, MemoryCardReader)
        reader.present(kiosk.demo_cards[0].credential)  # Anna has an e-mail address in the LMS
        kiosk.core.drain()
        kiosk.session.submit_pin(kiosk.demo_cards[0].pin)
        kiosk.core.drain()
        pad = kiosk.devices.item_reader
        assert isinstance(pad, MemoryItemReader)
        pad.place(*[t for t in kiosk.demo_tags if t.item_id == "5010000001"])
        kiosk.core.drain()
        kiosk.session.finish_visit()
        kiosk.core.drain()
        visit = kiosk.session.view.visit
        assert visit is not None
        assert visit.receipt_choices == (ReceiptChoice.PRINT, ReceiptChoice.EMAIL, ReceiptChoice.NONE)
        kiosk.session.choose_receipt(ReceiptChoice.EMAIL)
        kiosk.core.drain()
        assert (kiosk.session.view.screen, kiosk.session.view.message) == (Screen.START,
                                                                          Message.GOODBYE_EMAIL)
        [(recipients, raw)] = inbox.messages
        assert recipients == ["anna@example.org"] and b"Kongens Fald" in raw
    finally:
        kiosk.close()
