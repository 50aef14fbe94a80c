"""Logging for operators: a rotating file and the console, both behind the redaction of
:mod:`kiosk.domain.logs` (no PIN, CPR number or patron name reaches either)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from kiosk.domain.logs import RedactingFormatter

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(terminal)s] %(message)s"


class _TerminalFilter(logging.Filter):
    def __init__(self, terminal: str) -> None:
        super().__init__()
        self.terminal = terminal

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "terminal"):
            record.terminal = self.terminal
        return True


def setup_logging(
    log_dir: Path,
    *,
    terminal: str = "-",
    level: str = "INFO",
    max_bytes: int = 5_000_000,
    backups: int = 5,
    console: bool = True,
) -> Path:
    """Send every logger to ``log_dir/kiosk.log`` (rotating) and the console, redacted.

    Returns the log file's path. Calling it again replaces the handlers it installed before.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "kiosk.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_kiosk", False):
            root.removeHandler(handler)
            handler.close()
    formatter = RedactingFormatter(LOG_FORMAT)
    terminal_filter = _TerminalFilter(terminal)
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    ]
    if console:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(terminal_filter)
        handler._kiosk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    return path
