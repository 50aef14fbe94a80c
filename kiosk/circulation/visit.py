"""The flows of a visit: borrowing and returning at the pad, the account and renewals, the receipt.

Runs on the core thread, like the session that owns it. Slow work (LMS, pad, printer) goes to the
core's workers one item at a time, and every answer comes back as an event; an answer that arrives
after the visit ended is dropped (the generation counter), so nothing of one patron reaches the next.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from kiosk.circulation.receipt import build_receipt
from kiosk.circulation.results import ItemResult, Outcome, group_by_item
from kiosk.circulation.service import CirculationService
from kiosk.circulation.view import AccountView, HoldRow, LoanRow, Purpose, ReceiptChoice, VisitView
from kiosk.domain.errors import DeviceError, MailError
from kiosk.domain.events import Core
from kiosk.domain.model import Account, Patron, RenewAllResult, RenewResult, Tag
from kiosk.domain.ports import LibrarySystem, ReceiptMailer, ReceiptPrinter

log = logging.getLogger(__name__)

HANDLED = {Outcome.BORROWED, Outcome.RETURNED}
# Outcomes worth another try when the patron moves the item or adds the missing parts.
RETRYABLE = {Outcome.INCOMPLETE_SET, Outcome.UNREADABLE, Outcome.LMS_UNAVAILABLE, Outcome.NOT_SAVED}


class VisitController:
    def __init__(
        self,
        core: Core,
        lms: LibrarySystem,
        circulation: CirculationService | None,
        receipt_printer: ReceiptPrinter | None,
        *,
        mailer: ReceiptMailer | None = None,
        publish: Callable[[VisitView | None], None],
        now: Callable[[], dt.datetime],
        library_name: str = "",
    ) -> None:
        self._core = core
        self._lms = lms
        self._circulation = circulation
        self._printer = receipt_printer
        self._mailer = mailer
        self._publish = publish
        self._now = now
        self._library_name = library_name
        self._generation = 0
        self._patron: Patron | None = None
        self._pin: str | None = None
        self._language = "da"
        self.view: VisitView | None = None
        self._on_pad: dict[str, list[Tag]] = {}
        self._queue: list[str] = []
        self._working = False
        self._fee_waiting: list[Tag] | None = None
        self._in_flight = 0  # items handed to a worker and not back yet, of this visit or an earlier one
        self._closing = False  # no new item is started: the visit ends once the one in flight is done
        self._when_settled: list[Callable[[], None]] = []

    # -- life cycle -------------------------------------------------------------------------------
    def begin(self, purpose: Purpose, patron: Patron | None, pin: str | None, tags: Sequence[Tag],
              language: str) -> None:
        self.end()
        self._patron, self._pin, self._language = patron, pin, language
        self._show(VisitView(purpose, loading=purpose is Purpose.ACCOUNT))
        if purpose is Purpose.ACCOUNT:
            self._load_account()
        else:
            self.on_tags(tags)

    @property
    def in_flight(self) -> bool:
        """An item is with the LMS or the pad right now (its journal row says which, if it is cut)."""
        return self._in_flight > 0

    def close(self, then: Callable[[], None]) -> bool:
        """Start no new item, and call ``then`` (on the core thread) once the item in flight is done.
        False, and nothing done, when no item is in flight."""
        if not self.in_flight:
            return False
        self._closing = True
        self._when_settled.append(then)
        return True

    def end(self) -> None:
        """Forget the visit entirely (privacy reset); late answers are ignored."""
        self._generation += 1
        self._closing = False
        self._patron = self._pin = None
        self._on_pad.clear()
        self._queue.clear()
        self._working = False
        self._fee_waiting = None
        self.view = None

    @property
    def active(self) -> bool:
        return self.view is not None

    # -- the pad ----------------------------------------------------------------------------------
    def on_tags(self, tags: Sequence[Tag]) -> None:
        view = self.view
        if view is None or view.purpose is Purpose.ACCOUNT:
            return
        groups = group_by_item(tags)
        self._on_pad = groups
        rows = {row.item_id: row for row in view.items}
        for item_id in groups:
            row = rows.get(item_id)
            retry = row is not None and row.outcome in RETRYABLE
            if (row is None or retry) and item_id not in self._queue:
                self._queue.append(item_id)
        self._next()

    def _next(self) -> None:
        view = self.view
        if view is None or self._working or self._fee_waiting is not None or self._closing:
            return
        while self._queue:
            item_id = self._queue.pop(0)
            tags = self._on_pad.get(item_id)
            if tags:  # still on the pad
                break
        else:
            self._show(replace(view, busy=False))
            return
        self._working = True
        self._set_row(ItemResult(item_id, Outcome.CHECKING, parts_present=len(tags),
                                 parts_in_set=max(t.parts_in_set for t in tags)), busy=True)
        self._run(item_id, tags, fee_acknowledged=False)

    def _run(self, item_id: str, tags: list[Tag], *, fee_acknowledged: bool) -> None:
        circulation, view, generation = self._circulation, self.view, self._generation
        assert circulation is not None and view is not None
        patron = self._patron
        patron_id = patron.patron_id if patron is not None else ""
        pin, returning = self._pin, view.purpose is Purpose.RETURN

        def work() -> ItemResult:
            if returning:
                return circulation.checkin(tags)
            return circulation.checkout(patron_id, tags, pin=pin, fee_acknowledged=fee_acknowledged,
                                        patron=patron)

        self._in_flight += 1
        self._core.run_in_worker(work, lambda result, error: self._back(generation, item_id, tags, result,
                                                                        error))

    def _back(self, generation: int, item_id: str, tags: list[Tag], result: ItemResult | None,
              error: BaseException | None) -> None:
        self._in_flight -= 1
        self._done(generation, item_id, tags, result, error)
        if not self.in_flight and self._when_settled:
            settled, self._when_settled = self._when_settled, []
            for then in settled:
                then()

    def _done(self, generation: int, item_id: str, tags: list[Tag], result: ItemResult | None,
              error: BaseException | None) -> None:
        if generation != self._generation or self.view is None:
            return
        self._working = False
        if error is not None or result is None:
            log.error("handling an item failed unexpectedly", exc_info=error)
            result = ItemResult(item_id, Outcome.NEEDS_STAFF)
        if result.outcome is Outcome.FEE_REQUIRED:
            self._fee_waiting = tags
            self._set_row(result)
            self._show(replace(self.view, fee_question=result, busy=False))
            return
        self._set_row(result)
        self._next()

    def answer_fee(self, accept: bool) -> None:
        view, tags = self.view, self._fee_waiting
        if view is None or tags is None or view.fee_question is None:
            return
        question = view.fee_question
        self._fee_waiting = None
        self._show(replace(view, fee_question=None))
        if not accept:
            self._set_row(replace(question, outcome=Outcome.FEE_DECLINED))
            self._next()
            return
        self._working = True
        self._set_row(replace(question, outcome=Outcome.CHECKING), busy=True)
        self._run(question.item_id, tags, fee_acknowledged=True)

    def _set_row(self, row: ItemResult, *, busy: bool | None = None) -> None:
        view = self.view
        assert view is not None
        items = [r for r in view.items if r.item_id != row.item_id]
        position = next((i for i, r in enumerate(view.items) if r.item_id == row.item_id), len(items))
        items.insert(position, row)
        self._show(replace(view, items=tuple(items), busy=view.busy if busy is None else busy))

    # -- my account -------------------------------------------------------------------------------
    def _load_account(self) -> None:
        assert self._patron is not None
        patron_id, pin, generation = self._patron.patron_id, self._pin, self._generation
        self._core.run_in_worker(lambda: self._lms.account(patron_id, pin),
                                 lambda account, error: self._account_loaded(generation, account, error))

    def _account_loaded(self, generation: int, account: Account | None, error: BaseException | None) -> None:
        if generation != self._generation or self.view is None:
            return
        if error is not None or account is None:
            log.warning("loading the account failed: %s", error)
            self._show(replace(self.view, loading=False, messages=("lms_unavailable",)))
            return
        loans = tuple(LoanRow(loan.item_id, loan.title, loan.due_date, loan.due_date_text, loan.overdue,
                              author=loan.author)
                      for loan in account.loans)
        holds = tuple(HoldRow(h.item_id, h.title, h.ready_for_pickup, h.pickup_location, author=h.author)
                      for h in account.holds)
        self._show(replace(self.view, loading=False, account=AccountView(
            loans, holds, account.patron.fee_total, account.patron.currency)))

    def toggle_renewal(self, item_id: str) -> None:
        view = self.view
        if view is None or view.account is None:
            return
        loans = tuple(replace(loan, selected=not loan.selected) if loan.item_id == item_id else loan
                      for loan in view.account.loans)
        self._show(replace(view, account=replace(view.account, loans=loans)))

    def renew(self, everything: bool) -> None:
        view = self.view
        if view is None or view.account is None or self._patron is None or view.loading:
            return
        chosen = [loan.item_id for loan in view.account.loans if everything or loan.selected]
        if not chosen:
            return
        patron_id, pin, generation, lms = self._patron.patron_id, self._pin, self._generation, self._lms

        def work() -> list[RenewResult] | RenewAllResult:
            if everything:
                return lms.renew_all(patron_id, pin=pin)
            return [lms.renew(patron_id, item_id, pin=pin) for item_id in chosen]

        self._show(replace(view, loading=True))
        self._core.run_in_worker(work, lambda result, error: self._renewed(generation, result, error))

    def _renewed(self, generation: int, result: list[RenewResult] | RenewAllResult | None,
                 error: BaseException | None) -> None:
        view = self.view
        if generation != self._generation or view is None or view.account is None:
            return
        if error is not None or result is None:
            log.warning("renewal failed: %s", error)
            self._show(replace(view, loading=False, messages=("lms_unavailable",)))
            return
        answers: dict[str, tuple[bool, str, dt.datetime | None, str]] = {}
        if isinstance(result, RenewAllResult):
            message = " ".join(result.screen_messages)
            # Renew all gives no new due dates: the old one is cleared rather than shown as new.
            answers.update({i: (True, message, None, "") for i in result.renewed})
            answers.update({i: (False, message, None, "") for i in result.unrenewed})
        else:
            answers.update({r.item_id: (r.ok, " ".join(r.screen_messages), r.due_date, r.due_date_text)
                            for r in result})
        loans = []
        for loan in view.account.loans:
            if loan.item_id in answers:
                ok, message, due, due_text = answers[loan.item_id]
                renewed_without_date = ok and due is None and not due_text
                loan = replace(loan, renewed=ok, message=message, selected=False,
                               due_date=None if renewed_without_date else due or loan.due_date,
                               due_date_text="" if renewed_without_date else due_text or loan.due_date_text,
                               overdue=loan.overdue and not ok)
            loans.append(loan)
        self._show(replace(view, loading=False, account=replace(view.account, loans=tuple(loans))))

    # -- done and the receipt ---------------------------------------------------------------------
    def finish(self, tags_on_pad: Sequence[Tag]) -> bool:
        """The patron is done. True if a receipt question follows; False if the visit can end."""
        view = self.view
        if view is None:
            return False
        handled = [row for row in view.items if row.outcome in HANDLED]
        done = {row.item_id for row in handled}
        # Items still on the pad that this visit did not lend (or, for a return, any at all): the
        # patron is told, so that nothing is carried out unlent or forgotten on the pad.
        left = sum(1 for item_id in group_by_item(tags_on_pad)
                   if view.purpose is Purpose.RETURN or item_id not in done)
        choices: tuple[ReceiptChoice, ...] = ()
        if handled:
            email = self._mailer is not None and self._patron is not None and "@" in self._patron.email
            choices = tuple(c for c, offered in ((ReceiptChoice.PRINT, self._printer is not None),
                                                 (ReceiptChoice.EMAIL, email)) if offered)
            choices = (*choices, ReceiptChoice.NONE) if choices else ()
        self._show(replace(view, receipt_choices=choices, left_on_pad=left, busy=False))
        return bool(choices)

    def choose_receipt(self, choice: ReceiptChoice, then: Callable[[bool | None], None]) -> None:
        """Print or e-mail it (or not), then call ``then(delivered)`` on the core thread."""
        view = self.view
        if view is None or choice not in view.receipt_choices or choice is ReceiptChoice.NONE:
            then(None)
            return
        receipt = build_receipt(view, self._language, self._now(), self._library_name)
        generation = self._generation
        deliver: Callable[[], None]
        if choice is ReceiptChoice.EMAIL:
            mailer, patron = self._mailer, self._patron
            assert mailer is not None and patron is not None
            address = patron.email

            def deliver() -> None:
                mailer.send(address, receipt)
        else:
            printer = self._printer
            assert printer is not None

            def deliver() -> None:
                printer.print_receipt(receipt)

        def done(_result: object, error: BaseException | None) -> None:
            if error is not None and not isinstance(error, DeviceError | MailError):
                log.error("delivering the receipt failed unexpectedly", exc_info=error)
            elif error is not None:
                log.warning("receipt not delivered: %s", error)
            if generation == self._generation and self.view is not None:
                self._show(replace(self.view, receipt_printed=error is None))
            then(error is None)

        self._core.run_in_worker(deliver, done)

    def _show(self, view: VisitView) -> None:
        self.view = view
        self._publish(view)

