"""What a PDF's pages are, for the price (:func:`kiosk.printing.pricing.quote`): the paper size of each
page from its media box (pikepdf), and whether it has colour on it from Ghostscript's ``inkcov``
device, which renders every page and reports its cyan, magenta, yellow and black coverage. A page is
colour when its cyan, magenta and yellow differ (a grey made of equal C, M and Y is no colour).

Runs where the document is (the central service, at upload), in a subprocess with a time limit: a
hostile PDF costs seconds, never the service."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import tempfile
from pathlib import Path

import pikepdf

from kiosk.printing.pricing import PageInk

GS_TIMEOUT_S = 120.0
COLOUR_SPREAD = 0.05  # percent of the page's area in ink: below it, C, M and Y count as equal
COLOUR_RATIO = 0.25  # ... and below this share of the largest of them (a grey)
# (width, height) in points, either way round, 6 pt tolerance
SIZES = {"A4": (595, 842), "A3": (842, 1191), "A5": (420, 595), "Letter": (612, 792), "Legal": (612, 1008)}
_INKCOV = re.compile(r"^\s*([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+CMYK OK", re.MULTILINE)

log = logging.getLogger(__name__)


class NotAPrintableDocument(ValueError):
    """The file is not a document this service can print, said in words (English, for the log and
    staff); ``reason``, when given, names the refusal for a page or a reply to say in its language."""

    def __init__(self, why: str, reason: str = "") -> None:
        super().__init__(why)
        self.reason = reason


def analyse(pdf: bytes) -> tuple[PageInk, ...]:
    """Each page's colour and paper size, in order."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            sizes = [_size(page.mediabox) for page in document.pages]
    except (pikepdf.PdfError, ValueError) as exc:
        raise NotAPrintableDocument(f"not a PDF that can be read ({type(exc).__name__})",
                                    "broken_pdf") from None
    if not sizes:
        raise NotAPrintableDocument("the document has no pages", "no_pages")
    colours = _colours(pdf)
    if len(colours) != len(sizes):
        raise NotAPrintableDocument(f"Ghostscript saw {len(colours)} pages of {len(sizes)}")
    return tuple(PageInk(colour, size) for colour, size in zip(colours, sizes, strict=True))


def _size(box: pikepdf.Array) -> str:
    left, bottom, right, top = (float(value) for value in box)
    width, height = sorted((abs(right - left), abs(top - bottom)))
    for name, (short, long) in SIZES.items():
        if abs(width - short) <= 6 and abs(height - long) <= 6:
            return name
    return "other"


def _colours(pdf: bytes) -> list[bool]:
    with tempfile.TemporaryDirectory(prefix="print-analysis-") as folder:
        source = Path(folder) / "job.pdf"
        source.write_bytes(pdf)
        try:
            done = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=ink_cov",
                                   "-r72", "-o", "-", str(source)], capture_output=True, text=True,
                                  timeout=GS_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise NotAPrintableDocument(f"the pages took more than {GS_TIMEOUT_S:.0f} s to look at") from None
        except FileNotFoundError:
            raise NotAPrintableDocument("Ghostscript (gs) is not installed on the service") from None
    if done.returncode != 0:
        raise NotAPrintableDocument("Ghostscript could not render it", "broken_pdf")
    return [_colourful(float(c), float(m), float(y)) for c, m, y, _k in _INKCOV.findall(done.stdout)]


PREVIEW_WIDTH_PX = 480  # the kiosk shows the first page about 360 px wide (portrait) or 320 (landscape)


def first_page_picture(pdf: bytes) -> bytes | None:
    """The first page as a PNG about :data:`PREVIEW_WIDTH_PX` wide, for the kiosk's picture of the
    job: drawn here by Ghostscript in a subprocess (-dSAFER, a time limit), so that an odd or hostile
    document is never opened by the kiosk's own process. None when it cannot be drawn."""
    with tempfile.TemporaryDirectory(prefix="print-preview-") as folder:
        source, picture = Path(folder) / "job.pdf", Path(folder) / "page.png"
        source.write_bytes(pdf)
        try:
            done = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m",
                                   "-dFirstPage=1", "-dLastPage=1", f"-r{PREVIEW_WIDTH_PX * 72 // 595}",
                                   "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4", "-o", str(picture),
                                   str(source)], capture_output=True, timeout=GS_TIMEOUT_S, check=False)
        except (subprocess.TimeoutExpired, FileNotFoundError) as exc:
            log.warning("the first page could not be drawn: %s", exc)
            return None
        if done.returncode != 0 or not picture.exists():
            return None
        return picture.read_bytes()


def _colourful(c: float, m: float, y: float) -> bool:
    spread = max(c, m, y) - min(c, m, y)
    return spread >= COLOUR_SPREAD and spread >= COLOUR_RATIO * max(c, m, y)
