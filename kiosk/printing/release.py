"""Releasing a print job at the kiosk, as one transaction with the money: the price of the patron's
choices, the amount held, the job sent to the printer, and the money taken only when the printer's
job completed, or given back when it failed (a jam, an empty tray, a cancelled job).

Every step is written to the journal before it is taken (kind ``print_charge``, the job id, the
amount, the payment id; the patron's token, never who), so a kiosk that stops in the middle knows
what it held. Runs on a worker: following the printer takes as long as the printing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from kiosk.domain.central import CentralPrintJob, PaymentHold, PrintJobState
from kiosk.domain.errors import InsufficientBalance, KioskError
from kiosk.domain.model import PrinterJobStatus, PrintJob
from kiosk.domain.ports import DocumentPrinter, Payment
from kiosk.printing.pricing import PageInk, Quote, quote
from kiosk.printing.view import Choices
from kiosk.settings.printing import PrintingSettings
from kiosk.store import Journal, JournalState

log = logging.getLogger(__name__)

FOLLOW_TIMEOUT_S = 600.0  # a job that neither completes nor fails in this time is given up (and voided)


class PrintJobs(Protocol):
    """The central service's print queue, as the kiosk uses it."""

    def print_jobs(self, owner: str) -> list[CentralPrintJob]: ...

    def print_pages(self, job_id: str) -> tuple[PageInk, ...]: ...

    def print_document(self, job_id: str) -> bytes: ...

    def set_print_job_state(self, job_id: str, state: PrintJobState, terminal_id: str, *,
                            owner: str = "") -> CentralPrintJob: ...


@dataclass(frozen=True)
class Released:
    """How it went: ``printed`` (charged), ``failed`` (not charged: ``why``), or ``refused`` before
    anything was held (``why``: the balance, the printer away)."""

    outcome: str
    quote: Quote
    why: str = ""
    payment: PaymentHold | None = None
    reasons: tuple[str, ...] = ()  # the printer's keywords when it failed ("media-jam", ...)
    short_of_money: bool = False  # refused: the balance is lower than the price


@dataclass(frozen=True)
class CardPayment:
    """A print paid by card on the patron's phone: its journal row, the price, the payment."""

    entry_id: str
    payload: dict[str, object]
    quote: Quote
    hold: PaymentHold


class PrintRelease:
    def __init__(self, jobs: PrintJobs, payment: Payment, printer: DocumentPrinter, journal: Journal,
                 rules: PrintingSettings, terminal: str, *, poll_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._jobs, self._payment, self._printer, self._journal = jobs, payment, printer, journal
        self._rules, self._terminal, self._poll_s = rules, terminal, poll_s
        self._sleep, self._monotonic = sleep, monotonic

    def price(self, job: CentralPrintJob, choices: Choices,
              pages: tuple[PageInk, ...] | None = None) -> Quote:
        """What the patron pays for ``job`` as chosen (the pages as the service read them, asked
        for unless given)."""
        if pages is None:
            pages = self._jobs.print_pages(job.job.job_id)
        return quote(pages, self._rules, copies=choices.copies, duplex=choices.duplex,
                     black_and_white=choices.black_and_white)

    def release(self, job: CentralPrintJob, choices: Choices, *, payer: str | None = None,
                document: bytes | None = None, pages: tuple[PageInk, ...] | None = None,
                progress: Callable[[str], None] | None = None, card: CardPayment | None = None
                ) -> Released:
        """Hold, print, follow the printer, then take or give back (blocking: on a worker).
        ``payer``: whose balance pays (the job's owner unless said: a job sent with a release code
        is paid by the patron who logged in); ``document`` and ``pages``: the PDF and its pages if
        they were fetched already; ``progress`` hears the printer's job state while it is
        followed; ``card``: a card payment the patron has made on their phone
        (:meth:`start_card_payment`, now authorized), instead of a hold on the balance."""
        job_id, owner = job.job.job_id, job.job.owner_token
        if card is not None:
            price, entry_id, held = card.quote, card.entry_id, card.payload
            hold = card.hold
        else:
            payer = payer or owner
            price = self.price(job, choices, pages)
            entry = self._journal.append("print_charge", self._charge(job, choices, price, payer, "balance"))
            try:
                hold = self._payment.authorize(payer, job_id, price.price, self._terminal,
                                               request_id=entry.id)
            except InsufficientBalance as exc:
                self._journal.mark(entry.id, JournalState.FAILED, error=f"not held: {exc}")
                return Released("refused", price, str(exc), short_of_money=True)
            except KioskError as exc:
                self._journal.mark(entry.id, JournalState.FAILED, error=f"not held: {exc}")
                return Released("refused", price, f"the payment could not be made: {exc}")
            entry_id, held = entry.id, {**entry.payload, "payment": hold.payment_id}
            self._journal.mark(entry_id, JournalState.PENDING, payload=held)
        return self._print(job, choices, price, entry_id, held, hold, document, progress)

    # -- paying by card on the patron's phone ---------------------------------------------------
    def start_card_payment(self, job: CentralPrintJob, choices: Choices, *, payer: str | None = None,
                           pages: tuple[PageInk, ...] | None = None) -> CardPayment:
        """Open a card payment of the price on the provider's page (its short link for the QR code);
        journalled first. :class:`~kiosk.domain.errors.PaymentUnavailable` when the service takes no
        cards, :class:`~kiosk.domain.errors.KioskError` when it cannot be asked."""
        price = self.price(job, choices, pages)
        entry = self._journal.append("print_charge", self._charge(job, choices, price,
                                                                  payer or job.job.owner_token, "provider"))
        try:
            hold = self._payment.authorize(payer or job.job.owner_token, job.job.job_id, price.price,
                                           self._terminal, method="provider", request_id=entry.id)
        except KioskError as exc:
            self._journal.mark(entry.id, JournalState.FAILED, error=f"not opened: {exc}")
            raise
        payload = {**entry.payload, "payment": hold.payment_id}
        self._journal.mark(entry.id, JournalState.PENDING, payload=payload)
        return CardPayment(entry.id, payload, price, hold)

    def card_payment(self, card: CardPayment) -> CardPayment:
        """The card payment as it is now (poll while the patron pays); a payment that ended unpaid
        (declined, expired) closes its journal row."""
        hold = self._payment.payment(card.hold.payment_id)
        if hold.state in ("voided", "expired"):
            self._journal.mark(card.entry_id, JournalState.FAILED, error=f"not paid: {hold.state}")
        return replace(card, hold=hold)

    def abandon_card_payment(self, card: CardPayment, why: str) -> None:
        """The patron gave up before paying (or after, before printing): nothing is taken."""
        hold = self._payment.void(card.hold.payment_id, self._terminal, why)
        self._journal.mark(card.entry_id, JournalState.FAILED, error=f"abandoned: {why} ({hold.state})")

    def _charge(self, job: CentralPrintJob, choices: Choices, price: Quote, payer: str,
                method: str) -> dict[str, object]:
        return {"job": job.job.job_id, "patron": payer, "amount": str(price.price),
                "currency": price.currency, "copies": choices.copies, "duplex": choices.duplex,
                "black_and_white": choices.black_and_white, "method": method}

    def _print(self, job: CentralPrintJob, choices: Choices, price: Quote, entry_id: str,
               held: dict[str, object], hold: PaymentHold, document: bytes | None,
               progress: Callable[[str], None] | None) -> Released:
        job_id, owner = job.job.job_id, job.job.owner_token
        printer_job = ""
        try:
            self._jobs.set_print_job_state(job_id, "released", self._terminal, owner=owner)
            if document is None:
                document = self._jobs.print_document(job_id)
            printed = PrintJob(job_id, owner, job.job.document_name, price.pages, copies=choices.copies,
                               colour=price.colour_pages > 0, cost=price.price, duplex=choices.duplex)
            printer_job = self._printer.submit(printed, document)
            status = self._follow(printer_job, progress)
        except KioskError as exc:
            status = PrinterJobStatus("failed", detail=str(exc))
        sent = {**held, "printer_job": printer_job, "sheets": status.sheets}
        if status.state == "completed":
            taken = self._payment.capture(hold.payment_id, self._terminal)
            self._jobs.set_print_job_state(job_id, "printed", self._terminal, owner=owner)
            self._journal.mark(entry_id, JournalState.DONE, payload=sent)
            log.info("print job %s printed (%s sheets) and charged %s %s", job_id, status.sheets, price.price,
                     price.currency)
            return Released("printed", price, payment=taken)
        why = _why(status)
        if printer_job:
            # A job the printer stopped must not come out later, unpaid, once the jam is cleared.
            try:
                self._printer.cancel(printer_job)
            except KioskError as exc:
                log.warning("print job %s: the printer's job %s could not be cancelled: %s", job_id,
                            printer_job, exc)
        given_back = self._payment.void(hold.payment_id, self._terminal, why)
        try:
            self._jobs.set_print_job_state(job_id, "failed", self._terminal, owner=owner)
        except KioskError as exc:
            log.warning("print job %s: the queue could not be told it failed: %s", job_id, exc)
        self._journal.mark(entry_id, JournalState.FAILED, error=why, payload=sent)
        log.warning("print job %s not printed (%s): %s %s given back", job_id, why, price.price,
                    price.currency)
        return Released("failed", price, why, given_back, reasons=status.reasons)

    def _follow(self, printer_job: str, progress: Callable[[str], None] | None) -> PrinterJobStatus:
        """The printer's own job until it is final, or "timed out" (failed: given up)."""
        deadline = self._monotonic() + FOLLOW_TIMEOUT_S
        while True:
            status = self._printer.job_status(printer_job)
            if progress is not None:
                progress(status.state)
            if status.final:
                return status
            if self._monotonic() >= deadline:
                return PrinterJobStatus("failed", status.reasons, status.sheets,
                                        f"no end after {FOLLOW_TIMEOUT_S:.0f} s ({status.state})")
            self._sleep(self._poll_s)


def _why(status: PrinterJobStatus) -> str:
    """In words, for the journal, the ledger and staff: "the printer says failed: media-jam"."""
    said = f"the printer says {status.state}"
    if status.reasons:
        said += ": " + ", ".join(status.reasons)
    return f"{said} ({status.detail})" if status.detail else said
