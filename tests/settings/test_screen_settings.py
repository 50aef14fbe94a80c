"""``[terminal.screen]``: the panel's size gives pixels per millimetre, its mounting the reach line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli.main import main
from kiosk.settings import ScreenSettings, load_settings

MINIMAL = '[terminal]\nid = "t1"\nbranch = "viby"\n'


def test_a_21_5_inch_full_hd_panel_has_4_pixels_a_millimetre_and_61_pixel_targets() -> None:
    screen = ScreenSettings()
    assert screen.px_per_mm(1080, 1920) == pytest.approx(1920 / 476.0, rel=0.002)
    assert screen.px_per_mm(1920, 1080) == screen.px_per_mm(1080, 1920)
    assert screen.target_px(1080, 1920) == 61


def test_measured_sides_win_over_the_diagonal() -> None:
    screen = ScreenSettings(width_mm=300, height_mm=533)  # a 24" panel, portrait
    assert screen.px_per_mm(1080, 1920) == pytest.approx(1920 / 533)


def test_the_top_of_a_portrait_panel_at_800_mm_is_out_of_reach_and_a_landscape_one_is_not() -> None:
    screen = ScreenSettings()
    assert screen.reach_line_px(1080, 1920) == 630  # 1276 mm - 1120 mm = 156 mm
    assert screen.reach_line_px(1920, 1080) == 0
    assert ScreenSettings(bottom_edge_mm=1000).reach_line_px(1920, 1080) == 596
    assert ScreenSettings(reach_max_mm=1220).reach_line_px(1080, 1920) == 226


def test_check_config_accepts_the_screen_and_refuses_half_a_size(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL + "[terminal.screen]\ndiagonal_in = 24\nbottom_edge_mm = 750\n", encoding="utf-8")
    assert load_settings(good).terminal.screen.diagonal_in == 24
    assert main(["check-config", str(good)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL + "[terminal.screen]\nwidth_mm = 300\n", encoding="utf-8")
    assert main(["check-config", str(bad)]) == 2
