"""The LMS the settings ask for: SIP2 to a real server, the built-in SIP2 emulator (the demo), or the
in-memory LMS (tests); and the receipt mailer."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from kiosk.bootstrap.demo import read_seed
from kiosk.domain.errors import ConfigError
from kiosk.domain.ports import LibrarySystem, ReceiptMailer
from kiosk.settings import Settings
from kiosk.testing.memory_lms import MemoryLibrarySystem

log = logging.getLogger(__name__)


def library_system(settings: Settings, closers: list[Callable[[], None]]
                   ) -> tuple[LibrarySystem, dict[str, Any], str]:
    """The LMS adapter, the seed data it was built from (if any), and the library's ISIL (the SIP2
    institution, to tell its own items from other libraries')."""
    lms_settings = settings.lms
    account = lms_settings.sip2
    if lms_settings.kind == "memory":
        memory_seed = read_seed(lms_settings.seed)
        return MemoryLibrarySystem.from_seed(memory_seed), memory_seed, account.institution
    if lms_settings.kind == "fbs" or (lms_settings.kind == "emulator" and lms_settings.protocol == "fbs"):
        return _fbs(settings, closers)
    from sync.sip2.client import Sip2Client
    from sync.sip2.library import Sip2LibrarySystem

    seed: dict[str, Any] = {}
    if lms_settings.kind == "emulator":
        from sync.sip2.emulator import Sip2Emulator

        seed, data = _emulator_data(settings)
        password = secrets.token_hex(8)
        emulator = Sip2Emulator(data, host="127.0.0.1", port=0, user="kiosk", password=password)
        emulator.start()
        closers.append(emulator.stop)
        host, port = emulator.address
        account = account.model_copy(update={
            "host": host, "port": port, "user": "kiosk", "password": password, "tls": False,
            "telnet": False, "encoding": "cp850",
            "institution": account.institution or data.library.institution})
        log.info("built-in SIP2 LMS emulator listening on %s:%d", host, port)
    if account.plaintext_over_network:
        log.warning("SIP2 to %s without TLS (lms.sip2.allow_plaintext): the login password and every PIN "
                    "cross the network in clear", account.host)
    client = Sip2Client(account)
    closers.append(client.close)
    client.start_keepalive()
    return Sip2LibrarySystem(client, zone=settings.terminal.zone), seed, account.institution


def _fbs(settings: Settings, closers: list[Callable[[], None]]) -> tuple[LibrarySystem, dict[str, Any], str]:
    """FBS, or the built-in FBS emulator (``kind = "emulator"``, ``protocol = "fbs"``)."""
    from sync.fbs.client import FbsClient
    from sync.fbs.library import FbsLibrarySystem

    lms_settings, account = settings.lms, settings.lms.fbs
    seed: dict[str, Any] = {}
    if lms_settings.kind == "emulator":
        from sync.fbs.emulator import FbsEmulator

        seed, data = _emulator_data(settings)
        password = secrets.token_hex(8)
        emulator = FbsEmulator(data, login="kiosk", password=password).start()
        closers.append(emulator.stop)
        account = account.model_copy(update={
            "endpoint": emulator.url, "agency": data.library.institution, "login": "kiosk",
            "password": password, "location": account.location or data.library.location})
        log.info("built-in FBS emulator at %s", emulator.url)
    client = FbsClient(account)
    closers.append(client.close)
    return FbsLibrarySystem(client, zone=settings.terminal.zone, branch=account.branch), seed, account.agency


def _emulator_data(settings: Settings) -> tuple[dict[str, Any], Any]:
    """The built-in emulator's seed: as the demo reads it (cards, tags) and as the emulator does."""
    from sync.sip2.emulator_data import load_data

    path = settings.lms.seed
    assert path is not None  # the settings require it for kind "emulator"
    try:
        return read_seed(path), load_data(path)
    except ValueError as exc:
        raise ConfigError(f"lms.seed: {exc}") from None


def receipt_mailer(settings: Settings) -> ReceiptMailer | None:
    if not settings.receipt_email.smtp_host:
        return None
    from sync.mail import SmtpReceiptMailer

    return SmtpReceiptMailer(settings.receipt_email)
