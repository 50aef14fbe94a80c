"""The price of a print job, shown before anything is paid: each page's colour and paper size (from
the document: :class:`PageInk`), the copies, duplex or not, and black-and-white if the patron asks,
priced by the branch's rules (:class:`~kiosk.settings.printing.PrintingSettings`).

A page is charged per printed side at the colour or black price of A4, times its paper size's factor;
a colour page printed in black-and-white costs the black price. Duplex puts two pages on a sheet: it
saves paper (the quote counts sheets) but not money, and the blank back of an odd last page is free
unless the rules say so. Money is in :class:`~decimal.Decimal`, rounded to the øre once, at the end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kiosk.settings.printing import PrintingSettings


@dataclass(frozen=True)
class PageInk:
    """One page of a document: whether it has colour on it, and its paper size ("A4", "A3", ...,
    "other" for a size the branch does not price: such a page is refused)."""

    colour: bool
    size: str = "A4"


@dataclass(frozen=True)
class Quote:
    pages: int  # in the document
    copies: int
    colour_pages: int  # printed in colour, per copy
    sides: int  # printed sides in all copies
    sheets: int  # paper in all copies
    price: Decimal
    currency: str


class CannotPrice(ValueError):
    """The job cannot be printed as asked (said in words: no pages, a paper size the branch does not
    print, too many copies)."""


def quote(pages: Sequence[PageInk], rules: PrintingSettings, *, copies: int = 1, duplex: bool = False,
          black_and_white: bool = False) -> Quote:
    if not pages:
        raise CannotPrice("the document has no pages")
    if not 1 <= copies <= rules.max_copies:
        raise CannotPrice(f"copies: 1 to {rules.max_copies}")
    unpriced = sorted({page.size for page in pages if page.size not in rules.paper_sizes})
    if unpriced:
        raise CannotPrice(f"paper size {unpriced[0]}: not printed here ({', '.join(rules.paper_sizes)})")
    colour_pages = 0 if black_and_white else sum(page.colour for page in pages)
    per_copy = sum(((rules.colour if page.colour and not black_and_white else rules.black)
                    * rules.factor(page.size) for page in pages), Decimal(0))
    sheets = (len(pages) + 1) // 2 if duplex else len(pages)
    blank_backs = 1 if duplex and len(pages) % 2 else 0
    if rules.charge_blank_backs and blank_backs:
        per_copy += rules.black * rules.factor(pages[-1].size)
    price = (per_copy * copies).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sides = (len(pages) + (blank_backs if rules.charge_blank_backs else 0)) * copies
    return Quote(len(pages), copies, colour_pages, sides, sheets * copies, price, rules.currency)
