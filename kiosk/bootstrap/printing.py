"""Print release's assembly: the print desk over the central service's queue and payments, the
document printer and the journal, with the branch calendar's "printing closes" cut-off. Part of the
composition root: it builds, :mod:`kiosk.printing` decides."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from kiosk.central.sync import CentralSync
from kiosk.domain.events import Core
from kiosk.domain.ports import Clock, Devices
from kiosk.door.calendar import BranchCalendar
from kiosk.printing.desk import PrintDesk
from kiosk.printing.release import PrintRelease
from kiosk.printing.view import PrintView
from kiosk.session.print_visit import DeskFactory
from kiosk.settings import Settings
from kiosk.store import Journal

log = logging.getLogger(__name__)


def print_desk(settings: Settings, core: Core, clock: Clock, journal: Journal, devices: Devices,
               sync: CentralSync | None, calendar: Callable[[], BranchCalendar | None]
               ) -> DeskFactory | None:
    """The print desk's factory, when this kiosk releases print jobs: a document printer and a
    central service (which keeps the jobs and the money); None otherwise."""
    printer = devices.document_printer
    if printer is None:
        return None
    if sync is None:
        log.warning("a document printer but no central service: print release needs the service's "
                    "print queue ([central]); the kiosk does not offer printing")
        return None
    from sync.central.client import CentralClient

    service = sync.service
    if not isinstance(service, CentralClient):
        return None
    terminal = settings.terminal
    release = PrintRelease(service, service, printer, journal, settings.printing, terminal.id)
    closes = printing_closes(settings, calendar)

    def desk(publish: Callable[[PrintView | None], None]) -> PrintDesk:
        return PrintDesk(core, service, printer, release, settings.printing, publish,
                         tokens=sync.patron_token, now=clock.now, printing_closes=closes,
                         receipt_printer=devices.receipt_printer,
                         library_name=terminal.name or terminal.branch,
                         card_payments=settings.printing.card_payments)

    return desk


def printing_closes(settings: Settings, calendar: Callable[[], BranchCalendar | None]
                    ) -> Callable[[dt.datetime], dt.datetime | None] | None:
    """When release stops, by the "printing closes" cut-off of the branch calendar in force
    (``calendar``: the central system's when it sent one, a new one at once): the cut-off of the
    open hours now, or ``now`` itself while the library is closed; None without a calendar, or when
    the kiosk does not go by the calendar's hours (``[calendar] kiosk_hours = false``: it lends at
    any hour too)."""
    if not settings.calendar.kiosk_hours or calendar() is None:
        return None  # a kiosk that does not go by the calendar's hours (the demo alone) prints at any hour

    def closes(now: dt.datetime) -> dt.datetime | None:
        current = calendar()
        assert current is not None  # once there is one, a new one only replaces it
        hours = current.printing_hours(now)
        if not hours.open:
            return now
        return hours.closes

    return closes
