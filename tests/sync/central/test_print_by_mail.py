"""Documents sent to print by e-mail, over real TCP: smtplib hands a mail to the central service's
listener, the documents are queued under one release code, and the reply (from the null sender) is
delivered to a real SMTP server standing in for the municipality's. No relay, no mail loops."""

from __future__ import annotations

import logging
import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kiosk.printing.pricing import PageInk
from sync.central.client import CentralClient
from sync.central.server.alarms import SmtpSettings
from sync.central.server.mail_in import MailInSettings, SmtpReplies
from sync.central.server.office import OfficeConverter
from sync.central.service import CentralService
from tests.net import free_port
from tests.printing.test_pricing import A4, BLACK_TEXT, RED, pdf, png
from tests.sync.central.conftest import BRANCH, TERMINAL, TOKEN
from tests.sync.central.office_files import docx

PRINT = "print@library.example"
PATRON = "anna@example.org"


@dataclass(frozen=True)
class Delivered:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def body(self) -> str:
        return str(self.message.get_content()).replace("\r\n", "\n")


class MunicipalMailServer:
    """What the replies are handed to: an SMTP server that keeps what it is given."""

    def __init__(self) -> None:
        self.delivered: list[Delivered] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10.0)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(bytes(envelope.content), policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.delivered.append(Delivered(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 OK"

    def settings(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, sender="alarms@library.example")

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def mail_server() -> Iterator[MunicipalMailServer]:
    server = MunicipalMailServer()
    server.start()
    yield server
    server.stop()


Started = tuple[CentralService, CentralClient, MailInSettings]


@pytest.fixture
def make_service(tmp_path: Path, mail_server: MunicipalMailServer) -> Iterator[Callable[..., Started]]:
    """Central services taking mail for PRINT, replying through ``outgoing`` (default: the mail
    server fixture); ``**limits``: other settings of the listener."""
    started: list[tuple[CentralService, CentralClient]] = []

    def make(outgoing: SmtpSettings | None = None, **limits: Any) -> Started:
        settings = MailInSettings(port=free_port(), address=PRINT, **limits)
        service = CentralService(tmp_path / f"central-{len(started)}.db", mail_in=settings,
                                 replies=SmtpReplies(outgoing or mail_server.settings()),
                                 office=OfficeConverter.installed())
        service.enrol(TERMINAL, BRANCH, TOKEN)
        service.start()
        client = CentralClient(service.url, TOKEN, backoff=0.01, timeout_s=(2, 5))
        started.append((service, client))
        return service, client, settings

    yield make
    for service, client in started:
        client.close()
        service.stop()


@pytest.fixture
def service(make_service: Callable[..., Started]) -> Started:
    return make_service()


def mail(*attachments: tuple[str, bytes], to: str = PRINT, text: str = "Print tak", logo: bool = False,
         **headers: str) -> EmailMessage:
    """A mail from PATRON with these attachments; ``logo``: an HTML text showing a signature's logo."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = PATRON, to, "Print"
    message["Message-ID"] = "<42.1765000000@example.org>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    if logo:
        message.add_alternative(f'<p>{text}</p><img src="cid:logo@example.org">', subtype="html")
        html = message.get_payload()[1]  # type: ignore[index]
        html.add_related(png(), "image", "png", cid="<logo@example.org>", filename="logo.png",
                         disposition="inline")
    for name, data in attachments:
        maintype, subtype = _types.get(name.rsplit(".", 1)[-1], ("application", "octet-stream"))
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


_types = {"pdf": ("application", "pdf"), "png": ("image", "png"),
          "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")}


def send(settings: MailInSettings, message: EmailMessage, *, envelope_from: str | None = None,
         to: str = PRINT) -> None:
    with smtplib.SMTP(settings.host, settings.port, timeout=60) as smtp:
        smtp.send_message(message, from_addr=message["From"] if envelope_from is None else envelope_from,
                          to_addrs=[to])


def code_in(reply: Delivered) -> str:
    found = re.search(r"kiosken: (\d{3}) (\d{3})", reply.body)
    assert found, reply.body
    return found.group(1) + found.group(2)


def test_a_mailed_pdf_and_word_document_are_queued_under_one_code_and_the_reply_gives_it(
        service: Started, mail_server: MunicipalMailServer) -> None:
    central, client, settings = service
    send(settings, mail(("Ansøgning.pdf", pdf((A4, BLACK_TEXT), (A4, RED))),
                        ("Referat.docx", docx(("Referat", ""))), logo=True))

    (reply,) = mail_server.delivered  # the answer to DATA comes after the reply is handed over
    code = code_in(reply)
    jobs = client.print_jobs(central.print_code_owner(code))
    assert [(j.job.document_name, j.job.pages, j.job.colour) for j in jobs] == [
        ("Ansøgning.pdf", 2, True), ("Referat.docx", 1, False)]  # the signature's logo is no document
    assert client.print_pages(jobs[0].job.job_id) == (PageInk(False, "A4"), PageInk(True, "A4"))
    assert (reply.mail_from, reply.rcpt_tos, reply.message["To"], reply.message["From"]) == (
        "<>", (PATRON,), PATRON, PRINT)  # from the null sender: a bounce of the reply comes back to nobody
    assert reply.message["Auto-Submitted"] == "auto-replied"
    assert reply.message["In-Reply-To"] == "<42.1765000000@example.org>"
    assert "- Ansøgning.pdf\n- Referat.docx" in reply.body
    assert "venter i 24 timer" in reply.body and "waits 24 hours" in reply.body
    assert f"at the kiosk: {code[:3]} {code[3:]}" in reply.body


def test_a_mail_without_attachments_gets_a_reply_saying_so_and_queues_nothing(
        service: Started, mail_server: MunicipalMailServer) -> None:
    _central, _client, settings = service
    send(settings, mail(text="Kan I printe min billet?"))
    (reply,) = mail_server.delivered
    assert reply.message["Subject"] == "Ikke sendt til print / Not sent to print"
    assert "Vi fandt ingen vedhæftede filer at printe" in reply.body
    assert "We found no attachment to print in your mail" in reply.body
    assert "kiosken:" not in reply.body


def test_a_foreign_recipient_is_refused_with_550_so_the_listener_relays_nothing(
        service: Started, mail_server: MunicipalMailServer) -> None:
    _central, _client, settings = service
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(settings, mail(("brev.pdf", pdf((A4, BLACK_TEXT))), to="victim@elsewhere.example"),
             to="victim@elsewhere.example")
    assert refused.value.recipients["victim@elsewhere.example"][0] == 550
    assert mail_server.delivered == []


def test_the_print_address_is_taken_in_any_case(service: Started, mail_server: MunicipalMailServer) -> None:
    _central, _client, settings = service
    send(settings, mail(("brev.pdf", pdf((A4, BLACK_TEXT)))), to="Print@Library.Example")
    (reply,) = mail_server.delivered
    assert reply.message["Subject"] == "Sendt til print / Sent to print"


def test_a_refused_attachment_is_named_in_the_reply_and_the_others_still_go(
        service: Started, mail_server: MunicipalMailServer) -> None:
    central, client, settings = service
    send(settings, mail(("arkiv.zip", b"PK\x05\x06" + bytes(18)), ("brev.pdf", pdf((A4, BLACK_TEXT)))))
    (reply,) = mail_server.delivered
    assert [j.job.document_name for j in client.print_jobs(central.print_code_owner(code_in(reply)))] == [
        "brev.pdf"]
    assert "Kunne ikke printes:\n- arkiv.zip: send en PDF, et billede" in reply.body
    assert "Could not be printed:\n- arkiv.zip: send a PDF, a picture" in reply.body


def test_too_many_attachments_queue_nothing_and_the_reply_says_how_many_may_come(
        make_service: Callable[..., Started], mail_server: MunicipalMailServer) -> None:
    _central, _client, settings = make_service(max_documents=2)
    page = pdf((A4, BLACK_TEXT))
    send(settings, mail(("1.pdf", page), ("2.pdf", page), ("3.pdf", page)))
    (reply,) = mail_server.delivered
    assert "send at most 2 in one mail. Nothing was sent to print." in reply.body
    assert "kiosken:" not in reply.body


def test_a_message_over_the_size_limit_is_refused_with_552(
        make_service: Callable[..., Started], mail_server: MunicipalMailServer) -> None:
    _central, _client, settings = make_service(max_message_bytes=4096)
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(settings, mail(("stor.pdf", os.urandom(8192))))
    assert refused.value.smtp_code == 552
    assert mail_server.delivered == []


@pytest.mark.parametrize(("envelope_from", "headers"), [
    ("", {}),  # the null sender: a bounce or another auto-reply
    (PRINT, {}),  # our own address: a loop
    ("MAILER-DAEMON@mx.example.org", {}),
    (PATRON, {"Auto_Submitted": "auto-replied"}),  # someone's out-of-office answer
    (PATRON, {"Precedence": "bulk"}),
    (PATRON, {"List_Id": "<readers.library.example>"}),
])
def test_no_reply_goes_to_a_bounce_an_automatic_message_or_the_print_address_itself(
        service: Started, mail_server: MunicipalMailServer, envelope_from: str,
        headers: dict[str, str]) -> None:
    _central, _client, settings = service
    send(settings, mail(("brev.pdf", pdf((A4, BLACK_TEXT))), **headers), envelope_from=envelope_from)
    assert mail_server.delivered == []


def test_a_reply_that_cannot_be_sent_leaves_the_jobs_queued_and_the_mail_taken(
        make_service: Callable[..., Started], caplog: pytest.LogCaptureFixture) -> None:
    nobody = SmtpSettings(host="127.0.0.1", port=free_port(), sender=PRINT)
    _central, _client, settings = make_service(nobody)
    caplog.set_level(logging.DEBUG)  # everything the service logs at any level, the SMTP library's too
    send(settings, mail(("brev.pdf", pdf((A4, BLACK_TEXT)))))  # 250: the relay does not send it again
    assert "mail in: 1 document(s) queued, 0 refused" in caplog.text
    assert "the reply could not be sent (ConnectionRefusedError)" in caplog.text
    assert PATRON not in caplog.text


def test_a_connection_from_outside_the_relays_is_refused(
        make_service: Callable[..., Started], mail_server: MunicipalMailServer) -> None:
    _central, _client, settings = make_service(relays=("10.20.30.0/24",))
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(settings, mail(("brev.pdf", pdf((A4, BLACK_TEXT)))))
    assert refused.value.smtp_code == 554


def test_the_central_command_takes_mail_for_the_print_address(
        tmp_path: Path, mail_server: MunicipalMailServer) -> None:
    outgoing = tmp_path / "reply-smtp.toml"
    outgoing.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {mail_server.port}\nsender = "{PRINT}"\n',
                        encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "kiosk.cli.main", "central", "--port", "0", "--db",
               str(tmp_path / "central.db"), "--mail-in", f"127.0.0.1:{port}", "--print-address", PRINT,
               "--reply-smtp", str(outgoing)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        _wait_for(lambda: any(line.startswith("listening on") for line in lines), 60, lines)
        send(MailInSettings(port=port, address=PRINT), mail(("brev.pdf", pdf((A4, BLACK_TEXT)))))
        (reply,) = mail_server.delivered
        assert len(code_in(reply)) == 6
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize(("arguments", "said"), [
    (["--mail-in", "127.0.0.1:2525"], "--mail-in needs --print-address"),
    (["--mail-in", "127.0.0.1:2525", "--print-address", PRINT], "needs an SMTP server for the replies"),
    (["--mail-in", "2525", "--print-address", PRINT], "write HOST:PORT"),
    (["--mail-in", "127.0.0.1:2525", "--print-address", "print"], "not an e-mail address"),
    (["--print-address", PRINT], "go with --mail-in"),
])
def test_the_central_command_says_what_mail_in_lacks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], said: str) -> None:
    from kiosk.cli.main import main

    assert main(["central", "--port", "0", "--db", str(tmp_path / "central.db"), *arguments]) == 2
    assert said in capsys.readouterr().err


def _wait_for(done: Callable[[], bool], seconds: float, lines: list[str]) -> None:
    event = threading.Event()
    for _ in range(int(seconds * 10)):
        if done():
            return
        event.wait(0.1)
    raise AssertionError(f"not listening after {seconds} s: {''.join(lines)}")
