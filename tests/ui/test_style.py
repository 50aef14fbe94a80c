"""Text contrast is at least 4.5:1 (WCAG AA) for every text colour on its background, and 7:1 in
high contrast. (tests/ui/test_rendered_access.py measures the same on the rendered screens.)"""

from __future__ import annotations

import pytest

from kiosk.settings import ScreenSettings
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


HC = style.HIGH_CONTRAST


@pytest.mark.parametrize(
    ("ink", "background"),
    [(HC.ink, HC.background), (HC.muted, HC.background), (HC.primary, HC.background),
     (HC.on_primary, HC.primary), (HC.on_primary, HC.primary_pressed), (HC.on_header, HC.header),
     (HC.error_ink, HC.error_bg), (HC.info_ink, HC.info_bg), (HC.ok_ink, HC.ok_bg), (HC.warn_ink, HC.warn_bg),
     (HC.on_solid, HC.ok_solid), (HC.on_solid, HC.warn_solid), (HC.on_solid, HC.error_solid),
     (HC.on_solid, HC.busy_solid), (HC.key_border, HC.key_bg)],
)
def test_high_contrast_text_is_at_least_7_to_1(ink: str, background: str) -> None:
    assert contrast(ink, background) >= 7


def test_keys_and_rows_stand_out_from_the_background_by_3_to_1() -> None:
    assert contrast(style.KEY_BORDER, style.BACKGROUND) >= 3
    assert contrast(style.KEY_BORDER, style.SURFACE) >= 3


def test_touch_targets_are_at_least_15_mm_on_a_full_hd_kiosk() -> None:
    # A 21.5" 1920x1080 panel is 476 x 268 mm, 4.03 px a millimetre: 15 mm is 61 px (not ~100).
    assert ScreenSettings().target_px(1080, 1920) == 61
    scale = style.Scale(1080, 1920)
    assert scale.px(72) >= 61  # the header's buttons, the smallest controls
