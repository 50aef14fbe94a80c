"""Documents for the demo's print queue: a PDF of some A4 pages with the document's title on each,
and a coloured picture on the first where the seed says colour, so the demo's jobs print, preview
and price as documents sent from a phone do."""

from __future__ import annotations

import io

import pikepdf

A4 = (595, 842)  # points


def sample_document(title: str, pages: int, *, colour: bool = False) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica,
                                                Encoding=pikepdf.Name.WinAnsiEncoding))
    heading = _pdf_text(title.removesuffix(".pdf"))
    for number in range(1, max(pages, 1) + 1):
        lines = [b"BT /F1 22 Tf 72 760 Td (" + heading + b") Tj ET"]
        lines += [b"BT /F1 11 Tf 72 %d Td (" % (720 - 16 * row) + _pdf_text(_LOREM[row % len(_LOREM)])
                  + b") Tj ET" for row in range(30)]
        lines.append(b"BT /F1 10 Tf 280 40 Td (%d / %d) Tj ET" % (number, pages))
        if colour and number == 1:
            lines.append(b"0.85 0.1 0.1 rg 72 120 200 100 re f 0.1 0.35 0.8 rg 300 120 200 100 re f")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, *A4],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(b"\n".join(lines)))
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _pdf_text(text: str) -> bytes:
    """A PDF string's inside in WinAnsi (Danish letters kept), with its special characters escaped."""
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


_LOREM = (
    "Dette er et eksempel på et dokument sendt til udskrivning fra en telefon.",
    "Demoens udskrifter viser, hvordan en borger henter sit dokument ved kiosken:",
    "prisen før betaling, kopier, tosidet og sort-hvid, og printerens egen besked.",
    "",
)
