"""The screen's backlight, through the kernel's backlight class (``/sys/class/backlight/<device>``).

Off is ``bl_power = 4`` (FB_BLANK_POWERDOWN) where the driver has ``bl_power``, else ``brightness = 0``;
on is ``bl_power = 0``, or the brightness it had before. A panel without a backlight device, or one
the kiosk's user may not write (a udev rule gives the ``video`` group write access), is left as it
is: the black window is then all the blanking there is. Never raises: a backlight is no reason to
stop a kiosk.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

SYSFS = Path("/sys/class/backlight")
POWER_DOWN, POWER_ON = "4", "0"


class Backlight:
    """One backlight device (``folder``), or none."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._brightness: str | None = None  # before it was switched off by brightness
        self.is_off = False

    @classmethod
    def from_setting(cls, setting: str, sysfs: Path = SYSFS) -> Backlight:
        """``"none"``: no backlight; ``"auto"``: the first device under ``sysfs``; else a device's
        folder."""
        if setting == "none":
            return cls(None)
        if setting == "auto":
            devices = sorted(sysfs.iterdir()) if sysfs.is_dir() else []
            return cls(devices[0] if devices else None)
        return cls(Path(setting))

    def off(self) -> bool:
        if self.folder is None or self.is_off:
            return False
        power = self.folder / "bl_power"
        if power.exists():
            done = self._write(power, POWER_DOWN)
        else:
            self._brightness = self._read(self.folder / "brightness")
            done = self._write(self.folder / "brightness", "0")
        self.is_off = done
        return done

    def on(self) -> bool:
        if self.folder is None or not self.is_off:
            return False
        power = self.folder / "bl_power"
        if power.exists():
            done = self._write(power, POWER_ON)
        else:
            level = self._brightness or self._read(self.folder / "max_brightness") or "1"
            done = self._write(self.folder / "brightness", level)
        self.is_off = not done
        return done

    @staticmethod
    def _read(path: Path) -> str | None:
        try:
            return path.read_text(encoding="ascii").strip() or None
        except OSError:
            return None

    @staticmethod
    def _write(path: Path, value: str) -> bool:
        try:
            path.write_text(value + "\n", encoding="ascii")
        except OSError as exc:
            log.warning("backlight %s not set to %s: %s", path, value, exc)
            return False
        log.info("backlight %s set to %s", path, value)
        return True
