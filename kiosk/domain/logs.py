"""Redaction for operators' logs: what :func:`kiosk.bootstrap.log_files.setup_logging` puts between
every log record and the file or the console.

Invariant 3 of the design: no PIN, CPR number or patron name reaches a log file. Three layers:

* a CPR pattern (DDMMYY-NNNN or ten digits that form a valid date) is always masked;
* ``key=value`` pairs and SIP2 fields that carry secrets (pin, password, AD, CO, AC, AE, ...) are masked;
* the values the session knows to be secret right now (the PIN typed, the patron's name) are
  registered with :data:`SECRETS` and masked wherever they appear, in any logger's output.

Redaction runs on the formatted message, exception text and stack, so arguments are covered too.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"

_CPR = re.compile(r"(?<!\d)([0-3]\d)([01]\d)(\d\d)[- ]?(\d{4})(?!\d)")
_SEP = r"(\s*[=:]\s*|[\"']\s*:\s*[\"']?)"
_KEYED = re.compile(
    r"(?i)\b(pin|pinkode|password|passwd|pwd|cpr|secret|token)" + _SEP + r"([^\s,;|&\"'}]+)"
)
# A name runs over several words: "name=Jensen, Anna" or "'name': 'Anna Marie Jensen'".
_KEYED_NAME = re.compile(
    r"(?i)\b(name|navn|patron_name)" + _SEP + r"([^\W\d_][\w.-]*(?:,? [^\W\d_][\w.-]*){0,3})"
)
# SIP2 fields holding a patron password (AD), login password (CO), terminal password (AC), personal
# name (AE), e-mail (BE), home address (BD), phone (BF) and birth date (PB).
_SIP2_FIELD = re.compile(r"(?<=\|)(AD|CO|AC|AE|BE|BD|BF|PB)[^|\r\n]*|(?<=^)(AD|CO|AC|AE)[^|\r\n]*")


def _looks_like_cpr(match: re.Match[str]) -> bool:
    day, month = int(match.group(1)), int(match.group(2))
    return 1 <= day <= 31 and 1 <= month <= 12


class SecretRegistry:
    """Values that must not appear in a log line, for as long as they are registered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str) -> None:
        with self._lock:
            for value in values:
                value = value.strip()
                if len(value) >= 3:
                    self._values.add(value)
                    # A name is also redacted word by word ("Anna Jensen" -> "Anna", "Jensen").
                    self._values.update(w for w in value.replace(",", " ").split() if len(w) >= 3)
            self._pattern = None

    def discard(self, *values: str) -> None:
        with self._lock:
            for value in values:
                value = value.strip()
                self._values.discard(value)
                for w in value.replace(",", " ").split():
                    self._values.discard(w)
            self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def redact(self, text: str) -> str:
        with self._lock:
            if not self._values:
                return text
            if self._pattern is None:
                alternatives = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile(
                    r"(?<![\w])(?:" + "|".join(re.escape(v) for v in alternatives) + r")(?![\w])",
                    re.IGNORECASE,
                )
            pattern = self._pattern
        return pattern.sub(MASK, text)


SECRETS = SecretRegistry()


def redact(text: str, secrets: SecretRegistry = SECRETS) -> str:
    """Mask every secret this module knows about in ``text``."""
    text = secrets.redact(text)
    text = _KEYED.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _KEYED_NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _SIP2_FIELD.sub(lambda m: f"{m.group(1) or m.group(2)}{MASK}", text)
    return _CPR.sub(lambda m: MASK if _looks_like_cpr(m) else m.group(0), text)


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the message, the exception and the stack; time and level stay readable."""

    def format(self, record: logging.LogRecord) -> str:
        clean = logging.makeLogRecord(record.__dict__)
        clean.msg, clean.args = redact(record.getMessage()), None
        if record.exc_info:
            clean.exc_text = redact(self.formatException(record.exc_info))
            clean.exc_info = None
        elif record.exc_text:
            clean.exc_text = redact(record.exc_text)
        if record.stack_info:
            clean.stack_info = redact(record.stack_info)
        return super().format(clean)
