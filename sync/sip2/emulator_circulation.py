"""Emulator handlers for circulation: 11 checkout, 09 checkin, 29 renew, 65 renew all, 17 item info.

BI cancel follows the spec (3M SIP2 "cancel"): a *checkin* with BI=Y cancels a failed checkout
(the loan is undone), a *checkout* with BI=Y cancels a failed checkin (the loan is restored).
Item properties ``CH`` carry ``parts=N`` (number of parts in the set) in 12 and 18.
"""

from __future__ import annotations

import copy
import datetime as dt

from sync.sip2.codec import Message, format_date, message, yn
from sync.sip2.emulator_context import TEXT, Context, Outcome, TransactionRecord, fee_text, money
from sync.sip2.emulator_model import Fee, Item, ItemSnapshot, Loan, Patron
from sync.sip2.emulator_patrons import Account


def _snapshot(item: Item) -> ItemSnapshot:
    return ItemSnapshot(copy.copy(item.loan), item.status, list(item.holds))


def _restore(item: Item) -> None:
    assert item.undo is not None
    item.loan, item.status, item.holds = item.undo.loan, item.undo.status, list(item.undo.holds)
    item.undo = None


def _parts(item: Item) -> tuple[str, str]:
    return ("CH", f"parts={item.parts_in_set}")


# ---------------------------------------------------------------- 11 checkout

def _checkout_refusal(ctx: Context, request: Message, patron: Patron | None,
                      item: Item | None) -> str:
    """The TEXT key of the reason a checkout is refused, or "" when it may go ahead."""
    if item is None:
        return "unknown_item"
    if patron is None:
        return "unknown_patron"
    if Context.pin_wrong(patron, request):
        return "wrong_pin"
    no_block = request.flag("no_block")
    rules = ctx.data.rules
    if not no_block and patron.blocked:
        return "blocked"
    if not no_block and patron.fee_total > rules.fee_limit:
        return "fees"
    if not item.for_loan:
        return "not_for_loan"
    if item.status in ("lost", "missing"):
        return item.status
    if item.loan is not None and item.loan.patron_id != patron.patron_id:
        return "on_loan_other"
    if item.holds and item.holds[0] != patron.patron_id:
        return "reserved"
    if item.loan is None and not no_block and rules.charged_items_limit \
            and len(Account(ctx, patron).charged) >= rules.charged_items_limit:
        return "limit"
    return ""


def _renewal_refusal(ctx: Context, patron: Patron, item: Item, no_block: bool) -> str:
    assert item.loan is not None
    if item.loan.patron_id != patron.patron_id:
        return "not_yours"
    if not no_block and patron.blocked:
        return "blocked"
    if any(h != patron.patron_id for h in item.holds):
        return "reserved"
    if item.loan.renewals >= ctx.data.rules.max_renewals:
        return "max_renewals"
    return ""


def _response12(ctx: Context, request: Message, item: Item | None, *, ok: bool, renewal: bool = False,
                code: str = "12") -> Message:
    fixed = {"ok": "1" if ok else "0", "renewal_ok": yn(renewal),
             "magnetic_media": "N" if item else "U", "desensitize": yn(ok), "transaction_date": ctx.date}
    due = format_date(item.loan.due, ctx.zone) if ok and item and item.loan else ""
    fields = [("AO", ctx.data.library.institution), ("AA", request.get("AA")),
              ("AB", request.get("AB")), ("AJ", item.title if item else ""), ("AH", due)]
    if item is not None:
        fields += [("CK", item.media_code), _parts(item)]
    return message(code, fixed, fields)


def _refused(ctx: Context, request: Message, item: Item | None, reason: str, command: str = "11",
             code: str = "12") -> Outcome:
    response = _response12(ctx, request, item, ok=False, code=code).add("AF", TEXT[reason])
    return Outcome(response, TransactionRecord(command, request.get("AA"), request.get("AB"), False, reason))


def checkout(ctx: Context, request: Message) -> Outcome:
    patron, item = ctx.patron(request), ctx.item(request)
    if request.get("BI").upper() == "Y":
        return _cancel_checkin(ctx, request, patron, item)
    reason = _checkout_refusal(ctx, request, patron, item)
    if reason or patron is None or item is None:
        return _refused(ctx, request, item, reason or "unknown_item")
    no_block, pid = request.flag("no_block"), patron.patron_id
    if item.loan is not None:
        return _checkout_renewal(ctx, request, patron, item)
    fee_fields: list[tuple[str, str]] = []
    if item.fee:
        if request.get("BO").upper() != "Y":
            response = _response12(ctx, request, item, ok=False)
            response.fields += [("BT", "06"), ("BH", ctx.data.library.currency),
                                ("BV", money(item.fee)), ("AF", fee_text(item.fee))]
            return Outcome(response, TransactionRecord("11", pid, item.item_id, False, "fee required"))
        patron.fees.append(Fee(ctx.data.new_transaction_id(), item.fee, f"Leje: {item.title}",
                               item.item_id))
        fee_fields = [("BT", "06"), ("BH", ctx.data.library.currency), ("BV", money(item.fee))]
    since = (ctx.when(request.fixed["transaction_date"]) if no_block else None) or ctx.now
    due = (ctx.when(request.fixed["nb_due_date"]) if no_block else None) or ctx.due_from(since, item)
    item.undo = _snapshot(item)
    item.loan = Loan(pid, due, since)
    item.holds = [h for h in item.holds if h != pid]
    item.status = "available"
    response = _response12(ctx, request, item, ok=True)
    response.fields += [*fee_fields, ("BK", ctx.data.new_transaction_id()), ("AF", TEXT["checked_out"])]
    detail = "no block" if no_block else "fee acknowledged" if fee_fields else ""
    return Outcome(response, TransactionRecord("11", pid, item.item_id, True, detail), mutated=True)


def _checkout_renewal(ctx: Context, request: Message, patron: Patron, item: Item) -> Outcome:
    """A checkout of an item the patron already has: a renewal with SC renewal policy Y."""
    assert item.loan is not None
    if request.flag("no_block"):
        # An offline checkout replayed after it was already applied: nothing to do.
        response = _response12(ctx, request, item, ok=True).add("AF", TEXT["checked_out"])
        return Outcome(response, TransactionRecord("11", patron.patron_id, item.item_id, True, "already"))
    if not request.flag("sc_renewal_policy"):
        return _refused(ctx, request, item, "already_yours")
    reason = _renewal_refusal(ctx, patron, item, no_block=False)
    if reason:
        return _refused(ctx, request, item, reason)
    _extend(ctx, item, None)
    response = _response12(ctx, request, item, ok=True, renewal=True)
    response.fields += [("BK", ctx.data.new_transaction_id()), ("AF", TEXT["renewed"])]
    return Outcome(response, TransactionRecord("11", patron.patron_id, item.item_id, True, "renewal"),
                   mutated=True)


def _extend(ctx: Context, item: Item, nb_due: dt.datetime | None) -> None:
    assert item.loan is not None
    item.undo = _snapshot(item)
    item.loan.due = nb_due or ctx.due_from(ctx.now, item)
    item.loan.renewals += 1


def _cancel_checkin(ctx: Context, request: Message, patron: Patron | None, item: Item | None) -> Outcome:
    """11 with BI=Y: undo the last checkin of this item, giving the loan back to the patron."""
    if item is None or patron is None:
        return _refused(ctx, request, item, "unknown_item" if item is None else "unknown_patron")
    pid = patron.patron_id
    if item.loan is None and item.undo is not None and item.undo.loan is not None \
            and item.undo.loan.patron_id == pid:
        _restore(item)
    elif item.loan is None or item.loan.patron_id != pid:
        return _refused(ctx, request, item, "nothing_to_cancel")
    response = _response12(ctx, request, item, ok=True).add("AF", TEXT["cancelled"])
    return Outcome(response, TransactionRecord("11", pid, item.item_id, True, "cancel"), mutated=True)


# ---------------------------------------------------------------- 09 checkin

def checkin(ctx: Context, request: Message) -> Outcome:
    item, lib = ctx.item(request), ctx.data.library
    iid = request.get("AB")
    if item is None:
        response = message("10", {"ok": "0", "resensitize": "N", "magnetic_media": "U", "alert": "Y",
                                  "transaction_date": ctx.date},
                           [("AO", lib.institution), ("AB", iid), ("AQ", ""), ("CV", "99"),
                            ("AF", TEXT["unknown_item"])])
        return Outcome(response, TransactionRecord("09", item=iid, ok=False, detail="unknown_item"))
    if request.get("BI").upper() == "Y":
        return _cancel_checkout(ctx, request, item)
    had = item.loan
    item.undo = _snapshot(item)
    if had is not None:
        returned = ctx.when(request.fixed["return_date"]) if request.flag("no_block") else None
        item.loan, item.returned_at = None, returned or ctx.now
    fields = _route(ctx, item)
    if had is not None:
        fields.append(("AA", had.patron_id))
    fields += [("CK", item.media_code), _parts(item)]
    fields.append(("AF", TEXT["checked_in"] if had else TEXT["not_on_loan"]))
    alert = any(code == "CV" for code, _ in fields)
    response = message("10", {"ok": "1", "resensitize": "Y", "magnetic_media": "N", "alert": yn(alert),
                              "transaction_date": ctx.date},
                       [("AO", lib.institution), ("AB", iid), ("AQ", item.owner), ("AJ", item.title),
                        *fields])
    detail = "no block" if request.flag("no_block") else "" if had else "not on loan"
    patron = had.patron_id if had else ""
    return Outcome(response, TransactionRecord("09", patron, iid, True, detail), mutated=True)


def _route(ctx: Context, item: Item) -> list[tuple[str, str]]:
    """Where a returned item goes: hold shelf, another branch, or back on the shelf."""
    lib = ctx.data.library
    if item.holds:
        item.status = "on_hold_shelf"
        return [("CL", "H"), ("CV", "01"), ("CT", lib.location), ("CY", item.holds[0]),
                ("AF", TEXT["hold_shelf"])]
    if item.owner != lib.location:
        item.status = "in_transit"
        return [("CL", "T"), ("CV", "04"), ("CT", item.owner),
                ("AF", TEXT["transit"].format(owner=item.owner))]
    item.status = "available"
    fields = [("CL", "1")]
    if item.call_number:
        fields.append(("CS", item.call_number))
    return fields


def _cancel_checkout(ctx: Context, request: Message, item: Item) -> Outcome:
    """09 with BI=Y: undo the last checkout of this item (compensation after a failed security write)."""
    lib = ctx.data.library
    patron = item.loan.patron_id if item.loan else ""
    done = item.loan is not None and item.undo is not None
    if done:
        _restore(item)
    fields = [("AO", lib.institution), ("AB", item.item_id), ("AQ", item.owner), ("AJ", item.title)]
    if patron:
        fields.append(("AA", patron))
    fields.append(("AF", TEXT["cancelled"] if done else TEXT["nothing_to_cancel"]))
    response = message("10", {"ok": "1", "resensitize": "Y", "magnetic_media": "N", "alert": "N",
                              "transaction_date": ctx.date}, fields)
    return Outcome(response, TransactionRecord("09", patron, item.item_id, True, "cancel"), mutated=done)


# ---------------------------------------------------------------- 29 renew, 65 renew all

def renew(ctx: Context, request: Message) -> Outcome:
    patron, item = ctx.patron(request), ctx.item(request)
    if patron is None or item is None:
        return _refused(ctx, request, item, "unknown_patron" if patron is None else "unknown_item",
                        "29", "30")
    if Context.pin_wrong(patron, request):
        return _refused(ctx, request, item, "wrong_pin", "29", "30")
    no_block = request.flag("no_block")
    reason = "not_yours" if item.loan is None else _renewal_refusal(ctx, patron, item, no_block)
    if reason:
        return _refused(ctx, request, item, reason, "29", "30")
    _extend(ctx, item, ctx.when(request.fixed["nb_due_date"]) if no_block else None)
    response = _response12(ctx, request, item, ok=True, renewal=True, code="30")
    response.fields += [("BK", ctx.data.new_transaction_id()), ("AF", TEXT["renewed"])]
    return Outcome(response, TransactionRecord("29", patron.patron_id, item.item_id, True), mutated=True)


def renew_all(ctx: Context, request: Message) -> Outcome:
    patron, lib = ctx.patron(request), ctx.data.library
    pid = request.get("AA")
    renewed: list[str] = []
    unrenewed: list[str] = []
    ok = patron is not None and not Context.pin_wrong(patron, request)
    if ok and patron is not None:
        for item in ctx.data.loans_of(pid):
            if _renewal_refusal(ctx, patron, item, no_block=False):
                unrenewed.append(item.item_id)
            else:
                _extend(ctx, item, None)
                renewed.append(item.item_id)
    fields = [("AO", lib.institution), *[("BM", i) for i in renewed], *[("BN", i) for i in unrenewed]]
    if not ok:
        fields.append(("AF", TEXT["unknown_patron"] if patron is None else TEXT["wrong_pin"]))
    response = message("66", {"ok": "1" if ok else "0", "renewed_count": f"{len(renewed):04d}",
                              "unrenewed_count": f"{len(unrenewed):04d}", "transaction_date": ctx.date},
                       fields)
    return Outcome(response, TransactionRecord("65", pid, ok=ok, detail=f"{len(renewed)} renewed"),
                   mutated=bool(renewed))


# ---------------------------------------------------------------- 17 item information

def _circulation_status(item: Item) -> str:
    if item.status == "lost":
        return "12"
    if item.status == "missing":
        return "13"
    if item.loan is not None:
        return "04"
    return {"on_hold_shelf": "08", "in_transit": "10"}.get(item.status, "03")


def item_information(ctx: Context, request: Message) -> Outcome:
    item, lib = ctx.item(request), ctx.data.library
    iid = request.get("AB")
    if item is None:
        response = message("18", {"circulation_status": "01", "security_marker": "00", "fee_type": "01",
                                  "transaction_date": ctx.date},
                           [("AO", lib.institution), ("AB", iid), ("AJ", ""), ("AF", TEXT["unknown_item"])])
        return Outcome(response, TransactionRecord("17", item=iid, ok=False, detail="unknown_item"))
    fields = [("CF", str(len(item.holds)))]
    if item.loan is not None:
        fields.append(("AH", format_date(item.loan.due, ctx.zone)))
    fields += [("AB", iid), ("AJ", item.title), ("BG", item.owner)]
    if item.fee:
        fields += [("BH", lib.currency), ("BV", money(item.fee))]
    fields += [("CK", item.media_code), ("AQ", item.owner), _parts(item)]
    if item.call_number:
        fields.append(("CS", item.call_number))
    if not item.for_loan:
        fields.append(("AF", TEXT["not_for_loan"]))
    response = message("18", {"circulation_status": _circulation_status(item), "security_marker": "00",
                              "fee_type": "06" if item.fee else "01", "transaction_date": ctx.date},
                       fields)
    return Outcome(response, TransactionRecord("17", item=iid))
