"""The price of a print job before anything is paid: each page's colour and paper size seen in the
document itself (Ghostscript's ink coverage, the media box), priced by the branch's rules. Real PDFs,
real Ghostscript."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.printing.pdf import write_pdf
from kiosk.printing.pricing import CannotPrice, PageInk, quote
from kiosk.settings.printing import PrintingSettings
from sync.central.server.print_analysis import NotAPrintableDocument, analyse

RULES = PrintingSettings()  # 0.55 black, 1.00 colour, A3 twice (the defaults, as at AU Library)
A4, A3, LETTER, TICKET = (595, 842), (842, 1191), (612, 792), (200, 300)
BLACK_TEXT = "BT /F1 24 Tf 72 700 Td (Black text only) Tj ET"
GREY = "0.5 g 72 500 300 200 re f"  # a grey area: no colour
RGB_GREY = "0.5 0.5 0.5 rg 72 500 300 200 re f"  # Ghostscript makes it of C, M and Y: still no colour
DARK_RGB_GREY = "0.2 0.2 0.2 rg 72 72 400 400 re f"
RED = "1 0 0 rg 72 500 300 200 re f"
PHOTO_BLUE = "0.2 0.3 0.9 rg 72 72 400 400 re f"


def pdf(*pages: tuple[tuple[int, int], str]) -> bytes:
    return write_pdf(pages)


def test_colour_and_paper_size_are_read_from_each_page() -> None:
    pages = analyse(pdf((A4, BLACK_TEXT), (A4, GREY), (A4, RED), (A3, PHOTO_BLUE), (LETTER, BLACK_TEXT),
                        (TICKET, BLACK_TEXT), (A4, RGB_GREY), (A4, DARK_RGB_GREY)))
    assert pages == (PageInk(False, "A4"), PageInk(False, "A4"), PageInk(True, "A4"), PageInk(True, "A3"),
                     PageInk(False, "Letter"), PageInk(False, "other"), PageInk(False, "A4"),
                     PageInk(False, "A4"))


def test_a_photo_is_colour_when_it_has_colour_and_grey_when_it_is_grey() -> None:
    from sync.central.server.print_inbox import to_pdf

    assert analyse(to_pdf(png(rgb=(200, 30, 30)))) == (PageInk(True, "A4"),)
    assert analyse(to_pdf(png(rgb=(90, 90, 90)))) == (PageInk(False, "A4"),)


def test_a_landscape_page_has_its_portrait_size() -> None:
    assert analyse(pdf(((842, 595), RED))) == (PageInk(True, "A4"),)


@pytest.mark.parametrize("data", [b"", b"%PDF-1.4\ngarbage", b"\x00" * 100, pdf()[:60]])
def test_what_is_not_a_pdf_is_refused_in_words(data: bytes) -> None:
    with pytest.raises(NotAPrintableDocument):
        analyse(data)


def test_the_price_counts_pages_copies_and_colour_to_the_øre() -> None:
    pages = (PageInk(False), PageInk(True), PageInk(False))
    q = quote(pages, RULES, copies=3)
    assert (q.pages, q.copies, q.colour_pages, q.sides, q.sheets) == (3, 3, 1, 9, 9)
    assert q.price == Decimal("6.30") and q.currency == "DKK"  # (0.55 + 1.00 + 0.55) x 3


def test_duplex_saves_paper_not_money_and_the_blank_back_is_free() -> None:
    pages = (PageInk(False), PageInk(False), PageInk(False))
    simplex, duplex = quote(pages, RULES), quote(pages, RULES, duplex=True)
    assert (simplex.sheets, duplex.sheets) == (3, 2) and simplex.price == duplex.price == Decimal("1.65")
    charged = quote(pages, RULES.model_copy(update={"charge_blank_backs": True}), duplex=True, copies=2)
    assert (charged.sides, charged.price) == (8, Decimal("4.40"))


def test_black_and_white_costs_the_black_price_and_a3_twice() -> None:
    pages = (PageInk(True, "A3"), PageInk(True))
    assert quote(pages, RULES).price == Decimal("3.00")
    bw = quote(pages, RULES, black_and_white=True)
    assert (bw.colour_pages, bw.price) == (0, Decimal("1.65"))


def test_what_cannot_be_printed_is_said_before_any_price() -> None:
    with pytest.raises(CannotPrice, match="paper size other"):
        quote((PageInk(False, "other"),), RULES)
    with pytest.raises(CannotPrice, match="copies: 1 to 20"):
        quote((PageInk(False),), RULES, copies=21)
    with pytest.raises(CannotPrice, match="no pages"):
        quote((), RULES)


def test_rounding_is_to_the_øre_once() -> None:
    rules = RULES.model_copy(update={"black": Decimal("0.333")})
    assert quote((PageInk(False),) * 3, rules).price == Decimal("1.00")  # 0.999, not 3 x 0.33


def png(width: int = 60, height: int = 40, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small PNG of one colour, made by hand."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))
