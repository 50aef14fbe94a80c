"""``library-kiosk screenshot --screen NAME --lang da|en|... --size WxH --out FILE.png``: a screen
rendered offscreen with demo data, reached the way a patron reaches it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kiosk.cli.args import LANGUAGES, PSEUDO_LANGUAGE, screen_size
from kiosk.settings import DEMO_SETTINGS
from kiosk.simulate.screenshot import SCREENS, render_screen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--screen", required=True, choices=SCREENS)
    parser.add_argument("--lang", default="da", choices=(*LANGUAGES, PSEUDO_LANGUAGE),
                        help=f"{PSEUDO_LANGUAGE}: the pseudo-locale (longer, accented texts)")
    parser.add_argument("--size", type=screen_size, default=(1080, 1920), help="WIDTHxHEIGHT in pixels")
    parser.add_argument("--out", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--config", type=Path, default=DEMO_SETTINGS, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before the QApplication is made
    print(render_screen(args.screen, args.lang, args.size, args.out, args.config))
    return 0
