"""How alarms reach people: e-mail over SMTP, and SMS through a gateway's HTTP API (POST JSON
``{"to": number, "text": message}`` with a bearer token; the gateway is the municipality's)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

import requests

from sync.central.server.alarms import AlarmSettings, Channel, Recipient, SmsSettings, SmtpSettings

TIMEOUT_S = 10.0
SMS_LENGTH = 306  # two SMS parts


class SmtpChannel:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    def send(self, recipient: Recipient, subject: str, text: str, *, urgent: bool) -> None:
        if not recipient.email:
            return
        settings = self._settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.sender, recipient.email, subject
        if urgent:
            message["Importance"], message["X-Priority"] = "high", "1"
        message.set_content(text)
        deliver(settings, message)


def deliver(settings: SmtpSettings, message: EmailMessage, *, envelope_sender: str | None = None) -> None:
    """Hand ``message`` to the SMTP server (STARTTLS with verified certificates when set); the
    envelope sender is the From header unless given ("" is the null sender, ``<>``). OSError or
    :class:`smtplib.SMTPException` when the server does not take it."""
    with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message, from_addr=envelope_sender)


class SmsChannel:
    def __init__(self, settings: SmsSettings, session: requests.Session | None = None) -> None:
        self._settings, self._session = settings, session or requests.Session()

    def send(self, recipient: Recipient, subject: str, text: str, *, urgent: bool) -> None:
        if not recipient.sms:
            return
        headers = {"Authorization": f"Bearer {self._settings.token}"} if self._settings.token else {}
        response = self._session.post(self._settings.url, json={"to": recipient.sms,
                                                                "text": f"{subject}\n{text}"[:SMS_LENGTH]},
                                      headers=headers, timeout=TIMEOUT_S)
        if response.status_code >= 300:
            raise OSError(f"the SMS gateway answered HTTP {response.status_code}")


def default_channels(settings: AlarmSettings | None) -> list[Channel]:
    """The channels an alarms file configures (none without one)."""
    if settings is None:
        return []
    channels: list[Channel] = []
    if settings.smtp is not None:
        channels.append(SmtpChannel(settings.smtp))
    if settings.sms is not None:
        channels.append(SmsChannel(settings.sms))
    return channels
