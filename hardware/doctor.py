"""The device doctor: probe each configured device and say what state it is in."""

from __future__ import annotations

import logging

from kiosk.domain.errors import DeviceError
from kiosk.domain.model import DeviceHealth, DeviceState
from kiosk.domain.ports import Devices

log = logging.getLogger(__name__)


def probe(role: str, device: object) -> DeviceHealth:
    """Exercise the device as little as possible (open it, ask its status), then report its health.

    The lightest real operation a driver has is tried first (``probe``, a pad's ``inventory``, a
    card reader's ``read_card``, a relay board's ``check``), so that a device nobody has used yet
    is opened rather than reported as "not opened yet".
    """
    try:
        for name in ("probe", "inventory", "read_card", "check"):
            check = getattr(device, name, None)
            if callable(check):
                check()
                break
        health = device.health()  # type: ignore[attr-defined]
    except DeviceError as exc:
        return DeviceHealth(role, DeviceState.UNAVAILABLE, str(exc))
    except Exception as exc:  # the doctor reports; it must not die on a broken driver
        log.exception("probing %s failed", role)
        return DeviceHealth(role, DeviceState.UNAVAILABLE, f"{type(exc).__name__}: {exc}")
    assert isinstance(health, DeviceHealth)
    return DeviceHealth(role, health.state, health.detail)


def examine(devices: Devices) -> list[DeviceHealth]:
    return [probe(role, device) for role, device in devices.present()]
