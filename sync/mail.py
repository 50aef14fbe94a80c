"""Receipts by e-mail over SMTP (STARTTLS, certificates verified)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from kiosk.domain.errors import MailError
from kiosk.domain.model import DeviceHealth, DeviceState, Receipt
from kiosk.settings import ReceiptEmailSettings

log = logging.getLogger(__name__)


def receipt_text(receipt: Receipt) -> str:
    lines = [receipt.title, "", *(line.text for line in receipt.lines)]
    if receipt.footer:
        lines += ["", receipt.footer]
    return "\n".join(lines) + "\n"


class SmtpReceiptMailer:
    name = "receipt_email"

    def __init__(self, settings: ReceiptEmailSettings) -> None:
        self._settings = settings
        self._last_error = ""

    def send(self, address: str, receipt: Receipt) -> None:
        config = self._settings
        message = EmailMessage()
        message["From"] = config.sender
        message["To"] = address
        message["Subject"] = receipt.title
        message.set_content(receipt_text(receipt))
        try:
            with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_s) as smtp:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.user:
                    smtp.login(config.user, config.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            self._last_error = type(exc).__name__
            # The address is personal data: the log names the failure, not the recipient.
            log.warning("receipt e-mail not sent: %s", type(exc).__name__)
            raise MailError(f"the mail server did not take the receipt ({type(exc).__name__})") from None
        self._last_error = ""
        log.info("receipt e-mailed")

    def health(self) -> DeviceHealth:
        if self._last_error:
            return DeviceHealth(self.name, DeviceState.DEGRADED, f"last send failed: {self._last_error}")
        return DeviceHealth(self.name, DeviceState.OK)
