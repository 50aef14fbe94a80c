"""Fixtures for the SIP2 tests: an LMS emulator on a free port, and a raw-socket client for it."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.sip2.codec import Message, decode, encode, format_date, message
from sync.sip2.emulator import Quirks, Sip2Emulator
from sync.sip2.emulator_data import load_data
from tests.sync.sip2.scripted_acs import ScriptedAcs

INSTITUTION = "DK-775100"
ANNA, BO, BLOCKED, OWES, NO_CONSENT, BORROWER = (
    "2000000001", "2000000002", "2000000003", "2000000004", "2000000005", "2000000006")
PINS = {ANNA: "1234", BO: "0000", BLOCKED: "1357", OWES: "2222", NO_CONSENT: "3333", BORROWER: "4444"}
BOOK, BOOK2, DVD_SET, REFERENCE, LOST, MISSING = (
    "3000000001", "3000000002", "3000000003", "3000000004", "3000000005", "3000000006")
ON_HOLD_SHELF, RENTAL, OTHER_BRANCH, LENT_OVERDUE, LENT, HOLD_QUEUED = (
    "3000000007", "3000000008", "3000000009", "3000000010", "3000000011", "3000000012")

SEED = f"""
[library]
institution = "{INSTITUTION}"
name = "Testby Bibliotek"
location = "hovedbiblioteket"
currency = "DKK"

[rules]
loan_days = 28
max_renewals = 2
fee_limit = "200.00"
[rules.loan_days_by_media]
dvd = 7

[[patrons]]
id = "{ANNA}"
pin = "1234"
name = "Ærø, Åse Sørensen"
birth_date = 1980-01-02
category = "adult"
email = "aase@example.org"
language = "dan"

[[patrons]]
id = "{BO}"
pin = "0000"
name = "Hansen, Bo"
birth_date = 2013-05-06
category = "child"

[[patrons]]
id = "{BLOCKED}"
pin = "1357"
name = "Holm, Karen"
blocked = true
block_message = "Kortet er spærret / Card blocked"
fees = "50.00"

[[patrons]]
id = "{OWES}"
pin = "2222"
name = "Lund, Peter"
fees = "250.00"

[[patrons]]
id = "{NO_CONSENT}"
pin = "3333"
name = "Kristensen, Ole"
unstaffed_access = false

[[patrons]]
id = "{BORROWER}"
pin = "4444"
name = "Bak, Ida"
loans = [{{ item = "{LENT_OVERDUE}", due = 2020-01-15 }}, {{ item = "{LENT}", due = 2099-12-01 }}]

[[items]]
id = "{BOOK}"
title = "Blæksprutten – Ærø og Fanø"
author = "Ukendt"
media_type = "book"
call_number = "99.4"

[[items]]
id = "{BOOK2}"
title = "Kongens Fald"
media_type = "book"

[[items]]
id = "{DVD_SET}"
title = "Borgen | sæson 1"
media_type = "dvd"
parts_in_set = 3

[[items]]
id = "{REFERENCE}"
title = "Den Store Danske"
for_loan = false

[[items]]
id = "{LOST}"
title = "Tabt bog"
status = "lost"

[[items]]
id = "{MISSING}"
title = "Savnet bog"
status = "missing"

[[items]]
id = "{ON_HOLD_SHELF}"
title = "Barndom"
status = "on_hold_shelf"
holds = ["{BO}"]

[[items]]
id = "{RENTAL}"
title = "Druk"
media_type = "dvd"
fee = "10.00"

[[items]]
id = "{OTHER_BRANCH}"
title = "Den afrikanske farm"
owner = "DK-775160"

[[items]]
id = "{LENT_OVERDUE}"
title = "Erasmus Montanus"

[[items]]
id = "{LENT}"
title = "Jeppe på Bjerget"

[[items]]
id = "{HOLD_QUEUED}"
title = "Det forsømte forår"
holds = ["{BO}"]
"""


def now() -> str:
    return format_date(dt.datetime.now().astimezone())


class SipClient:
    """A raw SIP2 peer over a real socket: frames in, frames out, nothing clever."""

    def __init__(self, address: tuple[str, int], *, encoding: str = "cp850",
                 error_detection: bool = True, timeout: float = 5.0, sock: socket.socket | None = None
                 ) -> None:
        self.sock = sock or socket.create_connection(address, timeout=timeout)
        self.sock.settimeout(timeout)
        self.encoding = encoding
        self.error_detection = error_detection
        self.sequence = 0
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_raw(self, terminator: bytes = b"\r") -> bytes:
        """Bytes up to and including the next ``terminator`` (b"" if the server closed)."""
        while terminator not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                rest, self._buffer = self._buffer, b""
                return rest
            self._buffer += chunk
        index = self._buffer.index(terminator) + len(terminator)
        frame, self._buffer = self._buffer[:index], self._buffer[index:]
        return frame

    def exchange_raw(self, data: bytes) -> bytes:
        self.send_raw(data)
        return self.read_raw()

    def frame(self, request: Message) -> bytes:
        if not self.error_detection:
            return encode(request, encoding=self.encoding, error_detection=False)
        data = encode(request, encoding=self.encoding, sequence=self.sequence)
        self.sequence = (self.sequence + 1) % 10
        return data

    def request(self, request: Message) -> Message:
        return decode(self.exchange_raw(self.frame(request) + b"\r"), encoding=self.encoding)

    def is_closed(self, wait: float = 2.0) -> bool:
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(1) == b""
        except TimeoutError:
            return False
        except OSError:
            return True

    def login(self, user: str = "kiosk", password: str = "kiosk") -> Message:
        return self.request(login(user, password))


# ---------------------------------------------------------------- request builders

def login(user: str = "kiosk", password: str = "kiosk") -> Message:
    return message("93", {"uid_algorithm": "0", "pwd_algorithm": "0"},
                   [("CN", user), ("CO", password), ("CP", "kiosk-1")])


def sc_status() -> Message:
    return message("99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"})


def _opt(**fields: str | None) -> list[tuple[str, str]]:
    return [(code, value) for code, value in fields.items() if value is not None]


def patron_status(patron: str, pin: str | None = None) -> Message:
    return message("23", {"language": "000", "transaction_date": now()},
                   [("AO", INSTITUTION), ("AA", patron), ("AC", ""), *_opt(AD=pin)])


def patron_info(patron: str, summary: str = "", pin: str | None = None, start: str | None = None,
                end: str | None = None) -> Message:
    return message("63", {"language": "000", "transaction_date": now(), "summary": summary},
                   [("AO", INSTITUTION), ("AA", patron), ("AC", ""), *_opt(AD=pin, BP=start, BQ=end)])


def checkout(patron: str, item: str, *, pin: str | None = None, renewal_policy: str = "N",
             no_block: str = "N", date: str | None = None, nb_due: str = "", fee_ack: str | None = None,
             cancel: str | None = None) -> Message:
    return message("11", {"sc_renewal_policy": renewal_policy, "no_block": no_block,
                          "transaction_date": date or now(), "nb_due_date": nb_due},
                   [("AO", INSTITUTION), ("AA", patron), ("AB", item), ("AC", ""),
                    *_opt(AD=pin, BO=fee_ack, BI=cancel)])


def checkin(item: str, *, no_block: str = "N", date: str | None = None, return_date: str | None = None,
            cancel: str | None = None) -> Message:
    return message("09", {"no_block": no_block, "transaction_date": date or now(),
                          "return_date": return_date or now()},
                   [("AP", "kiosk-1"), ("AO", INSTITUTION), ("AB", item), ("AC", ""), *_opt(BI=cancel)])


def renew(patron: str, item: str, *, pin: str | None = None) -> Message:
    return message("29", {"third_party_allowed": "N", "no_block": "N", "transaction_date": now(),
                          "nb_due_date": ""},
                   [("AO", INSTITUTION), ("AA", patron), ("AB", item), ("AC", ""), *_opt(AD=pin)])


def renew_all(patron: str) -> Message:
    return message("65", {"transaction_date": now()}, [("AO", INSTITUTION), ("AA", patron), ("AC", "")])


def item_info(item: str) -> Message:
    return message("17", {"transaction_date": now()}, [("AO", INSTITUTION), ("AB", item), ("AC", "")])


def fee_paid(patron: str, amount: str, *, fee_id: str | None = None, currency: str = "DKK") -> Message:
    return message("37", {"transaction_date": now(), "fee_type": "01", "payment_type": "00",
                          "currency_type": currency},
                   [("BV", amount), ("AO", INSTITUTION), ("AA", patron), ("AC", ""), *_opt(CG=fee_id)])


def hold(mode: str, patron: str, item: str) -> Message:
    return message("15", {"hold_mode": mode, "transaction_date": now()},
                   [("AO", INSTITUTION), ("AA", patron), ("AB", item), ("AC", "")])


def end_session(patron: str) -> Message:
    return message("35", {"transaction_date": now()}, [("AO", INSTITUTION), ("AA", patron), ("AC", "")])


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "lms.toml"
    path.write_text(SEED, encoding="utf-8")
    return path


EmulatorFactory = Callable[..., Sip2Emulator]


@pytest.fixture
def make_emulator(seed_file: Path) -> Iterator[EmulatorFactory]:
    """Start emulators on 127.0.0.1, port 0 (seed: :data:`SEED` unless ``data`` is given)."""
    started: list[Sip2Emulator] = []

    def make(data: Any = None, **kwargs: Any) -> Sip2Emulator:
        kwargs.setdefault("quirks", Quirks())
        server = Sip2Emulator(data if data is not None else load_data(seed_file), host="127.0.0.1",
                              port=0, **kwargs)
        started.append(server.start())
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def emulator(make_emulator: EmulatorFactory) -> Sip2Emulator:
    return make_emulator()


@pytest.fixture
def connect(emulator: Sip2Emulator) -> Iterator[Callable[..., SipClient]]:
    """Open raw clients to :func:`emulator` (not logged in); all are closed at the end."""
    clients: list[SipClient] = []

    def open_client(server: Sip2Emulator | None = None, **kwargs: Any) -> SipClient:
        client = SipClient((server or emulator).address, **kwargs)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def sip(connect: Callable[..., SipClient]) -> SipClient:
    """A client logged in to :func:`emulator` with error detection on."""
    client = connect()
    assert client.login().fixed["ok"] == "1"
    return client


@pytest.fixture
def servers() -> Iterator[list[ScriptedAcs]]:
    """Scripted ACSs a test starts (``serve`` in test_client); all stopped at the end."""
    started: list[ScriptedAcs] = []
    yield started
    for server in started:
        server.stop()

