"""Emulator handlers about the patron: 23, 63, 35, 37, 15 and 01.

Vendor field ``ZU`` (emulator-specific) in 24/64 says whether the patron consented to unstaffed
access ("Y"/"N"). ``PB`` is the birth date as YYYYMMDD, ``PC`` the patron category.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sync.sip2.codec import Message, message, yn
from sync.sip2.emulator_context import TEXT, Context, Outcome, TransactionRecord, money
from sync.sip2.emulator_model import Fee, Item, Patron

BLANK_STATUS = " " * 14
UNKNOWN_STATUS = "YYYY" + " " * 10


class Account:
    """A patron's lists as the 64 reports them."""

    def __init__(self, ctx: Context, patron: Patron) -> None:
        data, pid = ctx.data, patron.patron_id
        self.charged = data.loans_of(pid)
        self.overdue = [i for i in self.charged if ctx.overdue(i)]
        self.holds_ready = [i for i in data.items.values()
                            if i.status == "on_hold_shelf" and i.holds[:1] == [pid] and i.loan is None]
        self.holds_waiting = [i for i in data.items.values() if pid in i.holds and i not in self.holds_ready]
        self.fees = [f for f in patron.fees if f.amount > 0]

    def status(self, ctx: Context, patron: Patron) -> str:
        rules = ctx.data.rules
        flags = [" "] * 14
        if patron.blocked:
            flags[0:4] = ["Y"] * 4
        if rules.charged_items_limit and len(self.charged) >= rules.charged_items_limit:
            flags[5] = "Y"
        if rules.overdue_items_limit and len(self.overdue) >= rules.overdue_items_limit:
            flags[6] = "Y"
        if patron.fee_total > rules.fee_limit:
            flags[10] = "Y"
        return "".join(flags)


def _count(n: int) -> str:
    return f"{min(n, 9999):04d}"


def screen_messages(ctx: Context, patron: Patron) -> list[tuple[str, str]]:
    out = []
    if patron.blocked:
        out.append(("AF", patron.block_message or TEXT["blocked"]))
    if patron.fee_total > ctx.data.rules.fee_limit:
        out.append(("AF", TEXT["fees"]))
    return out


def _pin_field(patron: Patron, request: Message) -> str:
    # CQ: Y only for a PIN that was given and is right; no PIN means "not verified" (N).
    return yn(request.has("AD") and request.get("AD") == patron.pin)


def _fee_fields(ctx: Context, patron: Patron) -> list[tuple[str, str]]:
    fields = [("BH", ctx.data.library.currency)]
    if patron.fee_total > 0:
        fields.append(("BV", money(patron.fee_total)))
    return fields


def patron_status(ctx: Context, request: Message) -> Outcome:
    patron, lib = ctx.patron(request), ctx.data.library
    pid = request.get("AA")
    if patron is None:
        response = message("24", {"patron_status": UNKNOWN_STATUS, "language": request.fixed["language"],
                                  "transaction_date": ctx.date},
                           [("AO", lib.institution), ("AA", pid), ("AE", ""), ("BL", "N"), ("CQ", "N"),
                            ("AF", TEXT["unknown_patron"])])
        return Outcome(response, TransactionRecord("23", pid, ok=False, detail="unknown patron"))
    account = Account(ctx, patron)
    response = message("24", {"patron_status": account.status(ctx, patron), "language": patron.language,
                              "transaction_date": ctx.date},
                       [("AO", lib.institution), ("AA", pid), ("AE", patron.name), ("BL", "Y"),
                        ("CQ", _pin_field(patron, request)), *_fee_fields(ctx, patron),
                        ("ZU", yn(patron.unstaffed_access)), *screen_messages(ctx, patron)])
    return Outcome(response, TransactionRecord("23", pid, ok=True))


def _range(request: Message, total: int) -> slice:
    """BP/BQ are 1-based and inclusive; missing or unreadable means from the first / to the last."""
    def number(code: str, default: int) -> int:
        text = request.get(code).strip()
        return int(text) if text.isascii() and text.isdigit() else default

    start, end = number("BP", 1), number("BQ", total)
    return slice(max(start, 1) - 1, max(end, 0))


def _item_lines(account: Account, summary: str, request: Message) -> list[tuple[str, str]]:
    lists: list[tuple[str, list[str]]] = [
        ("AS", [i.item_id for i in account.holds_ready]),
        ("AT", [i.item_id for i in account.overdue]),
        ("AU", [i.item_id for i in account.charged]),
        ("AV", [f"{f.fee_id} {money(f.amount)} {f.description}" for f in account.fees]),
        ("BU", []),
        ("CD", [i.item_id for i in account.holds_waiting]),
    ]
    # Only one category per message (spec): the first "Y" wins.
    position = summary.upper().find("Y")
    if position < 0 or position >= len(lists):
        return []
    code, values = lists[position]
    return [(code, value) for value in values[_range(request, len(values))]]


def patron_information(ctx: Context, request: Message) -> Outcome:
    patron, lib, rules = ctx.patron(request), ctx.data.library, ctx.data.rules
    pid = request.get("AA")
    if patron is None:
        response = message("64", {
            "patron_status": UNKNOWN_STATUS, "language": request.fixed["language"],
            "transaction_date": ctx.date, **dict.fromkeys(_COUNTS, "0000")},
            [("AO", lib.institution), ("AA", pid), ("AE", ""), ("BL", "N"), ("CQ", "N"),
             ("AF", TEXT["unknown_patron"])])
        return Outcome(response, TransactionRecord("63", pid, ok=False, detail="unknown patron"))
    account = Account(ctx, patron)
    counts = (len(account.holds_ready), len(account.overdue), len(account.charged), len(account.fees),
              0, len(account.holds_waiting))
    fixed = {"patron_status": account.status(ctx, patron), "language": patron.language,
             "transaction_date": ctx.date}
    fixed |= {name: _count(n) for name, n in zip(_COUNTS, counts, strict=True)}
    fields: list[tuple[str, str]] = [
        ("AO", lib.institution), ("AA", pid), ("AE", patron.name),
        ("BZ", _count(rules.hold_items_limit)), ("CA", _count(rules.overdue_items_limit)),
        ("CB", _count(rules.charged_items_limit)), ("BL", "Y"), ("CQ", _pin_field(patron, request)),
        *_fee_fields(ctx, patron), ("CC", money(rules.fee_limit)),
        *_item_lines(account, request.fixed["summary"], request),
    ]
    if patron.email:
        fields.append(("BE", patron.email))
    if patron.birth_date is not None:
        fields.append(("PB", patron.birth_date.strftime("%Y%m%d")))
    if patron.category:
        fields.append(("PC", patron.category))
    fields += [("ZU", yn(patron.unstaffed_access)), *screen_messages(ctx, patron)]
    return Outcome(message("64", fixed, fields), TransactionRecord("63", pid, ok=True))


_COUNTS = ("hold_items_count", "overdue_items_count", "charged_items_count", "fine_items_count",
           "recall_items_count", "unavailable_holds_count")


def end_session(ctx: Context, request: Message) -> Outcome:
    response = message("36", {"end_session": "Y", "transaction_date": ctx.date},
                       [("AO", ctx.data.library.institution), ("AA", request.get("AA")),
                        ("AF", TEXT["goodbye"])])
    return Outcome(response, TransactionRecord("35", request.get("AA")))


def _amount(text: str) -> Decimal | None:
    try:
        amount = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None


def _pay(fees: list[Fee], amount: Decimal, fee_id: str) -> None:
    """Reduce the named fee, or the oldest fees first; paid-up fees are removed."""
    targets = [f for f in fees if f.fee_id == fee_id] if fee_id else list(fees)
    for fee in targets:
        part = min(fee.amount, amount)
        fee.amount -= part
        amount -= part
    fees[:] = [f for f in fees if f.amount > 0]


def fee_paid(ctx: Context, request: Message) -> Outcome:
    patron, lib = ctx.patron(request), ctx.data.library
    pid, fee_id = request.get("AA"), request.get("CG")
    amount = _amount(request.get("BV"))
    currency = request.fixed["currency_type"].strip()
    owed = patron.fee_total if patron else Decimal(0)
    if fee_id and patron is not None:
        owed = sum((f.amount for f in patron.fees if f.fee_id == fee_id), Decimal(0))
    ok = (patron is not None and not Context.pin_wrong(patron, request) and amount is not None
          and amount <= owed and currency in ("", lib.currency))
    transaction_id = request.get("BK") or ctx.data.new_transaction_id()
    if ok and patron is not None and amount is not None:
        _pay(patron.fees, amount, fee_id)
    text = TEXT["paid"] if ok else TEXT["unknown_patron"] if patron is None else TEXT["payment_refused"]
    response = message("38", {"payment_accepted": yn(ok), "transaction_date": ctx.date},
                       [("AO", lib.institution), ("AA", pid), ("BK", transaction_id), ("AF", text)])
    return Outcome(response, TransactionRecord("37", pid, ok=ok, detail=request.get("BV")), mutated=ok)


def _hold_response(ctx: Context, request: Message, ok: bool, item: Item | None, text: str,
                   queue_position: int = 0) -> Message:
    available = item is not None and ok and item.loan is None and item.status == "available"
    fields = [("AO", ctx.data.library.institution), ("AA", request.get("AA"))]
    if queue_position:
        fields.append(("BR", str(queue_position)))
    if request.get("BS"):
        fields.append(("BS", request.get("BS")))
    fields += [("AB", request.get("AB")), ("AJ", item.title if item else ""), ("AF", text)]
    return message("16", {"ok": "1" if ok else "0", "available": yn(available),
                          "transaction_date": ctx.date}, fields)


def hold(ctx: Context, request: Message) -> Outcome:
    """Minimal holds on a copy (AB): ``+`` place, ``-`` cancel, ``*`` change (only checks it exists)."""
    patron, item, mode = ctx.patron(request), ctx.item(request), request.fixed["hold_mode"]
    pid, iid = request.get("AA"), request.get("AB")
    refusal = ("unknown_patron" if patron is None else "wrong_pin" if Context.pin_wrong(patron, request)
               else "title_hold" if not iid else "unknown_item" if item is None else "")
    if refusal or item is None or patron is None:
        outcome_text = TEXT[refusal or "unknown_item"]
        return Outcome(_hold_response(ctx, request, False, item, outcome_text),
                       TransactionRecord("15", pid, iid, ok=False, detail=refusal))
    if mode == "+":
        if pid not in item.holds and not (item.loan and item.loan.patron_id == pid):
            item.holds.append(pid)
        ok = pid in item.holds
        text = TEXT["hold_placed"] if ok else TEXT["already_yours"]
    elif mode == "-":
        ok = pid in item.holds
        if ok:
            item.holds.remove(pid)
            if not item.holds and item.status == "on_hold_shelf":
                item.status = "available"
        text = TEXT["hold_cancelled"] if ok else TEXT["no_such_hold"]
    else:
        ok = pid in item.holds
        text = TEXT["hold_placed"] if ok else TEXT["no_such_hold"]
    position = item.holds.index(pid) + 1 if pid in item.holds else 0
    return Outcome(_hold_response(ctx, request, ok, item, text, position),
                   TransactionRecord("15", pid, iid, ok=ok, detail=mode), mutated=ok and mode != "*")


def block_patron(ctx: Context, request: Message) -> Outcome:
    """01: the card is blocked with the AL text; answered with a 24."""
    patron = ctx.patron(request)
    if patron is not None:
        patron.blocked = True
        patron.block_message = request.get("AL") or patron.block_message
    outcome = patron_status(ctx, Message("23", {"language": "000"}, list(request.fields)))
    return Outcome(outcome.response, TransactionRecord("01", request.get("AA"), ok=patron is not None),
                   mutated=patron is not None)
