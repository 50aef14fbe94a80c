"""Colours, type and sizes. Everything scales with the short side of the screen.

Two palettes: the plain one and high contrast (light on black, heavy borders, every text >= 7:1);
large text multiplies every font size by :data:`LARGE_TEXT`. Contrast is checked on the colours
(tests/ui/test_style.py) and on the rendered screens (tests/ui/test_rendered_access.py). Touch targets
are at least 15 mm: on a 21.5" full-HD panel (476 x 268 mm, 4.03 px/mm) that is 61 px, and the
smallest control here is 72 px (the header's buttons); ``[terminal.screen]`` sets the panel's size.
"""

from __future__ import annotations

from dataclasses import dataclass

BACKGROUND = "#F5F3EE"
SURFACE = "#FFFFFF"
INK = "#1B1F23"
MUTED = "#4A5560"
PRIMARY = "#0B4F6C"
PRIMARY_PRESSED = "#083A50"
ON_PRIMARY = "#FFFFFF"
HEADER = "#0B4F6C"
ON_HEADER = "#FFFFFF"
ERROR_BG = "#FBE3E1"
ERROR_INK = "#8A1C13"
INFO_BG = "#E1EEF5"
INFO_INK = "#0B3C52"
OK_BG = "#E4F2E7"
OK_INK = "#1E5E2E"
WARN_BG = "#FDF1D6"
WARN_INK = "#6B4300"
# Solid colours behind the white status icons (and their white glyphs).
OK_SOLID = "#2E7D32"
WARN_SOLID = "#A85300"
ERROR_SOLID = "#B3261E"
BUSY_SOLID = "#5B6770"
DISABLED_BG = "#E3E7EA"
KEY_BG = "#FFFFFF"
KEY_BORDER = "#7A8691"  # 3.4:1 on the background: a key is seen as a key (WCAG 1.4.11)
OVERLAY = "rgba(20, 24, 28, 170)"
# The focus ring of the tactile keys: dark on light controls, yellow on dark ones: >= 3:1 against
# the pixels it covers (measured on rendered controls in tests/ui/test_speech_visit.py).
FOCUS_RING = INK
FOCUS_RING_ON_DARK = "#FFD400"
FOCUS_WIDTH = 8

# Arabic and Farsi in Noto Naskh Arabic (fonts-noto-core), named before the rest so that fontconfig
# does not pick another font for them; not Noto Sans Arabic, whose lines are half again as tall as
# Noto Sans's and would not fit the tiles.
FONT_FAMILY = "Noto Sans, Noto Naskh Arabic, DejaVu Sans, Arial, sans-serif"
LARGE_TEXT = 1.4  # large text: every font this much larger, up to LARGE_TEXT_CAP
LARGE_TEXT_CAP = 60  # ... px (at 1080 px): titles already larger stay as they are


@dataclass(frozen=True)
class Palette:
    """The colours of one display mode; the names are those of the plain palette's constants."""

    background: str = BACKGROUND
    surface: str = SURFACE
    ink: str = INK
    muted: str = MUTED
    primary: str = PRIMARY
    primary_pressed: str = PRIMARY_PRESSED
    on_primary: str = ON_PRIMARY
    header: str = HEADER
    on_header: str = ON_HEADER
    error_bg: str = ERROR_BG
    error_ink: str = ERROR_INK
    info_bg: str = INFO_BG
    info_ink: str = INFO_INK
    ok_bg: str = OK_BG
    ok_ink: str = OK_INK
    warn_bg: str = WARN_BG
    warn_ink: str = WARN_INK
    ok_solid: str = OK_SOLID
    warn_solid: str = WARN_SOLID
    error_solid: str = ERROR_SOLID
    busy_solid: str = BUSY_SOLID
    on_solid: str = ON_PRIMARY  # the marks on the status icons
    disabled_bg: str = DISABLED_BG
    key_bg: str = KEY_BG
    key_border: str = KEY_BORDER
    overlay: str = OVERLAY
    slab: str = "#D9DEE2"  # the reader and the pad in the drawings
    accent: str = "#F2C14E"  # the card's chip, a book in the drawings
    focus_ring: str = FOCUS_RING  # the tactile keys' focus on surface-coloured controls
    focus_ring_on_primary: str = FOCUS_RING_ON_DARK  # ... on primary-coloured controls
    focus_ring_on_header: str = FOCUS_RING_ON_DARK  # ... on the header's buttons
    heavy: bool = False  # borders around messages, rows and the header: high contrast


PLAIN = Palette()
HIGH_CONTRAST = Palette(
    background="#000000", surface="#000000", ink="#FFFFFF", muted="#E6E6E6",
    primary="#FFE14D", primary_pressed="#FFFFFF", on_primary="#000000",
    header="#000000", on_header="#FFFFFF",
    error_bg="#000000", error_ink="#FF9E94", info_bg="#000000", info_ink="#FFFFFF",
    ok_bg="#000000", ok_ink="#8CF29A", warn_bg="#000000", warn_ink="#FFE14D",
    ok_solid="#8CF29A", warn_solid="#FFE14D", error_solid="#FF9E94", busy_solid="#E6E6E6",
    on_solid="#000000", disabled_bg="#000000", key_bg="#000000", key_border="#FFFFFF",
    overlay="rgba(0, 0, 0, 225)", slab="#FFFFFF", accent="#FFE14D",
    focus_ring="#00E5FF", focus_ring_on_primary="#0033CC", focus_ring_on_header="#00E5FF", heavy=True,
)


@dataclass(frozen=True)
class Scale:
    """Pixel sizes for a screen of ``width`` x ``height``."""

    width: int
    height: int
    text: float = 1.0  # large text: LARGE_TEXT

    @property
    def unit(self) -> float:
        return min(self.width, self.height) / 1080

    def px(self, value: float) -> int:
        return max(1, round(value * self.unit))

    def font(self, value: float) -> int:
        """A font size in px: ``value`` (at 1080 px), larger with large text (body text 1.4 times;
        the bigger sizes up to :data:`LARGE_TEXT_CAP`)."""
        return self.px(max(value, min(value * self.text, LARGE_TEXT_CAP)))

    @property
    def large_text(self) -> bool:
        return self.text > 1

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def stylesheet(scale: Scale, palette: Palette = PLAIN) -> str:
    """The kiosk's style sheet for ``scale`` (its size and text size), in ``palette``."""
    px, fpx = scale.px, scale.font
    c = palette
    sheet = f"""
    QWidget#KioskWindow, QWidget#Screen {{ background: {c.background}; }}
    QWidget {{ font-family: {FONT_FAMILY}; color: {c.ink}; font-size: {fpx(30)}px; }}
    QWidget#Header {{ background: {c.header}; }}
    QLabel#HeaderTitle {{ color: {c.on_header}; font-size: {px(34)}px; font-weight: 600; }}
    QLabel#HeaderClock {{ color: {c.on_header}; font-size: {fpx(34)}px; }}
    QPushButton#LanguageButton {{
        color: {c.on_header}; background: transparent; border: {px(2)}px solid {c.on_header};
        border-radius: {px(12)}px; padding: {px(10)}px {px(22)}px; font-size: {fpx(26)}px;
        min-height: {px(72)}px;
    }}
    QPushButton#LanguageButton:pressed {{ background: {c.on_header}; color: {c.header}; }}
    QPushButton#LanguageChoice {{
        background: {c.surface}; color: {c.primary}; border: {px(3)}px solid {c.primary};
        border-radius: {px(18)}px; font-size: {fpx(38)}px; font-weight: 600;
        padding: {px(16)}px {px(24)}px; min-height: {px(112)}px;
    }}
    QPushButton#LanguageChoice[selected="true"] {{ background: {c.primary}; color: {c.on_primary}; }}
    QPushButton#LanguageChoice:pressed {{ background: {c.info_bg}; }}
    QPushButton#SpeechButton {{
        color: {c.on_header}; background: transparent; border: {px(2)}px solid {c.on_header};
        border-radius: {px(12)}px; padding: {px(8)}px {px(8)}px; min-height: {px(72)}px;
        min-width: {px(56)}px;
    }}
    QPushButton#SpeechButton:checked {{
        background: {c.primary_pressed}; border-width: {px(4)}px; padding: {px(6)}px {px(6)}px;
    }}
    QPushButton#LanguageButton:checked {{ background: {c.on_header}; color: {c.header}; }}
    QPushButton#DisplayButton {{
        color: {c.on_header}; background: transparent; border: {px(3)}px solid {c.on_header};
        border-radius: {px(36)}px; padding: {px(10)}px {px(26)}px; font-size: {fpx(26)}px;
        font-weight: 700; min-height: {px(72)}px;
    }}
    QLabel#Title {{ font-size: {fpx(64)}px; font-weight: 700; }}
    QLabel#Subtitle {{ font-size: {fpx(38)}px; color: {c.ink}; }}
    QLabel#Hint {{ font-size: {fpx(28)}px; color: {c.muted}; }}
    QLabel#Message[tone="error"] {{
        background: {c.error_bg}; color: {c.error_ink}; border-radius: {px(16)}px;
        font-size: {fpx(30)}px;
    }}
    QLabel#Message[tone="info"] {{
        background: {c.info_bg}; color: {c.info_ink}; border-radius: {px(16)}px;
        font-size: {fpx(30)}px;
    }}
    QLabel#PinDots {{ font-size: {fpx(72)}px; letter-spacing: {fpx(16)}px; color: {c.ink}; }}
    QPushButton#Key {{
        background: {c.key_bg}; border: {px(2)}px solid {c.key_border}; border-radius: {px(18)}px;
        font-size: {fpx(48)}px; font-weight: 600; min-width: {px(170)}px; min-height: {px(118)}px;
    }}
    QPushButton#Key:pressed {{ background: {c.info_bg}; }}
    QPushButton#Key:disabled {{ color: {c.muted}; }}
    QPushButton#Primary {{
        background: {c.primary}; color: {c.on_primary}; border: none; border-radius: {px(18)}px;
        font-size: {fpx(38)}px; font-weight: 600; padding: {px(20)}px {px(48)}px;
        min-height: {px(118)}px;
    }}
    QPushButton#Primary:pressed {{ background: {c.primary_pressed}; }}
    QPushButton#Primary:disabled {{ background: {c.disabled_bg}; color: {c.muted}; }}
    QPushButton#Secondary {{
        background: {c.surface}; color: {c.primary}; border: {px(3)}px solid {c.primary};
        border-radius: {px(18)}px; font-size: {fpx(34)}px; font-weight: 600;
        padding: {px(20)}px {px(44)}px; min-height: {px(112)}px;
    }}
    QPushButton#Secondary:pressed {{ background: {c.info_bg}; }}
    QPushButton#Secondary:disabled {{ color: {c.muted}; border-color: {c.key_border}; }}
    QLabel#Message[tone="ok"] {{
        background: {c.ok_bg}; color: {c.ok_ink}; border-radius: {px(16)}px; font-size: {fpx(30)}px;
    }}
    QLabel#Message[tone="attention"] {{
        background: {c.warn_bg}; color: {c.warn_ink}; border-radius: {px(16)}px;
        font-size: {fpx(30)}px;
    }}
    QPushButton#Tile {{
        background: {c.surface}; border: {px(3)}px solid {c.primary}; border-radius: {px(24)}px;
        min-height: {px(150)}px;
    }}
    QPushButton#Tile:pressed {{ background: {c.info_bg}; }}
    QPushButton#Tile[primary="true"] {{ background: {c.primary}; border-color: {c.primary}; }}
    QPushButton#Tile[primary="true"]:pressed {{ background: {c.primary_pressed}; }}
    QLabel#TileTitle {{ font-size: {fpx(48)}px; font-weight: 700; color: {c.primary}; }}
    QLabel#TileDetail {{ font-size: {fpx(27)}px; color: {c.muted}; }}
    QPushButton#Tile[primary="true"] QLabel {{ color: {c.on_primary}; }}
    QLabel#Question {{ font-size: {fpx(46)}px; font-weight: 700; }}
    QLabel#Section {{ font-size: {fpx(36)}px; font-weight: 700; }}
    QLabel#Busy {{ font-size: {fpx(28)}px; color: {c.muted}; font-style: italic; }}
    QFrame#Row {{ background: {c.surface}; border: {px(2)}px solid {c.key_border};
                  border-radius: {px(18)}px; }}
    QFrame#Row[tone="ok"] {{ background: {c.ok_bg}; border-color: {c.ok_bg}; }}
    QFrame#Row[tone="attention"] {{ background: {c.warn_bg}; border-color: {c.warn_solid}; }}
    QFrame#Row[tone="error"] {{ background: {c.error_bg}; border-color: {c.error_solid}; }}
    QFrame#Row[selected="true"] {{ background: {c.info_bg}; border: {px(4)}px solid {c.primary}; }}
    QLabel#RowTitle {{ font-size: {fpx(32)}px; font-weight: 600; color: {c.ink}; }}
    QLabel#RowAuthor {{ font-size: {fpx(28)}px; color: {c.ink}; }}
    QLabel#RowStatus {{ font-size: {fpx(28)}px; color: {c.ink}; }}
    QLabel#RowStatus[tone="ok"] {{ color: {c.ok_ink}; }}
    QLabel#RowStatus[tone="attention"] {{ color: {c.warn_ink}; }}
    QLabel#RowStatus[tone="error"] {{ color: {c.error_ink}; }}
    QLabel#RowStatus[tone="busy"] {{ color: {c.muted}; }}
    QScrollArea {{ background: transparent; border: none; }}
    QWidget#RowPool {{ background: transparent; }}
    QScrollBar:vertical {{ width: {px(18)}px; background: transparent; }}
    QScrollBar::handle:vertical {{ background: {c.key_border}; border-radius: {px(9)}px;
                                   min-height: {px(80)}px; }}
    QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0px; }}
    QPushButton#PageTab {{
        background: {c.surface}; color: {c.primary}; border: {px(3)}px solid {c.primary};
        border-radius: {px(14)}px; font-size: {fpx(28)}px; font-weight: 600;
        padding: {px(14)}px {px(16)}px; min-height: {px(96)}px;
    }}
    QPushButton#PageTab[selected="true"] {{ background: {c.primary}; color: {c.on_primary}; }}
    QPushButton#RowButton {{
        background: {c.surface}; color: {c.primary}; border: {px(3)}px solid {c.primary};
        border-radius: {px(14)}px; font-size: {fpx(28)}px; font-weight: 600;
        padding: {px(10)}px {px(26)}px; min-height: {px(92)}px; min-width: {px(160)}px;
    }}
    QPushButton#RowButton:pressed {{ background: {c.info_bg}; }}
    QPushButton#RowButton:disabled {{ color: {c.muted}; border-color: {c.key_border}; }}
    QLabel#Preview {{ background: {c.surface}; border: {px(2)}px solid {c.key_border}; }}
    QWidget#Overlay {{ background: {c.overlay}; }}
    QFrame#Card {{ background: {c.surface}; border-radius: {px(28)}px; }}
    QPushButton#Key:focus, QPushButton#Tile:focus, QFrame#Row:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring};
    }}
    QPushButton#Secondary:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring}; padding: {px(15)}px {px(39)}px;
    }}
    QPushButton#RowButton:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring}; padding: {px(5)}px {px(21)}px;
    }}
    QPushButton#PageTab:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring}; padding: {px(9)}px {px(11)}px;
    }}
    QPushButton#Tile[primary="true"]:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring_on_primary};
    }}
    QPushButton#Primary:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring_on_primary}; padding: {px(12)}px {px(40)}px;
    }}
    QPushButton#LanguageButton:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring_on_header}; padding: {px(4)}px {px(16)}px;
    }}
    QPushButton#SpeechButton:focus {{
        border: {px(FOCUS_WIDTH)}px solid {c.focus_ring_on_header}; padding: {px(2)}px {px(2)}px;
    }}
    """
    if palette.heavy:
        sheet += heavy_borders(scale, palette)
    return sheet


def heavy_borders(scale: Scale, c: Palette) -> str:
    """High contrast: what the plain palette tells by a tinted background is framed instead."""
    px = scale.px
    return f"""
    QWidget#Header {{ border-bottom: {px(4)}px solid {c.primary}; }}
    QWidget#Header[bottom="true"] {{ border-bottom: none; border-top: {px(4)}px solid {c.primary}; }}
    QLabel#Message[tone="error"] {{ border: {px(4)}px solid {c.error_ink}; }}
    QLabel#Message[tone="info"] {{ border: {px(4)}px solid {c.info_ink}; }}
    QLabel#Message[tone="ok"] {{ border: {px(4)}px solid {c.ok_ink}; }}
    QLabel#Message[tone="attention"] {{ border: {px(4)}px solid {c.warn_ink}; }}
    QPushButton#Key {{ border-width: {px(3)}px; }}
    QPushButton#Key:pressed, QPushButton#Secondary:pressed, QPushButton#Tile:pressed,
    QPushButton#RowButton:pressed {{ background: {c.primary_pressed}; color: {c.on_primary}; }}
    QPushButton#Primary {{ border: {px(3)}px solid {c.primary}; }}
    QPushButton#Primary:disabled {{ border: {px(3)}px solid {c.muted}; }}
    QPushButton#Tile {{ border-width: {px(4)}px; }}
    QPushButton#Tile QLabel#TileDetail {{ color: {c.ink}; }}
    QPushButton#Tile[primary="true"] QLabel#TileDetail {{ color: {c.on_primary}; }}
    QFrame#Row {{ border: {px(3)}px solid {c.ink}; }}
    QFrame#Row[tone="ok"] {{ border-color: {c.ok_ink}; }}
    QFrame#Row[tone="attention"] {{ border-color: {c.warn_ink}; }}
    QFrame#Row[tone="error"] {{ border-color: {c.error_ink}; }}
    QFrame#Row[selected="true"] {{ border: {px(6)}px solid {c.primary}; }}
    QScrollBar::handle:vertical {{ background: {c.ink}; }}
    QFrame#Card {{ border: {px(4)}px solid {c.primary}; }}
    QPushButton#SpeechButton:checked {{
        background: {c.header}; border: {px(6)}px solid {c.primary}; padding: {px(4)}px {px(4)}px;
    }}
    QPushButton#LanguageChoice {{ border-width: {px(4)}px; }}
    """
