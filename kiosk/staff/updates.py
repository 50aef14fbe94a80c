"""A new version of the kiosk waiting to be installed, as staff mode sees it.

The central service's sync (or a technician, by hand) puts wheels in the drop folder
(``<data_dir>/updates``); staff mode offers to install the newest. Installing runs outside the kiosk,
since the update stops and restarts it (``library-kiosk update``)."""

from __future__ import annotations

from typing import Protocol


class SoftwareUpdates(Protocol):
    def waiting(self) -> str | None:
        """The file name of the newest version waiting in the drop folder, if any."""
        ...

    def start(self, name: str) -> None:
        """Start installing ``name`` (from :meth:`waiting`) in a process of its own, which outlives
        the kiosk; returns once it is started. Raises ``OSError`` when it cannot be started."""
        ...
