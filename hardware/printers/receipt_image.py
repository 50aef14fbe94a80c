"""A receipt drawn as a picture, for what ESC/POS text mode cannot print: Arabic and Farsi letters
join their neighbours (their shapes depend on them) and the lines read right to left, which a code
table of single characters cannot do; and a character that no code table of the printer holds (a
Chinese title) would print as "?". Such a receipt is drawn here (Pillow, which shapes and orders the
text with HarfBuzz and FriBiDi through libraqm) and sent as one raster image (GS v 0).

The font is DejaVu Sans (fonts-dejavu-core): one font with Latin, Cyrillic, Arabic and Persian
letters, so that a Danish title on an Arabic receipt needs no second font.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kiosk.domain.model import Receipt

DOTS_PER_COLUMN = 12  # Epson font A: a receipt of N columns is N * 12 dots wide
MARGIN = 6  # dots left clear at the sides and the top
FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
                Path("/usr/local/share/fonts"))
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
# Scripts whose letters join and whose lines read right to left (Hebrew, Arabic, Syriac, Thaana, NKo,
# and the Arabic presentation forms).
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def right_to_left(text: str) -> bool:
    return _RIGHT_TO_LEFT.search(text) is not None


def needs_image(texts: Iterable[str], printable: Callable[[str], bool]) -> bool:
    """Must these texts be drawn? Yes when one is in a right-to-left script, or holds a character
    that ``printable`` (some code table of the printer has it) says no to."""
    return any(right_to_left(text) or not all(printable(char) for char in text) for text in texts)


def receipt_texts(receipt: Receipt) -> list[str]:
    return [receipt.title, *(line.text for line in receipt.lines), receipt.footer]


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    for folder in FONT_FOLDERS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size, layout_engine=ImageFont.Layout.RAQM)
    raise FileNotFoundError(f"{name} (fonts-dejavu-core) is needed to print this receipt")


@dataclass(frozen=True)
class _Line:
    text: str
    font: ImageFont.FreeTypeFont
    centred: bool


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` dots, broken between words (a word wider than
    the paper is broken where it must be)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.getlength(word) > width and len(word) > 1:
                cut = next(i for i in range(len(word), 0, -1) if font.getlength(word[:i]) <= width or i == 1)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def draw_receipt(receipt: Receipt, columns: int, most_dots: int | None = None) -> Image.Image:
    """The receipt as a black-on-white 1-bit image ``columns`` * 12 dots wide (at most
    ``most_dots``, the printer's width in dots where its profile says it): the title bold and
    centred, the lines (bold where the receipt says), a blank line and the footer centred. Lines
    in a right-to-left script read right to left; on a receipt that has any, every line but the
    centred ones is aligned to the right."""
    width = min(columns * DOTS_PER_COLUMN, most_dots or columns * DOTS_PER_COLUMN)
    room = width - 2 * MARGIN
    size = max(16, round(width / 21))  # about as many letters to a line as font A's columns
    regular, bold, big = _font(REGULAR, size), _font(BOLD, size), _font(BOLD, round(size * 1.25))
    lines = [_Line(part, big, True) for part in _wrap(receipt.title, big, room)]
    for receipt_line in receipt.lines:
        font = bold if receipt_line.bold else regular
        lines += [_Line(part, font, False) for part in _wrap(receipt_line.text, font, room)]
    if receipt.footer:
        lines.append(_Line("", regular, False))
        lines += [_Line(part, regular, True) for part in _wrap(receipt.footer, regular, room)]
    to_the_right = any(right_to_left(text) for text in receipt_texts(receipt))
    ascent, descent = big.getmetrics()
    pitch = round((ascent + descent) * 1.15)
    image = Image.new("L", (width, pitch * len(lines) + pitch // 2 + MARGIN), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        if not line.text:
            continue
        direction = "rtl" if right_to_left(line.text) else "ltr"
        # Placed by where the ink falls, not by the advance: the first letter of a right-aligned
        # Arabic line reaches past it.
        left, _top, right, _bottom = draw.textbbox((0, 0), line.text, font=line.font, direction=direction)
        if line.centred:
            x = (width - (right - left)) / 2 - left
        else:
            x = width - MARGIN - right if to_the_right else MARGIN - left
        draw.text((x, MARGIN + row * pitch), line.text, font=line.font, fill=0, direction=direction)
    return image.point(lambda value: 255 if value >= 128 else 0).convert("1")
