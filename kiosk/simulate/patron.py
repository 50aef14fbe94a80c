"""A patron's whole visit, done through the devices the way a person does it: for the soak (the demo
kiosk through thousands of visits) and the test that Qt keeps ``None`` alive.

:class:`Hands` are what the patron does at the devices: hold a card to the reader, put items on the
pad and take them off again. :func:`hands_for` picks them for the kiosk's devices: the in-memory
pad, or the simulated FEIG pad (the tags then travel through the real driver). ``settle`` waits
until the view on the screen is the one expected (drains the core, or lets the threads and Qt run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from kiosk.bootstrap.kiosk import Kiosk
from kiosk.circulation.results import Outcome
from kiosk.circulation.view import Purpose, ReceiptChoice
from kiosk.domain.model import Credential, Tag
from kiosk.printing.view import PrintStage
from kiosk.session.view import Screen, SessionView
from kiosk.testing.memory import MemoryCardReader, MemoryItemReader

ITEMS = ("5010000001", "5010000003")  # two plain books of the demo data: no fee, no set

TAKE_TIMEOUT_S = 10.0

Settle = Callable[[Callable[[SessionView], bool]], None]


class Hands(Protocol):
    def present(self, credential: Credential) -> None: ...

    def put(self, tags: Sequence[Tag]) -> None:
        """Put these items on the pad, each tag as it was when it was last taken off."""

    def take(self, tags: Sequence[Tag]) -> None: ...


class MemoryHands:
    def __init__(self, reader: MemoryCardReader, pad: MemoryItemReader) -> None:
        self._reader, self._pad = reader, pad
        self._tags: dict[str, Tag] = {}  # as last taken off the pad (a loan unsecures a tag)

    def present(self, credential: Credential) -> None:
        self._reader.present(credential)

    def put(self, tags: Sequence[Tag]) -> None:
        self._pad.place(*(self._tags.get(tag.uid, tag) for tag in tags))

    def take(self, tags: Sequence[Tag]) -> None:
        lying = {tag.uid: tag for tag in self._pad.inventory()}
        self._tags.update({uid: lying[uid] for uid in (tag.uid for tag in tags) if uid in lying})
        self._pad.remove(*(tag.uid for tag in tags))


class SimulatedHands:
    """The simulated FEIG pad: the tags are ISO 28560 tags on the reader's simulator."""

    def __init__(self, kiosk: Kiosk) -> None:
        from kiosk.simulate.panel import virtual_tag

        reader, simulators = kiosk.devices.card_reader, kiosk.simulators
        assert isinstance(reader, MemoryCardReader) and simulators is not None and simulators.pad is not None
        self._reader, self._pad, self._presence = reader, simulators.pad, kiosk.session.presence
        self._virtual = {tag.uid: virtual_tag(tag, kiosk.institution) for tag in kiosk.demo_tags}

    def present(self, credential: Credential) -> None:
        self._reader.present(credential)

    def put(self, tags: Sequence[Tag]) -> None:
        self._pad.place(*(self._virtual[tag.uid] for tag in tags))

    def take(self, tags: Sequence[Tag]) -> None:
        """Take the items off, and wait until the driver has told the kiosk (its next inventory):
        a hand that is quicker than the pad would start the next visit with them still "there"."""
        uids = {tag.uid for tag in tags}
        self._pad.remove(*uids)
        deadline = time.monotonic() + TAKE_TIMEOUT_S
        while uids & {tag.uid for tag in self._presence.tags}:
            if time.monotonic() > deadline:
                raise TimeoutError("the pad still reports the items taken off it")
            time.sleep(0.005)


def hands_for(kiosk: Kiosk) -> Hands:
    pad, reader = kiosk.devices.item_reader, kiosk.devices.card_reader
    if isinstance(pad, MemoryItemReader) and isinstance(reader, MemoryCardReader):
        return MemoryHands(reader, pad)
    return SimulatedHands(kiosk)


def _all(view: SessionView, outcome: Outcome) -> bool:
    return view.visit is not None and len(view.visit.items) == len(ITEMS) and not view.visit.busy \
        and all(row.outcome is outcome for row in view.visit.items)


def borrow_and_return(kiosk: Kiosk, hands: Hands, settle: Settle,
                      receipt: ReceiptChoice = ReceiptChoice.NONE) -> None:
    """Borrow two books with a card and PIN and take a receipt (or not); then return the books.
    Fails (AssertionError, or whatever ``settle`` raises) when the kiosk does not get there."""
    card = kiosk.demo_cards[0]
    tags = [tag for tag in kiosk.demo_tags if tag.item_id in ITEMS]
    session = kiosk.session

    session.start_visit(Purpose.BORROW)
    settle(lambda view: view.screen is Screen.IDENTIFY)
    hands.present(card.credential)
    settle(lambda view: view.screen is Screen.PIN)
    session.submit_pin(card.pin)
    settle(lambda view: view.screen is Screen.BORROW)
    hands.put(tags)
    settle(lambda view: _all(view, Outcome.BORROWED))
    hands.take(tags)
    session.finish_visit()
    settle(lambda view: view.screen is Screen.RECEIPT)
    session.choose_receipt(receipt)
    settle(lambda view: view.screen is Screen.START)

    session.start_visit(Purpose.RETURN)
    settle(lambda view: view.screen is Screen.RETURN)
    hands.put(tags)
    settle(lambda view: _all(view, Outcome.RETURNED))
    hands.take(tags)
    session.finish_visit()
    settle(lambda view: view.screen in (Screen.RECEIPT, Screen.START))
    if session.view.screen is Screen.RECEIPT:
        session.choose_receipt(ReceiptChoice.NONE)
        settle(lambda view: view.screen is Screen.START)


def print_a_document(kiosk: Kiosk, hands: Hands, settle: Settle) -> None:
    """Release the oldest of the first demo patron's print jobs: "Print", card and PIN, the job, the
    price, print (the printer followed to the end), log out. Someone must have sent them one."""
    card = kiosk.demo_cards[0]
    session = kiosk.session
    session.start_print()
    settle(lambda view: view.screen is Screen.IDENTIFY)
    hands.present(card.credential)
    settle(lambda view: view.screen is Screen.PIN)
    session.submit_pin(card.pin)
    settle(lambda view: view.printing is not None and view.printing.stage is PrintStage.LIST
           and not view.printing.busy)
    printing = session.view.printing
    assert printing is not None and printing.jobs, f"no print job to release: {printing}"
    session.choose_print_job(printing.jobs[0].job_id)
    settle(lambda view: view.printing is not None and view.printing.preview is not None)
    session.confirm_print()
    settle(lambda view: view.printing is not None and view.printing.stage in (PrintStage.PRINTED,
                                                                             PrintStage.FAILED))
    printed = session.view.printing
    assert printed is not None and printed.stage is PrintStage.PRINTED, f"not printed: {printed}"
    session.logout()
    settle(lambda view: view.screen is Screen.START)
