"""An independent SIP2 ACS (server) for tests, built on PyPI ``pysip2`` 0.1.0.

Our own SIP2 client must work against a server that someone else wrote. This module wires pysip2's
typed codec and AnyIO server to a tiny in-memory library (patrons, items, loans) and runs it over
real TCP::

    python tests/sync/sip2/pysip2_peer.py --port 0 [--host 127.0.0.1] [--encoding cp850|utf-8]
        [--error-detection auto|required] [--idle-timeout SECONDS] [--log-level WARNING]

It prints ``listening on HOST:PORT`` (flushed) once bound and serves until SIGTERM or SIGINT,
then exits 0. Log lines (pysip2 names each connection it closes, and why) go to stderr. It imports
nothing from the kiosk, so it shares no code, and no mistakes, with the client under test.

What it implements (state is shared by every connection, and starts from :data:`SEED`):

* 93 login: ``kiosk``/``secret`` gives ``941``; anything else ``940`` and the connection closes. Login
  is required: any other message first closes the connection (as Koha does on RAW).
* 99: pysip2's own 98 (online, checkin/checkout ok, offline ok, timeout 030, retries 003, BX from the
  registered handlers).
* 23 / 63: BL Y for a known patron, CQ Y only when AD was sent and is the PIN; patron status, BH/BV
  fees, and in 64 the counts, AU charged items (summary position 2, honouring BP/BQ), AV fine items
  (position 3), BE e-mail.
* 11: creates a loan (28 days, due 23:59 local, AH in SIP format) with desensitize Y. Refused
  (ok 0, desensitize N, the reason in AF) for an unknown patron or item, a wrong PIN (when AD is
  sent), charge privileges denied, an item not for loan, an item on loan to someone else; an item
  already on loan to the same patron is renewed if SC renewal policy is Y. With no block Y those
  blocks are skipped (only an unknown patron or item, or a wrong PIN, is refused) and a non-blank
  nb due date becomes the due date.
* 09: ends the loan (ok 1, resensitize Y, AA the borrower, CL sort bin ``A1``); an item that was not
  on loan is still ok 1; an unknown item is ok 0 with alert Y.
* 17: circulation status 04 (charged, with AH) or 03 (available); 01 with an AF for an unknown item.
* 29: renews a loan of that patron (new AH); refused otherwise. 35: end session Y. 37: fee paid Y
  when the amount does not exceed the fee owed, and the fee goes down.
* Everything else (01, 15, 19, 25, 65) gets pysip2's spec-valid decline with AF
  ``COMMAND NOT SUPPORTED``.

pysip2 quirks, and what this peer does about them:

1. **Blank nb due date.** pysip2 checks the 11/29 nb due date against ``[0-9]{8}[A-Z ]{4}[0-9]{6}``,
   so the 18 blanks every real client sends for an online checkout fail, and it *closes the
   connection*. Worked around, as FOLIO had to (edge-sip2 NEWS 2.0.1, SIP2-95): 11 and 29 are
   decoded with models whose nb due date also accepts 18 blanks (:func:`accept_blank_nb_due_date`).
2. **CRLF from a client.** pysip2 splits frames on CR only, so the LF of a CRLF starts the next frame
   (``unknown command '\\n9'``) and every later request is dropped without a reply. Worked around:
   a leading LF is dropped from each frame, as Koha and Evergreen do; an empty line is ignored.
3. **Not worked around** (the client must cope, or they are what a strict ACS does):

   * A request that pysip2 cannot decode *closes the connection* instead of answering 96:
     a missing required field (23 needs AO, AA, AC and AD, even empty; 11 needs AC; 09 needs AP
     and AC), a repeated non-repeatable field, ``AY`` without ``AZ``, a fixed field that breaks its
     pattern (transaction and return dates must be real dates, not blanks; 63 summary only ``Y`` or
     blank; language three digits), a NUL byte, a frame over 8192 bytes.
   * An unknown command code gets no reply at all: the client waits for its timeout.
   * Unknown field codes in a request are silently dropped (it keeps only the codes it models).
   * A bad checksum gets ``96AZFEF6``; a 97 replays the last response with its *original* AY
     (Koha and Evergreen re-sequence it as AY0); a repeat of the last request with the same AY and
     AZ replays the last response without handling it again.
   * Responses carry AY/AZ only when the request did (``--error-detection required`` answers 96 to
     a request without them).
   * ``--idle-timeout`` makes it drop idle connections, to exercise the client's reconnect.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import signal
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import anyio
from msgspec import Meta
from pysip2 import (
    CHECKIN,
    CHECKOUT,
    END_PATRON_SESSION,
    FEE_PAID,
    ITEM_INFORMATION,
    LOGIN,
    PATRON_INFORMATION,
    PATRON_STATUS,
    RENEW,
    SC_STATUS,
    ACSStatusResponse,
    CheckinRequest,
    CheckinResponse,
    CheckoutRequest,
    CheckoutResponse,
    EndPatronSessionRequest,
    EndSessionResponse,
    FeePaidRequest,
    FeePaidResponse,
    ItemInformationRequest,
    ItemInformationResponse,
    LoginRequest,
    LoginResponse,
    PatronInformationRequest,
    PatronInformationResponse,
    PatronStatusRequest,
    PatronStatusResponse,
    RenewRequest,
    RenewResponse,
    RequestContext,
    SCStatusRequest,
    SIP2Server,
)
from pysip2 import models as pysip2_models

Context = RequestContext[Any, Any]

# --- seed data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedPatron:
    barcode: str
    pin: str
    name: str
    charge_denied: bool = False
    fee: str = "0.00"
    email: str | None = None


@dataclass(frozen=True)
class SeedItem:
    barcode: str
    title: str
    location: str = "MAIN"
    loanable: bool = True
    on_loan_to: str | None = None


@dataclass(frozen=True)
class Seed:
    institution_id: str
    library_name: str
    login_user: str
    login_password: str
    currency: str
    patrons: tuple[SeedPatron, ...]
    items: tuple[SeedItem, ...]

    def patron(self, barcode: str) -> SeedPatron | None:
        return next((p for p in self.patrons if p.barcode == barcode), None)

    def item(self, barcode: str) -> SeedItem | None:
        return next((i for i in self.items if i.barcode == barcode), None)


ALICE = SeedPatron("23000000000001", "1234", "Alice Example", email="alice@example.org")
SOREN = SeedPatron("23000000000002", "4321", "Søren Ærø Jørgensen")
BLOCKED = SeedPatron("23000000000003", "0000", "Bo Blocked", charge_denied=True, fee="125.00")
MOBY_DICK = SeedItem("39000000000011", "Moby Dick")
KONGENS_FALD = SeedItem("39000000000012", "Kongens Fald")
AEBLET = SeedItem("39000000000013", "Æblet og æsken", on_loan_to=SOREN.barcode)
REFERENCE = SeedItem("39000000000014", "Den Store Danske (opslagsværk)", loanable=False)
UNKNOWN_BARCODE = "39999999999999"

SEED = Seed(
    institution_id="MAIN",
    library_name="Testby Bibliotek",
    login_user="kiosk",
    login_password="secret",
    currency="DKK",
    patrons=(ALICE, SOREN, BLOCKED),
    items=(MOBY_DICK, KONGENS_FALD, AEBLET, REFERENCE),
)

LOAN_DAYS = 28
SORT_BIN = "A1"
MEDIA_BOOK = "001"
BLANK_DATE = " " * 18

# --- pysip2 workarounds -----------------------------------------------------------------------

NbDueDate = Annotated[str, Meta(pattern=r"^(?:[0-9]{8}[A-Z ]{4}[0-9]{6}| {18})$",
                               min_length=18, max_length=18)]


class CheckoutRequestBlankNbDueDate(CheckoutRequest, frozen=True, kw_only=True):
    """A 11 whose nb due date may be 18 blanks (online checkout)."""

    nb_due_date: NbDueDate


class RenewRequestBlankNbDueDate(RenewRequest, frozen=True, kw_only=True):
    """A 29 whose nb due date may be 18 blanks (online renewal)."""

    nb_due_date: NbDueDate


def accept_blank_nb_due_date() -> None:
    """Make pysip2 decode 11 and 29 with the models above (it looks layouts up in these tables)."""
    for command, model in (("11", CheckoutRequestBlankNbDueDate), ("29", RenewRequestBlankNbDueDate)):
        spec = dataclasses.replace(pysip2_models.MESSAGE_SPECS_BY_ID[command], struct_type=model)
        pysip2_models.MESSAGE_SPECS_BY_ID[command] = spec
        pysip2_models.MESSAGE_SPECS_BY_TYPE[model] = spec


class TolerantServer(SIP2Server):
    """pysip2's server, minus the LF of a client's CRLF (Koha and Evergreen strip it too)."""

    async def _process_frame(self, stream: Any, state: Any, frame: bytes) -> None:
        frame = frame.lstrip(b"\n")
        if frame == b"\r":
            return
        await super()._process_frame(stream, state, frame)


# --- the library ------------------------------------------------------------------------------


def sip_date(when: dt.datetime) -> str:
    return when.strftime("%Y%m%d") + "    " + when.strftime("%H%M%S")


def now_18() -> str:
    return sip_date(dt.datetime.now())


def due_date(no_block: str, nb_due_date: str) -> str:
    if no_block == "Y" and nb_due_date.strip():
        return nb_due_date
    due = dt.datetime.now() + dt.timedelta(days=LOAN_DAYS)
    return sip_date(due.replace(hour=23, minute=59, second=0, microsecond=0))


class Library:
    """Patrons, items and loans, shared by all connections (handlers run on the one event loop)."""

    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.loans: dict[str, tuple[str, str]] = {  # item -> (patron, due date)
            item.barcode: (item.on_loan_to, due_date("N", BLANK_DATE))
            for item in seed.items if item.on_loan_to
        }
        self.fees = {patron.barcode: Decimal(patron.fee) for patron in seed.patrons}

    def loans_of(self, patron: str) -> list[str]:
        return [item for item, (borrower, _) in self.loans.items() if borrower == patron]

    def patron_status(self, patron: SeedPatron | None) -> str:
        if patron is None:
            return "YYYY" + " " * 10
        return ("Y" if patron.charge_denied else " ") + " " * 9 + (
            "Y" if self.fees[patron.barcode] > 0 else " ") + " " * 3


def install(server: SIP2Server, library: Library) -> None:
    """Register the handlers of every message the peer implements."""
    seed = library.seed

    @server.route(LOGIN)
    async def login(req: LoginRequest, ctx: Context) -> LoginResponse:
        ok = req.login_user_id == seed.login_user and req.login_password == seed.login_password
        return LoginResponse(ok="1" if ok else "0")

    @server.route(SC_STATUS)
    async def sc_status(req: SCStatusRequest, ctx: Context) -> ACSStatusResponse:
        return ctx.server.build_acs_status(req)

    @server.route(PATRON_STATUS)
    async def patron_status(req: PatronStatusRequest, ctx: Context) -> PatronStatusResponse:
        patron = seed.patron(req.patron_identifier)
        return PatronStatusResponse(
            patron_status=library.patron_status(patron), language=req.language, transaction_date=now_18(),
            institution_id=seed.institution_id, patron_identifier=req.patron_identifier,
            personal_name=patron.name if patron else "",
            valid_patron="Y" if patron else "N",
            valid_patron_password="Y" if patron and req.patron_password == patron.pin else "N",
            currency_type=seed.currency if patron else None,
            fee_amount=f"{library.fees[patron.barcode]:.2f}" if patron else None,
            screen_message=() if patron else ("Unknown patron",),
        )

    @server.route(PATRON_INFORMATION)
    async def patron_information(req: PatronInformationRequest, ctx: Context) -> PatronInformationResponse:
        patron = seed.patron(req.patron_identifier)
        loans = library.loans_of(req.patron_identifier) if patron else []
        fee = library.fees[patron.barcode] if patron else Decimal(0)
        start = int(req.start_item) if req.start_item and req.start_item.isdigit() else 1
        end = int(req.end_item) if req.end_item and req.end_item.isdigit() else len(loans)
        fines = (f"{fee:.2f} {seed.currency} overdue fines",) if fee > 0 else ()
        return PatronInformationResponse(
            patron_status=library.patron_status(patron), language=req.language, transaction_date=now_18(),
            hold_items_count="0000", overdue_items_count="0000", charged_items_count=f"{len(loans):04d}",
            fine_items_count=f"{len(fines):04d}", recall_items_count="0000",
            unavailable_holds_count="0000",
            institution_id=seed.institution_id, patron_identifier=req.patron_identifier,
            personal_name=patron.name if patron else "",
            charged_items_limit="0010" if patron else None,
            valid_patron="Y" if patron else "N",
            valid_patron_password="Y" if patron and req.patron_password == patron.pin else "N",
            currency_type=seed.currency if patron else None,
            fee_amount=f"{fee:.2f}" if patron else None,
            charged_items=tuple(loans[start - 1:end]) if req.summary[2:3] == "Y" else (),
            fine_items=fines if req.summary[3:4] == "Y" else (),
            email_address=patron.email if patron else None,
            screen_message=() if patron else ("Unknown patron",),
        )

    @server.route(CHECKOUT)
    async def checkout(req: CheckoutRequest, ctx: Context) -> CheckoutResponse:
        patron = seed.patron(req.patron_identifier)
        item = seed.item(req.item_identifier)
        loan = library.loans.get(req.item_identifier)
        offline = req.no_block == "Y"
        renewal = False
        refusal = None
        if patron is None:
            refusal = "Unknown patron"
        elif req.patron_password is not None and req.patron_password != patron.pin:
            refusal = "Wrong PIN"
        elif item is None:
            refusal = "Unknown item"
        elif not offline and patron.charge_denied:
            refusal = "Charge privileges denied"
        elif not offline and not item.loanable:
            refusal = "This item cannot be checked out"
        elif loan and loan[0] != patron.barcode and not offline:
            refusal = "Item is checked out to another patron"
        elif loan and loan[0] == patron.barcode and not offline:
            renewal = req.sc_renewal_policy == "Y"
            refusal = None if renewal else "Item is already checked out to you"
        if refusal is not None:
            return CheckoutResponse(
                ok="0", renewal_ok="N", magnetic_media="U" if item is None else "N", desensitize="N",
                transaction_date=now_18(), institution_id=seed.institution_id,
                patron_identifier=req.patron_identifier, item_identifier=req.item_identifier,
                title_identifier=item.title if item else "", due_date="", screen_message=(refusal,),
            )
        assert item is not None
        due = due_date(req.no_block, req.nb_due_date)
        library.loans[item.barcode] = (req.patron_identifier, due)
        return CheckoutResponse(
            ok="1", renewal_ok="Y" if renewal else "N", magnetic_media="N", desensitize="Y",
            transaction_date=now_18(), institution_id=seed.institution_id,
            patron_identifier=req.patron_identifier, item_identifier=item.barcode,
            title_identifier=item.title, due_date=due, media_type=MEDIA_BOOK,
            screen_message=("Renewed" if renewal else "Checked out",),
        )

    @server.route(CHECKIN)
    async def checkin(req: CheckinRequest, ctx: Context) -> CheckinResponse:
        item = seed.item(req.item_identifier)
        if item is None:
            return CheckinResponse(
                ok="0", resensitize="N", magnetic_media="U", alert="Y", transaction_date=now_18(),
                institution_id=seed.institution_id, item_identifier=req.item_identifier,
                permanent_location="", screen_message=("Unknown item",),
            )
        loan = library.loans.pop(item.barcode, None)
        return CheckinResponse(
            ok="1", resensitize="Y", magnetic_media="N", alert="N", transaction_date=now_18(),
            institution_id=seed.institution_id, item_identifier=item.barcode,
            permanent_location=item.location, title_identifier=item.title, sort_bin=SORT_BIN,
            patron_identifier=loan[0] if loan else None, media_type=MEDIA_BOOK,
            screen_message=("Checked in" if loan else "Item was not checked out",),
        )

    @server.route(ITEM_INFORMATION)
    async def item_information(req: ItemInformationRequest, ctx: Context) -> ItemInformationResponse:
        item = seed.item(req.item_identifier)
        loan = library.loans.get(req.item_identifier)
        status = "01" if item is None else "04" if loan else "03"
        return ItemInformationResponse(
            circulation_status=status, security_marker="00", fee_type="01", transaction_date=now_18(),
            due_date=loan[1] if loan else None, item_identifier=req.item_identifier,
            title_identifier=item.title if item else "", owner=seed.institution_id if item else None,
            media_type=MEDIA_BOOK if item else None,
            permanent_location=item.location if item else None,
            current_location=item.location if item and not loan else None,
            screen_message=() if item else ("Unknown item",),
        )

    @server.route(RENEW)
    async def renew(req: RenewRequest, ctx: RequestContext[RenewRequest, RenewResponse]) -> RenewResponse:
        patron = seed.patron(req.patron_identifier)
        barcode = req.item_identifier or ""
        item = seed.item(barcode)
        loan = library.loans.get(barcode)
        if patron is None or item is None or loan is None or loan[0] != patron.barcode:
            return ctx.decline("Item is not on loan to this patron")
        due = due_date(req.no_block, req.nb_due_date)
        library.loans[barcode] = (patron.barcode, due)
        return RenewResponse(
            ok="1", renewal_ok="Y", magnetic_media="N", desensitize="N", transaction_date=now_18(),
            institution_id=seed.institution_id, patron_identifier=patron.barcode, item_identifier=barcode,
            title_identifier=item.title, due_date=due, media_type=MEDIA_BOOK, screen_message=("Renewed",),
        )

    @server.route(END_PATRON_SESSION)
    async def end_session(req: EndPatronSessionRequest, ctx: Context) -> EndSessionResponse:
        return EndSessionResponse(
            end_session="Y", transaction_date=now_18(), institution_id=seed.institution_id,
            patron_identifier=req.patron_identifier, screen_message=("Tak for besøget",),
        )

    @server.route(FEE_PAID)
    async def fee_paid(req: FeePaidRequest, ctx: Context) -> FeePaidResponse:
        owed = library.fees.get(req.patron_identifier)
        try:
            amount = Decimal(req.fee_amount)
        except InvalidOperation:
            amount = Decimal(-1)
        accepted = owed is not None and Decimal(0) < amount <= owed
        if accepted:
            library.fees[req.patron_identifier] -= amount
        return FeePaidResponse(
            payment_accepted="Y" if accepted else "N", transaction_date=now_18(),
            institution_id=seed.institution_id, patron_identifier=req.patron_identifier,
            transaction_id=req.transaction_id,
            screen_message=("Payment accepted" if accepted else "Payment refused",),
        )


def build_server(*, encoding: str = "cp850", error_detection: str = "auto",
                 idle_timeout: float | None = None, seed: Seed = SEED) -> SIP2Server:
    accept_blank_nb_due_date()
    server = TolerantServer(
        institution_id=seed.institution_id, library_name=seed.library_name, encoding=encoding,
        error_detection=error_detection, login_required=True, idle_timeout=idle_timeout,
    )
    install(server, Library(seed))
    return server


async def serve(server: SIP2Server, host: str, port: int) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with server.start(host, port) as bound:
            print(f"listening on {host}:{bound}", flush=True)
            async for _ in signals:
                return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A pysip2-based SIP2 ACS for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: the OS chooses")
    parser.add_argument("--encoding", default="cp850")
    parser.add_argument("--error-detection", choices=("auto", "required"), default="auto")
    parser.add_argument("--idle-timeout", type=float, default=None, help="seconds")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    server = build_server(encoding=args.encoding, error_detection=args.error_detection,
                          idle_timeout=args.idle_timeout)
    anyio.run(serve, server, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
