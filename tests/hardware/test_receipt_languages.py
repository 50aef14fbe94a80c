"""Receipts in the kiosk's other languages, through the real driver to the simulated printer on a
pty: Polish, Turkish and Ukrainian letters arrive in code tables that hold them; Arabic and Farsi
(joined letters, right to left) arrive as one raster image of the receipt as drawn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image

from hardware.printers.escpos_sim import EscPosSimulator, PrintedImage
from hardware.printers.receipt import EscPosReceiptPrinter, SerialConnection
from hardware.printers.receipt_image import draw_receipt
from kiosk.domain.model import Receipt, ReceiptLine
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

RECEIPTS = {
    "pl": Receipt("Potwierdzenie wypożyczenia", (ReceiptLine("Zażółć gęślą jaźń"),
                                                 ReceiptLine("Termin zwrotu: 2 stycznia 2027", bold=True)),
                  "Dziękujemy za wizytę"),
    "tr": Receipt("Ödünç alma makbuzu", (ReceiptLine("Şişli'de ığdır çiçeği"),
                                         ReceiptLine("İade tarihi: 2 Ocak 2027", bold=True)),
                  "Ziyaretiniz için teşekkürler"),
    "uk": Receipt("Квитанція про позику", (ReceiptLine("Ґудзик і їжак є"),
                                           ReceiptLine("Повернути до: 2 січня 2027", bold=True)),
                  "Дякуємо за відвідування"),
}
ARABIC = Receipt("إيصال الاستعارة", (ReceiptLine("Kongens Fald"),
                                      ReceiptLine("تاريخ الإرجاع: 2 يناير 2027", bold=True)),
                 "شكرًا لزيارتك")
FARSI = Receipt("رسید امانت", (ReceiptLine("پدر، مادر و گربه"), ReceiptLine("تاریخ بازگشت: ۲ ژانویه ۲۰۲۷")),
                "از بازدید شما سپاسگزاریم")


@pytest.fixture
def simulator(pty_pair: PtyPair) -> Iterator[EscPosSimulator]:
    sim = EscPosSimulator(pty_pair.simulator).start()
    yield sim
    sim.stop()


@pytest.fixture
def printer(pty_pair: PtyPair) -> Iterator[EscPosReceiptPrinter]:
    driver = EscPosReceiptPrinter(SerialConnection(str(pty_pair.device)), backoff_s=(0.0,))
    yield driver
    driver.close()


@pytest.mark.parametrize("language", sorted(RECEIPTS))
def test_latin_and_cyrillic_letters_print_as_text_in_code_tables_that_hold_them(
        simulator: EscPosSimulator, printer: EscPosReceiptPrinter, language: str) -> None:
    sent = RECEIPTS[language]
    printer.print_receipt(sent)
    [receipt] = simulator.wait_for_receipts(1)
    assert receipt.text == [sent.title, *(line.text for line in sent.lines), "", sent.footer]
    assert b"\x1b\x74\x05" not in simulator.received.split(b"\x1b@", 1)[1][:3]  # not PC865 for these
    assert "?" not in "".join(receipt.text) and simulator.errors == []


def as_image(printed: PrintedImage) -> Image.Image:
    """The printed dots as a picture (in Pillow's 1-bit images a set bit is white)."""
    return Image.frombytes("1", (printed.width, printed.height), bytes(~b & 0xFF for b in printed.dots))


def ink_columns(image: Image.Image, top: int, bottom: int) -> tuple[int, int]:
    """The leftmost and rightmost black column between rows ``top`` and ``bottom``."""
    box = Image.eval(image.convert("L").crop((0, top, image.width, bottom)), lambda v: 255 - v).getbbox()
    assert box is not None
    return box[0], box[2]


@pytest.mark.parametrize("sent", [ARABIC, FARSI], ids=["ar", "fa"])
def test_arabic_script_prints_as_the_receipt_drawn_right_to_left(
        simulator: EscPosSimulator, printer: EscPosReceiptPrinter, sent: Receipt) -> None:
    printer.print_receipt(sent)
    [receipt] = simulator.wait_for_receipts(1)
    assert receipt.lines == () and simulator.errors == []
    [printed] = receipt.images
    drawn = draw_receipt(sent, printer.columns)
    assert (printed.width, printed.height) == (drawn.width + (-drawn.width) % 8, drawn.height)
    got = as_image(printed).crop((0, 0, drawn.width, drawn.height))
    assert got.tobytes() == drawn.tobytes()  # dot for dot what was drawn


def test_a_right_to_left_line_is_aligned_to_the_right_edge_and_a_latin_one_to_the_left() -> None:
    arabic = draw_receipt(Receipt("", (ReceiptLine("كتاب"),)), 42)
    left, right = ink_columns(arabic, 0, arabic.height)
    assert right > arabic.width - 16 and left > arabic.width // 2
    danish = draw_receipt(Receipt("", (ReceiptLine("Bog"),)), 42)
    left, right = ink_columns(danish, 0, danish.height)
    assert left < 16 and right < danish.width // 2


def test_arabic_letters_are_joined_not_printed_one_by_one() -> None:
    """Shaped: "كتاب" drawn as a word is narrower than its four letters drawn apart."""
    joined = draw_receipt(Receipt("", (ReceiptLine("كتاب"),)), 42)
    apart = draw_receipt(Receipt("", (ReceiptLine("ك ت ا ب"),)), 42)
    width_joined = ink_columns(joined, 0, joined.height)
    width_apart = ink_columns(apart, 0, apart.height)
    assert width_joined[1] - width_joined[0] < (width_apart[1] - width_apart[0]) * 0.8


def test_a_wide_receipt_is_drawn_no_wider_than_the_printer() -> None:
    assert draw_receipt(ARABIC, 48, most_dots=512).width == 512
    assert draw_receipt(ARABIC, 42, most_dots=512).width == 504
