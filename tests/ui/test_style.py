"""Text contrast is at least 4.5:1 (WCAG AA) for every text colour on its background."""

from __future__ import annotations

import pytest

from ui import style


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize(
    ("ink", "background"),
    [
        (style.INK, style.BACKGROUND),
        (style.MUTED, style.BACKGROUND),
        (style.ON_PRIMARY, style.PRIMARY),
        (style.ON_HEADER, style.HEADER),
        (style.ERROR_INK, style.ERROR_BG),
        (style.INFO_INK, style.INFO_BG),
        (style.INK, style.KEY_BG),
        (style.PRIMARY, style.SURFACE),
        # Rows and messages of a visit: the status in its tone's ink, the title in INK.
        (style.OK_INK, style.OK_BG),
        (style.WARN_INK, style.WARN_BG),
        (style.INK, style.OK_BG),
        (style.INK, style.WARN_BG),
        (style.INK, style.ERROR_BG),
        (style.INK, style.INFO_BG),
        (style.INK, style.SURFACE),
        (style.MUTED, style.SURFACE),
        (style.PRIMARY, style.INFO_BG),
        (style.MUTED, style.DISABLED_BG),
        # The white marks on the status icons.
        (style.ON_PRIMARY, style.OK_SOLID),
        (style.ON_PRIMARY, style.WARN_SOLID),
        (style.ON_PRIMARY, style.ERROR_SOLID),
        (style.ON_PRIMARY, style.BUSY_SOLID),
    ],
)
def test_text_contrast_is_at_least_4_5(ink: str, background: str) -> None:
    assert contrast(ink, background) >= 4.5


def test_touch_targets_are_at_least_15_mm_on_a_full_hd_kiosk() -> None:
    # A 21.5" 1920x1080 panel has ~0.248 mm per pixel: 15 mm is ~61 px. Keys are 118 px tall.
    scale = style.Scale(1080, 1920)
    assert scale.px(118) * 0.248 >= 15
    assert scale.px(72) * 0.248 >= 15  # language buttons
