"""The Qt bridge: what the core publishes on its thread arrives as a signal on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.domain.events import Core


class CoreBridge(QObject):
    """Re-emits every core notification as ``notified(object)``.

    The signal is emitted on the core thread; Qt queues it to each receiver living on the GUI
    thread (automatic connection), so slots that touch widgets run on the GUI thread only.
    """

    notified = Signal(object)

    def __init__(self, core: Core) -> None:
        super().__init__()
        core.subscribe(self.notified.emit)
