"""The emulator's per-message logic: a request :class:`Message` in, a response and a record out.

Plain, single-threaded code over :class:`EmulatorData`; the server calls :func:`handle` under its
state lock. The handlers live in :mod:`emulator_patrons` and :mod:`emulator_circulation`.
"""

from __future__ import annotations

import datetime as dt

from sync.sip2 import emulator_circulation as circ
from sync.sip2 import emulator_patrons as pat
from sync.sip2.codec import Message, message
from sync.sip2.emulator_context import TEXT, Context, Handler, Outcome, TransactionRecord
from sync.sip2.emulator_model import EmulatorData

__all__ = ["SUPPORTED", "Outcome", "TransactionRecord", "handle"]


def acs_status(ctx: Context, request: Message, supported: str) -> Outcome:
    lib = ctx.data.library
    response = message("98", {
        "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y", "acs_renewal_policy": "Y",
        "status_update_ok": "N", "offline_ok": "Y", "timeout_period": "030",
        "retries_allowed": "003", "date_time_sync": ctx.date, "protocol_version": "2.00",
    }, [("AO", lib.institution), ("AM", lib.name), ("BX", supported), ("AN", lib.location),
        ("AF", TEXT["welcome"])])
    return Outcome(response, TransactionRecord("99"))


HANDLERS: dict[str, Handler] = {
    "23": pat.patron_status, "63": pat.patron_information, "35": pat.end_session,
    "37": pat.fee_paid, "15": pat.hold, "01": pat.block_patron,
    "11": circ.checkout, "09": circ.checkin, "29": circ.renew, "65": circ.renew_all,
    "17": circ.item_information,
}

# 98 BX: one Y/N per request code, in spec order (research/sip2.md §3.2).
SUPPORTED = "".join(
    "Y" if code in HANDLERS or code in ("99", "97", "93") else "N"
    for code in ("23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15",
                 "29", "65")
)


def handle(data: EmulatorData, request: Message, now: dt.datetime) -> Outcome | None:
    """The response to ``request``, or None when the command is not supported (the server sends 96)."""
    ctx = Context(data, now)
    if request.command == "99":
        return acs_status(ctx, request, SUPPORTED)
    handler = HANDLERS.get(request.command)
    return handler(ctx, request) if handler else None
