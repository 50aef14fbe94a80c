"""The print desk: a patron's print jobs at the kiosk, from the list to the pages in their hand.

The patron's jobs are fetched from the central service's queue (under their card's token, and under
a release code's when they type one), each priced at once; a job chosen shows a picture of its first
page and the price of the choices (copies, two-sided, black-and-white) before anything is paid;
"print" hands it to :class:`~kiosk.printing.release.PrintRelease` on a worker, which holds the price,
prints, follows the printer and takes or gives back the money; the desk shows how it goes.

Runs on the core thread; every question to the service or the printer runs on a worker, and an
answer for a patron who has gone (``generation``) is dropped. Publishes a
:class:`~kiosk.printing.view.PrintView` after every change. Knows nobody: only tokens."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from kiosk.domain.central import CentralPrintJob
from kiosk.domain.errors import PaymentUnavailable
from kiosk.domain.events import Core, Tick
from kiosk.domain.model import DeviceState, Receipt, ReceiptLine
from kiosk.domain.ports import DocumentPrinter, Payment, ReceiptPrinter
from kiosk.printing.pricing import CannotPrice, PageInk, quote
from kiosk.printing.release import CardPayment, PrintJobs, PrintRelease, Released
from kiosk.printing.view import Choices, JobRow, PrintProblem, PrintStage, PrintView
from kiosk.settings.printing import PrintingSettings
from kiosk.texts import text

log = logging.getLogger(__name__)

CARD_POLL_S = 2.0  # how often a card payment is asked about while the patron pays on their phone


class PrintService(PrintJobs, Payment, Protocol):
    """The central service as the print desk uses it: the queue and the money."""

    def print_preview(self, job_id: str) -> bytes:
        """A PNG of the job's first page, drawn by the service (the kiosk never opens the document:
        an odd PDF must not take the kiosk down)."""
        ...


@dataclass(frozen=True)
class PrintProgress:
    """The printer's job state while a release is followed (posted from the worker)."""

    generation: int
    state: str


@dataclass
class _Queued:
    job: CentralPrintJob
    pages: tuple[PageInk, ...]
    row: JobRow


class PrintDesk:
    """``tokens(value)`` makes the pseudonymous token of a card number or ``"code:<digits>"`` (None
    while the terminal has no key from the service yet); ``printing_closes(now)`` the time release
    stops today (None: no cut-off), checked before every job is released."""

    def __init__(self, core: Core, service: PrintService, printer: DocumentPrinter, release: PrintRelease,
                 rules: PrintingSettings, publish: Callable[[PrintView | None], None], *,
                 tokens: Callable[[str], str | None], now: Callable[[], dt.datetime],
                 printing_closes: Callable[[dt.datetime], dt.datetime | None] | None = None,
                 receipt_printer: ReceiptPrinter | None = None, library_name: str = "",
                 card_payments: bool = False) -> None:
        self._core, self._service, self._printer, self._release = core, service, printer, release
        self._rules, self._publish, self._tokens, self._now = rules, publish, tokens, now
        self._closes = printing_closes or (lambda _now: None)
        self._receipts, self._library = receipt_printer, library_name
        self._generation = 0
        self._owners: tuple[str, ...] = ()
        self._payer: str | None = None
        self._queued: dict[str, _Queued] = {}
        self._last: tuple[_Queued, Released] | None = None
        self._card_payments = card_payments  # the service takes cards (a provider's page)
        self._card: CardPayment | None = None  # a card payment the patron is making on their phone
        self._card_polled = now()
        self._card_asking = False
        self.view: PrintView | None = None
        core.on(PrintProgress, self._on_progress)
        core.on(Tick, self._on_tick)

    @property
    def active(self) -> bool:
        return self.view is not None

    # -- opening -------------------------------------------------------------------------------
    def begin(self, cards: tuple[str, ...]) -> None:
        """The jobs of the patron who logged in with ``cards`` (the number they used and the LMS's
        identifier for them: a job may have been sent under either); the first pays."""
        owners = tuple(dict.fromkeys(t for t in (self._tokens(card) for card in cards if card) if t))
        self._start(owners, owners[0] if owners else None)

    def begin_with_code(self, code: str) -> None:
        """The jobs sent with a release code, by someone who has not logged in (nobody pays yet)."""
        token = self._tokens(f"code:{code}")
        self._start((token,) if token else (), None, code_token=token)

    def add_code(self, code: str) -> None:
        """A logged-in patron types a release code: its jobs join the list, paid from their card."""
        token = self._tokens(f"code:{code}")
        if self.view is None or token is None:
            return
        if token not in self._owners:
            self._owners = (*self._owners, token)
        self._load(code_token=token)

    def _start(self, owners: tuple[str, ...], payer: str | None, code_token: str | None = None) -> None:
        self._generation += 1
        self._owners, self._payer, self._queued, self._last = owners, payer, {}, None
        self._show(PrintView(PrintStage.LOADING, currency=self._rules.currency, can_pay=payer is not None,
                             closes=self._closes(self._now()), upload_url=self._rules.upload_url,
                             can_print_receipt=self._receipts is not None,
                             card_payments=self._card_payments))
        if not owners:
            log.warning("print desk: no key for patron tokens yet (no configuration from the service)")
            self._show(self._view(stage=PrintStage.LIST, problem=PrintProblem.SERVICE))
            return
        self._load(code_token)

    def _load(self, code_token: str | None = None) -> None:
        """Fetch the queue (every owner's) and the balance on a worker."""
        owners, payer, generation = self._owners, self._payer, self._generation
        self._show(self._view(busy=True, problem=None, detail=""))

        def fetch() -> tuple[list[_Queued], Decimal | None]:
            found: list[_Queued] = []
            for owner in owners:
                for job in self._service.print_jobs(owner):
                    if job.state in ("held", "failed"):
                        found.append(self._priced(job))
            balance = self._service.balance(payer) if payer is not None else None
            return found, balance

        def done(result: tuple[list[_Queued], Decimal | None] | None, error: BaseException | None) -> None:
            if generation != self._generation or self.view is None:
                return
            if error is not None or result is None:
                log.warning("print desk: the print queue could not be fetched: %s", error)
                self._show(self._view(stage=self._listing(), busy=False, problem=PrintProblem.SERVICE))
                return
            found, balance = result
            self._queued = {q.row.job_id: q for q in sorted(found, key=lambda q: q.row.submitted_at)}
            problem = None
            if code_token is not None and not any(q.job.job.owner_token == code_token for q in found):
                problem = PrintProblem.UNKNOWN_CODE
            self._show(self._view(stage=self._listing(), busy=False, balance=balance, problem=problem,
                                  jobs=tuple(q.row for q in self._queued.values())))

        self._core.run_in_worker(fetch, done)

    def _listing(self) -> PrintStage:
        view = self.view
        return view.stage if view is not None and view.stage is PrintStage.CHOOSE else PrintStage.LIST

    def _priced(self, job: CentralPrintJob) -> _Queued:
        """On a worker: the job's pages (as the service read them) and its price as sent."""
        pages = self._service.print_pages(job.job.job_id)
        try:
            price = quote(pages, self._rules).price
        except CannotPrice:
            price = Decimal(0)  # shown as "cannot be printed here" when chosen
        row = JobRow(job.job.job_id, job.job.document_name, len(pages), sum(p.colour for p in pages), price,
                     self._rules.currency, job.submitted_at, failed_before=job.state == "failed")
        return _Queued(job, pages, row)

    # -- one job ---------------------------------------------------------------------------------
    def select(self, job_id: str) -> None:
        queued = self._queued.get(job_id)
        if queued is None or self.view is None or self.view.stage not in (PrintStage.LIST, PrintStage.CHOOSE):
            return
        generation = self._generation
        chosen = self._priced_view(queued, Choices(), stage=PrintStage.CHOOSE, preview=None)
        if self._payer is None and not self._card_payments and chosen.problem is None:
            chosen = replace(chosen, problem=PrintProblem.NO_PAYER)  # a release code, and no card to pay with
        self._show(chosen)

        def fetched(picture: bytes | None, error: BaseException | None) -> None:
            view = self.view
            if generation != self._generation or view is None or view.selected is None \
                    or view.selected.job_id != job_id:
                return
            if error is not None:  # the job can still be printed: only its picture is missing
                log.warning("print desk: no picture of job %s: %s", job_id, error)
                picture = b""
            self._show(replace(view, preview=picture))

        self._core.run_in_worker(lambda: self._service.print_preview(job_id), fetched)

    def change(self, *, copies: int | None = None, duplex: bool | None = None,
               black_and_white: bool | None = None) -> None:
        """The patron changes a choice: the price follows at once."""
        view = self.view
        if view is None or view.stage is not PrintStage.CHOOSE or view.selected is None:
            return
        choices = view.choices
        choices = Choices(
            copies=min(max(copies if copies is not None else choices.copies, 1), self._rules.max_copies),
            duplex=choices.duplex if duplex is None else duplex,
            black_and_white=choices.black_and_white if black_and_white is None else black_and_white)
        self._show(self._priced_view(self._queued[view.selected.job_id], choices))

    def back(self) -> None:
        """From a job (or a printed one) back to the list; from paying by card back to the job."""
        view = self.view
        if view is None or view.stage in (PrintStage.PRINTING, PrintStage.LOADING):
            return
        if view.stage is PrintStage.PAYING:
            if self._card is not None:
                self._abandon(self._card, "cancelled at the kiosk")
                self._card = None
            self._show(replace(view, stage=PrintStage.CHOOSE, pay_url="", pay_until=None, problem=None))
            return
        self._show(self._view(stage=PrintStage.LIST, selected=None, quote=None, preview=None,
                              choices=Choices(), problem=None, detail="", reasons=(), printer_state="",
                              receipt_printed=None,
                              jobs=tuple(q.row for q in self._queued.values())))

    def _priced_view(self, queued: _Queued, choices: Choices, **changes: Any) -> PrintView:
        try:
            priced = quote(queued.pages, self._rules, copies=choices.copies, duplex=choices.duplex,
                           black_and_white=choices.black_and_white)
            problem, detail = None, ""
        except CannotPrice as exc:
            priced, problem, detail = None, PrintProblem.CANNOT_PRICE, str(exc)
        return self._view(selected=queued.row, choices=choices, quote=priced, problem=problem,
                          detail=detail, **changes)

    # -- printing --------------------------------------------------------------------------------
    def confirm(self) -> None:
        """Print the chosen job as chosen, paid from the balance, if it may be printed now."""
        view = self.view
        if not self._may_print(view):
            return
        assert view is not None and view.quote is not None
        if self._payer is None:
            self._show(replace(view, problem=PrintProblem.NO_PAYER, detail=""))
            return
        if view.balance is not None and view.balance < view.quote.price:
            self._show(replace(view, problem=PrintProblem.BALANCE, detail=""))
            return
        self._start_printing(None)

    def _may_print(self, view: PrintView | None) -> bool:
        """A job chosen and priced, before the cut-off, and a printer that can print (else said)."""
        if view is None or view.stage is not PrintStage.CHOOSE or view.selected is None or view.quote is None:
            return False
        closes = self._closes(self._now())
        if closes is not None and self._now() >= closes:
            self._show(replace(view, problem=PrintProblem.CLOSED, closes=closes, detail=""))
            return False
        health = self._printer.health()
        if health.state is DeviceState.UNAVAILABLE:
            log.warning("print desk: the printer is unavailable: %s", health.detail)
            self._show(replace(view, problem=PrintProblem.PRINTER, detail=""))
            return False
        return True

    def _start_printing(self, card: CardPayment | None) -> None:
        view = self.view
        assert view is not None and view.selected is not None
        queued, choices, payer, generation = self._queued[view.selected.job_id], view.choices, self._payer, \
            self._generation
        self._show(replace(view, stage=PrintStage.PRINTING, problem=None, detail="", printer_state="pending",
                           pay_url="", pay_until=None))
        log.info("print desk: job %s released (%d copies, %s, %s, %s)", queued.row.job_id, choices.copies,
                 "two-sided" if choices.duplex else "one-sided",
                 "black-and-white" if choices.black_and_white else "as sent",
                 "paid by card" if card is not None else "from the balance")

        def progress(state: str) -> None:
            self._core.post(PrintProgress(generation, state))

        def release() -> Released:
            return self._release.release(queued.job, choices, payer=payer, pages=queued.pages,
                                         progress=progress, card=card)

        self._core.run_in_worker(release, lambda result, error: self._released(generation, queued, result,
                                                                               error))

    # -- paying by card on the patron's phone ---------------------------------------------------
    def pay_by_card(self) -> None:
        """Open a card payment of the price: its link as a QR code for the patron's phone."""
        view = self.view
        if not self._card_payments or not self._may_print(view):
            return
        assert view is not None and view.selected is not None
        queued, choices, payer, generation = self._queued[view.selected.job_id], view.choices, self._payer, \
            self._generation
        self._show(replace(view, busy=True, problem=None, detail=""))

        def opened(card: CardPayment | None, error: BaseException | None) -> None:
            if generation != self._generation or self.view is None:
                if card is not None:  # the patron left meanwhile: nothing to pay for
                    self._abandon(card, "the patron left")
                return
            if error is not None or card is None:
                log.warning("print desk: no card payment: %s", error)
                problem = PrintProblem.CARD_UNAVAILABLE if isinstance(error, PaymentUnavailable) \
                    else PrintProblem.SERVICE
                self._show(replace(self.view, busy=False, problem=problem))
                return
            self._card, self._card_polled = card, self._now()
            self._show(replace(self.view, stage=PrintStage.PAYING, busy=False, pay_url=card.hold.pay_url,
                               pay_until=card.hold.expires_at))

        self._core.run_in_worker(lambda: self._release.start_card_payment(queued.job, choices, payer=payer,
                                                                          pages=queued.pages), opened)

    def _on_tick(self, _tick: Tick) -> None:
        """While the patron pays on their phone: ask how the payment stands every few seconds."""
        card, view = self._card, self.view
        if card is None or view is None or view.stage is not PrintStage.PAYING or self._card_asking:
            return
        if (self._now() - self._card_polled).total_seconds() < CARD_POLL_S:
            return
        self._card_asking, generation = True, self._generation

        def answered(now: CardPayment | None, error: BaseException | None) -> None:
            self._card_asking, self._card_polled = False, self._now()
            view = self.view
            if generation != self._generation or view is None or view.stage is not PrintStage.PAYING:
                return
            if error is not None or now is None:
                log.warning("print desk: the card payment could not be asked about: %s", error)
                return  # asked again at the next poll
            self._card = now
            state = now.hold.state
            if state == "authorized":
                log.info("print desk: the card payment is authorized")
                self._card = None
                self._start_printing(now)
            elif state in ("voided", "expired"):
                log.info("print desk: the card payment ended unpaid (%s)", state)
                self._card = None
                self._show(replace(view, stage=PrintStage.CHOOSE, problem=PrintProblem.CARD_NOT_PAID,
                                   pay_url="", pay_until=None))

        self._core.run_in_worker(lambda: self._release.card_payment(card), answered)

    def _abandon(self, card: CardPayment, why: str) -> None:
        def done(_result: object, error: BaseException | None) -> None:
            if error is not None:  # it expires unpaid on the service all the same
                log.warning("print desk: the card payment could not be voided: %s", error)

        self._core.run_in_worker(lambda: self._release.abandon_card_payment(card, why), done)

    def _on_progress(self, event: PrintProgress) -> None:
        view = self.view
        if event.generation == self._generation and view is not None and view.stage is PrintStage.PRINTING \
                and event.state != view.printer_state:
            self._show(replace(view, printer_state=event.state))

    def _released(self, generation: int, queued: _Queued, result: Released | None,
                  error: BaseException | None) -> None:
        if error is not None or result is None:
            log.error("print desk: releasing job %s failed unexpectedly", queued.row.job_id, exc_info=error)
            result = Released("failed", quote(queued.pages, self._rules), f"the kiosk: {error}")
        if generation != self._generation or self.view is None:
            return  # the patron has gone; the journal and the ledger hold what happened
        view = self.view
        if result.outcome == "printed":
            self._queued.pop(queued.row.job_id, None)
            self._last = (queued, result)
            balance = view.balance - result.quote.price if view.balance is not None else None
            self._show(replace(view, stage=PrintStage.PRINTED, balance=balance,
                               jobs=tuple(q.row for q in self._queued.values()), printer_state=""))
        elif result.outcome == "refused":
            problem = PrintProblem.BALANCE if result.short_of_money else PrintProblem.SERVICE
            self._show(replace(view, stage=PrintStage.CHOOSE, problem=problem, printer_state=""))
        else:
            self._queued[queued.row.job_id] = replace(queued, row=replace(queued.row, failed_before=True))
            self._show(replace(view, stage=PrintStage.FAILED, problem=PrintProblem.NOT_PRINTED,
                               detail=result.why, reasons=result.reasons, printer_state="",
                               jobs=tuple(q.row for q in self._queued.values())))

    # -- the receipt -----------------------------------------------------------------------------
    def print_receipt(self, language: str) -> None:
        """A receipt of the payment for the job just printed, in the patron's language."""
        view, last, printer = self.view, self._last, self._receipts
        if view is None or last is None or printer is None or view.stage is not PrintStage.PRINTED:
            return
        receipt = payment_receipt(last[0].row, last[1], self._now(), self._library,
                                  lambda key: text(key, language))
        generation = self._generation

        def printed(_result: object, error: BaseException | None) -> None:
            if error is not None:
                log.warning("print desk: the payment receipt was not printed: %s", error)
            if generation == self._generation and self.view is not None:
                self._show(replace(self.view, receipt_printed=error is None))

        self._core.run_in_worker(lambda: printer.print_receipt(receipt), printed)

    # -- ending ----------------------------------------------------------------------------------
    def end(self) -> None:
        """Forget the patron (the privacy reset): a release under way finishes on its worker; a card
        payment not paid yet is voided."""
        if self._card is not None:
            self._abandon(self._card, "the patron left")
            self._card = None
        self._generation += 1
        self._owners, self._payer, self._queued, self._last = (), None, {}, None
        if self.view is not None:
            self.view = None
            self._publish(None)

    def _view(self, **changes: Any) -> PrintView:
        assert self.view is not None
        return replace(self.view, **changes)

    def _show(self, view: PrintView) -> None:
        self.view = view
        self._publish(view)


def payment_receipt(row: JobRow, released: Released, when: dt.datetime, library: str,
                    texts: Callable[[str], str]) -> Receipt:
    """The receipt of a print payment: what was printed, what it cost, the payment's id."""
    priced = released.quote
    payment = released.payment.payment_id if released.payment is not None else ""
    lines = [
        ReceiptLine(f"{when:%d.%m.%Y %H.%M}"),
        ReceiptLine(""),
        ReceiptLine(row.name, bold=True),
        ReceiptLine(f"{texts('print.receipt.pages')}: {priced.pages} x {priced.copies}"),
        ReceiptLine(f"{texts('print.receipt.sheets')}: {priced.sheets}"),
        ReceiptLine(f"{texts('print.receipt.colour')}: {priced.colour_pages}"),
        ReceiptLine(""),
        ReceiptLine(f"{texts('print.receipt.paid')}: {priced.price:.2f} {priced.currency}", bold=True),
        ReceiptLine(f"{texts('print.receipt.payment')}: {payment}"),
        ReceiptLine(f"{texts('print.receipt.job')}: {row.job_id}"),
    ]
    return Receipt(library or texts("print.receipt.title"), tuple(lines), texts("print.receipt.footer"))
