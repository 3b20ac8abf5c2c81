"""E-mail transports for mentoring notices: ``ConsoleMail`` in development, ``SmtpMail`` in production.

Both have ``send(to, subject, body)``. ``SmtpMail`` says how a send failed, because the
sending step (``app/mentoring/outmail.py``) acts on it: ``MailRefused`` (a permanent 5xx,
e.g. an unknown recipient) is marked failed with its reason; ``MailDeferred`` (a 4xx, a
refused or dropped connection, a timeout) is tried again later. Configured from the
environment only (``SAATHI_SMTP_URL``, ``SAATHI_MAIL_FROM``): the password never passes
through ``app.config``, so it is never printed with it. Addresses are logged masked.
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


class MailDeferred(Exception):
    """A temporary failure: try again later."""


class MailRefused(Exception):
    """A permanent refusal (5xx): do not try again; the message is the server's reason."""


def mask_email(address: str | None) -> str:
    """An address as it may appear in logs: first letter and domain, ``y***@x.test``."""
    if not address or "@" not in address:
        return "-"
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


class ConsoleMail:
    """The development e-mail transport: prints, and keeps what it sent (for tests)."""

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))
        log.info("e-mail (console)", extra={"to": mask_email(to), "subject": subject, "chars": len(body)})


def _reason(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()[:200]


class SmtpMail:
    """Sends through one SMTP server: ``smtp://user:pass@host:587`` (STARTTLS when credentials
    are given or the port is 587), ``smtps://user:pass@host:465`` (implicit TLS), or
    ``smtp://host:25`` (plain, for a local relay). One connection per message: a nudge
    goes out a few times a day, so there is no pool to keep alive."""

    def __init__(self, url: str, sender: str, *, timeout: float = 20.0):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SAATHI_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
        if not sender:
            raise ValueError("SAATHI_MAIL_FROM is required with SAATHI_SMTP_URL")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = not self.implicit_tls and (self.port == 587 or self.user is not None)
        self.sender, self.timeout = sender, timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpMail({'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port})"

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg.set_content(body, charset="utf-8")
        return msg

    def send(self, to: str, subject: str, body: str) -> None:
        msg = self.message(to, subject, body)
        try:
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, message = next(iter(exc.recipients.values()))
            raise (MailRefused if code >= 500 else MailDeferred)(_reason(code, message)) from None
        except smtplib.SMTPResponseException as exc:
            raise (MailRefused if exc.smtp_code >= 500 else MailDeferred)(
                _reason(exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailDeferred((type(exc).__name__ + (f": {exc}" if str(exc) else ""))[:200]) from None
        log.info("e-mail sent", extra={"to": mask_email(to), "server": self.host})


def mail_from_env():
    """``SmtpMail`` when ``SAATHI_SMTP_URL`` is set, else ``ConsoleMail``."""
    url = os.environ.get("SAATHI_SMTP_URL")
    if not url:
        return ConsoleMail()
    return SmtpMail(url, os.environ.get("SAATHI_MAIL_FROM", ""))
