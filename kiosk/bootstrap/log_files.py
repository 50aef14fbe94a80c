"""Logging for operators: a rotating file and the console, both behind the redaction of
:mod:`kiosk.domain.logs` (no PIN, CPR number or patron name reaches either)."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
from pathlib import Path

from kiosk.domain.logs import RedactingFormatter
from kiosk.store.db import private_folder

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
    private_folder(log_dir)  # 0700: the kiosk's user alone reads what happened
    path = log_dir / "kiosk.log"
    for old in log_dir.glob("kiosk.log*"):  # 0600, also what an older version left readable
        old.chmod(0o600)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_kiosk", False):
            root.removeHandler(handler)
            handler.close()
    formatter = RedactingFormatter(LOG_FORMAT)
    terminal_filter = _TerminalFilter(terminal)
    handlers: list[logging.Handler] = [
        _PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
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


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every log file, also each one a rollover starts, readable by the kiosk's user only."""

    def _open(self) -> io.TextIOWrapper:
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream

