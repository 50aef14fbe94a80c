"""Colours, type and sizes. Everything scales with the short side of the screen.

Contrast: every text colour below is at least 4.5:1 on the background it is used on (checked in
tests/ui/test_style.py). Touch targets are at least 15 mm on a 21.5" full-HD panel (~100 px).
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
KEY_BORDER = "#C9CED3"
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


@dataclass(frozen=True)
class Scale:
    """Pixel sizes for a screen of ``width`` x ``height``."""

    width: int
    height: int

    @property
    def unit(self) -> float:
        return min(self.width, self.height) / 1080

    def px(self, value: float) -> int:
        return max(1, round(value * self.unit))

    @property
    def portrait(self) -> bool:
        return self.height > self.width


def stylesheet(scale: Scale) -> str:
    px = scale.px
    return f"""
    QWidget#KioskWindow, QWidget#Screen {{ background: {BACKGROUND}; }}
    QWidget {{ font-family: {FONT_FAMILY}; color: {INK}; font-size: {px(30)}px; }}
    QWidget#Header {{ background: {HEADER}; }}
    QLabel#HeaderTitle {{ color: {ON_HEADER}; font-size: {px(34)}px; font-weight: 600; }}
    QLabel#HeaderClock {{ color: {ON_HEADER}; font-size: {px(34)}px; }}
    QPushButton#LanguageButton {{
        color: {ON_HEADER}; background: transparent; border: {px(2)}px solid {ON_HEADER};
        border-radius: {px(12)}px; padding: {px(10)}px {px(22)}px; font-size: {px(26)}px;
        min-height: {px(72)}px;
    }}
    QPushButton#LanguageButton:pressed {{ background: {ON_HEADER}; color: {HEADER}; }}
    QPushButton#LanguageChoice {{
        background: {SURFACE}; color: {PRIMARY}; border: {px(3)}px solid {PRIMARY};
        border-radius: {px(18)}px; font-size: {px(38)}px; font-weight: 600;
        padding: {px(16)}px {px(24)}px; min-height: {px(112)}px;
    }}
    QPushButton#LanguageChoice[selected="true"] {{ background: {PRIMARY}; color: {ON_PRIMARY}; }}
    QPushButton#LanguageChoice:pressed {{ background: {INFO_BG}; }}
    QPushButton#SpeechButton {{
        color: {ON_HEADER}; background: transparent; border: {px(2)}px solid {ON_HEADER};
        border-radius: {px(12)}px; padding: {px(8)}px {px(8)}px; min-height: {px(72)}px;
        min-width: {px(56)}px;
    }}
    QPushButton#SpeechButton:checked {{ background: {PRIMARY_PRESSED}; border-width: {px(4)}px; }}
    QLabel#Title {{ font-size: {px(64)}px; font-weight: 700; }}
    QLabel#Subtitle {{ font-size: {px(38)}px; color: {INK}; }}
    QLabel#Hint {{ font-size: {px(28)}px; color: {MUTED}; }}
    QLabel#Message[tone="error"] {{
        background: {ERROR_BG}; color: {ERROR_INK}; border-radius: {px(16)}px;
        font-size: {px(30)}px;
    }}
    QLabel#Message[tone="info"] {{
        background: {INFO_BG}; color: {INFO_INK}; border-radius: {px(16)}px;
        font-size: {px(30)}px;
    }}
    QLabel#PinDots {{ font-size: {px(72)}px; letter-spacing: {px(16)}px; color: {INK}; }}
    QPushButton#Key {{
        background: {KEY_BG}; border: {px(2)}px solid {KEY_BORDER}; border-radius: {px(18)}px;
        font-size: {px(48)}px; font-weight: 600; min-width: {px(170)}px; min-height: {px(118)}px;
    }}
    QPushButton#Key:pressed {{ background: {INFO_BG}; }}
    QPushButton#Key:disabled {{ color: {MUTED}; }}
    QPushButton#Primary {{
        background: {PRIMARY}; color: {ON_PRIMARY}; border: none; border-radius: {px(18)}px;
        font-size: {px(38)}px; font-weight: 600; padding: {px(20)}px {px(48)}px;
        min-height: {px(118)}px;
    }}
    QPushButton#Primary:pressed {{ background: {PRIMARY_PRESSED}; }}
    QPushButton#Primary:disabled {{ background: {DISABLED_BG}; color: {MUTED}; }}
    QPushButton#Secondary {{
        background: {SURFACE}; color: {PRIMARY}; border: {px(3)}px solid {PRIMARY};
        border-radius: {px(18)}px; font-size: {px(34)}px; font-weight: 600;
        padding: {px(20)}px {px(44)}px; min-height: {px(112)}px;
    }}
    QPushButton#Secondary:pressed {{ background: {INFO_BG}; }}
    QPushButton#Secondary:disabled {{ color: {MUTED}; border-color: {KEY_BORDER}; }}
    QLabel#Message[tone="ok"] {{
        background: {OK_BG}; color: {OK_INK}; border-radius: {px(16)}px; font-size: {px(30)}px;
    }}
    QLabel#Message[tone="attention"] {{
        background: {WARN_BG}; color: {WARN_INK}; border-radius: {px(16)}px;
        font-size: {px(30)}px;
    }}
    QPushButton#Tile {{
        background: {SURFACE}; border: {px(3)}px solid {PRIMARY}; border-radius: {px(24)}px;
        min-height: {px(150)}px;
    }}
    QPushButton#Tile:pressed {{ background: {INFO_BG}; }}
    QPushButton#Tile[primary="true"] {{ background: {PRIMARY}; border-color: {PRIMARY}; }}
    QPushButton#Tile[primary="true"]:pressed {{ background: {PRIMARY_PRESSED}; }}
    QLabel#TileTitle {{ font-size: {px(48)}px; font-weight: 700; color: {PRIMARY}; }}
    QLabel#TileDetail {{ font-size: {px(27)}px; color: {MUTED}; }}
    QPushButton#Tile[primary="true"] QLabel {{ color: {ON_PRIMARY}; }}
    QLabel#Question {{ font-size: {px(46)}px; font-weight: 700; }}
    QLabel#Section {{ font-size: {px(36)}px; font-weight: 700; }}
    QLabel#Busy {{ font-size: {px(28)}px; color: {MUTED}; font-style: italic; }}
    QFrame#Row {{ background: {SURFACE}; border: {px(2)}px solid {KEY_BORDER};
                  border-radius: {px(18)}px; }}
    QFrame#Row[tone="ok"] {{ background: {OK_BG}; border-color: {OK_BG}; }}
    QFrame#Row[tone="attention"] {{ background: {WARN_BG}; border-color: {WARN_SOLID}; }}
    QFrame#Row[tone="error"] {{ background: {ERROR_BG}; border-color: {ERROR_SOLID}; }}
    QFrame#Row[selected="true"] {{ background: {INFO_BG}; border: {px(4)}px solid {PRIMARY}; }}
    QLabel#RowTitle {{ font-size: {px(32)}px; font-weight: 600; color: {INK}; }}
    QLabel#RowAuthor {{ font-size: {px(28)}px; color: {INK}; }}
    QLabel#RowStatus {{ font-size: {px(28)}px; color: {INK}; }}
    QLabel#RowStatus[tone="ok"] {{ color: {OK_INK}; }}
    QLabel#RowStatus[tone="attention"] {{ color: {WARN_INK}; }}
    QLabel#RowStatus[tone="error"] {{ color: {ERROR_INK}; }}
    QLabel#RowStatus[tone="busy"] {{ color: {MUTED}; }}
    QScrollArea {{ background: transparent; border: none; }}
    QWidget#RowPool {{ background: transparent; }}
    QScrollBar:vertical {{ width: {px(18)}px; background: transparent; }}
    QScrollBar::handle:vertical {{ background: {KEY_BORDER}; border-radius: {px(9)}px;
                                   min-height: {px(80)}px; }}
    QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0px; }}
    QPushButton#PageTab {{
        background: {SURFACE}; color: {PRIMARY}; border: {px(3)}px solid {PRIMARY};
        border-radius: {px(14)}px; font-size: {px(28)}px; font-weight: 600;
        padding: {px(14)}px {px(16)}px; min-height: {px(96)}px;
    }}
    QPushButton#PageTab[selected="true"] {{ background: {PRIMARY}; color: {ON_PRIMARY}; }}
    QPushButton#RowButton {{
        background: {SURFACE}; color: {PRIMARY}; border: {px(3)}px solid {PRIMARY};
        border-radius: {px(14)}px; font-size: {px(28)}px; font-weight: 600;
        padding: {px(10)}px {px(26)}px; min-height: {px(92)}px; min-width: {px(160)}px;
    }}
    QPushButton#RowButton:pressed {{ background: {INFO_BG}; }}
    QPushButton#RowButton:disabled {{ color: {MUTED}; border-color: {KEY_BORDER}; }}
    QLabel#Preview {{ background: {SURFACE}; border: {px(2)}px solid {KEY_BORDER}; }}
    QWidget#Overlay {{ background: {OVERLAY}; }}
    QFrame#Card {{ background: {SURFACE}; border-radius: {px(28)}px; }}
    QPushButton#Key:focus, QPushButton#Tile:focus, QFrame#Row:focus {{
        border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING};
    }}
    QPushButton#Secondary:focus {{
        border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING}; padding: {px(15)}px {px(39)}px;
    }}
    QPushButton#RowButton:focus {{
        border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING}; padding: {px(5)}px {px(21)}px;
    }}
    QPushButton#PageTab:focus {{
        border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING}; padding: {px(9)}px {px(11)}px;
    }}
    QPushButton#Tile[primary="true"]:focus {{ border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING_ON_DARK}; }}
    QPushButton#Primary:focus {{
        border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING_ON_DARK}; padding: {px(12)}px {px(40)}px;
    }}
    QPushButton#LanguageButton:focus {{
        border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING_ON_DARK}; padding: {px(4)}px {px(16)}px;
    }}
    QPushButton#SpeechButton:focus {{
        border: {px(FOCUS_WIDTH)}px solid {FOCUS_RING_ON_DARK}; padding: {px(2)}px {px(2)}px;
    }}
    """
