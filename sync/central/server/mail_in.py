"""Documents sent to print by e-mail: an SMTP listener (aiosmtpd) for one address, say
``print@library.example``. Each attachment of a mail to it (a PDF, a picture, an office document)
becomes a print job, all of them under one new release code, and the sender gets a reply with the
code and how long the prints wait; a mail with nothing printable gets a reply that says so.

It sits behind the municipality's mail server, never on the internet: the MX for the library's
domain stays the municipality's, which does what a mail server facing the internet must (TLS,
SPF/DKIM/DMARC, spam and virus filtering, rate limits) and routes the print address to
``--mail-in HOST:PORT`` on the internal network (on Exchange a send connector for an internal
subdomain or a mail-flow rule redirecting the address; on Postfix a ``transport_maps`` line such as
``print@library.example smtp:[10.0.0.5]:2525``). ``relays`` restricts who may connect to it.

What it accepts and what it answers:

- RCPT: only the print address (any case); every other recipient is refused with 550, so the
  listener never relays.
- SIZE: a message larger than ``max_message_bytes`` is refused with 552 (aiosmtpd's SIZE limit).
- DATA is answered after the documents are queued and the reply is sent, so a 250 means they are
  in the inbox. A relay waits ten minutes for that answer (RFC 5321 4.5.3.2.6); ``max_documents``
  (5) office documents at the converter's time limit (60 s) stay under it. An unexpected failure
  is answered 451, and the relay tries again later; a reply that cannot be sent is logged, and the
  mail still taken (its jobs are queued).
- More than ``max_documents`` attachments: nothing is queued and the reply says so.
- The reply (Danish, then English) follows RFC 3834: it goes to the envelope sender, from the null
  sender ``<>``, marked ``Auto-Submitted: auto-replied``; there is none to the null sender, to the
  print address itself, to mailer daemons and no-reply addresses, nor to a message that is itself
  automatic (``Auto-Submitted`` other than ``no``, ``Precedence: bulk/junk/list``, ``List-Id``).
  So two auto-responders cannot keep each other busy. The outgoing server is configured as the
  alarms' is (an ``[smtp]`` table).

The sender's address is neither stored nor logged: the jobs belong to the release code alone, and
the address lives only as long as the reply takes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ipaddress
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Protocol

from aiosmtpd.controller import Controller
from pydantic import ConfigDict, Field, field_validator

from kiosk.domain.errors import ConfigError
from kiosk.printing.pricing import CannotPrice
from kiosk.settings.base import Section, validate
from kiosk.settings.tomlfile import read_toml
from sync.central.server.alarms import SmtpSettings
from sync.central.server.notify import deliver
from sync.central.server.print_analysis import NotAPrintableDocument
from sync.central.server.print_inbox import PrintInbox
from sync.central.server.web.texts import refusal, translate

log = logging.getLogger("sync.central.mail_in")
# aiosmtpd logs every conversation at INFO (the sender's address in "sender: ..." and "MAIL FROM"):
# never in the service's log, whatever level the rest logs at.
logging.getLogger("mail.log").setLevel(logging.WARNING)

SESSION_TIMEOUT_S = 900.0  # longer than a message's processing: aiosmtpd closes idle sessions
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# RFC 3834 section 2 names these as senders not to answer (no-reply added: nobody reads it).
_AUTOMATIC_SENDERS = re.compile(
    r"(mailer-daemon|no-?reply|do-?not-?reply|owner-.*|.*-request|listserv|majordomo)@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")


class MailInSettings(Section):
    """The listener: where it listens, its one address, and its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    address: str  # the print address, e.g. print@library.example
    max_message_bytes: int = Field(default=35 * 1024 * 1024, ge=1024)
    max_documents: int = Field(default=5, ge=1, le=20)
    relays: tuple[str, ...] = ()  # networks that may connect (the municipality's mail servers); (): any

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.fullmatch(value.strip()):
            raise ValueError("not an e-mail address (print@library.example)")
        return value.strip()

    @field_validator("relays")
    @classmethod
    def _relays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an IP address or network (10.0.0.5, "
                                 "10.0.0.0/24)") from None
        return value


def mail_in_settings(listen: str, address: str, relays: tuple[str, ...] = ()) -> MailInSettings:
    """The settings from the command line (``HOST:PORT``, the address); :class:`ConfigError` in words."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--mail-in: write HOST:PORT, e.g. 10.0.0.5:2525 (got {listen!r})")
    return validate(MailInSettings, {"host": host.strip("[]"), "port": int(port), "address": address,
                                     "relays": relays}, "--mail-in")


def load_reply_smtp(path: Path) -> SmtpSettings:
    """The ``[smtp]`` table of a TOML file (the keys of the alarms file's): the outgoing server. Its
    ``sender`` is not used here: replies come from the print address, from the null sender."""
    table = read_toml(path, "mail").get("smtp")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: an [smtp] table is needed (host, port, starttls, user, password, sender)")
    return validate(SmtpSettings, table, path, prefix="smtp.")


class ReplyMailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the reply to the outgoing mail server, from the null sender; raise OSError or
        :class:`smtplib.SMTPException` when it does not take it."""


class SmtpReplies:
    """Replies through the municipality's outgoing SMTP server."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send(self, message: EmailMessage) -> None:
        deliver(self._settings, message, envelope_sender="")


@dataclass(frozen=True)
class Outcome:
    """What became of one mail: the release code (empty when nothing was queued), the names of the
    documents queued, and the refused ones with why."""

    code: str
    queued: tuple[str, ...]
    refused: tuple[tuple[str, NotAPrintableDocument | CannotPrice], ...]
    too_many: int = 0  # the number of attachments, when there were too many to take any


class PrintByMail:
    """The SMTP handler (aiosmtpd's hooks ``handle_MAIL``, ``handle_RCPT``, ``handle_DATA``)."""

    def __init__(self, settings: MailInSettings, inbox: PrintInbox, replies: ReplyMailer) -> None:
        self._settings, self._inbox, self._replies = settings, inbox, replies
        self._relays = tuple(ipaddress.ip_network(n, strict=False) for n in settings.relays)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if self._relays and not self._from_relay(session.peer):
            log.warning("mail in: a connection from %s refused (not a relay)", session.peer[0])
            return "554 5.7.1 Mail is not accepted from this host"
        envelope.mail_from, envelope.mail_options = address, list(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.strip().lower() != self._settings.address.lower():
            return "550 5.1.1 No such recipient here: this address takes documents to print only"
        if not envelope.rcpt_tos:
            envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        loop = asyncio.get_running_loop()
        try:
            sender = str(envelope.mail_from or "").removeprefix("<").removesuffix(">")  # "<>": null sender
            outcome = await loop.run_in_executor(None, self.take, sender, bytes(envelope.content))
        except Exception:
            log.exception("mail in: a message could not be taken")
            return "451 4.3.0 The documents could not be taken just now; try again later"
        return f"250 2.0.0 {len(outcome.queued)} document(s) sent to print"

    def _from_relay(self, peer: Any) -> bool:
        try:
            host = ipaddress.ip_address(str(peer[0]))
        except (ValueError, TypeError, IndexError):
            return False
        return any(host in network for network in self._relays)

    def take(self, sender: str, raw: bytes) -> Outcome:
        """Queue the documents of one message and answer its sender (when a reply is due)."""
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        found = attachments(message)
        if len(found) > self._settings.max_documents:
            outcome = Outcome("", (), (), too_many=len(found))
        else:
            outcome = self._queue(found)
        log.info("mail in: %d document(s) queued, %d refused%s", len(outcome.queued), len(outcome.refused),
                 f" ({outcome.too_many} attachments: too many)" if outcome.too_many else "")
        if self._reply_due(sender, message):
            try:
                self._replies.send(self._reply(sender, message, outcome))
            except Exception as exc:  # the jobs are queued: the relay must not send them again
                log.warning("mail in: the reply could not be sent (%s)", type(exc).__name__)
        return outcome

    def _queue(self, found: list[tuple[str, bytes]]) -> Outcome:
        code, queued, refused = "", [], []
        for name, data in found:
            try:
                sent = self._inbox.send(data, name, code=code)
            except (NotAPrintableDocument, CannotPrice) as exc:
                refused.append((name, exc))
            else:
                code = sent.code
                queued.append(name)
        return Outcome(code, tuple(queued), tuple(refused))

    def _reply_due(self, sender: str, message: EmailMessage) -> bool:
        if not sender or not _ADDRESS.fullmatch(sender) or sender.lower() == self._settings.address.lower():
            return False
        if _AUTOMATIC_SENDERS.match(sender):
            return False
        automatic = str(message.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
        precedence = str(message.get("Precedence", "")).strip().lower()
        return automatic == "no" and precedence not in {"bulk", "junk", "list"} and "List-Id" not in message

    def _reply(self, sender: str, original: EmailMessage, outcome: Outcome) -> EmailMessage:
        reply = EmailMessage()
        reply["From"] = self._settings.address
        reply["To"] = sender
        subject = "mail_subject_sent" if outcome.queued else "mail_subject_not_sent"
        reply["Subject"] = " / ".join(translate(subject, lang) for lang in ("da", "en"))
        reply["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
        reply["Message-ID"] = email.utils.make_msgid(domain=self._settings.address.rsplit("@", 1)[1])
        reply["Auto-Submitted"] = "auto-replied"
        reply["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office answer to this
        original_id = str(original.get("Message-ID", "")).strip()
        if _MESSAGE_ID.fullmatch(original_id):
            reply["In-Reply-To"] = reply["References"] = original_id
        hours = round(self._inbox.keep.total_seconds() / 3600)
        office = self._inbox.takes_office_documents
        reply.set_content("\n\n-----\n\n".join(reply_text(outcome, lang, hours, self._settings.max_documents,
                                                           office) for lang in ("da", "en")))
        return reply


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """The documents a message carries: every part with a file name, but not the pictures its text
    shows (a signature's logo: inline, with a Content-ID), in order."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if not name or (part.get("Content-ID") and part.get_content_disposition() != "attachment"):
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            found.append((_printable_name(name), data))
    return found


def _printable_name(name: str) -> str:
    return "".join(c for c in name if c.isprintable()).strip()[:120] or "document"


def reply_text(outcome: Outcome, lang: str, hours: int, most: int, office: bool) -> str:
    """The reply's text in one language."""
    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    kinds = t("mail_kinds" if office else "mail_kinds_no_office")
    if outcome.too_many:
        lines = [t("mail_too_many", count=outcome.too_many, most=most), kinds]
    elif not outcome.queued and not outcome.refused:
        lines = [t("mail_nothing"), kinds]
    else:
        lines = []
        if outcome.queued:
            lines += [t("mail_code", code=f"{outcome.code[:3]} {outcome.code[3:]}"),
                      t("mail_queued") + "\n" + "\n".join(f"- {name}" for name in outcome.queued)]
        if outcome.refused:
            lines.append(t("mail_refused") + "\n" + "\n".join(
                f"- {name}: {_why(exc, lang)}" for name, exc in outcome.refused))
        lines.append(t("mail_keep", hours=hours) if outcome.queued else kinds)
    return "\n\n".join([*lines, t("mail_automatic")]) + "\n"


def _why(refused: NotAPrintableDocument | CannotPrice, lang: str) -> str:
    reason = refused.reason if isinstance(refused, NotAPrintableDocument) else ""
    return refusal(reason, str(refused), lang)


class MailIn:
    """The listener, on a thread of its own (aiosmtpd's controller): :meth:`start`, :meth:`stop`."""

    def __init__(self, settings: MailInSettings, inbox: PrintInbox, replies: ReplyMailer) -> None:
        self.settings = settings
        self.handler = PrintByMail(settings, inbox, replies)
        self._controller = Controller(self.handler, hostname=settings.host, port=settings.port,
                                      ready_timeout=10.0, data_size_limit=settings.max_message_bytes,
                                      timeout=SESSION_TIMEOUT_S, ident="library-kiosk print by mail")
        self._listening = False

    def start(self) -> None:
        """Listen; OSError naming the address when it cannot."""
        try:
            self._controller.start()
        except OSError as exc:
            where = f"{self.settings.host}:{self.settings.port}"
            raise OSError(f"mail in on {where}: {exc.strerror or exc}") from None
        self._listening = True
        log.info("taking documents to print by e-mail for %s on %s:%d", self.settings.address,
                 self.settings.host, self.settings.port)

    def stop(self) -> None:
        """Stop listening (nothing if it was not listening)."""
        if self._listening:
            self._listening = False
            self._controller.stop()
